/**
 * ICMP for IPv4 (RFC 792): echo request and reply, and the error messages Destination Unreachable, Source Quench,
 * Redirect, Time Exceeded and Parameter Problem with the quoted original datagram decoded (its IPv4 header and the first
 * 8 bytes of its transport header: UDP/TCP ports, or ICMP type/code/identifier/sequence). The RFC 4884 length field
 * and multi-part extension structure (with RFC 4950 MPLS and other objects kept raw) are honoured when present; Next-Hop
 * MTU follows RFC 1191.
 */
import { internetChecksum } from "./checksum.ts";
import { InvalidFieldError, TruncatedError, WireError } from "./errors.ts";
import { type Ipv4Header, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, decodeIpv4Header } from "./ipv4.ts";

/** Length of the ICMP header (type, code, checksum, rest of header), bytes. */
export const ICMP_HEADER_LENGTH = 8;
/** Type of Echo Reply. */
export const ICMP_ECHO_REPLY = 0;
/** Type of Destination Unreachable. */
export const ICMP_DEST_UNREACH = 3;
/** Type of Source Quench (deprecated by RFC 6633, still decoded). */
export const ICMP_SOURCE_QUENCH = 4;
/** Type of Redirect. */
export const ICMP_REDIRECT = 5;
/** Type of Echo Request. */
export const ICMP_ECHO = 8;
/** Type of Time Exceeded. */
export const ICMP_TIME_EXCEEDED = 11;
/** Type of Parameter Problem. */
export const ICMP_PARAMETERPROB = 12;
/** Destination Unreachable code "fragmentation needed and DF set" (carries the Next-Hop MTU, RFC 1191). */
export const ICMP_FRAG_NEEDED = 4;
/** Time Exceeded code "time to live exceeded in transit". */
export const ICMP_EXC_TTL = 0;
/** Length of the RFC 4884 extension header (version, reserved, checksum), bytes. */
export const ICMP_EXTENSION_HEADER_LENGTH = 4;
/** Length of an RFC 4884 object header (length, class-num, c-type), bytes. */
export const ICMP_EXTENSION_OBJECT_HEADER_LENGTH = 4;

/** The first 8 bytes of the quoted datagram's transport header, decoded by the quoted IPv4 protocol. */
export type IcmpQuotedTransport =
  | { kind: "udp"; srcPort: number; dstPort: number; length: number; checksum: number }
  | { kind: "tcp"; srcPort: number; dstPort: number; sequenceNumber: number }
  | { kind: "icmp"; type: number; code: number; checksum: number; identifier: number; sequenceNumber: number }
  /** Another protocol, a non-first fragment, or fewer than 8 bytes quoted. */
  | { kind: "none" };

/** The original datagram quoted by an ICMP error. */
export interface IcmpQuote {
  /** Its IPv4 header (totalLength is the original's, usually more than was quoted). */
  ipHeader: Ipv4Header;
  /** Its transport header start. */
  transport: IcmpQuotedTransport;
  /** The whole "original datagram" field as quoted (a view). */
  bytes: Uint8Array;
}

/** One RFC 4884 extension object. */
export interface IcmpExtensionObject {
  /** Class number (1: MPLS label stack, RFC 4950; 2: interface information, RFC 5837). */
  classNum: number;
  /** Class sub-type. */
  cType: number;
  /** Object payload after its 4-byte header (a view when decoded). */
  payload: Uint8Array;
}

/** An RFC 4884 extension structure. */
export interface IcmpExtension {
  /** Version, 2 in RFC 4884. */
  version: number;
  /** The checksum as carried (0: not computed). */
  checksum: number;
  /** Whether the checksum is correct (true when it is 0, "not computed"). */
  checksumValid: boolean;
  objects: IcmpExtensionObject[];
}

/** A decoded ICMP message. */
export interface IcmpMessage {
  type: number;
  code: number;
  /** The checksum as carried. */
  checksum: number;
  /** Whether the checksum over the whole message is correct. */
  checksumValid: boolean;
  /** Bytes 4-7 as an unsigned 32-bit number (identifier/sequence, pointer, gateway, length and MTU...). */
  restOfHeader: number;
  /** Everything after the 8-byte header (a view). */
  data: Uint8Array;
  /** Echo (types 0, 8): identifier. */
  identifier?: number;
  /** Echo (types 0, 8): sequence number. */
  sequenceNumber?: number;
  /** Destination Unreachable code 4: Next-Hop MTU, bytes (RFC 1191; 0 from old routers). */
  nextHopMtu?: number;
  /** Types 3, 11, 12: the RFC 4884 length of the original datagram field in 32-bit words (0: not given). */
  length?: number;
  /** Error types 3, 4, 5, 11, 12: the quoted original datagram. */
  quote?: IcmpQuote;
  /** The RFC 4884 extension structure, when the length field is set and bytes follow the original datagram. */
  extension?: IcmpExtension;
}

/** What {@link encodeIcmp} needs; the fields given after `restOfHeader` overwrite their bytes of it. */
export interface IcmpMessageInit {
  type: number;
  code: number;
  /** Bytes 4-7 (default 0). */
  restOfHeader?: number;
  /** Bytes 4-5. */
  identifier?: number;
  /** Bytes 6-7. */
  sequenceNumber?: number;
  /** Bytes 6-7 of Destination Unreachable. */
  nextHopMtu?: number;
  /** Byte 5: RFC 4884 length in 32-bit words. */
  length?: number;
  /** The bytes after the header: echo data, or the original datagram plus any extension structure. */
  data?: Uint8Array;
}

const u16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

function isError(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_SOURCE_QUENCH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETERPROB
  );
}

function decodeQuotedTransport(b: Uint8Array, at: number, end: number, ip: Ipv4Header): IcmpQuotedTransport {
  if (end - at < 8 || ip.fragmentOffset !== 0) return { kind: "none" };
  if (ip.protocol === IPPROTO_UDP) {
    return {
      kind: "udp",
      srcPort: u16(b, at),
      dstPort: u16(b, at + 2),
      length: u16(b, at + 4),
      checksum: u16(b, at + 6),
    };
  }
  if (ip.protocol === IPPROTO_TCP) {
    return { kind: "tcp", srcPort: u16(b, at), dstPort: u16(b, at + 2), sequenceNumber: u32(b, at + 4) };
  }
  if (ip.protocol === IPPROTO_ICMP) {
    const checksum = u16(b, at + 2);
    return {
      kind: "icmp",
      type: b[at],
      code: b[at + 1],
      checksum,
      identifier: u16(b, at + 4),
      sequenceNumber: u16(b, at + 6),
    };
  }
  return { kind: "none" };
}

function decodeQuote(b: Uint8Array, start: number, end: number): IcmpQuote {
  const bytes = b.subarray(start, end);
  let ipHeader: Ipv4Header;
  try {
    // Decode within the quoted field only, so the quoted header can never reach into an extension.
    ipHeader = decodeIpv4Header(bytes, 0);
  } catch (e) {
    const why = e instanceof WireError ? e.message : String(e);
    const at = start + (e instanceof WireError ? e.offset : 0);
    throw new InvalidFieldError("ERR_ICMP_QUOTE", `ICMP quoted datagram: ${why}`, at, { cause: e });
  }
  const transport = decodeQuotedTransport(b, start + ipHeader.headerLength, end, ipHeader);
  return { ipHeader, transport, bytes };
}

/**
 * Decodes an RFC 4884 extension structure in `[start, end)`.
 * @throws TruncatedError `ERR_ICMP_TRUNCATED`; InvalidFieldError `ERR_ICMP_EXTENSION` for an object length below 4
 *   or past the end.
 */
function decodeExtension(b: Uint8Array, start: number, end: number): IcmpExtension {
  if (end - start < ICMP_EXTENSION_HEADER_LENGTH) {
    throw new TruncatedError("ICMP extension header", 4, end - start, start, "ERR_ICMP_TRUNCATED");
  }
  const checksum = u16(b, start + 2);
  const objects: IcmpExtensionObject[] = [];
  let at = start + ICMP_EXTENSION_HEADER_LENGTH;
  while (at < end) {
    if (end - at < ICMP_EXTENSION_OBJECT_HEADER_LENGTH) {
      throw new TruncatedError("ICMP extension object", 4, end - at, at, "ERR_ICMP_TRUNCATED");
    }
    const length = u16(b, at);
    if (length < ICMP_EXTENSION_OBJECT_HEADER_LENGTH || at + length > end) {
      throw new InvalidFieldError("ERR_ICMP_EXTENSION", `ICMP extension object length ${length}`, at);
    }
    objects.push({ classNum: b[at + 2], cType: b[at + 3], payload: b.subarray(at + 4, at + length) });
    at += length;
  }
  return {
    version: b[start] >>> 4,
    checksum,
    checksumValid: checksum === 0 || internetChecksum(b, start, end - start) === 0,
    objects,
  };
}

/** Sets the quote, RFC 4884 length and extension of an error message. */
function decodeErrorBody(b: Uint8Array, message: IcmpMessage, start: number, end: number): void {
  const type = message.type;
  const hasLength = type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB;
  // RFC 4884 section 4: the length (32-bit words of original datagram) is octet 5 of the message.
  const words = hasLength ? b[start - ICMP_HEADER_LENGTH + 5] : 0;
  if (hasLength) message.length = words;
  let quoteEnd = end;
  if (words > 0) {
    quoteEnd = start + words * 4;
    if (quoteEnd > end) {
      throw new TruncatedError("ICMP original datagram", words * 4, end - start, start, "ERR_ICMP_TRUNCATED");
    }
  }
  message.quote = decodeQuote(b, start, quoteEnd);
  if (words > 0 && quoteEnd < end) message.extension = decodeExtension(b, quoteEnd, end);
}

/**
 * Decodes the ICMP message of `length` bytes at `offset` (default: to the end of `bytes`; pass the IPv4 payload
 * length). The checksum is reported, not enforced.
 * @throws TruncatedError `ERR_ICMP_TRUNCATED`; InvalidFieldError `ERR_ICMP_QUOTE` (the quoted datagram's IPv4 header
 *   is missing or malformed), `ERR_ICMP_EXTENSION`.
 */
export function decodeIcmp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): IcmpMessage {
  const available = bytes.length - offset;
  if (offset < 0 || length < ICMP_HEADER_LENGTH || length > available) {
    const shown = Math.max(0, Math.min(available, length));
    throw new TruncatedError("ICMP message", Math.max(length, 8), shown, offset, "ERR_ICMP_TRUNCATED");
  }
  const b = bytes;
  const o = offset;
  const end = o + length;
  const type = b[o];
  const message: IcmpMessage = {
    type,
    code: b[o + 1],
    checksum: u16(b, o + 2),
    checksumValid: internetChecksum(b, o, length) === 0,
    restOfHeader: u32(b, o + 4),
    data: b.subarray(o + ICMP_HEADER_LENGTH, end),
  };
  if (type === ICMP_ECHO || type === ICMP_ECHO_REPLY) {
    message.identifier = u16(b, o + 4);
    message.sequenceNumber = u16(b, o + 6);
  } else if (isError(type)) {
    if (type === ICMP_DEST_UNREACH && message.code === ICMP_FRAG_NEEDED) message.nextHopMtu = u16(b, o + 6);
    decodeErrorBody(b, message, o + ICMP_HEADER_LENGTH, end);
  }
  return message;
}

/** Encoded length: 8 plus the data. */
export function icmpEncodingLength(message: IcmpMessageInit): number {
  return ICMP_HEADER_LENGTH + (message.data?.length ?? 0);
}

function checkIcmpInit(m: IcmpMessageInit, offset: number): void {
  const fits = (n: number | undefined, max: number) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= max);
  const ok =
    fits(m.type, 0xff) &&
    fits(m.code, 0xff) &&
    fits(m.restOfHeader, 0xffffffff) &&
    fits(m.identifier, 0xffff) &&
    fits(m.sequenceNumber, 0xffff) &&
    fits(m.nextHopMtu, 0xffff) &&
    fits(m.length, 0xff) &&
    icmpEncodingLength(m) <= 0xffff;
  if (!ok) throw new InvalidFieldError("ERR_ICMP_FIELD", "ICMP message: field out of range", offset);
}

/**
 * Encodes an ICMP message (header, data, checksum computed over both) into `into` at `offset` (a new array when
 * omitted).
 * @throws WireError `ERR_ICMP_FIELD` for a field out of range, `ERR_ICMP_BUFFER` when `into` is too small.
 */
export function encodeIcmp(message: IcmpMessageInit, into?: Uint8Array, offset = 0): Uint8Array {
  checkIcmpInit(message, offset);
  const length = icmpEncodingLength(message);
  const out = into ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new TruncatedError("ICMP output buffer", length, out.length - offset, offset, "ERR_ICMP_BUFFER");
  }
  const o = offset;
  const rest = message.restOfHeader ?? 0;
  out[o] = message.type;
  out[o + 1] = message.code;
  out[o + 2] = 0;
  out[o + 3] = 0;
  out[o + 4] = rest >>> 24;
  out[o + 5] = (rest >>> 16) & 0xff;
  out[o + 6] = (rest >>> 8) & 0xff;
  out[o + 7] = rest & 0xff;
  const put16 = (at: number, v: number | undefined) => {
    if (v === undefined) return;
    out[at] = v >>> 8;
    out[at + 1] = v & 0xff;
  };
  put16(o + 4, message.identifier);
  put16(o + 6, message.sequenceNumber);
  put16(o + 6, message.nextHopMtu);
  if (message.length !== undefined) out[o + 5] = message.length;
  if (message.data !== undefined) out.set(message.data, o + ICMP_HEADER_LENGTH);
  const checksum = internetChecksum(out, o, length);
  out[o + 2] = checksum >>> 8;
  out[o + 3] = checksum & 0xff;
  return out;
}

/**
 * Encodes an RFC 4884 extension structure (version 2, checksum computed) holding `objects`, to append after an
 * original datagram field of at least 128 bytes whose length in words goes into the message's `length`.
 * @throws InvalidFieldError `ERR_ICMP_FIELD` for an object over 65531 payload bytes or a class/c-type out of range.
 */
export function encodeIcmpExtension(objects: readonly IcmpExtensionObject[]): Uint8Array {
  let length = ICMP_EXTENSION_HEADER_LENGTH;
  for (const obj of objects) {
    const ok = obj.payload.length <= 0xffff - 4 && [obj.classNum, obj.cType].every((n) => n >= 0 && n <= 0xff);
    if (!ok) throw new InvalidFieldError("ERR_ICMP_FIELD", "ICMP extension object out of range", 0);
    length += ICMP_EXTENSION_OBJECT_HEADER_LENGTH + obj.payload.length;
  }
  const out = new Uint8Array(length);
  out[0] = 0x20;
  let at = ICMP_EXTENSION_HEADER_LENGTH;
  for (const obj of objects) {
    const objectLength = ICMP_EXTENSION_OBJECT_HEADER_LENGTH + obj.payload.length;
    out[at] = objectLength >>> 8;
    out[at + 1] = objectLength & 0xff;
    out[at + 2] = obj.classNum;
    out[at + 3] = obj.cType;
    out.set(obj.payload, at + 4);
    at += objectLength;
  }
  const checksum = internetChecksum(out);
  out[2] = checksum >>> 8;
  out[3] = checksum & 0xff;
  return out;
}
