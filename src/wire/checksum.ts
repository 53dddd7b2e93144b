/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of 16-bit big-endian words,
 * with the IPv4 (RFC 768, RFC 793) and IPv6 (RFC 8200 section 8.1) pseudo-headers of UDP and TCP, and the Paris-traceroute
 * technique of holding a UDP checksum constant by choosing two payload bytes.
 *
 * Sums are kept folded to 16 bits (0..0xffff) so they can be chained over several byte ranges: pass the result of one
 * call as `initial` of the next. Every range but the last must have an even length; an odd last range is padded with a
 * zero byte, as RFC 1071 section 4.1 does.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";

// IP protocol number of UDP (IANA); the exported constants live in ipv4.ts.
const IPPROTO_UDP = 17;

function checkRange(bytes: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
    throw new InvalidFieldError("ERR_CHECKSUM_RANGE", `bad checksum range ${offset}+${length}`, offset);
  }
  if (offset + length > bytes.length) {
    throw new TruncatedError("checksum range", length, bytes.length - offset, offset, "ERR_CHECKSUM_RANGE");
  }
}

/** Folds a non-negative sum of any size to 16 bits with end-around carry. */
function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * One's complement sum of `length` bytes from `offset` as big-endian 16-bit words, added to `initial` (a folded sum,
 * default 0). Returns the folded sum, 0..0xffff. An odd `length` pads the last byte with a zero (RFC 1071 4.1).
 * @throws WireError `ERR_CHECKSUM_RANGE` when the range lies outside `bytes`.
 */
export function onesComplementSum(bytes: Uint8Array, offset = 0, length = bytes.length - offset, initial = 0): number {
  checkRange(bytes, offset, length);
  let sum = initial;
  const end = offset + (length & ~1);
  let i = offset;
  // 2^16 words of at most 0xffff each stay far below 2^53; fold every 32768 words anyway to keep small integers.
  while (i < end) {
    const stop = Math.min(end, i + 65536);
    for (; i < stop; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
    sum = fold(sum);
  }
  if (length & 1) sum += bytes[offset + length - 1] << 8;
  return fold(sum);
}

/** One's complement addition of two 16-bit values (or folded sums); returns a folded sum 0..0xffff. */
export function onesComplementAdd(a: number, b: number): number {
  return fold((a & 0xffff) + (b & 0xffff));
}

/** Turns a folded sum into the checksum field value: its one's complement, 0..0xffff (RFC 1071). */
export function finishChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/**
 * The Internet checksum of `length` bytes from `offset` (RFC 1071). Computing: the checksum field inside the range must
 * be zero. Verifying: a range that includes a correct checksum field gives 0.
 * @throws WireError `ERR_CHECKSUM_RANGE` when the range lies outside `bytes`.
 */
export function internetChecksum(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
  return finishChecksum(onesComplementSum(bytes, offset, length));
}

/**
 * Folded sum of the IPv4 pseudo-header of UDP/TCP (RFC 768, RFC 793 section 3.1): source and destination address
 * (unsigned 32-bit), zero, protocol, and the transport length in bytes (0..65535).
 */
export function ipv4PseudoHeaderSum(srcAddr: number, dstAddr: number, protocol: number, length: number): number {
  return fold(
    (srcAddr >>> 16) +
      (srcAddr & 0xffff) +
      (dstAddr >>> 16) +
      (dstAddr & 0xffff) +
      (protocol & 0xff) +
      (length & 0xffff),
  );
}

/**
 * Folded sum of the IPv6 pseudo-header (RFC 8200 section 8.1): 16-byte source and destination addresses, the 32-bit
 * upper-layer packet length in bytes, three zero bytes, and the next header value of the upper-layer protocol.
 */
export function ipv6PseudoHeaderSum(
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) sum += ((srcAddr[i] << 8) | srcAddr[i + 1]) + ((dstAddr[i] << 8) | dstAddr[i + 1]);
  const len = length >>> 0;
  return fold(sum + (len >>> 16) + (len & 0xffff) + (nextHeader & 0xff));
}

/**
 * The checksum of a UDP or TCP segment over IPv4: pseudo-header plus the `length` bytes of the segment at `offset`
 * (RFC 768, RFC 793). Same compute/verify rule as {@link internetChecksum}. UDP transmits a computed 0 as 0xffff
 * (see `udpChecksumIpv4` in udp.ts).
 */
export function transportChecksumIpv4(
  srcAddr: number,
  dstAddr: number,
  protocol: number,
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
): number {
  return finishChecksum(
    onesComplementSum(bytes, offset, length, ipv4PseudoHeaderSum(srcAddr, dstAddr, protocol, length)),
  );
}

/**
 * The checksum of an upper-layer packet over IPv6: pseudo-header plus the `length` bytes at `offset` (RFC 8200 8.1).
 * Same compute/verify rule as {@link internetChecksum}.
 */
export function transportChecksumIpv6(
  srcAddr: Uint8Array,
  dstAddr: Uint8Array,
  nextHeader: number,
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
): number {
  return finishChecksum(
    onesComplementSum(bytes, offset, length, ipv6PseudoHeaderSum(srcAddr, dstAddr, nextHeader, length)),
  );
}

/**
 * The 16-bit value to write big-endian at byte `wordOffset` of a range so that the range's checksum becomes `wanted`,
 * given `sumWithoutWord`, the folded sum of everything covered (pseudo-header included) with the checksum field and
 * the two bytes at `wordOffset` taken as zero. `wordOffset` counts from the first byte of the summed range (its parity
 * decides how the two bytes fall on 16-bit words). `wanted` is the value as transmitted: for UDP, ask 0xffff for a
 * computed zero; 0 ("no checksum") cannot be produced.
 * @throws WireError `ERR_CHECKSUM_WANTED` when `wanted` is 0 or not a 16-bit value.
 */
export function checksumAdjustmentWord(sumWithoutWord: number, wanted: number, wordOffset: number): number {
  if (!Number.isInteger(wanted) || wanted <= 0 || wanted > 0xffff) {
    throw new InvalidFieldError("ERR_CHECKSUM_WANTED", `wanted checksum must be 1..0xffff, got ${wanted}`, wordOffset);
  }
  // A computed checksum of 0 is sent as 0xffff (RFC 768), so 0xffff is reached through a sum of 0xffff.
  const targetSum = wanted === 0xffff ? 0xffff : ~wanted & 0xffff;
  const word = onesComplementAdd(targetSum, ~fold(sumWithoutWord) & 0xffff);
  // At an odd position the first byte is the low half of one word and the second the high half of the next.
  return wordOffset & 1 ? ((word & 0xff) << 8) | (word >>> 8) : word;
}

/**
 * Paris-traceroute checksum holding for an IPv4 packet carrying UDP: the 16-bit value to write big-endian at byte
 * `payloadOffset` of the UDP payload so that the UDP checksum equals `wanted` (as transmitted; 1..0xffff). Reads the
 * IPv4 header at `packetOffset` (IHL, protocol, addresses) and the UDP length; ignores the current checksum field and
 * the current two bytes at the offset.
 * @throws WireError `ERR_CHECKSUM_PACKET` when the packet is not IPv4/UDP or the offset is not inside the payload,
 *   `ERR_CHECKSUM_WANTED` for an impossible `wanted`.
 */
export function ipv4UdpChecksumAdjustmentWord(
  packet: Uint8Array,
  payloadOffset: number,
  wanted: number,
  packetOffset = 0,
): number {
  const p = packetOffset;
  const bad = (why: string): never => {
    throw new InvalidFieldError("ERR_CHECKSUM_PACKET", `cannot hold UDP checksum: ${why}`, p);
  };
  if (p < 0 || p + 20 > packet.length || packet[p] >> 4 !== 4) bad("not an IPv4 packet");
  const ihl = (packet[p] & 0x0f) * 4;
  if (packet[p + 9] !== IPPROTO_UDP) bad("not UDP");
  const u = p + ihl;
  if (ihl < 20 || u + 8 > packet.length) bad("truncated");
  const udpLength = (packet[u + 4] << 8) | packet[u + 5];
  if (udpLength < 8 || u + udpLength > packet.length) bad("bad UDP length");
  const at = 8 + payloadOffset;
  if (!Number.isInteger(payloadOffset) || payloadOffset < 0 || at + 2 > udpLength) bad("offset outside the payload");
  const src = ((packet[p + 12] << 24) | (packet[p + 13] << 16) | (packet[p + 14] << 8) | packet[p + 15]) >>> 0;
  const dst = ((packet[p + 16] << 24) | (packet[p + 17] << 16) | (packet[p + 18] << 8) | packet[p + 19]) >>> 0;
  let sum = ipv4PseudoHeaderSum(src, dst, IPPROTO_UDP, udpLength);
  sum = onesComplementSum(packet, u, 6, sum); // header without the checksum field
  sum = onesComplementSum(packet, u + 8, payloadOffset & ~1, sum);
  // Bytes not covered by the word: the leading odd byte (if odd) and everything after the word.
  if (payloadOffset & 1) sum = onesComplementAdd(sum, packet[u + at - 1] << 8);
  const after = at + 2;
  if (payloadOffset & 1) {
    // The word's second byte shares a 16-bit word with the byte after it.
    if (after < udpLength) sum = onesComplementAdd(sum, packet[u + after]);
    if (after + 1 < udpLength) sum = onesComplementSum(packet, u + after + 1, udpLength - after - 1, sum);
  } else {
    sum = onesComplementSum(packet, u + after, udpLength - after, sum);
  }
  return checksumAdjustmentWord(sum, wanted, at);
}

/**
 * Applies {@link ipv4UdpChecksumAdjustmentWord}: writes the adjustment word at `payloadOffset` of the UDP payload and
 * `wanted` into the UDP checksum field, in place. Returns the word written.
 */
export function holdIpv4UdpChecksum(
  packet: Uint8Array,
  payloadOffset: number,
  wanted: number,
  packetOffset = 0,
): number {
  const word = ipv4UdpChecksumAdjustmentWord(packet, payloadOffset, wanted, packetOffset);
  const u = packetOffset + (packet[packetOffset] & 0x0f) * 4;
  packet[u + 8 + payloadOffset] = word >>> 8;
  packet[u + 9 + payloadOffset] = word & 0xff;
  packet[u + 6] = wanted >>> 8;
  packet[u + 7] = wanted & 0xff;
  return word;
}
