/**
 * The receive pipeline of a collector interface with render workers (docs/collector.md, "Threads"). The main thread
 * does, per datagram and in arrival order, everything that must be ordered or is cheap: the "Input" counters, the
 * memory check (record files and the backlog toward the workers), the header check (`netflowHeaderProblem`, no
 * decoding), the input lookup and the sequence tracking; the datagram is then copied into the open batch
 * (render-batch.ts). A batch is sent to a render worker when full, or at the end of the event loop turn or when a
 * batch comes back if a worker is idle (so batches fill up when the workers are busy); the workers
 * decode, map and render its records' flow parts in parallel. Rendered batches are applied in the order they were
 * opened: each record is appended to its input's files (`RecordFileWriter.appendRendered`), which do blocks,
 * rotation, gzip and disk as in the single-threaded path, and the per-input and "Flow records" counters are updated.
 *
 * Outcomes and counters are those of {@link DatagramPipeline} for the same datagrams, with these differences in timing
 * only: a stored datagram's input packets, bytes and flows, its "Flow records", and a "No memory" drop decided while
 * appending, are counted when its batch is applied (a few milliseconds later). The order of records in every file
 * is the arrival order, as without workers.
 *
 * Memory: each open or in-flight batch holds {@link batchBytes} bytes, reserved from the interface's memory budget
 * (so "Memory: Used" shows them) and limited to half the `memory-limit` (the rest stays for record blocks). A datagram
 * that needs a new batch when none can be reserved is dropped as "No memory", before any other check, as is one the
 * record files cannot take.
 */
import type { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { CollectorRecordPrefix } from "../../wire/collector-record.ts";
import { type SequenceObservation, SequenceTracker, type SequenceTrackerOptions } from "../../wire/sequence-tracker.ts";
import type { Clock, MemoryBudget, RecordFileSink, RecordSink } from "../contracts.ts";
import type { RecordFileWriter } from "../record-files/record-file-writer.ts";
import {
  DATAGRAM_PROBLEMS,
  type DatagramSource,
  dropReasonOfCode,
  RECORD_TEXT_EXPANSION,
  type ReceivedDatagram,
} from "./datagram-pipeline.ts";
import { netflowHeaderProblem } from "./flow-reader.ts";
import type { InputMap, ResolvedInput } from "./input-map.ts";
import type { DropReason, ReceiverStatus } from "./receiver-status.ts";
import {
  type BatchBuffers,
  type BatchLimits,
  batchLimitsFor,
  buffersBytes,
  FLOW_PART_MAX,
  limitsBytes,
  META_FIELDS,
  NO_RUN,
  newBatchBuffers,
  RENDER_FAILED,
} from "./render-batch.ts";
import { RenderPool } from "./render-pool.ts";
import type { RenderJob } from "./render-worker.ts";
import {
  newSequenceObservation,
  type SequenceStreamStatus,
  sequenceStreamsOf,
  trackSequence,
  V8_STREAM_TAGS,
} from "./sequence-streams.ts";

/**
 * A record sink that also takes runs of record lines rendered by a worker (`RecordFileWriter`): `linePrefix`, the
 * constant fields its records get now and their id, and `appendRun`, which appends a run of rendered lines and returns
 * how many were kept (see `RecordFileWriter`).
 */
export interface RenderedRecordSink extends RecordSink, Pick<RecordFileWriter, "linePrefix" | "appendRun"> {}

/** Record files that take rendered records and expose their memory budget (`RecordFileSet`). */
export interface RenderedRecordFiles extends RecordFileSink {
  readonly budget: MemoryBudget;
  sink(input: string, channel: 0 | 1): RenderedRecordSink;
}

/** Whether `files` can be fed by render workers (else the single-threaded `DatagramPipeline` is used). */
export function takesRenderedRecords(files: RecordFileSink): files is RenderedRecordFiles {
  // RecordFileSet declares it with this marker (its sinks are RecordFileWriters).
  return (files as { takesRenderedRecords?: boolean }).takesRenderedRecords === true && "budget" in files;
}

/** Options of {@link ThreadedDatagramPipeline}. */
export interface ThreadedPipelineOptions {
  readonly inputs: InputMap;
  readonly files: RenderedRecordFiles;
  readonly status: ReceiverStatus;
  /** Render workers (at least 1). */
  readonly workers: number;
  /** Time for rotation by age when batches are applied; default `Date.now`. */
  readonly clock?: Clock;
  readonly sequence?: SequenceTrackerOptions;
  readonly log?: RateLimitedLog;
  /** Batch capacities (tests use small ones); default `batchLimitsFor` the memory budget's limit. */
  readonly batchLimits?: BatchLimits;
}

interface Batch {
  buffers: BatchBuffers;
  /** Bytes reserved from the memory budget for the buffers. */
  reserved: number;
  datagrams: number;
  inputBytes: number;
  lines: number;
  outputBytes: number;
  sources: DatagramSource[];
  /** The constant fields the lines are rendered with, their ids and lengths, and each sink's latest entry. */
  prefixes: CollectorRecordPrefix[];
  prefixIds: number[];
  prefixLengths: number[];
  /** Per sink slot (input index * 2 + position of the channel), its latest entry in `prefixes`. */
  prefixOf: number[];
  /** The rendered job once its worker is done (or the failure). */
  done?: RenderJob;
  failure?: Error;
}

/**
 * Most bytes of spare batch buffers kept for reuse (they are never zeroed again): a sixteenth of the memory limit, at
 * most 32 MiB (23 large batches), and at least two batches. While the backlog is deeper, batches beyond it are
 * allocated anew and left to the garbage collector.
 */
const SPARE_BYTES = 32 * 1024 * 1024;

/** See the module comment. */
export class ThreadedDatagramPipeline {
  /** Sequence state per exporter address, engine type/id and stream, as in `DatagramPipeline`. */
  readonly tracker: SequenceTracker;
  readonly #o: ThreadedPipelineOptions;
  readonly #pool: RenderPool;
  readonly #limits: BatchLimits;
  readonly #batchBytes: number;
  readonly #backlogLimit: number;
  /** Per input index, the sinks of its export channels. */
  readonly #sinks: RenderedRecordSink[][];
  readonly #clock: Clock;
  readonly #spares: BatchBuffers[] = [];
  readonly #maxSpares: number;
  readonly #queue: Batch[] = [];
  #open: Batch | null = null;
  #flushScheduled = false;
  #backlog = 0;
  #idle: (() => void)[] = [];
  #closed = false;
  readonly #observation: SequenceObservation = newSequenceObservation();

  constructor(options: ThreadedPipelineOptions) {
    this.#o = options;
    this.tracker = new SequenceTracker(options.sequence);
    this.#limits = options.batchLimits ?? batchLimitsFor(options.files.budget.limit);
    this.#batchBytes = limitsBytes(this.#limits);
    const spareBytes = Math.min(SPARE_BYTES, options.files.budget.limit / 16);
    this.#maxSpares = Math.max(2, Math.floor(spareBytes / this.#batchBytes));
    this.#sinks = options.inputs.inputs.map((i) => i.channels.map((ch) => options.files.sink(i.name, ch)));
    this.#backlogLimit = Math.max(this.#batchBytes, Math.floor(options.files.budget.limit / 2));
    this.#clock = options.clock ?? Date.now;
    this.#pool = new RenderPool(options.workers);
  }

  /** Number of render workers. */
  get workers(): number {
    return this.#pool.size;
  }

  /** Bytes of batches open or in flight (reserved from the memory budget). */
  get backlogBytes(): number {
    return this.#backlog;
  }

  /** Takes one datagram: counts it, drops it under one reason, or queues its records for rendering. Never throws. */
  process(d: ReceivedDatagram): void {
    try {
      this.#run(d);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#o.log?.error("ERR_COLLECTOR_RECEIVE", `datagram from ${d.source.address} not stored: ${message}`);
      this.#o.status.drop("noMemory");
    }
  }

  /** Every tracked sequence stream with its counters, least recently seen first. */
  streams(): SequenceStreamStatus[] {
    return sequenceStreamsOf(this.tracker);
  }

  /** Zeroes the counters and forgets the sequence streams (batches in flight are counted after it when applied). */
  clear(nowMs: number): void {
    this.#o.status.clear(nowMs);
    this.tracker.clear();
  }

  /** Sends the open batch and resolves once every batch taken so far has been applied to the record files. */
  drained(): Promise<void> {
    this.#send();
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Applies everything taken so far, then stops the workers; later datagrams are dropped as "No memory". */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.drained();
    this.#closed = true;
    await this.#pool.close();
  }

  #run(d: ReceivedDatagram): void {
    const st = this.#o.status;
    const bytes = d.bytes;
    const length = bytes.length;
    st.input.packets.add(1);
    st.input.bytes.add(length);
    // Decoding and input lookup are pure: memory is still the first reason counted.
    const problem = netflowHeaderProblem(bytes);
    // The v5 and v8 headers share these offsets (spec/cflowd-v5-format.txt, spec/cflowd-flow-aggregation.txt).
    const engineType = problem === null ? bytes[20] : 0;
    const engineId = problem === null ? bytes[21] : 0;
    const input = problem === null ? this.#o.inputs.resolve(d.source.address, engineType, engineId) : undefined;
    const count = input === undefined ? 0 : (bytes[2] << 8) | bytes[3];
    const sinks = input === undefined ? undefined : this.#sinks[input.index];
    let outputBytes = 0;
    if (sinks !== undefined)
      for (const sink of sinks) outputBytes += count * (sink.linePrefix.bytes.length + FLOW_PART_MAX);
    const lines = sinks === undefined ? 0 : count * sinks.length;
    if (
      this.#closed ||
      !this.#o.files.canAccept(length * RECORD_TEXT_EXPANSION) ||
      !this.#room(sinks === undefined ? 0 : length, lines, outputBytes)
    ) {
      this.#dropped("noMemory", d.source, length, "ERR_COLLECTOR_NO_MEMORY", "memory limit reached");
      return;
    }
    if (problem !== null) {
      const text = DATAGRAM_PROBLEMS[problem] ?? "not a valid NetFlow v5/v8 export";
      this.#dropped(dropReasonOfCode(problem), d.source, length, problem, text);
      return;
    }
    if (input === undefined || sinks === undefined) {
      const what = `no input takes this exporter (engine ${engineType}/${engineId})`;
      this.#dropped("unknown", d.source, length, "ERR_COLLECTOR_UNKNOWN_INPUT", what);
      return;
    }
    this.#observe(input, d.source.address, bytes, (bytes[0] << 8) | bytes[1], count);
    const b = this.#open as Batch; // #room made sure it has room
    const meta = b.buffers.meta;
    const m = b.datagrams * META_FIELDS;
    b.buffers.input.set(bytes, b.inputBytes);
    meta[m] = b.inputBytes;
    meta[m + 1] = length;
    meta[m + 2] = count;
    meta[m + 3] = input.index;
    const slot = input.index * 2;
    meta[m + 4] = this.#prefixIndex(b, sinks[0], slot);
    meta[m + 5] = sinks.length > 1 ? this.#prefixIndex(b, sinks[1], slot + 1) : NO_RUN;
    b.sources.push(d.source);
    b.datagrams++;
    b.inputBytes += length;
    b.lines += lines;
    b.outputBytes += outputBytes;
  }

  /** The index in `b.prefixes` of the constant fields `sink` (at `slot`, see `Batch.prefixOf`) gives its records now. */
  #prefixIndex(b: Batch, sink: RenderedRecordSink, slot: number): number {
    const current = sink.linePrefix;
    const known = b.prefixOf[slot];
    if (known !== undefined && b.prefixIds[known] === current.id) return known;
    const index = b.prefixes.length;
    b.prefixes.push(current.fields);
    b.prefixIds.push(current.id);
    b.prefixLengths.push(current.bytes.length);
    b.prefixOf[slot] = index;
    return index;
  }

  /**
   * Makes sure the open batch can take a datagram of `length` bytes and `lines` rendered lines of at most
   * `outputBytes` (a new batch is opened, the full one sent); false when no batch can be reserved.
   */
  #room(length: number, lines: number, outputBytes: number): boolean {
    const L = this.#limits;
    const b = this.#open;
    if (
      b !== null &&
      b.inputBytes + length <= L.inputBytes &&
      b.datagrams < L.datagrams &&
      b.lines + lines <= L.lines &&
      b.outputBytes + outputBytes <= b.buffers.output.length
    ) {
      return true;
    }
    this.#send();
    if (length > L.inputBytes || lines > L.lines) return false; // larger than any batch
    const buffers =
      outputBytes > L.outputBytes ? newBatchBuffers(L, outputBytes) : (this.#spares.pop() ?? newBatchBuffers(L));
    const reserved = buffersBytes(buffers);
    if (this.#backlog + reserved > this.#backlogLimit || !this.#o.files.budget.tryReserve(reserved)) {
      if (reserved === this.#batchBytes) this.#spares.push(buffers);
      return false;
    }
    this.#backlog += reserved;
    this.#open = {
      buffers,
      reserved,
      datagrams: 0,
      inputBytes: 0,
      lines: 0,
      outputBytes: 0,
      sources: [],
      prefixes: [],
      prefixIds: [],
      prefixLengths: [],
      prefixOf: [],
    };
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        // A partly filled batch goes out only to an idle worker; else it fills up (sent when a batch comes back).
        if (this.#pool.hasIdleWorker) this.#send();
      });
    }
    return true;
  }

  #observe(input: ResolvedInput, sourceAddress: string, bytes: Uint8Array, version: number, count: number): void {
    const o = this.#observation;
    o.exporter = this.#o.inputs.exporterAddress(sourceAddress);
    o.engineType = bytes[20];
    o.engineId = bytes[21];
    o.stream = version === 8 ? V8_STREAM_TAGS[bytes[22]] : undefined;
    o.flowSequence = ((bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]) >>> 0;
    o.count = count;
    o.sysUptime = ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
    trackSequence(this.tracker, o, this.#o.status.inputs[input.index].sequence);
  }

  /** Sends the open batch to a worker (an empty one goes straight back to the spares). */
  #send(): void {
    const b = this.#open;
    if (b === null) return;
    this.#open = null;
    if (b.datagrams === 0) {
      this.#release(b);
      return;
    }
    this.#queue.push(b);
    const { input, meta, output, ends } = b.buffers;
    this.#pool.render({ input, meta, output, ends, datagrams: b.datagrams, prefixes: b.prefixes }).then(
      (job) => {
        b.done = job;
        this.#applyReady();
      },
      (e: Error) => {
        b.failure = e;
        this.#applyReady();
      },
    );
  }

  /** Applies the finished batches at the head of the queue, in order. */
  #applyReady(): void {
    const q = this.#queue;
    while (q.length > 0 && (q[0].done !== undefined || q[0].failure !== undefined)) {
      const b = q.shift() as Batch;
      try {
        if (b.done !== undefined) this.#apply(b, b.done);
        else this.#failed(b, b.failure as Error);
      } catch (e) {
        // Not foreseen by the record files' contracts: the rest of the batch is lost, the collector goes on.
        this.#o.log?.error("ERR_COLLECTOR_RECEIVE", `batch of ${b.datagrams} datagrams not fully stored: ${String(e)}`);
      } finally {
        this.#release(b);
      }
    }
    if (this.#open !== null && this.#open.datagrams > 0 && this.#pool.hasIdleWorker) this.#send();
    if (q.length === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  #apply(b: Batch, job: RenderJob): void {
    b.buffers = { input: job.input, meta: job.meta, output: job.output, ends: job.ends };
    const { meta, output, ends } = b.buffers;
    const st = this.#o.status;
    const inputs = this.#o.inputs.inputs;
    const { prefixLengths, prefixIds } = b;
    const now = this.#clock();
    let line = 0;
    for (let i = 0; i < b.datagrams; i++) {
      const m = i * META_FIELDS;
      const n = meta[m + 2];
      const source = b.sources[i];
      if (n === RENDER_FAILED) {
        this.#o.log?.error("ERR_COLLECTOR_RECEIVE", `datagram from ${source.address} not stored: cannot be rendered`);
        st.drop("noMemory");
        continue;
      }
      const input = inputs[meta[m + 3]];
      const sinks = this.#sinks[input.index];
      const p0 = meta[m + 4];
      let stored = sinks[0].appendRun(output, ends, line, n, prefixIds[p0], prefixLengths[p0], now);
      line += n;
      if (sinks.length > 1) {
        // The second channel gets what the first kept (as record by record: a refused record goes nowhere further).
        const p1 = meta[m + 5];
        stored = sinks[1].appendRun(output, ends, line, stored, prefixIds[p1], prefixLengths[p1], now);
        line += n;
      }
      const counters = st.inputs[input.index];
      st.input.flowRecords.add(stored);
      counters.flows += stored;
      if (stored < n) {
        const text = `memory limit reached after ${stored} records`;
        this.#dropped("noMemory", source, meta[m + 1], "ERR_COLLECTOR_NO_MEMORY", text);
        continue;
      }
      counters.packets++;
      counters.bytes += meta[m + 1];
    }
  }

  /** A batch whose worker failed: its datagrams are lost, counted as "No memory" like any unforeseen failure. */
  #failed(b: Batch, e: Error): void {
    this.#o.log?.error("ERR_COLLECTOR_RECEIVE", `${b.datagrams} datagrams not stored: ${e.message}`);
    for (let i = 0; i < b.datagrams; i++) this.#o.status.drop("noMemory");
    b.buffers = newBatchBuffers(this.#limits); // the old ones are detached
  }

  #release(b: Batch): void {
    this.#backlog -= b.reserved;
    this.#o.files.budget.release(b.reserved);
    const standard = buffersBytes(b.buffers) === this.#batchBytes;
    if (standard && this.#spares.length < this.#maxSpares) {
      this.#spares.push(b.buffers);
    }
  }

  #dropped(reason: DropReason, source: DatagramSource, bytes: number, code: string, message: string): void {
    this.#o.status.drop(reason);
    const log = this.#o.log;
    if (log !== undefined) {
      const exporter = `${source.address}:${source.port}`;
      log.warn(code, `datagram from ${exporter} dropped: ${message}`, { reason, exporter, bytes });
    }
  }
}
