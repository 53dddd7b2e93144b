/**
 * Typed errors of the simulated fabric. Every failure kind is one subclass of {@link SimError} with a stable `code`, so
 * the agent, the CLI and tests can tell them apart; the message is one line meant for an operator.
 */
export class SimError extends Error {
  /** Stable machine-readable code, e.g. `ERR_SIM_CONFIG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem of a topology configuration: where (`links.2.b.device`, or `(root)`) and what. */
export interface SimConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * A topology configuration that cannot be used (schema violation, unknown device, duplicate address...). Code
 * `ERR_SIM_CONFIG`; `issues` holds every problem found, the message lists them as `path: message`, one per line.
 */
export class SimConfigError extends SimError {
  /** Every problem found. Never empty. */
  readonly issues: readonly SimConfigIssue[];

  constructor(issues: readonly SimConfigIssue[]) {
    super("ERR_SIM_CONFIG", issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    this.issues = issues;
  }
}

/** A probe request the simulation cannot send: a TTL outside 1..255 or not an integer. Code `ERR_SIM_PROBE`. */
export class SimProbeError extends SimError {
  constructor(message: string) {
    super("ERR_SIM_PROBE", message);
  }
}

/** An address or port in a tuple that is not a dotted-quad IPv4 address or a port 0..65535. Code `ERR_SIM_TUPLE`. */
export class SimTupleError extends SimError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_SIM_TUPLE", message, options);
  }
}

/** A mirror request the simulation does not support (type other than ERSPAN, unknown direction, bad analyzer). */
export class SimMirrorError extends SimError {
  constructor(message: string) {
    super("ERR_SIM_MIRROR", message);
  }
}

/** A call on a transport or provider after its `close()`. Code `ERR_SIM_CLOSED`. */
export class SimClosedError extends SimError {
  constructor(what: string) {
    super("ERR_SIM_CLOSED", `${what} is closed`);
  }
}
