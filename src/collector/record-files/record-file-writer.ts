/**
 * The active record file of one (collector interface, input, export channel) (flow-collector.txt: "The flow records are
 * compressed into files at the flow collector interfaces"; Table 2 for the record line).
 *
 * Records are encoded as lines (`CollectorRecordEncoder`) into the current block, a buffer of `block-size` bytes
 * reserved from the interface's memory budget. A full block (or the block open at rotation, flush or close) is
 * compressed as one gzip member on a worker thread (gzip-pool.ts: the block is transferred, so the event loop keeps
 * receiving) and appended to the file; compression of several blocks runs in parallel, but a per-file promise chain writes the
 * members in block order, and files are closed (`onClosed`) in the order they were created. The block's memory goes
 * back to the budget once its member is written (or dropped). Every complete member on disk can be read by `zcat`, so
 * a SIGKILL loses at most the blocks not yet written.
 *
 * The file is written as `<final name>.tmp` and renamed to its final name when it rotates: at `maximum-records` records
 * or `maximum-age` after its creation, whichever comes first (checked on every append and by {@link tick}). Each file
 * draws a random 64-bit linkDir ("a randomly generated number used to identify the record").
 *
 * A disk error (ENOSPC, EACCES, EIO...) never throws: it is counted (`diskErrors`) and logged (rate-limited); the
 * file is cut back to its complete members and closed (or deleted when it has none), the records of blocks that could
 * not be written are reported through `onDroppedRecords`, and after `retryDelayMs` the next record opens a new file.
 */
import { CollectorFileNameFormat } from "../../wire/collector-file-name.ts";
import {
  type CollectorFlowFields,
  type CollectorRecordPrefix,
  CollectorRecordEncoder,
} from "../../wire/collector-record.ts";
import { ipv4ToString } from "../../wire/ipv4-address.ts";
import type { FileSpecificationConfig } from "../config.ts";
import type { Clock, ClosedRecordFile, MemoryBudget, RecordSink } from "../contracts.ts";
import type { FileStatus } from "../status.ts";
import { ActiveRecordFile, randomLinkDir } from "./active-record-file.ts";
import { returnBlock, sharedGzipPool, takeBlock } from "./gzip-pool.ts";
import {
  RecordFileError,
  RecordFileIoError,
  type RecordFileOperation,
  systemErrorCode,
  withIoError as io,
} from "./errors.ts";
import { type ClaimedName, FileNamer } from "./file-namer.ts";
import { nodeRecordFileOps, type RecordFileHandle, type RecordFileOps } from "./file-ops.ts";
import type { RecordFileCounters } from "./record-file-counters.ts";

/** Attempts to find a free name (one second later each time) before giving up on a file. */
const NAME_ATTEMPTS = 60;

/** Default wait after a disk error before a new file is opened, ms. */
export const DISK_RETRY_DELAY_MS = 1000;

/** Logs an error occurrence (a `RateLimitedLog` fits). */
export interface RecordFileLog {
  error(code: string, message: string, fields?: Record<string, unknown>): void;
}

/** What a {@link RecordFileWriter} writes and where. */
export interface RecordFileWriterOptions {
  interfaceName: string;
  input: string;
  channel: 0 | 1;
  /** The interface's spool directory (created if missing). */
  directory: string;
  /** `analyzer-address` as an unsigned 32-bit IPv4 address, and `analyzer-ID` (Table 2, fields 2 and 3). */
  analyzerAddress: number;
  analyzerId: string;
  /** ifAlias of the input (Table 2, field 4; `%N` of the name). */
  ifAlias: string;
  /** `maximum-records`, `maximum-age` (ms), `block-size` (bytes), `name-format`. */
  fileSpecification: FileSpecificationConfig;
  budget: MemoryBudget;
  /** The interface-level counters, shared by the interface's writers. */
  counters: RecordFileCounters;
  /** Compiled `name-format` (default: compiled from `fileSpecification`). */
  nameFormat?: CollectorFileNameFormat;
  /** Shared by the writers of one interface so names never collide (default: a namer of this writer's own). */
  namer?: FileNamer;
  /** Default `Date.now`. */
  clock?: Clock;
  /** Default {@link nodeRecordFileOps}. */
  ops?: RecordFileOps;
  log?: RecordFileLog;
  /** Called with each file once it is closed and renamed (not for a file that ended empty). */
  onClosed?: (file: ClosedRecordFile) => void;
  /** Called with the number of records lost when a block could not be written. */
  onDroppedRecords?: (records: number) => void;
  /** Draws a linkDir per file (default: 64 random bits from node:crypto). */
  linkDir?: () => bigint;
  /** gzip level 0-9 (default 6). */
  compressionLevel?: number;
  /** Wait after a disk error before the next file is opened; records offered meanwhile are refused. Default 1000 ms. */
  retryDelayMs?: number;
}

/** A file's constant fields as ASCII and an id that changes whenever they do (see `RecordFileWriter.linePrefix`). */
export interface LinePrefix {
  readonly id: number;
  /** The fields (what `CollectorRecordEncoder` takes). */
  readonly fields: CollectorRecordPrefix;
  /** As the line starts with them, ASCII. */
  readonly bytes: Uint8Array;
}

/** The constant fields of a line as ASCII bytes, exactly as `CollectorRecordEncoder` writes them (already validated). */
function prefixBytes(p: CollectorRecordPrefix): Uint8Array {
  const text = `${p.linkDir}|${ipv4ToString(p.analyzerAddress)}|${p.analyzerId}|${p.ifAlias}`;
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The record file of one (input, channel); implements the receiver's {@link RecordSink}. */
export class RecordFileWriter implements RecordSink {
  readonly interfaceName: string;
  readonly input: string;
  readonly channel: 0 | 1;
  readonly #o: RecordFileWriterOptions;
  readonly #format: CollectorFileNameFormat;
  readonly #namer: FileNamer;
  readonly #clock: Clock;
  readonly #ops: RecordFileOps;
  readonly #encoder: CollectorRecordEncoder;
  readonly #blockSize: number;
  readonly #gzipLevel: number;
  /** The current file's constant fields as ASCII (`linkDir|analyzer-address|analyzer-ID|ifAlias`), with an id. */
  #linePrefix: LinePrefix;
  #current: ActiveRecordFile | null = null;
  readonly #closing = new Set<ActiveRecordFile>();
  #block: Buffer | null = null;
  #pos = 0;
  #blockRecords = 0;
  #retryAtMs = Number.NEGATIVE_INFINITY;
  #lastClose: Promise<void> = Promise.resolve();
  #closed = false;

  /**
   * @throws InvalidFieldError (from the wire codecs) for an analyzer ID, ifAlias or name format that cannot be written.
   * @throws RecordFileError `ERR_RECORD_FILE_BLOCK_SIZE` when `block-size` cannot hold one longest record line.
   */
  constructor(options: RecordFileWriterOptions) {
    this.#o = options;
    this.interfaceName = options.interfaceName;
    this.input = options.input;
    this.channel = options.channel;
    this.#format = options.nameFormat ?? new CollectorFileNameFormat(options.fileSpecification["name-format"]);
    this.#namer = options.namer ?? new FileNamer();
    this.#clock = options.clock ?? Date.now;
    this.#ops = options.ops ?? nodeRecordFileOps;
    this.#blockSize = options.fileSpecification["block-size"];
    this.#gzipLevel = options.compressionLevel ?? 6;
    this.#encoder = new CollectorRecordEncoder(this.#prefix(0n), 0);
    this.#linePrefix = { id: 0, fields: this.#prefix(0n), bytes: prefixBytes(this.#prefix(0n)) };
    if (this.#blockSize < this.#encoder.maxLineLength) {
      throw new RecordFileError("ERR_RECORD_FILE_BLOCK_SIZE", `block-size ${this.#blockSize} is below one record line`);
    }
    this.#name({ time: 0, sequence: 0 }); // fails now, not on the first record, if the name cannot be built
  }

  /**
   * Appends one record to the current block (allocating a block, and opening a file, when needed). Returns false,
   * keeping nothing, when no block can be reserved from the memory budget ("Blocks unavailable"), during the wait
   * after a disk error, or after {@link close}; the caller counts the drop.
   * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD` for a field value outside its range (nothing is kept).
   */
  append(flow: CollectorFlowFields): boolean {
    if (this.#closed || !this.#ready(this.#clock())) return false;
    const start = this.#pos;
    this.#pos = this.#encoder.encodeInto(flow, this.#block!, start);
    this.#appended(1, this.#pos - start);
    return true;
  }

  /**
   * Like {@link append} for a record rendered elsewhere (a render worker, docs/collector.md "Threads"): `src[start..end)`
   * is its flow part, `|source-address|...|dst_AS_number\n` (at most one longest flow part), and the file's constant
   * fields are put before it. `nowMs` is the time for rotation by age and for a new file's name (the caller reads the
   * clock once per datagram). Returns false, keeping nothing, in the same cases as {@link append}.
   */
  appendRendered(src: Uint8Array, start: number, end: number, nowMs: number): boolean {
    if (this.#closed || !this.#ready(nowMs)) return false;
    const block = this.#block!;
    const prefix = this.#linePrefix.bytes;
    const n = prefix.length;
    const begin = this.#pos;
    let p = begin;
    // Byte loops: faster than TypedArray.set for a few dozen bytes, and no subarray objects.
    for (let i = 0; i < n; i++) block[p++] = prefix[i];
    for (let i = start; i < end; i++) block[p++] = src[i];
    this.#pos = p;
    this.#appended(1, p - begin);
    return true;
  }

  /**
   * The constant fields (`linkDir|analyzer-address|analyzer-ID|ifAlias`) of the current file, or of the last one when
   * none is open, and an id that changes with them: what a render worker puts before the records it renders for
   * this writer ({@link appendRun}).
   */
  get linePrefix(): LinePrefix {
    return this.#linePrefix;
  }

  /**
   * Appends the run of `n` rendered record lines `first`..`first + n - 1` of `src`: line j is `src[ends[j - 1]..ends[j])`
   * (from 0 for j = 0) and starts with the constant fields of the prefix `prefixId`, `prefixLength` bytes. When that
   * is still {@link linePrefix} and the run fits in the current block and file, it is copied at once; otherwise line by
   * line with the current prefix ({@link appendRendered}). Blocks, rotation and counters come out exactly as with
   * {@link append} record by record. Returns the number of records kept (fewer than `n` when one was refused).
   */
  appendRun(
    src: Uint8Array,
    ends: Uint32Array,
    first: number,
    n: number,
    prefixId: number,
    prefixLength: number,
    nowMs: number,
  ): number {
    if (this.#closed) return 0;
    this.#rotateIfAged(nowMs);
    const maxRecords = this.#o.fileSpecification["maximum-records"];
    const last = first + n - 1;
    for (let k = 0; k < n; k++) {
      const line = first + k;
      const start = line === 0 ? 0 : ends[line - 1];
      const f = this.#current;
      const block = this.#block;
      if (block !== null && f !== null && prefixId === this.#linePrefix.id) {
        const end = ends[last];
        const count = n - k;
        const total = end - start;
        const lastLength = count === 1 ? total : end - ends[last - 1];
        // No record of the run finds less than a longest line left: no seal would fall inside it.
        if (
          f.appended + count <= maxRecords &&
          block.length - this.#pos - (total - lastLength) >= this.#encoder.maxLineLength
        ) {
          block.set(src.subarray(start, end), this.#pos);
          this.#pos += total;
          this.#appended(count, total);
          return n;
        }
      }
      if (!this.appendRendered(src, start + prefixLength, ends[line], nowMs)) return k;
    }
    return n;
  }

  /** Rotates the file when `maximum-age` has elapsed, and closes the rate interval of the files' counters. */
  tick(nowMs: number): void {
    this.#rotateIfAged(nowMs);
    for (const c of this.#files()) c.tick(nowMs);
  }

  /** Writes the current block out as a member (the file stays open) and waits for every queued write. */
  async flush(): Promise<void> {
    if (this.#block !== null) this.#seal();
    await Promise.all(this.#files().map((f) => f.settled));
  }

  /** Closes the writer (SIGTERM): writes the current block, closes and renames the file, waits for all of it. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#rotate();
    while (this.#closing.size > 0) await Promise.all([...this.#closing].map((f) => f.settled));
  }

  /** The active file and files still closing, all in state `Active`. */
  files(): FileStatus[] {
    return this.#files().map((f) => f.status());
  }

  /** Rotates the current file when `maximum-age` has elapsed since its creation at `nowMs`. */
  #rotateIfAged(nowMs: number): void {
    const f = this.#current;
    if (f !== null && nowMs - f.createdAtMs >= this.#o.fileSpecification["maximum-age"]) this.#rotate();
  }

  /**
   * Before one record: rotates an aged file, seals a block with less than a longest line left, and allocates a block
   * (and opens a file) when none is open. False when no block can be had (budget, or the wait after a disk error).
   */
  #ready(nowMs: number): boolean {
    const f = this.#current;
    if (f !== null && nowMs - f.createdAtMs >= this.#o.fileSpecification["maximum-age"]) this.#rotate();
    if (this.#block !== null && this.#block.length - this.#pos < this.#encoder.maxLineLength) this.#seal();
    return this.#block !== null || this.#allocate(nowMs);
  }

  /**
   * Counts `records` records of `bytes` bytes in all just written to the current block (whose `#pos` is already past
   * them) in the block, the file and the interface, and rotates the file at `maximum-records`.
   */
  #appended(records: number, bytes: number): void {
    const f = this.#current!;
    this.#blockRecords += records;
    f.appended += records;
    f.records.add(records);
    f.uncompressedBytes.add(bytes);
    this.#o.counters.uncompressedBytes.add(bytes);
    if (f.appended >= this.#o.fileSpecification["maximum-records"]) this.#rotate();
  }

  #files(): ActiveRecordFile[] {
    return this.#current === null ? [...this.#closing] : [this.#current, ...this.#closing];
  }

  #prefix(linkDir: bigint) {
    return {
      linkDir,
      analyzerAddress: this.#o.analyzerAddress,
      analyzerId: this.#o.analyzerId,
      ifAlias: this.#o.ifAlias,
    };
  }

  #name(claimed: ClaimedName): string {
    const o = this.#o;
    return this.#format.name({
      analyzerId: o.analyzerId,
      analyzerAddress: o.analyzerAddress,
      channel: o.channel,
      ifAlias: o.ifAlias,
      time: claimed.time,
      sequence: claimed.sequence,
    });
  }

  #allocate(now: number): boolean {
    if (this.#current === null && now < this.#retryAtMs) return false;
    if (!this.#o.budget.tryReserve(this.#blockSize)) {
      this.#o.counters.blocksUnavailable.add(1);
      return false;
    }
    this.#o.counters.blocksAllocated.add(1);
    this.#block = takeBlock(this.#blockSize); // own ArrayBuffer: it is transferred to the gzip worker, and comes back
    this.#pos = 0;
    this.#blockRecords = 0;
    if (this.#current === null) this.#current = this.#open(now);
    this.#current.blockCount++;
    return true;
  }

  #open(now: number): ActiveRecordFile {
    const claimed = this.#namer.claim(this.channel, this.#o.ifAlias, Math.floor(now / 1000));
    const f = new ActiveRecordFile({
      interfaceName: this.interfaceName,
      input: this.input,
      channel: this.channel,
      directory: this.#o.directory,
      name: this.#name(claimed),
      nameTime: claimed.time,
      createdAtMs: now,
      linkDir: (this.#o.linkDir ?? randomLinkDir)(),
    });
    this.#encoder.setPrefix(this.#prefix(f.linkDir));
    const fields = this.#prefix(f.linkDir);
    this.#linePrefix = { id: this.#linePrefix.id + 1, fields, bytes: prefixBytes(fields) };
    this.#o.counters.filesCreated.add(1);
    f.enqueue(() => this.#create(f));
    return f;
  }

  /** Creates `<name>.tmp` exclusively, moving the name one second on while it or the final name is taken. */
  async #create(f: ActiveRecordFile): Promise<void> {
    try {
      await io("mkdir", f.directory, () => this.#ops.mkdir(f.directory));
      for (let attempt = 1; ; attempt++) {
        const taken = await io("open", f.finalPath, () => this.#ops.exists(f.finalPath));
        if (!taken) {
          try {
            f.handle = await this.#ops.create(f.temporaryPath);
            return;
          } catch (e) {
            if (systemErrorCode(e) !== "EEXIST" || attempt >= NAME_ATTEMPTS) throw e;
          }
        } else if (attempt >= NAME_ATTEMPTS) {
          throw Object.assign(new Error("file name taken"), { code: "EEXIST" });
        }
        const next = this.#namer.claim(this.channel, this.#o.ifAlias, f.nameTime + 1);
        f.name = this.#name(next);
        f.nameTime = next.time;
      }
    } catch (e) {
      this.#diskError(f, e instanceof RecordFileIoError ? e : new RecordFileIoError("open", f.temporaryPath, e));
    }
  }

  /** Hands the current block to gzip and queues its member for the file. */
  #seal(): void {
    const f = this.#current!;
    const block = this.#block!;
    const used = this.#pos;
    const records = this.#blockRecords;
    this.#block = null;
    this.#pos = 0;
    this.#blockRecords = 0;
    if (records === 0 || f.failed) {
      this.#dropped(records);
      this.#freeBlock();
      returnBlock(block.buffer as ArrayBuffer);
      return;
    }
    const pool = sharedGzipPool();
    const member = pool.gzip(block.buffer as ArrayBuffer, block.byteOffset, used, this.#gzipLevel, returnBlock);
    member.catch(() => {}); // observed in #writeMember; this only keeps an early rejection from being "unhandled"
    f.enqueue(() => this.#writeMember(f, member, records, used));
  }

  async #writeMember(f: ActiveRecordFile, member: Promise<Uint8Array>, records: number, used: number): Promise<void> {
    // Per block: awaits the member and the write directly (no `withIoError` wrappers) and names the failing operation.
    let operation: RecordFileOperation = "compress";
    try {
      const bytes = await member;
      const handle = f.handle;
      if (f.failed || handle === null) {
        this.#dropped(records);
        return;
      }
      operation = "write";
      await handle.write(bytes);
      f.members++;
      f.diskBytes += bytes.length;
      f.keptRecords += records;
      f.keptUncompressedBytes += used;
      f.compressedBytes.add(bytes.length);
      this.#o.counters.compressedBytes.add(bytes.length);
    } catch (e) {
      this.#diskError(f, e instanceof RecordFileIoError ? e : new RecordFileIoError(operation, f.temporaryPath, e));
      this.#dropped(records);
    } finally {
      this.#freeBlock();
    }
  }

  #freeBlock(): void {
    this.#o.budget.release(this.#blockSize);
    this.#o.counters.blocksFreed.add(1);
  }

  #dropped(records: number): void {
    if (records === 0) return;
    this.#o.counters.droppedRecords += records;
    this.#o.onDroppedRecords?.(records);
  }

  /** Ends the current file: its last block is sealed, and closing is queued after its members. */
  #rotate(): void {
    const f = this.#current;
    if (f === null) return;
    if (this.#block !== null) this.#seal();
    this.#current = null;
    this.#closing.add(f);
    // Files close in creation order, so `onClosed` queues them oldest first.
    const previous = this.#lastClose;
    f.enqueue(async () => {
      await previous;
      await this.#finish(f);
    });
    this.#lastClose = f.settled;
  }

  /** Cuts a failed file back to its complete members, syncs and closes it, then renames (or deletes) it. */
  async #finish(f: ActiveRecordFile): Promise<void> {
    const handle = f.handle;
    try {
      if (handle === null) return; // never created
      await this.#closeHandle(f, handle);
      if (f.members === 0) {
        await io("unlink", f.temporaryPath, () => this.#ops.unlink(f.temporaryPath));
        return;
      }
      await io("rename", f.temporaryPath, () => this.#ops.rename(f.temporaryPath, f.finalPath));
      this.#published(f);
    } catch (e) {
      this.#diskError(f, e); // the .tmp stays; spool recovery at the next start keeps its complete members
    } finally {
      f.handle = null;
      this.#closing.delete(f);
    }
  }

  async #closeHandle(f: ActiveRecordFile, handle: RecordFileHandle): Promise<void> {
    let failure: unknown = null;
    try {
      if (f.failed) await io("truncate", f.temporaryPath, () => handle.truncate(f.diskBytes));
      if (f.members > 0) await io("sync", f.temporaryPath, () => handle.sync());
    } catch (e) {
      failure = e;
    }
    try {
      await io("close", f.temporaryPath, () => handle.close());
    } catch (e) {
      failure ??= e;
    }
    if (failure !== null) throw failure;
  }

  #published(f: ActiveRecordFile): void {
    try {
      this.#o.onClosed?.(f.closed(this.#clock()));
    } catch (e) {
      this.#o.log?.error("ERR_RECORD_FILE_CALLBACK", `onClosed failed for ${f.name}: ${String(e)}`);
    }
  }

  /** Counts and logs a disk error; the first one of a file abandons it and delays the next file. */
  #diskError(f: ActiveRecordFile, e: unknown): void {
    const err = e instanceof RecordFileIoError ? e : new RecordFileIoError("write", f.temporaryPath, e);
    this.#o.counters.diskErrors++;
    this.#o.log?.error(err.code, err.message, {
      errno: err.errno,
      operation: err.operation,
      path: err.path,
      interface: this.interfaceName,
      input: this.input,
      channel: this.channel,
    });
    if (f.failed) return;
    f.failed = true;
    if (this.#current === f) {
      this.#retryAtMs = this.#clock() + (this.#o.retryDelayMs ?? DISK_RETRY_DELAY_MS);
      this.#rotate();
    }
  }
}
