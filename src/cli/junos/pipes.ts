/**
 * Junos output pipes: `| display json` (print the status JSON instead of the text layout), `| match REGEX` and
 * `| except REGEX` (keep or drop lines; JavaScript regular expressions, case-insensitive), `| count` (`Count: N
 * lines`), `| no-more` (accepted, does nothing: there is no pager). Keywords abbreviate like the command's.
 *
 * A shell passes the pipe quoted: as separate words (`'|' display json`), as one word (`"| display json"`), or glued
 * (`'|display'`). A word that starts with `|` is split at spaces and at leading `|`; other words are kept whole, so a
 * pattern may hold `|` (`'|' match 'Packets|Bytes'`).
 */
import { ENTER_COMPLETION, isHelpWord, PIPE_COMPLETION, selectCompletions } from "./completions.ts";
import type { Completion } from "./grammar.ts";
import { JunosSyntaxError } from "./junos-errors.ts";
import { expectKeyword } from "./keyword-match.ts";

/** One pipe stage. */
export type PipeStage =
  | { readonly kind: "display-json" }
  | { readonly kind: "match" | "except"; readonly pattern: RegExp }
  | { readonly kind: "count" }
  | { readonly kind: "no-more" };

/** The words of the command before the first pipe, and the pipe stages after it. */
export interface SplitCommandLine {
  readonly command: string[];
  readonly stages: PipeStage[];
  /** Set when a pipe stage asked for help (`| ?`, `| display ?`). */
  readonly help?: readonly Completion[];
}

const PIPE_COMMANDS: readonly Completion[] = [
  { name: "count", help: "Count occurrences" },
  { name: "display", help: "Show additional kinds of information" },
  { name: "except", help: "Show only text that does not match a pattern" },
  { name: "match", help: "Show only text that matches a pattern" },
  { name: "no-more", help: "Don't paginate output" },
];
const DISPLAY_OPTIONS: readonly Completion[] = [{ name: "json", help: "Show output in JSON format" }];
const PATTERN: Completion = { name: "<pattern>", help: "Pattern to match against" };

/** Splits argv words into tokens: words starting with `|` are cut at spaces and at their leading `|`. */
export function tokenizeWords(argv: readonly string[]): string[] {
  const tokens: string[] = [];
  for (const word of argv) {
    if (!word.startsWith("|")) {
      tokens.push(word);
      continue;
    }
    for (const piece of word.trim().split(/\s+/)) {
      if (piece.startsWith("|") && piece.length > 1) tokens.push("|", piece.slice(1));
      else if (piece !== "") tokens.push(piece);
    }
  }
  return tokens;
}

function patternOf(words: readonly string[], keyword: string): RegExp {
  if (words.length === 0) throw new JunosSyntaxError(`missing <pattern> after '${keyword}'`);
  const source = words.join(" ");
  try {
    return new RegExp(source, "i");
  } catch (e) {
    throw new JunosSyntaxError(`invalid pattern '${source}': ${(e as Error).message}`);
  }
}

/** Parses the words of one stage; returns completions when it asks for help. @throws JunosSyntaxError */
function parseStage(words: readonly string[], more: boolean): PipeStage | Completion[] {
  const [first, ...rest] = words;
  if (first === undefined)
    throw new JunosSyntaxError(
      "missing pipe command",
      PIPE_COMMANDS.map((c) => c.name),
    );
  if (isHelpWord(first)) return selectCompletions(PIPE_COMMANDS, first.slice(0, -1));
  const command = expectKeyword(
    first,
    PIPE_COMMANDS.map((c) => c.name),
  );
  if (command === "match" || command === "except") {
    if (rest.length === 1 && rest[0] === "?") return [PATTERN];
    return { kind: command, pattern: patternOf(rest, command) };
  }
  if (command === "display") {
    const [option, ...extra] = rest;
    if (option === undefined) throw new JunosSyntaxError("missing argument after 'display'", ["json"]);
    if (isHelpWord(option)) return selectCompletions(DISPLAY_OPTIONS, option.slice(0, -1));
    expectKeyword(option, ["json"]);
    if (extra.length > 0) return unexpected(extra, more);
    return { kind: "display-json" };
  }
  if (rest.length > 0) return unexpected(rest, more);
  return { kind: command as "count" | "no-more" };
}

function unexpected(extra: readonly string[], more: boolean): Completion[] {
  if (extra[0] === "?") return more ? [PIPE_COMPLETION] : [ENTER_COMPLETION, PIPE_COMPLETION];
  throw new JunosSyntaxError(`syntax error at '${extra[0]}'`, ["|"]);
}

/**
 * Splits a command line (argv words after the verb's options) at its pipes and parses every stage.
 * @throws JunosSyntaxError for a bad stage or pattern.
 */
export function splitCommandLine(argv: readonly string[]): SplitCommandLine {
  const tokens = tokenizeWords(argv);
  const bar = tokens.indexOf("|");
  if (bar < 0) return { command: tokens, stages: [] };
  const segments: string[][] = [[]];
  for (const t of tokens.slice(bar + 1)) {
    if (t === "|") segments.push([]);
    else segments[segments.length - 1]!.push(t);
  }
  const stages: PipeStage[] = [];
  for (const [n, words] of segments.entries()) {
    const stage = parseStage(words, n < segments.length - 1);
    if (Array.isArray(stage)) return { command: tokens.slice(0, bar), stages, help: stage };
    stages.push(stage);
  }
  return { command: tokens.slice(0, bar), stages };
}

/** True when the stages ask for JSON output. */
export function wantsJson(stages: readonly PipeStage[]): boolean {
  return stages.some((s) => s.kind === "display-json");
}

/** Applies the text stages (match, except, count) in order to the output lines. */
export function applyPipes(lines: readonly string[], stages: readonly PipeStage[]): string[] {
  let out = [...lines];
  for (const stage of stages) {
    if (stage.kind === "match") out = out.filter((l) => stage.pattern.test(l));
    else if (stage.kind === "except") out = out.filter((l) => !stage.pattern.test(l));
    else if (stage.kind === "count") out = [`Count: ${out.length} lines`];
  }
  return out;
}
