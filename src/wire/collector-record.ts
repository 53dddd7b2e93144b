/**
 * The collector record line (flow-collector.txt Table 2, "Flow Collector Interface File Fields in Order of Appearance"):
 * sixteen fields separated by `|`, one record per line, each line ended by `\n`:
 *
 * `linkDir|analyzer-address|analyzer-ID|ifAlias|source-address|destination-address|packets|bytes|start-time|end-time|`
 * `source-port|destination-port|tcp_flag|protocol|src_AS_number|dst_AS_number`
 *
 * e.g. `11799241612374557782|10.10.10.1|server1|at_4_0_0_4|192.168.10.100|10.0.0.1|8|3136|1077926402|1077926402|8224|12336|27|6|0|0`.
 * Numbers are unsigned decimal without leading zeros, addresses dotted quads, times UNIX seconds, `tcp_flag` and
 * `protocol` decimal. The first four fields are constant for one record file (one analyzer, one interface), so
 * {@link CollectorRecordEncoder} encodes them once.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import { ipv4FromString, ipv4ToString } from "./ipv4-address.ts";

/** Number of fields of a collector record line. */
export const COLLECTOR_RECORD_FIELD_COUNT = 16;
/** Largest linkDir, 2^64 - 1 (the field is a 64-bit unsigned number). */
export const LINK_DIR_MAX = 0xffff_ffff_ffff_ffffn;
const LINK_DIR_MAX_TEXT = LINK_DIR_MAX.toString();

/** The leading fields of a record, the same for every record of one file. */
export interface CollectorRecordPrefix {
  /** `linkDir`: 64-bit unsigned identifier, as a bigint or as canonical decimal text (no sign, no leading zero). */
  linkDir: bigint | string;
  /** `analyzer-address`: IPv4 address of the analyzer, unsigned 32-bit. */
  analyzerAddress: number;
  /** `analyzer-ID`: printable ASCII without `|`. */
  analyzerId: string;
  /** `ifAlias`: the interface identifier (see `ifAliasFromName`), printable ASCII without `|`. */
  ifAlias: string;
}

/** The per-flow fields of a record (Table 2, fields 5 to 16). */
export interface CollectorFlowFields {
  /** `source-address`, unsigned 32-bit IPv4. */
  sourceAddress: number;
  /** `destination-address`, unsigned 32-bit IPv4. */
  destinationAddress: number;
  /** `packets`: packet count, 0 to 2^53 - 1. */
  packets: number;
  /** `bytes`: byte count, 0 to 2^53 - 1. */
  bytes: number;
  /** `start-time`: UNIX seconds, 0 to 2^32 - 1. */
  startTime: number;
  /** `end-time`: UNIX seconds, 0 to 2^32 - 1. */
  endTime: number;
  /** `source-port`, 0-65535. */
  sourcePort: number;
  /** `destination-port`, 0-65535 (ICMP: type in the high byte, code in the low byte). */
  destinationPort: number;
  /** `tcp_flag`: cumulative TCP flags byte, 0-255. */
  tcpFlag: number;
  /** `protocol`: IP protocol number, 0-255. */
  protocol: number;
  /** `src_AS_number`, 0 to 2^32 - 1. */
  srcAsNumber: number;
  /** `dst_AS_number`, 0 to 2^32 - 1. */
  dstAsNumber: number;
}

/** One whole collector record. */
export interface CollectorRecord extends CollectorRecordPrefix, CollectorFlowFields {}

/** A record as parsed: linkDir is always a bigint. */
export interface ParsedCollectorRecord extends CollectorRecord {
  linkDir: bigint;
}

const TEXT_OK = /^[\x20-\x7b\x7d\x7e]*$/; // printable ASCII except `|` (0x7c)
const LINK_DIR_TEXT = /^(0|[1-9]\d{0,19})$/;

function fieldError(name: string, value: unknown, offset = 0): InvalidFieldError {
  return new InvalidFieldError("ERR_COLLECTOR_RECORD_FIELD", `collector record ${name} out of range: ${value}`, offset);
}

function linkDirText(linkDir: bigint | string): string {
  if (typeof linkDir === "bigint") {
    if (linkDir < 0n || linkDir > LINK_DIR_MAX) throw fieldError("linkDir", linkDir);
    return linkDir.toString();
  }
  // Same-length decimal strings compare like their numbers.
  if (!LINK_DIR_TEXT.test(linkDir) || (linkDir.length === 20 && linkDir > LINK_DIR_MAX_TEXT)) {
    throw fieldError("linkDir", linkDir);
  }
  return linkDir;
}

function checkPrefix(p: CollectorRecordPrefix): string {
  const link = linkDirText(p.linkDir);
  if (!isUint32(p.analyzerAddress)) throw fieldError("analyzerAddress", p.analyzerAddress);
  if (!TEXT_OK.test(p.analyzerId)) throw fieldError("analyzerId", JSON.stringify(p.analyzerId));
  if (!TEXT_OK.test(p.ifAlias)) throw fieldError("ifAlias", JSON.stringify(p.ifAlias));
  return link;
}

function isUint32(v: number): boolean {
  return v >>> 0 === v;
}

function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function checkFlow(r: CollectorFlowFields): void {
  if (!isUint32(r.sourceAddress)) throw fieldError("sourceAddress", r.sourceAddress);
  if (!isUint32(r.destinationAddress)) throw fieldError("destinationAddress", r.destinationAddress);
  if (!isCount(r.packets)) throw fieldError("packets", r.packets);
  if (!isCount(r.bytes)) throw fieldError("bytes", r.bytes);
  if (!isUint32(r.startTime)) throw fieldError("startTime", r.startTime);
  if (!isUint32(r.endTime)) throw fieldError("endTime", r.endTime);
  if ((r.sourcePort & 0xffff) !== r.sourcePort) throw fieldError("sourcePort", r.sourcePort);
  if ((r.destinationPort & 0xffff) !== r.destinationPort) throw fieldError("destinationPort", r.destinationPort);
  if ((r.tcpFlag & 0xff) !== r.tcpFlag) throw fieldError("tcpFlag", r.tcpFlag);
  if ((r.protocol & 0xff) !== r.protocol) throw fieldError("protocol", r.protocol);
  if (!isUint32(r.srcAsNumber)) throw fieldError("srcAsNumber", r.srcAsNumber);
  if (!isUint32(r.dstAsNumber)) throw fieldError("dstAsNumber", r.dstAsNumber);
}

/**
 * Encodes one record as its line, `\n` included. For bulk output prefer {@link CollectorRecordEncoder}, which writes
 * bytes without building strings.
 * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD` for a value outside its range or text with `|` or a non-printable.
 */
export function encodeCollectorRecordLine(rec: CollectorRecord): string {
  const link = checkPrefix(rec);
  checkFlow(rec);
  return (
    `${link}|${ipv4ToString(rec.analyzerAddress)}|${rec.analyzerId}|${rec.ifAlias}|` +
    `${ipv4ToString(rec.sourceAddress)}|${ipv4ToString(rec.destinationAddress)}|${rec.packets}|${rec.bytes}|` +
    `${rec.startTime}|${rec.endTime}|${rec.sourcePort}|${rec.destinationPort}|${rec.tcpFlag}|${rec.protocol}|` +
    `${rec.srcAsNumber}|${rec.dstAsNumber}\n`
  );
}

// Widest per-flow part: `|` + 2 addresses (15) + 2 counts (16 digits) + 2 times (10) + 2 ports (5) + 2 bytes (3)
// + 2 AS numbers (10), 12 separators, the newline.
const MAX_FLOW_PART = 2 * 15 + 2 * 16 + 2 * 10 + 2 * 5 + 2 * 3 + 2 * 10 + 12 + 1;

// Decimal text of every octet 0-255: OCTETS[4n] is the length, OCTETS[4n+1..] the ASCII digits.
const OCTETS = new Uint8Array(256 * 4);
for (let n = 0; n < 256; n++) {
  const s = String(n);
  OCTETS[4 * n] = s.length;
  for (let i = 0; i < s.length; i++) OCTETS[4 * n + 1 + i] = s.charCodeAt(i);
}

function writeOctet(out: Uint8Array, pos: number, octet: number): number {
  const base = octet * 4;
  const len = OCTETS[base];
  out[pos] = OCTETS[base + 1];
  if (len > 1) out[pos + 1] = OCTETS[base + 2];
  if (len > 2) out[pos + 2] = OCTETS[base + 3];
  return pos + len;
}

function writeIpv4Text(out: Uint8Array, pos: number, addr: number): number {
  pos = writeOctet(out, pos, addr >>> 24);
  out[pos++] = 0x2e;
  pos = writeOctet(out, pos, (addr >>> 16) & 0xff);
  out[pos++] = 0x2e;
  pos = writeOctet(out, pos, (addr >>> 8) & 0xff);
  out[pos++] = 0x2e;
  return writeOctet(out, pos, addr & 0xff);
}

function decimalLength(v: number): number {
  if (v < 1e5) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  if (v < 1e10) return v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
  let len = 11;
  for (let t = 1e11; v >= t; t *= 10) len++;
  return len;
}

// "00".."99" as ASCII pairs: two digits per division.
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 0x30 + ((i / 10) | 0);
  DIGIT_PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/** Writes a non-negative safe integer as decimal digits; returns the offset after them. */
function writeDecimal(out: Uint8Array, pos: number, v: number): number {
  if (v < 10) {
    out[pos] = 0x30 + v;
    return pos + 1;
  }
  const end = pos + decimalLength(v);
  let p = end;
  while (v > 0x7fffffff) {
    const q = Math.floor(v / 100);
    const r = 2 * (v - q * 100);
    out[--p] = DIGIT_PAIRS[r + 1];
    out[--p] = DIGIT_PAIRS[r];
    v = q;
  }
  // Small-integer arithmetic from here on.
  while (v >= 100) {
    const q = (v / 100) | 0;
    const r = 2 * (v - q * 100);
    out[--p] = DIGIT_PAIRS[r + 1];
    out[--p] = DIGIT_PAIRS[r];
    v = q;
  }
  if (v >= 10) {
    out[--p] = DIGIT_PAIRS[2 * v + 1];
    out[--p] = DIGIT_PAIRS[2 * v];
  } else {
    out[--p] = 0x30 + v;
  }
  return end;
}

function asciiBytes(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  return b;
}

function writeFlowPart(out: Uint8Array, pos: number, r: CollectorFlowFields): number {
  out[pos++] = 0x7c;
  pos = writeIpv4Text(out, pos, r.sourceAddress);
  out[pos++] = 0x7c;
  pos = writeIpv4Text(out, pos, r.destinationAddress);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.packets);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.bytes);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.startTime);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.endTime);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.sourcePort);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.destinationPort);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.tcpFlag);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.protocol);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.srcAsNumber);
  out[pos++] = 0x7c;
  pos = writeDecimal(out, pos, r.dstAsNumber);
  out[pos++] = 0x0a;
  return pos;
}

/**
 * Writes collector record lines as ASCII bytes, for the collector's hot path: the four per-file fields are encoded
 * once (constructor, {@link setPrefix}), each record writes only its twelve flow fields, digit by digit, with no string
 * or per-record allocation. Either append to the encoder's own reusable buffer ({@link append}, {@link pending},
 * {@link clear}) or write into a caller's buffer ({@link encodeInto}). Output is byte-identical to
 * {@link encodeCollectorRecordLine}.
 */
export class CollectorRecordEncoder {
  private prefix: Uint8Array = new Uint8Array(0);
  private buffer: Uint8Array = new Uint8Array(0);
  private used = 0;
  private scratch: Uint8Array = new Uint8Array(0);
  private readonly capacity: number;

  /**
   * @param prefix the file's constant fields.
   * @param capacity size of the internal buffer, bytes (at least one longest line; default 64 KiB).
   * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD` for an invalid prefix.
   */
  constructor(prefix: CollectorRecordPrefix, capacity = 65536) {
    this.capacity = capacity;
    this.setPrefix(prefix);
  }

  /** Longest line (bytes, newline included) with the current prefix. */
  get maxLineLength(): number {
    return this.prefix.length + MAX_FLOW_PART;
  }

  /** Bytes appended since the last {@link clear}. */
  get length(): number {
    return this.used;
  }

  /**
   * Replaces the constant fields (for example a new linkDir); pending bytes are kept.
   * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD` for an invalid prefix.
   */
  setPrefix(prefix: CollectorRecordPrefix): void {
    const link = checkPrefix(prefix);
    this.prefix = asciiBytes(`${link}|${ipv4ToString(prefix.analyzerAddress)}|${prefix.analyzerId}|${prefix.ifAlias}`);
    const want = Math.max(this.capacity, this.maxLineLength);
    if (this.buffer.length < want) {
      const grown = new Uint8Array(want);
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    if (this.scratch.length < this.maxLineLength) this.scratch = new Uint8Array(this.maxLineLength);
  }

  /**
   * Appends one line to the internal buffer. Returns false, writing nothing, when fewer than {@link maxLineLength}
   * bytes are free: take {@link pending}, {@link clear}, and append again.
   * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD` for a value outside its range.
   */
  append(rec: CollectorFlowFields): boolean {
    if (this.buffer.length - this.used < this.maxLineLength) return false;
    checkFlow(rec);
    this.used = this.writeLine(rec, this.buffer, this.used);
    return true;
  }

  /** The bytes appended since the last {@link clear}: a view into the reused buffer, valid until the next clear. */
  pending(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }

  /** Forgets the appended bytes; the buffer is reused. */
  clear(): void {
    this.used = 0;
  }

  /**
   * Writes one line into `out` at `offset` and returns the offset after it.
   * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD` for a value outside its range.
   * @throws TruncatedError `ERR_COLLECTOR_RECORD_NO_ROOM` when the line does not fit (nothing is written).
   */
  encodeInto(rec: CollectorFlowFields, out: Uint8Array, offset: number): number {
    checkFlow(rec);
    if (out.length - offset >= this.maxLineLength) return this.writeLine(rec, out, offset);
    const len = this.writeLine(rec, this.scratch, 0);
    if (out.length - offset < len) {
      throw new TruncatedError(
        "collector record line",
        len,
        out.length - offset,
        offset,
        "ERR_COLLECTOR_RECORD_NO_ROOM",
      );
    }
    out.set(this.scratch.subarray(0, len), offset);
    return offset + len;
  }

  private writeLine(rec: CollectorFlowFields, out: Uint8Array, pos: number): number {
    // A byte loop beats TypedArray.set for a prefix of a few dozen bytes.
    const prefix = this.prefix;
    const n = prefix.length;
    for (let i = 0; i < n; i++) out[pos + i] = prefix[i];
    return writeFlowPart(out, pos + n, rec);
  }
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Bounds of a field with surrounding blanks removed (the spec's example has `8| 3136|`). */
function trimmed(line: string, start: number, stop: number): [number, number] {
  while (start < stop && isBlank(line.charCodeAt(start))) start++;
  while (stop > start && isBlank(line.charCodeAt(stop - 1))) stop--;
  return [start, stop];
}

function parseUnsigned(line: string, from: number, to: number, max: number, name: string, base: number): number {
  const [start, stop] = trimmed(line, from, to);
  if (start === stop) throw fieldError(name, '""', base + from);
  let v = 0;
  for (let i = start; i < stop; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) {
      throw new InvalidFieldError("ERR_COLLECTOR_RECORD_FIELD", `collector record ${name} is not a number`, base + i);
    }
    v = v * 10 + d;
  }
  if (v > max) throw fieldError(name, line.slice(start, stop), base + start);
  return v;
}

function parseAddress(line: string, from: number, to: number, name: string, base: number): number {
  const [start, stop] = trimmed(line, from, to);
  try {
    return ipv4FromString(line.slice(start, stop));
  } catch {
    throw new InvalidFieldError(
      "ERR_COLLECTOR_RECORD_FIELD",
      `collector record ${name} is not an IPv4 address`,
      base + start,
    );
  }
}

function parseLinkDir(line: string, from: number, to: number, base: number): bigint {
  const [start, stop] = trimmed(line, from, to);
  const text = line.slice(start, stop);
  if (!/^\d{1,20}$/.test(text) || BigInt(text) > LINK_DIR_MAX) throw fieldError("linkDir", text, base + start);
  return BigInt(text);
}

function parseText(line: string, from: number, to: number, name: string, base: number): string {
  const text = line.slice(from, to);
  if (!TEXT_OK.test(text)) {
    throw new InvalidFieldError(
      "ERR_COLLECTOR_RECORD_FIELD",
      `collector record ${name} has a non-printable`,
      base + from,
    );
  }
  return text;
}

/** Start offsets of the fields of `line[0..end)`, plus `end + 1` as a sentinel. */
function fieldStarts(line: string, end: number, base: number): number[] {
  const starts = [0];
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x7c) starts.push(i + 1);
    else if (c === 0x0a || c === 0x0d) {
      throw new InvalidFieldError("ERR_COLLECTOR_RECORD_LINE", "line break inside a collector record", base + i);
    }
  }
  if (starts.length !== COLLECTOR_RECORD_FIELD_COUNT) {
    throw new InvalidFieldError(
      "ERR_COLLECTOR_RECORD_FIELD_COUNT",
      `collector record has ${starts.length} fields, needs ${COLLECTOR_RECORD_FIELD_COUNT}`,
      base + (starts.length > COLLECTOR_RECORD_FIELD_COUNT ? starts[COLLECTOR_RECORD_FIELD_COUNT] - 1 : end),
    );
  }
  starts.push(end + 1);
  return starts;
}

/**
 * Parses one record line (its `\n` or `\r\n` optional). Blanks around numbers and addresses are tolerated (the spec's
 * example `8| 3136|`); the two text fields are kept verbatim.
 * @param offset character offset of `line` in the caller's text, added to error offsets.
 * @throws InvalidFieldError `ERR_COLLECTOR_RECORD_FIELD_COUNT` for other than 16 fields,
 *   `ERR_COLLECTOR_RECORD_FIELD` for a bad value (offset of that value), `ERR_COLLECTOR_RECORD_LINE` for a line break
 *   inside the line.
 */
export function parseCollectorRecordLine(line: string, offset = 0): ParsedCollectorRecord {
  let end = line.length;
  if (end > 0 && line.charCodeAt(end - 1) === 0x0a) end--;
  if (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
  const s = fieldStarts(line, end, offset);
  const num = (k: number, max: number, name: string) => parseUnsigned(line, s[k], s[k + 1] - 1, max, name, offset);
  const u32 = 0xffff_ffff;
  return {
    linkDir: parseLinkDir(line, s[0], s[1] - 1, offset),
    analyzerAddress: parseAddress(line, s[1], s[2] - 1, "analyzer-address", offset),
    analyzerId: parseText(line, s[2], s[3] - 1, "analyzer-ID", offset),
    ifAlias: parseText(line, s[3], s[4] - 1, "ifAlias", offset),
    sourceAddress: parseAddress(line, s[4], s[5] - 1, "source-address", offset),
    destinationAddress: parseAddress(line, s[5], s[6] - 1, "destination-address", offset),
    packets: num(6, Number.MAX_SAFE_INTEGER, "packets"),
    bytes: num(7, Number.MAX_SAFE_INTEGER, "bytes"),
    startTime: num(8, u32, "start-time"),
    endTime: num(9, u32, "end-time"),
    sourcePort: num(10, 0xffff, "source-port"),
    destinationPort: num(11, 0xffff, "destination-port"),
    tcpFlag: num(12, 0xff, "tcp_flag"),
    protocol: num(13, 0xff, "protocol"),
    srcAsNumber: num(14, u32, "src_AS_number"),
    dstAsNumber: num(15, u32, "dst_AS_number"),
  };
}

/**
 * Parses a whole record file's text, one record per line; the last line may lack its newline.
 * @param offset character offset of `text` in the caller's input, added to error offsets.
 * @throws InvalidFieldError as {@link parseCollectorRecordLine}, with offsets into `text` (an empty line has no fields).
 */
export function parseCollectorRecords(text: string, offset = 0): ParsedCollectorRecord[] {
  const out: ParsedCollectorRecord[] = [];
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf("\n", start);
    if (nl < 0) nl = text.length;
    out.push(parseCollectorRecordLine(text.slice(start, nl), offset + start));
    start = nl + 1;
  }
  return out;
}
