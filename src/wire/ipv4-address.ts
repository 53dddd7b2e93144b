/**
 * IPv4 addresses as unsigned 32-bit numbers (network order value: 10.0.0.1 is 0x0a000001), the form every codec uses on
 * its hot path, and their dotted-quad text.
 */
import { InvalidFieldError } from "./errors.ts";

/** Formats an unsigned 32-bit IPv4 address as dotted quad (`192.168.0.1`). */
export function ipv4ToString(addr: number): string {
  return `${(addr >>> 24) & 0xff}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parses a dotted quad into an unsigned 32-bit number.
 * @throws InvalidFieldError `ERR_IPV4_ADDRESS` when the text is not four decimal octets 0-255.
 */
export function ipv4FromString(text: string): number {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) throw new InvalidFieldError("ERR_IPV4_ADDRESS", `not an IPv4 address: ${JSON.stringify(text)}`, 0);
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) throw new InvalidFieldError("ERR_IPV4_ADDRESS", `IPv4 octet out of range: ${text}`, 0);
    n = n * 256 + octet;
  }
  return n;
}

/** Reads a big-endian IPv4 address at `offset` (caller checks bounds). */
export function readIpv4(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

/** Writes a big-endian IPv4 address at `offset` (caller checks bounds). */
export function writeIpv4(bytes: Uint8Array, offset: number, addr: number): void {
  bytes[offset] = addr >>> 24;
  bytes[offset + 1] = addr >>> 16;
  bytes[offset + 2] = addr >>> 8;
  bytes[offset + 3] = addr;
}
