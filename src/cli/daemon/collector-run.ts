/**
 * The action of `flowlens collector` (registered in collector-command.ts, loaded only when it runs so that other
 * commands start fast). With `scale-out.processes` above 1 (role `receiver`) the process becomes the primary of that
 * many node:cluster workers (src/scale/receiver-cluster.ts), each of which runs this same action as a receiver with its
 * own directories and admin port (src/scale/receiver-worker.ts).
 */
import { startCollector } from "../../collector/collector.ts";
import type { CollectorConfig, collectorConfigSchema } from "../../collector/config.ts";
import { type ConfigSource, loadConfig } from "../../runtime/config.ts";
import { errorSummary } from "../../runtime/errors.ts";
import { type DaemonContext, runDaemon } from "../../runtime/lifecycle.ts";
import { ReceiverCluster } from "../../scale/receiver-cluster.ts";
import {
  onDrainRequest,
  type ReceiverWorkerIdentity,
  receiverWorkerConfig,
  receiverWorkerIdentity,
  reportToPrimary,
} from "../../scale/receiver-worker.ts";

/** Options common to the daemon commands. */
export interface DaemonOptions {
  check?: boolean;
  dump?: boolean;
}

/** Where the collector configuration comes from. */
export type Source = ConfigSource<typeof collectorConfigSchema>;

/** Checks, dumps or runs the collector (the primary of its receiver workers, or one of them). */
export async function runCollector(source: Source, options: DaemonOptions): Promise<void> {
  const worker = options.check || options.dump ? undefined : receiverWorkerIdentity();
  // A drain request may come before the worker's lifecycle exists (the primary stopping during a start).
  let drainRequested = false;
  let drain = () => {
    drainRequested = true;
  };
  if (worker !== undefined) onDrainRequest(() => drain());
  let started = false;
  await runDaemon({
    name: "collector",
    source,
    options,
    async start(config, context) {
      if (worker !== undefined) {
        const reloaded = () => receiverWorkerConfig(loadConfig(source), worker);
        drain = await startWorker(config, context, worker, { reloaded, drainRequested: () => drainRequested });
        started = true;
        return undefined;
      }
      if ((config["scale-out"]?.processes ?? 1) > 1) return startPrimary(config, context);
      const { logger, lifecycle } = context;
      const running = await startCollector(config, { logger });
      lifecycle.onDrain("collector", () => running.stop());
      lifecycle.onReload("configuration", () => running.reloadCheck(loadConfig(source)));
      lifecycle.addStatsProvider("collector", () => running.control.interfaces());
      if (config["scale-out"] !== undefined) lifecycle.addStatsProvider("scale-out", () => running.scaleOut());
      return undefined;
    },
  });
  // A worker that did not start (refused configuration, a listen error) ends: its IPC channel would keep it alive.
  if (worker !== undefined && !started) process.exit(1);
}

/** Forks and watches the receiver workers; the primary serves the summed status on `admin.port`. */
async function startPrimary(config: CollectorConfig, { logger, lifecycle }: DaemonContext): Promise<undefined> {
  const workers = await ReceiverCluster.start({ config, logger });
  lifecycle.onDrain("receiver-workers", () => workers.stop());
  lifecycle.onReload("receiver-workers", () => workers.reload());
  lifecycle.addStatsProvider("receiver-workers", () => workers.status());
  return undefined;
}

/**
 * Runs receiver worker `worker` on its derived configuration and reports its admin URL (or its start error) to the
 * primary; resolves to what a drain request from the primary does (drain once, whether asked by signal or by the
 * primary).
 */
async function startWorker(
  config: CollectorConfig,
  { logger, lifecycle }: DaemonContext,
  worker: ReceiverWorkerIdentity,
  hooks: { reloaded: () => CollectorConfig; drainRequested: () => boolean },
): Promise<() => void> {
  let running: Awaited<ReturnType<typeof startCollector>>;
  try {
    running = await startCollector(receiverWorkerConfig(config, worker), {
      logger: logger.child({ worker: worker.index }),
    });
  } catch (e) {
    const { code, message } = errorSummary(e);
    reportToPrimary({ flowlens: "receiver-worker", index: worker.index, error: `${message} (${code})` });
    throw e;
  }
  lifecycle.onDrain("collector", () => running.stop());
  lifecycle.onReload("configuration", () => running.reloadCheck(hooks.reloaded()));
  lifecycle.addStatsProvider("collector", () => running.control.interfaces());
  lifecycle.addStatsProvider("scale-out", () => running.scaleOut());
  let draining = false;
  lifecycle.onDrain("receiver-worker", () => {
    draining = true; // registered last, so it runs first: a signal's drain makes a later request a no-op
  });
  const drain = () => {
    if (!draining) {
      draining = true;
      void lifecycle.shutdown("drain requested by the primary");
    }
  };
  reportToPrimary({ flowlens: "receiver-worker", index: worker.index, adminUrl: running.adminUrl });
  if (hooks.drainRequested()) queueMicrotask(drain);
  return drain;
}
