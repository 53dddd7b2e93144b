/**
 * The TCP header (RFC 9293 section 3.1) with its options: end of option list and no-operation (RFC 9293), maximum
 * segment size (RFC 9293 3.7.1), window scale and timestamps (RFC 7323), SACK-permitted and SACK (RFC 2018); any other
 * kind is kept raw. The checksum covers the IPv4 (RFC 9293 3.1) or IPv6 (RFC 8200 8.1) pseudo-header.
 */
import { finishChecksum, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum, onesComplementSum } from "./checksum.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Length of a TCP header without options, bytes. */
export const TCP_MIN_HEADER_LENGTH = 20;
/** Largest TCP header (data offset 15), bytes. */
export const TCP_MAX_HEADER_LENGTH = 60;
/** Option kind: end of option list. */
export const TCPOPT_EOL = 0;
/** Option kind: no-operation. */
export const TCPOPT_NOP = 1;
/** Option kind: maximum segment size. */
export const TCPOPT_MSS = 2;
/** Option kind: window scale. */
export const TCPOPT_WINDOW_SCALE = 3;
/** Option kind: SACK permitted. */
export const TCPOPT_SACK_PERMITTED = 4;
/** Option kind: SACK. */
export const TCPOPT_SACK = 5;
/** Option kind: timestamps. */
export const TCPOPT_TIMESTAMPS = 8;
const IPPROTO_TCP = 6;

/** One SACK block: the first and one-past-the-last sequence numbers received (RFC 2018 3). */
export interface TcpSackBlock {
  leftEdge: number;
  rightEdge: number;
}

/** One TCP option. `unknown` keeps any other kind with its data (the bytes after kind and length). */
export type TcpOption =
  | { type: "eol" }
  | { type: "nop" }
  | { type: "mss"; mss: number }
  | { type: "windowScale"; shiftCount: number }
  | { type: "sackPermitted" }
  | { type: "sack"; blocks: TcpSackBlock[] }
  | { type: "timestamps"; tsVal: number; tsEcr: number }
  | { type: "unknown"; kind: number; data: Uint8Array };

/** A decoded TCP header. */
export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** Sequence number, unsigned 32-bit. */
  sequenceNumber: number;
  /** Acknowledgment number, unsigned 32-bit. */
  acknowledgmentNumber: number;
  /** Header length in bytes (data offset x 4), 20..60. */
  headerLength: number;
  /** The 4 bits between data offset and flags (the lowest is the former NS / AE bit). */
  reserved: number;
  /** CWR ECE URG ACK PSH RST SYN FIN, as the `TCP_*` bits of tcp-flags.ts. */
  flags: number;
  /** Receive window (unscaled). */
  window: number;
  /** The checksum as carried. */
  checksum: number;
  urgentPointer: number;
  /** Options in order; decoding stops at the end-of-option-list (the rest is padding). */
  options: TcpOption[];
}

/** What {@link encodeTcp} needs; the header length follows from the options. */
export interface TcpHeaderInit {
  srcPort: number;
  dstPort: number;
  sequenceNumber?: number;
  acknowledgmentNumber?: number;
  reserved?: number;
  flags: number;
  window?: number;
  /** Checksum to write (default 0; see {@link fillTcpChecksumIpv4}). */
  checksum?: number;
  urgentPointer?: number;
  /** Options in order; padded with zeros to a multiple of 4, at most 40 bytes in all. */
  options?: readonly TcpOption[];
}

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

function optionLengthError(kind: number, length: number, at: number): InvalidFieldError {
  return new InvalidFieldError("ERR_TCP_OPTION_LENGTH", `TCP option ${kind} with length ${length}`, at);
}

function decodeOption(b: Uint8Array, at: number, kind: number, length: number): TcpOption {
  const expect = (n: boolean) => {
    if (!n) throw optionLengthError(kind, length, at);
  };
  switch (kind) {
    case TCPOPT_MSS:
      expect(length === 4);
      return { type: "mss", mss: (b[at + 2] << 8) | b[at + 3] };
    case TCPOPT_WINDOW_SCALE:
      expect(length === 3);
      return { type: "windowScale", shiftCount: b[at + 2] };
    case TCPOPT_SACK_PERMITTED:
      expect(length === 2);
      return { type: "sackPermitted" };
    case TCPOPT_SACK: {
      expect(length >= 10 && (length - 2) % 8 === 0);
      const blocks: TcpSackBlock[] = [];
      for (let p = at + 2; p < at + length; p += 8) blocks.push({ leftEdge: u32(b, p), rightEdge: u32(b, p + 4) });
      return { type: "sack", blocks };
    }
    case TCPOPT_TIMESTAMPS:
      expect(length === 10);
      return { type: "timestamps", tsVal: u32(b, at + 2), tsEcr: u32(b, at + 6) };
    default:
      return { type: "unknown", kind, data: b.subarray(at + 2, at + length) };
  }
}

/** Decodes the options in `[start, end)`; stops after an end-of-option-list. */
function decodeOptions(b: Uint8Array, start: number, end: number): TcpOption[] {
  const options: TcpOption[] = [];
  let at = start;
  while (at < end) {
    const kind = b[at];
    if (kind === TCPOPT_EOL) {
      options.push({ type: "eol" });
      break;
    }
    if (kind === TCPOPT_NOP) {
      options.push({ type: "nop" });
      at++;
      continue;
    }
    if (at + 1 >= end) throw optionLengthError(kind, 0, at);
    const length = b[at + 1];
    if (length < 2 || at + length > end) throw optionLengthError(kind, length, at);
    options.push(decodeOption(b, at, kind, length));
    at += length;
  }
  return options;
}

/**
 * Decodes the TCP header at `offset` with its options. Only the header must be present.
 * @throws TruncatedError `ERR_TCP_TRUNCATED`; InvalidFieldError `ERR_TCP_HEADER_LENGTH` (data offset below 5),
 *   `ERR_TCP_OPTION_LENGTH` (an option's length is below 2, runs past the header, or is wrong for its kind).
 */
export function decodeTcp(bytes: Uint8Array, offset = 0): TcpHeader {
  const available = bytes.length - offset;
  if (offset < 0 || available < TCP_MIN_HEADER_LENGTH) {
    throw new TruncatedError("TCP header", TCP_MIN_HEADER_LENGTH, Math.max(0, available), offset, "ERR_TCP_TRUNCATED");
  }
  const b = bytes;
  const o = offset;
  const headerLength = (b[o + 12] >>> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH) {
    throw new InvalidFieldError("ERR_TCP_HEADER_LENGTH", `TCP header length ${headerLength} below 20`, o + 12);
  }
  if (available < headerLength) {
    throw new TruncatedError("TCP header with options", headerLength, available, o, "ERR_TCP_TRUNCATED");
  }
  return {
    srcPort: (b[o] << 8) | b[o + 1],
    dstPort: (b[o + 2] << 8) | b[o + 3],
    sequenceNumber: u32(b, o + 4),
    acknowledgmentNumber: u32(b, o + 8),
    headerLength,
    reserved: b[o + 12] & 0x0f,
    flags: b[o + 13],
    window: (b[o + 14] << 8) | b[o + 15],
    checksum: (b[o + 16] << 8) | b[o + 17],
    urgentPointer: (b[o + 18] << 8) | b[o + 19],
    options: decodeOptions(b, o + TCP_MIN_HEADER_LENGTH, o + headerLength),
  };
}

function optionLength(option: TcpOption): number {
  switch (option.type) {
    case "eol":
    case "nop":
      return 1;
    case "mss":
      return 4;
    case "windowScale":
      return 3;
    case "sackPermitted":
      return 2;
    case "sack":
      return 2 + 8 * option.blocks.length;
    case "timestamps":
      return 10;
    case "unknown":
      return 2 + option.data.length;
  }
}

/** Encoded header length: 20 plus the options rounded up to a multiple of 4. */
export function tcpEncodingLength(header: TcpHeaderInit): number {
  let n = 0;
  for (const option of header.options ?? []) n += optionLength(option);
  return TCP_MIN_HEADER_LENGTH + ((n + 3) & ~3);
}

const w16 = (b: Uint8Array, at: number, v: number) => {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
};
const w32 = (b: Uint8Array, at: number, v: number) => {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
};

function encodeOption(option: TcpOption, b: Uint8Array, at: number): void {
  const length = optionLength(option);
  const kinds = { eol: 0, nop: 1, mss: 2, windowScale: 3, sackPermitted: 4, sack: 5, timestamps: 8 } as const;
  b[at] = option.type === "unknown" ? option.kind : kinds[option.type];
  if (length > 1) b[at + 1] = length;
  if (option.type === "mss") w16(b, at + 2, option.mss);
  else if (option.type === "windowScale") b[at + 2] = option.shiftCount;
  else if (option.type === "timestamps") {
    w32(b, at + 2, option.tsVal);
    w32(b, at + 6, option.tsEcr);
  } else if (option.type === "sack") {
    option.blocks.forEach((s, i) => {
      w32(b, at + 2 + 8 * i, s.leftEdge);
      w32(b, at + 6 + 8 * i, s.rightEdge);
    });
  } else if (option.type === "unknown") b.set(option.data, at + 2);
}

function checkOption(option: TcpOption, bad: (why: string) => never): void {
  const fits = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;
  const ok =
    option.type === "mss"
      ? fits(option.mss, 0xffff)
      : option.type === "windowScale"
        ? fits(option.shiftCount, 0xff)
        : option.type === "timestamps"
          ? fits(option.tsVal, 0xffffffff) && fits(option.tsEcr, 0xffffffff)
          : option.type === "sack"
            ? option.blocks.length > 0 &&
              option.blocks.every((s) => fits(s.leftEdge, 2 ** 32 - 1) && fits(s.rightEdge, 2 ** 32 - 1))
            : option.type === "unknown"
              ? fits(option.kind, 0xff) && option.kind > 1 && option.data.length <= 38
              : true;
  if (!ok) bad(`bad option ${option.type}`);
}

function checkTcpInit(h: TcpHeaderInit, length: number, offset: number): void {
  const bad = (why: string): never => {
    throw new InvalidFieldError("ERR_TCP_FIELD", `TCP header: ${why}`, offset);
  };
  const fits = (n: number | undefined, max: number) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= max);
  if (length > TCP_MAX_HEADER_LENGTH) bad("options longer than 40 bytes");
  const ports = fits(h.srcPort, 0xffff) && fits(h.dstPort, 0xffff);
  const numbers = fits(h.sequenceNumber, 0xffffffff) && fits(h.acknowledgmentNumber, 0xffffffff);
  const small = fits(h.reserved, 0x0f) && fits(h.flags, 0xff) && fits(h.window, 0xffff);
  if (!ports || !numbers || !small || !fits(h.checksum, 0xffff) || !fits(h.urgentPointer, 0xffff)) {
    bad("field out of range");
  }
  for (const option of h.options ?? []) checkOption(option, bad);
}

/**
 * Encodes a TCP header with its options (zero padded) into `into` at `offset` (a new array when omitted). The
 * checksum is written as given; compute it with {@link fillTcpChecksumIpv4} once the payload is in place.
 * @throws WireError `ERR_TCP_FIELD` for a field or option out of range, `ERR_TCP_BUFFER` when `into` is too small.
 */
export function encodeTcp(header: TcpHeaderInit, into?: Uint8Array, offset = 0): Uint8Array {
  const length = tcpEncodingLength(header);
  checkTcpInit(header, length, offset);
  const out = into ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new TruncatedError("TCP output buffer", length, out.length - offset, offset, "ERR_TCP_BUFFER");
  }
  const o = offset;
  w16(out, o, header.srcPort);
  w16(out, o + 2, header.dstPort);
  w32(out, o + 4, header.sequenceNumber ?? 0);
  w32(out, o + 8, header.acknowledgmentNumber ?? 0);
  out[o + 12] = ((length / 4) << 4) | (header.reserved ?? 0);
  out[o + 13] = header.flags;
  w16(out, o + 14, header.window ?? 0);
  w16(out, o + 16, header.checksum ?? 0);
  w16(out, o + 18, header.urgentPointer ?? 0);
  out.fill(0, o + TCP_MIN_HEADER_LENGTH, o + length);
  let at = o + TCP_MIN_HEADER_LENGTH;
  for (const option of header.options ?? []) {
    encodeOption(option, out, at);
    at += optionLength(option);
  }
  return out;
}

function checkSegment(bytes: Uint8Array, offset: number, length: number): void {
  if (offset < 0 || length < TCP_MIN_HEADER_LENGTH || offset + length > bytes.length) {
    const available = Math.max(0, bytes.length - offset);
    throw new TruncatedError("TCP segment", Math.max(length, 20), available, offset, "ERR_TCP_TRUNCATED");
  }
}

function segmentChecksum(bytes: Uint8Array, offset: number, length: number, pseudo: number): number {
  checkSegment(bytes, offset, length);
  // The checksum field (bytes 16-17) counts as zero.
  const sum = onesComplementSum(bytes, offset, 16, pseudo);
  return finishChecksum(onesComplementSum(bytes, offset + 18, length - 18, sum));
}

/**
 * The checksum of the `length`-byte TCP segment at `offset` over IPv4, ignoring the current checksum field.
 * @throws TruncatedError `ERR_TCP_TRUNCATED` when the segment is not present or shorter than 20 bytes.
 */
export function tcpChecksumIpv4(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcAddr: number,
  dstAddr: number,
): number {
  return segmentChecksum(bytes, offset, length, ipv4PseudoHeaderSum(srcAddr, dstAddr, IPPROTO_TCP, length));
}

/** The checksum of the `length`-byte TCP segment at `offset` over IPv6, as {@link tcpChecksumIpv4}. */
export function tcpChecksumIpv6(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
): number {
  return segmentChecksum(bytes, offset, length, ipv6PseudoHeaderSum(srcAddr, dstAddr, IPPROTO_TCP, length));
}

/** Computes the IPv4 checksum of the segment and writes it into the header; returns it. */
export function fillTcpChecksumIpv4(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcAddr: number,
  dstAddr: number,
): number {
  const c = tcpChecksumIpv4(bytes, offset, length, srcAddr, dstAddr);
  w16(bytes, offset + 16, c);
  return c;
}

/** Computes the IPv6 checksum of the segment and writes it into the header; returns it. */
export function fillTcpChecksumIpv6(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
): number {
  const c = tcpChecksumIpv6(bytes, offset, length, srcAddr, dstAddr);
  w16(bytes, offset + 16, c);
  return c;
}

/** Whether the `length`-byte TCP segment at `offset` carries a correct IPv4 checksum. */
export function verifyTcpChecksumIpv4(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcAddr: number,
  dstAddr: number,
): boolean {
  checkSegment(bytes, offset, length);
  const pseudo = ipv4PseudoHeaderSum(srcAddr, dstAddr, IPPROTO_TCP, length);
  return finishChecksum(onesComplementSum(bytes, offset, length, pseudo)) === 0;
}

/** Whether the `length`-byte TCP segment at `offset` carries a correct IPv6 checksum. */
export function verifyTcpChecksumIpv6(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
): boolean {
  checkSegment(bytes, offset, length);
  const pseudo = ipv6PseudoHeaderSum(srcAddr, dstAddr, IPPROTO_TCP, length);
  return finishChecksum(onesComplementSum(bytes, offset, length, pseudo)) === 0;
}
