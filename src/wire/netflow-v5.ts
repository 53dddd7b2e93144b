/**
 * NetFlow (cflowd) version 5 export datagrams: a 24-byte header followed by up to 30 records of 48 bytes, all fields
 * big-endian. Implements spec/cflowd-v5-format.txt (Tables 15 and 16) and the Cisco NetFlow v5 export format the
 * cflowd collector reads; the 16-bit field after the engine id carries the sampling mode (2 bits) and interval (14 bits).
 *
 * Two ways to read: {@link decodeNetflowV5} here builds plain objects; `NetflowV5Cursor` (and
 * `forEachNetflowV5Record`) in `netflow-v5-cursor.ts` walks the records in place without allocating.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";

/** The version number in the first two bytes of a v5 datagram. */
export const NETFLOW_V5_VERSION = 5;
/** Length of the v5 header, bytes. */
export const NETFLOW_V5_HEADER_LENGTH = 24;
/** Length of one v5 flow record, bytes. */
export const NETFLOW_V5_RECORD_LENGTH = 48;
/** Maximum number of records in one v5 datagram (so at most 24 + 30 x 48 = 1464 bytes). */
export const NETFLOW_V5_MAX_RECORDS = 30;

/** The v5 header (spec Table 15). Times are the exporter's: milliseconds of uptime and UNIX seconds/nanoseconds. */
export interface NetflowV5Header {
  /** Always 5. */
  version: 5;
  /** Number of records in the datagram, 0..30. */
  count: number;
  /** Milliseconds since the exporter booted, uint32 (wraps after about 49.7 days). */
  sysUptime: number;
  /** Export time, seconds since 1970-01-01T00:00Z, uint32. */
  unixSecs: number;
  /** Residual nanoseconds of the export time, uint32 (normally below 1e9). */
  unixNsecs: number;
  /** Sequence number of total flows seen: the flowSequence of the next datagram is this plus `count` (mod 2^32). */
  flowSequence: number;
  /** Type of flow-switching engine, uint8 (user-configured on Junos; "VIP type" elsewhere). */
  engineType: number;
  /** Slot number of the flow-switching engine, uint8. */
  engineId: number;
  /** Sampling mode, the top 2 bits of the sampling field (0 none, 1 deterministic, 2 random). */
  samplingMode: number;
  /** Sampling interval, the low 14 bits of the sampling field (1 in N packets), read whatever the mode says. */
  samplingInterval: number;
}

/** One v5 flow record (spec Table 16). Addresses are uint32 (10.0.0.1 is 0x0a000001); times are uptime milliseconds. */
export interface NetflowV5Record {
  /** Source IPv4 address. */
  srcAddr: number;
  /** Destination IPv4 address. */
  dstAddr: number;
  /** IPv4 address of the next-hop router. */
  nextHop: number;
  /** SNMP ifIndex of the input interface, uint16. */
  input: number;
  /** SNMP ifIndex of the output interface, uint16. */
  output: number;
  /** Packets in the flow, uint32. */
  dPkts: number;
  /** Layer-3 bytes in the flow, uint32. */
  dOctets: number;
  /** sysUptime (ms) at the first packet of the flow, uint32. */
  first: number;
  /** sysUptime (ms) at the last packet of the flow, uint32. */
  last: number;
  /** Source port, uint16. */
  srcPort: number;
  /** Destination port, uint16; for ICMP the type in the high byte and the code in the low byte. */
  dstPort: number;
  /** Unused byte, reported as read. */
  pad1: number;
  /** Cumulative OR of the TCP flags, uint8. */
  tcpFlags: number;
  /** IP protocol number, uint8. */
  prot: number;
  /** IP type of service byte, uint8. */
  tos: number;
  /** Source AS (origin or peer), uint16. */
  srcAs: number;
  /** Destination AS (origin or peer), uint16. */
  dstAs: number;
  /** Source prefix mask length, 0..32 on the wire as uint8. */
  srcMask: number;
  /** Destination prefix mask length, uint8. */
  dstMask: number;
  /** Unused 16 bits, reported as read. */
  pad2: number;
}

/** A decoded v5 datagram. `padding` counts the bytes after the last record (allowed, e.g. to a minimum frame size). */
export interface NetflowV5Datagram {
  header: NetflowV5Header;
  records: NetflowV5Record[];
  /** Trailing bytes after the last record; the encoder writes this many zero bytes. */
  padding: number;
}

/**
 * Checks that `offset`/`length` describe bytes inside `bytes` and returns `length`. Shared by the NetFlow codecs.
 * @throws InvalidFieldError `ERR_NETFLOW_RANGE` for a negative or fractional offset or length,
 *   TruncatedError `ERR_NETFLOW_TRUNCATED` when `offset` or `offset + length` lies past the end of the buffer.
 */
export function checkNetflowSpan(bytes: Uint8Array, offset: number, length: number): number {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0) {
    throw new InvalidFieldError("ERR_NETFLOW_RANGE", `bad NetFlow offset/length: ${offset}/${length}`, 0);
  }
  if (offset > bytes.length || offset + length > bytes.length) {
    const available = Math.max(0, bytes.length - offset);
    throw new TruncatedError("NetFlow datagram", Math.max(0, length), available, offset, "ERR_NETFLOW_TRUNCATED");
  }
  if (length < 0) throw new InvalidFieldError("ERR_NETFLOW_RANGE", `negative NetFlow length ${length}`, offset);
  return length;
}

/**
 * Validates a v5 header at `offset` (version, count maximum, count against `length`) and returns the record count.
 * @throws TruncatedError `ERR_NETFLOW_TRUNCATED`, InvalidFieldError `ERR_NETFLOW_VERSION` or `ERR_NETFLOW_COUNT`.
 */
export function checkNetflowV5Header(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
  checkNetflowSpan(bytes, offset, length);
  if (length < NETFLOW_V5_HEADER_LENGTH) {
    throw new TruncatedError("NetFlow v5 header", NETFLOW_V5_HEADER_LENGTH, length, offset, "ERR_NETFLOW_TRUNCATED");
  }
  const version = (bytes[offset] << 8) | bytes[offset + 1];
  if (version !== NETFLOW_V5_VERSION) {
    throw new InvalidFieldError("ERR_NETFLOW_VERSION", `NetFlow version ${version} where 5 was expected`, offset);
  }
  const count = (bytes[offset + 2] << 8) | bytes[offset + 3];
  const needed = NETFLOW_V5_HEADER_LENGTH + count * NETFLOW_V5_RECORD_LENGTH;
  if (count > NETFLOW_V5_MAX_RECORDS) {
    throw new InvalidFieldError(
      "ERR_NETFLOW_COUNT",
      `NetFlow v5 count ${count} exceeds the maximum of ${NETFLOW_V5_MAX_RECORDS} records` +
        ` (it would need ${needed} bytes, ${length} present)`,
      offset + 2,
    );
  }
  if (needed > length) {
    throw new TruncatedError(
      `NetFlow v5 datagram of ${count} records`,
      needed,
      length,
      offset,
      "ERR_NETFLOW_TRUNCATED",
    );
  }
  return count;
}

/** Reads the 48-byte record at byte `p` of `v` (bounds checked by the caller); every record gets one object shape. */
export function readNetflowV5Record(v: DataView, p: number): NetflowV5Record {
  return {
    srcAddr: v.getUint32(p),
    dstAddr: v.getUint32(p + 4),
    nextHop: v.getUint32(p + 8),
    input: v.getUint16(p + 12),
    output: v.getUint16(p + 14),
    dPkts: v.getUint32(p + 16),
    dOctets: v.getUint32(p + 20),
    first: v.getUint32(p + 24),
    last: v.getUint32(p + 28),
    srcPort: v.getUint16(p + 32),
    dstPort: v.getUint16(p + 34),
    pad1: v.getUint8(p + 36),
    tcpFlags: v.getUint8(p + 37),
    prot: v.getUint8(p + 38),
    tos: v.getUint8(p + 39),
    srcAs: v.getUint16(p + 40),
    dstAs: v.getUint16(p + 42),
    srcMask: v.getUint8(p + 44),
    dstMask: v.getUint8(p + 45),
    pad2: v.getUint16(p + 46),
  };
}

/** Reads the 24-byte header at byte `p` of `v` (bounds checked by the caller). */
export function readNetflowV5Header(v: DataView, p: number): NetflowV5Header {
  const sampling = v.getUint16(p + 22);
  return {
    version: 5,
    count: v.getUint16(p + 2),
    sysUptime: v.getUint32(p + 4),
    unixSecs: v.getUint32(p + 8),
    unixNsecs: v.getUint32(p + 12),
    flowSequence: v.getUint32(p + 16),
    engineType: v.getUint8(p + 20),
    engineId: v.getUint8(p + 21),
    samplingMode: sampling >>> 14,
    samplingInterval: sampling & 0x3fff,
  };
}

/**
 * Decodes one v5 datagram occupying `length` bytes at `offset` of `bytes`. Bytes after the last record are counted
 * in `padding`.
 * @throws TruncatedError `ERR_NETFLOW_TRUNCATED` when the header or the declared records do not fit in `length`;
 *   InvalidFieldError `ERR_NETFLOW_VERSION` (not 5), `ERR_NETFLOW_COUNT` (count above 30), `ERR_NETFLOW_RANGE`.
 */
export function decodeNetflowV5(bytes: Uint8Array, offset = 0, length = bytes.length - offset): NetflowV5Datagram {
  const count = checkNetflowV5Header(bytes, offset, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readNetflowV5Header(view, offset);
  const records: NetflowV5Record[] = new Array(count);
  let p = offset + NETFLOW_V5_HEADER_LENGTH;
  for (let i = 0; i < count; i++, p += NETFLOW_V5_RECORD_LENGTH) records[i] = readNetflowV5Record(view, p);
  return { header, records, padding: length - (p - offset) };
}

/** Encoded length of a datagram: 24 + 48 x records + padding, bytes. */
export function netflowV5EncodingLength(datagram: NetflowV5Datagram): number {
  return NETFLOW_V5_HEADER_LENGTH + datagram.records.length * NETFLOW_V5_RECORD_LENGTH + (datagram.padding | 0);
}

function badField(name: string, v: number, at: number, size: number): never {
  const max = 2 ** (8 * size) - 1;
  throw new InvalidFieldError("ERR_NETFLOW_FIELD", `NetFlow field ${name} = ${v} is not an integer 0..${max}`, at);
}

function putU32(out: DataView, at: number, v: number, name: string): void {
  if (v >>> 0 !== v) badField(name, v, at, 4);
  out.setUint32(at, v);
}

function putU16(out: DataView, at: number, v: number, name: string): void {
  if ((v & 0xffff) !== v) badField(name, v, at, 2);
  out.setUint16(at, v);
}

function putU8(out: DataView, at: number, v: number, name: string): void {
  if ((v & 0xff) !== v) badField(name, v, at, 1);
  out.setUint8(at, v);
}

/**
 * Writes `v` big-endian as an unsigned integer of `size` bytes (1, 2 or 4) at byte `at` of `out`, after checking that
 * it is an integer in range. Shared by the NetFlow encoders.
 * @throws InvalidFieldError `ERR_NETFLOW_FIELD` (offset `at`) naming the field for anything else (NaN, negative,
 *   fractional, too large, not a number).
 */
export function putNetflowField(out: DataView, at: number, size: 1 | 2 | 4, v: number, name: string): void {
  if (size === 4) putU32(out, at, v, name);
  else if (size === 2) putU16(out, at, v, name);
  else putU8(out, at, v, name);
}

function writeHeader(out: DataView, p: number, h: NetflowV5Header, count: number): void {
  putU16(out, p, NETFLOW_V5_VERSION, "version");
  putU16(out, p + 2, count, "count");
  putU32(out, p + 4, h.sysUptime, "sysUptime");
  putU32(out, p + 8, h.unixSecs, "unixSecs");
  putU32(out, p + 12, h.unixNsecs, "unixNsecs");
  putU32(out, p + 16, h.flowSequence, "flowSequence");
  putU8(out, p + 20, h.engineType, "engineType");
  putU8(out, p + 21, h.engineId, "engineId");
  if ((h.samplingMode & 3) !== h.samplingMode || (h.samplingInterval & 0x3fff) !== h.samplingInterval) {
    const what = `samplingMode ${h.samplingMode} (0..3) / samplingInterval ${h.samplingInterval} (0..16383)`;
    throw new InvalidFieldError("ERR_NETFLOW_FIELD", `NetFlow v5 ${what} out of range`, p + 22);
  }
  putU16(out, p + 22, (h.samplingMode << 14) | h.samplingInterval, "sampling");
}

function writeRecord(out: DataView, p: number, r: NetflowV5Record): void {
  putU32(out, p, r.srcAddr, "srcAddr");
  putU32(out, p + 4, r.dstAddr, "dstAddr");
  putU32(out, p + 8, r.nextHop, "nextHop");
  putU16(out, p + 12, r.input, "input");
  putU16(out, p + 14, r.output, "output");
  putU32(out, p + 16, r.dPkts, "dPkts");
  putU32(out, p + 20, r.dOctets, "dOctets");
  putU32(out, p + 24, r.first, "first");
  putU32(out, p + 28, r.last, "last");
  putU16(out, p + 32, r.srcPort, "srcPort");
  putU16(out, p + 34, r.dstPort, "dstPort");
  putU8(out, p + 36, r.pad1, "pad1");
  putU8(out, p + 37, r.tcpFlags, "tcpFlags");
  putU8(out, p + 38, r.prot, "prot");
  putU8(out, p + 39, r.tos, "tos");
  putU16(out, p + 40, r.srcAs, "srcAs");
  putU16(out, p + 42, r.dstAs, "dstAs");
  putU8(out, p + 44, r.srcMask, "srcMask");
  putU8(out, p + 45, r.dstMask, "dstMask");
  putU16(out, p + 46, r.pad2, "pad2");
}

/**
 * Encodes a v5 datagram into `into` at `offset` (a new array of exactly the encoded length when `into` is omitted) and
 * returns the array written. The header's count is taken from `records.length` (its `count` field is ignored) and
 * `padding` zero bytes follow the last record.
 * @throws InvalidFieldError `ERR_NETFLOW_COUNT` for more than 30 records, `ERR_NETFLOW_FIELD` for a value outside its
 *   field's range (offset of that field); TruncatedError `ERR_NETFLOW_BUFFER` when `into` is too small.
 */
export function encodeNetflowV5(datagram: NetflowV5Datagram, into?: Uint8Array, offset = 0): Uint8Array {
  const { header, records } = datagram;
  const padding = datagram.padding ?? 0;
  if (records.length > NETFLOW_V5_MAX_RECORDS) {
    const msg = `cannot encode ${records.length} records in one NetFlow v5 datagram (maximum ${NETFLOW_V5_MAX_RECORDS})`;
    throw new InvalidFieldError("ERR_NETFLOW_COUNT", msg, offset);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new InvalidFieldError("ERR_NETFLOW_FIELD", `NetFlow padding ${padding} is not a byte count`, offset);
  }
  const length = netflowV5EncodingLength(datagram);
  const out = into ?? new Uint8Array(length);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new TruncatedError("NetFlow v5 output buffer", length, out.length - offset, offset, "ERR_NETFLOW_BUFFER");
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, offset, header, records.length);
  let p = offset + NETFLOW_V5_HEADER_LENGTH;
  for (let i = 0; i < records.length; i++, p += NETFLOW_V5_RECORD_LENGTH) writeRecord(view, p, records[i]);
  out.fill(0, p, p + padding);
  return out;
}
