/**
 * `?` help in the Junos layout: "Possible completions:", then one line per completion, the name indented two spaces and
 * padded to 20 columns, a space, then its help text. `<[Enter]>` and `<placeholders>` come first, `|` last, keywords sorted.
 */
import type { Completion } from "./grammar.ts";
import { JunosSyntaxError } from "./junos-errors.ts";

/** `<[Enter]>`: the command is complete here. */
export const ENTER_COMPLETION: Completion = { name: "<[Enter]>", help: "Execute this command" };
/** `|`: a pipe may follow here. */
export const PIPE_COMPLETION: Completion = { name: "|", help: "Pipe through a command" };

function rank(c: Completion): number {
  if (c.name === ENTER_COMPLETION.name) return 0;
  if (c.name.startsWith("<")) return 1;
  return c.name === PIPE_COMPLETION.name ? 3 : 2;
}

/** Sorts completions the Junos way and keeps those starting with `prefix` (the word typed before `?`). */
export function selectCompletions(completions: readonly Completion[], prefix = ""): Completion[] {
  const kept = completions.filter((c) => prefix === "" || c.name.startsWith(prefix));
  if (kept.length === 0 && prefix !== "") {
    throw new JunosSyntaxError(
      `syntax error at '${prefix}'`,
      completions.map((c) => c.name),
    );
  }
  return kept.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The lines printed for `?`. */
export function formatCompletions(completions: readonly Completion[]): string[] {
  return ["Possible completions:", ...completions.map((c) => `  ${c.name.padEnd(20)} ${c.help}`)];
}

/** True for a word asking for help: `?`, or `det?` (completions starting with `det`). */
export function isHelpWord(word: string): boolean {
  return word.endsWith("?");
}
