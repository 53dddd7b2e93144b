/**
 * The collector's allocation-free reader of received NetFlow datagrams, version 5 or 8 (spec/cflowd-v5-format.txt,
 * spec/cflowd-flow-aggregation.txt): {@link NetflowFlowReader.reset} validates a datagram's header with the wire
 * codecs' own checks and copies the header fields; {@link NetflowFlowReader.next} maps the next record in place into a
 * caller's reused {@link CollectorFlowFields} (`record-mapping.ts`). v5 goes through the zero-allocation
 * `NetflowV5Cursor`; v8 reads each scheme's line fields at fixed offsets. {@link NetflowFlowReader.tryReset} rejects
 * an invalid datagram with the codecs' error code but without throwing (no error object, no stack trace).
 */
import type { CollectorFlowFields } from "../../wire/collector-record.ts";
import { InvalidFieldError, isWireError, TruncatedError } from "../../wire/errors.ts";
import type { NetflowClock } from "../../wire/netflow-time.ts";
import {
  NETFLOW_V5_HEADER_LENGTH,
  NETFLOW_V5_MAX_RECORDS,
  NETFLOW_V5_RECORD_LENGTH,
  NETFLOW_V5_VERSION,
} from "../../wire/netflow-v5.ts";
import { NetflowV5Cursor } from "../../wire/netflow-v5-cursor.ts";
import {
  checkNetflowV8Header,
  NETFLOW_V8_HEADER_LENGTH,
  NETFLOW_V8_VERSION,
  netflowV8Layout,
} from "../../wire/netflow-v8.ts";
import {
  mapNetflowV5Record,
  mapNetflowV8RecordAt,
  NETFLOW_V8_FLOW_LAYOUTS,
  type NetflowV8FlowLayout,
} from "./record-mapping.ts";

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const NO_LAYOUT = NETFLOW_V8_FLOW_LAYOUTS[1] as NetflowV8FlowLayout;

/**
 * The error code the wire codecs would throw for the datagram of `length` bytes at `offset` of `bytes`, or null when
 * its header is valid; the same checks in the same order as `checkNetflowV5Header` / `checkNetflowV8Header`, without
 * building an error (for the drop path, where a flood of garbage must cost counting, not stack traces). Codes:
 * `ERR_NETFLOW_TRUNCATED`, `ERR_NETFLOW_VERSION`, `ERR_NETFLOW_COUNT`, `ERR_NETFLOW_AGGREGATION`. The span
 * `offset`..`offset + length` must lie within `bytes` (the caller's; the default is the whole array).
 */
export function netflowHeaderProblem(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string | null {
  if (length < 2) return "ERR_NETFLOW_TRUNCATED";
  const version = (bytes[offset] << 8) | bytes[offset + 1];
  const count = length >= 4 ? (bytes[offset + 2] << 8) | bytes[offset + 3] : 0;
  if (version === NETFLOW_V5_VERSION) {
    if (length < NETFLOW_V5_HEADER_LENGTH) return "ERR_NETFLOW_TRUNCATED";
    if (count > NETFLOW_V5_MAX_RECORDS) return "ERR_NETFLOW_COUNT";
    return NETFLOW_V5_HEADER_LENGTH + count * NETFLOW_V5_RECORD_LENGTH > length ? "ERR_NETFLOW_TRUNCATED" : null;
  }
  if (version !== NETFLOW_V8_VERSION) return "ERR_NETFLOW_VERSION";
  if (length < NETFLOW_V8_HEADER_LENGTH) return "ERR_NETFLOW_TRUNCATED";
  const layout = netflowV8Layout(bytes[offset + 22]);
  if (layout === undefined) return "ERR_NETFLOW_AGGREGATION";
  if (count > layout.maxRecords) return "ERR_NETFLOW_COUNT";
  return NETFLOW_V8_HEADER_LENGTH + count * layout.recordLength > length ? "ERR_NETFLOW_TRUNCATED" : null;
}

/**
 * A reusable reader of one datagram at a time. After a successful `reset` the header fields below are plain numbers
 * (so the reader is itself the {@link NetflowClock} of its records); after a failed one `version` and `count` are 0.
 * Valid until the next `reset` and while the bytes are unchanged; keep values, not the reader.
 *
 * ```ts
 * const reader = new NetflowFlowReader();
 * const flow = newCollectorFlowFields();
 * reader.reset(bytes); // throws WireError for an invalid datagram
 * while (reader.next(flow)) sink.append(flow);
 * ```
 */
export class NetflowFlowReader implements NetflowClock {
  /** 5 or 8; 0 before the first successful `reset`. */
  version = 0;
  /** Records in the datagram (validated against the bytes present). */
  count = 0;
  /** Index of the record last mapped by `next`, -1 before the first. */
  index = -1;
  /** Header: exporter uptime at export, ms. */
  sysUptime = 0;
  /** Header: export time, UNIX seconds. */
  unixSecs = 0;
  /** Header: residual nanoseconds of the export time. */
  unixNsecs = 0;
  /** Header: flow sequence number. */
  flowSequence = 0;
  /** Header: engine type. */
  engineType = 0;
  /** Header: engine id. */
  engineId = 0;
  /** Header (v8): aggregation scheme 1..14; 0 for v5. */
  aggregation = 0;
  /** Error code of the last failed {@link tryReset}, null after a successful one. */
  problem: string | null = null;
  private readonly v5 = new NetflowV5Cursor();
  private view: DataView = EMPTY_VIEW;
  private at = 0;
  private layout: NetflowV8FlowLayout = NO_LAYOUT;

  /**
   * Validates the datagram of `length` bytes at `offset` of `bytes` (v5 or v8, as `decodeNetflow` would) and returns
   * its record count.
   * @throws TruncatedError `ERR_NETFLOW_TRUNCATED` (shorter than its version field, header or declared records);
   *   InvalidFieldError `ERR_NETFLOW_VERSION` (not 5 or 8), `ERR_NETFLOW_COUNT` (above the maximum),
   *   `ERR_NETFLOW_AGGREGATION` (unknown v8 scheme), `ERR_NETFLOW_RANGE` (bad offset/length).
   */
  reset(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    this.version = 0;
    this.count = 0;
    this.index = -1;
    if (length < 2 || offset + 2 > bytes.length) {
      throw new TruncatedError("NetFlow version", 2, Math.max(0, length), offset, "ERR_NETFLOW_TRUNCATED");
    }
    const version = (bytes[offset] << 8) | bytes[offset + 1];
    if (version === NETFLOW_V5_VERSION) this.resetV5(bytes, offset, length);
    else if (version === NETFLOW_V8_VERSION) this.resetV8(bytes, offset, length);
    else {
      throw new InvalidFieldError(
        "ERR_NETFLOW_VERSION",
        `unsupported NetFlow version ${version} (5 and 8 are)`,
        offset,
      );
    }
    this.version = version;
    return this.count;
  }

  /**
   * Like {@link reset} for a whole array, but without throwing: returns the record count, or -1 with the codec's error
   * code in {@link problem} (see {@link netflowHeaderProblem}).
   */
  tryReset(bytes: Uint8Array): number {
    let problem = netflowHeaderProblem(bytes);
    if (problem === null) {
      try {
        this.problem = null;
        return this.reset(bytes);
      } catch (e) {
        problem = isWireError(e) ? e.code : "ERR_NETFLOW_INVALID"; // not expected: the checks above are the codec's
      }
    }
    this.problem = problem;
    this.version = 0;
    this.count = 0;
    this.index = -1;
    return -1;
  }

  private resetV5(bytes: Uint8Array, offset: number, length: number): void {
    const c = this.v5;
    this.count = c.reset(bytes, offset, length);
    this.sysUptime = c.sysUptime;
    this.unixSecs = c.unixSecs;
    this.unixNsecs = c.unixNsecs;
    this.flowSequence = c.flowSequence;
    this.engineType = c.engineType;
    this.engineId = c.engineId;
    this.aggregation = 0;
  }

  private resetV8(bytes: Uint8Array, offset: number, length: number): void {
    const wire = checkNetflowV8Header(bytes, offset, length);
    if (this.view.buffer !== bytes.buffer) this.view = new DataView(bytes.buffer);
    const v = this.view;
    const base = bytes.byteOffset + offset;
    this.layout = NETFLOW_V8_FLOW_LAYOUTS[wire.scheme] as NetflowV8FlowLayout;
    this.count = v.getUint16(base + 2);
    this.sysUptime = v.getUint32(base + 4);
    this.unixSecs = v.getUint32(base + 8);
    this.unixNsecs = v.getUint32(base + 12);
    this.flowSequence = v.getUint32(base + 16);
    this.engineType = v.getUint8(base + 20);
    this.engineId = v.getUint8(base + 21);
    this.aggregation = wire.scheme;
    this.at = base + NETFLOW_V8_HEADER_LENGTH - wire.recordLength;
  }

  /** Maps the next record into `out` and returns true; false (leaving `out` alone) after the last record. */
  next(out: CollectorFlowFields): boolean {
    if (this.index + 1 >= this.count) return false;
    this.index++;
    if (this.version === NETFLOW_V5_VERSION) {
      this.v5.next();
      mapNetflowV5Record(this, this.v5, out);
      return true;
    }
    this.at += this.layout.recordLength;
    mapNetflowV8RecordAt(this.view, this.at, this.layout, this, out);
    return true;
  }
}
