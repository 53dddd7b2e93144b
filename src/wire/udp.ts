/**
 * The UDP header (RFC 768) and its checksum over the IPv4 (RFC 768) or IPv6 (RFC 8200 section 8.1) pseudo-header.
 * A transmitted checksum of 0 means "none" (allowed over IPv4 only); a computed 0 is sent as 0xffff.
 */
import {
  finishChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
  transportChecksumIpv4,
  transportChecksumIpv6,
} from "./checksum.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Length of the UDP header, bytes. */
export const UDP_HEADER_LENGTH = 8;
const IPPROTO_UDP = 17;

/** A decoded UDP header. */
export interface UdpHeader {
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
  /** Length of header plus data, bytes (8..65535). */
  length: number;
  /** The checksum as carried (0: none). */
  checksum: number;
}

/**
 * Decodes the UDP header at `offset`. The datagram's `length` bytes must be present (more may follow).
 * @throws TruncatedError `ERR_UDP_TRUNCATED`; InvalidFieldError `ERR_UDP_LENGTH` for a length below 8.
 */
export function decodeUdp(bytes: Uint8Array, offset = 0): UdpHeader {
  const available = bytes.length - offset;
  if (offset < 0 || available < UDP_HEADER_LENGTH) {
    throw new TruncatedError("UDP header", UDP_HEADER_LENGTH, Math.max(0, available), offset, "ERR_UDP_TRUNCATED");
  }
  const b = bytes;
  const o = offset;
  const length = (b[o + 4] << 8) | b[o + 5];
  if (length < UDP_HEADER_LENGTH) {
    throw new InvalidFieldError("ERR_UDP_LENGTH", `UDP length ${length} below 8`, o + 4);
  }
  if (length > available) throw new TruncatedError("UDP datagram", length, available, o, "ERR_UDP_TRUNCATED");
  return {
    srcPort: (b[o] << 8) | b[o + 1],
    dstPort: (b[o + 2] << 8) | b[o + 3],
    length,
    checksum: (b[o + 6] << 8) | b[o + 7],
  };
}

/** Encoded length of a UDP header: always 8. */
export function udpEncodingLength(_header?: UdpHeader): number {
  return UDP_HEADER_LENGTH;
}

/**
 * Encodes the 8-byte UDP header into `into` at `offset` (a new array when omitted), writing `checksum` as given; use
 * {@link fillUdpChecksumIpv4} / {@link fillUdpChecksumIpv6} once the payload is in place.
 * @throws WireError `ERR_UDP_FIELD` for a field out of range, `ERR_UDP_BUFFER` when `into` is too small.
 */
export function encodeUdp(header: UdpHeader, into?: Uint8Array, offset = 0): Uint8Array {
  const out = into ?? new Uint8Array(offset + UDP_HEADER_LENGTH);
  if (offset < 0 || offset + UDP_HEADER_LENGTH > out.length) {
    const available = out.length - offset;
    throw new TruncatedError("UDP output buffer", UDP_HEADER_LENGTH, available, offset, "ERR_UDP_BUFFER");
  }
  for (const n of [header.srcPort, header.dstPort, header.length, header.checksum]) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
      throw new InvalidFieldError("ERR_UDP_FIELD", `UDP field out of range: ${n}`, offset);
    }
  }
  if (header.length < UDP_HEADER_LENGTH) {
    throw new InvalidFieldError("ERR_UDP_FIELD", `UDP length ${header.length} below 8`, offset);
  }
  const o = offset;
  out[o] = header.srcPort >>> 8;
  out[o + 1] = header.srcPort & 0xff;
  out[o + 2] = header.dstPort >>> 8;
  out[o + 3] = header.dstPort & 0xff;
  out[o + 4] = header.length >>> 8;
  out[o + 5] = header.length & 0xff;
  out[o + 6] = header.checksum >>> 8;
  out[o + 7] = header.checksum & 0xff;
  return out;
}

function udpLengthAt(bytes: Uint8Array, offset: number): number {
  if (offset < 0 || offset + UDP_HEADER_LENGTH > bytes.length) {
    const available = Math.max(0, bytes.length - offset);
    throw new TruncatedError("UDP header", UDP_HEADER_LENGTH, available, offset, "ERR_UDP_TRUNCATED");
  }
  const length = (bytes[offset + 4] << 8) | bytes[offset + 5];
  if (length < UDP_HEADER_LENGTH) throw new InvalidFieldError("ERR_UDP_LENGTH", `UDP length ${length}`, offset + 4);
  if (offset + length > bytes.length) {
    throw new TruncatedError("UDP datagram", length, bytes.length - offset, offset, "ERR_UDP_TRUNCATED");
  }
  return length;
}

function checksumSkippingField(bytes: Uint8Array, offset: number, pseudo: (length: number) => number): number {
  const length = udpLengthAt(bytes, offset);
  // The checksum field counts as zero: sum the 6 bytes before it and everything after it.
  let sum = onesComplementSum(bytes, offset, 6, pseudo(length));
  sum = onesComplementSum(bytes, offset + UDP_HEADER_LENGTH, length - UDP_HEADER_LENGTH, sum);
  const c = finishChecksum(sum);
  return c === 0 ? 0xffff : c;
}

/**
 * The UDP checksum to transmit for the datagram at `offset` (its length from the header) over IPv4, 1..0xffff; the
 * current checksum field is ignored.
 * @throws the errors of {@link decodeUdp} when the header or datagram is not present.
 */
export function udpChecksumIpv4(bytes: Uint8Array, offset: number, srcAddr: number, dstAddr: number): number {
  return checksumSkippingField(bytes, offset, (len) => ipv4PseudoHeaderSum(srcAddr, dstAddr, IPPROTO_UDP, len));
}

/** The UDP checksum to transmit over IPv6 (RFC 8200 8.1), as {@link udpChecksumIpv4}. */
export function udpChecksumIpv6(bytes: Uint8Array, offset: number, srcAddr: Uint8Array, dstAddr: Uint8Array): number {
  return checksumSkippingField(bytes, offset, (len) => ipv6PseudoHeaderSum(srcAddr, dstAddr, IPPROTO_UDP, len));
}

/** Computes the IPv4 UDP checksum of the datagram at `offset` and writes it into its header; returns it. */
export function fillUdpChecksumIpv4(bytes: Uint8Array, offset: number, srcAddr: number, dstAddr: number): number {
  const c = udpChecksumIpv4(bytes, offset, srcAddr, dstAddr);
  bytes[offset + 6] = c >>> 8;
  bytes[offset + 7] = c & 0xff;
  return c;
}

/** Computes the IPv6 UDP checksum of the datagram at `offset` and writes it into its header; returns it. */
export function fillUdpChecksumIpv6(
  bytes: Uint8Array,
  offset: number,
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
): number {
  const c = udpChecksumIpv6(bytes, offset, srcAddr, dstAddr);
  bytes[offset + 6] = c >>> 8;
  bytes[offset + 7] = c & 0xff;
  return c;
}

/**
 * Whether the UDP datagram at `offset` carries a correct IPv4 checksum: `true` also when the field is 0 ("no
 * checksum", RFC 768). Never throws for a datagram {@link decodeUdp} accepts.
 */
export function verifyUdpChecksumIpv4(bytes: Uint8Array, offset: number, srcAddr: number, dstAddr: number): boolean {
  const length = udpLengthAt(bytes, offset);
  if (bytes[offset + 6] === 0 && bytes[offset + 7] === 0) return true;
  return transportChecksumIpv4(srcAddr, dstAddr, IPPROTO_UDP, bytes, offset, length) === 0;
}

/** Whether the UDP datagram at `offset` carries a correct IPv6 checksum (0 is never valid over IPv6, RFC 8200 8.1). */
export function verifyUdpChecksumIpv6(
  bytes: Uint8Array,
  offset: number,
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
): boolean {
  const length = udpLengthAt(bytes, offset);
  if (bytes[offset + 6] === 0 && bytes[offset + 7] === 0) return false;
  return transportChecksumIpv6(srcAddr, dstAddr, IPPROTO_UDP, bytes, offset, length) === 0;
}
