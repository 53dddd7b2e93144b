/**
 * The state of one record file from its creation until it is closed (renamed to its final name) or abandoned: its
 * name, linkDir, open handle, the promise chain that keeps its gzip members in order, and its figures for
 * `show services flow-collector file interface X (detail | extensive)` (flow-collector.txt).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ClosedRecordFile } from "../contracts.ts";
import { RateCounter } from "../rate-counter.ts";
import type { FileStatus } from "../status.ts";
import type { RecordFileHandle } from "./file-ops.ts";
import { temporaryPath } from "./spool-layout.ts";

/** What a record file is created with. */
export interface ActiveRecordFileInit {
  interfaceName: string;
  input: string;
  channel: 0 | 1;
  /** The interface's spool directory. */
  directory: string;
  /** Final file name (see {@link FileNamer}); may change once, before the file exists, to avoid a collision. */
  name: string;
  /** UNIX seconds in the name (`%D_%T`). */
  nameTime: number;
  createdAtMs: number;
  /** The random 64-bit linkDir written into every record of the file. */
  linkDir: bigint;
}

/**
 * A new linkDir: 64 random bits (node:crypto). The spec calls linkDir "a randomly generated number used to identify the
 * record"; flowlens draws one per file, the same in every record of that file.
 */
export function randomLinkDir(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}

/** One record file (active, closing, or abandoned after a disk error). */
export class ActiveRecordFile {
  readonly interfaceName: string;
  readonly input: string;
  readonly channel: 0 | 1;
  readonly directory: string;
  readonly createdAtMs: number;
  readonly linkDir: bigint;
  name: string;
  /** UNIX seconds in the name. */
  nameTime: number;
  /** Open handle; null before the file is created, after it is closed, or when creating it failed. */
  handle: RecordFileHandle | null = null;
  /** Set by the first disk error: later members are dropped, the file is cut back to its complete members. */
  failed = false;
  /** Records appended (including any later lost with a dropped block): drives rotation by `maximum-records`. */
  appended = 0;
  /** Blocks allocated for this file ("Block count"). */
  blockCount = 0;
  /** gzip members on disk ("Compressed blocks"). */
  members = 0;
  /** Bytes on disk: the complete members. */
  diskBytes = 0;
  /** Records and uncompressed bytes in the members on disk. */
  keptRecords = 0;
  keptUncompressedBytes = 0;
  /** "Flow records", "Uncompressed bytes" (counted when appended) and "Compressed bytes" (when written), with rates. */
  readonly records: RateCounter;
  readonly uncompressedBytes: RateCounter;
  readonly compressedBytes: RateCounter;
  #chain: Promise<void> = Promise.resolve();
  /** The name the cached paths were built for. */
  #pathsOf: string | undefined;
  #finalPath = "";
  #temporaryPath = "";

  constructor(init: ActiveRecordFileInit) {
    this.interfaceName = init.interfaceName;
    this.input = init.input;
    this.channel = init.channel;
    this.directory = init.directory;
    this.name = init.name;
    this.nameTime = init.nameTime;
    this.createdAtMs = init.createdAtMs;
    this.linkDir = init.linkDir;
    this.records = new RateCounter(init.createdAtMs);
    this.uncompressedBytes = new RateCounter(init.createdAtMs);
    this.compressedBytes = new RateCounter(init.createdAtMs);
  }

  /** Path of the closed file. */
  get finalPath(): string {
    if (this.#pathsOf !== this.name) this.#paths();
    return this.#finalPath;
  }

  /** Path while the file is written (`<final path>.tmp`). */
  get temporaryPath(): string {
    if (this.#pathsOf !== this.name) this.#paths();
    return this.#temporaryPath;
  }

  /** Builds both paths once per name (they are read for every member written). */
  #paths(): void {
    this.#pathsOf = this.name;
    this.#finalPath = join(this.directory, this.name);
    this.#temporaryPath = temporaryPath(this.#finalPath);
  }

  /** Settles when every step queued so far has run; steps never reject. */
  get settled(): Promise<void> {
    return this.#chain;
  }

  /** Queues `step` after every step queued before it (file operations of one file run strictly in order). */
  enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step);
  }

  /** Closes the rate interval of the file's counters. */
  tick(nowMs: number): void {
    this.records.tick(nowMs);
    this.uncompressedBytes.tick(nowMs);
    this.compressedBytes.tick(nowMs);
  }

  /** The file as `show services flow-collector file` reports it while it is written: state `Active`. */
  status(): FileStatus {
    return {
      name: this.name,
      input: this.input,
      channel: this.channel,
      state: "Active",
      records: this.records.snapshot(),
      uncompressedBytes: this.uncompressedBytes.snapshot(),
      compressedBytes: this.compressedBytes.snapshot(),
      compressedBlocks: this.members,
      blockCount: this.blockCount,
      transferAttempts: 0,
    };
  }

  /** The closed file for the export queue: only what is on disk counts. */
  closed(closedAtMs: number): ClosedRecordFile {
    return {
      path: this.finalPath,
      name: this.name,
      interfaceName: this.interfaceName,
      input: this.input,
      channel: this.channel,
      records: this.keptRecords,
      uncompressedBytes: this.keptUncompressedBytes,
      compressedBytes: this.diskBytes,
      compressedBlocks: this.members,
      createdAtMs: this.createdAtMs,
      closedAtMs,
    };
  }
}
