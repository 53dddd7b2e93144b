/**
 * Typed errors of the daemon kit. Every failure kind is one subclass of {@link RuntimeError} with a stable `code`, so
 * counters, logs and tests can tell them apart; the message is one line meant for an operator, never a stack trace.
 */
export class RuntimeError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CONFIG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A duration string (`"1h30m"`) that does not parse or is out of range. Code `ERR_DURATION`. */
export class DurationError extends RuntimeError {
  constructor(message: string) {
    super("ERR_DURATION", message);
  }
}

/** A byte size (`"4MiB"`) that does not parse or is out of range. Code `ERR_SIZE`. */
export class SizeError extends RuntimeError {
  constructor(message: string) {
    super("ERR_SIZE", message);
  }
}

/** One problem found in a configuration: where (`collector.port`, or a file position, or an env var) and what. */
export interface ConfigIssue {
  /** Dotted key path (`collector.interfaces.cp-6/0/0.port`), `FILE:LINE:COL`, an env var name, or `(root)`. */
  readonly path: string;
  /** One-line description, e.g. `expected number, received string`. */
  readonly message: string;
}

/** Formats one issue as the `path: message` line operators see. */
export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}`;
}

/**
 * A configuration that cannot be used: unreadable file, bad YAML, bad env override or failed validation. Code
 * `ERR_CONFIG`. `issues` holds every problem found (not only the first); the message is those issues, one per line.
 */
export class ConfigError extends RuntimeError {
  /** Every problem found, in document order where known. Never empty. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super("ERR_CONFIG", issues.map(formatConfigIssue).join("\n"), options);
    this.issues = issues;
  }
}

/** A shutdown or reload hook that threw or did not finish in time. Code `ERR_HOOK_FAILED` or `ERR_HOOK_TIMEOUT`. */
export class HookError extends RuntimeError {}

/**
 * The code and one-line message of any thrown value, for logs: `code` is the error's own `code` property when it is a
 * string (ours, or Node's `ENOENT`...), else `ERR_UNKNOWN`. Only the first line of the message is kept.
 */
export function errorSummary(e: unknown): { code: string; message: string } {
  const code =
    typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string"
      ? (e as { code: string }).code
      : "ERR_UNKNOWN";
  const raw = e instanceof Error ? e.message : String(e);
  const firstLine = raw.split("\n", 1)[0] ?? "";
  return { code, message: firstLine };
}
