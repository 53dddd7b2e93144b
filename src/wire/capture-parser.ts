/**
 * Incremental capture-file parsing: {@link CaptureParser} is fed a file in chunks of any size, detects classic pcap or
 * pcapng from the first four bytes, and hands out packets as soon as their record (pcap) or block (pcapng) is complete,
 * keeping only the unconsumed tail. Memory stays bounded by the largest record or block allowed, not by the file.
 * Issue 2 ("Capture files"); formats in `pcap-reader.ts` and `pcapng-reader.ts`.
 */
import { ChunkStream } from "./chunk-stream.ts";
import { TruncatedError, WireError } from "./errors.ts";
import { isPcapMagic, type PcapFileHeader, PcapRecordReader } from "./pcap-reader.ts";
import { PCAPNG_BLOCK_TYPE_SHB, PcapngBlockReader, type PcapngInterface } from "./pcapng-reader.ts";

/** One packet read from a capture file. */
export interface CapturedPacket {
  /** Capture time, nanoseconds since the UNIX epoch (0n for a pcapng Simple Packet Block, which has none). */
  timestampNs: bigint;
  /** Link type of `data` (LINKTYPE_* number, e.g. 1 Ethernet, 101 raw IP, 113/276 Linux cooked). */
  linkType: number;
  /**
   * The captured bytes, from the link-layer header on. A view into the chunk that was pushed (or, for a record that
   * spanned chunks, into a copy of just that record): copy it to keep it beyond the chunk's life.
   */
  data: Uint8Array;
  /** Length of the packet on the wire, bytes (at least `data.length` in a well-formed file). */
  origLen: number;
  /** pcapng interface id within its section (0 for classic pcap). */
  interfaceId: number;
  /** Absolute file offset of the packet's record header (pcap) or block (pcapng), bytes. */
  fileOffset: number;
}

/** Which capture format a parser detected. */
export type CaptureFormat = "pcap" | "pcapng";

/**
 * The contract between {@link CaptureParser} and a format reader. The parser calls `need` until that many bytes are
 * present at `pos`, then `take` exactly once on them. `fileOffset` is the absolute file offset of `bytes[pos]`; errors
 * are raised at absolute offsets.
 */
export interface CaptureRecordReader {
  /** The format read. */
  readonly format: CaptureFormat;
  /** Error code of a truncated final unit. */
  readonly truncatedCode: string;
  /** Size of the next unit, or of the header that tells its size when fewer bytes are visible. Validates lengths. */
  need(bytes: Uint8Array, pos: number, available: number, fileOffset: number): number;
  /** Consumes the complete unit sized by the last `need`; returns its packet, or undefined for a non-packet unit. */
  take(bytes: Uint8Array, pos: number, fileOffset: number): CapturedPacket | undefined;
  /** Name of the expected unit, for truncation messages. */
  unitName(): string;
}

/** Limits of a {@link CaptureParser}. */
export interface CaptureParserOptions {
  /** Largest captured length of one packet, bytes (default 262144). Larger records are an error, not buffered. */
  maxCaptureLength?: number;
  /** Largest pcapng block, bytes (default 16 MiB). */
  maxBlockLength?: number;
}

const MAGIC_LENGTH = 4;

/**
 * A push-fed capture file parser (classic pcap in both byte orders and resolutions, or pcapng). Usage:
 * `push(chunk)` then `next()` until it returns undefined (more input needed); at the end of input `end()`, then `next()`
 * until undefined. Chunks are kept by reference, not copied: do not modify a chunk after pushing it. Only a record that
 * spans chunks is copied (once, into a buffer of exactly its size), so feeding tiny chunks costs linear time.
 *
 * Every failure is a WireError with a stable code and the absolute file offset: `ERR_PCAP_MAGIC` (neither format),
 * `ERR_PCAP_TRUNCATED` / `ERR_PCAPNG_TRUNCATED` (input ends inside a header, record or block), and the readers' own
 * validation codes. After a failure the parser is stuck: every further call throws the same error.
 */
export class CaptureParser {
  readonly #options: CaptureParserOptions;
  #reader: PcapRecordReader | PcapngBlockReader | undefined;
  readonly #in = new ChunkStream();
  #ended = false;
  #error: WireError | undefined;

  constructor(options: CaptureParserOptions = {}) {
    this.#options = options;
  }

  /** The detected format, once four bytes have been seen. */
  get format(): CaptureFormat | undefined {
    return this.#reader?.format;
  }

  /** The classic pcap file header, once read. */
  get pcapHeader(): PcapFileHeader | undefined {
    return this.#reader instanceof PcapRecordReader ? this.#reader.header : undefined;
  }

  /** The interfaces of the current pcapng section (empty for classic pcap). */
  get interfaces(): readonly PcapngInterface[] {
    return this.#reader instanceof PcapngBlockReader ? this.#reader.interfaces : [];
  }

  /** Absolute file offset of the first byte not yet consumed. */
  get offset(): number {
    return this.#in.base + this.#in.pos;
  }

  /** Bytes pushed but not yet consumed (the partial tail). */
  get buffered(): number {
    return this.#in.buffered;
  }

  /** Appends the next chunk of the file. */
  push(chunk: Uint8Array): void {
    if (this.#ended) throw new WireError("ERR_CAPTURE_ENDED", "capture parser: push after end", this.offset);
    this.#in.push(chunk);
  }

  /**
   * The next packet whose record is complete, or undefined when more input is needed (or, after {@link end}, at the
   * clean end of the file). After `end()`, throws TruncatedError where the input stops inside a unit.
   */
  next(): CapturedPacket | undefined {
    if (this.#error !== undefined) throw this.#error;
    try {
      for (;;) {
        const need = this.#ready();
        if (need < 0) return undefined;
        const packet = this.#reader!.take(this.#in.buf, this.#in.pos, this.#in.base + this.#in.pos);
        this.#in.pos += need;
        if (packet !== undefined) return packet;
      }
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Yields every packet available now (see {@link next}). */
  *drain(): Generator<CapturedPacket, void, undefined> {
    for (let p = this.next(); p !== undefined; p = this.next()) yield p;
  }

  /**
   * Marks the end of input. Throws TruncatedError (`ERR_PCAP_TRUNCATED`, `ERR_PCAPNG_TRUNCATED`) at once when the bytes
   * left are an incomplete unit, e.g. a cut final record, or when the file was empty; otherwise drain the remaining
   * packets with {@link next}, which reports a truncation further on.
   */
  end(): void {
    this.#ended = true;
    if (this.#error !== undefined) throw this.#error;
    try {
      this.#ready();
    } catch (e) {
      throw this.#fail(e);
    }
  }

  #fail(e: unknown): WireError {
    this.#error =
      e instanceof WireError
        ? e
        : new WireError("ERR_CAPTURE_INTERNAL", `capture parser: ${String(e)}`, this.offset, { cause: e });
    return this.#error;
  }

  /** Size of the complete unit now at #pos, or -1 when more input is needed; throws when input ended inside a unit. */
  #ready(): number {
    for (;;) {
      const available = this.#in.buf.length - this.#in.pos;
      let reader = this.#reader;
      let need = MAGIC_LENGTH;
      if (reader === undefined && available >= MAGIC_LENGTH) reader = this.#detect();
      if (reader !== undefined) need = reader.need(this.#in.buf, this.#in.pos, available, this.offset);
      if (reader !== undefined && need <= available) return need;
      if (!this.#in.fill(need)) {
        if (!this.#ended || (available === 0 && this.#in.queued === 0 && reader !== undefined)) return -1;
        throw new TruncatedError(
          reader?.unitName() ?? "capture file magic",
          need,
          available + this.#in.queued,
          this.offset,
          reader?.truncatedCode ?? "ERR_PCAP_TRUNCATED",
        );
      }
    }
  }

  #detect(): PcapRecordReader | PcapngBlockReader {
    const b = this.#in.buf;
    const p = this.#in.pos;
    if (isPcapMagic(b, p)) this.#reader = new PcapRecordReader(this.#options);
    else if ((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0 === PCAPNG_BLOCK_TYPE_SHB) {
      this.#reader = new PcapngBlockReader(this.#options);
    } else {
      const hex = Array.from(b.subarray(p, p + MAGIC_LENGTH), (x) => x.toString(16).padStart(2, "0")).join("");
      throw new WireError("ERR_PCAP_MAGIC", `not a pcap or pcapng file: first bytes 0x${hex}`, this.offset);
    }
    return this.#reader;
  }
}

/** A whole capture file decoded in memory. */
export interface CaptureFile {
  format: CaptureFormat;
  /** Every packet, in file order; `data` are views into the input. */
  packets: CapturedPacket[];
}

/**
 * Decodes a whole capture file (pcap or pcapng) held in memory; for small files (use a streaming reader for large ones).
 * @throws WireError subclasses as {@link CaptureParser} does, at offsets into `bytes`.
 */
export function decodeCaptureFile(bytes: Uint8Array, options: CaptureParserOptions = {}): CaptureFile {
  const parser = new CaptureParser(options);
  parser.push(bytes);
  parser.end();
  const packets: CapturedPacket[] = [];
  for (let p = parser.next(); p !== undefined; p = parser.next()) packets.push(p);
  return { format: parser.format!, packets };
}
