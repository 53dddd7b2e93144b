/**
 * The zero-allocation reader of TABLE_DUMP_V2 RIB records (RFC 6396 4.3.2, 4.3.4), for bulk-loading a full Internet
 * RIB dump: a reusable cursor that walks the entries of one record and digests each entry's path attributes (RFC 4271
 * 5.1) into the few numbers a route table needs (AS path length, first and last AS, IPv4 next hop), allocating nothing.
 * Same layout and the same checks, with the same error codes, as `decodeMrtMessage` in `mrt.ts` and
 * `decodeBgpAttributes` in `bgp-attributes.ts`.
 */
import {
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  BGP_ATTR_AS_PATH,
  BGP_ATTR_AS4_PATH,
  BGP_ATTR_FLAG_EXTENDED_LENGTH,
  BGP_ATTR_MP_REACH_NLRI,
  BGP_ATTR_NEXT_HOP,
  BGP_ATTR_ORIGIN,
  BGP_ORIGIN_INCOMPLETE,
} from "./bgp-attributes.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import { TABLE_DUMP_V2_RIB_IPV4_UNICAST, TABLE_DUMP_V2_RIB_IPV6_UNICAST } from "./mrt.ts";

// Module-local copies: imported bindings can cost a getter call per use in the hot loop (under tsx's loader).
const ORIGIN = BGP_ATTR_ORIGIN;
const AS_PATH = BGP_ATTR_AS_PATH;
const NEXT_HOP = BGP_ATTR_NEXT_HOP;
const MP_REACH_NLRI = BGP_ATTR_MP_REACH_NLRI;
const AS4_PATH = BGP_ATTR_AS4_PATH;
const EXTENDED_LENGTH = BGP_ATTR_FLAG_EXTENDED_LENGTH;
const ORIGIN_MAX = BGP_ORIGIN_INCOMPLETE;
const SET = AS_SET;
const SEQUENCE = AS_SEQUENCE;
const CONFED_SET = AS_CONFED_SET;
const RIB_IPV4 = TABLE_DUMP_V2_RIB_IPV4_UNICAST;
const RIB_IPV6 = TABLE_DUMP_V2_RIB_IPV6_UNICAST;

function readUint32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function attrError(message: string, offset: number): InvalidFieldError {
  return new InvalidFieldError("ERR_BGP_ATTRIBUTE", message, offset);
}

function mrtTruncated(what: string, needed: number, available: number, offset: number): TruncatedError {
  return new TruncatedError(what, needed, available, offset, "ERR_MRT_TRUNCATED");
}

const EMPTY = new Uint8Array(0);

/**
 * A reusable cursor over the entries of one RIB_IPV4_UNICAST or RIB_IPV6_UNICAST message:
 *
 * ```ts
 * const c = new MrtRibCursor();
 * c.reset(frame.bytes, frame.offset, frame.header.length, frame.header.subtype);
 * while (c.next()) if (c.hasAsPath && c.pathLength < best) ...;
 * ```
 *
 * `reset` checks the record header and entry count; `next` checks one entry and its attributes (AS_PATH with 4-byte
 * AS numbers). The per-entry fields describe the current entry; only the first attribute of each type is digested.
 */
export class MrtRibCursor {
  #bytes: Uint8Array = EMPTY;
  #at = 0;
  #end = 0;
  /** Index of the current entry, -1 before the first `next()`. */
  index = -1;
  /** Entries in the record. */
  entryCount = 0;
  /** Sequence number of the record. */
  sequenceNumber = 0;
  /** Prefix length, bits. */
  prefixLength = 0;
  /** The first four prefix bytes as uint32 (the IPv4 prefix; bits past prefixLength as read). */
  prefixIpv4 = 0;
  /** Peer index of the current entry. */
  peerIndex = 0;
  /** Originated time of the current entry, UNIX seconds. */
  originatedTime = 0;
  /** ORIGIN of the current entry, -1 when absent. */
  origin = -1;
  /** Whether the current entry has AS_PATH. */
  hasAsPath = false;
  /** RFC 4271 9.1.2.2 a length of its AS_PATH (an AS_SET counts 1, confederation segments 0). */
  pathLength = 0;
  /** First AS of the first AS_SEQUENCE/AS_SET segment, 0 if none. */
  peerAs = 0;
  /** Last AS of the last AS_SEQUENCE/AS_SET segment, 0 if none. */
  originAs = 0;
  /** NEXT_HOP, else a 4-byte MP_REACH_NLRI next hop, else 0. */
  nextHop = 0;

  /**
   * Points the cursor at the RIB message of `length` bytes at `offset` and checks its header; returns the entry count.
   * @throws TruncatedError `ERR_MRT_TRUNCATED`; InvalidFieldError `ERR_MRT_PREFIX`, `ERR_MRT_FIELD` (another subtype).
   */
  reset(bytes: Uint8Array, offset: number, length: number, subtype: number): number {
    this.entryCount = 0;
    this.index = -1;
    if (subtype !== RIB_IPV4 && subtype !== RIB_IPV6) {
      throw new InvalidFieldError("ERR_MRT_FIELD", `RIB cursor: subtype ${subtype} is not a unicast RIB`, offset);
    }
    const end = offset + length;
    if (end > bytes.length) throw mrtTruncated("RIB message", length, bytes.length - offset, offset);
    if (length < 5) throw mrtTruncated("RIB header", 5, length, offset);
    const maxLength = subtype === RIB_IPV4 ? 32 : 128;
    const prefixLength = bytes[offset + 4];
    if (prefixLength > maxLength) {
      throw new InvalidFieldError("ERR_MRT_PREFIX", `prefix length ${prefixLength} exceeds ${maxLength}`, offset + 4);
    }
    let p = offset + 5;
    const prefixBytes = (prefixLength + 7) >>> 3;
    if (end - p < prefixBytes + 2) throw mrtTruncated("RIB prefix and entry count", prefixBytes + 2, end - p, p);
    let prefix = 0;
    for (let i = 0; i < 4; i++) prefix = prefix * 256 + (i < prefixBytes ? bytes[p + i] : 0);
    p += prefixBytes;
    const count = (bytes[p] << 8) | bytes[p + 1];
    p += 2;
    if (end - p < count * 8) throw mrtTruncated(`RIB of ${count} entries`, count * 8, end - p, p);
    if (count === 0 && p !== end) throw new InvalidFieldError("ERR_MRT_LENGTH", "RIB record: bytes left over", p);
    this.#bytes = bytes;
    this.#at = p;
    this.#end = end;
    this.sequenceNumber = readUint32(bytes, offset);
    this.prefixLength = prefixLength;
    this.prefixIpv4 = prefix;
    this.entryCount = count;
    return count;
  }

  /**
   * Advances to the next entry and digests it; false after the last one.
   * @throws TruncatedError `ERR_MRT_TRUNCATED`, InvalidFieldError `ERR_MRT_LENGTH` (bytes after the last entry), and the
   *   attribute errors of `decodeBgpAttributes` (`ERR_BGP_ATTRIBUTE`).
   */
  next(): boolean {
    if (this.index + 1 >= this.entryCount) return false;
    const b = this.#bytes;
    const p = this.#at;
    const end = this.#end;
    if (end - p < 8) throw mrtTruncated("RIB entry", 8, end - p, p);
    const attributeLength = (b[p + 6] << 8) | b[p + 7];
    const a = p + 8;
    if (end - a < attributeLength) throw mrtTruncated("RIB entry attributes", attributeLength, end - a, a);
    this.peerIndex = (b[p] << 8) | b[p + 1];
    this.originatedTime = readUint32(b, p + 2);
    this.#scanAttributes(b, a, a + attributeLength);
    this.#at = a + attributeLength;
    this.index++;
    if (this.index + 1 === this.entryCount && this.#at !== end) {
      throw new InvalidFieldError("ERR_MRT_LENGTH", `RIB record: ${end - this.#at} bytes left over`, this.#at);
    }
    return true;
  }

  #scanAttributes(b: Uint8Array, p: number, end: number): void {
    this.origin = -1;
    this.hasAsPath = false;
    this.pathLength = 0;
    this.peerAs = 0;
    this.originAs = 0;
    let nextHop = -1;
    let mpNextHop = -1;
    while (p < end) {
      if (end - p < 3) throw new TruncatedError("BGP attribute header", 3, end - p, p, "ERR_BGP_ATTRIBUTE");
      const extended = (b[p] & EXTENDED_LENGTH) !== 0;
      const type = b[p + 1];
      const h = extended ? 4 : 3;
      if (end - p < h) throw new TruncatedError("BGP attribute header", h, end - p, p, "ERR_BGP_ATTRIBUTE");
      const length = extended ? (b[p + 2] << 8) | b[p + 3] : b[p + 2];
      const v = p + h;
      if (end - v < length) {
        throw new TruncatedError(`BGP attribute ${type} value`, length, end - v, v, "ERR_BGP_ATTRIBUTE");
      }
      if (type === ORIGIN) {
        if (length !== 1) throw attrError(`ORIGIN length ${length}, must be 1`, v);
        if (b[v] > ORIGIN_MAX) throw attrError(`ORIGIN value ${b[v]} undefined`, v);
        if (this.origin < 0) this.origin = b[v];
      } else if (type === AS_PATH) {
        this.#scanAsPath(b, v, v + length, !this.hasAsPath);
        this.hasAsPath = true;
      } else if (type === NEXT_HOP) {
        if (length !== 4) throw attrError(`NEXT_HOP length ${length}, must be 4`, v);
        if (nextHop < 0) nextHop = readUint32(b, v);
      } else if (type === MP_REACH_NLRI) {
        const nh = mpReachNextHop(b, v, length);
        if (mpNextHop < 0 && nh >= 0) mpNextHop = nh;
      } else if (type === AS4_PATH) {
        this.#scanAsPath(b, v, v + length, false);
      }
      p = v + length;
    }
    this.nextHop = nextHop >= 0 ? nextHop : Math.max(mpNextHop, 0);
  }

  /** Checks AS path segments (4-byte ASes) as `decodeAsPath` does; digests them into the fields when `digest`. */
  #scanAsPath(b: Uint8Array, p: number, end: number, digest: boolean): void {
    let pathLength = 0;
    let peerAs = -1;
    let originAs = 0;
    while (p < end) {
      if (end - p < 2) throw attrError("AS_PATH segment header cut short", p);
      const type = b[p];
      const count = b[p + 1];
      if (type < SET || type > CONFED_SET) throw attrError(`AS_PATH segment type ${type} undefined`, p);
      if (count === 0) throw attrError("AS_PATH segment with no AS numbers", p);
      if (end - p - 2 < count * 4) throw attrError(`AS_PATH segment of ${count} ASes overruns the attribute`, p);
      if (type === SEQUENCE || type === SET) {
        pathLength += type === SET ? 1 : count;
        if (peerAs < 0) peerAs = readUint32(b, p + 2);
        originAs = readUint32(b, p + 2 + (count - 1) * 4);
      }
      p += 2 + count * 4;
    }
    if (!digest) return;
    this.pathLength = pathLength;
    this.peerAs = Math.max(peerAs, 0);
    this.originAs = originAs;
  }
}

/**
 * The IPv4 next hop of an MP_REACH_NLRI value (MRT abbreviated or RFC 4760 full form), -1 when it is not 4 bytes.
 * @throws InvalidFieldError `ERR_BGP_ATTRIBUTE` when the value is neither form (as `decodeBgpAttributes`).
 */
function mpReachNextHop(b: Uint8Array, v: number, length: number): number {
  if (length >= 1 && b[v] + 1 === length) return length === 5 ? readUint32(b, v + 1) : -1;
  if (length < 5 || b[v + 3] + 5 > length) {
    throw attrError(`MP_REACH_NLRI of ${length} bytes is neither the MRT nor the RFC 4760 form`, v);
  }
  return b[v + 3] === 4 ? readUint32(b, v + 4) : -1;
}
