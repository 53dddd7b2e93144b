/**
 * What `/version` reports: the daemon name, the flowlens version from package.json, the Node.js version and the git
 * commit when known (from `FLOWLENS_GIT_COMMIT`, else read from the checkout's `.git` without running git).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The body of `/version`. */
export interface VersionInfo {
  /** Daemon name, e.g. `collector`. */
  readonly name: string;
  /** flowlens package version, e.g. `0.1.0`. */
  readonly version: string;
  /** Node.js version, e.g. `v20.20.2`. */
  readonly node: string;
  /** Full or abbreviated git commit hash, or null when unknown (an installed package). */
  readonly commit: string | null;
}

/** The nearest folder at or above `start` whose package.json names the package `flowlens` (or `start` if none). */
function findPackageRoot(start: string): string {
  for (let dir = start; ; ) {
    const pkg = readText(join(dir, "package.json"));
    if (pkg !== null && /"name"\s*:\s*"flowlens"/.test(pkg)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/** The folder holding flowlens's package.json (found from this module, so it holds for src/ and the dist/ bundle). */
export const PACKAGE_ROOT = findPackageRoot(fileURLToPath(new URL(".", import.meta.url)));

/** The version of flowlens from its package.json, or `0.0.0` when it cannot be read. */
export function packageVersion(root = PACKAGE_ROOT): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

/** The commit checked out in the git work tree at `root` (following a worktree's `gitdir:` file), or null. */
export function gitCommit(root = PACKAGE_ROOT): string | null {
  let gitDir = join(root, ".git");
  const pointer = readText(gitDir);
  if (pointer?.startsWith("gitdir: ")) gitDir = pointer.slice("gitdir: ".length);
  const head = readText(join(gitDir, "HEAD"));
  if (head === null) return null;
  if (!head.startsWith("ref: ")) return /^[0-9a-f]{40,64}$/.test(head) ? head : null;
  const ref = head.slice("ref: ".length);
  const loose = readText(join(gitDir, ref));
  if (loose !== null) return loose;
  const packed = readText(join(gitDir, "packed-refs")) ?? "";
  for (const line of packed.split("\n")) {
    const [hash, name] = line.split(" ");
    if (name === ref && hash !== undefined) return hash;
  }
  return null;
}

/** The version information of this process for daemon `name`. */
export function readVersionInfo(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): VersionInfo {
  const fromEnv = env.FLOWLENS_GIT_COMMIT;
  return {
    name,
    version: packageVersion(),
    node: process.version,
    commit: fromEnv !== undefined && fromEnv !== "" ? fromEnv : gitCommit(),
  };
}
