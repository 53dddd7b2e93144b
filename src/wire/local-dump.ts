/**
 * The exporter's local-dump log (cflowd-flow-aggregation.txt, "Debugging cflowd Flow Aggregation", `local-dump`): for
 * every exported packet, each record as a `v5 flow entry` block, then the packet's `cflowd header:` block. Every line
 * starts with the syslog time `Mmm dd hh:mm:ss` (RFC 3164 TIMESTAMP: a day below 10 is padded with a space,
 * `Jun  7`) and a space:
 *
 * ```
 * Jun 27 18:35:43 v5 flow entry
 * Jun 27 18:35:43 Src addr: 10.53.127.1
 * …
 * Jun 27 18:35:43 cflowd header:
 * Jun 27 18:35:43 Num-records: 42
 * ```
 *
 * TCP flags and TOS are lower-case hex with two digits (`0x10`, `0xc0`), everything else decimal, addresses dotted.
 *
 * flowlens adds a version 8 variant: a `v8 flow entry` block holding the fields of the packet's aggregation scheme
 * only ({@link LOCAL_DUMP_V8_SCHEMES}), in one fixed label order, and a header block that also holds
 * `Aggregation: <scheme number>` and `Agg version: <n>`.
 */
import { InvalidFieldError } from "./errors.ts";
import { calendarTime, type UtcOffsetOption, unixSecondsOf } from "./calendar.ts";
import { ipv4FromString, ipv4ToString } from "./ipv4-address.ts";

/** One NetFlow v5 record as dumped (cflowd-v5-format.txt Table 16). */
export interface LocalDumpV5Record {
  /** Source address, unsigned 32-bit IPv4. */
  srcAddr: number;
  /** Destination address, unsigned 32-bit IPv4. */
  dstAddr: number;
  /** Next-hop address, unsigned 32-bit IPv4. */
  nextHop: number;
  /** Input ifIndex, 0-65535. */
  input: number;
  /** Output ifIndex, 0-65535. */
  output: number;
  /** Packets in the flow, 32-bit. */
  dPkts: number;
  /** Bytes in the flow, 32-bit. */
  dOctets: number;
  /** Start of the flow as system up time, printed as given (the spec's example shows seconds), 32-bit. */
  first: number;
  /** End of the flow as system up time, printed as given, 32-bit. */
  last: number;
  /** Source port, 0-65535. */
  srcPort: number;
  /** Destination port, 0-65535. */
  dstPort: number;
  /** Cumulative TCP flags, 0-255. */
  tcpFlags: number;
  /** IP protocol number, 0-255. */
  prot: number;
  /** IP type of service, 0-255. */
  tos: number;
  /** Source AS, 0-65535. */
  srcAs: number;
  /** Destination AS, 0-65535. */
  dstAs: number;
  /** Source mask length, 0-255 (0-32 in practice). */
  srcMask: number;
  /** Destination mask length, 0-255. */
  dstMask: number;
}

/**
 * One NetFlow v8 aggregate as dumped: the counters every scheme has, and the key fields of its scheme (see
 * {@link LOCAL_DUMP_V8_SCHEMES}); fields the scheme does not hold are absent.
 */
export interface LocalDumpV8Record {
  /** Flows in the aggregate, 32-bit. */
  dFlows: number;
  /** Packets, 32-bit. */
  dPkts: number;
  /** Bytes, 32-bit. */
  dOctets: number;
  /** Start as system up time, 32-bit. */
  first: number;
  /** End as system up time, 32-bit. */
  last: number;
  /** Source prefix (address with the host bits clear), unsigned 32-bit IPv4. */
  srcPrefix?: number;
  /** Destination prefix, unsigned 32-bit IPv4. */
  dstPrefix?: number;
  /** Input ifIndex, 0-65535. */
  input?: number;
  /** Output ifIndex, 0-65535. */
  output?: number;
  /** Source port, 0-65535. */
  srcPort?: number;
  /** Destination port, 0-65535. */
  dstPort?: number;
  /** IP protocol number, 0-255. */
  prot?: number;
  /** Source AS, 0-65535. */
  srcAs?: number;
  /** Destination AS, 0-65535. */
  dstAs?: number;
  /** Source mask length, 0-255. */
  srcMask?: number;
  /** Destination mask length, 0-255. */
  dstMask?: number;
}

/** The header fields the dump shows (cflowd-v5-format.txt Table 15). */
export interface LocalDumpHeader {
  /** Number of records in the packet, 0-65535. */
  count: number;
  /** Export version (5 for a v5 dump, 8 for a v8 dump). */
  version: number;
  /** Flow sequence number, 32-bit. */
  flowSequence: number;
  /** Engine ID, 0-255. */
  engineId: number;
  /** Engine type, 0-255. */
  engineType: number;
}

/** A v8 packet's header: the v5 fields plus the aggregation scheme. */
export interface LocalDumpV8Header extends LocalDumpHeader {
  /** Aggregation scheme number, a key of {@link LOCAL_DUMP_V8_SCHEMES}. */
  aggregation: number;
  /** Aggregation version, 0-255 (2 for the schemes here). */
  aggVersion: number;
}

/** A syslog time stamp: no year, no zone. */
export interface SyslogTime {
  /** Month, 1-12. */
  month: number;
  /** Day of the month, 1-31. */
  day: number;
  /** Hour, 0-23. */
  hour: number;
  /** Minute, 0-59. */
  minute: number;
  /** Second, 0-59. */
  second: number;
}

/** One v5 packet read back from a dump. */
export interface LocalDumpV5Packet {
  version: 5;
  /** Time stamp of the packet's `cflowd header:` line. */
  time: SyslogTime;
  header: LocalDumpHeader;
  records: LocalDumpV5Record[];
}

/** One v8 packet read back from a dump. */
export interface LocalDumpV8Packet {
  version: 8;
  /** Time stamp of the packet's `cflowd header:` line. */
  time: SyslogTime;
  header: LocalDumpV8Header;
  records: LocalDumpV8Record[];
}

/** A packet read back from a dump. */
export type LocalDumpPacket = LocalDumpV5Packet | LocalDumpV8Packet;

type Kind = "addr" | "dec" | "hex";
interface FieldSpec {
  key: string;
  label: string;
  kind: Kind;
  max: number;
}

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffff_ffff;
const f = (key: string, label: string, kind: Kind, max: number): FieldSpec => ({ key, label, kind, max });

const V5_FIELDS: readonly FieldSpec[] = [
  f("srcAddr", "Src addr", "addr", U32),
  f("dstAddr", "Dst addr", "addr", U32),
  f("nextHop", "Nhop addr", "addr", U32),
  f("input", "Input interface", "dec", U16),
  f("output", "Output interface", "dec", U16),
  f("dPkts", "Pkts in flow", "dec", U32),
  f("dOctets", "Bytes in flow", "dec", U32),
  f("first", "Start time of flow", "dec", U32),
  f("last", "End time of flow", "dec", U32),
  f("srcPort", "Src port", "dec", U16),
  f("dstPort", "Dst port", "dec", U16),
  f("tcpFlags", "TCP flags", "hex", U8),
  f("prot", "IP proto num", "dec", U8),
  f("tos", "TOS", "hex", U8),
  f("srcAs", "Src AS", "dec", U16),
  f("dstAs", "Dst AS", "dec", U16),
  f("srcMask", "Src netmask len", "dec", U8),
  f("dstMask", "Dst netmask len", "dec", U8),
];

// Every v8 field in printed order; a scheme prints the subset it holds.
const V8_FIELDS: readonly FieldSpec[] = [
  f("srcPrefix", "Src prefix", "addr", U32),
  f("dstPrefix", "Dst prefix", "addr", U32),
  f("input", "Input interface", "dec", U16),
  f("output", "Output interface", "dec", U16),
  f("dFlows", "Flows", "dec", U32),
  f("dPkts", "Pkts in flow", "dec", U32),
  f("dOctets", "Bytes in flow", "dec", U32),
  f("first", "Start time of flow", "dec", U32),
  f("last", "End time of flow", "dec", U32),
  f("srcPort", "Src port", "dec", U16),
  f("dstPort", "Dst port", "dec", U16),
  f("prot", "IP proto num", "dec", U8),
  f("srcAs", "Src AS", "dec", U16),
  f("dstAs", "Dst AS", "dec", U16),
  f("srcMask", "Src netmask len", "dec", U8),
  f("dstMask", "Dst netmask len", "dec", U8),
];

const HEADER_FIELDS: readonly FieldSpec[] = [
  f("count", "Num-records", "dec", U16),
  f("version", "Version", "dec", U16),
  f("flowSequence", "Flow seq num", "dec", U32),
  f("engineId", "Engine id", "dec", U8),
  f("engineType", "Engine type", "dec", U8),
];

const V8_HEADER_FIELDS: readonly FieldSpec[] = [
  ...HEADER_FIELDS,
  f("aggregation", "Aggregation", "dec", U8),
  f("aggVersion", "Agg version", "dec", U8),
];

const COUNTERS = ["dFlows", "dPkts", "dOctets", "first", "last"];

/**
 * The v8 aggregation schemes (Cisco numbering; cflowd-flow-aggregation.txt names them) and the record fields each
 * holds: 1 autonomous-system, 2 protocol-port, 3 source-prefix, 4 destination-prefix, 5 source-destination-prefix.
 */
export const LOCAL_DUMP_V8_SCHEMES: Readonly<Record<number, readonly string[]>> = {
  1: [...COUNTERS, "srcAs", "dstAs", "input", "output"],
  2: [...COUNTERS, "prot", "srcPort", "dstPort"],
  3: [...COUNTERS, "srcPrefix", "srcMask", "srcAs", "input"],
  4: [...COUNTERS, "dstPrefix", "dstMask", "dstAs", "output"],
  5: [...COUNTERS, "srcPrefix", "dstPrefix", "srcMask", "dstMask", "srcAs", "dstAs", "input", "output"],
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function fieldError(message: string, offset = 0): InvalidFieldError {
  return new InvalidFieldError("ERR_LOCAL_DUMP_FIELD", message, offset);
}

function syntaxError(message: string, offset: number): InvalidFieldError {
  return new InvalidFieldError("ERR_LOCAL_DUMP_SYNTAX", message, offset);
}

/**
 * `Mmm dd hh:mm:ss` of `unixSeconds` in UTC or at a UTC offset (syslog writes local time: pass the offset in); a day
 * below 10 is padded with a space (`Jun  7 09:05:01`).
 * @throws InvalidFieldError `ERR_TIME_RANGE`, `ERR_UTC_OFFSET`.
 */
export function formatSyslogTime(unixSeconds: number, options?: UtcOffsetOption): string {
  const t = calendarTime(unixSeconds, options);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[t.month - 1]} ${String(t.day).padStart(2, " ")} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}`;
}

const SYSLOG_TIME = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 0-3]\d) ([0-2]\d):([0-5]\d):([0-5]\d)$/;

/**
 * Reads a 15-character syslog time (`Jun 27 18:35:43`, `Jun  7 …`; `Jun 07` also accepted).
 * @param offset character offset of `text` in the caller's input, reported in errors.
 * @throws InvalidFieldError `ERR_SYSLOG_TIME` when it is not such a time.
 */
export function parseSyslogTime(text: string, offset = 0): SyslogTime {
  const m = SYSLOG_TIME.exec(text);
  const t = m && {
    month: MONTHS.indexOf(m[1]) + 1,
    day: Number(m[2].trim()),
    hour: Number(m[3]),
    minute: Number(m[4]),
    second: Number(m[5]),
  };
  if (!t || t.day < 1 || t.day > 31 || t.hour > 23) {
    throw new InvalidFieldError("ERR_SYSLOG_TIME", `not a syslog time: ${JSON.stringify(text)}`, offset);
  }
  return t;
}

/**
 * UNIX seconds of a syslog time in the given year (syslog times carry none), in UTC or at a UTC offset; `undefined`
 * when the day does not exist in that year.
 */
export function syslogTimeToUnixSeconds(t: SyslogTime, year: number, options?: UtcOffsetOption): number | undefined {
  return unixSecondsOf({ year, ...t }, options);
}

function render(spec: FieldSpec, value: number | undefined): string {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value > spec.max) {
    throw fieldError(`local dump ${spec.key} out of range: ${value}`);
  }
  if (spec.kind === "addr") return ipv4ToString(value);
  if (spec.kind === "hex") return `0x${value.toString(16).padStart(2, "0")}`;
  return String(value);
}

function block(prefix: string, title: string, specs: readonly FieldSpec[], values: object): string {
  const v = values as Readonly<Record<string, number | undefined>>;
  let out = `${prefix}${title}\n`;
  for (const spec of specs) out += `${prefix}${spec.label}: ${render(spec, v[spec.key])}\n`;
  return out;
}

/**
 * The dump of one v5 packet: every record's `v5 flow entry` block, then the `cflowd header:` block, each line stamped
 * with `time` (UNIX seconds) as syslog shows it and ended by `\n`. The header is printed as given (its count is not
 * checked against the records).
 * @throws InvalidFieldError `ERR_LOCAL_DUMP_FIELD` for a value outside its field's range; `ERR_TIME_RANGE`.
 */
export function formatLocalDumpV5(
  header: LocalDumpHeader,
  records: readonly LocalDumpV5Record[],
  time: number,
  options?: UtcOffsetOption,
): string {
  const prefix = `${formatSyslogTime(time, options)} `;
  let out = "";
  for (const r of records) out += block(prefix, "v5 flow entry", V5_FIELDS, r);
  return out + block(prefix, "cflowd header:", HEADER_FIELDS, header);
}

function schemeFields(aggregation: number, offset = 0): readonly FieldSpec[] {
  const keys = LOCAL_DUMP_V8_SCHEMES[aggregation];
  if (keys === undefined) {
    throw new InvalidFieldError("ERR_LOCAL_DUMP_AGGREGATION", `unknown v8 aggregation scheme ${aggregation}`, offset);
  }
  return V8_FIELDS.filter((s) => keys.includes(s.key));
}

/**
 * The dump of one v8 packet: every aggregate's `v8 flow entry` block with the fields of `header.aggregation`, then the
 * `cflowd header:` block with `Aggregation:` and `Agg version:` added.
 * @throws InvalidFieldError `ERR_LOCAL_DUMP_AGGREGATION` for an unknown scheme, `ERR_LOCAL_DUMP_FIELD` for a field the
 *   scheme needs that is missing or out of range; `ERR_TIME_RANGE`.
 */
export function formatLocalDumpV8(
  header: LocalDumpV8Header,
  records: readonly LocalDumpV8Record[],
  time: number,
  options?: UtcOffsetOption,
): string {
  const specs = schemeFields(header.aggregation);
  const prefix = `${formatSyslogTime(time, options)} `;
  let out = "";
  for (const r of records) out += block(prefix, "v8 flow entry", specs, r);
  return out + block(prefix, "cflowd header:", V8_HEADER_FIELDS, header);
}

const byLabel = (specs: readonly FieldSpec[]) => new Map(specs.map((s) => [s.label, s]));
const V5_BY_LABEL = byLabel(V5_FIELDS);
const V8_BY_LABEL = byLabel(V8_FIELDS);
const HEADER_BY_LABEL = byLabel(V8_HEADER_FIELDS);

function parseValue(spec: FieldSpec, text: string, offset: number): number {
  if (spec.kind === "addr") {
    try {
      return ipv4FromString(text);
    } catch {
      throw fieldError(`local dump ${spec.label} is not an IPv4 address: ${JSON.stringify(text)}`, offset);
    }
  }
  const ok = spec.kind === "hex" ? /^0x[0-9a-fA-F]{1,2}$/.test(text) : /^\d{1,10}$/.test(text);
  const n = ok ? Number(text) : Number.NaN;
  if (!(n <= spec.max)) throw fieldError(`local dump ${spec.label} invalid: ${JSON.stringify(text)}`, offset);
  return n;
}

type BlockKind = "v5" | "v8" | "header";
interface OpenBlock {
  kind: BlockKind;
  time: SyslogTime;
  offset: number;
  values: Record<string, number>;
}

/** Collects blocks line by line and closes each packet at its header. */
class DumpReader {
  readonly packets: LocalDumpPacket[] = [];
  private open: OpenBlock | undefined;
  private v5: LocalDumpV5Record[] = [];
  private v8: { record: LocalDumpV8Record; offset: number }[] = [];

  start(kind: BlockKind, time: SyslogTime, offset: number): void {
    this.close();
    if ((kind === "v5" && this.v8.length > 0) || (kind === "v8" && this.v5.length > 0)) {
      throw syntaxError("v5 and v8 entries in one packet", offset);
    }
    this.open = { kind, time, offset, values: {} };
  }

  field(label: string, value: string, labelOffset: number, valueOffset: number): void {
    const b = this.open;
    if (b === undefined) throw syntaxError("field line outside an entry or header block", labelOffset);
    const table = b.kind === "v5" ? V5_BY_LABEL : b.kind === "v8" ? V8_BY_LABEL : HEADER_BY_LABEL;
    const spec = table.get(label);
    if (spec === undefined)
      throw syntaxError(`unknown label in ${b.kind} block: ${JSON.stringify(label)}`, labelOffset);
    if (spec.key in b.values) throw syntaxError(`repeated label: ${label}`, labelOffset);
    b.values[spec.key] = parseValue(spec, value, valueOffset);
  }

  /** Ends the open block: an entry joins the packet's records, a header emits the packet. */
  close(): void {
    const b = this.open;
    this.open = undefined;
    if (b === undefined) return;
    if (b.kind === "v8") this.v8.push({ record: b.values as unknown as LocalDumpV8Record, offset: b.offset });
    else if (b.kind === "v5") {
      requireKeys(b, V5_FIELDS);
      this.v5.push(b.values as unknown as LocalDumpV5Record);
    } else this.closeHeader(b);
  }

  private closeHeader(b: OpenBlock): void {
    const version = b.values.version;
    requireKeys(b, version === 8 ? V8_HEADER_FIELDS : HEADER_FIELDS);
    if (version === 8) {
      const specs = schemeFields(b.values.aggregation, b.offset);
      for (const { record, offset } of this.v8) {
        const keys = Object.keys(record);
        if (keys.length !== specs.length || specs.some((s) => !(s.key in record))) {
          throw fieldError(`v8 entry does not hold the fields of aggregation ${b.values.aggregation}`, offset);
        }
      }
      const header = b.values as unknown as LocalDumpV8Header;
      this.packets.push({ version: 8, time: b.time, header, records: this.v8.map((e) => e.record) });
    } else {
      if (version !== 5 || this.v8.length > 0 || "aggregation" in b.values || "aggVersion" in b.values) {
        throw new InvalidFieldError(
          "ERR_LOCAL_DUMP_VERSION",
          `header version ${version} does not fit its block`,
          b.offset,
        );
      }
      const header = b.values as unknown as LocalDumpHeader;
      this.packets.push({ version: 5, time: b.time, header, records: this.v5 });
    }
    this.v5 = [];
    this.v8 = [];
  }

  end(offset: number): void {
    this.close();
    if (this.v5.length > 0 || this.v8.length > 0) {
      throw new InvalidFieldError("ERR_LOCAL_DUMP_INCOMPLETE", "flow entries without their cflowd header", offset);
    }
  }
}

function requireKeys(b: OpenBlock, specs: readonly FieldSpec[]): void {
  const missing = specs.find((s) => !(s.key in b.values));
  if (missing !== undefined) throw syntaxError(`block lacks "${missing.label}:"`, b.offset);
}

const TITLES: Readonly<Record<string, BlockKind>> = {
  "v5 flow entry": "v5",
  "v8 flow entry": "v8",
  "cflowd header:": "header",
};

function readLine(reader: DumpReader, line: string, offset: number): void {
  if (line.length < 16 || line[15] !== " ") throw syntaxError("line does not start with a syslog time", offset);
  const time = parseSyslogTime(line.slice(0, 15), offset);
  const content = line.slice(16).trimEnd();
  const kind = TITLES[content];
  if (kind !== undefined) {
    reader.start(kind, time, offset);
    return;
  }
  const colon = content.indexOf(": ");
  if (colon < 0) throw syntaxError(`not a label and value: ${JSON.stringify(content)}`, offset + 16);
  reader.field(content.slice(0, colon), content.slice(colon + 2).trim(), offset + 16, offset + 18 + colon);
}

/**
 * Reads a local-dump log (v5 packets, v8 packets, or both, one after the other) back into packets. Blank lines and
 * trailing blanks are ignored; every other line must be a block title or a `Label: value` line of the open block.
 * @throws InvalidFieldError with a character offset: `ERR_SYSLOG_TIME`, `ERR_LOCAL_DUMP_SYNTAX` (unknown, repeated or
 *   missing label, field outside a block), `ERR_LOCAL_DUMP_FIELD` (bad value, v8 entry not matching its scheme),
 *   `ERR_LOCAL_DUMP_AGGREGATION`, `ERR_LOCAL_DUMP_VERSION`, `ERR_LOCAL_DUMP_INCOMPLETE` (entries after the last header).
 */
export function parseLocalDump(text: string): LocalDumpPacket[] {
  const reader = new DumpReader();
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf("\n", start);
    if (nl < 0) nl = text.length;
    const line = text.slice(start, nl).replace(/\r$/, "");
    if (line.trim() !== "") readLine(reader, line, start);
    start = nl + 1;
  }
  reader.end(text.length);
  return reader.packets;
}
