/**
 * `flowlens exporter -c FILE [--check|--dump]`: runs the cflowd exporter daemon on a configuration file
 * (src/exporter/config.ts, docs/exporter.md). A bad configuration is refused before anything starts, one
 * `path: message` line per problem (the spec's refusals among them), exit 1. SIGTERM/SIGINT drain (every flow in the
 * cache exported, pending datagrams sent), SIGHUP reopens logs and checks the file (changes need a restart), SIGUSR1
 * logs the counters.
 */
import type { Command } from "commander";
import { type ExporterConfig, exporterConfigSchema } from "../../exporter/config.ts";
import type { RunningExporter } from "../../exporter/exporter.ts";
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "../../runtime/config.ts";
import { ConfigError, errorSummary } from "../../runtime/errors.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../../runtime/logger.ts";

interface DaemonOptions {
  config: string;
  check?: boolean;
  dump?: boolean;
}

function printResult(result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }): void {
  (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
  process.exitCode = result.exitCode;
}

async function runExporterDaemon(options: DaemonOptions): Promise<void> {
  const source: ConfigSource<typeof exporterConfigSchema> = { schema: exporterConfigSchema, file: options.config };
  if (options.check) return printResult(checkConfig(source));
  if (options.dump) return printResult(dumpConfig(source));
  let config: ExporterConfig;
  try {
    config = loadConfig(source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flowlens exporter: configuration refused:\n${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const destination = createLogDestination();
  const logger = createLogger({ level: config["log-level"], name: "flowlens-exporter", destination });
  const lifecycle = new Lifecycle({ logger });
  let running: RunningExporter;
  try {
    const { startExporter } = await import("../../exporter/exporter.ts"); // loaded only when the daemon runs
    if (config.input.simulation) {
      // The simulated fabric whose traffic input.simulation exports (a simulation: nothing is captured).
      const fabric = (await import("../../sim/index.ts")).createSimFabric();
      lifecycle.onDrain("simulated fabric", () => fabric.close());
      running = await startExporter(config, { logger, fabric });
    } else running = await startExporter(config, { logger });
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens exporter: cannot start: ${message} (${code})\n`);
    process.exitCode = 1;
    return;
  }
  lifecycle.onDrain("exporter", () => running.stop());
  lifecycle.onReload("logs", () => destination.reopen());
  lifecycle.onReload("configuration", () => {
    const next = loadConfig(source);
    const same = JSON.stringify(next) === JSON.stringify(config);
    logger.warn(
      { component: "exporter" },
      same ? "configuration unchanged" : "configuration changed: restart the exporter to apply it",
    );
  });
  lifecycle.addStatsProvider("exporter", () => running.status());
  lifecycle.install();
}

/** Adds `exporter` (the daemon) to `program`. */
export function registerExporterDaemonCommand(program: Command): void {
  program
    .command("exporter")
    .description("run the cflowd exporter: sample packets, keep flows, export NetFlow v5/v8 to cflowd hosts")
    .requiredOption("-c, --config <file>", "YAML configuration (see docs/exporter.md)")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied) and exit")
    .action((options: DaemonOptions) => runExporterDaemon(options));
}
