/**
 * Durations as operators write them in configuration: `"250ms"`, `"30s"`, `"120m"`, `"1h30m"`, `"2d"`, parsed to whole
 * milliseconds and formatted back. Grammar: one or more `<number><unit>` parts, units `d`, `h`, `m`, `s`, `ms`, each used
 * at most once and largest first, no spaces; a number may have a decimal fraction (`"1.5h"`) as long as the total is a
 * whole number of milliseconds. `"0"` alone is accepted as zero. Range: 0 to `Number.MAX_SAFE_INTEGER` ms.
 */
import { z } from "zod";
import { DurationError } from "./errors.ts";

/** Milliseconds per duration unit, largest first (the order a duration string must follow). */
export const DURATION_UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

const PART = /(\d+)(?:\.(\d+))?(ms|d|h|m|s)/y;
const HINT = 'expected a number and a unit (ms, s, m, h, d), e.g. "30s" or "1h30m"';

/**
 * Parses a duration string to milliseconds (integer, 0 to `Number.MAX_SAFE_INTEGER`).
 * @throws DurationError when the text does not follow the grammar or the total is out of range or fractional.
 */
export function parseDuration(text: string): number {
  if (text === "0") return 0;
  let total = 0n;
  let pos = 0;
  let lastRank = -1;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (m === null) throw new DurationError(`invalid duration "${text}": ${HINT}`);
    const [, whole, frac = "", unit] = m;
    const rank = DURATION_UNITS.findIndex(([u]) => u === unit);
    if (rank <= lastRank) throw new DurationError(`invalid duration "${text}": units must be largest first, each once`);
    lastRank = rank;
    const factor = BigInt(DURATION_UNITS[rank]![1]);
    const scale = 10n ** BigInt(frac.length);
    const scaled = BigInt(whole!) * scale * factor + BigInt(frac || "0") * factor;
    if (scaled % scale !== 0n) {
      throw new DurationError(`invalid duration "${text}": not a whole number of milliseconds`);
    }
    total += scaled / scale;
    pos = PART.lastIndex;
  }
  if (pos === 0) throw new DurationError(`invalid duration "": ${HINT}`);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new DurationError(`duration "${text}" is too long`);
  return Number(total);
}

/**
 * Formats milliseconds as the shortest canonical duration string (`5400000` → `"1h30m"`, `0` → `"0s"`), which
 * {@link parseDuration} reads back to the same number.
 * @throws DurationError for a negative, fractional or unsafe integer.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new DurationError(`cannot format ${ms} as a duration: expected a whole number of milliseconds >= 0`);
  }
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of DURATION_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Bounds of a duration field, themselves written as duration strings (`{ min: "1s", max: "1h" }`), inclusive. */
export interface DurationBounds {
  readonly min?: string;
  readonly max?: string;
}

/**
 * A zod codec for a configuration field holding a duration: decodes a duration string to milliseconds (a number) and
 * encodes milliseconds back to the canonical string, so `--dump` prints `"1h30m"`, not `5400000`. A bare number is
 * rejected (its unit would be a guess). Bounds are checked on decode.
 */
export function durationSchema(bounds: DurationBounds = {}): z.ZodCodec<z.ZodString, z.ZodNumber> {
  const min = bounds.min === undefined ? 0 : parseDuration(bounds.min);
  const max = bounds.max === undefined ? Number.MAX_SAFE_INTEGER : parseDuration(bounds.max);
  return z.codec(z.string({ error: `expected a duration string, e.g. "30s" or "1h30m"` }), z.number().int().min(0), {
    decode: (text, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(text);
      } catch (e) {
        ctx.issues.push({ code: "custom", message: (e as Error).message, input: text });
        return z.NEVER;
      }
      if (ms < min || ms > max) {
        const bound = ms < min ? `at least ${formatDuration(min)}` : `at most ${formatDuration(max)}`;
        ctx.issues.push({ code: "custom", message: `duration "${text}" must be ${bound}`, input: text });
        return z.NEVER;
      }
      return ms;
    },
    encode: (ms) => formatDuration(ms),
  });
}
