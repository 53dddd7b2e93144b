/**
 * Turning SNMP varbind values and table indices into plain numbers, strings and addresses. net-snmp gives Counter64 as
 * a big-endian Buffer, OCTET STRINGs as Buffers, OIDs as dotted strings; these helpers accept each form.
 */

/** A varbind value as the SNMP client hands it over (undefined: the agent has no such object or instance). */
export type SnmpValue = number | bigint | string | boolean | Uint8Array | null | undefined;

/** One row of a walk: the full numeric OID (no leading dot) and its value. */
export interface SnmpVarbind {
  readonly oid: string;
  readonly value: SnmpValue;
}

/**
 * A counter or gauge as a number: numbers as they are, bigints and Counter64 byte strings (big-endian, up to 8 bytes)
 * converted (exact below 2^53); null for anything else.
 */
export function asNumber(value: SnmpValue): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) {
    if (value.length === 0 || value.length > 9) return null;
    let n = 0n;
    for (const b of value) n = (n << 8n) | BigInt(b);
    return Number(n);
  }
  return null;
}

/** An OCTET STRING (DisplayString) as text (UTF-8, trailing NULs dropped); null for non-strings. */
export function asText(value: SnmpValue): string | null {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value).replace(/\0+$/, "");
  return null;
}

/** An OCTET STRING as lower-case hex (for binary identifiers such as snmpEngineID); null for non-strings. */
export function asHex(value: SnmpValue): string | null {
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
  if (typeof value === "string")
    return Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, "0")).join("");
  return null;
}

/** The sub-identifiers after `base` in `oid` (both numeric, leading dots ignored), or null when `oid` is not under it. */
export function indexOf(base: string, oid: string): number[] | null {
  const b = base.replace(/^\./, "");
  const o = oid.replace(/^\./, "");
  if (!o.startsWith(`${b}.`)) return null;
  const parts = o
    .slice(b.length + 1)
    .split(".")
    .map(Number);
  return parts.every((n) => Number.isInteger(n) && n >= 0) ? parts : null;
}

/** The rows of a column walk keyed by their index (sub-identifiers joined by `.`), skipping rows not under `base`. */
export function byIndex(base: string, rows: readonly SnmpVarbind[]): Map<string, SnmpValue> {
  const out = new Map<string, SnmpValue>();
  for (const row of rows) {
    const index = indexOf(base, row.oid);
    if (index !== null) out.set(index.join("."), row.value);
  }
  return out;
}

/** A dotted quad from four sub-identifiers, or null when they are not four octets. */
export function quadOf(parts: readonly number[]): string | null {
  if (parts.length !== 4 || parts.some((p) => p > 255)) return null;
  return parts.join(".");
}

/**
 * Reads an `InetAddressType, InetAddress` pair from an index at `at` (type 1 = IPv4 with length 4; other types are
 * skipped). Returns the IPv4 address (null for other families) and the position after the pair, or null when the index
 * is too short.
 */
export function readInetAddress(parts: readonly number[], at: number): { address: string | null; next: number } | null {
  const type = parts[at];
  const len = parts[at + 1];
  if (type === undefined || len === undefined || at + 2 + len > parts.length) return null;
  const bytes = parts.slice(at + 2, at + 2 + len);
  return { address: type === 1 && len === 4 ? quadOf(bytes) : null, next: at + 2 + len };
}
