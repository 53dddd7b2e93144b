/**
 * BGP path attributes (RFC 4271 section 4.3 and 5) as they appear in MRT TABLE_DUMP_V2 RIB entries (RFC 6396 4.3.4):
 * ORIGIN, AS_PATH (AS_SEQUENCE / AS_SET, plus the RFC 5065 confederation segments), NEXT_HOP, MP_REACH_NLRI (RFC 4760,
 * in the abbreviated MRT form: next-hop length and next hop only) and AS4_PATH (RFC 6793) are decoded; every other
 * attribute is kept as raw bytes. AS numbers in AS_PATH are 4 bytes in TABLE_DUMP_V2 (the default `asSize`), 2 bytes in
 * classic BGP-4 messages. Attribute order and flags are kept so that a decoded list re-encodes byte for byte.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Attribute flag: optional (else well-known). */
export const BGP_ATTR_FLAG_OPTIONAL = 0x80;
/** Attribute flag: transitive. */
export const BGP_ATTR_FLAG_TRANSITIVE = 0x40;
/** Attribute flag: partial. */
export const BGP_ATTR_FLAG_PARTIAL = 0x20;
/** Attribute flag: the length field is two octets (else one). */
export const BGP_ATTR_FLAG_EXTENDED_LENGTH = 0x10;

/** Type code of ORIGIN (RFC 4271 5.1.1). */
export const BGP_ATTR_ORIGIN = 1;
/** Type code of AS_PATH (RFC 4271 5.1.2). */
export const BGP_ATTR_AS_PATH = 2;
/** Type code of NEXT_HOP (RFC 4271 5.1.3). */
export const BGP_ATTR_NEXT_HOP = 3;
/** Type code of MULTI_EXIT_DISC (RFC 4271 5.1.4), kept raw. */
export const BGP_ATTR_MULTI_EXIT_DISC = 4;
/** Type code of LOCAL_PREF (RFC 4271 5.1.5), kept raw. */
export const BGP_ATTR_LOCAL_PREF = 5;
/** Type code of ATOMIC_AGGREGATE (RFC 4271 5.1.6), kept raw. */
export const BGP_ATTR_ATOMIC_AGGREGATE = 6;
/** Type code of AGGREGATOR (RFC 4271 5.1.7), kept raw. */
export const BGP_ATTR_AGGREGATOR = 7;
/** Type code of COMMUNITIES (RFC 1997), kept raw. */
export const BGP_ATTR_COMMUNITIES = 8;
/** Type code of MP_REACH_NLRI (RFC 4760 3). */
export const BGP_ATTR_MP_REACH_NLRI = 14;
/** Type code of AS4_PATH (RFC 6793 3). */
export const BGP_ATTR_AS4_PATH = 17;

/** ORIGIN value IGP. */
export const BGP_ORIGIN_IGP = 0;
/** ORIGIN value EGP. */
export const BGP_ORIGIN_EGP = 1;
/** ORIGIN value INCOMPLETE. */
export const BGP_ORIGIN_INCOMPLETE = 2;

/** AS_PATH segment type AS_SET (unordered). */
export const AS_SET = 1;
/** AS_PATH segment type AS_SEQUENCE (ordered, nearest AS first). */
export const AS_SEQUENCE = 2;
/** AS_PATH segment type AS_CONFED_SEQUENCE (RFC 5065). */
export const AS_CONFED_SEQUENCE = 3;
/** AS_PATH segment type AS_CONFED_SET (RFC 5065). */
export const AS_CONFED_SET = 4;

/** AS_TRANS, the 2-byte stand-in for a 4-byte AS number (RFC 6793 9). */
export const AS_TRANS = 23456;

/** One AS_PATH segment. */
export interface AsPathSegment {
  /** {@link AS_SET}, {@link AS_SEQUENCE}, {@link AS_CONFED_SEQUENCE} or {@link AS_CONFED_SET}. */
  type: number;
  /** AS numbers, 1..255 of them, each uint32 (uint16 when the attribute uses 2-byte AS numbers). */
  asns: number[];
}

/** MP_REACH_NLRI in the full RFC 4760 form, as some MRT writers store it despite RFC 6396 4.3.4. */
export interface MpReachFull {
  /** Address family identifier (1 IPv4, 2 IPv6). */
  afi: number;
  /** Subsequent AFI (1 unicast). */
  safi: number;
  /** The reserved octet after the next hop (RFC 2858 SNPA count), as read. */
  reserved: number;
  /** The NLRI bytes, raw. */
  nlri: Uint8Array;
}

/** A decoded path attribute; `flags` is the attribute's flag octet as read (or to write). */
export type BgpAttribute =
  | { kind: "origin"; flags: number /** 0 IGP, 1 EGP, 2 INCOMPLETE. */; origin: number }
  | { kind: "asPath"; flags: number; segments: AsPathSegment[] }
  | { kind: "nextHop"; flags: number /** IPv4 address, uint32. */; nextHop: number }
  | {
      kind: "mpReachNlri";
      flags: number;
      /** Next-hop bytes: 4 (IPv4), 16 (IPv6 global) or 32 (global then link-local). */
      nextHop: Uint8Array;
      /** Present when the attribute was in the full RFC 4760 form (written back in that form). */
      full?: MpReachFull;
    }
  | { kind: "as4Path"; flags: number; segments: AsPathSegment[] }
  | { kind: "other"; flags: number; typeCode: number; value: Uint8Array };

/** Size of one AS number in AS_PATH: 4 in TABLE_DUMP_V2 and for 4-octet speakers, 2 in classic BGP-4. */
export type AsSize = 2 | 4;

function attrError(message: string, offset: number): InvalidFieldError {
  return new InvalidFieldError("ERR_BGP_ATTRIBUTE", message, offset);
}

/**
 * Decodes the path attributes in `bytes[offset, offset + length)`. Views (`value`, `nlri`) alias `bytes`;
 * `nextHop` of MP_REACH_NLRI is a copy.
 * @throws TruncatedError `ERR_BGP_ATTRIBUTE` when an attribute header or value runs past `length` (or the buffer);
 *   InvalidFieldError `ERR_BGP_ATTRIBUTE` for a value of the wrong size or a bad AS_PATH segment.
 */
export function decodeBgpAttributes(
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
  asSize: AsSize = 4,
): BgpAttribute[] {
  const end = offset + length;
  if (end > bytes.length) {
    throw new TruncatedError("BGP path attributes", length, bytes.length - offset, offset, "ERR_BGP_ATTRIBUTE");
  }
  const attributes: BgpAttribute[] = [];
  let p = offset;
  while (p < end) {
    if (end - p < 3) throw new TruncatedError("BGP attribute header", 3, end - p, p, "ERR_BGP_ATTRIBUTE");
    const flags = bytes[p];
    const typeCode = bytes[p + 1];
    const extended = (flags & BGP_ATTR_FLAG_EXTENDED_LENGTH) !== 0;
    const headerLength = extended ? 4 : 3;
    if (end - p < headerLength) {
      throw new TruncatedError("BGP attribute header", headerLength, end - p, p, "ERR_BGP_ATTRIBUTE");
    }
    const valueLength = extended ? (bytes[p + 2] << 8) | bytes[p + 3] : bytes[p + 2];
    const v = p + headerLength;
    if (end - v < valueLength) {
      throw new TruncatedError(`BGP attribute ${typeCode} value`, valueLength, end - v, v, "ERR_BGP_ATTRIBUTE");
    }
    attributes.push(decodeAttributeValue(bytes, v, valueLength, flags, typeCode, asSize));
    p = v + valueLength;
  }
  return attributes;
}

function decodeAttributeValue(
  bytes: Uint8Array,
  v: number,
  length: number,
  flags: number,
  typeCode: number,
  asSize: AsSize,
): BgpAttribute {
  switch (typeCode) {
    case BGP_ATTR_ORIGIN:
      if (length !== 1) throw attrError(`ORIGIN length ${length}, must be 1`, v);
      if (bytes[v] > BGP_ORIGIN_INCOMPLETE) throw attrError(`ORIGIN value ${bytes[v]} undefined`, v);
      return { kind: "origin", flags, origin: bytes[v] };
    case BGP_ATTR_AS_PATH:
      return { kind: "asPath", flags, segments: decodeAsPath(bytes, v, length, asSize) };
    case BGP_ATTR_NEXT_HOP:
      if (length !== 4) throw attrError(`NEXT_HOP length ${length}, must be 4`, v);
      return { kind: "nextHop", flags, nextHop: readUint32(bytes, v) };
    case BGP_ATTR_MP_REACH_NLRI:
      return decodeMpReach(bytes, v, length, flags);
    case BGP_ATTR_AS4_PATH:
      return { kind: "as4Path", flags, segments: decodeAsPath(bytes, v, length, 4) };
    default:
      return { kind: "other", flags, typeCode, value: bytes.subarray(v, v + length) };
  }
}

function readUint32(bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
}

/**
 * Decodes AS_PATH (or AS4_PATH) segments from `bytes[offset, offset + length)`: each is a type octet, a count octet
 * (1..255) and `count` AS numbers of `asSize` bytes.
 * @throws InvalidFieldError `ERR_BGP_ATTRIBUTE` for an unknown segment type, a zero count, or segments that do not
 *   exactly fill the attribute.
 */
export function decodeAsPath(bytes: Uint8Array, offset: number, length: number, asSize: AsSize = 4): AsPathSegment[] {
  const end = offset + length;
  const segments: AsPathSegment[] = [];
  let p = offset;
  while (p < end) {
    if (end - p < 2) throw attrError("AS_PATH segment header cut short", p);
    const type = bytes[p];
    const count = bytes[p + 1];
    if (type < AS_SET || type > AS_CONFED_SET) throw attrError(`AS_PATH segment type ${type} undefined`, p);
    if (count === 0) throw attrError("AS_PATH segment with no AS numbers", p);
    if (end - p - 2 < count * asSize) throw attrError(`AS_PATH segment of ${count} ASes overruns the attribute`, p);
    const asns = new Array<number>(count);
    let q = p + 2;
    for (let i = 0; i < count; i++, q += asSize) {
      asns[i] = asSize === 4 ? readUint32(bytes, q) : (bytes[q] << 8) | bytes[q + 1];
    }
    segments.push({ type, asns });
    p = q;
  }
  return segments;
}

function decodeMpReach(bytes: Uint8Array, v: number, length: number, flags: number): BgpAttribute {
  if (length >= 1 && bytes[v] + 1 === length) {
    return { kind: "mpReachNlri", flags, nextHop: new Uint8Array(bytes.subarray(v + 1, v + length)) };
  }
  // Full RFC 4760 form: AFI (2), SAFI (1), next-hop length (1), next hop, reserved (1), NLRI.
  if (length < 5 || bytes[v + 3] + 5 > length) {
    throw attrError(`MP_REACH_NLRI of ${length} bytes is neither the MRT nor the RFC 4760 form`, v);
  }
  const nhLength = bytes[v + 3];
  const nh = v + 4;
  return {
    kind: "mpReachNlri",
    flags,
    nextHop: new Uint8Array(bytes.subarray(nh, nh + nhLength)), // a copy (Buffer.slice would not copy)
    full: {
      afi: (bytes[v] << 8) | bytes[v + 1],
      safi: bytes[v + 2],
      reserved: bytes[nh + nhLength],
      nlri: bytes.subarray(nh + nhLength + 1, v + length),
    },
  };
}

function typeCodeOf(a: BgpAttribute): number {
  switch (a.kind) {
    case "origin":
      return BGP_ATTR_ORIGIN;
    case "asPath":
      return BGP_ATTR_AS_PATH;
    case "nextHop":
      return BGP_ATTR_NEXT_HOP;
    case "mpReachNlri":
      return BGP_ATTR_MP_REACH_NLRI;
    case "as4Path":
      return BGP_ATTR_AS4_PATH;
    default:
      return a.typeCode;
  }
}

function asPathValueLength(segments: readonly AsPathSegment[], asSize: AsSize): number {
  let n = 0;
  for (const s of segments) n += 2 + s.asns.length * asSize;
  return n;
}

function valueLengthOf(a: BgpAttribute, asSize: AsSize): number {
  switch (a.kind) {
    case "origin":
      return 1;
    case "asPath":
      return asPathValueLength(a.segments, asSize);
    case "nextHop":
      return 4;
    case "mpReachNlri":
      return a.full === undefined ? 1 + a.nextHop.length : 5 + a.nextHop.length + a.full.nlri.length;
    case "as4Path":
      return asPathValueLength(a.segments, 4);
    default:
      return a.value.length;
  }
}

/** Flags written for `a`: its own, plus the extended-length bit when the value needs two length octets. */
function flagsToWrite(a: BgpAttribute, valueLength: number): number {
  if (valueLength > 0xffff) throw attrError(`attribute ${typeCodeOf(a)} value of ${valueLength} bytes`, 0);
  return valueLength > 0xff ? a.flags | BGP_ATTR_FLAG_EXTENDED_LENGTH : a.flags;
}

/** Bytes {@link encodeBgpAttributes} writes for `attributes`. */
export function bgpAttributesEncodingLength(attributes: readonly BgpAttribute[], asSize: AsSize = 4): number {
  let n = 0;
  for (const a of attributes) {
    const valueLength = valueLengthOf(a, asSize);
    const flags = flagsToWrite(a, valueLength);
    n += ((flags & BGP_ATTR_FLAG_EXTENDED_LENGTH) !== 0 ? 4 : 3) + valueLength;
  }
  return n;
}

/**
 * Encodes path attributes in list order. The length field is two octets when the flags carry the extended-length bit
 * or the value exceeds 255 bytes (the bit is then set).
 * @throws InvalidFieldError `ERR_BGP_ATTRIBUTE` for a value that cannot be represented (an AS number too large for
 *   `asSize`, an AS_PATH segment of 0 or over 255 ASes, a next hop over 255 bytes, a value over 65535 bytes).
 * @throws TruncatedError `ERR_BGP_TRUNCATED` when `into` is too small.
 */
export function encodeBgpAttributes(
  attributes: readonly BgpAttribute[],
  into?: Uint8Array,
  offset = 0,
  asSize: AsSize = 4,
): Uint8Array {
  const total = bgpAttributesEncodingLength(attributes, asSize);
  const out = into ?? new Uint8Array(offset + total);
  if (out.length - offset < total) {
    throw new TruncatedError("BGP attributes output", total, out.length - offset, offset, "ERR_BGP_TRUNCATED");
  }
  let p = offset;
  for (const a of attributes) {
    const valueLength = valueLengthOf(a, asSize);
    const flags = flagsToWrite(a, valueLength);
    out[p] = flags;
    out[p + 1] = typeCodeOf(a);
    if ((flags & BGP_ATTR_FLAG_EXTENDED_LENGTH) !== 0) {
      out[p + 2] = valueLength >>> 8;
      out[p + 3] = valueLength & 0xff;
      p += 4;
    } else {
      out[p + 2] = valueLength;
      p += 3;
    }
    writeAttributeValue(a, out, p, asSize);
    p += valueLength;
  }
  return out;
}

function writeUint32(out: Uint8Array, p: number, value: number): void {
  out[p] = value >>> 24;
  out[p + 1] = value >>> 16;
  out[p + 2] = value >>> 8;
  out[p + 3] = value;
}

function writeAttributeValue(a: BgpAttribute, out: Uint8Array, p: number, asSize: AsSize): void {
  switch (a.kind) {
    case "origin":
      out[p] = a.origin;
      return;
    case "asPath":
      writeAsPath(a.segments, out, p, asSize);
      return;
    case "nextHop":
      writeUint32(out, p, a.nextHop);
      return;
    case "mpReachNlri":
      writeMpReach(a.nextHop, a.full, out, p);
      return;
    case "as4Path":
      writeAsPath(a.segments, out, p, 4);
      return;
    default:
      out.set(a.value, p);
  }
}

function writeAsPath(segments: readonly AsPathSegment[], out: Uint8Array, p: number, asSize: AsSize): void {
  const max = asSize === 4 ? 0xffffffff : 0xffff;
  for (const s of segments) {
    if (s.asns.length === 0 || s.asns.length > 255) throw attrError(`AS_PATH segment of ${s.asns.length} ASes`, p);
    out[p] = s.type;
    out[p + 1] = s.asns.length;
    p += 2;
    for (const as of s.asns) {
      if (!Number.isInteger(as) || as < 0 || as > max) throw attrError(`AS ${as} does not fit ${asSize} bytes`, p);
      if (asSize === 4) writeUint32(out, p, as);
      else {
        out[p] = as >>> 8;
        out[p + 1] = as & 0xff;
      }
      p += asSize;
    }
  }
}

function writeMpReach(nextHop: Uint8Array, full: MpReachFull | undefined, out: Uint8Array, p: number): void {
  if (nextHop.length > 0xff) throw attrError(`MP_REACH_NLRI next hop of ${nextHop.length} bytes`, p);
  if (full === undefined) {
    out[p] = nextHop.length;
    out.set(nextHop, p + 1);
    return;
  }
  out[p] = full.afi >>> 8;
  out[p + 1] = full.afi & 0xff;
  out[p + 2] = full.safi;
  out[p + 3] = nextHop.length;
  out.set(nextHop, p + 4);
  out[p + 4 + nextHop.length] = full.reserved;
  out.set(full.nlri, p + 5 + nextHop.length);
}
