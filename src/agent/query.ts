/**
 * Reading CA API query parameters (compute-agent-api.txt, Tables 5 and 15 and the resource pages): a parameter given
 * twice is refused, unknown parameters are ignored (the spec's own start/tunnel example carries a `dport` no table
 * lists), and each value is checked for its type. Every refusal is an EFAIL naming the parameter.
 */
import { invalidParameter } from "./return-codes.ts";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC = /^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}$/;
const INTEGER = /^\d{1,15}$/;
const DECIMAL = /^(\d{1,15}(\.\d{0,9})?|\.\d{1,9})$/;

/** The query string of a request as parameter name → values (in order), decoded as `application/x-www-form-urlencoded`. */
export class QueryParams {
  readonly #values = new Map<string, string[]>();

  /** Parses the part of `url` after the first `?` (nothing after it: no parameters). Never throws. */
  constructor(url: string) {
    const at = url.indexOf("?");
    if (at < 0) return;
    for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
      const list = this.#values.get(name);
      if (list === undefined) this.#values.set(name, [value]);
      else list.push(value);
    }
  }

  /** Whether any of `names` is present. */
  has(...names: string[]): boolean {
    return names.some((n) => this.#values.has(n));
  }

  /**
   * The value of the first of `names` present (aliases: `bw_ingress`, `bw-ingress`), or undefined.
   * @throws CaError EFAIL when a name is given twice or two aliases are both given.
   */
  raw(...names: string[]): string | undefined {
    const present = names.filter((n) => this.#values.has(n));
    if (present.length > 1) throw invalidParameter(present[0]!, `give one of ${present.join(", ")}, not both`);
    if (present.length === 0) return undefined;
    const values = this.#values.get(present[0]!)!;
    if (values.length > 1) throw invalidParameter(present[0]!, "given more than once");
    return values[0];
  }
}

/** Shows a refused value in a message: quoted, cut to 40 characters. */
function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

/**
 * An IPv4 address in dotted-quad form (no leading zeros).
 * @throws CaError EFAIL naming the parameter.
 */
export function parseIpv4(name: string, value: string): string {
  if (!IPV4.test(value)) throw invalidParameter(name, `expected an IPv4 address, got ${shown(value)}`);
  return value;
}

/**
 * A whole number in `min..max` written in decimal digits.
 * @throws CaError EFAIL naming the parameter.
 */
export function parseInteger(name: string, value: string, min: number, max: number): number {
  const n = INTEGER.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw invalidParameter(name, `expected an integer ${min} to ${max}, got ${shown(value)}`);
  return n;
}

/**
 * A decimal number in `min..max` (`1`, `0.5`, `2.`), as a number.
 * @throws CaError EFAIL naming the parameter.
 */
export function parseDecimal(name: string, value: string, min: number, max: number): number {
  const n = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw invalidParameter(name, `expected a number ${min} to ${max}, got ${shown(value)}`);
  return n;
}

/**
 * A boolean: `true` or `false` in any case (`True`, `FALSE`).
 * @throws CaError EFAIL naming the parameter.
 */
export function parseBoolean(name: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw invalidParameter(name, `expected true or false, got ${shown(value)}`);
}

/**
 * One of `choices` (lower case), matched in any case; returns the lower-case choice.
 * @throws CaError EFAIL naming the parameter.
 */
export function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  const lower = value.toLowerCase() as T;
  if (!choices.includes(lower))
    throw invalidParameter(name, `expected one of ${choices.join(", ")}, got ${shown(value)}`);
  return lower;
}

/**
 * A MAC address, six hex octets separated by `:` or `-` (octets of one digit allowed, as Python prints them), returned
 * in canonical lower-case `aa:bb:cc:dd:ee:ff` form.
 * @throws CaError EFAIL naming the parameter.
 */
export function parseMac(name: string, value: string): string {
  if (!MAC.test(value)) throw invalidParameter(name, `expected a MAC address aa:bb:cc:dd:ee:ff, got ${shown(value)}`);
  return value
    .split(/[:-]/)
    .map((o) => o.toLowerCase().padStart(2, "0"))
    .join(":");
}

/**
 * The value of a required parameter (an empty value counts as missing).
 * @throws CaError EFAIL naming the parameter.
 */
export function required(query: QueryParams, ...names: string[]): string {
  const value = query.raw(...names);
  if (value === undefined || value === "") throw invalidParameter(names[0]!, "missing (required parameter)");
  return value;
}
