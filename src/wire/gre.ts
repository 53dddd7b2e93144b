/**
 * The GRE header (RFC 2784) with the key and sequence number extensions (RFC 2890): C (checksum present), K (key
 * present), S (sequence number present), version 0, protocol type (an EtherType), then checksum + reserved1, key and
 * sequence number in that order when present. As carrier of ERSPAN it holds protocol 0x88be (type II, S set) or 0x22eb
 * (type III).
 */
import { internetChecksum } from "./checksum.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Length of the GRE header without optional fields, bytes. */
export const GRE_MIN_HEADER_LENGTH = 4;
/** C bit: checksum and reserved1 present. */
export const GRE_FLAG_CHECKSUM = 0x8000;
/** RFC 1701 R bit: routing present (not supported). */
export const GRE_FLAG_ROUTING = 0x4000;
/** K bit: key present (RFC 2890). */
export const GRE_FLAG_KEY = 0x2000;
/** S bit: sequence number present (RFC 2890). */
export const GRE_FLAG_SEQUENCE = 0x1000;

/** A decoded GRE header. */
export interface GreHeader {
  checksumPresent: boolean;
  keyPresent: boolean;
  sequencePresent: boolean;
  /** The other reserved0 bits (RFC 1701's s, recur, flags), kept for exact re-encoding: mask 0x0ff8. */
  reserved0: number;
  /** Version, 0. */
  version: number;
  /** EtherType of the payload. */
  protocolType: number;
  /** Checksum as carried (when C). */
  checksum?: number;
  /** Whether the checksum over header and payload is correct (when C and the payload length is known). */
  checksumValid?: boolean;
  /** Reserved1 (when C). */
  reserved1?: number;
  /** Key, unsigned 32-bit (when K). */
  key?: number;
  /** Sequence number, unsigned 32-bit (when S). */
  sequenceNumber?: number;
  /** Header length, bytes: 4, plus 4 for each of C, K, S. */
  headerLength: number;
}

/** What {@link encodeGre} needs: presence follows from which optional fields are given. */
export interface GreHeaderInit {
  protocolType: number;
  /** Write a checksum field (computed by {@link fillGreChecksum}; default false). */
  checksumPresent?: boolean;
  /** Checksum to write when present (default 0). */
  checksum?: number;
  reserved1?: number;
  key?: number;
  sequenceNumber?: number;
  reserved0?: number;
}

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/**
 * Decodes the GRE header at `offset`. With `length` (header plus payload, bytes) the checksum, when present, is
 * verified over those bytes.
 * @throws TruncatedError `ERR_GRE_TRUNCATED`; InvalidFieldError `ERR_GRE_VERSION` (version other than 0),
 *   `ERR_GRE_ROUTING` (RFC 1701 routing present).
 */
export function decodeGre(bytes: Uint8Array, offset = 0, length?: number): GreHeader {
  const available = bytes.length - offset;
  if (offset < 0 || available < GRE_MIN_HEADER_LENGTH) {
    throw new TruncatedError("GRE header", GRE_MIN_HEADER_LENGTH, Math.max(0, available), offset, "ERR_GRE_TRUNCATED");
  }
  const b = bytes;
  const o = offset;
  const word = (b[o] << 8) | b[o + 1];
  const version = word & 0x7;
  if (version !== 0) throw new InvalidFieldError("ERR_GRE_VERSION", `GRE version ${version}`, o);
  if (word & GRE_FLAG_ROUTING) throw new InvalidFieldError("ERR_GRE_ROUTING", "GRE routing (RFC 1701) present", o);
  const header: GreHeader = {
    checksumPresent: (word & GRE_FLAG_CHECKSUM) !== 0,
    keyPresent: (word & GRE_FLAG_KEY) !== 0,
    sequencePresent: (word & GRE_FLAG_SEQUENCE) !== 0,
    reserved0: word & 0x0ff8,
    version,
    protocolType: (b[o + 2] << 8) | b[o + 3],
    headerLength: GRE_MIN_HEADER_LENGTH,
  };
  header.headerLength +=
    (header.checksumPresent ? 4 : 0) + (header.keyPresent ? 4 : 0) + (header.sequencePresent ? 4 : 0);
  if (available < header.headerLength) {
    throw new TruncatedError("GRE header", header.headerLength, available, o, "ERR_GRE_TRUNCATED");
  }
  let at = o + GRE_MIN_HEADER_LENGTH;
  if (header.checksumPresent) {
    header.checksum = (b[at] << 8) | b[at + 1];
    header.reserved1 = (b[at + 2] << 8) | b[at + 3];
    if (length !== undefined && length >= header.headerLength && length <= available) {
      header.checksumValid = internetChecksum(b, o, length) === 0;
    }
    at += 4;
  }
  if (header.keyPresent) {
    header.key = u32(b, at);
    at += 4;
  }
  if (header.sequencePresent) header.sequenceNumber = u32(b, at);
  return header;
}

/** Encoded header length: 4, plus 4 for each optional field present. */
export function greEncodingLength(header: GreHeaderInit): number {
  return (
    GRE_MIN_HEADER_LENGTH +
    (header.checksumPresent ? 4 : 0) +
    (header.key !== undefined ? 4 : 0) +
    (header.sequenceNumber !== undefined ? 4 : 0)
  );
}

const w32 = (b: Uint8Array, at: number, v: number) => {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
};

/**
 * Encodes a GRE header into `into` at `offset` (a new array when omitted): C when `checksumPresent`, K when `key` is
 * given, S when `sequenceNumber` is given. A present checksum is written as given; see {@link fillGreChecksum}.
 * @throws WireError `ERR_GRE_FIELD` for a field out of range, `ERR_GRE_BUFFER` when `into` is too small.
 */
export function encodeGre(header: GreHeaderInit, into?: Uint8Array, offset = 0): Uint8Array {
  const length = greEncodingLength(header);
  const out = into ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new TruncatedError("GRE output buffer", length, out.length - offset, offset, "ERR_GRE_BUFFER");
  }
  const fits = (n: number | undefined, max: number) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= max);
  const r0 = header.reserved0 ?? 0;
  const ok =
    fits(header.protocolType, 0xffff) &&
    fits(header.checksum, 0xffff) &&
    fits(header.reserved1, 0xffff) &&
    fits(header.key, 0xffffffff) &&
    fits(header.sequenceNumber, 0xffffffff) &&
    fits(r0, 0xffff) &&
    (r0 & ~0x0ff8) === 0;
  if (!ok) throw new InvalidFieldError("ERR_GRE_FIELD", "GRE header field out of range", offset);
  const o = offset;
  const word =
    (header.checksumPresent ? GRE_FLAG_CHECKSUM : 0) |
    (header.key !== undefined ? GRE_FLAG_KEY : 0) |
    (header.sequenceNumber !== undefined ? GRE_FLAG_SEQUENCE : 0) |
    r0;
  out[o] = word >>> 8;
  out[o + 1] = word & 0xff;
  out[o + 2] = header.protocolType >>> 8;
  out[o + 3] = header.protocolType & 0xff;
  let at = o + GRE_MIN_HEADER_LENGTH;
  if (header.checksumPresent) {
    const c = header.checksum ?? 0;
    const r1 = header.reserved1 ?? 0;
    w32(out, at, ((c << 16) | r1) >>> 0);
    at += 4;
  }
  if (header.key !== undefined) {
    w32(out, at, header.key);
    at += 4;
  }
  if (header.sequenceNumber !== undefined) w32(out, at, header.sequenceNumber);
  return out;
}

/**
 * Computes the GRE checksum over the `length` bytes (header plus payload) at `offset` and writes it into the header,
 * which must have C set. Returns it.
 * @throws WireError `ERR_GRE_FIELD` when C is clear, `ERR_GRE_TRUNCATED` when the bytes are not present.
 */
export function fillGreChecksum(bytes: Uint8Array, offset: number, length: number): number {
  if (offset < 0 || length < 8 || offset + length > bytes.length) {
    throw new TruncatedError("GRE packet", Math.max(8, length), bytes.length - offset, offset, "ERR_GRE_TRUNCATED");
  }
  if ((bytes[offset] & 0x80) === 0) throw new InvalidFieldError("ERR_GRE_FIELD", "GRE checksum not present", offset);
  bytes[offset + 4] = 0;
  bytes[offset + 5] = 0;
  const c = internetChecksum(bytes, offset, length);
  bytes[offset + 4] = c >>> 8;
  bytes[offset + 5] = c & 0xff;
  return c;
}
