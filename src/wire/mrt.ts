/**
 * MRT routing information export format (RFC 6396): the 12-byte common header (section 2) and the TABLE_DUMP_V2 type
 * (section 4.3) that route collectors use for RIB snapshots. Decoded subtypes: PEER_INDEX_TABLE (4.3.1),
 * RIB_IPV4_UNICAST and RIB_IPV6_UNICAST (4.3.2) with their RIB entries (4.3.4), whose path attributes are decoded by
 * `bgp-attributes.ts` with 4-byte AS numbers. Every other record of a registered MRT type is returned as
 * `kind: "unsupported"` with its body raw, so a reader can skip it by length and report it. All fields are big-endian.
 * `mrt-reader.ts` reads a stream of records fed in chunks.
 */
import {
  type BgpAttribute,
  bgpAttributesEncodingLength,
  decodeBgpAttributes,
  encodeBgpAttributes,
} from "./bgp-attributes.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Length of the MRT common header, bytes: timestamp (4), type (2), subtype (2), length (4). */
export const MRT_HEADER_LENGTH = 12;
/** MRT type TABLE_DUMP (RFC 6396 4.2), not decoded. */
export const MRT_TYPE_TABLE_DUMP = 12;
/** MRT type TABLE_DUMP_V2 (RFC 6396 4.3). */
export const MRT_TYPE_TABLE_DUMP_V2 = 13;
/** MRT type BGP4MP (RFC 6396 4.4), not decoded. */
export const MRT_TYPE_BGP4MP = 16;
/** MRT type BGP4MP_ET (RFC 6396 4.4, extended timestamp), not decoded. */
export const MRT_TYPE_BGP4MP_ET = 17;

/** TABLE_DUMP_V2 subtype PEER_INDEX_TABLE. */
export const TABLE_DUMP_V2_PEER_INDEX_TABLE = 1;
/** TABLE_DUMP_V2 subtype RIB_IPV4_UNICAST. */
export const TABLE_DUMP_V2_RIB_IPV4_UNICAST = 2;
/** TABLE_DUMP_V2 subtype RIB_IPV4_MULTICAST, skipped. */
export const TABLE_DUMP_V2_RIB_IPV4_MULTICAST = 3;
/** TABLE_DUMP_V2 subtype RIB_IPV6_UNICAST. */
export const TABLE_DUMP_V2_RIB_IPV6_UNICAST = 4;
/** TABLE_DUMP_V2 subtype RIB_IPV6_MULTICAST, skipped. */
export const TABLE_DUMP_V2_RIB_IPV6_MULTICAST = 5;
/** TABLE_DUMP_V2 subtype RIB_GENERIC, skipped. */
export const TABLE_DUMP_V2_RIB_GENERIC = 6;

/** Peer type bit: the peer address is IPv6 (16 bytes), else IPv4 (4 bytes). */
export const MRT_PEER_TYPE_IPV6 = 0x01;
/** Peer type bit: the peer AS is 4 bytes, else 2. */
export const MRT_PEER_TYPE_AS4 = 0x02;

/**
 * MRT types in the IANA registry (RFC 6396 sections 4 and 6, deprecated 0-10 included). A header with any other type
 * is not MRT (or the stream lost sync) and fails with `ERR_MRT_TYPE`.
 */
const KNOWN_TYPES = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 32, 33, 48, 49]);

/** Whether `type` is a registered MRT type. */
export function isKnownMrtType(type: number): boolean {
  return KNOWN_TYPES.has(type);
}

/** The MRT common header (RFC 6396 2). */
export interface MrtHeader {
  /** Seconds since 1970-01-01T00:00Z, uint32. */
  timestamp: number;
  /** MRT type (13 TABLE_DUMP_V2). */
  type: number;
  /** Subtype within the type. */
  subtype: number;
  /** Bytes of the message after the header, uint32 (for *_ET types the microsecond field included). */
  length: number;
}

/** One peer of a PEER_INDEX_TABLE (RFC 6396 4.3.1). */
export interface MrtPeer {
  /** Peer type octet: {@link MRT_PEER_TYPE_IPV6} and {@link MRT_PEER_TYPE_AS4} bits. */
  peerType: number;
  /** BGP identifier of the peer, uint32. */
  bgpId: number;
  /** Peer address: 4 bytes, or 16 when the IPv6 bit is set. */
  address: Uint8Array;
  /** Peer AS, uint32 (uint16 without the AS4 bit). */
  as: number;
}

/** A PEER_INDEX_TABLE record: the peers that RIB entries name by index. */
export interface MrtPeerIndexTable {
  kind: "peerIndexTable";
  /** Header timestamp, UNIX seconds. */
  timestamp: number;
  /** BGP identifier of the collector, uint32. */
  collectorBgpId: number;
  /** View name (UTF-8 on the wire; may be empty). */
  viewName: string;
  /** The peers, at most 65535; RIB entries refer to them by position. */
  peers: MrtPeer[];
}

/** One RIB entry (RFC 6396 4.3.4): the route of one peer. */
export interface MrtRibEntry {
  /** Index into the PEER_INDEX_TABLE peers. */
  peerIndex: number;
  /** When the route was received, UNIX seconds. */
  originatedTime: number;
  /** The BGP path attributes (AS_PATH with 4-byte AS numbers). */
  attributes: BgpAttribute[];
}

/** A RIB_IPV4_UNICAST (subtype 2) or RIB_IPV6_UNICAST (subtype 4) record: one prefix and every peer's route to it. */
export interface MrtRib {
  kind: "rib";
  /** Header timestamp, UNIX seconds (the dump time). */
  timestamp: number;
  /** {@link TABLE_DUMP_V2_RIB_IPV4_UNICAST} or {@link TABLE_DUMP_V2_RIB_IPV6_UNICAST}. */
  subtype: number;
  /** Sequence number of the record within the dump, uint32. */
  sequenceNumber: number;
  /** Prefix length in bits: 0..32 (IPv4) or 0..128 (IPv6). */
  prefixLength: number;
  /**
   * The prefix, 4 (IPv4) or 16 (IPv6) bytes; the wire carries only ceil(prefixLength / 8) of them, the rest are zero.
   * Bits past prefixLength in the last carried byte are kept as read.
   */
  prefix: Uint8Array;
  /** The routes, one per peer, in record order (at most 65535). */
  entries: MrtRibEntry[];
}

/** A record of a registered type that is not decoded, skipped by its length. */
export interface MrtUnsupported {
  kind: "unsupported";
  timestamp: number;
  type: number;
  subtype: number;
  /** The message after the header, raw (a view into the decoded buffer). */
  body: Uint8Array;
}

/** One MRT record. */
export type MrtRecord = MrtPeerIndexTable | MrtRib | MrtUnsupported;

/** Default limit on a record's length, bytes (a full RIB record of a few hundred peers is well under 1 MiB). */
export const MRT_DEFAULT_MAX_RECORD_LENGTH = 16 * 1024 * 1024;

function truncated(what: string, needed: number, available: number, offset: number): TruncatedError {
  return new TruncatedError(what, needed, available, offset, "ERR_MRT_TRUNCATED");
}

function readUint32(bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
}

function readUint16(bytes: Uint8Array, p: number): number {
  return (bytes[p] << 8) | bytes[p + 1];
}

/**
 * Decodes the 12-byte common header at `offset`.
 * @throws TruncatedError `ERR_MRT_TRUNCATED` with fewer than 12 bytes; InvalidFieldError `ERR_MRT_TYPE` for a type
 *   outside the IANA registry, `ERR_MRT_LENGTH` when `length` exceeds `maxRecordLength`.
 */
export function decodeMrtHeader(
  bytes: Uint8Array,
  offset = 0,
  maxRecordLength = MRT_DEFAULT_MAX_RECORD_LENGTH,
): MrtHeader {
  const available = bytes.length - offset;
  if (available < MRT_HEADER_LENGTH) throw truncated("MRT header", MRT_HEADER_LENGTH, available, offset);
  const header: MrtHeader = {
    timestamp: readUint32(bytes, offset),
    type: readUint16(bytes, offset + 4),
    subtype: readUint16(bytes, offset + 6),
    length: readUint32(bytes, offset + 8),
  };
  if (!KNOWN_TYPES.has(header.type)) {
    throw new InvalidFieldError("ERR_MRT_TYPE", `MRT type ${header.type} is not registered`, offset + 4);
  }
  if (header.length > maxRecordLength) {
    const message = `MRT record length ${header.length} exceeds the limit ${maxRecordLength}`;
    throw new InvalidFieldError("ERR_MRT_LENGTH", message, offset + 8);
  }
  return header;
}

/**
 * Decodes one whole record (header and message) at `offset`; its size is `MRT_HEADER_LENGTH + header.length`.
 * Views (`body`, raw attribute values) alias `bytes`.
 * @throws the header's errors; TruncatedError `ERR_MRT_TRUNCATED` when the message or a field inside it is cut short;
 *   InvalidFieldError `ERR_MRT_LENGTH` (bytes left over after the last field), `ERR_MRT_PREFIX` (prefix length over
 *   32/128); the attribute decoder's `ERR_BGP_ATTRIBUTE`.
 */
export function decodeMrtRecord(
  bytes: Uint8Array,
  offset = 0,
  maxRecordLength = MRT_DEFAULT_MAX_RECORD_LENGTH,
): MrtRecord {
  const header = decodeMrtHeader(bytes, offset, maxRecordLength);
  const body = offset + MRT_HEADER_LENGTH;
  const available = bytes.length - body;
  if (available < header.length) throw truncated(`MRT type ${header.type} message`, header.length, available, body);
  return decodeMrtMessage(header, bytes, body);
}

/**
 * Decodes the message of a record whose header is already read; `bytes[offset, offset + header.length)` must be present.
 * Throws as {@link decodeMrtRecord}.
 */
export function decodeMrtMessage(header: MrtHeader, bytes: Uint8Array, offset: number): MrtRecord {
  const end = offset + header.length;
  if (header.type === MRT_TYPE_TABLE_DUMP_V2) {
    if (header.subtype === TABLE_DUMP_V2_PEER_INDEX_TABLE) return decodePeerIndexTable(header, bytes, offset, end);
    if (header.subtype === TABLE_DUMP_V2_RIB_IPV4_UNICAST) return decodeRib(header, bytes, offset, end, 4);
    if (header.subtype === TABLE_DUMP_V2_RIB_IPV6_UNICAST) return decodeRib(header, bytes, offset, end, 16);
  }
  const { timestamp, type, subtype } = header;
  return { kind: "unsupported", timestamp, type, subtype, body: bytes.subarray(offset, end) };
}

function expectEnd(p: number, end: number, what: string): void {
  if (p !== end) throw new InvalidFieldError("ERR_MRT_LENGTH", `${what}: ${end - p} bytes left over`, p);
}

const UTF8 = new TextDecoder();
const UTF8_ENCODER = new TextEncoder();

function decodePeerIndexTable(header: MrtHeader, bytes: Uint8Array, p: number, end: number): MrtPeerIndexTable {
  if (end - p < 6) throw truncated("PEER_INDEX_TABLE header", 6, end - p, p);
  const collectorBgpId = readUint32(bytes, p);
  const nameLength = readUint16(bytes, p + 4);
  p += 6;
  if (end - p < nameLength + 2) throw truncated("PEER_INDEX_TABLE view name", nameLength + 2, end - p, p);
  const viewName = UTF8.decode(bytes.subarray(p, p + nameLength));
  p += nameLength;
  const count = readUint16(bytes, p);
  p += 2;
  // Smallest peer entry: type (1), BGP id (4), IPv4 address (4), 2-byte AS (2).
  if (end - p < count * 11) throw truncated(`PEER_INDEX_TABLE of ${count} peers`, count * 11, end - p, p);
  const peers = new Array<MrtPeer>(count);
  for (let i = 0; i < count; i++) {
    const peerType = bytes[p];
    const addressLength = (peerType & MRT_PEER_TYPE_IPV6) !== 0 ? 16 : 4;
    const asLength = (peerType & MRT_PEER_TYPE_AS4) !== 0 ? 4 : 2;
    const size = 5 + addressLength + asLength;
    if (end - p < size) throw truncated("peer entry", size, end - p, p);
    const a = p + 5 + addressLength;
    peers[i] = {
      peerType,
      bgpId: readUint32(bytes, p + 1),
      address: new Uint8Array(bytes.subarray(p + 5, a)), // a copy, also when bytes is a Node Buffer
      as: asLength === 4 ? readUint32(bytes, a) : readUint16(bytes, a),
    };
    p += size;
  }
  expectEnd(p, end, "PEER_INDEX_TABLE");
  return { kind: "peerIndexTable", timestamp: header.timestamp, collectorBgpId, viewName, peers };
}

/** Smallest RIB entry: peer index (2), originated time (4), attribute length (2). */
const RIB_ENTRY_MIN_LENGTH = 8;

function decodeRib(header: MrtHeader, bytes: Uint8Array, p: number, end: number, addressLength: number): MrtRib {
  if (end - p < 5) throw truncated("RIB header", 5, end - p, p);
  const sequenceNumber = readUint32(bytes, p);
  const prefixLength = bytes[p + 4];
  if (prefixLength > addressLength * 8) {
    const message = `prefix length ${prefixLength} exceeds ${addressLength * 8}`;
    throw new InvalidFieldError("ERR_MRT_PREFIX", message, p + 4);
  }
  p += 5;
  const prefixBytes = (prefixLength + 7) >>> 3;
  if (end - p < prefixBytes + 2) throw truncated("RIB prefix and entry count", prefixBytes + 2, end - p, p);
  const prefix = new Uint8Array(addressLength);
  prefix.set(bytes.subarray(p, p + prefixBytes));
  p += prefixBytes;
  const count = readUint16(bytes, p);
  p += 2;
  const minimum = count * RIB_ENTRY_MIN_LENGTH;
  if (end - p < minimum) throw truncated(`RIB of ${count} entries`, minimum, end - p, p);
  const entries = new Array<MrtRibEntry>(count);
  for (let i = 0; i < count; i++) {
    if (end - p < RIB_ENTRY_MIN_LENGTH) throw truncated("RIB entry", RIB_ENTRY_MIN_LENGTH, end - p, p);
    const attributeLength = readUint16(bytes, p + 6);
    const a = p + RIB_ENTRY_MIN_LENGTH;
    if (end - a < attributeLength) throw truncated("RIB entry attributes", attributeLength, end - a, a);
    entries[i] = {
      peerIndex: readUint16(bytes, p),
      originatedTime: readUint32(bytes, p + 2),
      attributes: decodeBgpAttributes(bytes, a, attributeLength, 4),
    };
    p = a + attributeLength;
  }
  expectEnd(p, end, "RIB record");
  const { timestamp, subtype } = header;
  return { kind: "rib", timestamp, subtype, sequenceNumber, prefixLength, prefix, entries };
}

function invalid(code: string, message: string): InvalidFieldError {
  return new InvalidFieldError(code, message, 0);
}

function peerIndexTableLength(t: MrtPeerIndexTable): number {
  let n = 6 + UTF8_ENCODER.encode(t.viewName).length + 2;
  for (const peer of t.peers) {
    n +=
      5 + ((peer.peerType & MRT_PEER_TYPE_IPV6) !== 0 ? 16 : 4) + ((peer.peerType & MRT_PEER_TYPE_AS4) !== 0 ? 4 : 2);
  }
  return n;
}

function ribLength(r: MrtRib): number {
  let n = 5 + ((r.prefixLength + 7) >>> 3) + 2;
  for (const e of r.entries) n += RIB_ENTRY_MIN_LENGTH + bgpAttributesEncodingLength(e.attributes, 4);
  return n;
}

function messageLength(record: MrtRecord): number {
  if (record.kind === "peerIndexTable") return peerIndexTableLength(record);
  if (record.kind === "rib") return ribLength(record);
  return record.body.length;
}

/** Bytes {@link encodeMrtRecord} writes for `record`, header included. */
export function mrtRecordEncodingLength(record: MrtRecord): number {
  return MRT_HEADER_LENGTH + messageLength(record);
}

/**
 * Encodes one record, header included (type 13 for peer index tables and RIBs; the record's own type otherwise).
 * @throws InvalidFieldError `ERR_MRT_FIELD` for a value that does not fit its field (a peer address whose size
 *   disagrees with its peer type, more than 65535 peers or entries, a prefix length over 32/128, a RIB subtype other
 *   than 2 or 4, an attribute block over 65535 bytes); the attribute encoder's `ERR_BGP_ATTRIBUTE`;
 *   TruncatedError `ERR_MRT_TRUNCATED` when `into` is too small.
 */
export function encodeMrtRecord(record: MrtRecord, into?: Uint8Array, offset = 0): Uint8Array {
  const length = messageLength(record);
  const total = MRT_HEADER_LENGTH + length;
  const out = into ?? new Uint8Array(offset + total);
  if (out.length - offset < total) throw truncated("MRT record output", total, out.length - offset, offset);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const type = record.kind === "unsupported" ? record.type : MRT_TYPE_TABLE_DUMP_V2;
  const subtype = record.kind === "peerIndexTable" ? TABLE_DUMP_V2_PEER_INDEX_TABLE : record.subtype;
  view.setUint32(offset, record.timestamp);
  view.setUint16(offset + 4, type);
  view.setUint16(offset + 6, subtype);
  view.setUint32(offset + 8, length);
  const p = offset + MRT_HEADER_LENGTH;
  if (record.kind === "peerIndexTable") writePeerIndexTable(record, out, view, p);
  else if (record.kind === "rib") writeRib(record, out, view, p);
  else out.set(record.body, p);
  return out;
}

function writePeerIndexTable(t: MrtPeerIndexTable, out: Uint8Array, view: DataView, p: number): void {
  if (t.peers.length > 0xffff) throw invalid("ERR_MRT_FIELD", `${t.peers.length} peers, at most 65535`);
  const name = UTF8_ENCODER.encode(t.viewName);
  if (name.length > 0xffff) throw invalid("ERR_MRT_FIELD", `view name of ${name.length} bytes`);
  view.setUint32(p, t.collectorBgpId);
  view.setUint16(p + 4, name.length);
  out.set(name, p + 6);
  p += 6 + name.length;
  view.setUint16(p, t.peers.length);
  p += 2;
  for (const peer of t.peers) {
    const addressLength = (peer.peerType & MRT_PEER_TYPE_IPV6) !== 0 ? 16 : 4;
    const as4 = (peer.peerType & MRT_PEER_TYPE_AS4) !== 0;
    if (peer.address.length !== addressLength) {
      throw invalid("ERR_MRT_FIELD", `peer type ${peer.peerType} needs a ${addressLength}-byte address`);
    }
    if (peer.as > (as4 ? 0xffffffff : 0xffff)) throw invalid("ERR_MRT_FIELD", `peer AS ${peer.as} needs the AS4 bit`);
    out[p] = peer.peerType;
    view.setUint32(p + 1, peer.bgpId);
    out.set(peer.address, p + 5);
    p += 5 + addressLength;
    if (as4) view.setUint32(p, peer.as);
    else view.setUint16(p, peer.as);
    p += as4 ? 4 : 2;
  }
}

function writeRib(r: MrtRib, out: Uint8Array, view: DataView, p: number): void {
  const addressLength = r.subtype === TABLE_DUMP_V2_RIB_IPV4_UNICAST ? 4 : 16;
  if (r.subtype !== TABLE_DUMP_V2_RIB_IPV4_UNICAST && r.subtype !== TABLE_DUMP_V2_RIB_IPV6_UNICAST) {
    throw invalid("ERR_MRT_FIELD", `RIB subtype ${r.subtype} is not encoded`);
  }
  if (r.prefixLength > addressLength * 8) throw invalid("ERR_MRT_FIELD", `prefix length ${r.prefixLength}`);
  if (r.entries.length > 0xffff) throw invalid("ERR_MRT_FIELD", `${r.entries.length} RIB entries, at most 65535`);
  const prefixBytes = (r.prefixLength + 7) >>> 3;
  if (r.prefix.length < prefixBytes) throw invalid("ERR_MRT_FIELD", `prefix of ${r.prefix.length} bytes`);
  view.setUint32(p, r.sequenceNumber);
  out[p + 4] = r.prefixLength;
  out.set(r.prefix.subarray(0, prefixBytes), p + 5);
  p += 5 + prefixBytes;
  view.setUint16(p, r.entries.length);
  p += 2;
  for (const e of r.entries) {
    const attributeLength = bgpAttributesEncodingLength(e.attributes, 4);
    if (attributeLength > 0xffff) throw invalid("ERR_MRT_FIELD", `attributes of ${attributeLength} bytes`);
    view.setUint16(p, e.peerIndex);
    view.setUint32(p + 2, e.originatedTime);
    view.setUint16(p + 6, attributeLength);
    encodeBgpAttributes(e.attributes, out, p + RIB_ENTRY_MIN_LENGTH, 4);
    p += RIB_ENTRY_MIN_LENGTH + attributeLength;
  }
}
