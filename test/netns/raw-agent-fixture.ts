/**
 * The agent on the raw transport in a lab host, for the netns suites: started in this process with its probe helper
 * run in a lab namespace under `ip netns exec`, asked through fastify inject (no socket: the agent's HTTP port is on
 * the test's loopback), and polled until a round shows what a test waits for. Or the whole `flowlens agent` started
 * in a lab host as `lab up` configures it, asked over HTTP from inside that host. Child processes in lab namespaces
 * with their output collected, stopped by PID.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { type RunningRawAgent, startRawAgent } from "../../src/cli/daemon/raw-agent.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { H1, H2 } from "./lab-fixture.ts";

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies are walked dynamically by the assertions.
export type Json = Record<string, any>;

/** A flow from h1 to h2 without its addresses. */
export interface HostFlow {
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
}

/** The start/flow, data/flow and stop/flow query of `flow` from h1 to h2. */
export function h1h2Query(flow: HostFlow): string {
  return `src=${H1}&dst=${H2}&proto=${flow.proto}&sport=${flow.sport}&dport=${flow.dport}`;
}

/**
 * Starts the agent with `network: raw`, HTTP on 127.0.0.1 port 0, no log output, its probe helper run in namespace
 * `ns`; `metrics` defaults to a registry without the process metrics.
 */
export async function startLabRawAgent(
  ns: string,
  metrics = new Metrics({ defaultMetrics: false }),
): Promise<RunningRawAgent> {
  return await startRawAgent(agentConfigSchema.parse({ network: "raw", http: { host: "127.0.0.1", port: 0 } }), {
    logger: createLogger({ level: "silent" }),
    helperWrapper: ["ip", "netns", "exec", ns],
    metrics,
  });
}

/** A `GET url` of the agent's API (fastify inject) returning the JSON body; asserts the agent was started. */
export function agentGetter(agent: () => RunningRawAgent | null): (url: string) => Promise<Json> {
  return async (url) => {
    const running = agent();
    assert.ok(running);
    return (await running.app.inject({ method: "GET", url })).json() as Json;
  };
}

/** GETs `url` every `intervalMs` until `ok(body)` or `ms` passes; returns the last body (the caller asserts on it). */
export async function pollUntil(
  get: (url: string) => Promise<Json>,
  url: string,
  ok: (body: Json) => boolean,
  ms = 10_000,
  intervalMs = 100,
): Promise<Json> {
  const deadline = Date.now() + ms;
  let body = await get(url);
  while (!ok(body) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    body = await get(url);
  }
  return body;
}

/** Where the agent configuration `lab up` writes puts the agent's HTTP API: the loopback of the host it runs in. */
export const LAB_AGENT_URL = "http://127.0.0.1:8080";

/** python3 GET of argv[1] with a timeout of argv[2] s, printing the body, also the one of an HTTP error status. */
const PY_GET = [
  "import sys,urllib.request,urllib.error",
  "try: print(urllib.request.urlopen(sys.argv[1],timeout=float(sys.argv[2])).read().decode())",
  "except urllib.error.HTTPError as e: print(e.read().decode())",
].join("\n");

/**
 * A `GET base + path` run inside namespace `ns` (python3's urllib: an API on a lab host's own loopback cannot be
 * reached from the test's), resolving with the JSON body, also that of an HTTP error status (a 409 before the first
 * round is JSON too); rejects with `GET url: <python's last stderr line>` when nothing answers within `timeoutS`
 * seconds (refused, timed out) or the body is not JSON.
 */
export function nsGetter(ns: string, base = "", timeoutS = 10): (path: string) => Promise<Json> {
  return (path) => {
    const url = `${base}${path}`;
    const args = ["netns", "exec", ns, "python3", "-c", PY_GET, url, String(timeoutS)];
    return new Promise((resolve, reject) => {
      execFile("ip", args, { encoding: "utf8", timeout: (timeoutS + 10) * 1000 }, (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`GET ${url}: ${stderr.trim().split("\n").at(-1) || error.message}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as Json);
        } catch {
          reject(new Error(`GET ${url}: not JSON: ${stdout.slice(0, 200)}`));
        }
      });
    });
  };
}

const BIN = fileURLToPath(new URL("../../bin/flowlens.js", import.meta.url));

/**
 * `flowlens agent -c CONFIG` (bin/flowlens.js, this process's environment) run in lab host `ns` with its output
 * collected, its API at {@link LAB_AGENT_URL} asked from inside that host: `start` in a suite's `before`, `stop` in its
 * `after` (harmless when it never started).
 */
export class LabAgentProcess {
  /** GET of a path of the agent's API from inside the host ({@link nsGetter}; error bodies are JSON too). */
  readonly get: (path: string) => Promise<Json>;
  #child: NsChild | null = null;

  /** `ns`: the host's namespace; `timeoutS`: how long one GET may wait for an answer. */
  constructor(
    readonly ns: string,
    timeoutS = 10,
  ) {
    this.get = nsGetter(ns, LAB_AGENT_URL, timeoutS);
  }

  /**
   * Starts the agent with configuration file `config` and resolves once `/healthz` answers (asked every 300 ms). When
   * the agent exits first or `ms` pass, it is killed and this rejects with the last GET error and the end of its output.
   */
  async start(config: string, ms = 40_000): Promise<void> {
    const child = spawnInNs(this.ns, [process.execPath, BIN, "agent", "-c", config]);
    this.#child = child;
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        await this.get("/healthz");
        return;
      } catch (e) {
        if (Date.now() > deadline || child.proc.exitCode !== null || child.proc.signalCode !== null) {
          stopChild(child, "SIGKILL");
          throw new Error(`agent in ${this.ns} not answering: ${(e as Error).message}\n${child.out().slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  /** Polls `/data/flow?query` every `intervalMs` until `ok(body)` or `ms` passes; returns the last body. */
  dataFlow(query: string, ok: (body: Json) => boolean, ms: number, intervalMs = 250): Promise<Json> {
    return pollUntil(this.get, `/data/flow?${query}`, ok, ms, intervalMs);
  }

  /** Stops the agent (SIGTERM, SIGKILL after 5 s; {@link endChild}) and waits for it to exit. */
  async stop(): Promise<void> {
    await endChild(this.#child);
  }
}

/** A child process in a lab namespace with its stdout and stderr collected together. */
export interface NsChild {
  readonly proc: ChildProcess;
  /** The output so far. */
  out(): string;
  /** Resolves with the whole output when the child has exited and closed its pipes. */
  readonly done: Promise<string>;
}

/** Runs `args` in namespace `ns` in the background (`ip netns exec`), collecting its output. */
export function spawnInNs(ns: string, args: readonly string[]): NsChild {
  const proc = spawn("ip", ["netns", "exec", ns, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  return { proc, out: () => out, done: new Promise((resolve) => proc.on("close", () => resolve(out))) };
}

/** Sends `signal` to `child` by PID unless it already exited. */
export function stopChild(child: NsChild | null, signal: NodeJS.Signals = "SIGTERM"): void {
  const proc = child?.proc;
  if (proc?.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(proc.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Sends `signal` to `child` by PID ({@link stopChild}) and resolves once it has exited, sending SIGKILL when it has not
 * after `graceMs`; at once when there is no child or it already exited.
 */
export async function endChild(
  child: NsChild | null,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 5000,
): Promise<void> {
  const proc = child?.proc;
  if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  stopChild(child, signal);
  const timer = setTimeout(() => stopChild(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
