/**
 * NetFlow version 8 router-based aggregation as Junos cflowd exports it (spec/cflowd-flow-aggregation.txt, the
 * `aggregation { autonomous-system; protocol-port; source-prefix; destination-prefix; source-destination-prefix {
 * caida-compliant; } }` statement): finished flows are combined by each configured scheme's key into aggregate
 * records carrying the number of flows (`dFlows`), summed `dPkts`/`dOctets` and the earliest `first` and latest
 * `last`. Each scheme is its own export stream (`v8-<name>`) with its own flow sequence, which counts the aggregate
 * records exported on it; datagrams respect each scheme's maximum record count (51, 51, 44, 44, 35).
 *
 * Keys (prefixes are the address masked to the route's prefix length; AS numbers origin or peer per
 * `autonomous-system-type`; no route gives mask 0, prefix 0 and AS 0):
 * 1 autonomous-system: srcAs, dstAs, input, output · 2 protocol-port: prot, srcPort, dstPort · 3 source-prefix:
 * srcPrefix, srcMask, srcAs, input · 4 destination-prefix: dstPrefix, dstMask, dstAs, output · 5
 * source-destination-prefix: both prefixes and masks, both AS numbers, input, output. With `caida-compliant` scheme 5
 * writes the destination mask byte first (cflowd 2.1b1), otherwise the source mask first (cflowd Configuration Guide).
 *
 * The tables hold keys and counters in typed arrays with numeric hashing (no object or string per flow). Aggregates
 * are kept until {@link V8Aggregator.drain}, normally at the end of each collection period. An aggregate whose
 * counters would pass 2^32 - 1 is closed and a new one started with the same key (both are exported).
 */
import { encodeNetflowV8, type NetflowV8Datagram, type NetflowV8Record, netflowV8Layout } from "../wire/netflow-v8.ts";
import type { FlowRecord } from "./flow-cache.ts";
import { flowKeyHash } from "./flow-cache.ts";
import {
  type AutonomousSystemType,
  checkExportField,
  type ExportClock,
  type ExportDatagram,
  ExportOptionError,
  exportTime,
  type RoutedFields,
  type RouteLookup,
  resolveRoutes,
} from "./v5-batcher.ts";

/** The five Junos aggregation schemes (v8 scheme numbers 1-5). */
export type V8AggregationScheme = 1 | 2 | 3 | 4 | 5;

/** Junos aggregation statement names → v8 scheme numbers. */
export const JUNOS_AGGREGATION_SCHEMES = {
  "autonomous-system": 1,
  "protocol-port": 2,
  "source-prefix": 3,
  "destination-prefix": 4,
  "source-destination-prefix": 5,
} as const satisfies Record<string, V8AggregationScheme>;

/** Settings of a {@link V8Aggregator}. */
export interface V8AggregatorOptions {
  /** Schemes to aggregate, each exported as its own stream (at least one, no repeats). */
  schemes: readonly V8AggregationScheme[];
  /** `caida-compliant` under source-destination-prefix: destination mask byte first (default false). */
  caidaCompliant?: boolean;
  /** The exporter's uptime clock. */
  clock: ExportClock;
  /** Current epoch time, ms (for the header). */
  now: () => number;
  /** Engine type and id, 0..255 (default 0). */
  engineType?: number;
  engineId?: number;
  /** Route record (default none: masks, prefixes and AS numbers 0). */
  routes?: RouteLookup;
  /** `autonomous-system-type` (default `origin`). */
  asType?: AutonomousSystemType;
}

const U32_MAX = 0xffffffff;
const TWO_POW_32 = 4294967296;
const NIL = -1;

/** How one scheme keys flows and spells its records. */
interface SchemeKey {
  /** Key width in 32-bit words. */
  readonly words: number;
  /** Writes the key of `f` (with its route fields `r`) into `k`. */
  key(f: FlowRecord, r: RoutedFields, k: Uint32Array): void;
  /** The key fields of the record whose key starts at `k[at]`. */
  fields(k: Uint32Array, at: number): Record<string, number>;
}

function prefix(addr: number, length: number): number {
  return length === 0 ? 0 : (addr & (U32_MAX << (32 - length))) >>> 0;
}

const KEYS: Record<V8AggregationScheme, SchemeKey> = {
  1: {
    words: 2,
    key: (f, r, k) => {
      k[0] = (r.srcAs << 16) | r.dstAs;
      k[1] = (f.input << 16) | f.output;
    },
    fields: (k, at) => ({
      srcAs: k[at] >>> 16,
      dstAs: k[at] & 0xffff,
      input: k[at + 1] >>> 16,
      output: k[at + 1] & 0xffff,
    }),
  },
  2: {
    words: 2,
    key: (f, _r, k) => {
      k[0] = f.prot;
      k[1] = (f.srcPort << 16) | f.dstPort;
    },
    fields: (k, at) => ({ prot: k[at], pad: 0, reserved: 0, srcPort: k[at + 1] >>> 16, dstPort: k[at + 1] & 0xffff }),
  },
  3: {
    words: 3,
    key: (f, r, k) => {
      k[0] = prefix(f.srcAddr, r.srcMask);
      k[1] = (r.srcMask << 16) | r.srcAs;
      k[2] = f.input;
    },
    fields: (k, at) => ({
      srcPrefix: k[at],
      srcMask: k[at + 1] >>> 16,
      pad: 0,
      srcAs: k[at + 1] & 0xffff,
      input: k[at + 2],
      reserved: 0,
    }),
  },
  4: {
    words: 3,
    key: (f, r, k) => {
      k[0] = prefix(f.dstAddr, r.dstMask);
      k[1] = (r.dstMask << 16) | r.dstAs;
      k[2] = f.output;
    },
    fields: (k, at) => ({
      dstPrefix: k[at],
      dstMask: k[at + 1] >>> 16,
      pad: 0,
      dstAs: k[at + 1] & 0xffff,
      output: k[at + 2],
      reserved: 0,
    }),
  },
  5: {
    words: 5,
    key: (f, r, k) => {
      k[0] = prefix(f.srcAddr, r.srcMask);
      k[1] = prefix(f.dstAddr, r.dstMask);
      k[2] = (r.srcMask << 8) | r.dstMask;
      k[3] = (r.srcAs << 16) | r.dstAs;
      k[4] = (f.input << 16) | f.output;
    },
    fields: (k, at) => ({
      srcPrefix: k[at],
      dstPrefix: k[at + 1],
      srcMask: k[at + 2] >>> 8,
      dstMask: k[at + 2] & 0xff,
      reserved: 0,
      srcAs: k[at + 3] >>> 16,
      dstAs: k[at + 3] & 0xffff,
      input: k[at + 4] >>> 16,
      output: k[at + 4] & 0xffff,
    }),
  },
};

function hashKey(k: Uint32Array, words: number): number {
  return flowKeyHash(k[0], k[1], words > 2 ? k[2] : 0, words > 3 ? (k[3] ^ Math.imul(k[4], 0x9e3779b1)) >>> 0 : 0);
}

/** Aggregates of one scheme: dense entries in insertion order, indexed by open addressing. */
class AggregateTable {
  readonly words: number;
  size = 0;
  keys: Uint32Array;
  hashes: Uint32Array;
  flows: Float64Array;
  pkts: Float64Array;
  octets: Float64Array;
  first: Float64Array;
  last: Float64Array;
  index: Int32Array;
  /** Aggregates closed early because a counter would overflow, as finished records (exported first). */
  closed: Record<string, number>[] = [];

  constructor(words: number, capacity = 64) {
    this.words = words;
    this.keys = new Uint32Array(capacity * words);
    this.hashes = new Uint32Array(capacity);
    this.flows = new Float64Array(capacity);
    this.pkts = new Float64Array(capacity);
    this.octets = new Float64Array(capacity);
    this.first = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.index = new Int32Array(capacity * 2).fill(NIL);
  }

  /** Entry id of key `k` (hash `h`), created with zero counters when new. */
  upsert(k: Uint32Array, h: number): number {
    const w = this.words;
    const mask = this.index.length - 1;
    let i = h & mask;
    for (let e = this.index[i]; e !== NIL; i = (i + 1) & mask, e = this.index[i]) {
      if (this.hashes[e] !== h) continue;
      let same = true;
      for (let j = 0; j < w && same; j++) same = this.keys[e * w + j] === k[j];
      if (same) return e;
    }
    if (this.size === this.hashes.length) {
      this.#grow();
      return this.upsert(k, h);
    }
    const e = this.size++;
    this.index[i] = e;
    this.hashes[e] = h;
    for (let j = 0; j < w; j++) this.keys[e * w + j] = k[j];
    this.flows[e] = 0;
    this.pkts[e] = 0;
    this.octets[e] = 0;
    this.first[e] = Number.POSITIVE_INFINITY;
    this.last[e] = Number.NEGATIVE_INFINITY;
    return e;
  }

  clear(): void {
    this.size = 0;
    this.index.fill(NIL);
    this.closed = [];
  }

  #grow(): void {
    const cap = this.hashes.length * 2;
    const grown = <T extends Uint32Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.keys = grown(this.keys, cap * this.words);
    this.hashes = grown(this.hashes, cap);
    this.flows = grown(this.flows, cap);
    this.pkts = grown(this.pkts, cap);
    this.octets = grown(this.octets, cap);
    this.first = grown(this.first, cap);
    this.last = grown(this.last, cap);
    this.index = new Int32Array(cap * 2).fill(NIL);
    const mask = this.index.length - 1;
    for (let e = 0; e < this.size; e++) {
      let i = this.hashes[e] & mask;
      while (this.index[i] !== NIL) i = (i + 1) & mask;
      this.index[i] = e;
    }
  }
}

/** One scheme's stream: its table and its running flow sequence. */
interface Stream {
  readonly scheme: V8AggregationScheme;
  readonly def: SchemeKey;
  readonly table: AggregateTable;
  sequence: number;
}

/** Aggregates finished flows by the configured Junos schemes and encodes each scheme's aggregates as v8 datagrams. */
export class V8Aggregator {
  /** Running counters: flows added, aggregate records and datagrams encoded. */
  readonly counters = { flows: 0, records: 0, datagrams: 0 };
  readonly #streams: Stream[];
  readonly #options: V8AggregatorOptions;
  readonly #engineType: number;
  readonly #engineId: number;
  readonly #routed: RoutedFields = { srcMask: 0, dstMask: 0, srcAs: 0, dstAs: 0, nextHop: 0 };
  readonly #key = new Uint32Array(5);

  /** @throws ExportOptionError `ERR_EXPORT_OPTION` for an unknown or repeated scheme or a header field out of range. */
  constructor(options: V8AggregatorOptions) {
    if (options.schemes.length === 0) throw new ExportOptionError("v8 aggregation needs at least one scheme");
    const seen = new Set<number>();
    this.#streams = options.schemes.map((scheme) => {
      if (!(scheme in KEYS) || seen.has(scheme)) {
        throw new ExportOptionError(`v8 aggregation scheme ${scheme} is unknown or repeated (1..5 each once)`);
      }
      seen.add(scheme);
      const def = KEYS[scheme];
      return { scheme, def, table: new AggregateTable(def.words), sequence: 0 };
    });
    this.#options = options;
    this.#engineType = checkExportField("engine type", options.engineType ?? 0, 0xff);
    this.#engineId = checkExportField("engine id", options.engineId ?? 0, 0xff);
  }

  /** Flow sequence the next datagram of `scheme` will carry (0 for a scheme not configured). */
  flowSequence(scheme: V8AggregationScheme): number {
    return this.#streams.find((s) => s.scheme === scheme)?.sequence ?? 0;
  }

  /** Aggregates held now for `scheme`. */
  size(scheme: V8AggregationScheme): number {
    const s = this.#streams.find((x) => x.scheme === scheme);
    return s === undefined ? 0 : s.table.size + s.table.closed.length;
  }

  /** Adds one finished flow to every configured scheme (one route lookup per address). */
  add(flow: FlowRecord): void {
    this.counters.flows++;
    const r = resolveRoutes(flow, this.#options.routes, this.#options.asType ?? "origin", this.#routed);
    const k = this.#key;
    for (const s of this.#streams) {
      s.def.key(flow, r, k);
      const t = s.table;
      const e = t.upsert(k, hashKey(k, s.def.words));
      if (t.flows[e] + 1 > U32_MAX || t.pkts[e] + flow.dPkts > U32_MAX || t.octets[e] + flow.dOctets > U32_MAX) {
        t.closed.push(this.#record(s, e));
        t.flows[e] = 0;
        t.pkts[e] = 0;
        t.octets[e] = 0;
        t.first[e] = Number.POSITIVE_INFINITY;
        t.last[e] = Number.NEGATIVE_INFINITY;
      }
      t.flows[e]++;
      t.pkts[e] += flow.dPkts;
      t.octets[e] += flow.dOctets;
      if (flow.firstMs < t.first[e]) t.first[e] = flow.firstMs;
      if (flow.lastMs > t.last[e]) t.last[e] = flow.lastMs;
    }
  }

  /** Adds every flow of `flows`. */
  addAll(flows: readonly FlowRecord[]): void {
    for (const f of flows) this.add(f);
  }

  /**
   * Encodes every aggregate held, scheme by scheme in the configured order (within a scheme: aggregates closed early,
   * then the rest in order of creation), into datagrams of at most the scheme's maximum, and empties the tables.
   */
  drain(): ExportDatagram[] {
    const out: ExportDatagram[] = [];
    const nowMs = this.#options.now();
    for (const s of this.#streams) {
      const t = s.table;
      const records = t.closed;
      for (let e = 0; e < t.size; e++) records.push(this.#record(s, e));
      this.#encode(s, records, nowMs, out);
      t.clear();
    }
    return out;
  }

  #record(s: Stream, e: number): Record<string, number> {
    const t = s.table;
    const clock = this.#options.clock;
    return {
      dFlows: t.flows[e],
      dPkts: t.pkts[e],
      dOctets: t.octets[e],
      first: clock.uptime(t.first[e]),
      last: clock.uptime(t.last[e]),
      ...s.def.fields(t.keys, e * s.def.words),
    };
  }

  #encode(s: Stream, records: Record<string, number>[], nowMs: number, out: ExportDatagram[]): void {
    const layout = netflowV8Layout(s.scheme)!;
    const { unixSecs, unixNsecs } = exportTime(nowMs);
    const sysUptime = this.#options.clock.uptime(nowMs);
    const maskOrder = this.#options.caidaCompliant === true ? "caida" : "default";
    for (let i = 0; i < records.length; i += layout.maxRecords) {
      const chunk = records.slice(i, i + layout.maxRecords) as unknown as NetflowV8Record[];
      const flowSequence = s.sequence;
      const header = {
        version: 8 as const,
        count: chunk.length,
        sysUptime,
        unixSecs,
        unixNsecs,
        flowSequence,
        engineType: this.#engineType,
        engineId: this.#engineId,
        aggregation: s.scheme,
        aggVersion: 2,
        reserved: 0,
      };
      const datagram = { header, records: chunk, padding: 0 } as NetflowV8Datagram;
      const bytes = encodeNetflowV8(datagram, undefined, 0, { maskOrder });
      s.sequence = (s.sequence + chunk.length) % TWO_POW_32;
      this.counters.records += chunk.length;
      this.counters.datagrams++;
      out.push({ stream: `v8-${layout.name}`, bytes, count: chunk.length, flowSequence });
    }
  }
}
