/**
 * Golden files: expected outputs kept as plain text beside the tests (test/cli/golden/). A test compares what it got
 * with the file and fails on any difference. With `FLOWLENS_UPDATE_GOLDEN=1` the file is written instead, and the test
 * says so in its diagnostics (review the diff with git before committing); without it, nothing is ever written, and a
 * missing file fails with the command to create it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

/** The directory of the golden files. */
export const GOLDEN_DIR = dirname(fileURLToPath(import.meta.url));

/** True when the run rewrites golden files (`FLOWLENS_UPDATE_GOLDEN=1`). */
export const UPDATE_GOLDEN = process.env.FLOWLENS_UPDATE_GOLDEN === "1";

/**
 * Compares `actual` with the golden file `name` (a path under test/cli/golden/, e.g. `analytics/show-flows.txt`), or
 * writes it when updating.
 */
export function expectGolden(t: TestContext, name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (UPDATE_GOLDEN) {
    const before = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (before !== actual) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, actual);
      t.diagnostic(`golden file ${before === undefined ? "created" : "rewritten"}: test/cli/golden/${name}`);
    }
    return;
  }
  if (!existsSync(file)) {
    assert.fail(`golden file test/cli/golden/${name} is missing; create it with FLOWLENS_UPDATE_GOLDEN=1`);
  }
  assert.equal(actual, readFileSync(file, "utf8"), `output differs from test/cli/golden/${name}`);
}
