/**
 * The collector's transfer log, daemon side (flow-collector.txt, Table 1 and the transfer log life cycle that follows
 * it). Every transfer attempt of a record file (and every test file transfer) is one line, in the codec's format
 * (`src/wire/transfer-log.ts`), appended to the open log `<directory>/<hostname>_<prefix>_YYYYMMDD_hhmmss.tmp`, created
 * on the first line; the time in the name is the creation time, UTC.
 *
 * When the open log is `maximum-age` old (checked on every line and by a timer), it is closed: renamed to `.log`, and
 * the next line opens a new `.tmp`. Closed logs are compressed and sent to the archive sites by
 * {@link TransferLogArchive} (`.log.gz`; `failed/` and the retry interval when no site takes them).
 *
 * At start ({@link TransferLog.recover}) logs of a previous run are picked up: the newest `.tmp` still younger than
 * `maximum-age` is appended to again, every other `.tmp` is closed, and closed, compressed and failed logs go on
 * through the archive. The hostname has `_` and `/` replaced by `-` (the file name uses `_` as its separator).
 */
import { appendFile, mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { createLogger, type Logger } from "../../runtime/logger.ts";
import {
  formatTransferLogLine,
  parseTransferLogFileName,
  type TransferLogEntry,
  transferLogFileName,
} from "../../wire/transfer-log.ts";
import type { TransferLogArchiveConfig } from "../config.ts";
import type { Clock, TransferResult } from "../contracts.ts";
import { createDestination, type Destination, type DestinationOptions } from "./destination.ts";
import { TransferLogArchive, type TransferLogArchiveStats } from "./transfer-log-archive.ts";

/** What an export channel needs of the transfer log. */
export interface TransferLogSink {
  /** Appends one entry (one attempt). Never throws: write errors are logged and counted. */
  append(entry: TransferLogEntry): void;
  /** Deletes every transfer log, open, closed and failed (`change-destination ... clear-logs`); resolves to the count. */
  purge(): Promise<number>;
}

/** Options of {@link TransferLog}. */
export interface TransferLogOptions {
  /** The `transfer-log-archive` section. */
  config: TransferLogArchiveConfig;
  /** Host name written in log file names (the collector's `hostname`, default the machine's). */
  hostname: string;
  /** Wall clock, ms since the epoch (default `Date.now`). */
  clock?: Clock;
  /** Archive sites, overriding the ones built from the configuration (tests). */
  sites?: readonly Destination[];
  /** Options of the destinations built from the configuration. */
  destinationOptions?: DestinationOptions;
  logger?: Logger;
  /** Period of the timer that closes, compresses and ships logs, ms (default 1000). */
  checkIntervalMs?: number;
}

/** Counters of the transfer log since start. */
export interface TransferLogStats extends TransferLogArchiveStats {
  /** Lines written. */
  lines: number;
  /** Lines lost to write errors (disk full...). */
  writeErrors: number;
}

interface OpenLog {
  path: string;
  createdMs: number;
}

/** The daemon's transfer log: one per collector process, shared by every export channel. */
export class TransferLog implements TransferLogSink {
  /** The transfer-log directory. */
  readonly directory: string;
  readonly #hostname: string;
  readonly #prefix: string;
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #archive: TransferLogArchive;
  readonly #checkIntervalMs: number;
  #open: OpenLog | undefined;
  #chain: Promise<void> = Promise.resolve();
  #shipping: Promise<void> | undefined;
  #shippingAbort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lines = 0;
  #writeErrors = 0;

  constructor(options: TransferLogOptions) {
    const c = options.config;
    this.directory = c.directory;
    this.#hostname = options.hostname.replace(/[_/]/g, "-") || "localhost";
    this.#prefix = c["filename-prefix"];
    this.#maxAgeMs = c["maximum-age"];
    this.#clock = options.clock ?? Date.now;
    this.#logger = (options.logger ?? createLogger({ level: "silent" })).child({ component: "transfer-log" });
    this.#checkIntervalMs = options.checkIntervalMs ?? 1000;
    const sites = options.sites ?? c["archive-sites"].map((d) => createDestination(d, options.destinationOptions));
    this.#archive = new TransferLogArchive({
      directory: c.directory,
      sites,
      retryIntervalMs: c["retry-interval"],
      clock: this.#clock,
      logger: this.#logger,
    });
  }

  /** Path of the open `.tmp` log, if one is open. */
  get openFile(): string | undefined {
    return this.#open?.path;
  }

  /** The `failed/` directory. */
  get failedDirectory(): string {
    return this.#archive.failedDirectory;
  }

  /** Counters as plain data. */
  stats(): TransferLogStats {
    return { ...this.#archive.stats(), lines: this.#lines, writeErrors: this.#writeErrors };
  }

  /** Picks up the logs of a previous run (see the module comment); call once before anything else. */
  async recover(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    await this.#archive.recover();
    const open: OpenLog[] = [];
    for (const name of await readdir(this.directory)) {
      if (!name.endsWith(".tmp")) continue;
      try {
        open.push({ path: join(this.directory, name), createdMs: parseTransferLogFileName(name).time * 1000 });
      } catch {
        // not a transfer log name: not ours, left alone
      }
    }
    open.sort((a, b) => b.createdMs - a.createdMs);
    const newest = open[0];
    if (newest !== undefined && this.#clock() - newest.createdMs < this.#maxAgeMs) this.#open = open.shift();
    for (const log of open) await this.#close(log);
  }

  /** {@link recover}, then a timer (unref'd) that runs {@link maintain} every check interval. */
  async start(): Promise<void> {
    await this.recover();
    this.#timer = setInterval(() => void this.maintain(), this.#checkIntervalMs);
    this.#timer.unref();
  }

  /** Appends one line for `entry` (see {@link TransferLogSink.append}); {@link flush} waits for it. */
  append(entry: TransferLogEntry): void {
    let line: string;
    try {
      line = formatTransferLogLine(entry);
    } catch (e) {
      this.#writeErrors++;
      this.#logger.error({ err: e, file: entry.fileName }, "transfer log entry cannot be written");
      return;
    }
    const now = this.#clock();
    this.#enqueue(async () => {
      await this.#closeIfDue(now);
      this.#open ??= this.#newLog(now);
      await appendFile(this.#open.path, line);
      this.#lines++;
    });
  }

  /** Resolves when every line appended so far is written. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  /** Closes the open log when it is due, then one archive pass (compress, send, retry failed when due). */
  async maintain(): Promise<void> {
    const now = this.#clock();
    this.#enqueue(() => this.#closeIfDue(now));
    await this.#chain;
    if (this.#shipping === undefined) {
      const abort = new AbortController();
      this.#shippingAbort = abort;
      this.#shipping = this.#archive
        .run(abort.signal)
        .catch((e) => this.#logger.error({ err: e }, "transfer log archive pass failed"))
        .finally(() => {
          this.#shipping = undefined;
        });
    }
    await this.#shipping;
  }

  /** Deletes every transfer log (open, closed, compressed, failed); an archive upload in progress is aborted first. */
  async purge(): Promise<number> {
    await this.#stopShipping();
    let deleted = 0;
    this.#enqueue(async () => {
      const open = this.#open;
      this.#open = undefined;
      for (const name of await readdir(this.directory).catch(() => [] as string[])) {
        if (!name.endsWith(".tmp")) continue;
        if (open?.path !== join(this.directory, name) && !isTransferLogName(name)) continue;
        await rm(join(this.directory, name), { force: true });
        deleted++;
      }
      deleted += await this.#archive.purge();
    });
    await this.#chain;
    this.#logger.info({ deleted }, "transfer logs purged");
    return deleted;
  }

  /** Stops the timer, aborts an archive upload in progress and waits for pending lines; the open log stays `.tmp`. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#stopShipping();
    await this.#chain;
  }

  async #stopShipping(): Promise<void> {
    this.#shippingAbort?.abort();
    await this.#shipping;
  }

  #enqueue(op: () => Promise<void>): void {
    this.#chain = this.#chain.then(op).catch((e) => {
      this.#writeErrors++;
      this.#logger.error({ err: e }, "transfer log write failed");
    });
  }

  #newLog(createdMs: number): OpenLog {
    const name = transferLogFileName({
      hostname: this.#hostname,
      prefix: this.#prefix,
      time: Math.floor(createdMs / 1000),
      kind: "tmp",
    });
    return { path: join(this.directory, name), createdMs };
  }

  async #closeIfDue(now: number): Promise<void> {
    const open = this.#open;
    if (open === undefined || now - open.createdMs < this.#maxAgeMs) return;
    this.#open = undefined;
    await this.#close(open);
  }

  /** `.tmp` -> `.log` (a log whose file is gone, e.g. never written, is skipped). */
  async #close(log: OpenLog): Promise<void> {
    await rename(log.path, log.path.replace(/\.tmp$/, ".log")).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
}

function isTransferLogName(name: string): boolean {
  try {
    parseTransferLogFileName(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The transfer-log entry of one attempt (Table 1): `ts` is the attempt's start (whole seconds), `tt` its duration in
 * milliseconds, `ul` the destination's password-free URL, `rc`/`er` the result's code and text.
 */
export function transferLogEntry(
  file: { name: string; size: number; records: number },
  startedAtMs: number,
  url: string,
  result: TransferResult,
): TransferLogEntry {
  return {
    fileName: file.name,
    fileSize: file.size,
    recordCount: file.records,
    timestamp: Math.floor(startedAtMs / 1000),
    success: result.ok,
    url,
    resultCode: Math.min(Math.max(0, Math.trunc(result.code)), 999),
    errorText: result.ok ? "" : result.message,
    transferTimeMs: Math.max(0, Math.round(result.ms)),
  };
}
