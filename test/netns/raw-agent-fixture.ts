/**
 * The agent on the raw transport in a lab host, for the netns suites: started in this process with its probe helper
 * run in a lab namespace under `ip netns exec`, asked through fastify inject (no socket: the agent's HTTP port is on
 * the test's loopback), and polled until a round shows what a test waits for. Child processes in lab namespaces with
 * their output collected, stopped by PID.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
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

/** GETs `url` every 100 ms until `ok(body)` or `ms` passes; returns the last body (the caller asserts on it). */
export async function pollUntil(
  get: (url: string) => Promise<Json>,
  url: string,
  ok: (body: Json) => boolean,
  ms = 10_000,
): Promise<Json> {
  const deadline = Date.now() + ms;
  let body = await get(url);
  while (!ok(body) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    body = await get(url);
  }
  return body;
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
