/**
 * The sequence streams of a collector interface as status data: one stream per exporter address, engine type, engine
 * id and, for v8, aggregation scheme (each v8 aggregation cache keeps its own flow sequence; spec/cflowd-v5-format.txt
 * Table 15, "sequence number of total flows"). Classification and counting are `SequenceTracker`'s
 * (`src/wire/sequence-tracker.ts`); this file names the stream tags and turns the tracker's keys back into fields.
 */
import type { SequenceCounters, SequenceTracker } from "../../wire/sequence-tracker.ts";

/** Stream tag of each v8 scheme (index = scheme 1..14, `v8/<scheme>`); built once so tagging allocates nothing. */
export const V8_STREAM_TAGS: readonly (string | undefined)[] = Object.freeze(
  Array.from({ length: 15 }, (_, i) => (i === 0 ? undefined : `v8/${i}`)),
);

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
