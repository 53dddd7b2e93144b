/**
 * Runs the system programs the lab is built with (`ip`, `bridge`, `sysctl` through `ip netns exec`), synchronously,
 * turning a failure into a one-line {@link LabError} `ERR_LAB_COMMAND`.
 */
import { spawnSync } from "node:child_process";
import { LabError } from "./errors.ts";

/** What a finished command printed and how it exited. */
export interface CommandOutput {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `program args` with `input` on stdin; never throws for a non-zero exit (see {@link mustRun}). */
export function runCommand(program: string, args: readonly string[], input?: string): CommandOutput {
  const r = spawnSync(program, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 60_000 });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code ?? "error";
    throw new LabError("ERR_LAB_COMMAND", `cannot run ${program} (${code})`, { cause: r.error });
  }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `program args` and returns its stdout.
 * @throws LabError `ERR_LAB_COMMAND` naming the command and the first line of its stderr when it exits non-zero.
 */
export function mustRun(program: string, args: readonly string[], input?: string): string {
  const r = runCommand(program, args, input);
  if (r.status !== 0) {
    const why = r.stderr.trim().split("\n", 1)[0] || `exit status ${r.status}`;
    throw new LabError("ERR_LAB_COMMAND", `${program} ${args.join(" ")}: ${why}`);
  }
  return r.stdout;
}

/** Names of the network namespaces that exist now (`ip netns list`). */
export function listNamespaces(): Set<string> {
  const out = mustRun("ip", ["netns", "list"]);
  // Lines look like `name` or `name (id: 3)`.
  return new Set(
    out
      .split("\n")
      .map((l) => l.trim().split(/\s+/, 1)[0] ?? "")
      .filter((n) => n !== ""),
  );
}

/** Sets sysctls inside namespace `ns` (one `sysctl -w` run). */
export function setSysctls(ns: string, values: Readonly<Record<string, string>>): void {
  const pairs = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  if (pairs.length > 0) mustRun("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", ...pairs]);
}

/** Blocks the thread for `ms` milliseconds (the lab is built synchronously, between commands). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
