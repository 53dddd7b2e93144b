/**
 * A scheme-independent view of a NetFlow record for display: v5 records and every v8 aggregation scheme reduced to the
 * columns an nfdump "long" line shows. Fields a scheme does not carry are absent (undefined), never invented.
 */
import { type NetflowClock, netflowRecordDurationMs, netflowUptimeToEpochMs } from "../../wire/netflow-time.ts";
import { ipv4ToString } from "../../wire/ipv4-address.ts";

/** Record fields that hold IPv4 addresses or prefixes (uint32 on the wire, dotted quads in output). */
export const ADDRESS_FIELDS: ReadonlySet<string> = new Set(["srcAddr", "dstAddr", "nextHop", "srcPrefix", "dstPrefix"]);

/** Record fields that are padding or reserved bits, left out of output. */
export const FILLER_FIELDS: ReadonlySet<string> = new Set(["pad", "pad1", "pad2", "reserved"]);

/** What one output line shows of a record. */
export interface RecordView {
  /** First packet, epoch ms. */
  firstMs: number;
  /** Duration first → last, ms. */
  durationMs: number;
  /** IANA protocol number, when the scheme carries it. */
  prot?: number;
  /** Source: address, prefix/mask, or `AS<n>`. */
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  tos?: number;
  packets: number;
  bytes: number;
  /** Flows aggregated into the record (1 for v5 and the Catalyst schemes). */
  flows: number;
}

type AnyRecord = Record<string, number>;

function endpoint(r: AnyRecord, side: "src" | "dst"): string {
  const addr = r[`${side}Addr`];
  if (addr !== undefined) return ipv4ToString(addr);
  const prefix = r[`${side}Prefix`];
  if (prefix !== undefined) return `${ipv4ToString(prefix)}/${r[`${side}Mask`] ?? 0}`;
  const as = r[`${side}As`];
  if (as !== undefined) return `AS${as}`;
  return "*";
}

/** Builds the display view of `record` using its datagram header's clock. */
export function recordView(clock: NetflowClock, record: object): RecordView {
  const r = record as AnyRecord;
  return {
    firstMs: netflowUptimeToEpochMs(clock, r.first),
    durationMs: netflowRecordDurationMs({ first: r.first, last: r.last }),
    prot: r.prot,
    src: endpoint(r, "src"),
    dst: endpoint(r, "dst"),
    srcPort: r.srcPort,
    dstPort: r.dstPort,
    tcpFlags: r.tcpFlags,
    tos: r.tos,
    packets: r.dPkts,
    bytes: r.dOctets,
    flows: r.dFlows ?? 1,
  };
}
