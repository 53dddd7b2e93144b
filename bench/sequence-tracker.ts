/**
 * Sequence tracker micro-benchmarks (src/wire/sequence-tracker.ts), the collector main thread's per-datagram stream
 * bookkeeping: datagrams of 30 records, in order, observed through one reused observation object as the receive
 * pipelines do. Rates are in records (30 per datagram), so they compare with the main thread's cost per record in
 * docs/benchmarks.md; one iteration is 1,000 datagrams, so its µs are ns per datagram.
 */
import { type SequenceObservation, SequenceTracker } from "../src/wire/sequence-tracker.ts";
import type { Benchmark } from "./types.ts";

/** Datagrams per iteration. */
const DATAGRAMS = 1000;
const RECORDS = 30;

/** Exporter addresses as `InputMap.exporterAddress` returns them (canonical strings, one object per exporter). */
const EXPORTERS = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? `192.0.2.${i + 1}` : `2001:db8::${i + 1}`));

function observation(exporter: string): SequenceObservation {
  return { exporter, engineType: 0, engineId: 0, stream: undefined, flowSequence: 0, count: RECORDS, sysUptime: 0 };
}

/** One exporter, one engine, v5: the bench/collector.ts load. `track` false uses `observe` (a verdict per datagram). */
function oneStream(track: boolean): () => number {
  const t = new SequenceTracker();
  const o = observation(EXPORTERS[0]);
  let seq = 0;
  return () => {
    let n = 0;
    for (let i = 0; i < DATAGRAMS; i++) {
      o.flowSequence = seq;
      o.sysUptime = seq >>> 4;
      seq = (seq + RECORDS) >>> 0;
      n += track ? t.track(o).length : t.observe(o).kind.length;
    }
    return n;
  };
}

/** 16 exporters (IPv4 and IPv6) with two engines and a v8 tag each, datagrams round robin over the 64 streams. */
function manyStreams(): () => number {
  const t = new SequenceTracker();
  const streams = EXPORTERS.flatMap((e) =>
    [0, 1].flatMap((engineId) =>
      [undefined, "v8/1"].map((stream) => ({ o: { ...observation(e), engineId, stream }, seq: 0 })),
    ),
  );
  let k = 0;
  return () => {
    let n = 0;
    for (let i = 0; i < DATAGRAMS; i++) {
      const s = streams[k];
      k = (k + 1) % streams.length;
      s.o.flowSequence = s.seq;
      s.seq = (s.seq + RECORDS) >>> 0;
      n += t.track(s.o).length;
    }
    return n;
  };
}

const GROUP = "Sequence tracker (30-record datagrams)";

/** The tracker benchmarks, run by bench/index.ts. */
export const benchmarks: Benchmark[] = [
  {
    group: GROUP,
    name: "observe, one stream",
    unitsPerIteration: DATAGRAMS * RECORDS,
    unit: "records",
    fn: oneStream(false),
  },
  {
    group: GROUP,
    name: "track, one stream",
    unitsPerIteration: DATAGRAMS * RECORDS,
    unit: "records",
    fn: oneStream(true),
  },
  {
    group: GROUP,
    name: "track, 64 streams round robin",
    unitsPerIteration: DATAGRAMS * RECORDS,
    unit: "records",
    fn: manyStreams(),
  },
];
