/**
 * `flowlens collector -c FILE [--check|--dump]` runs the flow collector on a configuration file; `flowlens up [--data-dir
 * DIR] [--check|--dump]` runs it on the embedded default (127.0.0.1:2055, files and archive under DIR, default `./var`).
 * A bad configuration is refused before anything starts (one `path: message` line per problem, exit 1).
 */
import type { Command } from "commander";
import { startCollector } from "../../collector/collector.ts";
import { type CollectorConfig, collectorConfigSchema } from "../../collector/config.ts";
import { defaultCollectorConfigText } from "../../collector/default-config.ts";
import { type ConfigSource, checkConfig, dumpConfig, loadConfig } from "../../runtime/config.ts";
import { ConfigError, errorSummary } from "../../runtime/errors.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { createLogDestination, createLogger } from "../../runtime/logger.ts";

interface DaemonOptions {
  check?: boolean;
  dump?: boolean;
}

type Source = ConfigSource<typeof collectorConfigSchema>;

function printResult(result: { exitCode: 0 | 1; text: string; stream: "stdout" | "stderr" }): void {
  (result.stream === "stdout" ? process.stdout : process.stderr).write(result.text);
  process.exitCode = result.exitCode;
}

async function runCollector(source: Source, options: DaemonOptions, banner: boolean): Promise<void> {
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
  lifecycle.install();
  if (banner) {
    const listen = Object.values(config.interfaces).flatMap((i) => i.listen);
    process.stderr.write(
      `flowlens up: collector listening on ${listen.join(", ")} (UDP, NetFlow v5/v8), admin API ${running.adminUrl}\n` +
        `  try: flowlens show services flow-collector interface all detail --admin ${running.adminUrl}\n` +
        "  stop with Ctrl-C (drains: closes open files and finishes transfers)\n",
    );
  }
}

/** Adds `collector` and `up` to `program`. */
export function registerCollectorDaemonCommands(program: Command): void {
  program
    .command("collector")
    .description("run the flow collector (NetFlow v5/v8 in, compressed record files out, FTP shipping)")
    .requiredOption("-c, --config <file>", "YAML configuration (see docs/collector.md)")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied, secrets redacted) and exit")
    .action((options: DaemonOptions & { config: string }) =>
      runCollector({ schema: collectorConfigSchema, file: options.config }, options, false),
    );
  program
    .command("up")
    .description("run flowlens on its embedded defaults: the collector on 127.0.0.1:2055, files under --data-dir")
    .option("--data-dir <dir>", "where record files, exports and transfer logs go", "var")
    .option("--check", "validate the embedded configuration and exit")
    .option("--dump", "print the embedded configuration and exit")
    .action((options: DaemonOptions & { dataDir: string }) =>
      runCollector(
        {
          schema: collectorConfigSchema,
          text: defaultCollectorConfigText(options.dataDir),
          file: "(embedded default)",
        },
        options,
        true,
      ),
    );
}
