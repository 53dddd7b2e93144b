/**
 * NetFlow (cflowd) version 8 export datagrams: router-based aggregation. A 28-byte header (the v5 header fields up to
 * the engine id, then the aggregation scheme, its version and 32 reserved bits) followed by records of the one scheme
 * the header names, all big-endian. Implements the version-8 export of spec/cflowd-flow-aggregation.txt (the
 * `aggregation` statement, `caida-compliant`); the record layouts are in `netflow-v8-schemes.ts` and
 * docs/netflow-v8.md.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import { checkNetflowSpan, putNetflowField } from "./netflow-v5.ts";
import { NETFLOW_V8_READERS, type NetflowV8RecordReader } from "./netflow-v8-readers.ts";
import {
  type NetflowV8Field,
  type NetflowV8Record,
  type NetflowV8MaskOrder,
  type NetflowV8RecordMap,
  type NetflowV8Scheme,
  type NetflowV8SchemeLayout,
  netflowV8Layout,
} from "./netflow-v8-schemes.ts";

export * from "./netflow-v8-schemes.ts";

/** The version number in the first two bytes of a v8 datagram. */
export const NETFLOW_V8_VERSION = 8;
/** Length of the v8 header, bytes. */
export const NETFLOW_V8_HEADER_LENGTH = 28;
/** The aggregation version routers send (`aggVersion`); decoding accepts any value and reports it. */
export const NETFLOW_V8_AGG_VERSION = 2;

/** The v8 header. Times are the exporter's: milliseconds of uptime and UNIX seconds/nanoseconds. */
export interface NetflowV8Header {
  /** Always 8. */
  version: 8;
  /** Number of records, at most the scheme's maximum. */
  count: number;
  /** Milliseconds since the exporter booted, uint32. */
  sysUptime: number;
  /** Export time, UNIX seconds, uint32. */
  unixSecs: number;
  /** Residual nanoseconds of the export time, uint32. */
  unixNsecs: number;
  /** Sequence counter of flows exported for this aggregation: the next datagram's is this plus `count` (mod 2^32). */
  flowSequence: number;
  /** Type of flow-switching engine, uint8. */
  engineType: number;
  /** Slot number of the flow-switching engine, uint8. */
  engineId: number;
  /** Aggregation scheme, 1..14. */
  aggregation: NetflowV8Scheme;
  /** Version of the aggregation export, uint8 (routers send 2). */
  aggVersion: number;
  /** The 32 reserved bits, reported as read. */
  reserved: number;
}

/**
 * A decoded v8 datagram of scheme `S` (any scheme by default; narrow with {@link isNetflowV8Datagram}). `padding`
 * counts the bytes after the last record.
 */
export interface NetflowV8Datagram<S extends NetflowV8Scheme = NetflowV8Scheme> {
  header: NetflowV8Header & { aggregation: S };
  records: NetflowV8RecordMap[S][];
  /** Trailing bytes after the last record; the encoder writes this many zero bytes. */
  padding: number;
}

/** Options of the v8 codec. */
export interface NetflowV8Options {
  /** Mask byte order of schemes 5, 13 and 14 (default `"default"`: source mask first). */
  maskOrder?: NetflowV8MaskOrder;
}

/** Whether `datagram` carries records of `scheme` (narrows its record type). */
export function isNetflowV8Datagram<S extends NetflowV8Scheme>(
  datagram: NetflowV8Datagram,
  scheme: S,
): datagram is NetflowV8Datagram<S> {
  return datagram.header.aggregation === scheme;
}

function fieldsFor(layout: NetflowV8SchemeLayout, options: NetflowV8Options | undefined): readonly NetflowV8Field[] {
  const order = options?.maskOrder ?? "default";
  if (order !== "default" && order !== "caida") {
    throw new InvalidFieldError("ERR_NETFLOW_OPTION", `unknown NetFlow v8 mask order ${JSON.stringify(order)}`, 0);
  }
  return order === "caida" ? layout.caidaFields : layout.fields;
}

/**
 * Validates a v8 header at `offset` (version, known scheme, count maximum, count against `length`) and returns the
 * scheme layout.
 * @throws TruncatedError `ERR_NETFLOW_TRUNCATED`; InvalidFieldError `ERR_NETFLOW_VERSION`, `ERR_NETFLOW_AGGREGATION`
 *   (scheme not 1..14), `ERR_NETFLOW_COUNT` (above the scheme's maximum), `ERR_NETFLOW_RANGE`.
 */
export function checkNetflowV8Header(
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
): NetflowV8SchemeLayout {
  checkNetflowSpan(bytes, offset, length);
  if (length < NETFLOW_V8_HEADER_LENGTH) {
    throw new TruncatedError("NetFlow v8 header", NETFLOW_V8_HEADER_LENGTH, length, offset, "ERR_NETFLOW_TRUNCATED");
  }
  const version = (bytes[offset] << 8) | bytes[offset + 1];
  if (version !== NETFLOW_V8_VERSION) {
    throw new InvalidFieldError("ERR_NETFLOW_VERSION", `NetFlow version ${version} where 8 was expected`, offset);
  }
  const scheme = bytes[offset + 22];
  const layout = netflowV8Layout(scheme);
  if (layout === undefined) {
    throw new InvalidFieldError(
      "ERR_NETFLOW_AGGREGATION",
      `unknown NetFlow v8 aggregation scheme ${scheme}`,
      offset + 22,
    );
  }
  const count = (bytes[offset + 2] << 8) | bytes[offset + 3];
  const needed = NETFLOW_V8_HEADER_LENGTH + count * layout.recordLength;
  if (count > layout.maxRecords) {
    throw new InvalidFieldError(
      "ERR_NETFLOW_COUNT",
      `NetFlow v8 ${layout.name} count ${count} exceeds the maximum of ${layout.maxRecords} records` +
        ` (it would need ${needed} bytes, ${length} present)`,
      offset + 2,
    );
  }
  if (needed > length) {
    const what = `NetFlow v8 ${layout.name} datagram of ${count} records`;
    throw new TruncatedError(what, needed, length, offset, "ERR_NETFLOW_TRUNCATED");
  }
  return layout;
}

function readHeader(v: DataView, p: number): NetflowV8Header {
  return {
    version: 8,
    count: v.getUint16(p + 2),
    sysUptime: v.getUint32(p + 4),
    unixSecs: v.getUint32(p + 8),
    unixNsecs: v.getUint32(p + 12),
    flowSequence: v.getUint32(p + 16),
    engineType: v.getUint8(p + 20),
    engineId: v.getUint8(p + 21),
    aggregation: v.getUint8(p + 22) as NetflowV8Scheme,
    aggVersion: v.getUint8(p + 23),
    reserved: v.getUint32(p + 24),
  };
}

/**
 * Decodes one v8 datagram occupying `length` bytes at `offset` of `bytes`, with the mask order of `options` for
 * schemes 5, 13 and 14. Bytes after the last record are counted in `padding`.
 * @throws the errors of {@link checkNetflowV8Header}; InvalidFieldError `ERR_NETFLOW_OPTION` for a bad mask order.
 */
export function decodeNetflowV8(
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
  options?: NetflowV8Options,
): NetflowV8Datagram {
  const layout = checkNetflowV8Header(bytes, offset, length);
  const caida = fieldsFor(layout, options) === layout.fields ? 0 : 1;
  const read = NETFLOW_V8_READERS[layout.scheme] as NetflowV8RecordReader;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(view, offset);
  const records: NetflowV8Record[] = new Array(header.count);
  let p = offset + NETFLOW_V8_HEADER_LENGTH;
  for (let i = 0; i < header.count; i++, p += layout.recordLength) records[i] = read(view, p, caida);
  return { header, records, padding: length - (p - offset) };
}

/** Encoded length of a v8 datagram: 28 + record length x records + padding, bytes. */
export function netflowV8EncodingLength(datagram: NetflowV8Datagram): number {
  const layout = netflowV8Layout(datagram.header.aggregation);
  const recordLength = layout === undefined ? 0 : layout.recordLength;
  return NETFLOW_V8_HEADER_LENGTH + datagram.records.length * recordLength + (datagram.padding | 0);
}

const put = putNetflowField;

function writeHeader(out: DataView, p: number, h: NetflowV8Header, count: number): void {
  put(out, p, 2, NETFLOW_V8_VERSION, "version");
  put(out, p + 2, 2, count, "count");
  put(out, p + 4, 4, h.sysUptime, "sysUptime");
  put(out, p + 8, 4, h.unixSecs, "unixSecs");
  put(out, p + 12, 4, h.unixNsecs, "unixNsecs");
  put(out, p + 16, 4, h.flowSequence, "flowSequence");
  put(out, p + 20, 1, h.engineType, "engineType");
  put(out, p + 21, 1, h.engineId, "engineId");
  put(out, p + 22, 1, h.aggregation, "aggregation");
  put(out, p + 23, 1, h.aggVersion ?? NETFLOW_V8_AGG_VERSION, "aggVersion");
  put(out, p + 24, 4, h.reserved ?? 0, "reserved");
}

/**
 * Encodes a v8 datagram into `into` at `offset` (a new array of exactly the encoded length when `into` is omitted) and
 * returns the array written. The count is taken from `records.length`; every field of the scheme's layout must be
 * present; `padding` zero bytes follow the last record. `aggVersion` and `reserved` default to 2 and 0 when absent.
 * @throws InvalidFieldError `ERR_NETFLOW_AGGREGATION` (unknown scheme), `ERR_NETFLOW_COUNT` (above the scheme's
 *   maximum), `ERR_NETFLOW_FIELD` (missing or out-of-range value, at its offset), `ERR_NETFLOW_OPTION`; TruncatedError
 *   `ERR_NETFLOW_BUFFER` when `into` is too small.
 */
export function encodeNetflowV8(
  datagram: NetflowV8Datagram,
  into?: Uint8Array,
  offset = 0,
  options?: NetflowV8Options,
): Uint8Array {
  const { header, records } = datagram;
  const layout = netflowV8Layout(header.aggregation);
  if (layout === undefined) {
    const msg = `unknown NetFlow v8 aggregation scheme ${header.aggregation}`;
    throw new InvalidFieldError("ERR_NETFLOW_AGGREGATION", msg, offset + 22);
  }
  const fields = fieldsFor(layout, options);
  if (records.length > layout.maxRecords) {
    const msg = `cannot encode ${records.length} ${layout.name} records in one NetFlow v8 datagram (maximum ${layout.maxRecords})`;
    throw new InvalidFieldError("ERR_NETFLOW_COUNT", msg, offset);
  }
  const padding = datagram.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0) {
    throw new InvalidFieldError("ERR_NETFLOW_FIELD", `NetFlow padding ${padding} is not a byte count`, offset);
  }
  const length = NETFLOW_V8_HEADER_LENGTH + records.length * layout.recordLength + padding;
  const out = into ?? new Uint8Array(length);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new TruncatedError("NetFlow v8 output buffer", length, out.length - offset, offset, "ERR_NETFLOW_BUFFER");
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  writeHeader(view, offset, header, records.length);
  let p = offset + NETFLOW_V8_HEADER_LENGTH;
  for (let i = 0; i < records.length; i++, p += layout.recordLength) {
    const rec = records[i] as unknown as Record<string, number>;
    for (const f of fields) put(view, p + f.offset, f.size, rec[f.name], f.name);
  }
  out.fill(0, p, p + padding);
  return out;
}
