/**
 * One export channel (0 or 1) of one collector interface (flow-collector.txt: "export channels 0 and 1", "Current
 * server", "Primary server state", `request services flow-collector change-destination`).
 *
 * Closed record files wait in a FIFO queue and go, one at a time, to the channel's current server. The queue lives in
 * memory but loses nothing: a file stays in the spool until a transfer of it is confirmed, and the daemon re-enqueues
 * the spool's closed files at start. Per file:
 *
 * - up to `retry-count` attempts (at least one) on the current server, `retry-delay` apart;
 * - then that server is marked `Failed` and, when the other server is configured, the channel fails over to it at once
 *   (the other server becomes the current one, for this file and the next ones: no automatic fail-back);
 * - when both servers (or the only one) failed their attempts for the file, the channel waits `retry-delay` and starts
 *   again on the other server, forever: the file is never deleted nor skipped;
 * - a success marks the server `OK`, deletes the local file and counts FTP bytes, FTP files and files exported;
 * - every attempt, good or bad, is one transfer-log line; every failed attempt counts one "FTP failure".
 *
 * A closed file that vanished from the spool before its transfer is dropped and counted as destroyed.
 */
import { rm, stat } from "node:fs/promises";
import { createLogger, type Logger } from "../../runtime/logger.ts";
import { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { ChangeDestinationOptions, ClosedRecordFile, Clock, RequestOutcome } from "../contracts.ts";
import { RateCounter } from "../rate-counter.ts";
import type { ExportChannelStatus, ServerRole } from "../status.ts";
import { createDestination, type Destination } from "./destination.ts";
import type {
  ExportChannelCounters,
  ExportChannelOptions,
  QueuedFileState,
  QueuedFileStatus,
} from "./export-channel-types.ts";
import * as messages from "./request-messages.ts";
import { realSleep, type Sleep } from "./sleep.ts";
import { isPlainFileName, runTestFileTransfer } from "./test-file-transfer.ts";
import { transferLogEntry } from "./transfer-log.ts";
import { errorText, localFailure } from "./transfer-result.ts";

export type { ExportChannelCounters, ExportChannelOptions, QueuedFileState, QueuedFileStatus };

interface QueueItem {
  file: ClosedRecordFile;
  state: QueuedFileState;
  attempts: number;
  /** clear-files took it: destroy it instead of retrying. */
  cleared: boolean;
  done: boolean;
}

type AttemptOutcome = "ok" | "failed" | "aborted";

const other = (role: ServerRole): ServerRole => (role === "primary" ? "secondary" : "primary");

/** One export channel of one collector interface (see the module comment). */
export class ExportChannel {
  readonly interfaceName: string;
  readonly channel: 0 | 1;
  /** The channel's counters; {@link tick} once a second keeps their rates. */
  readonly counters: ExportChannelCounters;
  readonly #o: ExportChannelOptions;
  readonly #servers: { primary: Destination; secondary: Destination | undefined };
  readonly #state: Record<ServerRole, "OK" | "Failed"> = { primary: "OK", secondary: "OK" };
  readonly #attemptsPerServer: number;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #logger: Logger;
  readonly #failures: RateLimitedLog;
  #queue: QueueItem[] = [];
  readonly #paths = new Set<string>();
  #current: ServerRole = "primary";
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #transferAbort: AbortController | undefined;
  #waitAbort: AbortController | undefined;
  readonly #testAbort = new AbortController();
  readonly #tests = new Set<Promise<unknown>>();

  constructor(options: ExportChannelOptions) {
    this.#o = options;
    this.interfaceName = options.interfaceName;
    this.channel = options.channel;
    const c = options.config;
    this.#servers = {
      primary: options.primary ?? createDestination(c.primary, options.destinationOptions),
      secondary:
        options.secondary ??
        (c.secondary === undefined ? undefined : createDestination(c.secondary, options.destinationOptions)),
    };
    this.#attemptsPerServer = Math.max(1, c["retry-count"]);
    this.#clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#logger = (options.logger ?? createLogger({ level: "silent" })).child({
      component: "shipping",
      interface: options.interfaceName,
      channel: options.channel,
    });
    this.#failures = new RateLimitedLog(this.#logger);
    const now = this.#clock();
    this.counters = {
      ftpBytes: new RateCounter(now),
      ftpFiles: new RateCounter(now),
      ftpFailure: 0,
      filesExported: new RateCounter(now),
      filesDestroyed: new RateCounter(now),
    };
  }

  /** Adds a closed file at the end of the queue (a file already queued, by path, is ignored). */
  enqueue(file: ClosedRecordFile): void {
    if (this.#paths.has(file.path)) return;
    this.#paths.add(file.path);
    this.#queue.push({ file, state: "Queued", attempts: 0, cleared: false, done: false });
    this.#wakeUp();
  }

  /** Starts shipping (once); files enqueued before are shipped first, in order. */
  start(): void {
    this.#loop ??= this.#run().catch((e) => this.#logger.fatal({ err: e }, "export channel stopped"));
  }

  /** The server in use now. */
  get currentServer(): ServerRole {
    return this.#current;
  }

  /** The channel as `show services flow-collector ... extensive` prints it. */
  status(): ExportChannelStatus {
    const secondary = this.#servers.secondary;
    return {
      channel: this.channel,
      currentServer: this.#current,
      primaryState: this.#state.primary,
      secondaryState: secondary === undefined ? "Not configured" : this.#state.secondary,
      primaryUrl: this.#servers.primary.url,
      secondaryUrl: secondary?.url ?? null,
      queuedFiles: this.#queue.length,
    };
  }

  /** The files waiting (the one in transfer first), for `show services flow-collector file`. */
  files(): QueuedFileStatus[] {
    return this.#queue.map((i) => ({ file: i.file, state: i.state, transferAttempts: i.attempts }));
  }

  /** Closes the counters' one-second interval (call about once a second). */
  tick(nowMs: number): void {
    for (const c of this.#rateCounters()) c.tick(nowMs);
  }

  /** Zeroes the counters (`clear services flow-collector statistics`). */
  clearStatistics(nowMs: number): void {
    for (const c of this.#rateCounters()) c.clear(nowMs);
    this.counters.ftpFailure = 0;
  }

  /**
   * `request services flow-collector change-destination (primary|secondary) [immediately|gracefully] [clear-files]
   * [clear-logs]`. Refused, with nothing changed, as the spec says: `primary` with only a primary configured is
   * "Destination change not needed", `secondary` with no secondary is "Destination not configured". Otherwise (even
   * when `role` is already current) "Destination change successful" and:
   * - the next attempt goes to `role`, with a fresh retry count; gracefully (the default) lets an attempt in progress
   *   and a retry-delay wait run out first; immediately aborts an attempt in progress on the other server (logged as
   *   a failed attempt with `er="aborted"`, not counted as an FTP failure, the file is retried on `role` at once);
   * - clear-files deletes every queued file, counted as destroyed; a file in transfer is destroyed after the attempt
   *   unless that attempt succeeds (immediately aborts it first);
   * - clear-logs purges the transfer logs (in the background).
   */
  changeDestination(role: ServerRole, options: ChangeDestinationOptions = {}): RequestOutcome {
    if (this.#servers.secondary === undefined) {
      const message = role === "primary" ? messages.DESTINATION_CHANGE_NOT_NEEDED : messages.DESTINATION_NOT_CONFIGURED;
      return { message, refused: true };
    }
    const changed = this.#current !== role;
    this.#current = role;
    if (options.clearFiles) this.#clearFiles();
    if (options.immediately) {
      if (changed || options.clearFiles) this.#transferAbort?.abort();
      this.#waitAbort?.abort();
    }
    if (options.clearLogs) {
      this.#o.transferLog.purge().catch((e) => this.#logger.error({ err: e }, "clear-logs failed"));
    }
    this.#logger.info({ server: role, ...options }, "destination changed");
    return { message: messages.DESTINATION_CHANGE_SUCCESSFUL, refused: false };
  }

  /**
   * `request services flow-collector test-file-transfer NAME ... (primary|secondary)`: schedules the test upload
   * (test-file-transfer.ts) and answers "Test file transfer successfully scheduled"; "Destination not configured" for a
   * missing secondary, "Invalid test file name" for a name that is not a plain file name.
   */
  testFileTransfer(name: string, role: ServerRole): RequestOutcome {
    const destination = this.#servers[role];
    if (destination === undefined) return { message: messages.DESTINATION_NOT_CONFIGURED, refused: true };
    if (!isPlainFileName(name)) return { message: messages.INVALID_TEST_FILE_NAME, refused: true };
    const run = runTestFileTransfer({
      name,
      interfaceName: this.interfaceName,
      channel: this.channel,
      role,
      destination,
      directory: this.#o.testFileDirectory,
      transferLog: this.#o.transferLog,
      clock: this.#clock,
      signal: this.#testAbort.signal,
    }).then((r) =>
      this.#logger.info({ file: name, url: destination.url, ok: r.ok, code: r.code }, "test file transfer"),
    );
    this.#tests.add(run);
    void run.finally(() => this.#tests.delete(run));
    return { message: messages.TEST_FILE_TRANSFER_SCHEDULED, refused: false };
  }

  /**
   * Stops shipping (SIGTERM): no new attempt starts; the attempt in progress and scheduled test transfers finish, or
   * are aborted when `signal` aborts (the deadline), leaving their file queued in the spool. Resolves when idle.
   */
  async drain(signal?: AbortSignal): Promise<void> {
    this.#stopping = true;
    this.#wakeUp();
    this.#waitAbort?.abort();
    const abort = () => {
      this.#transferAbort?.abort();
      this.#testAbort.abort();
    };
    if (signal?.aborted) abort();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      await this.#loop;
      await Promise.all(this.#tests);
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }

  #rateCounters(): RateCounter[] {
    const c = this.counters;
    return [c.ftpBytes, c.ftpFiles, c.filesExported, c.filesDestroyed];
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const item = this.#queue[0];
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      try {
        await this.#ship(item);
      } catch (e) {
        // not expected (uploads and file operations report their errors); keep the file and go on after a pause
        item.state = "Failed";
        this.#logger.error({ err: e, file: item.file.name }, "export channel error");
        await this.#wait(this.#o.config["retry-delay"]);
      }
    }
  }

  /** Sends one file until it is confirmed, cleared or the channel stops (see the module comment). */
  async #ship(item: QueueItem): Promise<void> {
    const tried = new Set<ServerRole>();
    let role = this.#current;
    let failures = 0;
    while (!this.#stopping && !item.cleared) {
      if (this.#current !== role) {
        role = this.#current;
        failures = 0;
      }
      const outcome = await this.#attempt(item, role);
      if (outcome === "ok" || item.done) return;
      if (outcome === "aborted" || item.cleared) continue;
      if (++failures < this.#attemptsPerServer) {
        await this.#wait(this.#o.config["retry-delay"]);
        continue;
      }
      failures = 0;
      this.#state[role] = "Failed";
      tried.add(role);
      const next = other(role);
      const canFailOver = this.#servers[next] !== undefined;
      if (canFailOver && this.#current === role) {
        this.#current = next;
        this.#logger.warn({ from: role, to: next }, "export channel failed over");
      }
      if (!canFailOver || tried.has(next)) {
        tried.clear();
        await this.#wait(this.#o.config["retry-delay"]);
      }
    }
    if (item.cleared) await this.#destroy(item, "cleared");
  }

  /** One attempt of `item` on `role`: upload, transfer-log line, counters, and on success the local deletion. */
  async #attempt(item: QueueItem, role: ServerRole): Promise<AttemptOutcome> {
    const destination = this.#servers[role]!;
    const file = item.file;
    const size = await stat(file.path).then(
      (st) => st.size,
      (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : file.compressedBytes),
    );
    if (size === undefined) {
      this.#logger.error({ file: file.name }, "closed record file vanished from the spool");
      await this.#destroy(item, "missing");
      return "ok";
    }
    const abort = new AbortController();
    this.#transferAbort = abort;
    item.state = "Transferring";
    item.attempts++;
    const startedAt = this.#clock();
    const result = await destination
      .upload(file.path, file.name, abort.signal)
      .catch((e: unknown) => localFailure(errorText(e), 0, Math.max(0, this.#clock() - startedAt)));
    this.#transferAbort = undefined;
    const entry = transferLogEntry(
      { name: file.name, size, records: file.records },
      startedAt,
      destination.url,
      result,
    );
    this.#o.transferLog.append(entry);
    if (result.ok) {
      this.#state[role] = "OK";
      await this.#exported(item, result.bytes);
      return "ok";
    }
    item.state = abort.signal.aborted ? "Queued" : "Failed";
    if (abort.signal.aborted) return "aborted";
    this.counters.ftpFailure++;
    this.#failures.warn("ERR_TRANSFER_FAILED", "file transfer failed", {
      file: file.name,
      url: destination.url,
      rc: result.code,
      er: result.message,
    });
    return "failed";
  }

  async #exported(item: QueueItem, bytes: number): Promise<void> {
    this.#remove(item);
    await rm(item.file.path, { force: true }).catch((e) =>
      this.#logger.error({ err: e, file: item.file.name }, "exported file could not be deleted from the spool"),
    );
    this.counters.ftpBytes.add(bytes);
    this.counters.ftpFiles.add();
    this.counters.filesExported.add();
    this.#o.onExported?.(item.file, bytes);
  }

  async #destroy(item: QueueItem, reason: "cleared" | "missing"): Promise<void> {
    if (item.done) return;
    this.#remove(item);
    if (reason === "cleared") {
      await rm(item.file.path, { force: true }).catch((e) =>
        this.#logger.error({ err: e, file: item.file.name }, "cleared file could not be deleted"),
      );
    }
    this.counters.filesDestroyed.add();
    this.#o.onDestroyed?.(item.file);
  }

  #remove(item: QueueItem): void {
    item.done = true;
    this.#paths.delete(item.file.path);
    this.#queue = this.#queue.filter((i) => i !== item);
  }

  /** clear-files: every file not in transfer is destroyed now; the one in transfer is marked for it. */
  #clearFiles(): void {
    for (const item of this.#queue) {
      item.cleared = true;
      if (item.state !== "Transferring") void this.#destroy(item, "cleared");
    }
    this.#waitAbort?.abort();
  }

  async #wait(ms: number): Promise<void> {
    const abort = new AbortController();
    this.#waitAbort = abort;
    try {
      await this.#sleep(ms, abort.signal);
    } finally {
      if (this.#waitAbort === abort) this.#waitAbort = undefined;
    }
  }
}
