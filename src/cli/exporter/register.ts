/**
 * The exporter's commands: `flowlens exporter -c FILE` (daemon) and `flowlens export --pcap FILE --to HOST:PORT`
 * (one-shot). Registering them turns on commander's positional options for the program: program options (`-V,
 * --version`) are read only before the command name, so that `flowlens export --version 8` reaches the command.
 */
import type { Command } from "commander";
import { registerExporterDaemonCommand } from "./daemon-command.ts";
import { registerExportCommand } from "./export-command.ts";

/** Adds `exporter` and `export` to `program`. */
export function registerExporterCommands(program: Command): void {
  program.enablePositionalOptions();
  registerExporterDaemonCommand(program);
  registerExportCommand(program);
}
