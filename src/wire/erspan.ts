/**
 * ERSPAN headers (draft-foschiano-erspan-03): type II (version 1, 8 bytes, carried in GRE protocol 0x88be with a
 * sequence number) and type III (version 2, 12 bytes plus an optional 8-byte platform-specific subheader, carried in
 * GRE protocol 0x22eb). Type I has no ERSPAN header (GRE 0x88be without a sequence number). The mirrored Ethernet
 * frame follows the header. Field names are the draft's.
 */
import { ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III } from "./ethernet.ts";
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import { type GreHeader, decodeGre } from "./gre.ts";

/** Length of the ERSPAN type II header, bytes. */
export const ERSPAN_II_HEADER_LENGTH = 8;
/** Length of the ERSPAN type III header without the platform-specific subheader, bytes. */
export const ERSPAN_III_HEADER_LENGTH = 12;
/** Length of the type III platform-specific subheader, bytes. */
export const ERSPAN_III_PLATFORM_SUBHEADER_LENGTH = 8;
/** Version field of type II. */
export const ERSPAN_VERSION_II = 1;
/** Version field of type III. */
export const ERSPAN_VERSION_III = 2;

/** The first word shared by type II and III: Ver, VLAN, COS, En/BSO, T, Session ID. */
interface ErspanCommon {
  /** Original VLAN of the mirrored frame, 12 bits. */
  vlan: number;
  /** Class of service of the original frame, 3 bits. */
  cos: number;
  /** T: the mirrored frame was truncated to fit the MTU. */
  truncated: boolean;
  /** ERSPAN session id, 10 bits. */
  sessionId: number;
}

/** A decoded (or to-be-encoded) ERSPAN type II header. */
export interface ErspanIIHeader extends ErspanCommon {
  version: 1;
  /** En: encapsulation of the original frame (0 untagged, 1 ISL, 2 802.1Q kept, 3 VLAN tag possibly present). */
  encapType: number;
  /** Reserved 12 bits before the index (zero on send). */
  reserved?: number;
  /** Index: port index or other identifier of the mirror source, 20 bits. */
  index: number;
}

/** The optional type III platform-specific subheader: Platf ID and 58 bits whose meaning depends on it. */
export interface ErspanPlatformSubheader {
  /** Platform ID, 6 bits. */
  platformId: number;
  /** The 26 bits after the Platform ID. */
  infoHigh: number;
  /** The last 32 bits. */
  infoLow: number;
}

/** A decoded (or to-be-encoded) ERSPAN type III header. */
export interface ErspanIIIHeader extends ErspanCommon {
  version: 2;
  /** BSO: bad/short/oversized frame indication, 2 bits. */
  bso: number;
  /** Timestamp in units given by `gra`, unsigned 32-bit (lower bits when a subheader carries the upper ones). */
  timestamp: number;
  /** Security group tag, 16 bits. */
  sgt: number;
  /** P: the payload is an Ethernet PDU (false: an IP packet, see `ft`). */
  p: boolean;
  /** FT: frame type, 5 bits (0 Ethernet, 2 IP). */
  ft: number;
  /** Hw ID: ERSPAN engine id, 6 bits. */
  hwId: number;
  /** D: direction, false ingress, true egress. */
  d: boolean;
  /** Gra: timestamp granularity, 2 bits (0 100 us, 1 100 ns, 2 IEEE 1588, 3 user defined). */
  gra: number;
  /** The platform-specific subheader; its presence is the O bit. */
  platform?: ErspanPlatformSubheader;
}

/** An ERSPAN header of either type. */
export type ErspanHeader = ErspanIIHeader | ErspanIIIHeader;

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

function truncated(what: string, needed: number, available: number, offset: number): TruncatedError {
  return new TruncatedError(what, needed, Math.max(0, available), offset, "ERR_ERSPAN_TRUNCATED");
}

function decodeCommon(b: Uint8Array, o: number): ErspanCommon {
  return {
    vlan: ((b[o] & 0x0f) << 8) | b[o + 1],
    cos: b[o + 2] >>> 5,
    truncated: (b[o + 2] & 0x04) !== 0,
    sessionId: ((b[o + 2] & 0x03) << 8) | b[o + 3],
  };
}

/**
 * Decodes an ERSPAN type II or III header at `offset`, chosen by its version field.
 * @throws TruncatedError `ERR_ERSPAN_TRUNCATED`; InvalidFieldError `ERR_ERSPAN_VERSION` (version not 1 or 2).
 */
export function decodeErspan(bytes: Uint8Array, offset = 0): ErspanHeader {
  const b = bytes;
  const o = offset;
  const available = b.length - o;
  if (o < 0 || available < ERSPAN_II_HEADER_LENGTH) throw truncated("ERSPAN header", 8, available, o);
  const version = b[o] >>> 4;
  if (version === ERSPAN_VERSION_II) {
    const word = u32(b, o + 4);
    return {
      version: 1,
      ...decodeCommon(b, o),
      encapType: (b[o + 2] >>> 3) & 0x03,
      reserved: word >>> 20,
      index: word & 0xfffff,
    };
  }
  if (version !== ERSPAN_VERSION_III) throw new InvalidFieldError("ERR_ERSPAN_VERSION", `ERSPAN version ${version}`, o);
  if (available < ERSPAN_III_HEADER_LENGTH) throw truncated("ERSPAN type III header", 12, available, o);
  const bits = (b[o + 10] << 8) | b[o + 11];
  const header: ErspanIIIHeader = {
    version: 2,
    ...decodeCommon(b, o),
    bso: (b[o + 2] >>> 3) & 0x03,
    timestamp: u32(b, o + 4),
    sgt: (b[o + 8] << 8) | b[o + 9],
    p: (bits & 0x8000) !== 0,
    ft: (bits >>> 10) & 0x1f,
    hwId: (bits >>> 4) & 0x3f,
    d: (bits & 0x08) !== 0,
    gra: (bits >>> 1) & 0x03,
  };
  if (bits & 0x01) {
    const needed = ERSPAN_III_HEADER_LENGTH + ERSPAN_III_PLATFORM_SUBHEADER_LENGTH;
    if (available < needed) throw truncated("ERSPAN platform subheader", needed, available, o);
    const word = u32(b, o + 12);
    header.platform = { platformId: word >>> 26, infoHigh: word & 0x3ffffff, infoLow: u32(b, o + 16) };
  }
  return header;
}

/** Encoded length: 8 for type II; 12 for type III, 20 with the platform subheader. */
export function erspanEncodingLength(header: ErspanHeader): number {
  if (header.version === ERSPAN_VERSION_II) return ERSPAN_II_HEADER_LENGTH;
  return ERSPAN_III_HEADER_LENGTH + (header.platform !== undefined ? ERSPAN_III_PLATFORM_SUBHEADER_LENGTH : 0);
}

const w32 = (b: Uint8Array, at: number, v: number) => {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
};

function checkErspan(h: ErspanHeader, offset: number): void {
  const fits = (n: number | undefined, max: number) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= max);
  let ok = fits(h.vlan, 0xfff) && fits(h.cos, 7) && fits(h.sessionId, 0x3ff);
  if (h.version === ERSPAN_VERSION_II) {
    ok &&= fits(h.encapType, 3) && fits(h.reserved, 0xfff) && fits(h.index, 0xfffff);
  } else if (h.version === ERSPAN_VERSION_III) {
    ok &&= fits(h.bso, 3) && fits(h.timestamp, 0xffffffff) && fits(h.sgt, 0xffff) && fits(h.ft, 0x1f);
    ok &&= fits(h.hwId, 0x3f) && fits(h.gra, 3);
    const p = h.platform;
    if (p !== undefined) ok &&= fits(p.platformId, 0x3f) && fits(p.infoHigh, 0x3ffffff) && fits(p.infoLow, 0xffffffff);
  } else {
    ok = false;
  }
  if (!ok) throw new InvalidFieldError("ERR_ERSPAN_FIELD", "ERSPAN header field out of range", offset);
}

/**
 * Encodes an ERSPAN type II or III header into `into` at `offset` (a new array when omitted).
 * @throws WireError `ERR_ERSPAN_FIELD` for a field out of range, `ERR_ERSPAN_BUFFER` when `into` is too small.
 */
export function encodeErspan(header: ErspanHeader, into?: Uint8Array, offset = 0): Uint8Array {
  checkErspan(header, offset);
  const length = erspanEncodingLength(header);
  const out = into ?? new Uint8Array(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new TruncatedError("ERSPAN output buffer", length, out.length - offset, offset, "ERR_ERSPAN_BUFFER");
  }
  const o = offset;
  const h = header;
  const en = h.version === ERSPAN_VERSION_II ? h.encapType : h.bso;
  out[o] = (h.version << 4) | (h.vlan >>> 8);
  out[o + 1] = h.vlan & 0xff;
  out[o + 2] = (h.cos << 5) | (en << 3) | (h.truncated ? 0x04 : 0) | (h.sessionId >>> 8);
  out[o + 3] = h.sessionId & 0xff;
  if (h.version === ERSPAN_VERSION_II) {
    w32(out, o + 4, (((h.reserved ?? 0) << 20) | h.index) >>> 0);
    return out;
  }
  w32(out, o + 4, h.timestamp);
  out[o + 8] = h.sgt >>> 8;
  out[o + 9] = h.sgt & 0xff;
  const bits = (h.p ? 0x8000 : 0) | (h.ft << 10) | (h.hwId << 4) | (h.d ? 0x08 : 0) | (h.gra << 1);
  const withPlatform = h.platform !== undefined;
  out[o + 10] = bits >>> 8;
  out[o + 11] = (bits & 0xff) | (withPlatform ? 1 : 0);
  if (h.platform !== undefined) {
    w32(out, o + 12, ((h.platform.platformId << 26) | h.platform.infoHigh) >>> 0);
    w32(out, o + 16, h.platform.infoLow);
  }
  return out;
}

/** A GRE packet carrying ERSPAN, decoded down to the mirrored frame. */
export interface GreErspan {
  gre: GreHeader;
  /** The ERSPAN header; `undefined` for type I (GRE 0x88be without a sequence number). */
  erspan: ErspanHeader | undefined;
  /** Offset of the mirrored frame in the caller's buffer. */
  frameOffset: number;
}

/**
 * Decodes a GRE header at `offset` and the ERSPAN header it carries (protocol 0x88be: type II with S set, type I
 * without; 0x22eb: type III), up to the mirrored frame.
 * @throws the errors of {@link decodeGre} and {@link decodeErspan}; InvalidFieldError `ERR_ERSPAN_PROTOCOL` when the
 *   GRE protocol type is not ERSPAN, `ERR_ERSPAN_VERSION` when the version does not match the protocol type.
 */
export function decodeGreErspan(bytes: Uint8Array, offset = 0): GreErspan {
  const gre = decodeGre(bytes, offset);
  const at = offset + gre.headerLength;
  if (gre.protocolType === ETHERTYPE_ERSPAN_II && !gre.sequencePresent) {
    return { gre, erspan: undefined, frameOffset: at };
  }
  if (gre.protocolType !== ETHERTYPE_ERSPAN_II && gre.protocolType !== ETHERTYPE_ERSPAN_III) {
    const type = gre.protocolType.toString(16);
    throw new InvalidFieldError("ERR_ERSPAN_PROTOCOL", `GRE protocol 0x${type} is not ERSPAN`, offset + 2);
  }
  const erspan = decodeErspan(bytes, at);
  const wanted = gre.protocolType === ETHERTYPE_ERSPAN_II ? ERSPAN_VERSION_II : ERSPAN_VERSION_III;
  if (erspan.version !== wanted) {
    throw new InvalidFieldError(
      "ERR_ERSPAN_VERSION",
      `ERSPAN version ${erspan.version} in GRE 0x${gre.protocolType.toString(16)}`,
      at,
    );
  }
  return { gre, erspan, frameOffset: at + erspanEncodingLength(erspan) };
}
