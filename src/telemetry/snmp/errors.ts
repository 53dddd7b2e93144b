/**
 * Typed errors of the SNMP telemetry provider, each with a stable `code` and a one-line message naming the device.
 */

/** Stable codes of SNMP provider failures. */
export type SnmpErrorCode =
  /** The device did not answer within the provider's timeout and nothing was cached yet. */
  | "ERR_SNMP_TIMEOUT"
  /** The request failed (no response after retries, authentication failure, an error status, a socket error). */
  | "ERR_SNMP_REQUEST"
  /** The provider was used after close(). */
  | "ERR_SNMP_CLOSED";

/** An SNMP telemetry failure for one device (`host:port`). */
export class SnmpTelemetryError extends Error {
  /** Stable error code. */
  readonly code: SnmpErrorCode;
  /** The device, `host:port`. */
  readonly device: string;
  /**
   * True when the device may just be slow (its read goes on in the background and a later query may answer from
   * it): the provider chain then does not hold this provider down for the hop.
   */
  readonly retryable: boolean;
  constructor(
    code: SnmpErrorCode,
    device: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`SNMP ${device}: ${message}`, options);
    this.name = "SnmpTelemetryError";
    this.code = code;
    this.device = device;
    this.retryable = options?.retryable ?? false;
  }
}
