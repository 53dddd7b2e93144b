#!/usr/bin/env node
// Runs the test suite with node:test through tsx. Node 20's --test takes no globs for .ts files, so this script
// lists every `*.test.ts` under test/ explicitly (sorted, so runs are reproducible).
//
// Usage: node scripts/run-tests.mjs [--unit] [--node PATH] [FILE_OR_DIR...]
//   --unit       only the unit suites (leaves out test/interop, test/netns, test/e2e)
//   --node PATH  run the tests under another Node binary (CI uses this for Node 24)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
let unitOnly = false;
let nodeBin = process.execPath;
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--unit") unitOnly = true;
  else if (args[i] === "--node") nodeBin = args[++i];
  else roots.push(args[i]);
}
if (roots.length === 0) roots.push(join(root, "test"));

const NON_UNIT = ["test/interop/", "test/netns/", "test/e2e/"];

/** @param {string} p @param {string[]} out */
function walk(p, out) {
  const st = statSync(p);
  if (st.isFile()) {
    if (p.endsWith(".test.ts")) out.push(p);
    return;
  }
  for (const name of readdirSync(p).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    walk(join(p, name), out);
  }
}

const files = [];
for (const r of roots) walk(r, files);
const selected = files
  .map((f) => relative(root, f))
  .filter((f) => !unitOnly || !NON_UNIT.some((prefix) => f.startsWith(prefix)));
if (selected.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const concurrency = process.env.FLOWLENS_TEST_CONCURRENCY ?? "2";
const res = spawnSync(nodeBin, ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, ...selected], {
  cwd: root,
  stdio: "inherit",
  env: process.env,
});
process.exit(res.status ?? 1);
