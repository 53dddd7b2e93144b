/**
 * `show` and `request` are shared by two families of Junos-style commands: the collector's (`show services
 * flow-collector ...`, src/cli/collector/) and the agent's (`show analytics ...`). The word after the verb (abbreviated
 * or not) picks the family, and that family's runner takes the whole line, so the collector's commands behave exactly
 * as they do on their own. `?`, a missing word or a word naming neither family is answered from the grammar of both
 * (`show ?` lists `analytics` and `services`).
 */
import { COLLECTOR_COMMANDS } from "../collector/collector-grammar.ts";
import { type CommandResult, EXIT, runCollectorCommand } from "../collector/run-command.ts";
import { CommandGrammar } from "../junos/command-parser.ts";
import { formatCompletions, isHelpWord } from "../junos/completions.ts";
import { JunosSyntaxError } from "../junos/junos-errors.ts";
import { matchKeyword } from "../junos/keyword-match.ts";
import { tokenizeWords } from "../junos/pipes.ts";
import { ANALYTICS, ANALYTICS_COMMANDS } from "./analytics-grammar.ts";
import { type AnalyticsRunOptions, runAnalyticsCommand } from "./run-command.ts";

/** Options of {@link runOperationalCommand}: the agent's (analytics) and the collector admin API's (`--admin`). */
export interface OperationalRunOptions extends AnalyticsRunOptions {
  admin?: string;
}

const combined = new CommandGrammar([...COLLECTOR_COMMANDS, ...ANALYTICS_COMMANDS]);

/** The family the first word after `verb` names, if it names exactly one. */
function familyOf(verb: string, first: string | undefined): "analytics" | "collector" | undefined {
  if (first === undefined || isHelpWord(first) || first === "|") return undefined;
  const words = [...new Set(combined.specs.filter((s) => s.path[0]?.word === verb).map((s) => s.path[1]!.word))];
  const m = matchKeyword(first, words);
  if (m.kind !== "match") return undefined;
  return m.word === ANALYTICS.word ? "analytics" : "collector";
}

/**
 * Runs `verb` with the words after it, in the family they name. Throws only for unexpected failures.
 */
export async function runOperationalCommand(
  verb: string,
  words: readonly string[],
  options: OperationalRunOptions = {},
): Promise<CommandResult> {
  const tokens = tokenizeWords(words);
  const family = familyOf(verb, tokens[0]);
  if (family === "analytics") return runAnalyticsCommand(verb, words, options);
  if (family === "collector") {
    return runCollectorCommand(verb, words, {
      ...(options.admin === undefined ? {} : { admin: options.admin }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
  }
  try {
    const bar = tokens.indexOf("|");
    const outcome = combined.parse([verb, ...(bar < 0 ? tokens : tokens.slice(0, bar))]);
    // Only `?` ends here: a complete command would have named a family.
    const completions = outcome.kind === "help" ? outcome.completions : [];
    return { exitCode: EXIT.ok, stdout: formatCompletions(completions), stderr: [] };
  } catch (e) {
    if (e instanceof JunosSyntaxError) return { exitCode: EXIT.usage, stdout: [], stderr: [`flowlens: ${e.message}`] };
    throw e;
  }
}
