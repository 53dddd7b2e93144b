/**
 * The IPv6 header (RFC 8200 section 3) and its chain of extension headers (RFC 8200 section 4: hop-by-hop options,
 * routing, fragment, destination options; RFC 4302 AH; RFC 6275 mobility, RFC 7401 HIP, RFC 5533 shim6), walked to the
 * upper-layer protocol and its offset, as flow sniffing needs. IPv6 address text follows RFC 5952.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Length of the fixed IPv6 header, bytes. */
export const IPV6_HEADER_LENGTH = 40;
/** Next-header value of hop-by-hop options. */
export const IPV6_EXT_HOP_BY_HOP = 0;
/** Next-header value of the routing header. */
export const IPV6_EXT_ROUTING = 43;
/** Next-header value of the fragment header. */
export const IPV6_EXT_FRAGMENT = 44;
/** Next-header value of ESP (RFC 4303); the walk stops there (the rest is encrypted). */
export const IPV6_EXT_ESP = 50;
/** Next-header value of the authentication header (RFC 4302). */
export const IPV6_EXT_AH = 51;
/** Next-header value "no next header". */
export const IPV6_NO_NEXT_HEADER = 59;
/** Next-header value of destination options. */
export const IPV6_EXT_DESTINATION_OPTIONS = 60;
/** Next-header value of the mobility header (RFC 6275). */
export const IPV6_EXT_MOBILITY = 135;
/** Next-header value of HIP (RFC 7401). */
export const IPV6_EXT_HIP = 139;
/** Next-header value of shim6 (RFC 5533). */
export const IPV6_EXT_SHIM6 = 140;
/** IP protocol number of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
/** Length of the fragment header, bytes. */
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;

/** One extension header of the chain. */
export interface Ipv6ExtensionHeader {
  /** Its own next-header value (what the previous header named it): 0, 43, 44, 51, 60, 135, 139 or 140. */
  type: number;
  /** The bytes after its first two (next header, length): a view into the decoded buffer. */
  body: Uint8Array;
}

/** The fields of a fragment header (RFC 8200 4.5). */
export interface Ipv6Fragment {
  /** Offset of this fragment's data in the original packet, bytes (a multiple of 8). */
  fragmentOffset: number;
  /** M flag: more fragments follow. */
  moreFragments: boolean;
  /** Identification, unsigned 32-bit. */
  identification: number;
}

/** A decoded IPv6 header with its extension-header chain. */
export interface Ipv6Header {
  /** Always 6. */
  version: number;
  /** Traffic class octet (DSCP and ECN). */
  trafficClass: number;
  /** Flow label, 20 bits. */
  flowLabel: number;
  /** Bytes after the fixed header, extension headers included. */
  payloadLength: number;
  /** Next header of the fixed header. */
  nextHeader: number;
  /** Hop limit. */
  hopLimit: number;
  /** Source address, a 16-byte copy. */
  srcAddr: Uint8Array;
  /** Destination address, a 16-byte copy. */
  dstAddr: Uint8Array;
  /** The extension headers in order. */
  extensionHeaders: Ipv6ExtensionHeader[];
  /** First protocol that is not an extension header (or 50 ESP, 59 none; or the next header of a non-first fragment). */
  upperLayerProtocol: number;
  /** Offset of the upper-layer header in the caller's buffer (its data is absent when `fragment.fragmentOffset > 0`). */
  upperLayerOffset: number;
  /** Fixed header plus extension headers, bytes. */
  headerLength: number;
  /** The fragment header's fields, when there is one. */
  fragment?: Ipv6Fragment;
}

/** What {@link encodeIpv6} needs; each header's next-header field follows from the chain. */
export interface Ipv6HeaderInit {
  trafficClass?: number;
  flowLabel?: number;
  /** Bytes after the fixed header, extension headers included. */
  payloadLength: number;
  /** Hop limit (default 64). */
  hopLimit?: number;
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  /** Extension headers in order (default none). Each body makes its header a multiple of 8 bytes (AH: of 4). */
  extensionHeaders?: readonly Ipv6ExtensionHeader[];
  /** Protocol after the last extension header (the fixed header's next header when there are none). */
  upperLayerProtocol: number;
}

/** Whether a next-header value names an extension header this module walks over. */
export function isIpv6ExtensionHeader(type: number): boolean {
  return (
    type === IPV6_EXT_HOP_BY_HOP ||
    type === IPV6_EXT_ROUTING ||
    type === IPV6_EXT_FRAGMENT ||
    type === IPV6_EXT_AH ||
    type === IPV6_EXT_DESTINATION_OPTIONS ||
    type === IPV6_EXT_MOBILITY ||
    type === IPV6_EXT_HIP ||
    type === IPV6_EXT_SHIM6
  );
}

function extensionLength(type: number, lengthField: number): number {
  if (type === IPV6_EXT_FRAGMENT) return IPV6_FRAGMENT_HEADER_LENGTH;
  // AH counts 4-octet units minus 2 (RFC 4302 2.2); the others 8-octet units not counting the first.
  return type === IPV6_EXT_AH ? (lengthField + 2) * 4 : (lengthField + 1) * 8;
}

/**
 * Decodes the IPv6 header at `offset` and walks its extension headers. The `payloadLength` bytes must be present
 * (a jumbogram's payload length of 0 takes every byte present).
 * @throws TruncatedError `ERR_IPV6_TRUNCATED`; InvalidFieldError `ERR_IPV6_VERSION` (not 6).
 */
export function decodeIpv6(bytes: Uint8Array, offset = 0): Ipv6Header {
  const available = bytes.length - offset;
  if (offset < 0 || available < IPV6_HEADER_LENGTH) {
    throw new TruncatedError("IPv6 header", IPV6_HEADER_LENGTH, Math.max(0, available), offset, "ERR_IPV6_TRUNCATED");
  }
  const b = bytes;
  const o = offset;
  const version = b[o] >>> 4;
  if (version !== 6) throw new InvalidFieldError("ERR_IPV6_VERSION", `IPv6 version is ${version}`, o);
  const payloadLength = (b[o + 4] << 8) | b[o + 5];
  const nextHeader = b[o + 6];
  const jumbo = payloadLength === 0 && nextHeader === IPV6_EXT_HOP_BY_HOP;
  const end = jumbo ? bytes.length : o + IPV6_HEADER_LENGTH + payloadLength;
  if (end > bytes.length) {
    const needed = IPV6_HEADER_LENGTH + payloadLength;
    throw new TruncatedError("IPv6 packet", needed, available, o, "ERR_IPV6_TRUNCATED");
  }
  const header: Ipv6Header = {
    version,
    trafficClass: ((b[o] & 0x0f) << 4) | (b[o + 1] >>> 4),
    flowLabel: ((b[o + 1] & 0x0f) << 16) | (b[o + 2] << 8) | b[o + 3],
    payloadLength,
    nextHeader,
    hopLimit: b[o + 7],
    srcAddr: b.slice(o + 8, o + 24),
    dstAddr: b.slice(o + 24, o + 40),
    extensionHeaders: [],
    upperLayerProtocol: nextHeader,
    upperLayerOffset: o + IPV6_HEADER_LENGTH,
    headerLength: IPV6_HEADER_LENGTH,
  };
  walkExtensions(b, header, end);
  header.headerLength = header.upperLayerOffset - o;
  return header;
}

function walkExtensions(b: Uint8Array, header: Ipv6Header, end: number): void {
  let type = header.nextHeader;
  let at = header.upperLayerOffset;
  while (isIpv6ExtensionHeader(type)) {
    if (at + 2 > end)
      throw new TruncatedError("IPv6 extension header", 2, Math.max(0, end - at), at, "ERR_IPV6_TRUNCATED");
    const length = extensionLength(type, b[at + 1]);
    if (at + length > end) {
      throw new TruncatedError("IPv6 extension header", length, end - at, at, "ERR_IPV6_TRUNCATED");
    }
    header.extensionHeaders.push({ type, body: b.subarray(at + 2, at + length) });
    const next = b[at];
    if (type === IPV6_EXT_FRAGMENT) {
      const offsetFlags = (b[at + 2] << 8) | b[at + 3];
      header.fragment = {
        fragmentOffset: offsetFlags & 0xfff8,
        moreFragments: (offsetFlags & 1) !== 0,
        identification: ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0,
      };
    }
    at += length;
    type = next;
    // A non-first fragment carries no further headers, only data (RFC 8200 4.5).
    if (header.fragment !== undefined && header.fragment.fragmentOffset > 0) break;
  }
  header.upperLayerProtocol = type;
  header.upperLayerOffset = at;
}

/** Encoded length: 40 plus every extension header (2 + body bytes). */
export function ipv6EncodingLength(header: Ipv6HeaderInit): number {
  let n = IPV6_HEADER_LENGTH;
  for (const e of header.extensionHeaders ?? []) n += 2 + e.body.length;
  return n;
}

function checkIpv6Init(h: Ipv6HeaderInit, length: number, offset: number): void {
  const bad = (why: string): never => {
    throw new InvalidFieldError("ERR_IPV6_FIELD", `IPv6 header: ${why}`, offset);
  };
  const fits = (n: number | undefined, max: number) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= max);
  if (!fits(h.trafficClass, 0xff) || !fits(h.flowLabel, 0xfffff) || !fits(h.hopLimit, 0xff)) bad("field out of range");
  if (!fits(h.upperLayerProtocol, 0xff)) bad(`upper-layer protocol ${h.upperLayerProtocol}`);
  if (!fits(h.payloadLength, 0xffff) || h.payloadLength < length - IPV6_HEADER_LENGTH) {
    bad(`payloadLength ${h.payloadLength} shorter than the extension headers`);
  }
  if (h.srcAddr.length !== 16 || h.dstAddr.length !== 16) bad("addresses must be 16 bytes");
  for (const e of h.extensionHeaders ?? []) {
    const size = 2 + e.body.length;
    const ok =
      e.type === IPV6_EXT_FRAGMENT
        ? size === IPV6_FRAGMENT_HEADER_LENGTH
        : e.type === IPV6_EXT_AH
          ? size % 4 === 0 && size >= 8 && size <= 1028
          : isIpv6ExtensionHeader(e.type) && size % 8 === 0 && size <= 2048;
    if (!ok) bad(`extension header ${e.type} of ${size} bytes`);
  }
}

/**
 * Encodes the fixed IPv6 header and its extension headers into `into` at `offset` (a new array when omitted).
 * @throws WireError `ERR_IPV6_FIELD` for a field out of range or a malformed extension header, `ERR_IPV6_BUFFER` when
 *   `into` is too small.
 */
export function encodeIpv6(header: Ipv6HeaderInit, into?: Uint8Array, offset = 0): Uint8Array {
  const length = ipv6EncodingLength(header);
  checkIpv6Init(header, length, offset);
  const out = into ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new TruncatedError("IPv6 output buffer", length, out.length - offset, offset, "ERR_IPV6_BUFFER");
  }
  const o = offset;
  const tc = header.trafficClass ?? 0;
  const fl = header.flowLabel ?? 0;
  const exts = header.extensionHeaders ?? [];
  out[o] = 0x60 | (tc >>> 4);
  out[o + 1] = ((tc & 0x0f) << 4) | (fl >>> 16);
  out[o + 2] = (fl >>> 8) & 0xff;
  out[o + 3] = fl & 0xff;
  out[o + 4] = header.payloadLength >>> 8;
  out[o + 5] = header.payloadLength & 0xff;
  out[o + 6] = exts.length > 0 ? exts[0].type : header.upperLayerProtocol;
  out[o + 7] = header.hopLimit ?? 64;
  out.set(header.srcAddr, o + 8);
  out.set(header.dstAddr, o + 24);
  let at = o + IPV6_HEADER_LENGTH;
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i];
    const size = 2 + e.body.length;
    out[at] = i + 1 < exts.length ? exts[i + 1].type : header.upperLayerProtocol;
    out[at + 1] = e.type === IPV6_EXT_FRAGMENT ? 0 : e.type === IPV6_EXT_AH ? size / 4 - 2 : size / 8 - 1;
    out.set(e.body, at + 2);
    at += size;
  }
  return out;
}

/** The 6-byte body of a fragment header (RFC 8200 4.5) for use in {@link Ipv6HeaderInit.extensionHeaders}. */
export function ipv6FragmentBody(fragment: Ipv6Fragment): Uint8Array {
  const { fragmentOffset, identification } = fragment;
  if (!Number.isInteger(fragmentOffset) || fragmentOffset < 0 || fragmentOffset > 0xfff8 || fragmentOffset % 8 !== 0) {
    throw new InvalidFieldError("ERR_IPV6_FIELD", `IPv6 fragment offset ${fragmentOffset}`, 0);
  }
  const body = new Uint8Array(6);
  const offsetFlags = fragmentOffset | (fragment.moreFragments ? 1 : 0);
  body[0] = offsetFlags >>> 8;
  body[1] = offsetFlags & 0xff;
  body[2] = identification >>> 24;
  body[3] = (identification >>> 16) & 0xff;
  body[4] = (identification >>> 8) & 0xff;
  body[5] = identification & 0xff;
  return body;
}

/**
 * Formats a 16-byte IPv6 address as RFC 5952 text: lower-case hex without leading zeros, the longest run (the first
 * on a tie) of two or more zero groups as `::`, and IPv4-mapped addresses as `::ffff:192.0.2.1` (RFC 5952 5).
 */
export function ipv6ToString(addr: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((addr[i] << 8) | addr[i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const DOTTED_TAIL = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseGroups(part: string, text: string, allowIpv4: boolean): number[] {
  if (part === "") return [];
  const fields = part.split(":");
  const groups: number[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const quad = allowIpv4 && i === fields.length - 1 ? DOTTED_TAIL.exec(f) : null;
    if (quad !== null) {
      const o = quad.slice(1).map(Number);
      if (o.some((n) => n > 255)) throw badIpv6(text);
      groups.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
    } else if (HEX_GROUP.test(f)) {
      groups.push(Number.parseInt(f, 16));
    } else {
      throw badIpv6(text);
    }
  }
  return groups;
}

function badIpv6(text: string): InvalidFieldError {
  return new InvalidFieldError("ERR_IPV6_ADDRESS", `not an IPv6 address: ${JSON.stringify(text)}`, 0);
}

/**
 * Parses IPv6 text (RFC 4291 2.2: full, `::`-compressed, or with a dotted IPv4 tail) into a new 16-byte array.
 * @throws InvalidFieldError `ERR_IPV6_ADDRESS` for anything else (zone ids `%eth0` included).
 */
export function ipv6FromString(text: string): Uint8Array {
  const halves = text.split("::");
  if (halves.length > 2) throw badIpv6(text);
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0], text, false);
    const tail = parseGroups(halves[1], text, true);
    if (head.length + tail.length > 7) throw badIpv6(text);
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    groups = parseGroups(text, text, true);
    if (groups.length !== 8) throw badIpv6(text);
  }
  const addr = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    addr[2 * i] = groups[i] >>> 8;
    addr[2 * i + 1] = groups[i] & 0xff;
  }
  return addr;
}
