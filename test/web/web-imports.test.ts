/**
 * The dashboard's import boundary (DESIGN.md, src/web/types.ts): browser code under src/web may take runtime values from
 * src/web, src/wire and npm packages only; from the rest of src (the agent's and the collector's types) it may import
 * types only, which esbuild erases. Biome's noRestrictedImports cannot allow type-only imports, so this test checks it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
const WEB = join(SRC, "web");
const ALLOWED = [join(SRC, "web"), join(SRC, "wire")];

/** An import or re-export of `file` that brings a runtime value from outside src/web and src/wire. */
interface Violation {
  file: string;
  statement: string;
}

const STATIC = /^\s*(import|export)\s+([^;]*?)\s*\bfrom\s*["']([^"']+)["']/gm;
const BARE = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

function outside(file: string, specifier: string): boolean {
  if (!specifier.startsWith(".")) return false; // an npm package, bundled
  const target = resolve(dirname(file), specifier);
  return !ALLOWED.some((dir) => target === dir || target.startsWith(`${dir}/`));
}

/** Whether the clause of `import|export <clause> from` brings types only (`type {..}`, `{ type A, type B }`). */
function typeOnly(clause: string): boolean {
  if (/^type\b/.test(clause)) return true;
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (braces === null) return false; // a default or namespace import, or `export *`
  const names = braces[1]!
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  return names.length > 0 && names.every((n) => /^type\s/.test(n));
}

/** The value imports from outside src/web and src/wire in `source` (the text of `file`). */
function violations(file: string, source: string): Violation[] {
  const found: Violation[] = [];
  for (const m of source.matchAll(STATIC)) {
    if (outside(file, m[3]!) && !typeOnly(m[2]!)) found.push({ file, statement: m[0].trim() });
  }
  for (const re of [BARE, DYNAMIC]) {
    for (const m of source.matchAll(re)) if (outside(file, m[1]!)) found.push({ file, statement: m[0].trim() });
  }
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("src/web import boundary", () => {
  it("flags value imports from outside src/web and src/wire, and lets type-only ones through", () => {
    const file = join(WEB, "example.ts");
    const bad = [
      'import { PathFeed } from "../agent/path-feed.ts";',
      'import { type PathRound, PathFeed } from "../agent/path-feed.ts";',
      'export { ListedFlowGroup } from "../agent/flow-source.ts";',
      'import * as fs from "../runtime/errors.ts";',
      'import "../agent/side-effect.ts";',
      'const m = await import("../collector/status.ts");',
    ];
    for (const line of bad) assert.equal(violations(file, line).length, 1, line);
    const good = [
      'import type { PathRound } from "../agent/path-feed.ts";',
      'import { type PathRound, type PathFeed } from "../agent/path-feed.ts";',
      'export type { FlowTuple } from "../probe/transport.ts";',
      'import { h } from "./dom.ts";',
      'import { decode } from "../wire/ipv4.ts";',
      'import cytoscape, { type Core } from "cytoscape";',
    ];
    for (const line of good) assert.deepEqual(violations(file, line), [], line);
  });

  it("holds for every file under src/web", () => {
    const files = sources(WEB);
    assert.ok(
      files.some((f) => f.endsWith("types.ts")),
      "src/web/types.ts is scanned",
    );
    const typeImports = readFileSync(join(WEB, "types.ts"), "utf8").match(/from "\.\.\/agent\//g) ?? [];
    assert.ok(typeImports.length > 0, "types.ts takes the agent's types (the case this test guards)");
    const found = files.flatMap((f) => violations(f, readFileSync(f, "utf8")));
    assert.deepEqual(
      found.map((v) => `${relative(SRC, v.file)}: ${v.statement}`),
      [],
      "src/web imports from outside src/web and src/wire must be type-only (import type / export type)",
    );
  });
});
