/**
 * Environment overrides of configuration keys. A variable `FLOWLENS_<PATH>` sets the key at PATH, where PATH is the
 * key path from the top of the document, each key upper-cased with every character other than `A-Z` and `0-9` written
 * `_`, and the keys joined by `_`: `collector.flush-interval` ← `FLOWLENS_COLLECTOR_FLUSH_INTERVAL`, and a nested
 * `collector.interfaces.cp-6/0/0.port` ← `FLOWLENS_COLLECTOR_INTERFACES_CP_6_0_0_PORT`. Since `_` both joins keys and
 * stands for `-`, a name is matched against the keys the schema declares and the keys present in the file (map entries
 * such as interface names can only be addressed when the file has them; list items by index, `..._SERVERS_0_HOST`).
 * A name matching two keys is an error, as is a name whose first key is a known section but which matches no key;
 * other `FLOWLENS_` variables (not configuration) are left alone. Values are YAML scalars (`30`, `true`, `"30"`
 * quoted to stay a string); a value starting with `[` or `{` is a YAML flow collection; an empty value is ignored.
 */
import YAML from "yaml";
import type { z } from "zod";
import type { ConfigIssue } from "./errors.ts";
import { childSchemas, declaredKeys } from "./schema-walk.ts";

/** The prefix of configuration environment variables. */
export const ENV_PREFIX = "FLOWLENS_";

/** The result of applying overrides: the new document, problems found, and which variable set which key path. */
export interface EnvOverrideResult {
  readonly document: unknown;
  readonly issues: ConfigIssue[];
  /** Dotted key path → the variable that set it. */
  readonly origins: Map<string, string>;
}

/** The env-variable spelling of one configuration key (`cp-6/0/0` → `CP_6_0_0`). */
export function envKeyOf(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** The variable name that addresses a key path (`["collector", "flush-interval"]` → `FLOWLENS_COLLECTOR_FLUSH_INTERVAL`). */
export function envNameOf(path: readonly string[], prefix = ENV_PREFIX): string {
  return prefix + path.map(envKeyOf).join("_");
}

/**
 * Applies every `FLOWLENS_` variable of `env` that names a configuration key to a copy of `document` (variables in
 * sorted order). `document` is the parsed YAML (`null` for an empty file).
 */
export function applyEnvOverrides(
  document: unknown,
  schema: z.ZodType,
  env: Readonly<Record<string, string | undefined>>,
  prefix = ENV_PREFIX,
): EnvOverrideResult {
  const doc: unknown = document === null || document === undefined ? {} : structuredClone(document);
  const issues: ConfigIssue[] = [];
  const origins = new Map<string, string>();
  // A document that is not a mapping fails validation at its root; overrides have nowhere to go.
  if (!isMap(doc)) return { document: doc, issues, origins };
  const names = Object.keys(env)
    .filter((n) => n.startsWith(prefix) && env[n] !== undefined && env[n] !== "")
    .sort();
  for (const name of names) {
    const rest = name.slice(prefix.length).toUpperCase();
    const paths = matchPaths(rest, [schema], doc, []);
    if (paths.length === 0) {
      if (namesKnownSection(rest, schema, doc))
        issues.push({ path: name, message: "does not name a configuration key" });
      continue;
    }
    if (paths.length > 1) {
      const list = paths.map((p) => p.join(".")).join(" and ");
      issues.push({ path: name, message: `ambiguous: matches ${list}` });
      continue;
    }
    const parsed = parseEnvValue(env[name]!);
    if (!parsed.ok) {
      issues.push({ path: name, message: parsed.message });
      continue;
    }
    const path = paths[0]!;
    const problem = setPath(doc, path, parsed.value);
    if (problem !== null) issues.push({ path: name, message: problem });
    else origins.set(path.join("."), name);
  }
  return { document: doc, issues, origins };
}

function keysAt(schemas: readonly z.ZodType[], doc: unknown): Set<string> {
  const keys = new Set<string>();
  for (const s of schemas) for (const k of declaredKeys(s)) keys.add(k);
  if (Array.isArray(doc)) for (let i = 0; i < doc.length; i++) keys.add(String(i));
  else if (isMap(doc)) for (const k of Object.keys(doc)) keys.add(k);
  return keys;
}

function matchPaths(rest: string, schemas: readonly z.ZodType[], doc: unknown, prefix: string[]): string[][] {
  const found: string[][] = [];
  for (const key of keysAt(schemas, doc)) {
    const k = envKeyOf(key);
    if (k === "") continue;
    if (rest === k) found.push([...prefix, key]);
    else if (rest.startsWith(`${k}_`)) {
      const children = schemas.flatMap((s) => childSchemas(s, key));
      const childDoc = isMap(doc) || Array.isArray(doc) ? (doc as Record<string, unknown>)[key] : undefined;
      found.push(...matchPaths(rest.slice(k.length + 1), children, childDoc, [...prefix, key]));
    }
  }
  return found;
}

function namesKnownSection(rest: string, schema: z.ZodType, doc: unknown): boolean {
  for (const key of keysAt([schema], doc)) {
    const k = envKeyOf(key);
    if (rest === k || rest.startsWith(`${k}_`)) return true;
  }
  return false;
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

const NULLS = new Set(["null", "Null", "NULL", "~"]);

/**
 * The value of an override: numbers, booleans and null as YAML reads them; a quoted string unquoted; a flow
 * collection (`[a, b]`, `{k: v}`) parsed; anything else the raw text (so `#`, `: ` and the like stay literal).
 */
export function parseEnvValue(raw: string): Parsed {
  const first = raw.trimStart()[0];
  if (first === "[" || first === "{") {
    try {
      return { ok: true, value: YAML.parse(raw) };
    } catch (e) {
      return { ok: false, message: `not a valid YAML flow collection: ${(e as Error).message.split("\n", 1)[0]}` };
    }
  }
  let value: unknown;
  try {
    value = YAML.parse(raw);
  } catch {
    return { ok: true, value: raw };
  }
  if (typeof value === "number" || typeof value === "boolean") return { ok: true, value };
  if (value === null && NULLS.has(raw.trim())) return { ok: true, value: null };
  if (typeof value === "string" && (first === '"' || first === "'")) return { ok: true, value };
  return { ok: true, value: raw };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sets `value` at `path` inside `root`, creating missing (or null) mappings on the way; returns a problem or null. */
function setPath(root: unknown, path: readonly string[], value: unknown): string | null {
  let node = root as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (!isMap(next) && !Array.isArray(next)) {
      return `cannot set ${path.join(".")}: ${path.slice(0, i + 1).join(".")} is not a mapping`;
    }
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
  return null;
}
