/**
 * Loss and reordering of NetFlow datagrams from their flow sequence numbers. Each v5/v8 header carries
 * `flowSequence`, the count of flows the exporter sent before this datagram (spec/cflowd-v5-format.txt, Table 15:
 * "sequence number of total flows"), so the next datagram of the same stream should carry `flowSequence + count`
 * modulo 2^32. Streams are keyed by exporter and engine (engine type and id), plus an optional stream tag (v8 keeps
 * one sequence per aggregation cache, so collectors pass the version and scheme).
 *
 * Each datagram is classified as: `first` of its stream; `in-order`; `lost` (a forward gap of at most `maxGap` flows
 * is counted as that many flows lost); `out-of-order` (a late datagram, at most `reorderWindow` flows behind what was
 * expected; it does not move the expectation, and its records are credited back against the loss counted for the gap
 * it fills); or `reset` (a jump beyond those windows either way, or an exporter restart seen as its uptime going
 * backwards), after which the stream resynchronises. All arithmetic is modulo 2^32, so neither the counter wrap nor
 * reordering is ever mistaken for billions of lost flows. Pure: no clock, no I/O; the state is the tracker's map.
 */

/** How a datagram relates to its stream. */
export type SequenceKind = "first" | "in-order" | "lost" | "out-of-order" | "reset";

/** What the tracker needs from one datagram. */
export interface SequenceObservation {
  /** The exporter's identity, e.g. `"192.0.2.1:2055"` (the collector's choice; compared as a string). */
  exporter: string;
  /** Header engine type, uint8. */
  engineType: number;
  /** Header engine id, uint8. */
  engineId: number;
  /** Extra key part, e.g. `"v8/5"`: streams with different tags are tracked apart (default none). */
  stream?: string;
  /** Header flow sequence number, uint32. */
  flowSequence: number;
  /** Records in the datagram. */
  count: number;
  /** Header sysUptime (ms), to recognise an exporter restart; omit to rely on the sequence alone. */
  sysUptime?: number;
}

/** The classification of one datagram. */
export interface SequenceVerdict {
  kind: SequenceKind;
  /** Flows missing before this datagram (`lost` only, else 0). */
  lost: number;
  /** Flows this datagram lies behind the expected sequence (`out-of-order` only, else 0). */
  late: number;
  /** Why the stream was reset: a sequence jump or an exporter restart (`reset` only). */
  reason?: "jump" | "restart";
  /** The sequence number that was expected (undefined for `first`). */
  expected?: number;
}

/** Running counters of one stream. */
export interface SequenceCounters {
  /** Datagrams seen. */
  datagrams: number;
  /** Records (flows) carried by those datagrams. */
  records: number;
  /** Datagrams classified in order (including the first). */
  inOrder: number;
  /** Gaps seen (datagrams classified `lost`). */
  lossEvents: number;
  /** Flows counted missing in those gaps. */
  lostRecords: number;
  /** Late datagrams (`out-of-order`). */
  outOfOrder: number;
  /** Records that arrived in late datagrams. */
  lateRecords: number;
  /** Resets of the stream (jumps and restarts). */
  resets: number;
  /** Of those, restarts recognised from the uptime. */
  restarts: number;
  /** Net flows lost: lostRecords minus the records of late datagrams (which may fill counted gaps), never below 0. */
  netLostRecords: number;
}

/** Tuning of a {@link SequenceTracker}; the defaults suit v5/v8 exporters. */
export interface SequenceTrackerOptions {
  /** Largest forward gap, in flows, counted as loss; a bigger jump is a reset (default 1,000,000). */
  maxGap?: number;
  /** How many flows behind the expected sequence a datagram may be and still count as late (default 10,000). */
  reorderWindow?: number;
  /** How far (ms) the uptime may go backwards before it means a restart (default 60,000). */
  restartToleranceMs?: number;
  /** Most streams kept; the least recently seen is forgotten beyond it (default 65,536). */
  maxStreams?: number;
}

interface StreamState {
  expected: number;
  sysUptime: number | undefined;
  counters: SequenceCounters;
}

function newCounters(): SequenceCounters {
  return {
    datagrams: 0,
    records: 0,
    inOrder: 0,
    lossEvents: 0,
    lostRecords: 0,
    outOfOrder: 0,
    lateRecords: 0,
    resets: 0,
    restarts: 0,
    netLostRecords: 0,
  };
}

/** The key of a stream: exporter, engine type, engine id and the optional tag. */
export function sequenceStreamKey(
  o: Pick<SequenceObservation, "exporter" | "engineType" | "engineId" | "stream">,
): string {
  const base = `${o.exporter}|${o.engineType}|${o.engineId}`;
  return o.stream === undefined ? base : `${base}|${o.stream}`;
}

/** Tracks flow sequence numbers per stream; see the module comment for the classification. */
export class SequenceTracker {
  private readonly streams = new Map<string, StreamState>();
  private readonly maxGap: number;
  private readonly reorderWindow: number;
  private readonly restartToleranceMs: number;
  private readonly maxStreams: number;

  constructor(options: SequenceTrackerOptions = {}) {
    this.maxGap = options.maxGap ?? 1_000_000;
    this.reorderWindow = options.reorderWindow ?? 10_000;
    this.restartToleranceMs = options.restartToleranceMs ?? 60_000;
    this.maxStreams = options.maxStreams ?? 65_536;
  }

  /** Classifies one datagram and updates its stream's state and counters. */
  observe(o: SequenceObservation): SequenceVerdict {
    const key = sequenceStreamKey(o);
    const seq = o.flowSequence >>> 0;
    const count = Math.max(0, o.count | 0);
    let s = this.streams.get(key);
    if (s === undefined) {
      s = { expected: 0, sysUptime: undefined, counters: newCounters() };
      this.remember(key, s);
      this.account(s, count);
      s.counters.inOrder++;
      this.advance(s, seq, count, o.sysUptime);
      return { kind: "first", lost: 0, late: 0 };
    }
    this.streams.delete(key); // re-insert: the map's order is least recently seen first
    this.streams.set(key, s);
    this.account(s, count);
    const expected = s.expected;
    const verdict = this.classify(s, seq, o.sysUptime);
    if (verdict.kind === "out-of-order") {
      s.counters.outOfOrder++;
      s.counters.lateRecords += count;
      s.counters.netLostRecords = Math.max(0, s.counters.netLostRecords - count);
      return { ...verdict, expected };
    }
    if (verdict.kind === "in-order") s.counters.inOrder++;
    else if (verdict.kind === "lost") {
      s.counters.lossEvents++;
      s.counters.lostRecords += verdict.lost;
      s.counters.netLostRecords += verdict.lost;
    } else {
      s.counters.resets++;
      if (verdict.reason === "restart") s.counters.restarts++;
    }
    this.advance(s, seq, count, o.sysUptime);
    return { ...verdict, expected };
  }

  private classify(s: StreamState, seq: number, sysUptime: number | undefined): SequenceVerdict {
    if (sysUptime !== undefined && s.sysUptime !== undefined) {
      // Signed difference: an uptime wrap (4294967000 -> 200) moves forward, a reboot moves back.
      const back = (s.sysUptime - sysUptime) | 0;
      if (back > this.restartToleranceMs) return { kind: "reset", lost: 0, late: 0, reason: "restart" };
    }
    const ahead = (seq - s.expected) >>> 0;
    if (ahead === 0) return { kind: "in-order", lost: 0, late: 0 };
    const behind = (s.expected - seq) >>> 0;
    if (behind <= this.reorderWindow) return { kind: "out-of-order", lost: 0, late: behind };
    if (ahead <= this.maxGap) return { kind: "lost", lost: ahead, late: 0 };
    return { kind: "reset", lost: 0, late: 0, reason: "jump" };
  }

  private account(s: StreamState, count: number): void {
    s.counters.datagrams++;
    s.counters.records += count;
  }

  private advance(s: StreamState, seq: number, count: number, sysUptime: number | undefined): void {
    s.expected = (seq + count) >>> 0;
    if (sysUptime !== undefined) s.sysUptime = sysUptime >>> 0;
  }

  private remember(key: string, s: StreamState): void {
    this.streams.set(key, s);
    while (this.streams.size > this.maxStreams) {
      const oldest = this.streams.keys().next().value as string;
      this.streams.delete(oldest);
    }
  }

  /** Counters of the stream with `key` (see {@link sequenceStreamKey}), or undefined when not tracked. */
  counters(key: string): Readonly<SequenceCounters> | undefined {
    return this.streams.get(key)?.counters;
  }

  /** The sequence number expected next on the stream with `key`, or undefined. */
  expected(key: string): number | undefined {
    return this.streams.get(key)?.expected;
  }

  /** Every tracked stream's key and counters, least recently seen first. */
  *entries(): IterableIterator<[string, Readonly<SequenceCounters>]> {
    for (const [key, s] of this.streams) yield [key, s.counters];
  }

  /** Number of streams tracked. */
  get size(): number {
    return this.streams.size;
  }

  /** Forgets one stream (its next datagram is `first` again). */
  forget(key: string): boolean {
    return this.streams.delete(key);
  }

  /** Forgets every stream. */
  clear(): void {
    this.streams.clear();
  }
}
