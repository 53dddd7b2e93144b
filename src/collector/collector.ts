/**
 * The flow collector daemon (flow-collector.txt): every configured collector interface running (interface-runtime.ts),
 * one transfer log for the process, spool recovery at start, a one-second tick for rates and rotation, and the admin
 * API (operational commands, `/metrics`, `/healthz`, `/readyz`, `/version`) on loopback.
 */
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { registerAdminRoutes } from "./admin/admin-routes.ts";
import { registerCollectorMetrics } from "./admin/collector-metrics.ts";
import type { CollectorConfig } from "./config.ts";
import {
  type ChangeDestinationOptions,
  type Clock,
  type CollectorControl,
  UnknownInterfaceError,
} from "./contracts.ts";
import { InterfaceRuntime } from "./interface-runtime.ts";
import { recoverSpool } from "./record-files/spool-recovery.ts";
import { createScaleRole, type ScaleRole } from "./scale-role.ts";
import { TransferLog } from "./shipping/transfer-log.ts";
import type { ServerRole } from "./status.ts";
import type { ScaleOutStatus } from "../scale/scale-status.ts";
import { createHttpServer, type HttpServer } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";

/** Options of {@link startCollector}. */
export interface StartCollectorOptions {
  logger: Logger;
  clock?: Clock;
  /** Time SIGTERM gives transfers in progress before abandoning them (they stay queued), ms (default 8000). */
  drainTimeoutMs?: number;
}

/** A running collector. */
export interface RunningCollector {
  readonly control: CollectorControl;
  /** `http://host:port` of the admin API. */
  readonly adminUrl: string;
  /** The scale-out role's figures (`GET /api/v1/scale-out`; role `all` when not scaled out). */
  scaleOut(): ScaleOutStatus;
  /** Drains and stops everything (SIGTERM). */
  stop(): Promise<void>;
  /** SIGHUP with a new valid configuration: applied parts are logged; structural changes need a restart. */
  reloadCheck(next: CollectorConfig): void;
}

function controlOf(runtimes: Map<string, InterfaceRuntime>, clock: Clock): CollectorControl {
  const get = (name: string) => {
    const r = runtimes.get(name);
    if (r === undefined) throw new UnknownInterfaceError(name);
    return r;
  };
  return {
    interfaces: (name) =>
      (name === undefined || name === "all" ? [...runtimes.values()] : [get(name)]).map((r) => r.status()),
    files: (name) => get(name).fileStatus(),
    channels: (name) => get(name).channelStatus(),
    clearStatistics: (name) => {
      for (const r of name === "all" ? runtimes.values() : [get(name)]) r.clearStatistics(clock());
    },
    changeDestination: (name: string, role: ServerRole, options: ChangeDestinationOptions) =>
      get(name).changeDestination(role, options),
    testFileTransfer: (name, fileName, channel, role) => get(name).testFileTransfer(fileName, channel, role),
  };
}

/**
 * Starts the collector: recovers the spool (torn files cut, closed files queued again), starts the transfer log, every
 * interface's channels and listeners, and the admin API.
 * @throws when a listen address or the admin port cannot be bound (everything opened so far is closed again).
 */
export async function startCollector(
  config: CollectorConfig,
  options: StartCollectorOptions,
): Promise<RunningCollector> {
  const clock = options.clock ?? Date.now;
  const logger = options.logger;
  const spoolDirectory = config["spool-directory"];
  await mkdir(spoolDirectory, { recursive: true });
  const scale = createScaleRole(config, logger, clock); // first: a bad disk buffer directory leaves nothing running
  const transferLog = new TransferLog({
    config: config["transfer-log-archive"],
    hostname: config.hostname ?? hostname(),
    clock,
    logger: logger.child({ component: "transfer-log" }),
  });
  await transferLog.start();
  const runtimes = new Map<string, InterfaceRuntime>();
  for (const [name, ifc] of Object.entries(config.interfaces)) {
    const startReceiver = scale.receiverFor(name);
    runtimes.set(
      name,
      new InterfaceRuntime({ name, config: ifc, spoolDirectory, transferLog, clock, logger, startReceiver }),
    );
  }
  const recovered = await recoverSpool({ spoolDirectory, interfaces: config.interfaces, clock, logger });
  for (const file of recovered.files) {
    if (!runtimes.get(file.interfaceName)?.enqueue(file)) {
      logger.warn(
        { component: "collector", file: file.path },
        "record file of an unconfigured channel left in the spool",
      );
    }
  }
  const metrics = new Metrics();
  const control = controlOf(runtimes, clock);
  let http: HttpServer | undefined;
  const started: InterfaceRuntime[] = [];
  try {
    for (const [name, runtime] of runtimes) {
      await runtime.start(config.interfaces[name], logger);
      started.push(runtime);
    }
    http = createHttpServer({
      name: "flowlens-collector",
      metrics,
      logger,
      host: config.admin.host,
      port: config.admin.port,
    });
    registerAdminRoutes(http, control);
    registerCollectorMetrics(metrics, control);
    scale.started(runtimes, http, metrics);
    http.addReadinessCheck("collecting", () =>
      [...runtimes.values()].every((r) => r.status().state === "Collecting flows"),
    );
    const address = await http.listen();
    return running(config, { runtimes, transferLog, http, control, clock, logger, url: address.url, options, scale });
  } catch (e) {
    const never = new AbortController();
    never.abort();
    await Promise.allSettled(started.map((r) => r.stop(never.signal)));
    await scale.close(never.signal);
    await http?.close().catch(() => undefined);
    await transferLog.close();
    throw e;
  }
}

interface Parts {
  runtimes: Map<string, InterfaceRuntime>;
  transferLog: TransferLog;
  http: HttpServer;
  control: CollectorControl;
  clock: Clock;
  logger: Logger;
  url: string;
  options: StartCollectorOptions;
  /** The scale-out role (scale-role.ts); `all` does nothing. */
  scale: ScaleRole;
}

function running(config: CollectorConfig, p: Parts): RunningCollector {
  const ticker = setInterval(() => {
    const now = p.clock();
    for (const r of p.runtimes.values()) r.tick(now);
  }, 1000);
  const flusher = setInterval(() => {
    for (const r of p.runtimes.values()) void r.flush();
  }, Math.min(...Object.values(config.interfaces).map((i) => i["file-specification"]["flush-interval"])));
  ticker.unref();
  flusher.unref();
  p.logger.info({ component: "collector", admin: p.url, interfaces: [...p.runtimes.keys()] }, "collector started");
  let stopping: Promise<void> | undefined;
  return {
    control: p.control,
    adminUrl: p.url,
    scaleOut: () => p.scale.status(),
    stop: () => {
      stopping ??= (async () => {
        clearInterval(ticker);
        clearInterval(flusher);
        const deadline = AbortSignal.timeout(p.options.drainTimeoutMs ?? 8000);
        await Promise.all([...p.runtimes.values()].map((r) => r.stop(deadline)));
        await p.scale.close(deadline);
        await p.transferLog.close();
        await p.http.close();
        p.logger.info({ component: "collector" }, "collector stopped");
      })();
      return stopping;
    },
    reloadCheck: (next) => {
      const same = JSON.stringify(next) === JSON.stringify(config);
      p.logger.warn(
        { component: "collector" },
        same
          ? "configuration unchanged"
          : "configuration changed: restart the collector to apply it (SIGHUP reopens logs only)",
      );
    },
  };
}
