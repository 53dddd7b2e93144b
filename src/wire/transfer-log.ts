/**
 * The collector's transfer log (flow-collector.txt Table 1, "Flow Collector Interface Transfer Log Fields"): one line per
 * file transfer attempt,
 *
 * `fn="<file>":sz=<bytes>:nr=<records>:ts="YYYYMMDDhhmmss":sf=0|1:ul="<server URL>":rc=<FTP code>:er="<FTP text>":tt=<ms>`
 *
 * and the name of the log file itself, `<hostname>_<filename-prefix>_YYYYMMDD_hhmmss.tmp` while it is open, `.log` once
 * it is closed (same section, "temporary log file").
 *
 * Quoted values escape `\` as `\\`, `"` as `\"`, line feed, carriage return and tab as `\n`, `\r`, `\t`, and other
 * control characters (U+0000-U+001F, U+007F) as `\xHH`; everything else is written as is. The parser also accepts the
 * spec's examples as printed: blanks around `:` and `=`, and a separator `:` slipped inside a closing quote
 * (`ul="ftp://10.63.152.1/tmp/server1/:"rc=250`, read as the URL `ftp://10.63.152.1/tmp/server1/`).
 */
import { calendarTime, formatHms, formatYmd, parseYmdHms, type UtcOffsetOption } from "./calendar.ts";
import { InvalidFieldError } from "./errors.ts";

/** One transfer-log entry (Table 1). */
export interface TransferLogEntry {
  /** `fn`: name of the transferred file. */
  fileName: string;
  /** `sz`: file size, bytes (0 to 2^53 - 1). */
  fileSize: number;
  /** `nr`: number of flow records in the file (0 to 2^53 - 1). */
  recordCount: number;
  /** `ts`: time of the transfer, UNIX seconds (written as `YYYYMMDDhhmmss`, whole seconds). */
  timestamp: number;
  /** `sf`: success flag (`1` success, `0` failure). */
  success: boolean;
  /** `ul`: URL of the FTP server. */
  url: string;
  /** `rc`: FTP reply code, 0-999 (0 when no reply was received). */
  resultCode: number;
  /** `er`: FTP error text, empty on success. */
  errorText: string;
  /** `tt`: transfer time, milliseconds (0 to 2^53 - 1). */
  transferTimeMs: number;
}

const KEYS = ["fn", "sz", "nr", "ts", "sf", "ul", "rc", "er", "tt"] as const;
const QUOTED: ReadonlySet<string> = new Set(["fn", "ts", "ul", "er"]);

function syntaxError(message: string, offset: number): InvalidFieldError {
  return new InvalidFieldError("ERR_TRANSFER_LOG_SYNTAX", message, offset);
}

function fieldError(message: string, offset: number): InvalidFieldError {
  return new InvalidFieldError("ERR_TRANSFER_LOG_FIELD", message, offset);
}

/** Escapes a quoted value as this module documents (no surrounding quotes). */
export function escapeTransferLogValue(value: string): string {
  return value.replace(/[\\"\x00-\x1f\x7f]/g, (c) => {
    if (c === "\\" || c === '"') return `\\${c}`;
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

function checkCount(name: string, v: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < 0 || v > max) throw fieldError(`transfer log ${name} out of range: ${v}`, 0);
  return v;
}

/**
 * Formats one entry as its log line, `\n` included.
 * @param options where `ts` is shown: UTC by default.
 * @throws InvalidFieldError `ERR_TRANSFER_LOG_FIELD` for a count out of range; `ERR_TIME_RANGE` for the timestamp.
 */
export function formatTransferLogLine(e: TransferLogEntry, options?: UtcOffsetOption): string {
  const t = calendarTime(e.timestamp, options);
  return (
    `fn="${escapeTransferLogValue(e.fileName)}":sz=${checkCount("sz", e.fileSize)}:` +
    `nr=${checkCount("nr", e.recordCount)}:ts="${formatYmd(t)}${formatHms(t)}":sf=${e.success ? 1 : 0}:` +
    `ul="${escapeTransferLogValue(e.url)}":rc=${checkCount("rc", e.resultCode, 999)}:` +
    `er="${escapeTransferLogValue(e.errorText)}":tt=${checkCount("tt", e.transferTimeMs)}\n`
  );
}

function skipBlanks(line: string, i: number, end: number): number {
  while (i < end && (line[i] === " " || line[i] === "\t")) i++;
  return i;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\", '"': '"', n: "\n", r: "\r", t: "\t" };

/** Reads a quoted value starting at the opening quote; returns the unescaped text and the index after the quote. */
function readQuoted(line: string, i: number, end: number, base: number): [string, number] {
  if (line[i] !== '"') throw syntaxError("expected '\"'", base + i);
  let out = "";
  for (let j = i + 1; j < end; j++) {
    const c = line[j];
    if (c === '"') return [out, j + 1];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = line[j + 1];
    if (e !== undefined && e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      j++;
    } else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(j + 2, j + 4))) {
      out += String.fromCharCode(Number.parseInt(line.slice(j + 2, j + 4), 16));
      j += 3;
    } else {
      throw syntaxError("bad escape in quoted value", base + j);
    }
  }
  throw syntaxError("unterminated quoted value", base + i);
}

function readDigits(line: string, i: number, end: number, base: number): [string, number] {
  const start = i;
  while (i < end && line[i] >= "0" && line[i] <= "9") i++;
  if (i === start) throw syntaxError("expected a decimal number", base + start);
  return [line.slice(start, i), i];
}

/** Splits a line into the raw values of the nine keys, in order, and the offset of each value. */
function readValues(line: string, end: number, base: number): { values: string[]; at: number[] } {
  const values: string[] = [];
  const at: number[] = [];
  let i = skipBlanks(line, 0, end);
  for (let k = 0; k < KEYS.length; k++) {
    const key = KEYS[k];
    if (!line.startsWith(key, i)) throw syntaxError(`expected ${key}=`, base + i);
    i = skipBlanks(line, i + key.length, end);
    if (line[i] !== "=") throw syntaxError(`expected '=' after ${key}`, base + i);
    i = skipBlanks(line, i + 1, end);
    at.push(base + i);
    let v: string;
    [v, i] = QUOTED.has(key) ? readQuoted(line, i, end, base) : readDigits(line, i, end, base);
    i = skipBlanks(line, i, end);
    const next = KEYS[k + 1];
    if (next === undefined) {
      if (i !== end) throw syntaxError("text after tt", base + i);
    } else if (line[i] === ":") {
      i = skipBlanks(line, i + 1, end);
    } else if (QUOTED.has(key) && v.endsWith(":") && line.startsWith(next, i)) {
      v = v.slice(0, -1); // the spec's `ul="…/:"rc=`: the separator slipped inside the quotes
    } else {
      throw syntaxError(`expected ':' before ${next}`, base + i);
    }
    values.push(v);
  }
  return { values, at };
}

function count(text: string, name: string, offset: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (n > max) throw fieldError(`transfer log ${name} out of range: ${text}`, offset);
  return n;
}

/**
 * Parses one transfer-log line (its `\n` or `\r\n` optional), the clean form or the spec's printed examples.
 * @param options how `ts` was written: UTC by default.
 * @param offset character offset of `line` in the caller's text, added to error offsets.
 * @throws InvalidFieldError `ERR_TRANSFER_LOG_SYNTAX` for a missing, misplaced or malformed key, quote or separator;
 *   `ERR_TRANSFER_LOG_FIELD` for a value out of range, an `sf` other than 0/1 or a `ts` that is no real time.
 */
export function parseTransferLogLine(line: string, options?: UtcOffsetOption, offset = 0): TransferLogEntry {
  let end = line.length;
  if (line[end - 1] === "\n") end--;
  if (line[end - 1] === "\r") end--;
  const { values: v, at } = readValues(line, end, offset);
  const ts = v[3];
  const timestamp = ts.length === 14 ? parseYmdHms(ts.slice(0, 8), ts.slice(8), options) : undefined;
  if (timestamp === undefined) throw fieldError(`transfer log ts is not YYYYMMDDhhmmss: ${ts}`, at[3]);
  if (v[4] !== "0" && v[4] !== "1") throw fieldError(`transfer log sf must be 0 or 1: ${v[4]}`, at[4]);
  return {
    fileName: v[0],
    fileSize: count(v[1], "sz", at[1]),
    recordCount: count(v[2], "nr", at[2]),
    timestamp,
    success: v[4] === "1",
    url: v[5],
    resultCode: count(v[6], "rc", at[6], 999),
    errorText: v[7],
    transferTimeMs: count(v[8], "tt", at[8]),
  };
}

/**
 * Parses a whole transfer-log file, one entry per line; blank lines are skipped.
 * @throws InvalidFieldError as {@link parseTransferLogLine}, with offsets into `text`.
 */
export function parseTransferLog(text: string, options?: UtcOffsetOption): TransferLogEntry[] {
  const out: TransferLogEntry[] = [];
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf("\n", start);
    if (nl < 0) nl = text.length;
    const line = text.slice(start, nl);
    if (line.trim() !== "") out.push(parseTransferLogLine(line, options, start));
    start = nl + 1;
  }
  return out;
}

/** The parts of a transfer-log file name. */
export interface TransferLogFileNameFields {
  /** Host name of the transfer server: non-empty, no `_`, `/` or control character. */
  hostname: string;
  /** The configured `filename-prefix`: non-empty, no `/` or control character. */
  prefix: string;
  /** Creation time, UNIX seconds. */
  time: number;
  /** `tmp` while the log is written, `log` once it is closed. */
  kind: "tmp" | "log";
}

const HOSTNAME_OK = /^[^_/\x00-\x1f\x7f]+$/;
const PREFIX_OK = /^[^/\x00-\x1f\x7f]+$/;
const LOG_NAME = /^([^_/]+)_([^/]+)_(\d{8})_(\d{6})\.(tmp|log)$/;

/**
 * `<hostname>_<prefix>_YYYYMMDD_hhmmss.tmp` or `.log`.
 * @throws InvalidFieldError `ERR_TRANSFER_LOG_NAME` for a hostname or prefix that cannot be read back;
 *   `ERR_TIME_RANGE` for the time.
 */
export function transferLogFileName(f: TransferLogFileNameFields, options?: UtcOffsetOption): string {
  if (!HOSTNAME_OK.test(f.hostname) || !PREFIX_OK.test(f.prefix) || (f.kind !== "tmp" && f.kind !== "log")) {
    throw new InvalidFieldError(
      "ERR_TRANSFER_LOG_NAME",
      `invalid transfer log name part: ${f.hostname} ${f.prefix}`,
      0,
    );
  }
  const t = calendarTime(f.time, options);
  return `${f.hostname}_${f.prefix}_${formatYmd(t)}_${formatHms(t)}.${f.kind}`;
}

/**
 * Reads a transfer-log file name back: the hostname ends at the first `_`, the prefix at the last `_YYYYMMDD_`.
 * @throws InvalidFieldError `ERR_TRANSFER_LOG_NAME` when the name has another shape or no real date and time.
 */
export function parseTransferLogFileName(name: string, options?: UtcOffsetOption): TransferLogFileNameFields {
  const m = LOG_NAME.exec(name);
  const time = m === null ? undefined : parseYmdHms(m[3], m[4], options);
  if (m === null || time === undefined) {
    throw new InvalidFieldError("ERR_TRANSFER_LOG_NAME", `not a transfer log file name: ${name}`, 0);
  }
  return { hostname: m[1], prefix: m[2], time, kind: m[5] as "tmp" | "log" };
}
