/**
 * Real path tracing on the lab (`npm run bench -- trace`, or `node --import tsx bench/trace.ts`; issue 6,
 * "Performance"). Needs root, iproute2, nftables, nsenter, traceroute, scamper and the built probe helper; prints one
 * skip line otherwise. Builds the default lab under a unique prefix (h1 -> leaf1 -> spine -> leaf2 -> h2) and removes
 * it at the end, also on failure.
 *
 * (a) One round for the four-hop path of one UDP tuple from h1 to h2: the agent's round (`probeRound` over the raw
 *     transport, helper in h1) timed inside the process, against `traceroute -U -p DPORT --sport=SPORT` and
 *     `scamper -c "trace -P udp-paris -s SPORT -d DPORT"` for the same tuple, each timed as a whole process (entered
 *     with `nsenter --net`, whose own cost is shown beside them). Probes are counted by an nftables counter on h1's
 *     output hook matching the exact tuple. The kernel's global ICMP error budget is raised in the lab's namespaces.
 * (b) Sustained monitoring: the agent with `network: raw` in a child process (helper in h1) traces 1,000 UDP flows
 *     h1 -> h2 at sfreq 1 s (nhops 4, ntry 1; `--flows N` for another number); over a measured interval: rounds
 *     finished against the rounds due, the longest gap between two round starts of one flow, hop latencies and the
 *     agent's event loop delay, probes sent and unanswered, the ICMP answers h1's kernel received (an nftables counter
 *     on its input hook) and those it dropped at the helper's socket, packets the transport could not match, CPU of
 *     agent and helper from /proc/PID/stat, and their RSS. `--profile` runs the agent child under `node --cpu-prof`
 *     (profiles in $TMPDIR/flowlens-trace-prof). `FLOWLENS_TRACE_BENCH_HELPER=PATH` uses another helper binary;
 *     `--keep-icmp-limit` leaves the kernel's global ICMP error budget at its default.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The probe helper: the built one, or `FLOWLENS_TRACE_BENCH_HELPER` (to compare a modified helper). */
const HELPER = process.env.FLOWLENS_TRACE_BENCH_HELPER ?? join(ROOT, "native/build/flowlens-probe");
const H1 = "10.1.1.11";
const H2 = "10.1.2.11";
/** The tuple of part (a). */
const SPORT = 41_000;
const DPORT = 9000;
/** Flows of part (b) unless `--flows N` says otherwise. */
const DEFAULT_FLOWS = 1000;
const WARMUP_ROUNDS = 2;
const MEASURE_SECONDS = 20;
const CLK_TCK = 100;
const AGENT_ROUNDS = 200;
const PEER_RUNS = 20;
const SCAMPER_RUNS = 5;

/** Why the benchmark cannot run here, or null. */
function skipReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces)";
  for (const p of ["ip", "nft", "nsenter", "traceroute", "scamper"]) {
    if (spawnSync("sh", ["-c", `command -v ${p}`]).status !== 0) return `${p} not installed`;
  }
  if (spawnSync("bash", ["scripts/build-native.sh"], { cwd: ROOT }).status !== 0) return "probe helper does not build";
  return null;
}

function sh(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: "utf8", input, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

const inNs = (ns: string, args: readonly string[]) => ["ip", "netns", "exec", ns, ...args];

/** Counters on h1: `probes` (output, the part (a) tuple), `answers` (input, ICMP errors and TCP to h1). */
function installCounters(ns: string): void {
  const rules = `table ip flbench {
  counter probes { }
  counter answers { }
  chain probeout {
    type filter hook output priority 0; policy accept;
    ip daddr ${H2} udp sport ${SPORT} udp dport ${DPORT} counter name "probes"
  }
  chain answerin {
    type filter hook input priority 0; policy accept;
    ip daddr ${H1} icmp type { time-exceeded, destination-unreachable } counter name "answers"
  }
}`;
  sh(inNs(ns, ["nft", "-f", "-"]), rules);
}

function counter(ns: string, name: string): number {
  const out = JSON.parse(sh(inNs(ns, ["nft", "-j", "list", "counter", "ip", "flbench", name]))) as {
    nftables: { counter?: { packets: number } }[];
  };
  return out.nftables.find((o) => o.counter !== undefined)?.counter?.packets ?? 0;
}

/** Packets the kernel dropped at the raw ICMP sockets of namespace `ns` (receive queue full): /proc/net/raw `drops`. */
function icmpSocketDrops(ns: string): number {
  let drops = 0;
  for (const line of sh(inNs(ns, ["cat", "/proc/net/raw"]))
    .split("\n")
    .slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address is ADDR:PROTOCOL in hex for raw sockets; 0001 is ICMP.
    if (f[1]?.endsWith(":0001")) drops += Number(f[f.length - 1]);
  }
  return drops;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const fmtMs = (ms: number) => `${ms.toFixed(2)} ms`;

/** Whole-process timings of a command: medians of it, of `true` run the same way, and of their difference. */
interface CommandTiming {
  medianMs: number;
  baselineMs: number;
  netMs: number;
  /** Probes counted per run. */
  probes: number;
  /** The last run's standard output. */
  out: string;
}

/**
 * Times `runs` runs of a whole command in namespace `ns` (entered with `nsenter --net`, cheaper than `ip netns exec`),
 * each run right after one of `true` entered the same way: spawning alone costs a few ms here, so the median of the
 * pairwise differences is the command's own time.
 */
function timeCommand(ns: string, args: readonly string[], runs: number): CommandTiming {
  const before = counter(ns, "probes");
  const times: number[] = [];
  const baseline: number[] = [];
  let out = "";
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    sh(["nsenter", `--net=/run/netns/${ns}`, "true"]);
    const t1 = performance.now();
    out = sh(["nsenter", `--net=/run/netns/${ns}`, ...args]);
    times.push(performance.now() - t1);
    baseline.push(t1 - t0);
  }
  return {
    medianMs: quantile(times, 0.5),
    baselineMs: quantile(baseline, 0.5),
    netMs: quantile(
      times.map((t, k) => t - baseline[k]!),
      0.5,
    ),
    probes: (counter(ns, "probes") - before) / runs,
    out,
  };
}

/** Part (a): the agent's round against traceroute and scamper for one tuple. */
async function roundBench(prefix: string): Promise<void> {
  const { createRawTransport } = await import("../src/probe/raw-transport.ts");
  const { probeRound } = await import("../src/agent/probe-round.ts");
  const { ProbeLimiter } = await import("../src/agent/probe-limiter.ts");
  const { systemClock } = await import("../src/agent/clock.ts");
  const h1 = `${prefix}-h1`;
  const t0 = performance.now();
  const transport = await createRawTransport({ helperPath: HELPER, wrapper: ["ip", "netns", "exec", h1] });
  const startMs = performance.now() - t0;
  const limiter = new ProbeLimiter(systemClock, 1_000_000);
  const target = {
    kind: "flow",
    flow: { src: H1, dst: H2, proto: "udp", sport: SPORT, dport: DPORT },
    checksum: true,
  } as const;
  const signal = new AbortController().signal;
  let hops = "";
  const rounds = (nhops: number, known: number | null, n: number) => async () => {
    const before = counter(h1, "probes");
    const times: number[] = [];
    let complete = 0;
    for (let i = 0; i < n; i++) {
      const r0 = performance.now();
      const r = await probeRound({
        transport,
        target,
        nhops,
        ntry: 1,
        timeoutMs: 1000,
        knownDestinationTtl: known,
        limiter,
        signal,
      });
      times.push(performance.now() - r0);
      if (r.destinationTtl === 4) complete++;
      hops = r.hopTtls.map((t) => r.replies.get(t)?.responder ?? "*").join(" ");
    }
    return {
      median: quantile(times, 0.5),
      p90: quantile(times, 0.9),
      probes: (counter(h1, "probes") - before) / n,
      complete,
    };
  };
  try {
    await rounds(4, 4, 20)(); // warm-up (JIT, ARP caches)
    const first4 = await rounds(4, null, AGENT_ROUNDS)();
    const steady = await rounds(255, 4, AGENT_ROUNDS)();
    const first30 = await rounds(30, null, 50)();
    const tr = timeCommand(h1, ["traceroute", "-n", "-U", "-p", String(DPORT), `--sport=${SPORT}`, H2], PEER_RUNS);
    const scCmd = `trace -P udp-paris -s ${SPORT} -d ${DPORT}`;
    const sc = timeCommand(h1, ["scamper", "-c", scCmd, "-i", H2], SCAMPER_RUNS);
    const row = (name: string, time: string, probes: number, extra = "") =>
      console.log(`  ${name.padEnd(58)} ${time.padStart(22)} ${probes.toFixed(1).padStart(7)} probes ${extra}`);
    console.log(`\ntrace: one round, UDP ${H1}:${SPORT} -> ${H2}:${DPORT}, path h1 -> leaf1 -> spine -> leaf2 -> h2`);
    console.log(`  agent hops: ${hops}; helper start-up (spawn to READY): ${fmtMs(startMs)}`);
    const agentTime = (r: { median: number; p90: number }) => `${fmtMs(r.median)} (p90 ${fmtMs(r.p90)})`;
    const ok = (r: { complete: number }, n: number) => `${r.complete}/${n} reached h2`;
    row(
      "agent round, nhops 4, ntry 1, first round (in process)",
      agentTime(first4),
      first4.probes,
      ok(first4, AGENT_ROUNDS),
    );
    row(
      "agent round, nhops 255, destination known (in process)",
      agentTime(steady),
      steady.probes,
      ok(steady, AGENT_ROUNDS),
    );
    row("agent round, nhops 30, first round (in process)", agentTime(first30), first30.probes, ok(first30, 50));
    const whole = (c: CommandTiming) => `${fmtMs(c.medianMs)} (net ${fmtMs(c.netMs)})`;
    row(`traceroute -n -U -p ${DPORT} --sport=${SPORT} (whole process)`, whole(tr), tr.probes);
    row(`scamper trace -P udp-paris -s ${SPORT} -d ${DPORT} (whole process)`, whole(sc), sc.probes);
    row("nsenter --net=h1 true (the baseline of the net figures)", fmtMs(tr.baselineMs), 0);
    console.log(
      `  ratio agent round (nhops 4) / traceroute whole run: ${(first4.median / tr.medianMs).toFixed(2)} ` +
        `(net of spawning: ${tr.netMs > 0 ? (first4.median / tr.netMs).toFixed(2) : "n/a"}); ` +
        `probes ${first4.probes.toFixed(0)} against ${tr.probes.toFixed(0)} (goal: <= nhops x ntry = 4)`,
    );
    console.log(`  traceroute's hops:\n${tr.out.replace(/^/gm, "    ").trimEnd()}`);
    console.log(`  scamper's hops:\n${sc.out.replace(/^/gm, "    ").trimEnd()}`);
  } finally {
    await transport.close();
  }
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: keepAlive }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

function metric(text: string, pattern: RegExp): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(pattern.source, "gm"))) sum += Number(m[1]);
  return sum;
}

interface Sample {
  at: number;
  complete: number;
  incomplete: number;
  failed: number;
  probes: number;
  timeouts: number;
  unmatched: number;
  answers: number;
  socketDrops: number;
  agentCpu: number;
  helperCpu: number;
}

/** Starts the agent child (`--serve-raw PREFIX`); resolves with its URL once it printed READY. */
function startAgentChild(
  prefix: string,
  profile: boolean,
): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const flags = profile ? ["--cpu-prof", "--cpu-prof-dir", join(tmpdir(), "flowlens-trace-prof")] : [];
  const child = spawn(
    process.execPath,
    [...flags, "--import", "tsx", fileURLToPath(import.meta.url), "--serve-raw", prefix],
    {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        const m = /^READY (\S+)$/.exec(line);
        if (m !== null) resolve({ child, url: m[1]!, lines });
      }
    });
    child.on("exit", (code) => reject(new Error(`agent child exited with ${code}`)));
  });
}

/** What the agent child reports: unmatched packets, and the gaps between round starts of each flow since `reset`. */
interface ChildStats {
  unmatched: number;
  /** Gaps measured (consecutive rounds of one flow), the longest, and those over 1.5 sfreq (a round missed). */
  gaps: number;
  maxGapMs: number;
  late: number;
  /** Hop latencies reported (kernel receive time minus the time Node handed the probe to the helper): p99, max, ms. */
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** Event loop delay of the agent: p99 and max, ms (perf_hooks.monitorEventLoopDelay). */
  loopP99Ms: number;
  loopMaxMs: number;
}

/** Sends `command` (`stats` or `reset`) to the child on stdin and returns its `STATS {json}` answer. */
async function childStats(child: ChildProcess, lines: string[], command: "stats" | "reset"): Promise<ChildStats> {
  const at = lines.length;
  child.stdin?.write(`${command}\n`);
  for (let i = 0; i < 500; i++) {
    const line = lines.slice(at).find((l) => l.startsWith("STATS "));
    if (line !== undefined) return JSON.parse(line.slice(6)) as ChildStats;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("agent child did not answer stats");
}

/** Part (b): 1,000 flows at sfreq 1 s through the agent with the raw transport. */
async function sustainedBench(prefix: string, flows: number, profile: boolean): Promise<void> {
  const h1 = `${prefix}-h1`;
  const { child, url, lines } = await startAgentChild(prefix, profile);
  const agentPid = child.pid ?? 0;
  try {
    const helperPid = Number(sh(["ip", "netns", "pids", h1]).trim().split(/\s+/)[0]);
    const flowQuery = (i: number) => `src=${H1}&dst=${H2}&proto=udp&sport=${20_000 + i}&dport=${DPORT}`;
    for (let i = 0; i < flows; i++) {
      const body = await get(`${url}/start/flow?${flowQuery(i)}&nhops=4&ntry=1&timeout=500`);
      if (!body.includes('"EOK"')) throw new Error(`start/flow ${i}: ${body}`);
    }
    const sample = async (): Promise<Sample> => {
      const text = await get(`${url}/metrics`);
      return {
        at: performance.now(),
        complete: metric(text, /^flowlens_agent_rounds_total\{kind="flow",outcome="complete"\} (\d+)$/),
        incomplete: metric(text, /^flowlens_agent_rounds_total\{kind="flow",outcome="incomplete"\} (\d+)$/),
        failed: metric(text, /^flowlens_agent_rounds_total\{kind="flow",outcome="failed"\} (\d+)$/),
        probes: metric(text, /^flowlens_agent_probes_sent_total (\d+)$/),
        timeouts: metric(text, /^flowlens_agent_probe_timeouts_total (\d+)$/),
        unmatched: (await childStats(child, lines, "stats")).unmatched,
        answers: counter(h1, "answers"),
        socketDrops: icmpSocketDrops(h1),
        agentCpu: cpuSeconds(agentPid),
        helperCpu: cpuSeconds(helperPid),
      };
    };
    const warmDeadline = performance.now() + 60_000;
    let s0 = await sample();
    while (s0.complete + s0.incomplete < WARMUP_ROUNDS * flows && performance.now() < warmDeadline) {
      await new Promise((r) => setTimeout(r, 250));
      s0 = await sample();
    }
    await childStats(child, lines, "reset");
    await new Promise((r) => setTimeout(r, MEASURE_SECONDS * 1000));
    const s1 = await sample();
    const gaps = await childStats(child, lines, "stats");
    const secs = (s1.at - s0.at) / 1000;
    const d = (k: keyof Sample) => s1[k] - s0[k];
    const rounds = d("complete") + d("incomplete") + d("failed");
    const what = `${flows} UDP flows h1 -> h2 at sfreq 1 s (nhops 4, ntry 1), raw transport`;
    console.log(`\ntrace: ${what}, ${secs.toFixed(1)} s measured`);
    const due = `${(flows * secs).toFixed(0)} due (${(rounds / secs).toFixed(0)}/s)`;
    const outcomes = `complete ${d("complete")}, incomplete ${d("incomplete")}, failed ${d("failed")}`;
    console.log(`  rounds finished:        ${rounds} of ${due}; ${outcomes}`);
    const longest = `longest ${gaps.maxGapMs.toFixed(0)} ms`;
    console.log(
      `  gaps between rounds:    ${gaps.gaps} measured, ${longest}, ${gaps.late} over 1.5 s (a round missed)`,
    );
    const latency = `p99 ${gaps.latencyP99Ms.toFixed(2)} ms, max ${gaps.latencyMaxMs.toFixed(1)} ms`;
    console.log(`  hop latency:            ${latency} (kernel receive time - hand-over to the helper)`);
    const loop = `p99 ${gaps.loopP99Ms.toFixed(1)} ms, max ${gaps.loopMaxMs.toFixed(1)} ms`;
    console.log(`  agent event loop delay: ${loop}`);
    console.log(`  probes sent:            ${d("probes")} (${(d("probes") / secs).toFixed(0)}/s)`);
    console.log(`  probes unanswered:      ${d("timeouts")}`);
    console.log(`  ICMP answers at h1:     ${d("answers")} (kernel count, nftables input hook)`);
    console.log(
      `  ICMP socket drops:      ${d("socketDrops")} (answers the kernel dropped, helper's receive queue full)`,
    );
    console.log(`  packets unmatched:      ${d("unmatched")} (received by the transport, matching no probe in flight)`);
    const agentCores = d("agentCpu") / secs;
    const helperCores = d("helperCpu") / secs;
    const together = `together ${(agentCores + helperCores).toFixed(3)} (goal < 1)`;
    console.log(`  CPU agent / helper:     ${agentCores.toFixed(3)} / ${helperCores.toFixed(3)} cores, ${together}`);
    console.log(`  RSS agent / helper:     ${rssMiB(agentPid).toFixed(0)} MiB / ${rssMiB(helperPid).toFixed(1)} MiB`);
  } finally {
    keepAlive.destroy();
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
      }, 10_000);
      child.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
    });
  }
}

/** Options of {@link runTraceBench}. */
export interface TraceBenchOptions {
  /** Flows of part (b), default 1,000. */
  flows?: number;
  /** Run the agent child under `node --cpu-prof`. */
  profile?: boolean;
  /** Leave the kernel's global ICMP error budget at its default (to see what it costs). */
  keepIcmpLimit?: boolean;
}

/** Runs both parts on a fresh lab, or prints why it cannot. */
export async function runTraceBench(options: TraceBenchOptions = {}): Promise<void> {
  const why = skipReason();
  if (why !== null) {
    console.log(`\ntrace: skipped (${why})`);
    return;
  }
  const { labDown, labUp } = await import("../src/netlab/index.ts");
  const stateDir = mkdtempSync(join(tmpdir(), "flowlens-trace-bench-"));
  const previousStateDir = process.env.FLOWLENS_LAB_STATE_DIR;
  process.env.FLOWLENS_LAB_STATE_DIR = stateDir;
  const prefix = `bt${process.pid.toString(36)}`.slice(0, 12);
  try {
    labUp({ prefix });
    // The lab lifts the namespace-wide ICMP error budget (icmp_msgs_per_sec); --keep-icmp-limit puts back the
    // kernel's defaults (1000/s, burst 50) to show what they cost.
    for (const node of options.keepIcmpLimit === true ? ["h1", "h2", "leaf1", "leaf2", "spine1", "spine2"] : []) {
      sh(
        inNs(`${prefix}-${node}`, ["sysctl", "-q", "-w", "net.ipv4.icmp_msgs_per_sec=1000", "net.ipv4.icmp_msgs_burst=50"]),
      );
    }
    installCounters(`${prefix}-h1`);
    await roundBench(prefix);
    await sustainedBench(prefix, options.flows ?? DEFAULT_FLOWS, options.profile === true);
  } finally {
    try {
      labDown(prefix);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      if (previousStateDir === undefined) delete process.env.FLOWLENS_LAB_STATE_DIR;
      else process.env.FLOWLENS_LAB_STATE_DIR = previousStateDir;
    }
  }
}

/** The agent child of part (b): the raw agent with its helper in h1, limits raised for 1,000 flows. */
async function serveRaw(prefix: string): Promise<void> {
  const { agentConfigSchema } = await import("../src/agent/config.ts");
  const { startRawAgent } = await import("../src/cli/daemon/raw-agent.ts");
  const { createLogger } = await import("../src/runtime/logger.ts");
  const config = agentConfigSchema.parse({
    "log-level": "warn",
    network: "raw",
    raw: { "helper-path": HELPER },
    http: { host: "127.0.0.1", port: 0 },
    limits: { "max-active-flows": 5000, "probes-per-second": 100_000 },
  });
  const agent = await startRawAgent(config, {
    logger: createLogger({ level: "warn" }),
    helperWrapper: ["ip", "netns", "exec", `${prefix}-h1`],
  });
  // Round starts of each flow (the Path's `Time`), to find gaps longer than sfreq: a round that was missed.
  const lastStart = new Map<string, number>();
  let stats = { gaps: 0, maxGapMs: 0, late: 0 };
  let latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  agent.feed.subscribe((round) => {
    for (const hop of round.path.Path) if ("Latency" in hop) latencies.push(hop.Latency * 1000);
    const startMs = round.path.Time * 1000;
    const previous = lastStart.get(round.key);
    lastStart.set(round.key, startMs);
    if (previous === undefined) return;
    const gap = startMs - previous;
    stats.gaps++;
    stats.maxGapMs = Math.max(stats.maxGapMs, gap);
    if (gap > 1500) stats.late++;
  });
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    for (const command of chunk.split("\n").filter(Boolean)) {
      if (command === "reset") {
        stats = { gaps: 0, maxGapMs: 0, late: 0 };
        latencies = [];
        loop.reset();
      }
      const latency = {
        latencyP99Ms: latencies.length > 0 ? quantile(latencies, 0.99) : 0,
        latencyMaxMs: latencies.reduce((a, b) => Math.max(a, b), 0),
        loopP99Ms: loop.percentile(99) / 1e6,
        loopMaxMs: loop.max / 1e6,
      };
      const out = { unmatched: agent.transport.unmatched, ...stats, ...latency };
      process.stdout.write(`STATS ${JSON.stringify(out)}\n`);
    }
  });
  process.stdout.write(`READY ${agent.url}\n`);
  process.on("SIGTERM", () => {
    void agent.stop().then(() => process.exit(0));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf("--serve-raw");
  if (at >= 0) await serveRaw(process.argv[at + 1] ?? "");
  else {
    const flows = process.argv.indexOf("--flows");
    const options = {
      profile: process.argv.includes("--profile"),
      keepIcmpLimit: process.argv.includes("--keep-icmp-limit"),
    };
    await runTraceBench(flows < 0 ? options : { ...options, flows: Number(process.argv[flows + 1]) });
  }
}
