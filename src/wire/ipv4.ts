/**
 * The IPv4 header (RFC 791 section 3.1) with options, fragmentation fields and the header checksum (RFC 1071).
 * Decoding reports whether the header checksum is right instead of throwing, so captures with offloaded checksums
 * still decode.
 */
import { internetChecksum } from "./checksum.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import { readIpv4, writeIpv4 } from "./ipv4-address.ts";

/** Length of an IPv4 header without options, bytes. */
export const IPV4_MIN_HEADER_LENGTH = 20;
/** Largest IPv4 header (IHL 15), bytes. */
export const IPV4_MAX_HEADER_LENGTH = 60;
/** Largest fragment offset, bytes (13 bits of 8-byte units). */
export const IPV4_MAX_FRAGMENT_OFFSET = 8191 * 8;
/** IP protocol number of ICMP. */
export const IPPROTO_ICMP = 1;
/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;
/** IP protocol number of UDP. */
export const IPPROTO_UDP = 17;
/** IP protocol number of GRE (RFC 2784). */
export const IPPROTO_GRE = 47;

/** A decoded IPv4 header. */
export interface Ipv4Header {
  /** Always 4. */
  version: number;
  /** Header length in bytes (IHL x 4), 20..60. */
  headerLength: number;
  /** Type of service / DS field octet: DSCP in the upper 6 bits, ECN in the lower 2 (RFC 2474, RFC 3168). */
  tos: number;
  /** Length of the whole datagram, header included, bytes. */
  totalLength: number;
  /** Identification, 16 bits. */
  identification: number;
  /** The reserved flag bit (must be zero; kept for exact re-encoding). */
  reservedFlag: boolean;
  /** DF: don't fragment. */
  dontFragment: boolean;
  /** MF: more fragments follow. */
  moreFragments: boolean;
  /** Fragment offset in bytes (a multiple of 8, 0..65528). */
  fragmentOffset: number;
  /** Time to live, hops. */
  ttl: number;
  /** Upper-layer protocol number (IANA). */
  protocol: number;
  /** The header checksum as carried. */
  headerChecksum: number;
  /** Whether the header checksum is correct. */
  checksumValid: boolean;
  /** Source address, unsigned 32-bit. */
  srcAddr: number;
  /** Destination address, unsigned 32-bit. */
  dstAddr: number;
  /** The option bytes with their padding (a view into the decoded buffer; empty when IHL is 5). */
  options: Uint8Array;
}

/** What {@link encodeIpv4} needs; the checksum is always computed, the header length follows from the options. */
export interface Ipv4HeaderInit {
  /** DS field octet (default 0). */
  tos?: number;
  /** Length of header plus payload, bytes. */
  totalLength: number;
  identification?: number;
  reservedFlag?: boolean;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in bytes, a multiple of 8 (default 0). */
  fragmentOffset?: number;
  /** Time to live (default 64). */
  ttl?: number;
  protocol: number;
  srcAddr: number;
  dstAddr: number;
  /** Option bytes; padded with zeros (end of option list) to a multiple of 4, at most 40 bytes. */
  options?: Uint8Array;
}

/**
 * Decodes the IPv4 header at `offset` without comparing `totalLength` with the bytes present: for datagrams quoted in
 * ICMP errors and for truncated captures. The header itself (IHL x 4 bytes) must be present.
 * @throws TruncatedError `ERR_IPV4_TRUNCATED`; InvalidFieldError `ERR_IPV4_VERSION` (not 4), `ERR_IPV4_HEADER_LENGTH`
 *   (IHL below 5, or totalLength below the header length).
 */
export function decodeIpv4Header(bytes: Uint8Array, offset = 0): Ipv4Header {
  const available = bytes.length - offset;
  if (offset < 0 || available < IPV4_MIN_HEADER_LENGTH) {
    throw new TruncatedError(
      "IPv4 header",
      IPV4_MIN_HEADER_LENGTH,
      Math.max(0, available),
      offset,
      "ERR_IPV4_TRUNCATED",
    );
  }
  const b = bytes;
  const o = offset;
  const version = b[o] >>> 4;
  if (version !== 4) throw new InvalidFieldError("ERR_IPV4_VERSION", `IPv4 version is ${version}`, o);
  const headerLength = (b[o] & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) {
    throw new InvalidFieldError("ERR_IPV4_HEADER_LENGTH", `IPv4 header length ${headerLength} below 20`, o);
  }
  if (available < headerLength) {
    throw new TruncatedError("IPv4 header with options", headerLength, available, o, "ERR_IPV4_TRUNCATED");
  }
  const totalLength = (b[o + 2] << 8) | b[o + 3];
  if (totalLength < headerLength) {
    throw new InvalidFieldError(
      "ERR_IPV4_HEADER_LENGTH",
      `IPv4 total length ${totalLength} below header length`,
      o + 2,
    );
  }
  const flagsFrag = (b[o + 6] << 8) | b[o + 7];
  return {
    version,
    headerLength,
    tos: b[o + 1],
    totalLength,
    identification: (b[o + 4] << 8) | b[o + 5],
    reservedFlag: (flagsFrag & 0x8000) !== 0,
    dontFragment: (flagsFrag & 0x4000) !== 0,
    moreFragments: (flagsFrag & 0x2000) !== 0,
    fragmentOffset: (flagsFrag & 0x1fff) * 8,
    ttl: b[o + 8],
    protocol: b[o + 9],
    headerChecksum: (b[o + 10] << 8) | b[o + 11],
    checksumValid: internetChecksum(b, o, headerLength) === 0,
    srcAddr: readIpv4(b, o + 12),
    dstAddr: readIpv4(b, o + 16),
    options: b.subarray(o + IPV4_MIN_HEADER_LENGTH, o + headerLength),
  };
}

/**
 * Decodes the IPv4 header at `offset` of a whole datagram: as {@link decodeIpv4Header}, and the datagram's
 * `totalLength` bytes must be present (bytes beyond it, such as Ethernet padding, are allowed).
 * @throws TruncatedError `ERR_IPV4_TRUNCATED` when fewer than `totalLength` bytes are present; the errors of
 *   {@link decodeIpv4Header}.
 */
export function decodeIpv4(bytes: Uint8Array, offset = 0): Ipv4Header {
  const header = decodeIpv4Header(bytes, offset);
  const available = bytes.length - offset;
  if (available < header.totalLength) {
    throw new TruncatedError("IPv4 datagram", header.totalLength, available, offset, "ERR_IPV4_TRUNCATED");
  }
  return header;
}

/** Encoded header length: 20 plus the options rounded up to a multiple of 4. */
export function ipv4EncodingLength(header: Ipv4HeaderInit): number {
  const optionLength = header.options?.length ?? 0;
  return IPV4_MIN_HEADER_LENGTH + ((optionLength + 3) & ~3);
}

function checkIpv4Init(h: Ipv4HeaderInit, headerLength: number, offset: number): void {
  const bad = (why: string): never => {
    throw new InvalidFieldError("ERR_IPV4_FIELD", `IPv4 header: ${why}`, offset);
  };
  const fits = (n: number | undefined, max: number) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= max);
  if (headerLength > IPV4_MAX_HEADER_LENGTH) bad(`options longer than 40 bytes`);
  if (!fits(h.totalLength, 0xffff) || h.totalLength < headerLength) bad(`totalLength ${h.totalLength}`);
  if (!fits(h.tos, 0xff) || !fits(h.ttl, 0xff) || !fits(h.protocol, 0xff)) bad("tos, ttl or protocol out of range");
  if (!fits(h.identification, 0xffff)) bad(`identification ${h.identification}`);
  const frag = h.fragmentOffset ?? 0;
  if (!fits(frag, IPV4_MAX_FRAGMENT_OFFSET) || frag % 8 !== 0) bad(`fragment offset ${frag} (bytes, multiple of 8)`);
  if (!fits(h.srcAddr, 0xffffffff) || !fits(h.dstAddr, 0xffffffff)) bad("address out of range");
}

/**
 * Encodes an IPv4 header (options padded with zeros to a 4-byte boundary) with its header checksum computed, into
 * `into` at `offset` (a new array when omitted). Only the header is written; the payload is the caller's.
 * @throws WireError `ERR_IPV4_FIELD` for a field out of range, `ERR_IPV4_BUFFER` when `into` is too small.
 */
export function encodeIpv4(header: Ipv4HeaderInit, into?: Uint8Array, offset = 0): Uint8Array {
  const headerLength = ipv4EncodingLength(header);
  checkIpv4Init(header, headerLength, offset);
  const out = into ?? new Uint8Array(offset + headerLength);
  if (offset < 0 || offset + headerLength > out.length) {
    throw new TruncatedError("IPv4 output buffer", headerLength, out.length - offset, offset, "ERR_IPV4_BUFFER");
  }
  const o = offset;
  const flagsFrag =
    (header.reservedFlag ? 0x8000 : 0) |
    (header.dontFragment ? 0x4000 : 0) |
    (header.moreFragments ? 0x2000 : 0) |
    ((header.fragmentOffset ?? 0) / 8);
  const id = header.identification ?? 0;
  out[o] = 0x40 | (headerLength / 4);
  out[o + 1] = header.tos ?? 0;
  out[o + 2] = header.totalLength >>> 8;
  out[o + 3] = header.totalLength & 0xff;
  out[o + 4] = id >>> 8;
  out[o + 5] = id & 0xff;
  out[o + 6] = flagsFrag >>> 8;
  out[o + 7] = flagsFrag & 0xff;
  out[o + 8] = header.ttl ?? 64;
  out[o + 9] = header.protocol;
  out[o + 10] = 0;
  out[o + 11] = 0;
  writeIpv4(out, o + 12, header.srcAddr);
  writeIpv4(out, o + 16, header.dstAddr);
  out.fill(0, o + IPV4_MIN_HEADER_LENGTH, o + headerLength);
  if (header.options !== undefined) out.set(header.options, o + IPV4_MIN_HEADER_LENGTH);
  const checksum = internetChecksum(out, o, headerLength);
  out[o + 10] = checksum >>> 8;
  out[o + 11] = checksum & 0xff;
  return out;
}
