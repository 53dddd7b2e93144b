/**
 * The action of `flowlens collector` (registered in collector-command.ts, loaded only when it runs so that other
 * commands start fast).
 */
import { startCollector } from "../../collector/collector.ts";
import type { CollectorConfig, collectorConfigSchema } from "../../collector/config.ts";
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "../../runtime/config.ts";
import { ConfigError, errorSummary } from "../../runtime/errors.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../../runtime/logger.ts";

/** Options common to the daemon commands. */
export interface DaemonOptions {
  check?: boolean;
  dump?: boolean;
}

/** Where the collector configuration comes from. */
export type Source = ConfigSource<typeof collectorConfigSchema>;

function printResult(result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }): void {
  (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
  process.exitCode = result.exitCode;
}

/** Checks, dumps or runs the collector. */
export async function runCollector(source: Source, options: DaemonOptions): Promise<void> {
  if (options.check) return printResult(checkConfig(source));
  if (options.dump) return printResult(dumpConfig(source));
  let config: CollectorConfig;
  try {
    config = loadConfig(source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flowlens collector: configuration refused:\n${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const destination = createLogDestination();
  const logger = createLogger({ level: config["log-level"], name: "flowlens-collector", destination });
  const lifecycle = new Lifecycle({ logger });
  let running: Awaited<ReturnType<typeof startCollector>>;
  try {
    running = await startCollector(config, { logger });
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens collector: cannot start: ${message} (${code})\n`);
    process.exitCode = 1;
    return;
  }
  lifecycle.onDrain("collector", () => running.stop());
  lifecycle.onReload("logs", () => destination.reopen());
  lifecycle.onReload("configuration", () => running.reloadCheck(loadConfig(source)));
  lifecycle.addStatsProvider("collector", () => running.control.interfaces());
  if (config["scale-out"] !== undefined) lifecycle.addStatsProvider("scale-out", () => running.scaleOut());
  lifecycle.install();
}
