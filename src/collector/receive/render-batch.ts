/**
 * The unit of work of the collector's render workers (docs/collector.md, "Threads"): a batch of received datagrams,
 * already checked, counted and sequence-tracked by the main thread, whose records a worker decodes, maps
 * (`record-mapping.ts`) and renders as the per-flow part of their record lines. The batch's buffers are transferred
 * to the worker and back (never copied), and reused.
 *
 * Layout of one batch:
 * - `input`: the datagrams' bytes back to back;
 * - `meta`: {@link META_FIELDS} uint32 per datagram: its offset and length in `input`, its record count (the worker
 *   overwrites it with the records it rendered, or {@link RENDER_FAILED}), the caller's tag (the input index), and
 *   the index in the job's `prefixes` of the constant fields of each of its runs (the second {@link NO_RUN} for an
 *   input on one export channel);
 * - `output`: per datagram, one run per export channel: each record as a whole record line written by
 *   `CollectorRecordEncoder` with the run's prefix (a file's constant fields), back to back;
 * - `ends`: uint32 per line, the offset in `output` just after it.
 */
import {
  type CollectorFlowFields,
  type CollectorRecordPrefix,
  CollectorRecordEncoder,
} from "../../wire/collector-record.ts";
import { NetflowFlowReader } from "./flow-reader.ts";
import { newCollectorFlowFields } from "./record-mapping.ts";

/** uint32 fields per datagram in `meta`: offset, length, records, tag, prefix of the first run, of the second run. */
export const META_FIELDS = 6;
/** `meta` records value of a datagram the worker could not render (its records are not in `output`). */
export const RENDER_FAILED = 0xffff_ffff;
/** `meta` prefix value of a datagram without a second run (an input on one export channel). */
export const NO_RUN = 0xffff_ffff;

/** Longest flow part (`|source-address|...|dst_AS_number\n`), bytes: what a record adds to its file's constant fields. */
export const FLOW_PART_MAX =
  new CollectorRecordEncoder({ linkDir: 0n, analyzerAddress: 0, analyzerId: "", ifAlias: "" }, 0).maxLineLength -
  "0|0.0.0.0||".length;

/** Capacities of one batch's buffers. */
export interface BatchLimits {
  /** Bytes of datagrams. */
  readonly inputBytes: number;
  /** Datagrams. */
  readonly datagrams: number;
  /** Rendered lines (records times the export channels of their input). */
  readonly lines: number;
  /** Bytes of rendered lines (a batch needing more gets a larger buffer). */
  readonly outputBytes: number;
}

/**
 * Small capacities: 64 KiB of datagrams, 2,048 lines, 256 KiB of lines (44 v5 datagrams of 30 records, about 1,300
 * records); 330 KiB in all. Used when the memory limit is too small for {@link LARGE_BATCH_LIMITS}.
 */
export const DEFAULT_BATCH_LIMITS: BatchLimits = Object.freeze({
  inputBytes: 65_536,
  datagrams: 1024,
  lines: 2048,
  outputBytes: 262_144,
});

/**
 * Large capacities: 256 KiB of datagrams, 8,192 lines, 1 MiB of lines (179 v5 datagrams of 30 records, about 5,400
 * records); 1.3 MiB in all. A batch costs the main thread a fixed 50 to 60 µs or so (posting it to a worker and taking
 * it back), so four times fewer batches than {@link DEFAULT_BATCH_LIMITS} save about 0.03 µs a record at full batches.
 */
export const LARGE_BATCH_LIMITS: BatchLimits = Object.freeze({
  inputBytes: 262_144,
  datagrams: 1024,
  lines: 8192,
  outputBytes: 1_048_576,
});

/**
 * The capacities for an interface whose `memory-limit` is `memoryLimit` bytes: {@link LARGE_BATCH_LIMITS} when one
 * such batch takes at most a sixteenth of it (a limit of about 21 MiB or more), else {@link DEFAULT_BATCH_LIMITS}.
 */
export function batchLimitsFor(memoryLimit: number): BatchLimits {
  return limitsBytes(LARGE_BATCH_LIMITS) * 16 <= memoryLimit ? LARGE_BATCH_LIMITS : DEFAULT_BATCH_LIMITS;
}

/** Bytes of the buffers {@link newBatchBuffers} makes for `limits` (what a batch reserves from the memory budget). */
export function limitsBytes(limits: BatchLimits): number {
  return limits.inputBytes + limits.datagrams * META_FIELDS * 4 + limits.outputBytes + limits.lines * 4;
}

/** The buffers of one batch (transferable: each has its own ArrayBuffer). */
export interface BatchBuffers {
  input: Uint8Array;
  meta: Uint32Array;
  output: Uint8Array;
  ends: Uint32Array;
}

/** The ArrayBuffers of `b`, to transfer with it. */
export function transferList(b: BatchBuffers): ArrayBuffer[] {
  return [b.input.buffer, b.meta.buffer, b.output.buffer, b.ends.buffer] as ArrayBuffer[];
}

/** Bytes of memory held by `b`. */
export function buffersBytes(b: BatchBuffers): number {
  return b.input.byteLength + b.meta.byteLength + b.output.byteLength + b.ends.byteLength;
}

/** New buffers for one batch of `limits`, with at least `outputBytes` of output. */
export function newBatchBuffers(limits: BatchLimits, outputBytes = limits.outputBytes): BatchBuffers {
  return {
    input: new Uint8Array(limits.inputBytes),
    meta: new Uint32Array(limits.datagrams * META_FIELDS),
    output: new Uint8Array(Math.max(outputBytes, limits.outputBytes)),
    ends: new Uint32Array(limits.lines),
  };
}

/** Most encoders (one per file prefix) a renderer keeps. */
const ENCODER_CACHE = 64;

/**
 * Reusable decoding state of one render thread. Each datagram's records become one run of whole record lines per
 * export channel of its input, written with the run's prefix (`prefixes[meta prefix field]`, the constant fields of
 * the file the main thread expects them in), so that a run is appended to a record block with one copy.
 */
export class BatchRenderer {
  readonly #reader = new NetflowFlowReader();
  readonly #flow: CollectorFlowFields = newCollectorFlowFields();
  readonly #encoders = new Map<string, CollectorRecordEncoder>();

  /**
   * Renders the records of the first `datagrams` datagrams of `b` into `b.output` and `b.ends`, and sets each
   * datagram's records field of `b.meta`. Never throws: a datagram that fails to decode or does not fit gets
   * {@link RENDER_FAILED} and contributes no line. Returns the number of lines rendered.
   */
  render(b: BatchBuffers, datagrams: number, prefixes: readonly CollectorRecordPrefix[]): number {
    const { input, meta, output, ends } = b;
    const reader = this.#reader;
    const flow = this.#flow;
    const encoders = prefixes.map((p) => this.#encoder(p));
    let pos = 0;
    let lines = 0;
    for (let i = 0; i < datagrams; i++) {
      const m = i * META_FIELDS;
      const startPos = pos;
      const startLines = lines;
      try {
        const runs = meta[m + 5] === NO_RUN ? 1 : 2;
        let n = 0;
        for (let r = 0; r < runs; r++) {
          const encoder = encoders[meta[m + 4 + r]];
          n = reader.reset(input, meta[m], meta[m + 1]);
          if (lines + n > ends.length || pos + n * encoder.maxLineLength > output.length) {
            throw new RangeError("the batch has no room for the datagram's lines");
          }
          while (reader.next(flow)) {
            pos = encoder.encodeInto(flow, output, pos);
            ends[lines++] = pos;
          }
        }
        meta[m + 2] = n;
      } catch {
        pos = startPos;
        lines = startLines;
        meta[m + 2] = RENDER_FAILED;
      }
    }
    return lines;
  }

  #encoder(p: CollectorRecordPrefix): CollectorRecordEncoder {
    const key = `${p.linkDir}|${p.analyzerAddress}|${p.analyzerId}|${p.ifAlias}`;
    let e = this.#encoders.get(key);
    if (e === undefined) {
      if (this.#encoders.size >= ENCODER_CACHE) this.#encoders.clear();
      e = new CollectorRecordEncoder(p, 0);
      this.#encoders.set(key, e);
    }
    return e;
  }
}
