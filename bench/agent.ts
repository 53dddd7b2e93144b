/**
 * Compute Agent under load (`node --import tsx bench/agent.ts`, or `runAgentBench()` from bench/index.ts): an agent on
 * the simulated fabric runs in a child process (so its CPU is measured alone, the fabric's model included, as in
 * `flowlens up`); 1,000 flows are started at sfreq 1 s; once every flow has a Path, the child's CPU is measured while
 * it only probes, then while a loopback HTTP client (node:http, keep-alive, 32 requests in flight, an autocannon
 * equivalent) fetches data/flow of random flows as fast as it answers, recording each request's latency.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FLOWS = 1000;
const CLK_TCK = 100;
const IDLE_SECONDS = 10;
const LOAD_SECONDS = 10;
const CONCURRENCY = 32;

function flowQuery(i: number): string {
  return `src=10.1.1.1&dst=10.1.7.1&proto=tcp&sport=${20_000 + i}&dport=9000`;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: keepAlive }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Starts the agent child; resolves with its URL. */
async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--serve"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`agent child exited with ${code}`)));
  });
  return { child, url };
}

async function waitForPaths(url: string): Promise<void> {
  for (;;) {
    const metrics = (await get(`${url}/metrics`)).body;
    const rounds = /flowlens_agent_rounds_total\{kind="flow",outcome="complete"\} (\d+)/.exec(metrics);
    if (Number(rounds?.[1] ?? 0) >= 2 * FLOWS) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function load(url: string, seconds: number): Promise<{ latenciesMs: number[]; errors: number }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < end; i += CONCURRENCY) {
      const t0 = performance.now();
      const res = await get(`${url}/data/flow?${flowQuery(i % FLOWS)}`);
      latenciesMs.push(performance.now() - t0);
      if (res.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  return { latenciesMs, errors };
}

/** Runs the benchmark and prints its figures. */
export async function runAgentBench(): Promise<void> {
  const { child, url } = await startServer();
  const pid = child.pid ?? 0;
  try {
    for (let i = 0; i < FLOWS; i++) {
      const res = await get(`${url}/start/flow?${flowQuery(i)}`);
      if (res.status !== 200) throw new Error(`start/flow ${i}: ${res.body}`);
    }
    await waitForPaths(url);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleCores = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
    const cpu1 = cpuSeconds(pid);
    const t1 = performance.now();
    const { latenciesMs, errors } = await load(url, LOAD_SECONDS);
    const loadSeconds = (performance.now() - t1) / 1000;
    const loadCores = (cpuSeconds(pid) - cpu1) / loadSeconds;
    const metrics = (await get(`${url}/metrics`)).body;
    const probes = Number(/flowlens_agent_probes_sent_total (\d+)/.exec(metrics)?.[1] ?? 0);
    const sorted = latenciesMs.sort((a, b) => a - b);
    const ms = (p: number) => `${percentile(sorted, p).toFixed(2)} ms`;
    console.log(`\nagent: ${FLOWS} flows at sfreq 1 s on the simulated fabric (agent + fabric in one child process)`);
    console.log(`  CPU while probing only:        ${idleCores.toFixed(3)} cores (goal < 0.5)`);
    console.log(`  CPU under data/flow load:      ${loadCores.toFixed(3)} cores`);
    console.log(`  data/flow requests:            ${sorted.length} in ${loadSeconds.toFixed(1)} s, ${errors} not 200`);
    console.log(`  data/flow throughput:          ${(sorted.length / loadSeconds).toFixed(0)} requests/s`);
    console.log(`  data/flow latency p50/p90/p99: ${ms(50)} / ${ms(90)} / ${ms(99)} (goal p99 < 10 ms)`);
    console.log(`  data/flow latency max:         ${sorted[sorted.length - 1]!.toFixed(2)} ms`);
    console.log(`  probes sent so far:            ${probes}`);
    console.log(`  agent RSS:                     ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    keepAlive.destroy();
    child.kill("SIGTERM");
  }
}

async function serve(): Promise<void> {
  const { agentConfigSchema } = await import("../src/agent/config.ts");
  const { startSimulatedAgent } = await import("../src/cli/daemon/sim-agent.ts");
  const { createLogger } = await import("../src/runtime/logger.ts");
  const config = agentConfigSchema.parse({ "log-level": "warn", http: { port: 0 } });
  const agent = await startSimulatedAgent(config, { logger: createLogger({ level: "warn" }) });
  process.stdout.write(`READY ${agent.url}\n`);
  process.on("SIGTERM", () => {
    void agent.stop().then(() => process.exit(0));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes("--serve")) await serve();
  else await runAgentBench();
}
