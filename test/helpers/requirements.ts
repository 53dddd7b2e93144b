/**
 * Gates for suites that need something from outside the project (a Debian peer program, root, network namespaces,
 * ../shared/testdata). Outside CI such a suite skips with a visible reason; with FLOWLENS_REQUIRE_ALL=1 (set by .ci/run)
 * a missing requirement fails the suite instead, so CI never passes by skipping.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** True when CI demands that every suite runs (`FLOWLENS_REQUIRE_ALL=1`). */
export const REQUIRE_ALL = process.env.FLOWLENS_REQUIRE_ALL === "1";

/** Absolute path of `../shared/testdata` beside the project (may not exist on a user's machine). */
export const SHARED_TESTDATA = fileURLToPath(new URL("../../../shared/testdata/", import.meta.url));

/**
 * Returns `false` when the requirement holds, else the reason string for `{ skip }` of node:test.
 * Throws (failing the suite) when the requirement is missing and FLOWLENS_REQUIRE_ALL=1.
 */
export function requirement(ok: boolean, reason: string): false | string {
  if (ok) return false;
  if (REQUIRE_ALL) throw new Error(`required by FLOWLENS_REQUIRE_ALL=1 but missing: ${reason}`);
  return reason;
}

/** Whether an executable is on PATH. */
export function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Skip reason (or false) for a suite that needs a program from a Debian package. */
export function needsProgram(name: string, debianPackage = name): false | string {
  return requirement(hasProgram(name), `${name} not installed (apt-get install ${debianPackage})`);
}

/** Skip reason (or false) for a suite that reads a file under ../shared/testdata. */
export function needsTestdata(relPath: string): false | string {
  return requirement(existsSync(SHARED_TESTDATA + relPath), `../shared/testdata/${relPath} not present`);
}
