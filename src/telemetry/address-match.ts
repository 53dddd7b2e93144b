/**
 * IPv4 addresses and prefixes for telemetry configuration: which hops (responder addresses) a provider rule covers, and
 * which interface subnet holds an address (egress inference). IPv4 only, like the probe transport.
 */

/** An IPv4 prefix: the network as a 32-bit unsigned number and its length (0-32). */
export interface Ipv4Prefix {
  /** Network address, host bits cleared, as an unsigned 32-bit number. */
  readonly network: number;
  /** Prefix length in bits, 0-32. */
  readonly length: number;
}

/** A malformed address or prefix in configuration (`ERR_TELEMETRY_ADDRESS`). */
export class AddressSyntaxError extends Error {
  /** Stable error code. */
  readonly code = "ERR_TELEMETRY_ADDRESS";
  constructor(text: string) {
    super(`"${text}" is not an IPv4 address or prefix (a.b.c.d or a.b.c.d/n)`);
    this.name = "AddressSyntaxError";
  }
}

/** The 32-bit unsigned value of a dotted quad, or null when `text` is not one. */
export function ipv4ToNumber(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

/** The dotted quad of a 32-bit unsigned value. */
export function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The network mask of a prefix length as an unsigned number (0 for /0). */
export function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** The prefix length of a dotted-quad netmask, or null when the mask is not contiguous. */
export function maskLength(mask: string): number | null {
  const m = ipv4ToNumber(mask);
  if (m === null) return null;
  for (let len = 0; len <= 32; len++) if (maskOf(len) === m) return len;
  return null;
}

/**
 * Parses `a.b.c.d` (a /32) or `a.b.c.d/n`; host bits of a prefix are cleared.
 * @throws AddressSyntaxError for anything else.
 */
export function parsePrefix(text: string): Ipv4Prefix {
  const [addr, len, extra] = text.trim().split("/");
  const value = addr === undefined ? null : ipv4ToNumber(addr);
  if (value === null || extra !== undefined) throw new AddressSyntaxError(text);
  let length = 32;
  if (len !== undefined) {
    if (!/^\d{1,2}$/.test(len) || Number(len) > 32) throw new AddressSyntaxError(text);
    length = Number(len);
  }
  return { network: (value & maskOf(length)) >>> 0, length };
}

/** Whether `address` (a dotted quad) lies in `prefix`; false for a malformed address. */
export function prefixContains(prefix: Ipv4Prefix, address: string): boolean {
  const value = ipv4ToNumber(address);
  if (value === null) return false;
  return (value & maskOf(prefix.length)) >>> 0 === prefix.network;
}

/** The prefix as `a.b.c.d/n`. */
export function formatPrefix(prefix: Ipv4Prefix): string {
  return `${numberToIpv4(prefix.network)}/${prefix.length}`;
}

/**
 * The item of `items` whose prefix holds `address` most specifically (longest-prefix match; the first listed wins a
 * tie), or null when none does.
 */
export function longestMatch<T extends { prefix: Ipv4Prefix }>(items: readonly T[], address: string): T | null {
  let best: T | null = null;
  for (const item of items) {
    if (!prefixContains(item.prefix, address)) continue;
    if (best === null || item.prefix.length > best.prefix.length) best = item;
  }
  return best;
}
