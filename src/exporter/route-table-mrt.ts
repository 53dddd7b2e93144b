/**
 * Route-table input from MRT TABLE_DUMP_V2 RIB dumps (RFC 6396), as route collectors publish them: RIB_IPV4_UNICAST
 * records give the routes; for each prefix the entry with the shortest AS path (RFC 4271 9.1.2.2 a: an AS_SET counts 1)
 * wins, the first entry in the record on a tie; entries without AS_PATH are used only when no entry has one. The next hop
 * is NEXT_HOP, else a 4-byte MP_REACH_NLRI next hop, else 0; origin AS = last AS of the path, peer AS = first.
 */
import type { AsPathSegment, BgpAttribute } from "../wire/bgp-attributes.ts";
import { readIpv4 } from "../wire/ipv4-address.ts";
import { type MrtRecord, TABLE_DUMP_V2_RIB_IPV4_UNICAST } from "../wire/mrt.ts";
import type { MrtFrame } from "../wire/mrt-reader.ts";
import type { MrtRibCursor } from "../wire/mrt-rib-cursor.ts";
import { type RouteInfo, type RouteTableBuilder, routeInfoFromAsPath } from "./route-table.ts";

/** Counters of an MRT load. */
export interface MrtLoadCounters {
  /** MRT records read. */
  records: number;
  /** RIB_IPV4_UNICAST records used (one prefix each). */
  ipv4Prefixes: number;
  /** RIB entries seen in them. */
  ipv4Entries: number;
  /** Other records, by `type/subtype` (RIB_IPV6_UNICAST is `13/4`; PEER_INDEX_TABLE is `13/1`). */
  skipped: Record<string, number>;
  /** Records whose message failed to decode, by error code. */
  badRecords: Record<string, number>;
}

/** A fresh set of {@link MrtLoadCounters}. */
export function newMrtLoadCounters(): MrtLoadCounters {
  return { records: 0, ipv4Prefixes: 0, ipv4Entries: 0, skipped: {}, badRecords: {} };
}

/**
 * The path length given to an entry without AS_PATH: longer than any real path (an attribute of at most 65535 bytes
 * holds fewer than 16384 ASes), so such an entry wins only where no entry of the prefix has a path.
 */
export const NO_AS_PATH_LENGTH = 0xffffffff;

/** Route of one RIB entry: its AS path (undefined without AS_PATH) and next hop. */
function entryRoute(attributes: readonly BgpAttribute[]): { asPath: AsPathSegment[] | undefined; nextHop: number } {
  let asPath: AsPathSegment[] | undefined;
  let nextHop: number | undefined;
  let mpNextHop: number | undefined;
  for (const a of attributes) {
    if (a.kind === "asPath") asPath ??= a.segments;
    else if (a.kind === "nextHop") nextHop ??= a.nextHop;
    else if (a.kind === "mpReachNlri" && a.nextHop.length === 4) mpNextHop ??= readIpv4(a.nextHop, 0);
  }
  return { asPath, nextHop: nextHop ?? mpNextHop ?? 0 };
}

/**
 * Adds the best route of a RIB_IPV4_UNICAST record to `builder` (choice in the module comment) and counts the record;
 * other records are only counted.
 */
export function addMrtRecord(builder: RouteTableBuilder, record: MrtRecord, counters: MrtLoadCounters): void {
  counters.records++;
  if (record.kind !== "rib" || record.subtype !== TABLE_DUMP_V2_RIB_IPV4_UNICAST) {
    const key =
      record.kind === "peerIndexTable" ? "13/1" : `${record.kind === "rib" ? 13 : record.type}/${record.subtype}`;
    counters.skipped[key] = (counters.skipped[key] ?? 0) + 1;
    return;
  }
  counters.ipv4Prefixes++;
  counters.ipv4Entries += record.entries.length;
  let best: RouteInfo | undefined;
  for (const entry of record.entries) {
    const { asPath, nextHop } = entryRoute(entry.attributes);
    const info = routeInfoFromAsPath(nextHop, asPath ?? []);
    if (asPath === undefined) info.pathLength = NO_AS_PATH_LENGTH;
    if (best === undefined || info.pathLength < best.pathLength) best = info;
  }
  // A prefix with no entries has no route.
  if (best !== undefined) builder.add(readIpv4(record.prefix, 0), record.prefixLength, best);
}

/**
 * Adds the best route of one RIB_IPV4_UNICAST message (the same choice as {@link addMrtRecord}) read with a cursor,
 * allocating nothing per entry. Adds nothing when the message fails to decode (the cursor's WireError propagates).
 */
export function addMrtRibFrame(builder: RouteTableBuilder, cursor: MrtRibCursor, frame: MrtFrame): number {
  cursor.reset(frame.bytes, frame.offset, frame.header.length, frame.header.subtype);
  let found = false;
  let bestLength = 0;
  let nextHop = 0;
  let originAs = 0;
  let peerAs = 0;
  while (cursor.next()) {
    const length = cursor.hasAsPath ? cursor.pathLength : NO_AS_PATH_LENGTH;
    if (found && length >= bestLength) continue;
    found = true;
    bestLength = length;
    nextHop = cursor.nextHop;
    originAs = cursor.originAs;
    peerAs = cursor.peerAs;
  }
  if (found) builder.add(cursor.prefixIpv4, cursor.prefixLength, { nextHop, originAs, peerAs, pathLength: bestLength });
  return cursor.entryCount;
}
