/**
 * Typed errors of the network-namespace lab. Each failure kind has a stable `code`; messages are one line for the
 * operator.
 */
import { RuntimeError } from "../runtime/index.ts";

/** Stable codes of lab failures. */
export type LabErrorCode =
  | "ERR_LAB_TOPOLOGY"
  | "ERR_LAB_NAME"
  | "ERR_LAB_EXISTS"
  | "ERR_LAB_NOT_FOUND"
  | "ERR_LAB_NODE"
  | "ERR_LAB_COMMAND"
  | "ERR_LAB_PRIVILEGE";

/** A lab failure: bad topology or name, a lab that already exists or does not, a failed `ip`/`sysctl` command. */
export class LabError extends RuntimeError {
  declare readonly code: LabErrorCode;

  constructor(code: LabErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
