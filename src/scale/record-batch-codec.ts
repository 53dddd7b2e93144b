/**
 * The payload of one JetStream record message: a batch of collector records' per-flow fields (flow-collector.txt
 * Table 2, fields 5 to 16), binary and fixed-size so a writer decodes it without parsing text.
 *
 * Layout (big-endian): `"FLRB"`, version byte 1, three zero bytes, record count (u32), then per record
 * {@link RECORD_BATCH_RECORD_LENGTH} bytes: source and destination address (u32 each), packets and bytes (float64, exact
 * to 2^53), start and end time (u32 UNIX seconds), source and destination port (u16), tcp_flag and protocol (u8),
 * source and destination AS (u32).
 */
import { newCollectorFlowFields } from "../collector/receive/record-mapping.ts";
import type { CollectorFlowFields } from "../wire/collector-record.ts";
import { ScaleError } from "./scale-errors.ts";

/** Bytes before the first record. */
export const RECORD_BATCH_HEADER_LENGTH = 12;
/** Bytes per record. */
export const RECORD_BATCH_RECORD_LENGTH = 46;
const MAGIC = 0x464c5242; // "FLRB"

/** Encoded length of a batch of `count` records. */
export function recordBatchLength(count: number): number {
  return RECORD_BATCH_HEADER_LENGTH + count * RECORD_BATCH_RECORD_LENGTH;
}

/** Builds one batch in place: a buffer sized for `capacity` records, filled by {@link RecordBatchBuilder.add}. */
export class RecordBatchBuilder {
  readonly capacity: number;
  #buf: Buffer;
  #view: DataView;
  #count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#buf = Buffer.allocUnsafe(recordBatchLength(capacity));
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }

  /** Records added so far. */
  get count(): number {
    return this.#count;
  }

  /** Copies one record's fields in; false when the batch is full (nothing added). */
  add(f: CollectorFlowFields): boolean {
    if (this.#count >= this.capacity) return false;
    const v = this.#view;
    const p = RECORD_BATCH_HEADER_LENGTH + this.#count * RECORD_BATCH_RECORD_LENGTH;
    v.setUint32(p, f.sourceAddress >>> 0);
    v.setUint32(p + 4, f.destinationAddress >>> 0);
    v.setFloat64(p + 8, f.packets);
    v.setFloat64(p + 16, f.bytes);
    v.setUint32(p + 24, f.startTime >>> 0);
    v.setUint32(p + 28, f.endTime >>> 0);
    v.setUint16(p + 32, f.sourcePort);
    v.setUint16(p + 34, f.destinationPort);
    v.setUint8(p + 36, f.tcpFlag);
    v.setUint8(p + 37, f.protocol);
    v.setUint32(p + 38, f.srcAsNumber >>> 0);
    v.setUint32(p + 42, f.dstAsNumber >>> 0);
    this.#count++;
    return true;
  }

  /** The encoded batch (a copy sized to the records added); the builder starts empty again. */
  finish(): Uint8Array {
    const v = this.#view;
    v.setUint32(0, MAGIC);
    v.setUint32(4, 0x01000000);
    v.setUint32(8, this.#count);
    const out = Buffer.from(this.#buf.subarray(0, recordBatchLength(this.#count)));
    this.#count = 0;
    return out;
  }
}

/**
 * Calls `each` with every record of an encoded batch, in order, reusing one fields object (copy what you keep).
 * Returns the record count.
 * @throws ScaleError `ERR_SCALE_BATCH` for bytes that are not a version-1 batch or whose length disagrees with the count.
 */
export function forEachBatchRecord(bytes: Uint8Array, each: (f: CollectorFlowFields) => void): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < RECORD_BATCH_HEADER_LENGTH || v.getUint32(0) !== MAGIC || v.getUint8(4) !== 1) {
    throw new ScaleError("ERR_SCALE_BATCH", "not a flowlens record batch (version 1)");
  }
  const count = v.getUint32(8);
  if (bytes.length !== recordBatchLength(count)) {
    throw new ScaleError("ERR_SCALE_BATCH", `record batch of ${bytes.length} bytes does not hold ${count} records`);
  }
  const f = newCollectorFlowFields();
  for (let i = 0; i < count; i++) {
    const p = RECORD_BATCH_HEADER_LENGTH + i * RECORD_BATCH_RECORD_LENGTH;
    f.sourceAddress = v.getUint32(p);
    f.destinationAddress = v.getUint32(p + 4);
    f.packets = v.getFloat64(p + 8);
    f.bytes = v.getFloat64(p + 16);
    f.startTime = v.getUint32(p + 24);
    f.endTime = v.getUint32(p + 28);
    f.sourcePort = v.getUint16(p + 32);
    f.destinationPort = v.getUint16(p + 34);
    f.tcpFlag = v.getUint8(p + 36);
    f.protocol = v.getUint8(p + 37);
    f.srcAsNumber = v.getUint32(p + 38);
    f.dstAsNumber = v.getUint32(p + 42);
    each(f);
  }
  return count;
}

/** The record count of an encoded batch without decoding it (0 for bytes that are not a batch). */
export function batchRecordCount(bytes: Uint8Array): number {
  if (bytes.length < RECORD_BATCH_HEADER_LENGTH) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8);
}
