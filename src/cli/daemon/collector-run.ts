/**
 * The action of `flowlens collector` (registered in collector-command.ts, loaded only when it runs so that other
 * commands start fast).
 */
import { startCollector } from "../../collector/collector.ts";
import type { collectorConfigSchema } from "../../collector/config.ts";
import { type ConfigSource, loadConfig } from "../../runtime/config.ts";
import { runDaemon } from "../../runtime/lifecycle.ts";

/** Options common to the daemon commands. */
export interface DaemonOptions {
  check?: boolean;
  dump?: boolean;
}

/** Where the collector configuration comes from. */
export type Source = ConfigSource<typeof collectorConfigSchema>;

/** Checks, dumps or runs the collector. */
export async function runCollector(source: Source, options: DaemonOptions): Promise<void> {
  await runDaemon({
    name: "collector",
    source,
    options,
    async start(config, { logger, lifecycle }) {
      const running = await startCollector(config, { logger });
      lifecycle.onDrain("collector", () => running.stop());
      lifecycle.onReload("configuration", () => running.reloadCheck(loadConfig(source)));
      lifecycle.addStatsProvider("collector", () => running.control.interfaces());
      if (config["scale-out"] !== undefined) lifecycle.addStatsProvider("scale-out", () => running.scaleOut());
      return undefined;
    },
  });
}
