/**
 * How the analytics commands print values: times in UTC (never the local zone, so output is the same everywhere),
 * latencies in milliseconds, utilisations in percent, protocols by IANA name next to their number.
 */

/** The output levels of the show commands (Junos `terse | detail | extensive`). */
export type AnalyticsLevel = "terse" | "detail" | "extensive";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Epoch seconds as `2015-09-17 18:00:01 UTC`; with `usec`, `2015-09-17 18:00:01.003959 UTC`. */
export function utcTime(epochSeconds: number, usec?: number): string {
  const whole = Math.floor(epochSeconds);
  const d = new Date(whole * 1000);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const fraction = usec === undefined ? "" : `.${pad(usec, 6)}`;
  return `${date} ${time}${fraction} UTC`;
}

/** Epoch seconds with a fraction as `2015-09-17 18:00:01.250 UTC` (milliseconds). */
export function utcTimeMs(epochSeconds: number): string {
  const ms = Math.round(epochSeconds * 1000);
  const base = utcTime(Math.floor(ms / 1000)).replace(/ UTC$/, "");
  return `${base}.${pad(ms % 1000, 3)} UTC`;
}

/** Seconds as milliseconds with three decimals: `7.917 ms`. */
export function milliseconds(seconds: number): string {
  return `${(seconds * 1000).toFixed(3)} ms`;
}

/** A utilisation in percent with one decimal: `20.9%`. */
export function percent(value: number): string {
  return `${value.toFixed(1)}%`;
}

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { ICMP: 1, TCP: 6, UDP: 17 };
const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: "ICMP", 6: "TCP", 17: "UDP" };

/** A protocol name (any case) with its IANA number: `TCP (6)`; unknown names as given. */
export function protocolWithNumber(name: string): string {
  const upper = name.toUpperCase();
  const n = PROTOCOL_NUMBERS[upper];
  return n === undefined ? name : `${upper} (${n})`;
}

/** An IANA protocol number with its name: `TCP (6)`; unknown numbers alone. */
export function protocolOfNumber(n: number): string {
  const name = PROTOCOL_NAMES[n];
  return name === undefined ? String(n) : `${name} (${n})`;
}
