/**
 * The transfer-log archive (flow-collector.txt, transfer log section, and `[edit services flow-collector
 * transfer-log-archive]`): what happens to a transfer log once it is closed (`.log`).
 *
 * 1. The `.log` is compressed with gzip to `<name>.log.gz` (written as `<name>.log.gz.part`, fsynced, renamed; the
 *    `.log` is deleted after the rename). flowlens always compresses: the spec's "When the final log file is created
 *    and compressed".
 * 2. The `.log.gz` is sent to the archive sites one at a time, in configuration order, under its own name; the first
 *    site that confirms the transfer ends the tries and the local file is deleted.
 * 3. When no site accepts it (or none is configured), it moves to `<directory>/failed/`. Every `retry-interval` (the
 *    spec's 30 minutes by default) each failed log is sent again through the sites in order, and deleted once one
 *    accepts it. The first retry is one interval after a log first moved there; failed logs found at start-up are
 *    retried on the first pass.
 *
 * Every step can be interrupted by a crash and is picked up again: a stray `.log.gz.part` is deleted, a `.log` beside its
 * `.log.gz` is deleted, every other `.log` is compressed again, every `.log.gz` left in the directory is sent.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { Logger } from "../../runtime/logger.ts";
import type { Clock } from "../contracts.ts";
import type { Destination } from "./destination.ts";

/** Suffix of a compressed closed transfer log. */
export const COMPRESSED_LOG_SUFFIX = ".log.gz";
/** Name of the directory, below the transfer-log directory, of logs that no archive site accepted. */
export const FAILED_DIRECTORY = "failed";

/** Options of {@link TransferLogArchive}. */
export interface TransferLogArchiveOptions {
  /** The transfer-log directory (`failed/` is below it). */
  directory: string;
  /** Archive sites in configuration order (up to five). */
  sites: readonly Destination[];
  /** Time between two resends of the failed logs, ms. */
  retryIntervalMs: number;
  clock: Clock;
  logger?: Logger;
}

/** Counters of the archive since start. */
export interface TransferLogArchiveStats {
  /** Logs a site accepted (then deleted locally). */
  archived: number;
  /** Failed attempts to send a log to one site. */
  siteFailures: number;
  /** Logs in `failed/` after the last pass. */
  failedLogs: number;
  /** Local errors (compression, moves) met. */
  errors: number;
}

/** Compresses closed transfer logs and sends them to the archive sites, keeping the ones no site took in `failed/`. */
export class TransferLogArchive {
  readonly directory: string;
  readonly failedDirectory: string;
  readonly #sites: readonly Destination[];
  readonly #retryIntervalMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  #nextRetryAt: number | undefined;
  readonly #stats: TransferLogArchiveStats = { archived: 0, siteFailures: 0, failedLogs: 0, errors: 0 };

  constructor(options: TransferLogArchiveOptions) {
    this.directory = options.directory;
    this.failedDirectory = join(options.directory, FAILED_DIRECTORY);
    this.#sites = options.sites;
    this.#retryIntervalMs = options.retryIntervalMs;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /** Counters as plain data. */
  stats(): TransferLogArchiveStats {
    return { ...this.#stats };
  }

  /** When the failed logs are next sent again, ms since the epoch; undefined while there are none. */
  get nextRetryAt(): number | undefined {
    return this.#nextRetryAt;
  }

  /** Creates the directories, deletes stray partial files and schedules failed logs from a previous run for retry. */
  async recover(): Promise<void> {
    await mkdir(this.failedDirectory, { recursive: true });
    for (const name of await readdir(this.directory)) {
      if (name.endsWith(`${COMPRESSED_LOG_SUFFIX}.part`)) await rm(join(this.directory, name), { force: true });
    }
    const failed = await this.#failedNames();
    this.#stats.failedLogs = failed.length;
    if (failed.length > 0) this.#nextRetryAt = this.#clock();
  }

  /**
   * One pass: compress every closed `.log`, send every `.log.gz` (to `failed/` when no site takes it), then, when the
   * retry time has come, send the failed logs again. An aborted `signal` stops between steps (and aborts the upload
   * in progress, which then counts as failed but leaves the log where it was).
   */
  async run(signal?: AbortSignal): Promise<void> {
    const names = (await readdir(this.directory)).sort();
    for (const name of names.filter((n) => n.endsWith(".log"))) {
      if (signal?.aborted) return;
      await this.#compress(name, names.includes(name + ".gz"));
    }
    const compressed = (await readdir(this.directory)).filter((n) => n.endsWith(COMPRESSED_LOG_SUFFIX)).sort();
    for (const name of compressed) {
      if (signal?.aborted) return;
      if (await this.#send(join(this.directory, name), name, signal)) continue;
      if (signal?.aborted) return;
      await this.#moveToFailed(name);
    }
    if (this.#nextRetryAt !== undefined && this.#clock() >= this.#nextRetryAt) await this.#retryFailed(signal);
  }

  /** Deletes every closed, compressed and failed log (clear-logs); returns how many files were deleted. */
  async purge(): Promise<number> {
    let deleted = 0;
    for (const name of await readdir(this.directory).catch(() => [])) {
      if (!/\.log(\.gz(\.part)?)?$/.test(name)) continue;
      await rm(join(this.directory, name), { force: true });
      deleted++;
    }
    for (const name of await this.#failedNames()) {
      await rm(join(this.failedDirectory, name), { force: true });
      deleted++;
    }
    this.#stats.failedLogs = 0;
    this.#nextRetryAt = undefined;
    return deleted;
  }

  async #failedNames(): Promise<string[]> {
    const names = await readdir(this.failedDirectory).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(COMPRESSED_LOG_SUFFIX)).sort();
  }

  async #compress(name: string, alreadyCompressed: boolean): Promise<void> {
    const source = join(this.directory, name);
    const target = `${source}.gz`;
    try {
      if (!alreadyCompressed) {
        const output = createWriteStream(`${target}.part`);
        await pipeline(createReadStream(source), createGzip(), output);
        const handle = await open(`${target}.part`, "r");
        await handle.sync().finally(() => handle.close());
        await rename(`${target}.part`, target);
      }
      await rm(source, { force: true });
    } catch (e) {
      this.#stats.errors++;
      await rm(`${target}.part`, { force: true }).catch(() => undefined);
      this.#logger?.error({ err: e, file: name }, "cannot compress transfer log");
    }
  }

  /** Tries the sites in order; true (and the file deleted) when one accepted it. */
  async #send(path: string, name: string, signal?: AbortSignal): Promise<boolean> {
    for (const site of this.#sites) {
      const result = await site.upload(path, name, signal);
      if (result.ok) {
        await rm(path, { force: true });
        this.#stats.archived++;
        this.#logger?.info({ file: name, url: site.url, code: result.code }, "transfer log archived");
        return true;
      }
      this.#stats.siteFailures++;
      this.#logger?.warn(
        { file: name, url: site.url, code: result.code, error: result.message },
        "archive site did not accept the transfer log",
      );
      if (signal?.aborted) return false;
    }
    return false;
  }

  async #moveToFailed(name: string): Promise<void> {
    try {
      await rename(join(this.directory, name), join(this.failedDirectory, name));
      this.#stats.failedLogs++;
      this.#nextRetryAt ??= this.#clock() + this.#retryIntervalMs;
    } catch (e) {
      this.#stats.errors++;
      this.#logger?.error({ err: e, file: name }, "cannot move transfer log to failed/");
    }
  }

  async #retryFailed(signal?: AbortSignal): Promise<void> {
    for (const name of await this.#failedNames()) {
      if (signal?.aborted) return;
      await this.#send(join(this.failedDirectory, name), name, signal);
    }
    if (signal?.aborted) return;
    const left = await this.#failedNames();
    this.#stats.failedLogs = left.length;
    this.#nextRetryAt = left.length > 0 ? this.#clock() + this.#retryIntervalMs : undefined;
  }
}
