/**
 * Names of the collector's record files (flow-collector.txt, "show services flow-collector file":
 * `cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz`), built from a format of literal text and `%`-fields:
 *
 * | field | value |
 * | --- | --- |
 * | `%I` | analyzer ID (`py69Ni69`) |
 * | `%C` | export channel, decimal (`0`, `1`) |
 * | `%D` | date of the file's creation, `YYYYMMDD` |
 * | `%T` | time of the file's creation, `hhmmss` |
 * | `%N` | ifAlias, the interface name made file-safe (`so_3_0_0_0`, see {@link ifAliasFromName}) |
 * | `%S` | sequence number, decimal |
 * | `%A` | analyzer address, dotted quad |
 * | `%%` | a literal `%` |
 *
 * The default format {@link DEFAULT_COLLECTOR_FILE_NAME_FORMAT} is `cFlowd-%I-%C-%D_%T-%N.bcp.bi.gz`. Times are UNIX
 * seconds shown in UTC unless a UTC offset (minutes east of Greenwich) is passed in: this module never reads a clock or
 * a time zone database.
 */
import { InvalidFieldError } from "./errors.ts";
import { calendarTime, formatHms, formatYmd, parseYmdHms, type UtcOffsetOption } from "./calendar.ts";
import { ipv4FromString, ipv4ToString } from "./ipv4-address.ts";

/** The default collector file name format; reproduces the spec's `cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz`. */
export const DEFAULT_COLLECTOR_FILE_NAME_FORMAT = "cFlowd-%I-%C-%D_%T-%N.bcp.bi.gz";

/**
 * The file-safe ifAlias of an interface name: every character other than an ASCII letter, digit or `_` becomes `_`
 * (`so-3/0/0.0` → `so_3_0_0_0`, `at-4/0/0.4` → `at_4_0_0_4`).
 */
export function ifAliasFromName(interfaceName: string): string {
  return interfaceName.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The values a file name is built from. */
export interface CollectorFileNameFields {
  /** Analyzer ID (`%I`): non-empty, no `/`, no control character. */
  analyzerId: string;
  /** Export channel (`%C`), a non-negative integer (0 or 1 in the spec). */
  channel: number;
  /** Creation time (`%D`, `%T`), UNIX seconds. */
  time: number;
  /** ifAlias (`%N`): no `/`, no control character (see {@link ifAliasFromName}). */
  ifAlias: string;
  /** Sequence number (`%S`), a non-negative integer; required only when the format uses `%S`. */
  sequence?: number;
  /** Analyzer address (`%A`), unsigned 32-bit IPv4; required only when the format uses `%A`. */
  analyzerAddress?: number;
}

type Directive = "I" | "C" | "D" | "T" | "N" | "S" | "A";
type Piece = { literal: string } | { field: Directive };

const DIRECTIVE_PATTERN: Record<Directive, string> = {
  I: "[^/]+?",
  C: "\\d+",
  D: "\\d{8}",
  T: "\\d{6}",
  N: "[^/]*?",
  S: "\\d+",
  A: "\\d{1,3}(?:\\.\\d{1,3}){3}",
};

const SAFE_TEXT = /^[^/\x00-\x1f\x7f]*$/;

function nameError(message: string, offset = 0): InvalidFieldError {
  return new InvalidFieldError("ERR_COLLECTOR_FILE_NAME", message, offset);
}

function compilePieces(format: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      literal += format[i];
      continue;
    }
    const d = format[++i];
    if (d === "%") literal += "%";
    else if (d !== undefined && d in DIRECTIVE_PATTERN) {
      if (literal !== "") pieces.push({ literal });
      literal = "";
      pieces.push({ field: d as Directive });
    } else {
      throw new InvalidFieldError(
        "ERR_COLLECTOR_FILE_NAME_FORMAT",
        `unknown field %${d ?? ""} in file name format`,
        i - 1,
      );
    }
  }
  if (literal !== "") pieces.push({ literal });
  return pieces;
}

function fieldText(d: Directive, f: CollectorFileNameFields, options: UtcOffsetOption | undefined): string {
  const count = (name: string, v: number | undefined) => {
    if (v === undefined || !Number.isSafeInteger(v) || v < 0) throw nameError(`file name ${name} invalid: ${v}`);
    return String(v);
  };
  const text = (name: string, v: string, empty: boolean) => {
    if ((!empty && v === "") || !SAFE_TEXT.test(v)) throw nameError(`file name ${name} invalid: ${JSON.stringify(v)}`);
    return v;
  };
  switch (d) {
    case "I":
      return text("analyzerId", f.analyzerId, false);
    case "C":
      return count("channel", f.channel);
    case "D":
      return formatYmd(calendarTime(f.time, options));
    case "T":
      return formatHms(calendarTime(f.time, options));
    case "N":
      return text("ifAlias", f.ifAlias, true);
    case "S":
      return count("sequence", f.sequence);
    case "A":
      if (f.analyzerAddress === undefined || f.analyzerAddress >>> 0 !== f.analyzerAddress) {
        throw nameError(`file name analyzerAddress invalid: ${f.analyzerAddress}`);
      }
      return ipv4ToString(f.analyzerAddress);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A compiled file name format: builds names and reads them back. */
export class CollectorFileNameFormat {
  /** The format text this was compiled from. */
  readonly format: string;
  /** The `%`-fields the format uses, in order of first appearance. */
  readonly fields: readonly string[];
  private readonly pieces: readonly Piece[];
  private readonly pattern: RegExp;

  /**
   * @param format literal text and `%`-fields (see the module comment).
   * @throws InvalidFieldError `ERR_COLLECTOR_FILE_NAME_FORMAT` for an unknown `%`-field (offset of its `%`).
   */
  constructor(format: string = DEFAULT_COLLECTOR_FILE_NAME_FORMAT) {
    this.format = format;
    this.pieces = compilePieces(format);
    const seen: Directive[] = [];
    let source = "";
    for (const p of this.pieces) {
      if ("literal" in p) source += escapeRegExp(p.literal);
      else if (seen.includes(p.field)) source += `\\k<${p.field}>`;
      else {
        seen.push(p.field);
        source += `(?<${p.field}>${DIRECTIVE_PATTERN[p.field]})`;
      }
    }
    this.fields = seen.map((d) => `%${d}`);
    this.pattern = new RegExp(`^${source}$`, "d");
  }

  /**
   * Builds the file name of `fields`.
   * @throws InvalidFieldError `ERR_COLLECTOR_FILE_NAME` for a field the format needs that is missing or invalid,
   *   `ERR_TIME_RANGE` / `ERR_UTC_OFFSET` for the time.
   */
  name(fields: CollectorFileNameFields, options?: UtcOffsetOption): string {
    let out = "";
    for (const p of this.pieces) out += "literal" in p ? p.literal : fieldText(p.field, fields, options);
    return out;
  }

  /**
   * Reads a file name back into the fields its format holds (a field the format lacks is absent; with `%D` but no
   * `%T` the time is midnight).
   * @throws InvalidFieldError `ERR_COLLECTOR_FILE_NAME` when the name does not have the format's shape (offset 0) or a
   *   date, time, number or address in it is invalid (offset of that field).
   */
  parse(name: string, options?: UtcOffsetOption): Partial<CollectorFileNameFields> {
    const m = this.pattern.exec(name);
    if (m === null || m.groups === undefined) throw nameError(`not a file name of the form ${this.format}: ${name}`);
    const g = m.groups;
    const at = (d: Directive) => m.indices?.groups?.[d]?.[0] ?? 0;
    const out: Partial<CollectorFileNameFields> = {};
    if (g.I !== undefined) out.analyzerId = g.I;
    if (g.N !== undefined) out.ifAlias = g.N;
    if (g.C !== undefined) out.channel = safeCount(g.C, "channel", at("C"));
    if (g.S !== undefined) out.sequence = safeCount(g.S, "sequence", at("S"));
    if (g.A !== undefined) out.analyzerAddress = address(g.A, at("A"));
    if (g.D !== undefined) {
      const time = parseYmdHms(g.D, g.T ?? "000000", options);
      if (time === undefined) throw nameError(`no such date and time in file name: ${g.D} ${g.T ?? ""}`, at("D"));
      out.time = time;
    } else if (g.T !== undefined) {
      throw nameError("file name format has %T without %D", at("T"));
    }
    return out;
  }
}

function safeCount(text: string, name: string, offset: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw nameError(`file name ${name} too large: ${text}`, offset);
  return n;
}

function address(text: string, offset: number): number {
  try {
    return ipv4FromString(text);
  } catch {
    throw nameError(`file name analyzer address invalid: ${text}`, offset);
  }
}

const DEFAULT_FORMAT = new CollectorFileNameFormat();

/**
 * The default-form file name, `cFlowd-<analyzerId>-<channel>-YYYYMMDD_hhmmss-<ifAlias>.bcp.bi.gz`.
 * @throws InvalidFieldError as {@link CollectorFileNameFormat.name}.
 */
export function collectorFileName(fields: CollectorFileNameFields, options?: UtcOffsetOption): string {
  return DEFAULT_FORMAT.name(fields, options);
}

/**
 * Reads a default-form file name back. An analyzer ID or ifAlias holding `-` is read back correctly unless it holds a
 * whole `-<channel>-YYYYMMDD_hhmmss-` sequence itself (the first such sequence in the name is taken).
 * @throws InvalidFieldError as {@link CollectorFileNameFormat.parse}.
 */
export function parseCollectorFileName(name: string, options?: UtcOffsetOption): CollectorFileNameFields {
  return DEFAULT_FORMAT.parse(name, options) as CollectorFileNameFields;
}
