/**
 * `flowlens show|request analytics ...`: the agent's Junos-style operational commands (analytics-grammar.ts), on the
 * same `show` and `request` verbs as the collector's commands (src/cli/collector/register.ts, which registers the verbs
 * and their abbreviations `sh`, `req`...). Registered after them: it adds the agent options to those verbs and routes
 * each line to its family (verb-dispatch.ts), so `flowlens sh an flows` and `flowlens sh ser flow int all` both work.
 *
 * Options: `--agent URL` (env `FLOWLENS_AGENT`, default http://127.0.0.1:8080), `--token-file FILE` (env
 * `FLOWLENS_AGENT_TOKEN_FILE`, or the token itself in `FLOWLENS_AGENT_TOKEN`), `--ca-file FILE` (env
 * `FLOWLENS_AGENT_CA_FILE`). Exit statuses: docs/commands.md.
 */
import type { Command } from "commander";
import { LineWriter } from "../output.ts";
import { AGENT_ENV } from "./agent-client.ts";
import { DEFAULT_AGENT_URL } from "./agent-errors.ts";
import { ANALYTICS_VERBS } from "./analytics-grammar.ts";
import { type OperationalRunOptions, runOperationalCommand } from "./verb-dispatch.ts";

async function print(lines: readonly string[], stream: NodeJS.WriteStream): Promise<void> {
  const out = new LineWriter(stream);
  for (const l of lines) await out.line(l);
  await out.flush();
}

/** The verb's command on `program`, created bare when the collector's commands did not create it. */
function verbCommand(program: Command, word: string, help: string): Command {
  const existing = program.commands.find((c) => c.name() === word);
  if (existing !== undefined) return existing;
  return program
    .command(word)
    .description(help)
    .argument("[words...]", "the command words")
    .allowUnknownOption()
    .allowExcessArguments();
}

/** Adds the analytics commands to the `show` and `request` verbs of `program`; their actions set `process.exitCode`. */
export function registerAnalyticsCommands(program: Command): void {
  for (const verb of ANALYTICS_VERBS) {
    verbCommand(program, verb.word, verb.help)
      .description(
        `${verb.help}: '${verb.word} analytics ...' (the agent) or '${verb.word} services flow-collector ...' ` +
          "(the collector); Junos style, '?' lists completions",
      )
      .option("--agent <url>", `agent CA API (env ${AGENT_ENV.url}, default ${DEFAULT_AGENT_URL})`)
      .option(
        "--token-file <file>",
        `bearer token file (env ${AGENT_ENV.tokenFile}, or the token in ${AGENT_ENV.token})`,
      )
      .option("--ca-file <file>", `PEM certificates to trust for an https agent (env ${AGENT_ENV.caFile})`)
      .action(async (words: string[], options: OperationalRunOptions) => {
        const result = await runOperationalCommand(verb.word, words, options);
        await print(result.stdout, process.stdout);
        await print(result.stderr, process.stderr);
        process.exitCode = result.exitCode;
      });
  }
}
