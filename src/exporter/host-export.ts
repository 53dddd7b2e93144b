/**
 * One cflowd host of `[edit forwarding-options sampling output]` (spec/cflowd-flow-aggregation.txt): the flows that
 * ended during a collection period are kept (version 5) or aggregated by each configured scheme (version 8); when the
 * period closes they are encoded into datagrams and handed to the host's {@link ExportPacer}, which spreads them over
 * the following period. Each host has its own flow sequence per stream (`v5`, or one `v8-<scheme>` per aggregation)
 * and counts what it exported per stream.
 */
import type { NetflowV8MaskOrder } from "../wire/netflow-v8.ts";
import { netflowV8Layout } from "../wire/netflow-v8.ts";
import { ExportPacer } from "./export-pacer.ts";
import type { FlowRecord } from "./flow-cache.ts";
import type { HeaderSampling } from "./sampler.ts";
import {
  type AutonomousSystemType,
  type ExportClock,
  type ExportDatagram,
  type RouteLookup,
  V5Batcher,
} from "./v5-batcher.ts";
import { type V8AggregationScheme, V8Aggregator } from "./v8-aggregator.ts";

/** Records and datagrams handed to the socket on one stream. */
export interface StreamCounters {
  /** Stream name: `v5` or `v8-<scheme>` (`v8-as`, `v8-protocol-port`...). */
  readonly stream: string;
  /** Records (v5 flows or v8 aggregates) exported. */
  records: number;
  /** Datagrams exported. */
  datagrams: number;
}

/** Settings of a {@link HostExport}. */
export interface HostExportOptions {
  /** `host:port`, the host's name in metrics, logs and summaries. */
  name: string;
  /** 5: flow records; 8: aggregates of `schemes`. */
  version: 5 | 8;
  /** Version 8 schemes (at least one). */
  schemes?: readonly V8AggregationScheme[];
  /** `caida-compliant`: destination mask byte first in scheme 5. */
  caidaCompliant?: boolean;
  /** The exporter's uptime clock. */
  clock: ExportClock;
  /** The exporter's current time, epoch ms (header times at encoding; rewritten when sent). */
  now: () => number;
  /** Header engine type and id, 0..255. */
  engineType: number;
  engineId: number;
  /** The sampler's v5 header field. */
  sampling: HeaderSampling;
  /** Route record (AS numbers, masks, next hop). */
  routes?: RouteLookup;
  /** `autonomous-system-type`. */
  asType: AutonomousSystemType;
  /** Collection period and export spread, ms. */
  periodMs: number;
  /** Start of the first collection period, epoch ms. */
  startMs: number;
  /** Whether datagrams to this host go to the local dump. */
  localDump: boolean;
}

/** One cflowd host's export: period buffer or aggregation, encoding, pacing and counters. */
export class HostExport {
  /** `host:port`. */
  readonly name: string;
  /** Export version. */
  readonly version: 5 | 8;
  /** Whether datagrams go to the local dump. */
  readonly localDump: boolean;
  /** Mask order of scheme 5 (for decoding what was sent, e.g. for the local dump). */
  readonly maskOrder: NetflowV8MaskOrder;
  /** Counters per stream, in configuration order. */
  readonly streams: StreamCounters[];
  readonly #v5: V5Batcher | undefined;
  readonly #v8: V8Aggregator | undefined;
  readonly #schemes: readonly V8AggregationScheme[];
  readonly #pacer: ExportPacer<ExportDatagram>;
  readonly #byStream = new Map<string, StreamCounters>();
  #flows: FlowRecord[] = [];

  /** @throws ExportOptionError `ERR_EXPORT_OPTION` for a header field out of range or bad schemes. */
  constructor(o: HostExportOptions) {
    this.name = o.name;
    this.version = o.version;
    this.localDump = o.localDump;
    this.maskOrder = o.caidaCompliant === true ? "caida" : "default";
    this.#schemes = o.schemes ?? [];
    const common = { clock: o.clock, now: o.now, engineType: o.engineType, engineId: o.engineId };
    const route = { routes: o.routes, asType: o.asType };
    if (o.version === 5) {
      this.#v5 = new V5Batcher({ ...common, ...route, ...o.sampling });
      this.streams = [{ stream: "v5", records: 0, datagrams: 0 }];
    } else {
      this.#v8 = new V8Aggregator({ ...common, ...route, schemes: this.#schemes, caidaCompliant: o.caidaCompliant });
      this.streams = this.#schemes.map((s) => ({ stream: `v8-${netflowV8Layout(s)?.name}`, records: 0, datagrams: 0 }));
    }
    for (const s of this.streams) this.#byStream.set(s.stream, s);
    this.#pacer = new ExportPacer({ periodMs: o.periodMs, startMs: o.startMs });
  }

  /** Takes flows that ended during the current collection period. */
  addFlows(flows: readonly FlowRecord[]): void {
    if (this.#v8 !== undefined) this.#v8.addAll(flows);
    else for (const f of flows) this.#flows.push(f);
  }

  /**
   * Closes the collection period at `nowMs`: encodes what it gathered and queues the datagrams, spread over the next
   * period. Returns the number of datagrams queued.
   */
  closePeriod(nowMs: number): number {
    let datagrams: ExportDatagram[];
    if (this.#v8 !== undefined) datagrams = this.#v8.drain();
    else {
      datagrams = this.#v5!.encode(this.#flows);
      this.#flows = [];
    }
    this.#pacer.closePeriod(datagrams, nowMs);
    return datagrams.length;
  }

  /** Whether nothing is gathered or queued (time may jump over idle periods). */
  get idle(): boolean {
    if (this.#pacer.pending > 0 || this.#flows.length > 0) return false;
    return this.#v8 === undefined || this.#schemes.every((s) => this.#v8!.size(s) === 0);
  }

  /** Datagrams queued and not yet due. */
  get pending(): number {
    return this.#pacer.pending;
  }

  /** Epoch ms at which the next queued datagram is due, or undefined. */
  nextDueMs(): number | undefined {
    return this.#pacer.nextDueMs();
  }

  /** Removes and returns the datagrams due at `nowMs`, oldest first. */
  takeDue(nowMs: number, out: ExportDatagram[] = []): ExportDatagram[] {
    return this.#pacer.due(nowMs, out);
  }

  /** Removes and returns every queued datagram, in order. */
  takeAll(out: ExportDatagram[] = []): ExportDatagram[] {
    return this.#pacer.flush(out);
  }

  /** Counts a datagram as exported on its stream. */
  noteExported(d: ExportDatagram): void {
    const s = this.#byStream.get(d.stream);
    if (s === undefined) return;
    s.records += d.count;
    s.datagrams++;
  }
}
