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
 * reordering is ever mistaken for billions of lost flows. Pure: no clock, no I/O; the state is the tracker's maps.
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

/** One stream's state; also a node of the tracker's least-recently-seen list. */
interface StreamState {
  /** {@link sequenceStreamKey} of the stream, built once when it is first seen. */
  readonly key: string;
  expected: number;
  sysUptime: number | undefined;
  readonly counters: SequenceCounters;
  /** Neighbours in the recency list (head = least recently seen). */
  prev: StreamState | null;
  next: StreamState | null;
  /** Where the numeric index holds it: exporter and slot, or undefined for streams found by key only. */
  exporter: string | undefined;
  slot: number;
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

/** Distinct stream tags given numeric ids; datagrams with further tags are tracked by their string key instead. */
const MAX_TAGS = 4096;

/**
 * Tracks flow sequence numbers per stream; see the module comment for the classification.
 *
 * Per datagram nothing is allocated by {@link track} (and {@link observe} allocates only its verdict): a stream is
 * found through a map by exporter and then a map by a number made of the tag, engine type and engine id (the tag's
 * number is assigned once per distinct tag), or straight away when it is the stream of the previous datagram, and
 * the least-recently-seen order is a linked list of the stream states. The string key of {@link sequenceStreamKey}
 * is built once per stream. Observations whose parts the number cannot hold (an engine type or id that is not an
 * integer 0..255, an exporter or tag containing `|`, more than 4,096 distinct tags) are tracked by their string key,
 * so streams are told apart exactly as their keys are.
 */
export class SequenceTracker {
  /** Every stream by its string key (used for lookups by key and for observations outside the numeric index). */
  private readonly byKey = new Map<string, StreamState>();
  /** The numeric index: exporter, then tag id << 16 | engine type << 8 | engine id. */
  private readonly byExporter = new Map<string, Map<number, StreamState>>();
  /** Numeric ids of the stream tags (1, 2, ...; 0 is "no tag"). */
  private readonly tags = new Map<string, number>();
  /** Least and most recently seen streams. */
  private head: StreamState | null = null;
  private tail: StreamState | null = null;
  /** The stream of the previous datagram when it is in the numeric index. */
  private last: StreamState | null = null;
  /** What {@link track} found for the last datagram. */
  private lost = 0;
  private late = 0;
  private reason: "jump" | "restart" = "jump";
  private expectedBefore = 0;
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
    const kind = this.track(o);
    switch (kind) {
      case "first":
        return { kind, lost: 0, late: 0 };
      case "reset":
        return { kind, lost: 0, late: 0, reason: this.reason, expected: this.expectedBefore };
      default:
        return { kind, lost: this.lost, late: this.late, expected: this.expectedBefore };
    }
  }

  /**
   * Like {@link observe}, without building a verdict: returns the kind; the flows lost before the datagram and how
   * far it lies behind are then {@link lastLost} and {@link lastLate}.
   */
  track(o: SequenceObservation): SequenceKind {
    const seq = o.flowSequence >>> 0;
    const count = Math.max(0, o.count | 0);
    const sysUptime = o.sysUptime;
    const slot = this.slotOf(o);
    let s = this.find(o, slot);
    this.lost = 0;
    this.late = 0;
    if (s === null) {
      s = this.create(o, slot);
      s.counters.datagrams++;
      s.counters.records += count;
      s.counters.inOrder++;
      s.expected = (seq + count) >>> 0;
      if (sysUptime !== undefined) s.sysUptime = sysUptime >>> 0;
      return "first";
    }
    const c = s.counters;
    c.datagrams++;
    c.records += count;
    const expected = s.expected;
    this.expectedBefore = expected;
    let kind: SequenceKind;
    // Signed difference: an uptime wrap (4294967000 -> 200) moves forward, a reboot moves back.
    if (
      sysUptime !== undefined &&
      s.sysUptime !== undefined &&
      ((s.sysUptime - sysUptime) | 0) > this.restartToleranceMs
    ) {
      kind = "reset";
      this.reason = "restart";
      c.resets++;
      c.restarts++;
    } else {
      const ahead = (seq - expected) >>> 0;
      const behind = (expected - seq) >>> 0;
      if (ahead === 0) {
        kind = "in-order";
        c.inOrder++;
      } else if (behind <= this.reorderWindow) {
        // Late: the expectation stays; its records may fill a gap counted as lost.
        this.late = behind;
        c.outOfOrder++;
        c.lateRecords += count;
        c.netLostRecords = Math.max(0, c.netLostRecords - count);
        return "out-of-order";
      } else if (ahead <= this.maxGap) {
        kind = "lost";
        this.lost = ahead;
        c.lossEvents++;
        c.lostRecords += ahead;
        c.netLostRecords += ahead;
      } else {
        kind = "reset";
        this.reason = "jump";
        c.resets++;
      }
    }
    s.expected = (seq + count) >>> 0;
    if (sysUptime !== undefined) s.sysUptime = sysUptime >>> 0;
    return kind;
  }

  /** Flows missing before the datagram last passed to {@link track} (`lost` only, else 0). */
  get lastLost(): number {
    return this.lost;
  }

  /** Flows the datagram last passed to {@link track} lay behind the expected sequence (`out-of-order` only, else 0). */
  get lastLate(): number {
    return this.late;
  }

  /** The tracked stream of `o` (`slot`: see {@link slotOf}), made the most recently seen; null when it is new. */
  private find(o: SequenceObservation, slot: number): StreamState | null {
    const exporter = o.exporter;
    let s: StreamState | undefined;
    const last = this.last;
    if (slot >= 0 && last !== null && last.slot === slot && last.exporter === exporter) s = last;
    else {
      if (slot >= 0) s = this.byExporter.get(exporter)?.get(slot);
      if (s === undefined) {
        s = this.byKey.get(sequenceStreamKey(o));
        if (s === undefined) return null;
        // Seen before under the same key by an observation outside the numeric index: index it from now on.
        if (slot >= 0 && !exporter.includes("|")) this.index(s, exporter, slot);
      }
      if (s.exporter !== undefined) this.last = s;
    }
    this.touch(s);
    return s;
  }

  /** The stream's number in the numeric index, or -1 when the observation is tracked by its string key only. */
  private slotOf(o: SequenceObservation): number {
    const type = o.engineType;
    const id = o.engineId;
    if ((type & 0xff) !== type || (id & 0xff) !== id) return -1;
    const stream = o.stream;
    let tag = 0;
    if (stream !== undefined) {
      const known = this.tags.get(stream);
      if (known !== undefined) tag = known;
      else if (this.tags.size < MAX_TAGS && !stream.includes("|")) {
        tag = this.tags.size + 1;
        this.tags.set(stream, tag);
      } else return -1;
    }
    return tag * 0x10000 + (type << 8) + id;
  }

  /** A new stream for `o`, most recently seen; the least recently seen are forgotten beyond `maxStreams`. */
  private create(o: SequenceObservation, slot: number): StreamState {
    const s: StreamState = {
      key: sequenceStreamKey(o),
      expected: 0,
      sysUptime: undefined,
      counters: newCounters(),
      prev: null,
      next: null,
      exporter: undefined,
      slot: -1,
    };
    this.byKey.set(s.key, s);
    this.append(s);
    if (slot >= 0 && !o.exporter.includes("|")) {
      this.index(s, o.exporter, slot);
      this.last = s;
    }
    while (this.byKey.size > this.maxStreams && this.head !== null) this.remove(this.head);
    return s;
  }

  private index(s: StreamState, exporter: string, slot: number): void {
    let slots = this.byExporter.get(exporter);
    if (slots === undefined) {
      slots = new Map();
      this.byExporter.set(exporter, slots);
    }
    slots.set(slot, s);
    s.exporter = exporter;
    s.slot = slot;
  }

  /** Moves `s` to the tail of the recency list. */
  private touch(s: StreamState): void {
    if (this.tail === s) return;
    this.unlink(s);
    this.append(s);
  }

  private append(s: StreamState): void {
    s.prev = this.tail;
    s.next = null;
    if (this.tail === null) this.head = s;
    else this.tail.next = s;
    this.tail = s;
  }

  private unlink(s: StreamState): void {
    if (s.prev === null) this.head = s.next;
    else s.prev.next = s.next;
    if (s.next === null) this.tail = s.prev;
    else s.next.prev = s.prev;
    s.prev = null;
    s.next = null;
  }

  /** Forgets `s` everywhere. */
  private remove(s: StreamState): void {
    this.unlink(s);
    this.byKey.delete(s.key);
    if (this.last === s) this.last = null;
    if (s.exporter !== undefined) {
      const slots = this.byExporter.get(s.exporter);
      slots?.delete(s.slot);
      if (slots?.size === 0) this.byExporter.delete(s.exporter);
      s.exporter = undefined;
    }
  }

  /** Counters of the stream with `key` (see {@link sequenceStreamKey}), or undefined when not tracked. */
  counters(key: string): Readonly<SequenceCounters> | undefined {
    return this.byKey.get(key)?.counters;
  }

  /** The sequence number expected next on the stream with `key`, or undefined. */
  expected(key: string): number | undefined {
    return this.byKey.get(key)?.expected;
  }

  /** Every tracked stream's key and counters, least recently seen first. */
  *entries(): IterableIterator<[string, Readonly<SequenceCounters>]> {
    let s = this.head;
    while (s !== null) {
      const next = s.next;
      yield [s.key, s.counters];
      s = next;
    }
  }

  /** Number of streams tracked. */
  get size(): number {
    return this.byKey.size;
  }

  /** Forgets one stream (its next datagram is `first` again). */
  forget(key: string): boolean {
    const s = this.byKey.get(key);
    if (s === undefined) return false;
    this.remove(s);
    return true;
  }

  /** Forgets every stream. */
  clear(): void {
    this.byKey.clear();
    this.byExporter.clear();
    this.head = null;
    this.tail = null;
    this.last = null;
    this.tags.clear();
  }
}
