/**
 * The `flowlens` command. Exit status 2 for usage errors (commander's), 1 for failures; users see one-line messages,
 * never a stack trace (set FLOWLENS_DEBUG=1 to get one).
 */
import { Command, CommanderError } from "commander";
import { registerAnalyticsCommands } from "./analytics/register.ts";
import { registerCollectorCommands } from "./collector/register.ts";
import { registerAgentCommands } from "./daemon/agent-command.ts";
import { registerCollectorDaemonCommands } from "./daemon/collector-command.ts";
import { registerDecodeCommand } from "./decode/command.ts";
import { registerExporterCommands } from "./exporter/register.ts";
import { registerHopdCommand } from "./hopd/register.ts";
import { registerLabCommands } from "./lab/register.ts";
import { packageVersion } from "../runtime/version-info.ts";

/** Builds the command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command("flowlens")
    .description("network flow telemetry: flow path analytics, NetFlow v5/v8 export and collection")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerDecodeCommand(program);
  registerCollectorDaemonCommands(program);
  registerExporterCommands(program);
  registerAgentCommands(program);
  registerLabCommands(program);
  registerHopdCommand(program);
  // Last: its verb abbreviations (sh, cl, req...) are computed from the commands registered before it.
  registerCollectorCommands(program);
  // After it: the agent's `show|request analytics ...` join the same verbs (routed by the word after the verb).
  registerAnalyticsCommands(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; everything else commander raises is a usage error.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (process.env.FLOWLENS_DEBUG === "1") console.error(e);
    else console.error(`flowlens: ${(e as Error).message ?? String(e)}`);
    process.exitCode = 1;
  }
}

await main(process.argv);
