/**
 * Classic libpcap file reading (https://www.tcpdump.org/manuals/pcap-savefile.html, draft-ietf-opsawg-pcap section 4-5):
 * the 24-byte file header in either byte order with microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps, then
 * 16-byte record headers each followed by `capLen` packet bytes. The record reader plugs into `CaptureParser`, which feeds
 * it bytes incrementally.
 */
import type { CapturedPacket, CaptureRecordReader } from "./capture-parser.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import {
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAGIC_MICROS,
  PCAP_MAGIC_NANOS,
  PCAP_RECORD_HEADER_LENGTH,
} from "./pcap-writer.ts";

/** Byte-swapped microsecond magic: the file was written big-endian when read little-endian (and vice versa). */
export const PCAP_MAGIC_MICROS_SWAPPED = 0xd4c3b2a1;
/** Byte-swapped nanosecond magic. */
export const PCAP_MAGIC_NANOS_SWAPPED = 0x4d3cb2a1;
/** Largest captured length accepted by default, bytes (libpcap's MAXIMUM_SNAPLEN, 256 KiB). */
export const PCAP_MAX_CAPTURE_LENGTH = 262144;

/** The decoded pcap file header (section 4 of the pcap draft). */
export interface PcapFileHeader {
  /** Whether the file's fields are little-endian. */
  littleEndian: boolean;
  /** Whether record timestamps carry nanoseconds (magic 0xa1b23c4d) rather than microseconds. */
  nanosecond: boolean;
  /** Major format version (2; files say 2.4). */
  versionMajor: number;
  /** Minor format version (4). */
  versionMinor: number;
  /** Offset of the timestamps from UTC, seconds (always 0 in practice; not applied). */
  thisZone: number;
  /** Accuracy of timestamps (always 0 in practice). */
  sigFigs: number;
  /** Snapshot length, bytes: the most any record may hold, as the writer declared it. */
  snapLen: number;
  /** Link type of every record (the low 16 bits of the LinkType field), e.g. 1 for Ethernet. */
  linkType: number;
  /** Length of the FCS at the end of every packet, bytes, when the LinkType field's F bit says so; else undefined. */
  fcsLength: number | undefined;
}

/** Reads a 32-bit unsigned integer in the given byte order (caller checks bounds). */
function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Reads a 16-bit unsigned integer in the given byte order (caller checks bounds). */
function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/**
 * Whether four bytes at `offset` are one of the four pcap magics (either resolution, either byte order).
 * The caller checks that four bytes are present.
 */
export function isPcapMagic(bytes: Uint8Array, offset = 0): boolean {
  const m = u32(bytes, offset, true);
  return (
    m === PCAP_MAGIC_MICROS ||
    m === PCAP_MAGIC_NANOS ||
    m === PCAP_MAGIC_MICROS_SWAPPED ||
    m === PCAP_MAGIC_NANOS_SWAPPED
  );
}

/** Decodes the header at `at` in `b`, reporting errors at `errorBase + (field offset in the header)`. */
function readFileHeader(b: Uint8Array, at: number, errorBase: number): PcapFileHeader {
  if (b.length - at < PCAP_GLOBAL_HEADER_LENGTH) {
    throw new TruncatedError(
      "pcap file header",
      PCAP_GLOBAL_HEADER_LENGTH,
      Math.max(0, b.length - at),
      errorBase,
      "ERR_PCAP_TRUNCATED",
    );
  }
  const magic = u32(b, at, true);
  let le: boolean;
  if (magic === PCAP_MAGIC_MICROS || magic === PCAP_MAGIC_NANOS) le = true;
  else if (magic === PCAP_MAGIC_MICROS_SWAPPED || magic === PCAP_MAGIC_NANOS_SWAPPED) le = false;
  else throw new InvalidFieldError("ERR_PCAP_MAGIC", `not a pcap file: magic 0x${hex32(magic)}`, errorBase);
  const nanosecond = magic === PCAP_MAGIC_NANOS || magic === PCAP_MAGIC_NANOS_SWAPPED;
  const versionMajor = u16(b, at + 4, le);
  const versionMinor = u16(b, at + 6, le);
  // Version 2 is the only one ever written (2.4 now; 2.2 and 2.3 differ in nothing that matters to a reader).
  if (versionMajor !== 2) {
    throw new InvalidFieldError(
      "ERR_PCAP_VERSION",
      `unsupported pcap version ${versionMajor}.${versionMinor}`,
      errorBase + 4,
    );
  }
  const linkField = u32(b, at + 20, le);
  return {
    littleEndian: le,
    nanosecond,
    versionMajor,
    versionMinor,
    thisZone: u32(b, at + 8, le) | 0,
    sigFigs: u32(b, at + 12, le),
    snapLen: u32(b, at + 16, le),
    linkType: linkField & 0xffff,
    // Bit 26 (F) says bits 28-31 hold the FCS length in 16-bit words.
    fcsLength: (linkField & 0x04000000) !== 0 ? (linkField >>> 28) * 2 : undefined,
  };
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/**
 * Decodes the 24-byte pcap file header at `offset`.
 * @throws TruncatedError `ERR_PCAP_TRUNCATED` when fewer than 24 bytes are present.
 * @throws InvalidFieldError `ERR_PCAP_MAGIC` for an unknown magic, `ERR_PCAP_VERSION` for a major version other than 2.
 */
export function decodePcapFileHeader(bytes: Uint8Array, offset = 0): PcapFileHeader {
  return readFileHeader(bytes, offset, offset);
}

/** Options of {@link PcapRecordReader}. */
export interface PcapReaderOptions {
  /** Largest record `capLen` accepted, bytes (default {@link PCAP_MAX_CAPTURE_LENGTH}). */
  maxCaptureLength?: number;
}

/**
 * Incremental reader of a classic pcap file for `CaptureParser`: first the file header, then one record per unit.
 * Records are validated as soon as their header is visible: `capLen` above `maxCaptureLength` raises
 * `ERR_PCAP_CAPTURE_LENGTH` (before anything is buffered for it). `capLen` above the declared snapLen is tolerated, as
 * libpcap does. Packet bytes are returned as subarrays of the input, never copied.
 */
export class PcapRecordReader implements CaptureRecordReader {
  /** The format this reader reads. */
  readonly format = "pcap";
  /** Error code of a file that ends inside its header or a record. */
  readonly truncatedCode = "ERR_PCAP_TRUNCATED";
  /** The file header, once read. */
  header: PcapFileHeader | undefined;
  readonly #maxCaptureLength: number;
  #le = true;
  #nano = false;
  #linkType = 0;

  constructor(options: PcapReaderOptions = {}) {
    this.#maxCaptureLength = options.maxCaptureLength ?? PCAP_MAX_CAPTURE_LENGTH;
  }

  /** Name of the unit the reader expects next, for truncation messages. */
  unitName(): string {
    return this.header === undefined ? "pcap file header" : "pcap record";
  }

  /** Bytes of the unit at `pos`: the file header, a record header (when not all visible) or a whole record. */
  need(b: Uint8Array, pos: number, available: number, fileOffset: number): number {
    if (this.header === undefined) return PCAP_GLOBAL_HEADER_LENGTH;
    if (available < PCAP_RECORD_HEADER_LENGTH) return PCAP_RECORD_HEADER_LENGTH;
    const capLen = u32(b, pos + 8, this.#le);
    if (capLen > this.#maxCaptureLength) {
      throw new InvalidFieldError(
        "ERR_PCAP_CAPTURE_LENGTH",
        `pcap record captured length ${capLen} exceeds the limit of ${this.#maxCaptureLength} bytes`,
        fileOffset + 8,
      );
    }
    return PCAP_RECORD_HEADER_LENGTH + capLen;
  }

  /** Consumes the complete unit at `pos` sized by the last {@link need}; returns the record's packet. */
  take(b: Uint8Array, pos: number, fileOffset: number): CapturedPacket | undefined {
    if (this.header === undefined) {
      const h = readFileHeader(b, pos, fileOffset);
      this.header = h;
      this.#le = h.littleEndian;
      this.#nano = h.nanosecond;
      this.#linkType = h.linkType;
      return undefined;
    }
    const le = this.#le;
    const secs = u32(b, pos, le);
    const frac = u32(b, pos + 4, le);
    const capLen = u32(b, pos + 8, le);
    // secs * 1e6 + frac stays below 2^53, so one exact BigInt conversion suffices for microseconds.
    const timestampNs = this.#nano
      ? BigInt(secs) * 1_000_000_000n + BigInt(frac)
      : BigInt(secs * 1_000_000 + frac) * 1000n;
    const start = pos + PCAP_RECORD_HEADER_LENGTH;
    return {
      timestampNs,
      linkType: this.#linkType,
      data: b.subarray(start, start + capLen),
      origLen: u32(b, pos + 12, le),
      interfaceId: 0,
      fileOffset,
    };
  }
}
