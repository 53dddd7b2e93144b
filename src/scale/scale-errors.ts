/**
 * Errors of the scale-out parts (src/scale/), each with a stable code:
 * `ERR_SCALE_BATCH` (a record message that is not a batch), `ERR_SCALE_SPOOL` (the disk buffer cannot be used),
 * `ERR_SCALE_NATS` (NATS/JetStream unreachable or refusing), `ERR_SCALE_REQUEST` (a bad subscribeAll request),
 * `ERR_SCALE_WORKER` (a receiver worker of `scale-out.processes` could not start).
 */
import { RuntimeError } from "../runtime/errors.ts";

/** A scale-out failure; the message is one line for an operator. */
export class ScaleError extends RuntimeError {}
