/**
 * Parses the words of a Junos-style command line against a grammar of {@link CommandSpec}s: keywords by unique prefix
 * along the command path, then the command's positional value, then its parameters in any order. A `?` (or `prefix?`)
 * word stops parsing and yields the completions at that point. Pipes (`| ...`) are split off before (pipes.ts).
 */
import { ENTER_COMPLETION, isHelpWord, PIPE_COMPLETION, selectCompletions } from "./completions.ts";
import type { CommandSpec, Completion, Keyword, Param, ParseOutcome } from "./grammar.ts";
import { JunosSyntaxError } from "./junos-errors.ts";
import { expectKeyword } from "./keyword-match.ts";

/** A node of the keyword tree: sub-commands below it, and the command it completes, if any. */
interface TreeNode {
  readonly keyword: Keyword;
  readonly children: Map<string, TreeNode>;
  command?: CommandSpec;
}

/** A grammar ready for parsing: the keyword tree of its commands. */
export class CommandGrammar {
  private readonly root: TreeNode = { keyword: { word: "", help: "" }, children: new Map() };

  /** @throws TypeError for two commands on one path or sub-commands below a command with a positional value. */
  constructor(readonly specs: readonly CommandSpec[]) {
    for (const spec of specs) this.add(spec);
  }

  private add(spec: CommandSpec): void {
    let node = this.root;
    for (const k of spec.path) {
      if (node.command?.positional !== undefined) throw new TypeError(`${spec.id}: below a positional command`);
      let child = node.children.get(k.word);
      if (child === undefined) {
        child = { keyword: k, children: new Map() };
        node.children.set(k.word, child);
      }
      node = child;
    }
    if (node.command !== undefined) throw new TypeError(`${spec.id}: path taken by ${node.command.id}`);
    if (spec.positional !== undefined && node.children.size > 0) throw new TypeError(`${spec.id}: has sub-commands`);
    node.command = spec;
  }

  /** Parses `words` (verb first, pipes removed). @throws JunosSyntaxError */
  parse(words: readonly string[]): ParseOutcome {
    let node = this.root;
    let i = 0;
    for (; i < words.length && node.command?.positional === undefined; i++) {
      const word = words[i]!;
      const params = node.command === undefined ? new Map<string, Param>() : paramWords(node.command, new Map());
      const candidates = [...node.children.keys(), ...params.keys()];
      if (isHelpWord(word)) return help(pathCompletions(node), word);
      const chosen = expectKeyword(word, candidates);
      const child = node.children.get(chosen);
      if (child === undefined) break; // a parameter: the command of this node takes the rest
      node = child;
    }
    const spec = node.command;
    if (spec === undefined) {
      throw new JunosSyntaxError("incomplete command", [...node.children.keys()].sort());
    }
    return parseParams(spec, words, i);
  }
}

/** The parameter keywords of `spec` not yet given, each with its parameter. */
function paramWords(spec: CommandSpec, values: ReadonlyMap<string, string>): Map<string, Param> {
  const words = new Map<string, Param>();
  for (const p of spec.params) {
    if (values.has(p.key)) continue;
    if (p.kind === "choice") for (const c of p.choices) words.set(c.word, p);
    else words.set(p.keyword.word, p);
  }
  return words;
}

function paramCompletions(spec: CommandSpec, values: ReadonlyMap<string, string>): Completion[] {
  const out: Completion[] = [];
  for (const p of spec.params) {
    if (values.has(p.key)) continue;
    if (p.kind === "choice") out.push(...p.choices.map((c) => ({ name: c.word, help: c.help })));
    else out.push({ name: p.keyword.word, help: p.keyword.help });
  }
  if ((spec.required ?? []).every((k) => values.has(k))) out.push(ENTER_COMPLETION, PIPE_COMPLETION);
  return dedupe(out);
}

function pathCompletions(node: TreeNode): Completion[] {
  const out = [...node.children.values()].map((c) => ({ name: c.keyword.word, help: c.keyword.help }));
  if (node.command === undefined) return out;
  if (node.command.positional !== undefined) {
    const p = node.command.positional;
    return [{ name: `<${p.valueName}>`, help: p.help }];
  }
  return dedupe([...out, ...paramCompletions(node.command, new Map())]);
}

function dedupe(completions: Completion[]): Completion[] {
  const seen = new Set<string>();
  return completions.filter((c) => !seen.has(c.name) && seen.add(c.name));
}

function help(completions: readonly Completion[], word: string): ParseOutcome {
  return { kind: "help", completions: selectCompletions(completions, word.slice(0, -1)) };
}

function parseParams(spec: CommandSpec, words: readonly string[], start: number): ParseOutcome {
  const values = new Map<string, string>();
  let i = start;
  if (spec.positional !== undefined) {
    const p = spec.positional;
    const word = words[i];
    if (word === "?") return { kind: "help", completions: [{ name: `<${p.valueName}>`, help: p.help }] };
    if (word === undefined) throw new JunosSyntaxError(`missing <${p.valueName}> after '${words[i - 1]}'`);
    values.set(p.key, word);
    i++;
  }
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (isHelpWord(word)) return help(paramCompletions(spec, values), word);
    const available = paramWords(spec, values);
    const chosen = expectKeyword(word, [...available.keys()]);
    const param = available.get(chosen)!;
    if (param.kind !== "value") {
      values.set(param.key, chosen);
      continue;
    }
    const value = words[++i];
    if (value === "?") return help(valueCompletions(param), "?");
    if (value === undefined) throw new JunosSyntaxError(`missing <${param.valueName}> after '${chosen}'`);
    values.set(param.key, value);
  }
  const missing = (spec.required ?? []).find((k) => !values.has(k));
  if (missing !== undefined) {
    throw new JunosSyntaxError(
      "missing argument",
      [...paramWords(spec, values)]
        .filter(([, p]) => p.key === missing)
        .map(([w]) => w)
        .sort(),
    );
  }
  return { kind: "command", command: { spec, values } };
}

function valueCompletions(param: Param & { kind: "value" }): Completion[] {
  const keywords = (param.valueKeywords ?? []).map((k) => ({ name: k.word, help: k.help }));
  return [{ name: `<${param.valueName}>`, help: param.valueHelp }, ...keywords];
}
