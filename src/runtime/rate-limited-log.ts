/**
 * Rate limiting of repeated errors. A daemon that meets the same failure for every datagram (a collector fed garbage,
 * an unreachable FTP server) must not flood its log: an identical error, meaning the same `component` and `code`, is
 * logged at most once per interval; the occurrences suppressed in between are reported on the next line logged for it
 * as `… (repeated N times)` (and a `repeated: N` field), and every occurrence, logged or not, is counted through a
 * callback (wire it to a metric with `errorCounter` from `metrics.ts`).
 */
import type { Logger } from "./logger.ts";

/** Called once for every occurrence of an error, suppressed or not. */
export type OccurrenceCounter = (component: string, code: string) => void;

/** Options of {@link RateLimitedLog}. */
export interface RateLimitOptions {
  /** Minimum time between two lines for the same component and code, in milliseconds; default 60000. */
  readonly intervalMs?: number;
  /** Monotonic clock in milliseconds; default `performance.now`. */
  readonly now?: () => number;
  /** Counts every occurrence. */
  readonly onOccurrence?: OccurrenceCounter;
}

type Level = "error" | "warn";

interface KeyState {
  loggedAt: number;
  suppressed: number;
  level: Level;
  message: string;
  fields: Record<string, unknown>;
}

/** Logs errors of one component through its logger, at most one line per `code` per interval. */
export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #component: string;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #count: OccurrenceCounter | undefined;
  readonly #state = new Map<string, KeyState>();

  /** `logger` is normally a component logger; its `component` binding is the component counted. */
  constructor(logger: Logger, options: RateLimitOptions = {}) {
    this.#logger = logger;
    const component = logger.bindings().component;
    this.#component = typeof component === "string" ? component : "";
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#now = options.now ?? (() => performance.now());
    this.#count = options.onOccurrence;
  }

  /** An error occurrence with its stable `code` (e.g. `ERR_NETFLOW_TRUNCATED`), a one-line message and extra fields. */
  error(code: string, message: string, fields: Record<string, unknown> = {}): void {
    this.#occur("error", code, message, fields);
  }

  /** A warning occurrence, rate-limited like {@link RateLimitedLog.error}. */
  warn(code: string, message: string, fields: Record<string, unknown> = {}): void {
    this.#occur("warn", code, message, fields);
  }

  /** Logs the pending count of every code that had suppressed occurrences (call before exit). */
  flush(): void {
    const t = this.#now();
    for (const [code, s] of this.#state) {
      if (s.suppressed === 0) continue;
      this.#write(s.level, code, s.message, s.fields, s.suppressed);
      s.suppressed = 0;
      s.loggedAt = t;
    }
  }

  #occur(level: Level, code: string, message: string, fields: Record<string, unknown>): void {
    this.#count?.(this.#component, code);
    const t = this.#now();
    const s = this.#state.get(code);
    if (s !== undefined && t - s.loggedAt < this.#intervalMs) {
      s.suppressed++;
      s.level = level;
      s.message = message;
      s.fields = fields;
      return;
    }
    this.#write(level, code, message, fields, s?.suppressed ?? 0);
    this.#state.set(code, { loggedAt: t, suppressed: 0, level, message, fields });
  }

  #write(level: Level, code: string, message: string, fields: Record<string, unknown>, repeated: number): void {
    if (repeated === 0) this.#logger[level]({ ...fields, code }, message);
    else this.#logger[level]({ ...fields, code, repeated }, `${message} (repeated ${repeated} times)`);
  }
}
