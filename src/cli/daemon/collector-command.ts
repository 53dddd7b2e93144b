/**
 * `flowlens collector -c FILE [--check|--dump]` runs the flow collector on a configuration file; `flowlens up [--data-dir
 * DIR] [--check|--dump]` runs the agent on the simulated fabric and the collector on their embedded defaults
 * (up-run.ts; collector files and archive under DIR, default `./var`).
 * A bad configuration is refused before anything starts (one `path: message` line per problem, exit 1). The daemon
 * modules load only when these commands run.
 */
import type { Command } from "commander";
import type { DaemonOptions } from "./collector-run.ts";

async function runFile(file: string, options: DaemonOptions) {
  const [{ runCollector }, { collectorConfigSchema }] = await Promise.all([
    import("./collector-run.ts"),
    import("../../collector/config.ts"),
  ]);
  return runCollector({ schema: collectorConfigSchema, file }, options);
}

/** Adds `collector` and `up` to `program`. */
export function registerCollectorDaemonCommands(program: Command): void {
  program
    .command("collector")
    .description("run the flow collector (NetFlow v5/v8 in, compressed record files out, FTP shipping)")
    .requiredOption("-c, --config <file>", "YAML configuration (see docs/collector.md)")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied, secrets redacted) and exit")
    .action((options: DaemonOptions & { config: string }) => runFile(options.config, options));
  program
    .command("up")
    .description(
      "run flowlens on its embedded defaults: the agent on a simulated fabric (127.0.0.1:8080) and the collector (UDP 127.0.0.1:2055)",
    )
    .option("--data-dir <dir>", "where record files, exports and transfer logs go", "var")
    .option("--check", "validate the embedded configuration and exit")
    .option("--dump", "print the embedded configuration and exit")
    .action(async (options: DaemonOptions & { dataDir: string }) =>
      (await import("./up-run.ts")).runUp(options.dataDir, options),
    );
}
