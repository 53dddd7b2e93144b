/**
 * `flowlens exporter -c FILE [--check|--dump]`: runs the cflowd exporter daemon on a configuration file
 * (src/exporter/config.ts, docs/exporter.md). A bad configuration is refused before anything starts, one
 * `path: message` line per problem (the spec's refusals among them), exit 1. SIGTERM/SIGINT drain (every flow in the
 * cache exported, pending datagrams sent), SIGHUP reopens logs and checks the file (changes need a restart), SIGUSR1
 * logs the counters.
 */
import type { Command } from "commander";
import { exporterConfigSchema } from "../../exporter/config.ts";
import { loadConfig } from "../../runtime/config.ts";
import { runDaemon } from "../../runtime/lifecycle.ts";

interface DaemonOptions {
  config: string;
  check?: boolean;
  dump?: boolean;
}

async function runExporterDaemon(options: DaemonOptions): Promise<void> {
  const source = { schema: exporterConfigSchema, file: options.config };
  await runDaemon({
    name: "exporter",
    source,
    options,
    async start(config, { logger, lifecycle }) {
      const { startExporter } = await import("../../exporter/exporter.ts"); // loaded only when the daemon runs
      let running: Awaited<ReturnType<typeof startExporter>>;
      if (config.input.simulation) {
        // The simulated fabric whose traffic input.simulation exports (a simulation: nothing is captured).
        const fabric = (await import("../../sim/index.ts")).createSimFabric();
        lifecycle.onDrain("simulated fabric", () => fabric.close());
        running = await startExporter(config, { logger, fabric });
      } else running = await startExporter(config, { logger });
      lifecycle.onDrain("exporter", () => running.stop());
      lifecycle.onReload("configuration", () => {
        const next = loadConfig(source);
        const same = JSON.stringify(next) === JSON.stringify(config);
        logger.warn(
          { component: "exporter" },
          same ? "configuration unchanged" : "configuration changed: restart the exporter to apply it",
        );
      });
      lifecycle.addStatsProvider("exporter", () => running.status());
      return undefined;
    },
  });
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
