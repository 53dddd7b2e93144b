/**
 * Logging for every daemon: pino JSON lines, one object per line, on stdout (or a file that SIGHUP reopens). Each
 * line has `level` (a name: `info`, `error`...), `time` (ISO 8601 UTC), `pid`, the daemon `name`, and a `component`
 * field set by {@link componentLogger}. Errors are logged with `type`, `code` and `message`, never a stack trace.
 */
import pino from "pino";
import { z } from "zod";

/** A pino logger as the kit creates it. */
export type Logger = pino.Logger;

/** Log levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Zod schema for a `level` configuration field: one of {@link LOG_LEVELS}, default `info`. */
export const logLevelSchema = z.enum(LOG_LEVELS).default("info");

/** Where log lines go: stdout, or an appended file that {@link LogDestination.reopen} reopens (after log rotation). */
export interface LogDestination {
  /** The stream pino writes to. */
  readonly stream: pino.DestinationStream;
  /** Reopens the file (a no-op on stdout or a caller-supplied stream). */
  reopen(): void;
  /** Writes out anything buffered (writes are synchronous, so this is a safety net before exit). */
  flush(): void;
}

/** A log destination: the file at `file` (created with its folders, appended to), else stdout; writes are synchronous. */
export function createLogDestination(file?: string): LogDestination {
  const sonic = pino.destination(
    file === undefined ? { dest: 1, sync: true } : { dest: file, sync: true, mkdir: true },
  );
  return {
    stream: sonic,
    reopen: () => {
      if (file !== undefined) sonic.reopen();
    },
    flush: () => sonic.flushSync(),
  };
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level logged; default `info`. */
  readonly level?: LogLevel;
  /** Daemon name, logged as `name` on every line (e.g. `collector`). */
  readonly name?: string;
  /** Where lines go; default stdout. Tests pass any object with `write(line)`. */
  readonly destination?: pino.DestinationStream | LogDestination;
}

function serializeError(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { message: String(e) };
  const out: Record<string, unknown> = { type: e.name, message: e.message };
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (e.cause instanceof Error) out.cause = e.cause.message;
  return out;
}

/** The root logger of a process. Set `logger.level` to change the level of it and of every child at run time. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const dest = options.destination ?? createLogDestination();
  const stream = "stream" in dest && "reopen" in dest ? dest.stream : (dest as pino.DestinationStream);
  const base: Record<string, unknown> = { pid: process.pid };
  if (options.name !== undefined) base.name = options.name;
  return pino(
    {
      level: options.level ?? "info",
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
    },
    stream,
  );
}

/** A child logger whose lines carry `component` (e.g. `receiver`, `ftp`, `http`). */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}
