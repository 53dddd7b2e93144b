/**
 * The VXLAN header (RFC 7348 section 5): 8 bytes in a UDP datagram to port 4789, followed by the inner Ethernet frame.
 * Reserved fields are kept so a header re-encodes byte for byte.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** Length of the VXLAN header, bytes. */
export const VXLAN_HEADER_LENGTH = 8;
/** IANA UDP port of VXLAN. */
export const VXLAN_UDP_PORT = 4789;
/** The I flag: the VNI is valid (must be set, RFC 7348 5). */
export const VXLAN_FLAG_I = 0x08;
/** Largest VNI (24 bits). */
export const VXLAN_MAX_VNI = 0xffffff;

/** A decoded VXLAN header. */
export interface VxlanHeader {
  /** The 8 flag bits; only I (0x08) is defined. */
  flags: number;
  /** Whether the I flag is set. */
  vniValid: boolean;
  /** The 24 reserved bits after the flags (zero on send). */
  reserved1: number;
  /** VXLAN network identifier, 24 bits. */
  vni: number;
  /** The last 8 reserved bits (zero on send). */
  reserved2: number;
}

/** What {@link encodeVxlan} needs. */
export interface VxlanHeaderInit {
  /** VXLAN network identifier, 0..16777215. */
  vni: number;
  /** Flag bits (default 0x08, I set). */
  flags?: number;
  reserved1?: number;
  reserved2?: number;
}

/**
 * Decodes the VXLAN header at `offset`. The I flag is reported, not enforced (RFC 7348 says receivers ignore the
 * other bits).
 * @throws TruncatedError `ERR_VXLAN_TRUNCATED` when fewer than 8 bytes are present.
 */
export function decodeVxlan(bytes: Uint8Array, offset = 0): VxlanHeader {
  const available = bytes.length - offset;
  if (offset < 0 || available < VXLAN_HEADER_LENGTH) {
    throw new TruncatedError(
      "VXLAN header",
      VXLAN_HEADER_LENGTH,
      Math.max(0, available),
      offset,
      "ERR_VXLAN_TRUNCATED",
    );
  }
  const b = bytes;
  const o = offset;
  return {
    flags: b[o],
    vniValid: (b[o] & VXLAN_FLAG_I) !== 0,
    reserved1: (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3],
    vni: (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6],
    reserved2: b[o + 7],
  };
}

/** Encoded length of a VXLAN header: always 8. */
export function vxlanEncodingLength(_header?: VxlanHeaderInit): number {
  return VXLAN_HEADER_LENGTH;
}

/**
 * Encodes the 8-byte VXLAN header into `into` at `offset` (a new array when omitted).
 * @throws WireError `ERR_VXLAN_FIELD` for a field out of range, `ERR_VXLAN_BUFFER` when `into` is too small.
 */
export function encodeVxlan(header: VxlanHeaderInit, into?: Uint8Array, offset = 0): Uint8Array {
  const out = into ?? new Uint8Array(offset + VXLAN_HEADER_LENGTH);
  if (offset < 0 || offset + VXLAN_HEADER_LENGTH > out.length) {
    const available = out.length - offset;
    throw new TruncatedError("VXLAN output buffer", VXLAN_HEADER_LENGTH, available, offset, "ERR_VXLAN_BUFFER");
  }
  const flags = header.flags ?? VXLAN_FLAG_I;
  const r1 = header.reserved1 ?? 0;
  const r2 = header.reserved2 ?? 0;
  const fits = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;
  if (!fits(header.vni, VXLAN_MAX_VNI) || !fits(flags, 0xff) || !fits(r1, 0xffffff) || !fits(r2, 0xff)) {
    throw new InvalidFieldError("ERR_VXLAN_FIELD", `VXLAN header field out of range (VNI ${header.vni})`, offset);
  }
  const o = offset;
  out[o] = flags;
  out[o + 1] = r1 >>> 16;
  out[o + 2] = (r1 >>> 8) & 0xff;
  out[o + 3] = r1 & 0xff;
  out[o + 4] = header.vni >>> 16;
  out[o + 5] = (header.vni >>> 8) & 0xff;
  out[o + 6] = header.vni & 0xff;
  out[o + 7] = r2;
  return out;
}
