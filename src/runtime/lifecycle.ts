/**
 * Process lifecycle of a daemon, driven by signals:
 * - SIGTERM or SIGINT: drain. The drain hooks run one after the other in reverse order of registration (the last
 *   thing started is stopped first), under one overall deadline; then the process exits 0, or 1 if a hook threw, was
 *   still running at the deadline (abandoned), or was not started because the deadline had passed. A second SIGTERM or
 *   SIGINT during the drain exits 1 at once.
 * - SIGHUP: reload. The reload hooks (re-read configuration, reopen logs...) run in registration order without exiting;
 *   each failure is logged and the others still run. A hook built on `ReloadableConfig` keeps the old configuration
 *   when the new one is invalid. Signals arriving during a reload cause one more reload after it.
 * - SIGUSR1: the snapshot of every statistics provider is logged as one `statistics` line.
 * Handlers are added by {@link Lifecycle.install} and removed by {@link Lifecycle.uninstall}.
 */
import type { z } from "zod";
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "./config.ts";
import { ConfigError, errorSummary } from "./errors.ts";
import { createLogDestination, createLogger, type LogDestination, type Logger, type LogLevel } from "./logger.ts";

/** A drain or reload hook; may be async. */
export type LifecycleHook = () => void | Promise<void>;

/** Returns a statistics snapshot (any JSON-serialisable value); may be async. */
export type StatsProvider = () => unknown;

/** The subset of `process` the lifecycle uses for signals (tests may pass an `EventEmitter`). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of {@link Lifecycle}. */
export interface LifecycleOptions {
  /** Logger for lifecycle events (a `component: lifecycle` child is used). */
  readonly logger: Logger;
  /** Overall time the drain hooks may take, in milliseconds; default 10000. */
  readonly drainTimeoutMs?: number;
  /** Ends the process; default `process.exit`. */
  readonly exit?: (code: number) => void;
  /** Where signals come from; default `process`. */
  readonly signals?: SignalSource;
}

interface Named<T> {
  readonly name: string;
  readonly fn: T;
}

const TIMED_OUT = Symbol("timed out");

/** The drain, reload and statistics hooks of one process, and the signal handlers that run them. */
export class Lifecycle {
  readonly #log: Logger;
  readonly #timeoutMs: number;
  readonly #exit: (code: number) => void;
  readonly #signals: SignalSource;
  readonly #drainHooks: Named<LifecycleHook>[] = [];
  readonly #reloadHooks: Named<LifecycleHook>[] = [];
  readonly #providers: Named<StatsProvider>[] = [];
  #installed = false;
  #draining = false;
  #reloading: Promise<boolean> | null = null;
  #reloadAgain = false;

  constructor(options: LifecycleOptions) {
    this.#log = options.logger.child({ component: "lifecycle" });
    this.#timeoutMs = options.drainTimeoutMs ?? 10_000;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#signals = options.signals ?? process;
  }

  /** Adds a drain hook (run on SIGTERM/SIGINT, in reverse order of registration); returns its remover. */
  onDrain(name: string, hook: LifecycleHook): () => void {
    return add(this.#drainHooks, { name, fn: hook });
  }

  /** Adds a reload hook (run on SIGHUP, in registration order); returns its remover. */
  onReload(name: string, hook: LifecycleHook): () => void {
    return add(this.#reloadHooks, { name, fn: hook });
  }

  /** Adds a statistics provider, logged under `name` on SIGUSR1; returns its remover. */
  addStatsProvider(name: string, provider: StatsProvider): () => void {
    return add(this.#providers, { name, fn: provider });
  }

  /** Installs the SIGTERM, SIGINT, SIGHUP and SIGUSR1 handlers (once; again after `uninstall`). */
  install(): void {
    if (this.#installed) return;
    this.#installed = true;
    for (const sig of ["SIGTERM", "SIGINT"] as const) this.#signals.on(sig, this.#onStop);
    this.#signals.on("SIGHUP", this.#onHup);
    this.#signals.on("SIGUSR1", this.#onUsr1);
  }

  /** Removes the handlers `install` added; signals get their default behaviour back. */
  uninstall(): void {
    if (!this.#installed) return;
    this.#installed = false;
    for (const sig of ["SIGTERM", "SIGINT"] as const) this.#signals.off(sig, this.#onStop);
    this.#signals.off("SIGHUP", this.#onHup);
    this.#signals.off("SIGUSR1", this.#onUsr1);
  }

  /** Drains, then ends the process with the drain's exit code (0, or 1 on any hook failure or timeout). */
  async shutdown(reason: string): Promise<number> {
    this.#draining = true;
    this.#log.info({ reason }, "shutting down");
    const code = await this.drain();
    this.#log.info({ exitCode: code }, "shutdown complete");
    this.#exit(code);
    return code;
  }

  /** Runs the drain hooks in reverse order under the overall deadline; returns the exit code (0 or 1). */
  async drain(): Promise<number> {
    const deadline = performance.now() + this.#timeoutMs;
    let failed = false;
    let expired = false;
    for (const hook of [...this.#drainHooks].reverse()) {
      const left = deadline - performance.now();
      // A timed-out hook means the deadline passed, even if the clock reads a hair earlier than the timer.
      if (expired || left <= 0) {
        this.#log.error({ hook: hook.name, code: "ERR_HOOK_TIMEOUT" }, "drain hook not run: drain deadline passed");
        failed = true;
        continue;
      }
      const outcome = await runWithin(hook.fn, left);
      if (outcome === TIMED_OUT) {
        expired = true;
        this.#log.error({ hook: hook.name, code: "ERR_HOOK_TIMEOUT" }, "drain hook did not finish by the deadline");
        failed = true;
      } else if (outcome !== null) {
        this.#logFailure("drain", hook.name, outcome.error);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  }

  /** Runs the reload hooks (serialised with any reload in progress); resolves true when every hook succeeded. */
  reload(): Promise<boolean> {
    if (this.#reloading !== null) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    const run = async (): Promise<boolean> => {
      let ok = true;
      do {
        this.#reloadAgain = false;
        ok = await this.#runReloadHooks();
      } while (this.#reloadAgain);
      this.#reloading = null;
      return ok;
    };
    this.#reloading = run();
    return this.#reloading;
  }

  /** Collects every provider's snapshot, keyed by provider name; a failing provider shows `{ error }`. */
  async stats(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const p of this.#providers) {
      try {
        out[p.name] = await p.fn();
      } catch (e) {
        out[p.name] = { error: errorSummary(e).message };
      }
    }
    return out;
  }

  /** Logs the statistics snapshot as one `statistics` line with a `stats` field. */
  async logStats(): Promise<void> {
    this.#log.info({ stats: await this.stats() }, "statistics");
  }

  async #runReloadHooks(): Promise<boolean> {
    this.#log.info("reloading");
    let ok = true;
    for (const hook of this.#reloadHooks) {
      const outcome = await runWithin(hook.fn, Number.POSITIVE_INFINITY);
      if (outcome !== null && outcome !== TIMED_OUT) {
        this.#logFailure("reload", hook.name, outcome.error);
        ok = false;
      }
    }
    this.#log.info({ ok }, ok ? "reload complete" : "reload failed, previous settings kept where a hook failed");
    return ok;
  }

  #logFailure(kind: "drain" | "reload", hook: string, error: unknown): void {
    const { code, message } = errorSummary(error);
    const fields: Record<string, unknown> = { hook, code, error: message };
    if (error instanceof ConfigError) fields.issues = error.issues.map((i) => `${i.path}: ${i.message}`);
    this.#log.error(fields, `${kind} hook failed`);
  }

  readonly #onStop = (signal: NodeJS.Signals): void => {
    if (this.#draining) {
      this.#log.error({ signal }, "second stop signal during drain: exiting now");
      this.#exit(1);
      return;
    }
    void this.shutdown(signal);
  };

  readonly #onHup = (): void => {
    void this.reload();
  };

  readonly #onUsr1 = (): void => {
    void this.logStats();
  };
}

function add<T>(list: Named<T>[], item: Named<T>): () => void {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}

/** Runs `fn`; null when it finished, `{ error }` when it threw or rejected, TIMED_OUT when `ms` passed first. */
async function runWithin(fn: LifecycleHook, ms: number): Promise<null | { error: unknown } | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const work = Promise.resolve()
    .then(fn)
    .then(
      () => null,
      (error: unknown) => ({ error }),
    );
  if (!Number.isFinite(ms)) return work;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a daemon's {@link DaemonRun.start} gets: its logger, the lifecycle to register hooks on, the log destination. */
export interface DaemonContext {
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  readonly destination: LogDestination;
}

/** One daemon command (`flowlens collector|exporter|subscriber -c FILE [--check|--dump]`) for {@link runDaemon}. */
export interface DaemonRun<S extends z.ZodType<{ "log-level": LogLevel }>> {
  /** The command's name: messages start `flowlens NAME:`, the logger is named `flowlens-NAME`. */
  readonly name: string;
  readonly source: ConfigSource<S>;
  /** `--check` (validate and exit) or `--dump` (print the effective configuration and exit). */
  readonly options: { readonly check?: boolean; readonly dump?: boolean };
  /**
   * Starts the daemon on the valid configuration and registers its drain and reload hooks and statistics providers on
   * `context.lifecycle` (the `logs` reload hook, which reopens the log file, is registered before it and runs first).
   * May resolve to one line printed on stderr once the signal handlers are installed.
   */
  start(config: z.output<S>, context: DaemonContext): Promise<string | undefined>;
}

/**
 * The common body of the daemon commands: `--check` and `--dump` print their result; otherwise the configuration is
 * loaded (refused with `flowlens NAME: configuration refused:` and its `path: message` lines, exit code 1), the daemon
 * started (a failure prints `flowlens NAME: cannot start: MESSAGE (CODE)`, exit code 1) and the signal handlers
 * installed. Errors other than those two kinds are thrown.
 */
export async function runDaemon<S extends z.ZodType<{ "log-level": LogLevel }>>(run: DaemonRun<S>): Promise<void> {
  const print = (result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }) => {
    (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
    process.exitCode = result.exitCode;
  };
  if (run.options.check) return print(checkConfig(run.source));
  if (run.options.dump) return print(dumpConfig(run.source));
  let config: z.output<S>;
  try {
    config = loadConfig(run.source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flowlens ${run.name}: configuration refused:\n${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const destination = createLogDestination();
  const logger = createLogger({ level: config["log-level"], name: `flowlens-${run.name}`, destination });
  const lifecycle = new Lifecycle({ logger });
  lifecycle.onReload("logs", () => destination.reopen());
  let notice: string | undefined;
  try {
    notice = await run.start(config, { logger, lifecycle, destination });
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens ${run.name}: cannot start: ${message} (${code})\n`);
    process.exitCode = 1;
    return;
  }
  lifecycle.install();
  if (notice !== undefined) process.stderr.write(`${notice}\n`);
}
