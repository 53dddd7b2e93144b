/**
 * `flowlens show|clear|request services flow-collector ...`: the Junos-style operational commands of the collector,
 * talking to its admin API (`--admin URL`, env `FLOWLENS_ADMIN`, default `http://127.0.0.1:8082`). The verbs abbreviate
 * (`flowlens sh ser flow int all det`) through commander aliases; the words after the verb are parsed by the Junos
 * grammar (collector-grammar.ts). Exit status: 0 ok, 1 refused or failed, 2 usage, 3 admin API unreachable.
 */
import type { Command } from "commander";
import { LineWriter } from "../output.ts";
import { ADMIN_ENV, DEFAULT_ADMIN_URL } from "./admin-client.ts";
import { COLLECTOR_VERBS } from "./collector-grammar.ts";
import { runCollectorCommand } from "./run-command.ts";

/** Shortest verb abbreviation registered as an alias. */
const MIN_ABBREVIATION = 2;

/** Prefixes of `verb` that abbreviate no other command of `program` nor another verb. */
function abbreviations(program: Command, verb: string): string[] {
  const others = [
    ...program.commands.flatMap((c) => [c.name(), ...c.aliases()]),
    ...COLLECTOR_VERBS.map((v) => v.word).filter((w) => w !== verb),
  ];
  const out: string[] = [];
  for (let n = MIN_ABBREVIATION; n < verb.length; n++) {
    const prefix = verb.slice(0, n);
    if (!others.some((o) => o.startsWith(prefix))) out.push(prefix);
  }
  return out;
}

async function print(lines: readonly string[], stream: NodeJS.WriteStream): Promise<void> {
  const out = new LineWriter(stream);
  for (const l of lines) await out.line(l);
  await out.flush();
}

/** Adds `show`, `clear` and `request` to `program`; their actions set `process.exitCode`. */
export function registerCollectorCommands(program: Command): void {
  for (const verb of COLLECTOR_VERBS) {
    const aliases = abbreviations(program, verb.word); // before the verb itself is registered
    program
      .command(verb.word)
      .aliases(aliases)
      .description(`${verb.help}: '${verb.word} services flow-collector ...' (Junos style; '?' lists completions)`)
      .argument("[words...]", "the command words, e.g. services flow-collector interface all detail '|' display json")
      .option("--admin <url>", `collector admin API (env ${ADMIN_ENV}, default ${DEFAULT_ADMIN_URL})`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async (words: string[], options: { admin?: string }) => {
        const result = await runCollectorCommand(verb.word, words, { admin: options.admin });
        await print(result.stdout, process.stdout);
        await print(result.stderr, process.stderr);
        process.exitCode = result.exitCode;
      });
  }
}
