/**
 * Byte sizes for buffer and memory settings: `"4MiB"`, `"512k"`, `"65536"`, parsed to whole bytes and formatted back.
 * Units (case matters only where noted): `B`; binary `KiB MiB GiB TiB` (powers of 1024); decimal `kB MB GB TB`
 * (powers of 1000); and the one-letter shorthands `k m g t` in either case, which are binary (`"512k"` = 524288), as in
 * most operating-system tools. A number without unit is bytes. A decimal fraction is allowed if the total is a whole
 * number of bytes (`"1.5KiB"` = 1536). Range: 0 to `Number.MAX_SAFE_INTEGER` bytes.
 */
import { z } from "zod";
import { SizeError } from "./errors.ts";

const KI = 1024;
/** Bytes per size unit, as accepted by {@link parseSize}. */
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  KiB: KI,
  MiB: KI ** 2,
  GiB: KI ** 3,
  TiB: KI ** 4,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  k: KI,
  K: KI,
  m: KI ** 2,
  M: KI ** 2,
  g: KI ** 3,
  G: KI ** 3,
  t: KI ** 4,
  T: KI ** 4,
};

const FORMAT_UNITS: readonly (readonly [string, number])[] = [
  ["TiB", KI ** 4],
  ["GiB", KI ** 3],
  ["MiB", KI ** 2],
  ["KiB", KI],
];

const SIZE = /^(\d+)(?:\.(\d+))?([A-Za-z]*)$/;
const HINT = 'expected a number and an optional unit (B, KiB, MiB, GiB, kB, MB, GB, k, m, g), e.g. "4MiB" or "512k"';

/**
 * Parses a byte size to a whole number of bytes (0 to `Number.MAX_SAFE_INTEGER`).
 * @throws SizeError when the text does not parse, the unit is unknown, or the total is fractional or too large.
 */
export function parseSize(text: string): number {
  const m = SIZE.exec(text);
  const factor = m === null ? undefined : SIZE_UNITS[m[3]!];
  if (m === null || factor === undefined) throw new SizeError(`invalid size "${text}": ${HINT}`);
  const frac = m[2] ?? "";
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(m[1]!) * scale * BigInt(factor) + BigInt(frac || "0") * BigInt(factor);
  if (scaled % scale !== 0n) throw new SizeError(`invalid size "${text}": not a whole number of bytes`);
  const total = scaled / scale;
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new SizeError(`size "${text}" is too large`);
  return Number(total);
}

/**
 * Formats bytes with the largest binary unit that divides them exactly (`4194304` → `"4MiB"`), else as plain bytes
 * (`1000` → `"1000B"`); {@link parseSize} reads the result back to the same number.
 * @throws SizeError for a negative, fractional or unsafe integer.
 */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new SizeError(`cannot format ${bytes} as a size: expected a whole number of bytes >= 0`);
  }
  for (const [unit, size] of FORMAT_UNITS) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** Bounds of a size field, written as size strings (`{ min: "4KiB", max: "1GiB" }`), inclusive. */
export interface SizeBounds {
  readonly min?: string;
  readonly max?: string;
}

/**
 * A zod codec for a configuration field holding a byte size: decodes a size string, or a non-negative integer taken as
 * bytes, to a number of bytes; encodes back to the canonical string for `--dump`. Bounds are checked on decode.
 */
export function sizeSchema(
  bounds: SizeBounds = {},
): z.ZodCodec<z.ZodUnion<readonly [z.ZodString, z.ZodNumber]>, z.ZodNumber> {
  const min = bounds.min === undefined ? 0 : parseSize(bounds.min);
  const max = bounds.max === undefined ? Number.MAX_SAFE_INTEGER : parseSize(bounds.max);
  const input = z.union([z.string(), z.number()], { error: `expected a size, e.g. "4MiB" or "512k"` });
  return z.codec(input, z.number().int().min(0), {
    decode: (value, ctx) => {
      let bytes: number;
      try {
        bytes = typeof value === "number" ? checkedBytes(value) : parseSize(value);
      } catch (e) {
        ctx.issues.push({ code: "custom", message: (e as Error).message, input: value });
        return z.NEVER;
      }
      if (bytes < min || bytes > max) {
        const bound = bytes < min ? `at least ${formatSize(min)}` : `at most ${formatSize(max)}`;
        ctx.issues.push({ code: "custom", message: `size ${JSON.stringify(value)} must be ${bound}`, input: value });
        return z.NEVER;
      }
      return bytes;
    },
    encode: (bytes) => formatSize(bytes),
  });
}

function checkedBytes(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new SizeError(`invalid size ${n}: expected a whole number of bytes`);
  return n;
}
