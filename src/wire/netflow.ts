/**
 * NetFlow datagrams of either version flowlens speaks (cflowd version 5 and version 8, spec/cflowd-v5-format.txt and
 * spec/cflowd-flow-aggregation.txt): decoding by the version in the first two bytes, and the length a datagram
 * declares, used to split raw files of datagrams laid end to end.
 */
import { InvalidFieldError, TruncatedError } from "./errors.ts";
import {
  checkNetflowSpan,
  decodeNetflowV5,
  NETFLOW_V5_HEADER_LENGTH,
  NETFLOW_V5_RECORD_LENGTH,
  NETFLOW_V5_VERSION,
  type NetflowV5Datagram,
} from "./netflow-v5.ts";
import {
  decodeNetflowV8,
  NETFLOW_V8_HEADER_LENGTH,
  NETFLOW_V8_VERSION,
  type NetflowV8Datagram,
  type NetflowV8Options,
  netflowV8Layout,
} from "./netflow-v8.ts";

/** A decoded datagram of either version; tell them apart with {@link isNetflowV5} / {@link isNetflowV8}. */
export type NetflowDatagram = NetflowV5Datagram | NetflowV8Datagram;

/** Options of {@link decodeNetflow}: the v8 mask order of schemes 5, 13 and 14 (ignored for v5). */
export type NetflowDecodeOptions = NetflowV8Options;

/** Whether `datagram` is a version 5 datagram. */
export function isNetflowV5(datagram: NetflowDatagram): datagram is NetflowV5Datagram {
  return datagram.header.version === NETFLOW_V5_VERSION;
}

/** Whether `datagram` is a version 8 datagram. */
export function isNetflowV8(datagram: NetflowDatagram): datagram is NetflowV8Datagram {
  return datagram.header.version === NETFLOW_V8_VERSION;
}

function readVersion(bytes: Uint8Array, offset: number, length: number): number {
  checkNetflowSpan(bytes, offset, length);
  if (length < 2) throw new TruncatedError("NetFlow version", 2, length, offset, "ERR_NETFLOW_TRUNCATED");
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function unknownVersion(version: number, offset: number): never {
  throw new InvalidFieldError("ERR_NETFLOW_VERSION", `unsupported NetFlow version ${version} (5 and 8 are)`, offset);
}

/**
 * Decodes the datagram of `length` bytes at `offset` as version 5 or 8, by its version field.
 * @throws InvalidFieldError `ERR_NETFLOW_VERSION` for any other version, and the errors of `decodeNetflowV5` /
 *   `decodeNetflowV8` (`ERR_NETFLOW_TRUNCATED`, `ERR_NETFLOW_COUNT`, `ERR_NETFLOW_AGGREGATION`, ...).
 */
export function decodeNetflow(
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
  options?: NetflowDecodeOptions,
): NetflowDatagram {
  const version = readVersion(bytes, offset, length);
  if (version === NETFLOW_V5_VERSION) return decodeNetflowV5(bytes, offset, length);
  if (version === NETFLOW_V8_VERSION) return decodeNetflowV8(bytes, offset, length, options);
  return unknownVersion(version, offset);
}

/**
 * The length in bytes that the datagram at `offset` declares by its header: 24 + 48 x count for v5, 28 + record
 * length x count for v8. Only the header is read (the records need not be present, and the count is not checked
 * against the maximum); trailing padding is not part of the declared length.
 * @throws TruncatedError `ERR_NETFLOW_TRUNCATED` when the header is not all present; InvalidFieldError
 *   `ERR_NETFLOW_VERSION` (not 5 or 8) or `ERR_NETFLOW_AGGREGATION` (unknown v8 scheme).
 */
export function netflowDatagramLength(bytes: Uint8Array, offset = 0): number {
  const available = bytes.length - offset;
  const version = readVersion(bytes, offset, Math.max(0, available));
  const count = () => (bytes[offset + 2] << 8) | bytes[offset + 3];
  if (version === NETFLOW_V5_VERSION) {
    if (available < NETFLOW_V5_HEADER_LENGTH) {
      throw new TruncatedError(
        "NetFlow v5 header",
        NETFLOW_V5_HEADER_LENGTH,
        available,
        offset,
        "ERR_NETFLOW_TRUNCATED",
      );
    }
    return NETFLOW_V5_HEADER_LENGTH + NETFLOW_V5_RECORD_LENGTH * count();
  }
  if (version !== NETFLOW_V8_VERSION) return unknownVersion(version, offset);
  if (available < NETFLOW_V8_HEADER_LENGTH) {
    throw new TruncatedError("NetFlow v8 header", NETFLOW_V8_HEADER_LENGTH, available, offset, "ERR_NETFLOW_TRUNCATED");
  }
  const layout = netflowV8Layout(bytes[offset + 22]);
  if (layout === undefined) {
    const msg = `unknown NetFlow v8 aggregation scheme ${bytes[offset + 22]}`;
    throw new InvalidFieldError("ERR_NETFLOW_AGGREGATION", msg, offset + 22);
  }
  return NETFLOW_V8_HEADER_LENGTH + layout.recordLength * count();
}
