/**
 * The sequence streams of a collector interface as status data: one stream per exporter address, engine type, engine
 * id and, for v8, aggregation scheme (each v8 aggregation cache keeps its own flow sequence; spec/cflowd-v5-format.txt
 * Table 15, "sequence number of total flows"). Classification and counting are `SequenceTracker`'s
 * (`src/wire/sequence-tracker.ts`); this file names the stream tags and turns the tracker's keys back into fields.
 */
import type { SequenceCounters, SequenceObservation, SequenceTracker } from "../../wire/sequence-tracker.ts";
import type { InputStatus } from "../status.ts";

/** Stream tag of each v8 scheme (index = scheme 1..14, `v8/<scheme>`); built once so tagging allocates nothing. */
export const V8_STREAM_TAGS: readonly (string | undefined)[] = Object.freeze(
  Array.from({ length: 15 }, (_, i) => (i === 0 ? undefined : `v8/${i}`)),
);

/** A new all-zero {@link SequenceObservation}, to be reused as a pipeline's scratch observation (one per datagram). */
export function newSequenceObservation(): SequenceObservation {
  return { exporter: "", engineType: 0, engineId: 0, stream: undefined, flowSequence: 0, count: 0, sysUptime: 0 };
}

/**
 * Tracks the datagram `o` describes (its `count` records) in `tracker` and counts the verdict in `seq`, the sequence
 * state of the input it was taken by: `first` and `in-order` as in order, `lost` adds the flows missing, `out-of-order`
 * credits its records back against the flows counted lost (they may fill a gap, as `SequenceCounters.netLostRecords`
 * does per stream; never below 0), `reset` counts a reset. Allocates nothing (no verdict object).
 */
export function trackSequence(tracker: SequenceTracker, o: SequenceObservation, seq: InputStatus["sequence"]): void {
  switch (tracker.track(o)) {
    case "first":
    case "in-order":
      seq.inOrder++;
      break;
    case "lost":
      seq.lost += tracker.lastLost;
      break;
    case "out-of-order":
      seq.outOfOrder++;
      seq.lost = Math.max(0, seq.lost - o.count);
      break;
    case "reset":
      seq.resets++;
      break;
  }
}

/** One sequence stream and its counters since start or the last clear. */
export interface SequenceStreamStatus {
  /** Exporter address in canonical form. */
  exporter: string;
  engineType: number;
  engineId: number;
  /** `v5`, or `v8/<scheme>`. */
  stream: string;
  counters: SequenceCounters;
}

/** Every stream `tracker` follows, least recently seen first, with copies of its counters. */
export function sequenceStreamsOf(tracker: SequenceTracker): SequenceStreamStatus[] {
  const out: SequenceStreamStatus[] = [];
  for (const [key, counters] of tracker.entries()) {
    const [exporter, engineType, engineId, stream] = key.split("|");
    out.push({
      exporter,
      engineType: Number(engineType),
      engineId: Number(engineId),
      stream: stream ?? "v5",
      counters: { ...counters },
    });
  }
  return out;
}
