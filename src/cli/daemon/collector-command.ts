/**
 * `flowlens collector -c FILE [--check|--dump]` runs the flow collector on a configuration file; `flowlens up [--data-dir
 * DIR] [--check|--dump]` runs it on the embedded default (127.0.0.1:2055, files and archive under DIR, default `./var`).
 * A bad configuration is refused before anything starts (one `path: message` line per problem, exit 1). The daemon
 * modules load only when these commands run.
 */
import type { Command } from "commander";
import type { DaemonOptions } from "./collector-run.ts";

async function run(
  source: { file?: string; text?: string; dataDir?: string },
  options: DaemonOptions,
  banner: boolean,
) {
  const [{ runCollector }, { collectorConfigSchema }, { defaultCollectorConfigText }] = await Promise.all([
    import("./collector-run.ts"),
    import("../../collector/config.ts"),
    import("../../collector/default-config.ts"),
  ]);
  const text = source.dataDir === undefined ? undefined : defaultCollectorConfigText(source.dataDir);
  return runCollector(
    { schema: collectorConfigSchema, file: source.file ?? "(embedded default)", text },
    options,
    banner,
  );
}

/** Adds `collector` and `up` to `program`. */
export function registerCollectorDaemonCommands(program: Command): void {
  program
    .command("collector")
    .description("run the flow collector (NetFlow v5/v8 in, compressed record files out, FTP shipping)")
    .requiredOption("-c, --config <file>", "YAML configuration (see docs/collector.md)")
    .option("--check", "validate the configuration and exit")
    .option("--dump", "print the effective configuration (defaults applied, secrets redacted) and exit")
    .action((options: DaemonOptions & { config: string }) => run({ file: options.config }, options, false));
  program
    .command("up")
    .description("run flowlens on its embedded defaults: the collector on 127.0.0.1:2055, files under --data-dir")
    .option("--data-dir <dir>", "where record files, exports and transfer logs go", "var")
    .option("--check", "validate the embedded configuration and exit")
    .option("--dump", "print the embedded configuration and exit")
    .action((options: DaemonOptions & { dataDir: string }) => run({ dataDir: options.dataDir }, options, true));
}
