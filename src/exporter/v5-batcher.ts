/**
 * Finished flows → NetFlow version 5 export datagrams (spec/cflowd-v5-format.txt, Tables 15 and 16), plus the pieces
 * the v8 aggregator shares: the exporter's uptime clock ({@link ExportClock}), the route-record lookup
 * ({@link RouteLookup}, {@link resolveRoutes}) and the datagram shape ({@link ExportDatagram}).
 *
 * - Record times `first`/`last` are milliseconds of exporter uptime (since `startMs`), modulo 2^32.
 * - Header: `sysUptime` from the exporter start, `unixSecs`/`unixNsecs` from the injected clock, `flowSequence` the
 *   running total of flows exported on this stream before the datagram (mod 2^32), engine type and id as configured,
 *   sampling mode and interval from the sampler. Datagrams carry up to 30 records.
 * - Route record (`route-record`, spec/cflowd-flow-aggregation.txt): the longest-prefix match of the source address
 *   gives `srcMask` and `srcAs`, that of the destination gives `dstMask`, `dstAs` and `nextHop`; the AS is the route's
 *   origin AS or peer AS per `autonomous-system-type` (default origin). An AS above 65535 is written as AS_TRANS
 *   (23456, RFC 6793) since the fields are 16 bits. Without a route everything is 0.
 */
import { RuntimeError } from "../runtime/errors.ts";
import { encodeNetflowV5, NETFLOW_V5_MAX_RECORDS, type NetflowV5Record } from "../wire/netflow-v5.ts";
import type { FlowRecord } from "./flow-cache.ts";

/** What a route table answers for an address (the `route-table.ts` contract). */
export interface RouteLookupMatch {
  /** Length of the matching prefix, 0..32. */
  prefixLength: number;
  /** Next-hop IPv4 address, uint32. */
  nextHop: number;
  /** AS that originated the prefix. */
  originAs: number;
  /** Neighbouring AS the route was learnt from. */
  peerAs: number;
}

/** A longest-prefix-match table (the route table helper's `lookup`). */
export interface RouteLookup {
  /** The longest prefix containing `addr` (uint32), or undefined. */
  lookup(addr: number): RouteLookupMatch | undefined;
}

/** Junos `autonomous-system-type`: which AS goes into the AS fields. */
export type AutonomousSystemType = "origin" | "peer";

/** AS number written for a 4-byte AS in a 2-byte field (RFC 6793). */
export const AS_TRANS = 23456;

/** One export datagram ready to send, with the stream it belongs to. */
export interface ExportDatagram {
  /** Stream name: `v5`, or `v8-<scheme name>` (e.g. `v8-as`). */
  stream: string;
  /** The encoded datagram. */
  bytes: Uint8Array;
  /** Records in it. */
  count: number;
  /** The header's flowSequence. */
  flowSequence: number;
}

/** An export setting out of range. Code `ERR_EXPORT_OPTION`. */
export class ExportOptionError extends RuntimeError {
  constructor(message: string) {
    super("ERR_EXPORT_OPTION", message);
  }
}

const TWO_POW_32 = 4294967296;

/**
 * The exporter's uptime clock: `sysUptime` and record times are milliseconds since `startMs` (epoch ms), as uint32
 * (wrapping every 2^32 ms, about 49.7 days; times before the start wrap backwards).
 */
export class ExportClock {
  /** Exporter start, epoch ms. */
  readonly startMs: number;

  constructor(startMs: number) {
    if (!Number.isFinite(startMs)) throw new ExportOptionError(`exporter start ${startMs} is not a time`);
    this.startMs = startMs;
  }

  /** Uptime at epoch time `ms`, uint32 milliseconds. */
  uptime(ms: number): number {
    const d = Math.floor(ms - this.startMs) % TWO_POW_32;
    return d < 0 ? d + TWO_POW_32 : d;
  }

  /**
   * Rewrites the export time of a v5 or v8 datagram in place (both headers hold sysUptime, unixSecs and unixNsecs at
   * bytes 4, 8 and 12): for stamping a paced datagram when it is actually sent.
   */
  stamp(bytes: Uint8Array, nowMs: number, offset = 0): void {
    const v = new DataView(bytes.buffer, bytes.byteOffset + offset, 16);
    const t = exportTime(nowMs);
    v.setUint32(4, this.uptime(nowMs));
    v.setUint32(8, t.unixSecs);
    v.setUint32(12, t.unixNsecs);
  }
}

/** UNIX seconds and residual nanoseconds of epoch time `ms` (fractions of a millisecond kept). */
export function exportTime(ms: number): { unixSecs: number; unixNsecs: number } {
  const secs = Math.floor(ms / 1000);
  const nsecs = Math.min(999_999_999, Math.round((ms - secs * 1000) * 1e6));
  return { unixSecs: secs >>> 0, unixNsecs: nsecs };
}

/** The route-record fields of one flow, filled by {@link resolveRoutes}. */
export interface RoutedFields {
  srcMask: number;
  dstMask: number;
  srcAs: number;
  dstAs: number;
  nextHop: number;
}

function as16(as: number): number {
  return as > 0xffff ? AS_TRANS : as >>> 0;
}

/** Fills `out` (returned) with the route-record fields of `flow`; all 0 without a table or a matching route. */
export function resolveRoutes(
  flow: FlowRecord,
  routes: RouteLookup | undefined,
  asType: AutonomousSystemType,
  out: RoutedFields,
): RoutedFields {
  const src = routes?.lookup(flow.srcAddr);
  const dst = routes?.lookup(flow.dstAddr);
  out.srcMask = src === undefined ? 0 : src.prefixLength;
  out.srcAs = src === undefined ? 0 : as16(asType === "peer" ? src.peerAs : src.originAs);
  out.dstMask = dst === undefined ? 0 : dst.prefixLength;
  out.dstAs = dst === undefined ? 0 : as16(asType === "peer" ? dst.peerAs : dst.originAs);
  out.nextHop = dst === undefined ? 0 : dst.nextHop >>> 0;
  return out;
}

/** Settings of a {@link V5Batcher}. */
export interface V5BatcherOptions {
  /** The exporter's uptime clock. */
  clock: ExportClock;
  /** Current epoch time, ms (for the header's UNIX time and sysUptime). */
  now: () => number;
  /** Engine type, 0..255 (default 0). */
  engineType?: number;
  /** Engine id, 0..255 (default 0). */
  engineId?: number;
  /** Sampling mode (0..3) and interval (0..16383) for the header (default 0/0); see `Sampler.headerSampling`. */
  samplingMode?: number;
  samplingInterval?: number;
  /** Route record: AS numbers, masks and next hop (default none: zeros). */
  routes?: RouteLookup;
  /** `autonomous-system-type` (default `origin`). */
  asType?: AutonomousSystemType;
  /** flowSequence of the first datagram (default 0). */
  initialSequence?: number;
}

/** Checks that `v` is an integer in `0..max`; shared by the exporter's encoders. */
export function checkExportField(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new ExportOptionError(`${name} ${v} is not an integer in 0..${max}`);
  }
  return v;
}

/** Encodes finished flows as v5 datagrams of one stream (`v5`) with a running flow sequence. */
export class V5Batcher {
  /** Running counters: flows and datagrams encoded. */
  readonly counters = { flows: 0, datagrams: 0 };
  readonly #o: Required<Omit<V5BatcherOptions, "routes">> & { routes: RouteLookup | undefined };
  readonly #routed: RoutedFields = { srcMask: 0, dstMask: 0, srcAs: 0, dstAs: 0, nextHop: 0 };
  #sequence: number;

  /** @throws ExportOptionError `ERR_EXPORT_OPTION` for a header field out of range. */
  constructor(options: V5BatcherOptions) {
    this.#o = {
      clock: options.clock,
      now: options.now,
      engineType: checkExportField("engine type", options.engineType ?? 0, 0xff),
      engineId: checkExportField("engine id", options.engineId ?? 0, 0xff),
      samplingMode: checkExportField("sampling mode", options.samplingMode ?? 0, 3),
      samplingInterval: checkExportField("sampling interval", options.samplingInterval ?? 0, 0x3fff),
      routes: options.routes,
      asType: options.asType ?? "origin",
      initialSequence: checkExportField("initial sequence", options.initialSequence ?? 0, 0xffffffff),
    };
    this.#sequence = this.#o.initialSequence;
  }

  /** flowSequence the next datagram will carry. */
  get flowSequence(): number {
    return this.#sequence;
  }

  /** The v5 record of one flow (times as uptime, route-record fields resolved). */
  record(flow: FlowRecord): NetflowV5Record {
    const r = resolveRoutes(flow, this.#o.routes, this.#o.asType, this.#routed);
    const clock = this.#o.clock;
    return {
      srcAddr: flow.srcAddr,
      dstAddr: flow.dstAddr,
      nextHop: r.nextHop,
      input: flow.input,
      output: flow.output,
      dPkts: flow.dPkts,
      dOctets: flow.dOctets,
      first: clock.uptime(flow.firstMs),
      last: clock.uptime(flow.lastMs),
      srcPort: flow.srcPort,
      dstPort: flow.dstPort,
      pad1: 0,
      tcpFlags: flow.tcpFlags,
      prot: flow.prot,
      tos: flow.tos,
      srcAs: r.srcAs,
      dstAs: r.dstAs,
      srcMask: r.srcMask,
      dstMask: r.dstMask,
      pad2: 0,
    };
  }

  /** Encodes `flows` in order into datagrams of up to 30 records, stamped with the current time. */
  encode(flows: readonly FlowRecord[]): ExportDatagram[] {
    const out: ExportDatagram[] = [];
    const nowMs = this.#o.now();
    const { unixSecs, unixNsecs } = exportTime(nowMs);
    const sysUptime = this.#o.clock.uptime(nowMs);
    for (let i = 0; i < flows.length; i += NETFLOW_V5_MAX_RECORDS) {
      const records = flows.slice(i, i + NETFLOW_V5_MAX_RECORDS).map((f) => this.record(f));
      const flowSequence = this.#sequence;
      const header = {
        version: 5 as const,
        count: records.length,
        sysUptime,
        unixSecs,
        unixNsecs,
        flowSequence,
        engineType: this.#o.engineType,
        engineId: this.#o.engineId,
        samplingMode: this.#o.samplingMode,
        samplingInterval: this.#o.samplingInterval,
      };
      const bytes = encodeNetflowV5({ header, records, padding: 0 });
      this.#sequence = (this.#sequence + records.length) % TWO_POW_32;
      this.counters.flows += records.length;
      this.counters.datagrams++;
      out.push({ stream: "v5", bytes, count: records.length, flowSequence });
    }
    return out;
  }
}
