/**
 * Incremental MRT stream reading (RFC 6396): {@link MrtReader} is fed a file in chunks of any size and hands out each
 * record as soon as its bytes are complete, keeping only the unconsumed tail, so a multi-gigabyte RIB dump streams in
 * memory bounded by the largest record. Decoding is `mrt.ts`.
 */
import { ChunkStream } from "./chunk-stream.ts";
import { TruncatedError, WireError } from "./errors.ts";
import {
  decodeMrtHeader,
  decodeMrtMessage,
  MRT_DEFAULT_MAX_RECORD_LENGTH,
  MRT_HEADER_LENGTH,
  type MrtHeader,
  type MrtPeerIndexTable,
  type MrtRecord,
} from "./mrt.ts";

/** Limits of an {@link MrtReader}. */
export interface MrtReaderOptions {
  /** Largest record message, bytes (default 16 MiB); a longer one is `ERR_MRT_LENGTH`, not buffered. */
  maxRecordLength?: number;
}

/** One undecoded record: its header and where its message lies. */
export interface MrtFrame {
  /** The checked common header. */
  header: MrtHeader;
  /** A buffer holding the record; valid while the pushed chunks are unchanged. */
  bytes: Uint8Array;
  /** Offset of the message (after the header) in `bytes`; it is `header.length` bytes long. */
  offset: number;
  /** File offset of the record's header. */
  fileOffset: number;
}

/**
 * A push-fed MRT record reader. Usage: `push(chunk)`, then `next()` until it returns undefined (more input needed); at
 * the end of input `end()`, then `next()` until undefined. Chunks are kept by reference (do not modify one after pushing
 * it); only a record spanning chunks is copied. Records' views alias the chunks.
 *
 * Errors are WireErrors at absolute file offsets. Framing errors stop the reader (every later call throws the same):
 * `ERR_MRT_TYPE` (a type outside the registry: not MRT, or out of sync), `ERR_MRT_LENGTH` (over the limit),
 * `ERR_MRT_TRUNCATED` (input ends inside a record). An error inside one record's message (`ERR_MRT_*`,
 * `ERR_BGP_ATTRIBUTE`) is thrown once with the record already consumed: the caller may count it and call `next()` again.
 */
export class MrtReader {
  readonly #maxRecordLength: number;
  readonly #in = new ChunkStream();
  #ended = false;
  #error: WireError | undefined;
  #recordOffset = 0;
  #records = 0;
  #peerIndexTable: MrtPeerIndexTable | undefined;

  constructor(options: MrtReaderOptions = {}) {
    this.#maxRecordLength = options.maxRecordLength ?? MRT_DEFAULT_MAX_RECORD_LENGTH;
  }

  /** Absolute file offset of the first byte not yet consumed. */
  get offset(): number {
    return this.#in.base + this.#in.pos;
  }

  /** File offset of the record most recently returned (or failed). */
  get recordOffset(): number {
    return this.#recordOffset;
  }

  /** Records consumed so far (returned or failed in their message). */
  get records(): number {
    return this.#records;
  }

  /** Whether a framing error has stopped the reader (a message error does not). */
  get failed(): boolean {
    return this.#error !== undefined;
  }

  /** Bytes pushed but not yet consumed. */
  get buffered(): number {
    return this.#in.buffered;
  }

  /** The latest PEER_INDEX_TABLE read, which names the peers of the RIB entries after it. */
  get peerIndexTable(): MrtPeerIndexTable | undefined {
    return this.#peerIndexTable;
  }

  /** Appends the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    if (this.#ended) throw new WireError("ERR_MRT_ENDED", "MRT reader: push after end", this.offset);
    this.#in.push(chunk);
  }

  /** Marks the end of input; drain the rest with {@link next}, which reports a final record cut short. */
  end(): void {
    this.#ended = true;
  }

  /**
   * The next complete record, or undefined when more input is needed (or, after {@link end}, at the clean end).
   * Throws as the class comment describes.
   */
  next(): MrtRecord | undefined {
    const frame = this.nextFrame();
    if (frame === undefined) return undefined;
    let record: MrtRecord;
    try {
      record = decodeMrtMessage(frame.header, frame.bytes, frame.offset);
    } catch (e) {
      throw this.#rebase(e, frame.offset - MRT_HEADER_LENGTH);
    }
    if (record.kind === "peerIndexTable") this.#peerIndexTable = record;
    return record;
  }

  /**
   * The next complete record undecoded (its header checked), or undefined as {@link next}; for callers that read the
   * message themselves, e.g. with `MrtRibCursor`. Framing errors throw as in {@link next}. Such a caller's own errors
   * carry offsets into `frame.bytes`; `frame.fileOffset` locates the record in the file. Peer index tables read this
   * way are not remembered in {@link peerIndexTable}.
   */
  nextFrame(): MrtFrame | undefined {
    if (this.#error !== undefined) throw this.#error;
    let header: MrtHeader;
    let length: number;
    try {
      if (!this.#fill(MRT_HEADER_LENGTH)) return undefined;
      header = decodeMrtHeader(this.#in.buf, this.#in.pos, this.#maxRecordLength);
      length = MRT_HEADER_LENGTH + header.length;
      if (!this.#fill(length)) return undefined;
    } catch (e) {
      throw this.#fail(e);
    }
    const start = this.#in.pos;
    this.#recordOffset = this.#in.base + start;
    this.#in.pos += length;
    this.#records++;
    return { header, bytes: this.#in.buf, offset: start + MRT_HEADER_LENGTH, fileOffset: this.#recordOffset };
  }

  /** Yields every record available now (see {@link next}; a message error ends the iteration by throwing). */
  *drain(): Generator<MrtRecord, void, undefined> {
    for (let r = this.next(); r !== undefined; r = this.next()) yield r;
  }

  /** An error at an offset into #buf, moved to the file offset (the buffer may be a merged copy of chunks). */
  #rebase(e: unknown, bufferStart: number): WireError {
    const fileStart = this.#in.base + bufferStart;
    if (e instanceof WireError) {
      return new WireError(e.code, e.message, fileStart + (e.offset - bufferStart), { cause: e });
    }
    return new WireError("ERR_MRT_INTERNAL", `MRT reader: ${String(e)}`, fileStart, { cause: e });
  }

  #fail(e: unknown): WireError {
    this.#error = this.#rebase(e, this.#in.pos);
    return this.#error;
  }

  /** Makes `need` bytes contiguous at the read position; at the end of input, a shortfall is a truncated record. */
  #fill(need: number): boolean {
    if (this.#in.fill(need)) return true;
    const available = this.#in.buffered;
    if (!this.#ended || available === 0) return false;
    const what = need === MRT_HEADER_LENGTH ? "MRT header" : "MRT record";
    throw new TruncatedError(what, need, available, this.#in.pos, "ERR_MRT_TRUNCATED");
  }
}
