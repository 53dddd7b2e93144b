/** The real `flowlens` command (bin/flowlens.js) as a child process, for the CLI suites. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How a run of the command ended: exit status (null when killed by a signal) and its whole output. */
export interface FlowlensRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/flowlens.js ...args` in the repository root with `env` over this process's environment, without
 * blocking this process's event loop (so a server of the test can answer it meanwhile); resolves when it exits.
 */
export function runFlowlens(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<FlowlensRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/flowlens.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
