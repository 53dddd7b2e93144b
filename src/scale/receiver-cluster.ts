/**
 * The primary of `scale-out.processes` (docs/scale-out.md, "Several receivers on one machine"): a collector in
 * `role: receiver` with `processes: N` > 1 forks N node:cluster workers running the same command and configuration
 * file. Each worker runs the receiver (src/collector/scale-role.ts) with its own spool, disk buffer, transfer-log
 * directory and admin port (src/scale/receiver-worker.ts); their UDP listeners bind non-exclusively, so Node's cluster
 * has this primary own one socket per listen address and share its handle with every worker: the kernel hands each
 * datagram to whichever worker reads first (no round robin for UDP).
 *
 * The primary serves its own admin API on `admin.port`: `/healthz`, `/readyz` (ready when every worker is running),
 * `/version`, `/metrics` (`flowlens_collector_receiver_workers`, `flowlens_collector_receiver_worker_restarts_total`)
 * and `GET /api/v1/scale-out`, the workers' publisher counters summed plus each worker's own status and admin URL
 * (workers listen on `admin.port + 1 + index`, or on a free port the primary found when `admin.port` is 0). A worker
 * that exits is forked again with the same index after 1 s (doubling to 30 s while it keeps failing). Stopping sends
 * every worker a drain request (as SIGTERM does) and waits for them.
 */
import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import type { CollectorConfig } from "../collector/config.ts";
import { errorSummary } from "../runtime/errors.ts";
import { createHttpServer, type HttpServer } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import { ScaleError } from "./scale-errors.ts";
import { SCALE_OUT_ROUTE, type ScaleOutStatus } from "./scale-status.ts";
import { scrapedCounter, scrapedGauge } from "./scraped-metrics.ts";
import {
  DRAIN_MESSAGE,
  isReceiverWorkerMessage,
  RECEIVER_WORKER_ADMIN_ENV,
  RECEIVER_WORKER_ENV,
} from "./receiver-worker.ts";

/** Options of {@link ReceiverCluster.start}. */
export interface ReceiverClusterOptions {
  /** The collector configuration (`scale-out.role: receiver`, `processes` > 1). */
  readonly config: CollectorConfig;
  readonly logger: Logger;
  /** Time a worker has to report that it started, ms (default 30000). */
  readonly startTimeoutMs?: number;
  /** Time {@link ReceiverCluster.stop} waits for a worker to drain before SIGKILL, ms (default 15000). */
  readonly drainTimeoutMs?: number;
}

/** One worker as the primary sees it. */
export interface ReceiverWorkerStatus {
  /** Index, 0 to `processes - 1`. */
  worker: number;
  /** `running` once the worker reported its start; `restarting` from its exit until it runs again. */
  state: "starting" | "running" | "restarting" | "stopped";
  pid?: number;
  /** The worker's admin API (`show services flow-collector ...` against it gives its own figures). */
  adminUrl?: string;
  /** Times the worker was forked again after exiting. */
  restarts: number;
  /** The worker's own `GET /api/v1/scale-out`, when it answered. */
  status?: ScaleOutStatus;
  /** Why `status` is missing for a running worker. */
  error?: string;
}

/** `GET /api/v1/scale-out` of the primary: the workers' publisher figures summed, and every worker's. */
export type ReceiverClusterStatus = ScaleOutStatus & { workers: ReceiverWorkerStatus[] };

interface Slot {
  readonly index: number;
  state: ReceiverWorkerStatus["state"];
  worker?: Worker;
  adminUrl?: string;
  restarts: number;
  failures: number;
  timer?: NodeJS.Timeout;
}

const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
const STATUS_TIMEOUT_MS = 2000;

/** See the module comment. */
export class ReceiverCluster {
  /** `http://host:port` of the primary's admin API. */
  adminUrl = "";
  readonly #o: ReceiverClusterOptions;
  readonly #slots: Slot[];
  readonly #log: Logger;
  #http: HttpServer | undefined;
  #stopping = false;

  private constructor(o: ReceiverClusterOptions, processes: number) {
    this.#o = o;
    this.#log = o.logger.child({ component: "receiver-cluster" });
    this.#slots = Array.from({ length: processes }, (_, index) => ({
      index,
      state: "starting",
      restarts: 0,
      failures: 0,
    }));
  }

  /**
   * Forks the workers, waits until every one reports its start, then serves the primary's admin API.
   * @throws ScaleError `ERR_SCALE_WORKER` when a worker cannot start (every worker is stopped again), or when
   *   `admin.port + processes` passes 65535.
   */
  static async start(o: ReceiverClusterOptions): Promise<ReceiverCluster> {
    if (!cluster.isPrimary) throw new ScaleError("ERR_SCALE_WORKER", "receiver workers cannot fork workers");
    const processes = o.config["scale-out"]?.processes ?? 1;
    const base = o.config.admin.port;
    if (base !== 0 && base + processes > 65_535) {
      throw new ScaleError(
        "ERR_SCALE_WORKER",
        `admin.port ${base} leaves no port for receiver worker ${65_535 - base} (workers use admin.port + 1 + index)`,
      );
    }
    const c = new ReceiverCluster(o, processes);
    try {
      await Promise.all(c.#slots.map((s) => c.#fork(s)));
      c.adminUrl = await c.#serve();
    } catch (e) {
      await c.stop();
      throw e;
    }
    c.#log.info(
      { admin: c.adminUrl, workers: c.#slots.map((s) => s.adminUrl) },
      `${processes} receiver workers started`,
    );
    return c;
  }

  /** The primary's view and every worker's own figures (each asked over its admin API, 2 s at most). */
  async status(): Promise<ReceiverClusterStatus> {
    const workers = await Promise.all(this.#slots.map((s) => workerStatus(s)));
    const publisher = sumPublishers(workers.map((w) => w.status?.publisher));
    return {
      role: "receiver",
      connected: workers.every((w) => w.status?.connected === true),
      ...(publisher === undefined ? {} : { publisher }),
      workers,
    };
  }

  /** Asks every worker to reload (SIGHUP: reopen logs, check the configuration). */
  reload(): void {
    for (const s of this.#slots) {
      const pid = s.worker?.process.pid;
      if (pid !== undefined && s.worker?.isDead() === false) process.kill(pid, "SIGHUP");
    }
  }

  /** Stops forking, asks every worker to drain, waits for them (SIGKILL after the drain timeout), closes the API. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (s) => {
        clearTimeout(s.timer);
        const w = s.worker;
        if (w !== undefined) await drainWorker(w, this.#o.drainTimeoutMs ?? 15_000);
        s.state = "stopped";
      }),
    );
    await this.#http?.close();
  }

  #fork(slot: Slot): Promise<void> {
    return this.#adminPort(slot.index).then(
      (adminPort) =>
        new Promise<void>((resolve, reject) => {
          if (this.#stopping) return resolve();
          const worker = cluster.fork({
            [RECEIVER_WORKER_ENV]: String(slot.index),
            [RECEIVER_WORKER_ADMIN_ENV]: String(adminPort),
          });
          slot.worker = worker;
          slot.adminUrl = undefined;
          const failed = (message: string) => {
            clearTimeout(timer);
            reject(new ScaleError("ERR_SCALE_WORKER", `receiver worker ${slot.index}: ${message}`));
          };
          const timer = setTimeout(() => {
            failed(`not started within ${this.#o.startTimeoutMs ?? 30_000} ms`);
            worker.kill("SIGKILL");
          }, this.#o.startTimeoutMs ?? 30_000);
          worker.on("message", (m: unknown) => {
            if (!isReceiverWorkerMessage(m) || slot.worker !== worker) return;
            if ("error" in m) return failed(m.error);
            clearTimeout(timer);
            slot.adminUrl = m.adminUrl;
            slot.state = "running";
            slot.failures = 0;
            resolve();
          });
          worker.on("exit", (code, signal) => {
            clearTimeout(timer);
            if (slot.worker !== worker) return;
            slot.worker = undefined;
            const how = `exited (${signal ?? `code ${code}`})`;
            if (slot.state === "starting" || slot.state === "restarting") failed(`${how} before it started`);
            else if (!this.#stopping) this.#log.error({ worker: slot.index, code, signal }, `receiver worker ${how}`);
            if (slot.state === "running") this.#restartLater(slot);
          });
        }),
    );
  }

  #restartLater(slot: Slot): void {
    if (this.#stopping) return;
    slot.state = "restarting";
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** slot.failures, MAX_RESTART_DELAY_MS);
    slot.failures++;
    slot.timer = setTimeout(() => {
      if (this.#stopping) return;
      slot.restarts++;
      this.#fork(slot).catch((e: unknown) => {
        this.#log.error({ worker: slot.index, code: errorSummary(e).code }, errorSummary(e).message);
        slot.worker?.kill("SIGKILL");
        this.#restartLater(slot);
      });
    }, delay);
  }

  /** `admin.port + 1 + index`, or a free port on the admin host when `admin.port` is 0. */
  async #adminPort(index: number): Promise<number> {
    const { host, port } = this.#o.config.admin;
    return port === 0 ? await freeTcpPort(host) : port + 1 + index;
  }

  async #serve(): Promise<string> {
    const metrics = new Metrics();
    const http = createHttpServer({
      name: "flowlens-collector",
      metrics,
      logger: this.#o.logger,
      host: this.#o.config.admin.host,
      port: this.#o.config.admin.port,
    });
    this.#http = http;
    http.app.get(SCALE_OUT_ROUTE, async () => this.status());
    http.addReadinessCheck("receiver-workers", () => ({
      ready: this.#slots.every((s) => s.state === "running"),
      detail: this.#slots
        .filter((s) => s.state !== "running")
        .map((s) => `worker ${s.index} ${s.state}`)
        .join(", "),
    }));
    scrapedGauge(metrics, "collector_receiver_workers", "Receiver worker processes running", () =>
      this.#slots.reduce((n, s) => n + (s.state === "running" ? 1 : 0), 0),
    );
    scrapedCounter(metrics, "collector_receiver_worker_restarts_total", "Receiver workers forked again", () =>
      this.#slots.reduce((n, s) => n + s.restarts, 0),
    );
    return (await http.listen()).url;
  }
}

async function workerStatus(s: Slot): Promise<ReceiverWorkerStatus> {
  const base: ReceiverWorkerStatus = {
    worker: s.index,
    state: s.state,
    restarts: s.restarts,
    ...(s.worker?.process.pid === undefined ? {} : { pid: s.worker.process.pid }),
    ...(s.adminUrl === undefined ? {} : { adminUrl: s.adminUrl }),
  };
  if (s.state !== "running" || s.adminUrl === undefined) return base;
  try {
    const res = await fetch(`${s.adminUrl}${SCALE_OUT_ROUTE}`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    if (!res.ok) return { ...base, error: `admin API answered ${res.status}` };
    return { ...base, status: (await res.json()) as ScaleOutStatus };
  } catch (e) {
    return { ...base, error: errorSummary(e).message };
  }
}

type Publisher = NonNullable<ScaleOutStatus["publisher"]>;

/** Every numeric field summed over the publishers present (undefined when none answered). */
function sumPublishers(list: readonly (Publisher | undefined)[]): Publisher | undefined {
  let sum: Record<string, number> | undefined;
  for (const p of list) {
    if (p === undefined) continue;
    sum ??= {};
    for (const [k, v] of Object.entries(p)) if (typeof v === "number") sum[k] = (sum[k] ?? 0) + v;
  }
  return sum as Publisher | undefined;
}

/** Sends the drain request and waits for the exit; SIGKILL after `timeoutMs`. */
async function drainWorker(w: Worker, timeoutMs: number): Promise<void> {
  if (w.isDead()) return;
  const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
  try {
    w.send(DRAIN_MESSAGE);
  } catch {
    w.kill("SIGTERM"); // the IPC channel is gone
  }
  const timer = setTimeout(() => w.process.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** A TCP port on `host` that was free a moment ago (bound with port 0 and released). */
function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
