/**
 * The operating system as hopd sees it, behind one small interface so every reader and parser can be tested on recorded
 * outputs: read a file, list a directory, run a program and get its output. {@link nodeSystem} is the real one; tests
 * pass fakes built from fixtures. Nothing here interprets what it reads.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { hostname } from "node:os";

/** What a finished program left: exit status (null when killed), and its output as text. */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** File and program access of hopd. Every method resolves; failures are data (null, empty, a status). */
export interface HopSystem {
  /** The file's text, or null when it cannot be read. */
  readFile(path: string): Promise<string | null>;
  /** Entry names of a directory, or an empty list when it cannot be read. */
  listDir(path: string): Promise<string[]>;
  /**
   * Runs `program args…` (no shell) with `input` on stdin; resolves with its status and output. A program that cannot
   * be started resolves with status null and the reason in `stderr`.
   */
  run(program: string, args: readonly string[], input?: string): Promise<CommandResult>;
  /** The kernel's host name (UTS namespace). */
  hostname(): string;
  /** Wall clock, epoch milliseconds. */
  now(): number;
}

/** Longest a system command may run before it is killed, milliseconds. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** The real system: node:fs and execFile (10 s timeout, 16 MiB of output at most). */
export const nodeSystem: HopSystem = {
  async readFile(path) {
    try {
      return await readFile(path, "utf8");
    } catch {
      return null;
    }
  },
  async listDir(path) {
    try {
      return (await readdir(path)).sort();
    } catch {
      return [];
    }
  },
  run(program, args, input) {
    return new Promise((resolve) => {
      const child = execFile(
        program,
        [...args],
        { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error !== null && typeof error.code !== "number") {
            resolve({ status: null, stdout: stdout ?? "", stderr: stderr || error.message });
            return;
          }
          resolve({ status: error === null ? 0 : (error.code as number), stdout, stderr });
        },
      );
      child.stdin?.on("error", () => {});
      child.stdin?.end(input ?? "");
    });
  },
  hostname: () => hostname(),
  now: () => Date.now(),
};
