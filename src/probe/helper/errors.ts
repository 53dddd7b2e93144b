/**
 * Errors of the probe helper client (docs/probe-helper.md): each kind with a stable `code`.
 */

/** Base class of every probe helper error; `code` is stable and safe to match on. */
export class ProbeHelperError extends Error {
  /** Stable error code, `ERR_PROBE_HELPER_*`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why the raw transport cannot run: no binary (not built, no compiler), no CAP_NET_RAW, or it failed to start. */
export type HelperUnavailableReason = "missing" | "privilege" | "failed";

/**
 * The helper cannot be used (`ERR_PROBE_HELPER_UNAVAILABLE`): the raw probe transport is unavailable; everything else
 * still works. `reason` says which remedy applies.
 */
export class HelperUnavailableError extends ProbeHelperError {
  /** Which precondition failed. */
  readonly reason: HelperUnavailableReason;
  constructor(reason: HelperUnavailableReason, message: string, options?: { cause?: unknown }) {
    super("ERR_PROBE_HELPER_UNAVAILABLE", message, options);
    this.reason = reason;
  }
}

/**
 * The framed stream is malformed (`ERR_PROBE_HELPER_FRAME`): a length out of range or a payload too short for its
 * type. `offset` is the byte offset in the stream (or the payload) where it was found.
 */
export class HelperFrameError extends ProbeHelperError {
  /** Byte offset of the fault. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super("ERR_PROBE_HELPER_FRAME", message);
    this.offset = offset;
  }
}

/** The helper is closed or has exited (`ERR_PROBE_HELPER_CLOSED`): nothing more can be sent. */
export class HelperClosedError extends ProbeHelperError {
  constructor(message = "probe helper is closed") {
    super("ERR_PROBE_HELPER_CLOSED", message);
  }
}

/**
 * The helper cannot capture as asked (`ERR_PROBE_HELPER_CAPTURE`): it has no AF_PACKET socket (READY flag bit 1
 * clear), the interface does not exist, or the kernel refused the filter. The line is the helper's ERROR text.
 */
export class HelperCaptureError extends ProbeHelperError {
  constructor(message: string) {
    super("ERR_PROBE_HELPER_CAPTURE", message);
  }
}
