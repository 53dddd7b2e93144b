/**
 * Configuration loading for every flowlens daemon: one YAML file, then environment overrides (`FLOWLENS_<SECTION>_<KEY>`,
 * see `env-overrides.ts`), then validation by a zod (v4) schema whose objects must all be strict (unknown keys are
 * errors). Every problem is collected and reported as one `path: message` line in a {@link ConfigError}. Also the
 * `--check` and `--dump` behaviours, as functions returning the text and exit code for the CLI to print.
 */
import { readFileSync } from "node:fs";
import YAML, { LineCounter } from "yaml";
import { z } from "zod";
import { applyEnvOverrides, ENV_PREFIX } from "./env-overrides.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { nonStrictObjects } from "./schema-walk.ts";
import { REDACTED, Secret } from "./secret.ts";

/** Where a configuration comes from and what it must satisfy. */
export interface ConfigSource<S extends z.ZodType> {
  /** The daemon's schema; every object in it must be strict (`z.strictObject`). */
  readonly schema: S;
  /** Path of the YAML file. Without `file` and `text`, the document is empty (every default applies). */
  readonly file?: string;
  /** YAML text to use instead of reading `file` (`file` then only names the source in messages). */
  readonly text?: string;
  /** Environment for overrides; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Prefix of override variables; default `FLOWLENS_`. */
  readonly envPrefix?: string;
}

/** What a `--check` or `--dump` run prints and how the process exits; the CLI does the printing. */
export interface CommandResult {
  /** 0 on success, 1 when the configuration is invalid. */
  readonly exitCode: 0 | 1;
  /** Text to print, ending with a newline. */
  readonly text: string;
  /** Where to print it: stdout on success, stderr for errors. */
  readonly stream: "stdout" | "stderr";
}

const checkedSchemas = new WeakSet<z.ZodType>();

/** Throws a TypeError (a programming error, not a configuration one) when the schema has a non-strict object. */
function assertStrict(schema: z.ZodType): void {
  if (checkedSchemas.has(schema)) return;
  const loose = nonStrictObjects(schema);
  if (loose.length > 0) {
    throw new TypeError(`configuration schema objects must be strict (z.strictObject): ${loose.join(", ")}`);
  }
  checkedSchemas.add(schema);
}

/** Reads and parses the YAML document; syntax errors become issues located `FILE:LINE:COL`. */
function readDocument(source: ConfigSource<z.ZodType>): { document: unknown; issues: ConfigIssue[] } {
  const name = source.file ?? "(configuration)";
  let text = source.text;
  if (text === undefined && source.file !== undefined) {
    try {
      text = readFileSync(source.file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      return { document: null, issues: [{ path: name, message: `cannot read configuration file (${code})` }] };
    }
  }
  if (text === undefined) return { document: null, issues: [] };
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((err) => {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      return { path: `${name}:${line}:${col}`, message: err.message.split("\n", 1)[0]! };
    });
    return { document: null, issues };
  }
  try {
    return { document: doc.toJS({ maxAliasCount: 100 }), issues: [] };
  } catch (e) {
    return { document: null, issues: [{ path: name, message: (e as Error).message.split("\n", 1)[0]! }] };
  }
}

/**
 * Loads, overrides and validates a configuration; returns the decoded value (defaults applied, durations and sizes as
 * numbers, secrets as `Secret`).
 * @throws ConfigError listing every problem; TypeError when the schema itself has a non-strict object.
 */
export function loadConfig<S extends z.ZodType>(source: ConfigSource<S>): z.output<S> {
  assertStrict(source.schema);
  const read = readDocument(source);
  if (read.issues.length > 0) throw new ConfigError(read.issues);
  const env = source.env ?? process.env;
  const over = applyEnvOverrides(read.document, source.schema, env, source.envPrefix ?? ENV_PREFIX);
  const result = source.schema.safeParse(over.document, { error: issueMessage });
  const issues = [...over.issues];
  if (!result.success) issues.push(...result.error.issues.flatMap((i) => toConfigIssues(i, over.origins)));
  if (issues.length > 0) throw new ConfigError(issues, { cause: result.success ? undefined : result.error });
  return result.data as z.output<S>;
}

/** `--check`: validates the configuration; `configuration OK` and exit 0, or the `path: message` lines and exit 1. */
export function checkConfig<S extends z.ZodType>(source: ConfigSource<S>): CommandResult {
  try {
    loadConfig(source);
  } catch (e) {
    if (e instanceof ConfigError) return { exitCode: 1, text: `${e.message}\n`, stream: "stderr" };
    throw e;
  }
  return { exitCode: 0, text: "configuration OK\n", stream: "stdout" };
}

/**
 * `--dump`: the effective configuration (file, then env overrides, then defaults) as YAML, durations and sizes in their
 * canonical string form, secrets shown by where they come from (file path, variable name) and never by value.
 * Invalid configuration: the `path: message` lines and exit 1.
 */
export function dumpConfig<S extends z.ZodType>(source: ConfigSource<S>): CommandResult {
  let config: z.output<S>;
  try {
    config = loadConfig(source);
  } catch (e) {
    if (e instanceof ConfigError) return { exitCode: 1, text: `${e.message}\n`, stream: "stderr" };
    throw e;
  }
  return {
    exitCode: 0,
    text: YAML.stringify(toPrintable(encodeConfig(source.schema, config)), { lineWidth: 0 }),
    stream: "stdout",
  };
}

/**
 * The configuration back in its written form (zod `encode`: codecs such as durations turn back into strings). A schema
 * with a one-way `.transform` cannot be encoded; the decoded value is used as it is then.
 */
function encodeConfig(schema: z.ZodType, config: unknown): unknown {
  try {
    return z.encode(schema, config as never);
  } catch {
    return config;
  }
}

/** A plain YAML-printable copy with every {@link Secret} replaced by {@link REDACTED}. */
function toPrintable(value: unknown): unknown {
  if (value instanceof Secret) return REDACTED;
  if (Array.isArray(value)) return value.map(toPrintable);
  if (value instanceof Map) return toPrintable(Object.fromEntries(value));
  if (value instanceof Set) return [...value].map(toPrintable);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPrintable(v)]));
  }
  return value;
}

/** Formats a key path: keys joined by `.`, list indices as `[n]` (`servers[0].host`); the top is `(root)`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out === "" ? "(root)" : out;
}

function toConfigIssues(issue: z.core.$ZodIssue, origins: ReadonlyMap<string, string>): ConfigIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) =>
      withOrigin({ path: formatConfigPath([...issue.path, k]), message: "unknown key" }, [...issue.path, k], origins),
    );
  }
  return [withOrigin({ path: formatConfigPath(issue.path), message: issue.message }, issue.path, origins)];
}

/** Appends `(set by FLOWLENS_…)` when the value at the path, or a collection holding it, came from the environment. */
function withOrigin(
  issue: ConfigIssue,
  path: readonly PropertyKey[],
  origins: ReadonlyMap<string, string>,
): ConfigIssue {
  for (let n = path.length; n > 0; n--) {
    const name = origins.get(path.slice(0, n).map(String).join("."));
    if (name !== undefined) return { path: issue.path, message: `${issue.message} (set by ${name})` };
  }
  return issue;
}

function received(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "list";
  if (typeof input === "object") return "mapping";
  if (typeof input === "number" && Number.isNaN(input)) return "NaN";
  return typeof input;
}

/** Per-parse zod error map: short operator-facing messages; `undefined` keeps zod's own. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `missing (expected ${issue.expected})`;
      return `expected ${issue.expected === "object" ? "mapping" : issue.expected === "array" ? "list" : issue.expected}, received ${received(issue.input)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return `${boundNoun(issue.origin)} must be ${issue.inclusive === false ? "greater than" : "at least"} ${issue.minimum}`;
    case "too_big":
      return `${boundNoun(issue.origin)} must be ${issue.inclusive === false ? "less than" : "at most"} ${issue.maximum}`;
    case "invalid_union":
      return "does not match any of the allowed forms";
    case "invalid_format":
      return `expected ${issue.format === "regex" ? `text matching ${String(issue.pattern)}` : `a valid ${issue.format}`}`;
    default:
      return undefined;
  }
}

function boundNoun(origin: string): string {
  if (origin === "string") return "length";
  if (origin === "array" || origin === "set") return "number of items";
  return "value";
}
