/**
 * Typed errors of the wire codecs. Every failure a decoder can meet is one subclass of {@link WireError} with a stable
 * `code` (for counters, logs and tests) and the byte `offset` where the problem was found, relative to the start of the
 * buffer the caller passed. Nothing but a WireError may escape a decoder.
 */
export class WireError extends Error {
  /** Stable machine-readable code, e.g. `ERR_NETFLOW_TRUNCATED`. */
  readonly code: string;
  /** Byte offset into the caller's buffer where the problem was found. */
  readonly offset: number;

  constructor(code: string, message: string, offset: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.offset = offset;
  }
}

/** The buffer ends before a structure that it declares (or that the format requires) is complete. */
export class TruncatedError extends WireError {
  constructor(what: string, needed: number, available: number, offset: number, code = "ERR_WIRE_TRUNCATED") {
    super(code, `${what}: needs ${needed} bytes, ${available} present`, offset);
  }
}

/** A field holds a value the format does not allow (bad version, count above the maximum, bad magic...). */
export class InvalidFieldError extends WireError {}

/** Whether a thrown value is one of the codecs' own errors. */
export function isWireError(e: unknown): e is WireError {
  return e instanceof WireError;
}
