/**
 * The sequence tracker against its previous implementation (kept below verbatim, but for names, as the oracle): the
 * same verdicts, counters, expectations, keys and least-recently-seen order for random streams of datagrams from IPv4
 * and IPv6 exporters, several engines and tags (including keys that only the string form can tell apart), with
 * reordering, loss, jumps, restarts, eviction beyond `maxStreams`, `forget` and `clear`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type SequenceCounters,
  type SequenceObservation,
  SequenceTracker,
  type SequenceTrackerOptions,
  type SequenceVerdict,
  sequenceStreamKey,
} from "../../src/wire/sequence-tracker.ts";

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
function oracleKey(o: Pick<SequenceObservation, "exporter" | "engineType" | "engineId" | "stream">): string {
  const base = `${o.exporter}|${o.engineType}|${o.engineId}`;
  return o.stream === undefined ? base : `${base}|${o.stream}`;
}

/** The tracker before the numeric index (string key and map re-insert per datagram), verbatim but for names. */
class OracleTracker {
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
    const key = oracleKey(o);
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

const EXPORTERS = ["192.0.2.1", "192.0.2.2", "2001:db8::1", "fe80::1", "a|1", "a", "", "198.51.100.7:2055"];
const TAGS = [undefined, undefined, "v8/1", "v8/5", "v8/14", "1|2", "2", ""];
const ENGINES = [0, 0, 1, 2, 255, 256, -1, 1.5];

type Step =
  | { op: "observe"; o: SequenceObservation }
  | { op: "forget"; pick: number }
  | { op: "clear" }
  | { op: "read"; pick: number };

const observation = fc.record({
  // Mostly a few common streams (so they repeat, reorder and get evicted), sometimes the odd ones.
  exporter: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("192.0.2.1", "2001:db8::1") },
    { weight: 1, arbitrary: fc.constantFrom(...EXPORTERS) },
  ),
  engineType: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(...ENGINES) }),
  engineId: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, 1) },
    { weight: 1, arbitrary: fc.constantFrom(...ENGINES) },
  ),
  stream: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(undefined, "v8/1") },
    { weight: 1, arbitrary: fc.constantFrom(...TAGS) },
  ),
  jump: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: -40, max: 120 }) },
    { weight: 1, arbitrary: fc.integer({ min: -20_000, max: 2_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  ),
  count: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(-3)),
  uptime: fc.option(fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 0xffffffff }))),
});

type RawObservation = typeof observation extends fc.Arbitrary<infer T> ? T : never;

const step: fc.Arbitrary<Step | { op: "raw"; r: RawObservation }> = fc.oneof(
  { weight: 20, arbitrary: observation.map((r) => ({ op: "raw" as const, r })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: "forget" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: "read" as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
);

const options: fc.Arbitrary<SequenceTrackerOptions> = fc.record(
  {
    maxGap: fc.integer({ min: 0, max: 2_000_000 }),
    reorderWindow: fc.integer({ min: 0, max: 20_000 }),
    restartToleranceMs: fc.integer({ min: 0, max: 100_000 }),
    maxStreams: fc.integer({ min: 0, max: 12 }),
  },
  { requiredKeys: [] },
);

function entriesOf(t: {
  entries(): IterableIterator<[string, Readonly<SequenceCounters>]>;
}): [string, SequenceCounters][] {
  return [...t.entries()].map(([k, c]) => [k, { ...c }]);
}

describe("sequence tracker against its previous implementation", () => {
  it("gives the same verdicts, counters and stream order for random datagrams (property)", () => {
    fc.assert(
      fc.property(options, fc.array(step, { maxLength: 300, size: "max" }), (opts, steps) => {
        const t = new SequenceTracker(opts);
        const oracle = new OracleTracker(opts);
        // Per stream key, the sequence and uptime the next datagram builds on (so most datagrams stay near in order).
        const next = new Map<string, { seq: number; uptime: number }>();
        for (const s of steps) {
          if (s.op === "raw") {
            const { r } = s;
            const key = sequenceStreamKey(r);
            const at = next.get(key) ?? { seq: r.jump >>> 0, uptime: 1_000_000 };
            const o: SequenceObservation = {
              exporter: r.exporter,
              engineType: r.engineType,
              engineId: r.engineId,
              flowSequence: (at.seq + r.jump) >>> 0,
              count: r.count,
            };
            if (r.stream !== undefined) o.stream = r.stream;
            if (r.uptime !== null) o.sysUptime = (at.uptime + r.uptime) >>> 0;
            next.set(key, { seq: (o.flowSequence + Math.max(0, r.count)) >>> 0, uptime: o.sysUptime ?? at.uptime });
            const got: SequenceVerdict = t.observe(o);
            assert.deepEqual(got, oracle.observe(o));
            assert.deepEqual({ ...t.counters(key) }, { ...oracle.counters(key) });
            assert.equal(t.expected(key), oracle.expected(key));
          } else if (s.op === "forget" || s.op === "read") {
            const keys = [...oracle.entries()].map(([k]) => k);
            const key = keys.length === 0 ? "none" : keys[s.pick % keys.length];
            if (s.op === "forget") assert.equal(t.forget(key), oracle.forget(key));
            else assert.deepEqual(t.counters(key), oracle.counters(key));
          } else {
            t.clear();
            oracle.clear();
          }
          assert.equal(t.size, oracle.size);
        }
        assert.deepEqual(entriesOf(t), entriesOf(oracle));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the numeric fast path and the string keys consistent when only the string form tells streams apart", () => {
    const t = new SequenceTracker();
    const oracle = new OracleTracker();
    // "a|1" engine 2/3 and "a" engine 1/2 tag "3" share the key "a|1|2|3": one stream, as before.
    const observations: SequenceObservation[] = [
      { exporter: "a|1", engineType: 2, engineId: 3, flowSequence: 100, count: 10 },
      { exporter: "a", engineType: 1, engineId: 2, stream: "3", flowSequence: 110, count: 10 },
      { exporter: "a|1", engineType: 2, engineId: 3, flowSequence: 120, count: 10 },
      { exporter: "a", engineType: 1, engineId: 2, stream: "3", flowSequence: 200, count: 10 },
      { exporter: "2001:db8::1", engineType: 1.5, engineId: 0, flowSequence: 0, count: 5 },
      { exporter: "2001:db8::1", engineType: 1.5, engineId: 0, flowSequence: 5, count: 5 },
    ];
    for (const o of observations) assert.deepEqual(t.observe(o), oracle.observe(o));
    assert.deepEqual(entriesOf(t), entriesOf(oracle));
    assert.equal(t.size, 2);
    assert.equal(t.counters("a|1|2|3")?.datagrams, 4);
    // Forgotten under its key, the stream is new again whichever way the next datagram names it.
    assert.ok(t.forget("a|1|2|3"));
    assert.equal(t.observe(observations[1]).kind, "first");
    assert.ok(t.forget("a|1|2|3"));
    assert.equal(t.observe(observations[0]).kind, "first");
    assert.equal(t.observe(observations[1]).kind, "in-order");
  });

  it("track() classifies like observe() and reports the loss and lateness of the datagram", () => {
    const t = new SequenceTracker();
    const o = { exporter: "2001:db8::7", engineType: 0, engineId: 0, flowSequence: 0, count: 30 };
    assert.equal(t.track(o), "first");
    assert.equal(t.track({ ...o, flowSequence: 90 }), "lost");
    assert.equal(t.lastLost, 60);
    assert.equal(t.track({ ...o, flowSequence: 30 }), "out-of-order");
    assert.deepEqual([t.lastLost, t.lastLate], [0, 90]);
    assert.equal(t.track({ ...o, flowSequence: 120 }), "in-order");
    assert.deepEqual([t.lastLost, t.lastLate], [0, 0]);
    assert.equal(t.counters(sequenceStreamKey(o))?.netLostRecords, 30);
  });
});
