/**
 * The record files of one collector interface (flow-collector.txt: "The flow records are compressed into files at the
 * flow collector interfaces"): one {@link RecordFileWriter} per (input, export channel), all in
 * `<spool>/<interface>/`, sharing the interface's memory budget (`memory-limit`), file namer and counters. This is the
 * receiver's {@link RecordFileSink}; the daemon drives {@link RecordFileSet.tick} about once a second, calls
 * {@link RecordFileSet.close} on SIGTERM, and reads {@link RecordFileSet.files} and {@link RecordFileSet.stats} for
 * `show services flow-collector (interface | file interface) X`.
 */
import { ipv4FromString } from "../../wire/ipv4-address.ts";
import { CollectorFileNameFormat, ifAliasFromName } from "../../wire/collector-file-name.ts";
import { componentLogger, type Logger } from "../../runtime/logger.ts";
import { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { CollectorInterfaceConfig } from "../config.ts";
import type { Clock, ClosedRecordFile, MemoryBudget, RecordFileSink } from "../contracts.ts";
import type { FileStatus } from "../status.ts";
import { UnknownRecordInputError } from "./errors.ts";
import { FileNamer } from "./file-namer.ts";
import type { RecordFileOps } from "./file-ops.ts";
import { InterfaceMemoryBudget } from "./memory-budget.ts";
import { RecordFileCounters, type RecordFileCountersSnapshot } from "./record-file-counters.ts";
import { RecordFileWriter, type RecordFileLog } from "./record-file-writer.ts";
import { interfaceSpoolDirectory } from "./spool-layout.ts";

/** How a {@link RecordFileSet} is built. */
export interface RecordFileSetOptions {
  /** The collector interface name (`cp-6/0/0`). */
  interfaceName: string;
  config: CollectorInterfaceConfig;
  /** `spool-directory`; the interface's files go to `<spool>/<interface as a directory name>/`. */
  spoolDirectory: string;
  /** Default: a budget of the interface's `memory-limit`. */
  budget?: MemoryBudget;
  /** Default `Date.now`. */
  clock?: Clock;
  /** File operations (tests inject failures); default node:fs. */
  ops?: RecordFileOps;
  /** Disk errors are logged through it (component `record-files`, rate-limited); default: not logged, only counted. */
  logger?: Logger;
  /** Each closed file, for the export queue of its channel. */
  onClosed?: (file: ClosedRecordFile) => void;
  /** Records lost with blocks that could not be written (the receiver counts them as "No memory"). */
  onDroppedRecords?: (records: number) => void;
  /** linkDir source, default 64 random bits per file. */
  linkDir?: () => bigint;
  /** gzip level 0-9; default the file specification's `compression-level`. */
  compressionLevel?: number;
  /** Wait after a disk error before a writer opens a new file, ms (default 1000). */
  retryDelayMs?: number;
}

/** The interface-level figures of the record files, in the status model's shapes. */
export interface RecordFileSetStats extends RecordFileCountersSnapshot {
  /** "Memory: Used: N, Free: M", bytes. */
  memory: { used: number; free: number };
}

/** All record files of one collector interface. */
export class RecordFileSet implements RecordFileSink {
  readonly interfaceName: string;
  /** `<spool>/<interface as a directory name>`. */
  readonly directory: string;
  readonly budget: MemoryBudget;
  readonly counters: RecordFileCounters;
  /** Its sinks take records rendered by the receive path's workers (`RecordFileWriter.appendRendered`). */
  readonly takesRenderedRecords = true;
  readonly #o: RecordFileSetOptions;
  readonly #clock: Clock;
  readonly #format: CollectorFileNameFormat;
  readonly #namer = new FileNamer();
  readonly #log: RecordFileLog | undefined;
  readonly #analyzerAddress: number;
  readonly #writers = new Map<string, RecordFileWriter>();
  #closed = false;

  /**
   * Builds the writers of every configured (input, channel); no file is created before the first record.
   * @throws InvalidFieldError (wire codecs) for a name format, analyzer or ifAlias that cannot be written.
   * @throws MemoryBudgetError `ERR_MEMORY_BUDGET` for an invalid `memory-limit`.
   */
  constructor(options: RecordFileSetOptions) {
    this.#o = options;
    this.interfaceName = options.interfaceName;
    this.directory = interfaceSpoolDirectory(options.spoolDirectory, options.interfaceName);
    this.#clock = options.clock ?? Date.now;
    this.budget = options.budget ?? new InterfaceMemoryBudget(options.config["memory-limit"]);
    this.counters = new RecordFileCounters(this.#clock());
    this.#format = new CollectorFileNameFormat(options.config["file-specification"]["name-format"]);
    this.#analyzerAddress = ipv4FromString(options.config["analyzer-address"]);
    if (options.logger !== undefined) {
      this.#log = new RateLimitedLog(componentLogger(options.logger, "record-files"), { now: this.#clock });
    }
    for (const [input, cfg] of Object.entries(options.config.inputs)) {
      for (const channel of cfg.channels) this.sink(input, channel);
    }
  }

  /**
   * The record sink of `input` for `channel` (created on first use; its file is opened on the first record).
   * @throws UnknownRecordInputError `ERR_RECORD_FILE_INPUT` for an input the interface does not configure.
   */
  sink(input: string, channel: 0 | 1): RecordFileWriter {
    const key = `${input}\u0000${channel}`;
    const known = this.#writers.get(key);
    if (known !== undefined) return known;
    const cfg = Object.hasOwn(this.#o.config.inputs, input) ? this.#o.config.inputs[input] : undefined;
    if (cfg === undefined) throw new UnknownRecordInputError(this.interfaceName, input);
    const writer = this.#writer(input, channel, cfg["if-alias"] ?? ifAliasFromName(input));
    this.#writers.set(key, writer);
    if (this.#closed) void writer.close();
    return writer;
  }

  /** Whether `bytes` more can be held now: the memory budget has them free. */
  canAccept(bytes: number): boolean {
    return this.budget.limit - this.budget.used >= bytes;
  }

  /** Rotates files past `maximum-age` and closes the rate interval of every counter (call about once a second). */
  tick(nowMs: number): void {
    for (const w of this.#writers.values()) w.tick(nowMs);
    this.counters.tick(nowMs);
  }

  /** Writes every current block out as a member (files stay open) and waits for all queued writes. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((w) => w.flush()));
  }

  /** SIGTERM: writes every open block, closes and renames every file, and waits for it all. Later records are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#writers.values()].map((w) => w.close()));
  }

  /** The active files (state `Active`), for `show services flow-collector file interface X`. */
  files(): FileStatus[] {
    const out: FileStatus[] = [];
    for (const w of this.#writers.values()) out.push(...w.files());
    return out;
  }

  /** Memory, allocation, files created, throughput, disk errors and dropped records. */
  stats(): RecordFileSetStats {
    return {
      memory: { used: this.budget.used, free: this.budget.limit - this.budget.used },
      ...this.counters.snapshot(),
    };
  }

  /** Zeroes the interface-level counters (`clear services flow-collector statistics`); files keep their figures. */
  clearStatistics(nowMs: number): void {
    this.counters.clear(nowMs);
  }

  #writer(input: string, channel: 0 | 1, ifAlias: string): RecordFileWriter {
    const o = this.#o;
    return new RecordFileWriter({
      interfaceName: this.interfaceName,
      input,
      channel,
      directory: this.directory,
      analyzerAddress: this.#analyzerAddress,
      analyzerId: o.config["analyzer-id"],
      ifAlias,
      fileSpecification: o.config["file-specification"],
      budget: this.budget,
      counters: this.counters,
      nameFormat: this.#format,
      namer: this.#namer,
      clock: this.#clock,
      ops: o.ops,
      log: this.#log,
      onClosed: o.onClosed,
      onDroppedRecords: o.onDroppedRecords,
      linkDir: o.linkDir,
      compressionLevel: o.compressionLevel ?? o.config["file-specification"]["compression-level"],
      retryDelayMs: o.retryDelayMs,
    });
  }
}
