/**
 * Child processes for tests: started with their output captured, stopped by PID (never by name), awaited, and always
 * stopped in `after` even when a test fails.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** A started child with its captured output. */
export interface Child {
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal name) when the child ends. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) to the child's PID and waits for it to end (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/** Spawns `command args` with stdin ignored and stdout/stderr captured. */
export function startChild(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child: Child = {
    process: proc,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))),
    async stop(signal = "SIGTERM", graceMs = 5000) {
      if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
        process.kill(proc.pid, signal);
        const timer = setTimeout(
          () => proc.pid !== undefined && proc.exitCode === null && process.kill(proc.pid, "SIGKILL"),
          graceMs,
        );
        const result = await child.exited;
        clearTimeout(timer);
        return result;
      }
      return child.exited;
    },
  };
  proc.stdout?.on("data", (d: Buffer) => {
    child.stdout += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    child.stderr += d.toString();
  });
  return child;
}

/** Polls `check` every `intervalMs` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Resolves once `child` has written `pattern` on stderr (what it writes from now on); rejects when it exits
 * first (`<name> exited: <stderr>`) or after `timeoutMs` (`<name> did not start: <stderr>`).
 */
export function stderrSays(child: ChildProcess, pattern: RegExp, name: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${err}`)), timeoutMs);
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (pattern.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`${name} exited: ${err}`));
    });
  });
}
