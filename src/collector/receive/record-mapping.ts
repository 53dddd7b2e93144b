/**
 * NetFlow v5 records and the records of every v8 aggregation scheme as the per-flow fields of the collector record line
 * (flow-collector.txt Table 2, fields 5 to 16: source-address … dst_AS_number). The table of docs/collector.md,
 * "Records from v5 and v8", is {@link NETFLOW_V8_FLOW_SOURCES}:
 *
 * - addresses: the record's address, else its prefix (the network address the exporter sent, not re-masked), else 0;
 * - packets, bytes: `dPkts`, `dOctets` (a v8 aggregate's totals; its flow count `dFlows` has no field in the line);
 * - start-time, end-time: `first`, `last` converted from the exporter's uptime to UNIX seconds (rounded down) by the
 *   header's clock, across the uptime wrap (`netflow-time.ts`), clamped to 0..2^32-1;
 * - ports, `tcp_flag`, protocol, AS numbers: as read (for ICMP the destination port holds type << 8 | code, as the
 *   exporter put it); 0 where the record has no such field (no v8 scheme carries TCP flags).
 *
 * Masks and ToS are not fields of the line, so the v8 mask order (`mask-order`) changes nothing here. Two ways in:
 * {@link mapNetflowV5Record} / {@link mapNetflowV8RecordAt} read in place into a reused object (the hot path, with
 * `flow-reader.ts`), {@link collectorFlowFieldsOf} maps a decoded datagram into new objects (tools and tests).
 */
import type { CollectorFlowFields } from "../../wire/collector-record.ts";
import { isNetflowV5, type NetflowDatagram } from "../../wire/netflow.ts";
import { type NetflowClock, netflowUptimeToEpochMs } from "../../wire/netflow-time.ts";
import type { NetflowV5Record } from "../../wire/netflow-v5.ts";
import {
  NETFLOW_V8_SCHEMES,
  type NetflowV8Header,
  type NetflowV8Record,
  type NetflowV8Scheme,
} from "../../wire/netflow-v8.ts";

/** A new all-zero {@link CollectorFlowFields}, to be reused as the scratch record of a reader. */
export function newCollectorFlowFields(): CollectorFlowFields {
  return {
    sourceAddress: 0,
    destinationAddress: 0,
    packets: 0,
    bytes: 0,
    startTime: 0,
    endTime: 0,
    sourcePort: 0,
    destinationPort: 0,
    tcpFlag: 0,
    protocol: 0,
    srcAsNumber: 0,
    dstAsNumber: 0,
  };
}

const MAX_UNIX_SECONDS = 0xffff_ffff;

/**
 * A record uptime (`first` or `last`, ms) as UNIX seconds (rounded down) under the datagram's clock, clamped to the
 * line's range 0..2^32-1 (only a nonsensical header clock reaches the clamp).
 */
export function recordUnixSeconds(clock: NetflowClock, uptimeMs: number): number {
  const s = Math.floor(netflowUptimeToEpochMs(clock, uptimeMs) / 1000);
  return Math.max(0, Math.min(s, MAX_UNIX_SECONDS));
}

/** The v5 record fields the line needs (a `NetflowV5Record`, or the `NetflowV5Cursor` positioned on a record). */
export type NetflowV5FlowSource = Pick<
  Readonly<NetflowV5Record>,
  | "srcAddr"
  | "dstAddr"
  | "dPkts"
  | "dOctets"
  | "first"
  | "last"
  | "srcPort"
  | "dstPort"
  | "tcpFlags"
  | "prot"
  | "srcAs"
  | "dstAs"
>;

/** Fills `out` from one v5 record under the datagram's `clock` and returns `out` (nothing allocated). */
export function mapNetflowV5Record(
  clock: NetflowClock,
  r: NetflowV5FlowSource,
  out: CollectorFlowFields,
): CollectorFlowFields {
  out.sourceAddress = r.srcAddr;
  out.destinationAddress = r.dstAddr;
  out.packets = r.dPkts;
  out.bytes = r.dOctets;
  out.startTime = recordUnixSeconds(clock, r.first);
  out.endTime = recordUnixSeconds(clock, r.last);
  out.sourcePort = r.srcPort;
  out.destinationPort = r.dstPort;
  out.tcpFlag = r.tcpFlags;
  out.protocol = r.prot;
  out.srcAsNumber = r.srcAs;
  out.dstAsNumber = r.dstAs;
  return out;
}

/** The line's per-flow fields, in line order. */
export const COLLECTOR_FLOW_FIELD_NAMES = [
  "sourceAddress",
  "destinationAddress",
  "packets",
  "bytes",
  "startTime",
  "endTime",
  "sourcePort",
  "destinationPort",
  "tcpFlag",
  "protocol",
  "srcAsNumber",
  "dstAsNumber",
] as const satisfies readonly (keyof CollectorFlowFields)[];

/** One of {@link COLLECTOR_FLOW_FIELD_NAMES}. */
export type CollectorFlowFieldName = (typeof COLLECTOR_FLOW_FIELD_NAMES)[number];

/** For each line field: the wire field names that may fill it, in order of preference, and their size in bytes. */
const WIRE_SOURCES: Record<CollectorFlowFieldName, readonly [names: readonly string[], size: 1 | 2 | 4]> = {
  sourceAddress: [["srcAddr", "srcPrefix"], 4],
  destinationAddress: [["dstAddr", "dstPrefix"], 4],
  packets: [["dPkts"], 4],
  bytes: [["dOctets"], 4],
  startTime: [["first"], 4],
  endTime: [["last"], 4],
  sourcePort: [["srcPort"], 2],
  destinationPort: [["dstPort"], 2],
  tcpFlag: [["tcpFlags"], 1],
  protocol: [["prot"], 1],
  srcAsNumber: [["srcAs"], 2],
  dstAsNumber: [["dstAs"], 2],
};

/**
 * Where one v8 scheme's record keeps each line field: byte offsets within the record, -1 where the scheme has no such
 * field (the line gets 0). The same for both mask orders (masks are not line fields).
 */
export interface NetflowV8FlowLayout {
  readonly scheme: NetflowV8Scheme;
  readonly recordLength: number;
  readonly sourceAddress: number;
  readonly destinationAddress: number;
  readonly packets: number;
  readonly bytes: number;
  readonly startTime: number;
  readonly endTime: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly tcpFlag: number;
  readonly protocol: number;
  readonly srcAsNumber: number;
  readonly dstAsNumber: number;
}

/**
 * For each scheme 1..14 (index = scheme, index 0 unused): the v8 field that fills each line field, or null (the line
 * gets 0). The table of docs/collector.md, "Records from v5 and v8", derived from the wire layouts.
 */
export const NETFLOW_V8_FLOW_SOURCES: readonly (Readonly<Record<CollectorFlowFieldName, string | null>> | undefined)[] =
  Object.freeze([undefined, ...NETFLOW_V8_SCHEMES.map((l) => Object.freeze(sourcesOf(l.fields)))]);

function sourcesOf(fields: readonly { name: string }[]): Record<CollectorFlowFieldName, string | null> {
  const out = {} as Record<CollectorFlowFieldName, string | null>;
  for (const target of COLLECTOR_FLOW_FIELD_NAMES) {
    const [names] = WIRE_SOURCES[target];
    out[target] = names.find((n) => fields.some((f) => f.name === n)) ?? null;
  }
  return out;
}

function flowLayoutOf(layout: (typeof NETFLOW_V8_SCHEMES)[number]): NetflowV8FlowLayout {
  const offsets = {} as Record<CollectorFlowFieldName, number>;
  const sources = sourcesOf(layout.fields);
  for (const target of COLLECTOR_FLOW_FIELD_NAMES) {
    const name = sources[target];
    const field = layout.fields.find((f) => f.name === name);
    const size = WIRE_SOURCES[target][1];
    if (field !== undefined && field.size !== size) {
      throw new Error(`v8 scheme ${layout.scheme}: ${field.name} is ${field.size} bytes, the mapping reads ${size}`);
    }
    offsets[target] = field === undefined ? -1 : field.offset;
  }
  if (offsets.startTime < 0 || offsets.endTime < 0 || offsets.packets < 0 || offsets.bytes < 0) {
    throw new Error(`v8 scheme ${layout.scheme} lacks counters or times`);
  }
  return Object.freeze({ scheme: layout.scheme, recordLength: layout.recordLength, ...offsets });
}

/** The {@link NetflowV8FlowLayout} of every scheme, indexed by scheme number (index 0 unused). */
export const NETFLOW_V8_FLOW_LAYOUTS: readonly (NetflowV8FlowLayout | undefined)[] = Object.freeze([
  undefined,
  ...NETFLOW_V8_SCHEMES.map(flowLayoutOf),
]);

/**
 * Fills `out` from the v8 record at absolute byte `p` of `view`, laid out as `layout` says, under the datagram's
 * `clock`, and returns `out`. Bounds are the caller's (a validated header); nothing is allocated.
 */
export function mapNetflowV8RecordAt(
  view: DataView,
  p: number,
  layout: NetflowV8FlowLayout,
  clock: NetflowClock,
  out: CollectorFlowFields,
): CollectorFlowFields {
  const L = layout;
  out.sourceAddress = L.sourceAddress < 0 ? 0 : view.getUint32(p + L.sourceAddress);
  out.destinationAddress = L.destinationAddress < 0 ? 0 : view.getUint32(p + L.destinationAddress);
  out.packets = view.getUint32(p + L.packets);
  out.bytes = view.getUint32(p + L.bytes);
  out.startTime = recordUnixSeconds(clock, view.getUint32(p + L.startTime));
  out.endTime = recordUnixSeconds(clock, view.getUint32(p + L.endTime));
  out.sourcePort = L.sourcePort < 0 ? 0 : view.getUint16(p + L.sourcePort);
  out.destinationPort = L.destinationPort < 0 ? 0 : view.getUint16(p + L.destinationPort);
  out.tcpFlag = L.tcpFlag < 0 ? 0 : view.getUint8(p + L.tcpFlag);
  out.protocol = L.protocol < 0 ? 0 : view.getUint8(p + L.protocol);
  out.srcAsNumber = L.srcAsNumber < 0 ? 0 : view.getUint16(p + L.srcAsNumber);
  out.dstAsNumber = L.dstAsNumber < 0 ? 0 : view.getUint16(p + L.dstAsNumber);
  return out;
}

/** Fills `out` from one decoded v8 record of the datagram with `header`, and returns `out`. */
export function mapNetflowV8Record(
  header: NetflowV8Header,
  record: NetflowV8Record,
  out: CollectorFlowFields,
): CollectorFlowFields {
  const sources = NETFLOW_V8_FLOW_SOURCES[header.aggregation];
  if (sources === undefined) throw new RangeError(`not a NetFlow v8 scheme: ${header.aggregation}`);
  const rec = record as unknown as Record<string, number>;
  for (const target of COLLECTOR_FLOW_FIELD_NAMES) {
    const name = sources[target];
    out[target] = name === null ? 0 : rec[name];
  }
  out.startTime = recordUnixSeconds(header, out.startTime);
  out.endTime = recordUnixSeconds(header, out.endTime);
  return out;
}

/** Every record of a decoded v5 or v8 datagram as new {@link CollectorFlowFields} objects, in datagram order. */
export function collectorFlowFieldsOf(datagram: NetflowDatagram): CollectorFlowFields[] {
  if (isNetflowV5(datagram)) {
    return datagram.records.map((r) => mapNetflowV5Record(datagram.header, r, newCollectorFlowFields()));
  }
  return datagram.records.map((r) => mapNetflowV8Record(datagram.header, r, newCollectorFlowFields()));
}
