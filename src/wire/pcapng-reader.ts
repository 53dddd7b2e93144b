/**
 * pcapng file reading (draft-ietf-opsawg-pcapng, "PCAP Next Generation Dump File Format"): Section Header Blocks in either
 * byte order (section 4.1), Interface Description Blocks with `if_tsresol`, `if_tsoffset`, `if_name` and `if_fcslen`
 * (4.2), Enhanced Packet Blocks (4.3), Simple Packet Blocks (4.4) and the obsolete Packet Block (appendix A); every
 * other block (Name Resolution, Interface Statistics, Decryption Secrets, custom...) is skipped by its length. Block Total
 * Length is checked at both ends of every block. The block reader plugs into `CaptureParser`.
 */
import type { CapturedPacket, CaptureRecordReader } from "./capture-parser.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import { PCAP_MAX_CAPTURE_LENGTH } from "./pcap-reader.ts";

/** Block type of the Section Header Block (a palindrome, readable in either byte order). */
export const PCAPNG_BLOCK_TYPE_SHB = 0x0a0d0d0a;
/** Block type of the Interface Description Block. */
export const PCAPNG_BLOCK_TYPE_IDB = 0x00000001;
/** Block type of the obsolete Packet Block. */
export const PCAPNG_BLOCK_TYPE_PB = 0x00000002;
/** Block type of the Simple Packet Block. */
export const PCAPNG_BLOCK_TYPE_SPB = 0x00000003;
/** Block type of the Name Resolution Block (skipped). */
export const PCAPNG_BLOCK_TYPE_NRB = 0x00000004;
/** Block type of the Interface Statistics Block (skipped). */
export const PCAPNG_BLOCK_TYPE_ISB = 0x00000005;
/** Block type of the Enhanced Packet Block. */
export const PCAPNG_BLOCK_TYPE_EPB = 0x00000006;
/** Block type of the Decryption Secrets Block (skipped). */
export const PCAPNG_BLOCK_TYPE_DSB = 0x0000000a;
/** The SHB Byte-Order Magic, as read in the section's own byte order. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Largest Block Total Length accepted by default, bytes (16 MiB); larger blocks raise `ERR_PCAPNG_BLOCK_LENGTH`. */
export const PCAPNG_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;
/** Option code that ends an options list. */
export const OPT_ENDOFOPT = 0;
/** IDB option: interface name (UTF-8). */
export const IF_NAME = 2;
/** IDB option: timestamp resolution (1 byte: 10^-n, or 2^-n when the top bit is set). */
export const IF_TSRESOL = 9;
/** IDB option: FCS length, bytes (1 byte). */
export const IF_FCSLEN = 13;
/** IDB option: offset added to every timestamp, signed 64-bit seconds. */
export const IF_TSOFFSET = 14;
/** `if_tsresol` when the option is absent: microseconds. */
export const IF_TSRESOL_DEFAULT = 6;

const SHB_MIN_LENGTH = 28;
const IDB_MIN_LENGTH = 20;
const EPB_MIN_LENGTH = 32;
const SPB_MIN_LENGTH = 16;
const BLOCK_MIN_LENGTH = 12;

/** A decoded Section Header Block (section 4.1). */
export interface PcapngSectionHeader {
  /** Whether the section's fields are little-endian. */
  littleEndian: boolean;
  /** Major format version: 1 (files say 1.0, some old ones 1.2). */
  versionMajor: number;
  /** Minor format version. */
  versionMinor: number;
  /** Length of the section after this block, bytes; -1n when the writer left it unspecified. Informational only. */
  sectionLength: bigint;
}

/** A decoded Interface Description Block (section 4.2). */
export interface PcapngInterface {
  /** Link type of this interface's packets, e.g. 1 for Ethernet. */
  linkType: number;
  /** Snapshot length, bytes; 0 means unlimited. */
  snapLen: number;
  /** Raw `if_tsresol` byte: 10^-n seconds per unit, or 2^-(n & 0x7f) when the top bit is set (default 6). */
  tsResol: number;
  /** `if_tsoffset`: seconds added to every timestamp (default 0n). */
  tsOffset: bigint;
  /** `if_name`, when present. */
  name: string | undefined;
  /** `if_fcslen`: bytes of FCS at the end of each packet, when present. */
  fcsLength: number | undefined;
}

/** An interface with its precomputed timestamp conversion: ns = units * mul / div + offsetNs. */
interface InterfaceClock extends PcapngInterface {
  readonly tsMul: bigint;
  readonly tsDiv: bigint;
  readonly tsOffsetNs: bigint;
}

function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

function u64(b: Uint8Array, o: number, le: boolean): bigint {
  const hi = u32(b, le ? o + 4 : o, le);
  const lo = u32(b, le ? o : o + 4, le);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const utf8 = new TextDecoder();

/** Multiplier and divisor turning timestamp units of resolution `tsResol` into nanoseconds. */
function unitsToNs(tsResol: number): [mul: bigint, div: bigint] {
  const exp = tsResol & 0x7f;
  if ((tsResol & 0x80) !== 0) return [1_000_000_000n, 1n << BigInt(exp)];
  if (exp <= 9) return [10n ** BigInt(9 - exp), 1n];
  return [1n, 10n ** BigInt(exp - 9)];
}

/**
 * Converts a pcapng timestamp (64-bit count of units) to nanoseconds since the epoch: units of `if_tsresol` (10^-n s, or
 * 2^-n s with the top bit set; finer than 1 ns is truncated) plus `if_tsoffset` seconds (section 4.2).
 */
export function pcapngTimestampToNs(units: bigint, tsResol = IF_TSRESOL_DEFAULT, tsOffset = 0n): bigint {
  const [mul, div] = unitsToNs(tsResol);
  return (units * mul) / div + tsOffset * 1_000_000_000n;
}

/** Smallest Block Total Length a block of `type` may have. */
function minLength(type: number): number {
  switch (type) {
    case PCAPNG_BLOCK_TYPE_SHB:
      return SHB_MIN_LENGTH;
    case PCAPNG_BLOCK_TYPE_IDB:
      return IDB_MIN_LENGTH;
    case PCAPNG_BLOCK_TYPE_EPB:
    case PCAPNG_BLOCK_TYPE_PB:
      return EPB_MIN_LENGTH;
    case PCAPNG_BLOCK_TYPE_SPB:
      return SPB_MIN_LENGTH;
    default:
      return BLOCK_MIN_LENGTH;
  }
}

function blockName(type: number): string {
  switch (type) {
    case PCAPNG_BLOCK_TYPE_SHB:
      return "pcapng section header block";
    case PCAPNG_BLOCK_TYPE_IDB:
      return "pcapng interface description block";
    case PCAPNG_BLOCK_TYPE_EPB:
      return "pcapng enhanced packet block";
    case PCAPNG_BLOCK_TYPE_SPB:
      return "pcapng simple packet block";
    case PCAPNG_BLOCK_TYPE_PB:
      return "pcapng packet block";
    case -1:
      return "pcapng block header";
    default:
      return `pcapng block 0x${type.toString(16).padStart(8, "0")}`;
  }
}

/** Byte order of a section from its Byte-Order Magic at `o` (caller checks bounds). */
function sectionByteOrder(b: Uint8Array, o: number, errorOffset: number): boolean {
  const bom = u32(b, o, true);
  if (bom === PCAPNG_BYTE_ORDER_MAGIC) return true;
  if (bom === 0x4d3c2b1a) return false;
  throw new InvalidFieldError(
    "ERR_PCAPNG_BYTE_ORDER",
    `pcapng byte-order magic 0x${bom.toString(16).padStart(8, "0")} is neither 0x1a2b3c4d nor its swap`,
    errorOffset,
  );
}

/** Checks a leading Block Total Length against the format's and the reader's bounds. */
function checkLength(type: number, len: number, max: number, errorOffset: number): void {
  if (len < minLength(type) || len % 4 !== 0 || len > max) {
    throw new InvalidFieldError(
      "ERR_PCAPNG_BLOCK_LENGTH",
      `${blockName(type)}: block total length ${len} is not a multiple of 4 between ${minLength(type)} and ${max}`,
      errorOffset,
    );
  }
}

/** Checks that the trailing Block Total Length of the block at `at` repeats the leading one. */
function checkTrailer(b: Uint8Array, at: number, len: number, le: boolean, errorBase: number): void {
  const trailer = u32(b, at + len - 4, le);
  if (trailer !== len) {
    throw new InvalidFieldError(
      "ERR_PCAPNG_BLOCK_LENGTH",
      `pcapng block total length ${trailer} at the end differs from ${len} at the start`,
      errorBase + len - 4,
    );
  }
}

/** Validates the framing of a whole block at `at` (type and length at both ends); returns its length. */
function frameBlock(b: Uint8Array, at: number, le: boolean, errorBase: number, max: number): number {
  const present = Math.max(0, b.length - at);
  if (present < 8) throw new TruncatedError("pcapng block header", 8, present, errorBase, "ERR_PCAPNG_TRUNCATED");
  const type = u32(b, at, le);
  const len = u32(b, at + 4, le);
  checkLength(type, len, max, errorBase + 4);
  if (present < len) throw new TruncatedError(blockName(type), len, present, errorBase, "ERR_PCAPNG_TRUNCATED");
  checkTrailer(b, at, len, le, errorBase);
  return len;
}

/** Decodes the fixed fields of a framed SHB at `at`. */
function readShb(b: Uint8Array, at: number, le: boolean, errorBase: number): PcapngSectionHeader {
  const versionMajor = u16(b, at + 12, le);
  const versionMinor = u16(b, at + 14, le);
  if (versionMajor !== 1) {
    throw new InvalidFieldError(
      "ERR_PCAPNG_VERSION",
      `unsupported pcapng version ${versionMajor}.${versionMinor}`,
      errorBase + 12,
    );
  }
  return { littleEndian: le, versionMajor, versionMinor, sectionLength: BigInt.asIntN(64, u64(b, at + 16, le)) };
}

/**
 * Decodes the Section Header Block at `offset` (its byte order from its Byte-Order Magic).
 * @throws TruncatedError `ERR_PCAPNG_TRUNCATED`; InvalidFieldError `ERR_PCAPNG_BYTE_ORDER`, `ERR_PCAPNG_BLOCK_LENGTH`,
 *   `ERR_PCAPNG_VERSION` (major version other than 1), `ERR_PCAPNG_BLOCK_TYPE` (not an SHB).
 */
export function decodePcapngSectionHeader(bytes: Uint8Array, offset = 0): PcapngSectionHeader {
  const present = Math.max(0, bytes.length - offset);
  if (present < 12) throw new TruncatedError("pcapng section header", 12, present, offset, "ERR_PCAPNG_TRUNCATED");
  if (u32(bytes, offset, true) !== PCAPNG_BLOCK_TYPE_SHB) {
    throw new InvalidFieldError("ERR_PCAPNG_BLOCK_TYPE", "not a pcapng section header block", offset);
  }
  const le = sectionByteOrder(bytes, offset + 8, offset + 8);
  frameBlock(bytes, offset, le, offset, 0xffffffff);
  return readShb(bytes, offset, le, offset);
}

/** Applies the IDB options between `start` and `end` to `iface`; errors at `errorBase + (position - at)`. */
function readIdbOptions(
  b: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  at: number,
  errorBase: number,
  iface: PcapngInterface,
): void {
  let p = start;
  while (end - p >= 4) {
    const code = u16(b, p, le);
    const len = u16(b, p + 2, le);
    if (code === OPT_ENDOFOPT) break;
    const v = p + 4;
    const fixed = code === IF_TSRESOL || code === IF_FCSLEN ? 1 : code === IF_TSOFFSET ? 8 : -1;
    if (v + len > end || (fixed >= 0 && len !== fixed)) {
      throw new InvalidFieldError(
        "ERR_PCAPNG_OPTION",
        `pcapng interface option ${code} of length ${len} is malformed or overruns its block`,
        errorBase + (p - at),
      );
    }
    if (code === IF_TSRESOL) iface.tsResol = b[v];
    else if (code === IF_TSOFFSET) iface.tsOffset = BigInt.asIntN(64, u64(b, v, le));
    else if (code === IF_FCSLEN) iface.fcsLength = b[v];
    else if (code === IF_NAME) iface.name = utf8.decode(b.subarray(v, v + len));
    p = v + ((len + 3) & ~3);
  }
}

/** Decodes the body of a framed IDB of length `len` at `at`. */
function readIdb(b: Uint8Array, at: number, len: number, le: boolean, errorBase: number): InterfaceClock {
  const iface: PcapngInterface = {
    linkType: u16(b, at + 8, le),
    snapLen: u32(b, at + 12, le),
    tsResol: IF_TSRESOL_DEFAULT,
    tsOffset: 0n,
    name: undefined,
    fcsLength: undefined,
  };
  readIdbOptions(b, at + 16, at + len - 4, le, at, errorBase, iface);
  const [tsMul, tsDiv] = unitsToNs(iface.tsResol);
  return { ...iface, tsMul, tsDiv, tsOffsetNs: iface.tsOffset * 1_000_000_000n };
}

/**
 * Decodes the Interface Description Block at `offset` of a section in the given byte order.
 * @throws TruncatedError `ERR_PCAPNG_TRUNCATED`; InvalidFieldError `ERR_PCAPNG_BLOCK_LENGTH`, `ERR_PCAPNG_OPTION`,
 *   `ERR_PCAPNG_BLOCK_TYPE` (not an IDB).
 */
export function decodePcapngInterface(bytes: Uint8Array, offset: number, littleEndian: boolean): PcapngInterface {
  const len = frameBlock(bytes, offset, littleEndian, offset, 0xffffffff);
  if (u32(bytes, offset, littleEndian) !== PCAPNG_BLOCK_TYPE_IDB) {
    throw new InvalidFieldError("ERR_PCAPNG_BLOCK_TYPE", "not a pcapng interface description block", offset);
  }
  const { tsMul: _m, tsDiv: _d, tsOffsetNs: _o, ...iface } = readIdb(bytes, offset, len, littleEndian, offset);
  return iface;
}

/** Options of {@link PcapngBlockReader}. */
export interface PcapngReaderOptions {
  /** Largest packet captured length accepted, bytes (default 262144). */
  maxCaptureLength?: number;
  /** Largest Block Total Length accepted, bytes (default {@link PCAPNG_MAX_BLOCK_LENGTH}); bounds the memory per block. */
  maxBlockLength?: number;
}

/**
 * Incremental reader of a pcapng file for `CaptureParser`, one block per unit. A block's leading length is validated as
 * soon as its header is visible (before it is buffered), the trailing length when it is complete. Packets of EPB, SPB
 * and PB are returned with their bytes as subarrays of the input, never copied. SPB packets have no timestamp
 * (`timestampNs` 0n) and belong to interface 0, whose snapLen bounds their captured length (section 4.4).
 */
export class PcapngBlockReader implements CaptureRecordReader {
  /** The format this reader reads. */
  readonly format = "pcapng";
  /** Error code of a file that ends inside a block. */
  readonly truncatedCode = "ERR_PCAPNG_TRUNCATED";
  /** Header of the current section, once read. */
  section: PcapngSectionHeader | undefined;
  /** Number of sections started so far. */
  sectionCount = 0;
  readonly #maxCaptureLength: number;
  readonly #maxBlockLength: number;
  #interfaces: InterfaceClock[] = [];
  #le = true;
  #type = PCAPNG_BLOCK_TYPE_SHB;
  #len = 0;
  #blockLe = true;

  constructor(options: PcapngReaderOptions = {}) {
    this.#maxCaptureLength = options.maxCaptureLength ?? PCAP_MAX_CAPTURE_LENGTH;
    this.#maxBlockLength = options.maxBlockLength ?? PCAPNG_MAX_BLOCK_LENGTH;
  }

  /** The interfaces of the current section, in IDB order (index = interface id). */
  get interfaces(): readonly PcapngInterface[] {
    return this.#interfaces;
  }

  /** Name of the block the reader expects next, for truncation messages. */
  unitName(): string {
    return blockName(this.#type);
  }

  /** Bytes of the block at `pos`, or of its header while the length is not yet visible. */
  need(b: Uint8Array, pos: number, available: number, fileOffset: number): number {
    if (available < 8) {
      this.#type = -1;
      return 8;
    }
    const type = u32(b, pos, this.#le);
    let le = this.#le;
    if (type === PCAPNG_BLOCK_TYPE_SHB) {
      this.#type = type;
      if (available < 12) return 12;
      le = sectionByteOrder(b, pos + 8, fileOffset + 8);
    }
    const len = u32(b, pos + 4, le);
    this.#type = type;
    checkLength(type, len, this.#maxBlockLength, fileOffset + 4);
    this.#len = len;
    this.#blockLe = le;
    return len;
  }

  /** Consumes the complete block at `pos` sized by the last {@link need}; returns its packet, if it holds one. */
  take(b: Uint8Array, pos: number, fileOffset: number): CapturedPacket | undefined {
    const len = this.#len;
    const le = this.#blockLe;
    checkTrailer(b, pos, len, le, fileOffset);
    switch (this.#type) {
      case PCAPNG_BLOCK_TYPE_EPB:
        return this.#packet(b, pos, len, u32(b, pos + 8, le), fileOffset);
      case PCAPNG_BLOCK_TYPE_SPB:
        return this.#simplePacket(b, pos, len, fileOffset);
      case PCAPNG_BLOCK_TYPE_IDB:
        this.#interfaces.push(readIdb(b, pos, len, le, fileOffset));
        return undefined;
      case PCAPNG_BLOCK_TYPE_SHB:
        this.section = readShb(b, pos, le, fileOffset);
        this.sectionCount++;
        this.#le = le;
        this.#interfaces = [];
        return undefined;
      case PCAPNG_BLOCK_TYPE_PB:
        return this.#packet(b, pos, len, u16(b, pos + 8, le), fileOffset);
      default:
        return undefined;
    }
  }

  #iface(id: number, errorOffset: number): InterfaceClock {
    const iface = this.#interfaces[id];
    if (iface === undefined) {
      throw new InvalidFieldError(
        "ERR_PCAPNG_INTERFACE",
        `pcapng packet refers to interface ${id}, but the section describes ${this.#interfaces.length}`,
        errorOffset,
      );
    }
    return iface;
  }

  #checkCapLen(capLen: number, room: number, errorOffset: number): void {
    if (capLen > room || capLen > this.#maxCaptureLength) {
      throw new InvalidFieldError(
        "ERR_PCAPNG_CAPTURE_LENGTH",
        `pcapng captured length ${capLen} exceeds its block (${room} bytes) or the limit of ${this.#maxCaptureLength}`,
        errorOffset,
      );
    }
  }

  /** An EPB or obsolete PB: same layout from the timestamp on. */
  #packet(b: Uint8Array, pos: number, len: number, id: number, fileOffset: number): CapturedPacket {
    const le = this.#le;
    const iface = this.#iface(id, fileOffset + 8);
    const capLen = u32(b, pos + 20, le);
    this.#checkCapLen(capLen, len - EPB_MIN_LENGTH, fileOffset + 20);
    const high = u32(b, pos + 12, le);
    const low = u32(b, pos + 16, le);
    // Below 2^21 in the high word the 64-bit count is exact as a double: one BigInt conversion.
    const units = high < 0x200000 ? BigInt(high * 4294967296 + low) : (BigInt(high) << 32n) | BigInt(low);
    let timestampNs = iface.tsDiv === 1n ? units * iface.tsMul : (units * iface.tsMul) / iface.tsDiv;
    if (iface.tsOffsetNs !== 0n) timestampNs += iface.tsOffsetNs;
    return {
      timestampNs,
      linkType: iface.linkType,
      data: b.subarray(pos + 28, pos + 28 + capLen),
      origLen: u32(b, pos + 24, le),
      interfaceId: id,
      fileOffset,
    };
  }

  #simplePacket(b: Uint8Array, pos: number, len: number, fileOffset: number): CapturedPacket {
    const iface = this.#iface(0, fileOffset);
    const origLen = u32(b, pos + 8, this.#le);
    // Captured length = min(block room, original length, snapLen of IDB 0 when not 0), as the SPB carries none.
    let capLen = len - SPB_MIN_LENGTH;
    if (origLen < capLen) capLen = origLen;
    if (iface.snapLen !== 0 && capLen > iface.snapLen) capLen = iface.snapLen;
    this.#checkCapLen(capLen, len - SPB_MIN_LENGTH, fileOffset + 8);
    return {
      timestampNs: 0n,
      linkType: iface.linkType,
      data: b.subarray(pos + 12, pos + 12 + capLen),
      origLen,
      interfaceId: 0,
      fileOffset,
    };
  }
}
