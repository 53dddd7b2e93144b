/**
 * The shape of a Junos-style operational command: a path of keywords from the verb (`show services flow-collector
 * input`), an optional positional value right after the path (`test-file-transfer NAME`), then parameters in any order
 * (`interface NAME`, one of `terse|detail|extensive`, flags such as `clear-files`). Every keyword can be abbreviated to
 * a unique prefix; values cannot. The parser is command-parser.ts.
 */

/** A word of the command line with the help text `?` prints beside it. */
export interface Keyword {
  readonly word: string;
  readonly help: string;
}

/** `keyword VALUE`, e.g. `interface cp-6/0/0`; `valueKeywords` are words the value may also be (`all`). */
export interface ValueParam {
  readonly kind: "value";
  /** Key of the parsed value. */
  readonly key: string;
  readonly keyword: Keyword;
  /** Placeholder printed by `?`, e.g. `interface-name`. */
  readonly valueName: string;
  readonly valueHelp: string;
  readonly valueKeywords?: readonly Keyword[];
}

/** One word out of several, e.g. `primary | secondary`; the parsed value is the full word. */
export interface ChoiceParam {
  readonly kind: "choice";
  readonly key: string;
  readonly choices: readonly Keyword[];
}

/** A word on its own, e.g. `clear-files`; the parsed value is the word. */
export interface FlagParam {
  readonly kind: "flag";
  readonly key: string;
  readonly keyword: Keyword;
}

/** A parameter; two parameters with the same key exclude each other (`all` or `interface NAME`). */
export type Param = ValueParam | ChoiceParam | FlagParam;

/** A positional value right after the path, e.g. the file name of `test-file-transfer NAME`. */
export interface PositionalParam {
  readonly key: string;
  readonly valueName: string;
  readonly help: string;
}

/** One command of the grammar. */
export interface CommandSpec {
  /** What the runner dispatches on, e.g. `show-interface`. */
  readonly id: string;
  /** Keywords from the verb on; commands share prefixes (the first spec's help text wins). */
  readonly path: readonly Keyword[];
  /** A command with a positional value has no sub-commands below it. */
  readonly positional?: PositionalParam;
  readonly params: readonly Param[];
  /** Keys that must be given. */
  readonly required?: readonly string[];
}

/** A parsed command line: the command and the values by key (flags and choices hold their full word). */
export interface ParsedCommand {
  readonly spec: CommandSpec;
  readonly values: ReadonlyMap<string, string>;
}

/** One line of `?` help. */
export interface Completion {
  /** A keyword, `<placeholder>`, `<[Enter]>` or `|`. */
  readonly name: string;
  readonly help: string;
}

/** What parsing a command line gave: a command to run, or help to print (`?`). */
export type ParseOutcome =
  | { readonly kind: "command"; readonly command: ParsedCommand }
  | { readonly kind: "help"; readonly completions: readonly Completion[] };
