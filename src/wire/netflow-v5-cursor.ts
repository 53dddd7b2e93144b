/**
 * The zero-allocation reader of NetFlow v5 datagrams (spec/cflowd-v5-format.txt): a reusable cursor whose getters read
 * each field of the current record straight from the bytes, for the collector's hot path. Same layout and checks as
 * `decodeNetflowV5` in `netflow-v5.ts`.
 */
import {
  checkNetflowV5Header,
  NETFLOW_V5_HEADER_LENGTH,
  NETFLOW_V5_RECORD_LENGTH,
  type NetflowV5Header,
  type NetflowV5Record,
  readNetflowV5Header,
  readNetflowV5Record,
} from "./netflow-v5.ts";

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/**
 * A reusable, allocation-free view of one v5 datagram: {@link NetflowV5Cursor.reset} validates the header once, then
 * {@link NetflowV5Cursor.next} steps through the records and the getters read each field straight from the bytes of
 * the current record (nothing is copied, nothing is allocated per record). Header fields are readable at any time after
 * `reset`. The cursor keeps one DataView over the whole underlying ArrayBuffer and reuses it while datagrams come from
 * the same buffer (e.g. a file read into memory), so steady-state use allocates nothing at all. Read values, do not
 * keep the cursor: it is valid only until the next `reset` and while the bytes are unchanged. Same layout and checks
 * as `decodeNetflowV5` (spec/cflowd-v5-format.txt).
 *
 * ```ts
 * const c = new NetflowV5Cursor();
 * c.reset(bytes);
 * while (c.next()) total += c.dOctets;
 * ```
 */
export class NetflowV5Cursor implements Readonly<NetflowV5Record> {
  /** DataView over the whole ArrayBuffer of the current datagram; positions below are absolute in it. */
  private view: DataView = EMPTY_VIEW;
  /** Absolute position of the datagram header in `view`. */
  private base = 0;
  /** Absolute position of the current record in `view`. */
  private at = 0;
  /** Index of the current record, -1 before the first `next()`. */
  index = -1;
  /** Record count of the datagram (validated against the bytes present); 0 before `reset` or after a failed one. */
  count = 0;

  /**
   * Points the cursor at the datagram of `length` bytes at `offset` of `bytes` and validates its header exactly as
   * `decodeNetflowV5` does. Returns the record count. On error the cursor is left empty (count 0).
   */
  reset(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    this.count = 0;
    this.index = -1;
    const count = checkNetflowV5Header(bytes, offset, length);
    if (this.view.buffer !== bytes.buffer) this.view = new DataView(bytes.buffer);
    this.base = bytes.byteOffset + offset;
    this.at = this.base + NETFLOW_V5_HEADER_LENGTH - NETFLOW_V5_RECORD_LENGTH;
    this.count = count;
    return count;
  }

  /** Advances to the next record; returns false (and stays put) after the last one. */
  next(): boolean {
    if (this.index + 1 >= this.count) return false;
    this.index++;
    this.at += NETFLOW_V5_RECORD_LENGTH;
    return true;
  }

  /** Rewinds to before the first record. */
  rewind(): void {
    this.index = -1;
    this.at = this.base + NETFLOW_V5_HEADER_LENGTH - NETFLOW_V5_RECORD_LENGTH;
  }

  /** Copies the current record into a new plain object (for the few records worth keeping). */
  toRecord(): NetflowV5Record {
    return readNetflowV5Record(this.view, this.at);
  }

  /** Copies the header into a new plain object. */
  header(): NetflowV5Header {
    return readNetflowV5Header(this.view, this.base);
  }

  /** Header: uptime at export, ms. */
  get sysUptime(): number {
    return this.view.getUint32(this.base + 4);
  }
  /** Header: export time, UNIX seconds. */
  get unixSecs(): number {
    return this.view.getUint32(this.base + 8);
  }
  /** Header: residual nanoseconds of the export time. */
  get unixNsecs(): number {
    return this.view.getUint32(this.base + 12);
  }
  /** Header: flow sequence number. */
  get flowSequence(): number {
    return this.view.getUint32(this.base + 16);
  }
  /** Header: engine type. */
  get engineType(): number {
    return this.view.getUint8(this.base + 20);
  }
  /** Header: engine id. */
  get engineId(): number {
    return this.view.getUint8(this.base + 21);
  }
  /** Header: sampling mode (2 bits). */
  get samplingMode(): number {
    return this.view.getUint8(this.base + 22) >>> 6;
  }
  /** Header: sampling interval (14 bits). */
  get samplingInterval(): number {
    return this.view.getUint16(this.base + 22) & 0x3fff;
  }

  /** Current record: `srcAddr` (see `NetflowV5Record`). */
  get srcAddr(): number {
    return this.view.getUint32(this.at);
  }
  /** Current record: `dstAddr` (see `NetflowV5Record`). */
  get dstAddr(): number {
    return this.view.getUint32(this.at + 4);
  }
  /** Current record: `nextHop` (see `NetflowV5Record`). */
  get nextHop(): number {
    return this.view.getUint32(this.at + 8);
  }
  /** Current record: `input` (see `NetflowV5Record`). */
  get input(): number {
    return this.view.getUint16(this.at + 12);
  }
  /** Current record: `output` (see `NetflowV5Record`). */
  get output(): number {
    return this.view.getUint16(this.at + 14);
  }
  /** Current record: `dPkts` (see `NetflowV5Record`). */
  get dPkts(): number {
    return this.view.getUint32(this.at + 16);
  }
  /** Current record: `dOctets` (see `NetflowV5Record`). */
  get dOctets(): number {
    return this.view.getUint32(this.at + 20);
  }
  /** Current record: `first` (see `NetflowV5Record`). */
  get first(): number {
    return this.view.getUint32(this.at + 24);
  }
  /** Current record: `last` (see `NetflowV5Record`). */
  get last(): number {
    return this.view.getUint32(this.at + 28);
  }
  /** Current record: `srcPort` (see `NetflowV5Record`). */
  get srcPort(): number {
    return this.view.getUint16(this.at + 32);
  }
  /** Current record: `dstPort` (see `NetflowV5Record`). */
  get dstPort(): number {
    return this.view.getUint16(this.at + 34);
  }
  /** Current record: `pad1` (see `NetflowV5Record`). */
  get pad1(): number {
    return this.view.getUint8(this.at + 36);
  }
  /** Current record: `tcpFlags` (see `NetflowV5Record`). */
  get tcpFlags(): number {
    return this.view.getUint8(this.at + 37);
  }
  /** Current record: `prot` (see `NetflowV5Record`). */
  get prot(): number {
    return this.view.getUint8(this.at + 38);
  }
  /** Current record: `tos` (see `NetflowV5Record`). */
  get tos(): number {
    return this.view.getUint8(this.at + 39);
  }
  /** Current record: `srcAs` (see `NetflowV5Record`). */
  get srcAs(): number {
    return this.view.getUint16(this.at + 40);
  }
  /** Current record: `dstAs` (see `NetflowV5Record`). */
  get dstAs(): number {
    return this.view.getUint16(this.at + 42);
  }
  /** Current record: `srcMask` (see `NetflowV5Record`). */
  get srcMask(): number {
    return this.view.getUint8(this.at + 44);
  }
  /** Current record: `dstMask` (see `NetflowV5Record`). */
  get dstMask(): number {
    return this.view.getUint8(this.at + 45);
  }
  /** Current record: `pad2` (see `NetflowV5Record`). */
  get pad2(): number {
    return this.view.getUint16(this.at + 46);
  }
}

/**
 * Calls `visit` once per record of the v5 datagram of `length` bytes at `offset`, passing one reused
 * {@link NetflowV5Cursor} positioned on that record (read its getters inside `visit`; do not keep it). The header is
 * validated once, before the first call. Pass your own `cursor` to make repeated calls allocation-free. Returns the
 * record count.
 * @throws the errors of `decodeNetflowV5`, before any record is visited.
 */
export function forEachNetflowV5Record(
  bytes: Uint8Array,
  offset: number,
  length: number,
  visit: (cursor: NetflowV5Cursor) => void,
  cursor: NetflowV5Cursor = new NetflowV5Cursor(),
): number {
  const count = cursor.reset(bytes, offset, length);
  while (cursor.next()) visit(cursor);
  return count;
}
