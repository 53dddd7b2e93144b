/**
 * Typed errors of hopd. Each has a stable `code` and the HTTP status the API answers with; the message is one line for
 * an operator. A failing request never stops the daemon.
 */
import { RuntimeError } from "../runtime/errors.ts";

/** Stable codes of {@link HopdError}. */
export type HopdErrorCode =
  /** A request's parameters are missing or malformed (HTTP 400). */
  | "ERR_HOPD_BAD_REQUEST"
  /** Missing or wrong bearer token (HTTP 401). */
  | "ERR_HOPD_UNAUTHORIZED"
  /** The responder address is not an address of this router (HTTP 404). */
  | "ERR_HOPD_UNKNOWN_ADDRESS"
  /** A system program (`ip`, `nft`, `tcpdump`) failed or answered what hopd cannot read (HTTP 500). */
  | "ERR_HOPD_COMMAND"
  /** Mirroring cannot be done as asked (unsupported type, no helper, capture failed) (HTTP 422 or 500). */
  | "ERR_HOPD_MIRROR"
  /** Too many flows with counters or mirrors (HTTP 429). */
  | "ERR_HOPD_LIMIT";

const STATUS: Record<HopdErrorCode, number> = {
  ERR_HOPD_BAD_REQUEST: 400,
  ERR_HOPD_UNAUTHORIZED: 401,
  ERR_HOPD_UNKNOWN_ADDRESS: 404,
  ERR_HOPD_COMMAND: 500,
  ERR_HOPD_MIRROR: 422,
  ERR_HOPD_LIMIT: 429,
};

/** A hopd failure with its code and the HTTP status the API gives it (`statusCode`, read by the HTTP base). */
export class HopdError extends RuntimeError {
  /** HTTP status of the answer. */
  readonly statusCode: number;

  constructor(code: HopdErrorCode, message: string, options?: { cause?: unknown; statusCode?: number }) {
    super(code, message, options);
    this.statusCode = options?.statusCode ?? STATUS[code];
  }
}

/** A system command that failed: `ERR_HOPD_COMMAND` naming the command and its last stderr line. */
export function commandError(what: string, stderr: string, status: number | null): HopdError {
  const line =
    stderr
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .at(-1) ?? `exit status ${status}`;
  return new HopdError("ERR_HOPD_COMMAND", `${what}: ${line}`);
}
