/**
 * Ethernet II frame headers (IEEE 802.3 clause 3 with the DIX EtherType) carrying any number of IEEE 802.1Q / 802.1ad
 * VLAN tags, and MAC address text. The frame check sequence is not part of the header (captures omit it).
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** EtherType of IPv4 (RFC 894). */
export const ETHERTYPE_IPV4 = 0x0800;
/** EtherType of ARP (RFC 826). */
export const ETHERTYPE_ARP = 0x0806;
/** EtherType of IPv6 (RFC 2464). */
export const ETHERTYPE_IPV6 = 0x86dd;
/** TPID of an IEEE 802.1Q customer VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** TPID of an IEEE 802.1ad service VLAN tag (Q-in-Q). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard Q-in-Q TPID still sent by some switches; decoded as a VLAN tag. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;
/** GRE protocol type of ERSPAN type II (and type I). */
export const ETHERTYPE_ERSPAN_II = 0x88be;
/** GRE protocol type of ERSPAN type III. */
export const ETHERTYPE_ERSPAN_III = 0x22eb;
/** GRE protocol type of a bridged Ethernet frame (RFC 1701). */
export const ETHERTYPE_TRANSPARENT_ETHERNET_BRIDGING = 0x6558;

/** Length of the untagged Ethernet II header: destination, source, EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
/** Length of one 802.1Q/802.1ad tag: TPID and TCI. */
export const VLAN_TAG_LENGTH = 4;
/** Length of a MAC address, bytes. */
export const MAC_ADDRESS_LENGTH = 6;

/** One VLAN tag (IEEE 802.1Q section 9.6): tag protocol identifier and the tag control information fields. */
export interface VlanTag {
  /** Tag protocol identifier: 0x8100, 0x88a8 or 0x9100. */
  tpid: number;
  /** Priority code point, 0..7. */
  pcp: number;
  /** Drop eligible indicator (formerly CFI). */
  dei: boolean;
  /** VLAN identifier, 0..4095. */
  vid: number;
}

/** A decoded Ethernet II header. */
export interface EthernetHeader {
  /** Destination MAC, a 6-byte copy. */
  dstMac: Uint8Array;
  /** Source MAC, a 6-byte copy. */
  srcMac: Uint8Array;
  /** VLAN identifiers of the tags, outermost first (empty when untagged). */
  vlanIds: number[];
  /** Every tag in full, outermost first (same order as `vlanIds`). */
  vlanTags: VlanTag[];
  /** EtherType after the tags (values up to 1500 are an IEEE 802.3 length instead). */
  etherType: number;
  /** Bytes from the frame start to the payload: 14 + 4 per tag. */
  headerLength: number;
}

/** What {@link encodeEthernet} needs. Tags come from `vlanTags` when given, else from `vlanIds` (see there). */
export interface EthernetHeaderInit {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  etherType: number;
  /** VLAN ids outermost first; the innermost tag gets TPID 0x8100 and every outer one 0x88a8, PCP 0, DEI false. */
  vlanIds?: readonly number[];
  /** Full tags, outermost first; takes precedence over `vlanIds`. */
  vlanTags?: readonly VlanTag[];
}

function isVlanTpid(t: number): boolean {
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === ETHERTYPE_QINQ_LEGACY;
}

/**
 * Decodes an Ethernet II header at `offset`, walking every VLAN tag (TPID 0x8100, 0x88a8, 0x9100).
 * @throws TruncatedError `ERR_ETHERNET_TRUNCATED` when the header or a tag runs past the buffer.
 */
export function decodeEthernet(bytes: Uint8Array, offset = 0): EthernetHeader {
  const available = bytes.length - offset;
  if (offset < 0 || available < ETHERNET_HEADER_LENGTH) {
    throw new TruncatedError(
      "Ethernet header",
      ETHERNET_HEADER_LENGTH,
      Math.max(0, available),
      offset,
      "ERR_ETHERNET_TRUNCATED",
    );
  }
  const dstMac = bytes.slice(offset, offset + 6);
  const srcMac = bytes.slice(offset + 6, offset + 12);
  const vlanIds: number[] = [];
  const vlanTags: VlanTag[] = [];
  let at = offset + 12;
  let type = (bytes[at] << 8) | bytes[at + 1];
  while (isVlanTpid(type)) {
    if (at + 2 + VLAN_TAG_LENGTH > bytes.length) {
      const needed = at + 2 + VLAN_TAG_LENGTH - offset;
      throw new TruncatedError("Ethernet VLAN tag", needed, available, at, "ERR_ETHERNET_TRUNCATED");
    }
    const tci = (bytes[at + 2] << 8) | bytes[at + 3];
    vlanIds.push(tci & 0x0fff);
    vlanTags.push({ tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
    at += VLAN_TAG_LENGTH;
    type = (bytes[at] << 8) | bytes[at + 1];
  }
  return { dstMac, srcMac, vlanIds, vlanTags, etherType: type, headerLength: at + 2 - offset };
}

function tagsOf(header: EthernetHeaderInit): readonly VlanTag[] {
  if (header.vlanTags !== undefined) return header.vlanTags;
  const ids = header.vlanIds ?? [];
  return ids.map((vid, i) => ({
    tpid: i === ids.length - 1 ? ETHERTYPE_VLAN : ETHERTYPE_QINQ,
    pcp: 0,
    dei: false,
    vid,
  }));
}

/** Encoded length of an Ethernet header: 14 + 4 per VLAN tag. */
export function ethernetEncodingLength(header: EthernetHeaderInit): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * (header.vlanTags ?? header.vlanIds ?? []).length;
}

/**
 * Encodes an Ethernet II header (with its VLAN tags) into `into` at `offset` (a new array when `into` is omitted).
 * Returns the array written.
 * @throws WireError `ERR_ETHERNET_FIELD` for a MAC that is not 6 bytes or a field out of range,
 *   `ERR_ETHERNET_BUFFER` when `into` is too small.
 */
export function encodeEthernet(header: EthernetHeaderInit, into?: Uint8Array, offset = 0): Uint8Array {
  const length = ethernetEncodingLength(header);
  const out = into ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new TruncatedError("Ethernet output buffer", length, out.length - offset, offset, "ERR_ETHERNET_BUFFER");
  }
  const bad = (why: string): never => {
    throw new InvalidFieldError("ERR_ETHERNET_FIELD", `Ethernet header: ${why}`, offset);
  };
  if (header.dstMac.length !== 6 || header.srcMac.length !== 6) bad("MAC addresses must be 6 bytes");
  if (!isUint16(header.etherType)) bad(`EtherType out of range: ${header.etherType}`);
  out.set(header.dstMac, offset);
  out.set(header.srcMac, offset + 6);
  let at = offset + 12;
  for (const tag of tagsOf(header)) {
    if (!isUint16(tag.tpid) || !inRange(tag.pcp, 7) || !inRange(tag.vid, 4095))
      bad(`bad VLAN tag ${JSON.stringify(tag)}`);
    const tci = (tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid;
    out[at] = tag.tpid >>> 8;
    out[at + 1] = tag.tpid & 0xff;
    out[at + 2] = tci >>> 8;
    out[at + 3] = tci & 0xff;
    at += VLAN_TAG_LENGTH;
  }
  out[at] = header.etherType >>> 8;
  out[at + 1] = header.etherType & 0xff;
  return out;
}

function inRange(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

function isUint16(n: number): boolean {
  return inRange(n, 0xffff);
}

const HEX = "0123456789abcdef";

/** Formats a 6-byte MAC address as lower-case colon-separated hex (`aa:bb:cc:dd:ee:ff`). */
export function macToString(mac: Uint8Array): string {
  let s = "";
  for (let i = 0; i < mac.length; i++) {
    if (i > 0) s += ":";
    s += HEX[mac[i] >>> 4] + HEX[mac[i] & 0x0f];
  }
  return s;
}

const MAC_TEXT =
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/**
 * Parses `aa:bb:cc:dd:ee:ff` (either case; `-` also accepted as separator) into a new 6-byte array.
 * @throws InvalidFieldError `ERR_MAC_ADDRESS` for any other text.
 */
export function macFromString(text: string): Uint8Array {
  const m = MAC_TEXT.exec(text);
  if (m === null) throw new InvalidFieldError("ERR_MAC_ADDRESS", `not a MAC address: ${JSON.stringify(text)}`, 0);
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = Number.parseInt(m[i + 1], 16);
  return mac;
}
