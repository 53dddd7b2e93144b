/**
 * Collector throughput against nfcapd (`npm run bench -- collector`, or `node --import tsx bench/collector.ts`): NetFlow
 * v5 datagrams of 30 records are sent over loopback at increasing rates for a few seconds each, to a fresh flowlens
 * collector (gzip record files) and to a fresh `nfcapd -B 4194304` (the same 4 MiB receive buffer); the highest rate at
 * which every record arrived is each one's loss-free rate. Also CPU seconds per million records (all threads of the
 * receiving process, from the start of the step's sending until its last record was counted: start-up excluded; for
 * flowlens also its main thread's alone) and peak memory (VmHWM) at its highest loss-free step. The sender is a separate process (bench/udp-blaster.ts).
 *
 * Environment: `FLOWLENS_BENCH_GZIP_LEVEL` (default 6) and `FLOWLENS_BENCH_WORKERS` (the interface's `workers`, render
 * worker threads; default the collector's own default) configure flowlens; `FLOWLENS_BENCH_ONLY=flowlens|nfcapd` runs
 * one ladder.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startChild, waitFor } from "../test/helpers/processes.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RATES = [10_000, 20_000, 33_334, 41_667, 50_000, 66_667, 100_000]; // datagrams/s (x30 records)
const SECONDS = 3;
const CLK_TCK = 100;
/** gzip level of the record files (`compression-level`); `FLOWLENS_BENCH_GZIP_LEVEL` overrides the default 6. */
const LEVEL = Number(process.env.FLOWLENS_BENCH_GZIP_LEVEL ?? 6);
/** `workers` of the interface (render worker threads), when `FLOWLENS_BENCH_WORKERS` is set. */
const WORKERS = process.env.FLOWLENS_BENCH_WORKERS;
const ONLY = process.env.FLOWLENS_BENCH_ONLY ?? "";

interface Step {
  rate: number;
  sent: number;
  received: number;
  cpuSeconds: number;
  /** Of those, the main thread's (flowlens: the thread that receives, checks, tracks and appends). */
  mainCpuSeconds?: number;
  peakRssBytes: number;
  /** Time from the sender's end until the last record was counted (flowlens), ms. */
  drainMs?: number;
  /** Datagrams the receiver never saw (dropped by the kernel), and those it dropped as "No memory" (flowlens). */
  unseen?: number;
  noMemory?: number;
}

/** utime + stime of a /proc stat file, seconds. */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function procStats(pid: number): { cpuSeconds: number; mainCpuSeconds: number; peakRssBytes: number } {
  const cpuSeconds = statCpuSeconds(`/proc/${pid}/stat`);
  const mainCpuSeconds = statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSeconds, mainCpuSeconds, peakRssBytes: Number(hwm?.[1] ?? 0) * 1024 };
}

function blast(port: number, rate: number): number {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench/udp-blaster.ts"), String(port), String(rate), String(SECONDS)],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  return Number(r.stdout.trim());
}

async function flowlensStep(dir: string, port: number, rate: number): Promise<Step> {
  rmSync(join(dir, "fl"), { recursive: true, force: true });
  const cfg = join(dir, "collector.yaml");
  writeFileSync(
    cfg,
    `log-level: warn
spool-directory: ${JSON.stringify(join(dir, "fl/spool"))}
admin: { host: 127.0.0.1, port: ${port + 1} }
interfaces:
  cp-0/0/0:
    listen: ["127.0.0.1:${port}"]
    receive-buffer: 4MiB
    analyzer-address: 127.0.0.1
    analyzer-id: bench
    inputs: { all: { exporter: any } }
    file-specification: { compression-level: ${LEVEL} }${WORKERS === undefined ? "" : `\n    workers: ${Number(WORKERS)}`}
    export-channels: { "0": { primary: { url: ${JSON.stringify(`${pathToFileURL(join(dir, "fl/out")).href}/`)} } } }
transfer-log-archive: { directory: ${JSON.stringify(join(dir, "fl/log"))} }
`,
  );
  const child = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "collector", "-c", cfg], { cwd: ROOT });
  const admin = `http://127.0.0.1:${port + 1}/api/v1/interfaces/all`;
  type Figures = {
    input: { packets: { total: number }; flowRecords: { total: number } };
    drops: { noMemory: number };
  };
  const figures = async () => ((await (await fetch(admin)).json()) as { interfaces: Figures[] }).interfaces[0];
  const records = async () => (await figures()).input.flowRecords.total;
  try {
    await waitFor(
      "flowlens collector",
      () =>
        records()
          .catch(() => false)
          .then((v) => v !== false),
      20_000,
      100,
    );
    const pid = child.process.pid ?? 0;
    const before = procStats(pid);
    const sent = blast(port, rate) * 30;
    const sentAt = Date.now();
    let received = await records();
    let last = received;
    let lastAt = Date.now();
    // Until everything arrived, or nothing more for half a second (at most 5 s): records may wait in the backlog.
    while (received < sent && Date.now() - lastAt < 500 && Date.now() - sentAt < 5000) {
      await new Promise((r) => setTimeout(r, 50));
      received = await records();
      if (received !== last) [last, lastAt] = [received, Date.now()];
    }
    const after = procStats(pid);
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    const mainCpuSeconds = after.mainCpuSeconds - before.mainCpuSeconds;
    const status = await figures();
    const unseen = sent / 30 - status.input.packets.total;
    const noMemory = status.drops.noMemory;
    return {
      rate,
      sent,
      received,
      cpuSeconds,
      mainCpuSeconds,
      peakRssBytes: after.peakRssBytes,
      drainMs: lastAt - sentAt,
      unseen,
      noMemory,
    };
  } finally {
    await child.stop("SIGTERM", 15_000);
  }
}

async function nfcapdStep(dir: string, port: number, rate: number): Promise<Step> {
  const out = join(dir, "nf");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const child = startChild("nfcapd", ["-w", out, "-p", String(port), "-b", "127.0.0.1", "-t", "3600", "-B", "4194304"]);
  await waitFor("nfcapd", () => /Startup/.test(child.stdout + child.stderr), 10_000);
  const before = procStats(child.process.pid ?? 0);
  const sent = blast(port, rate) * 30;
  await new Promise((r) => setTimeout(r, 500));
  const after = procStats(child.process.pid ?? 0);
  const stats = { cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssBytes: after.peakRssBytes };
  await child.stop("SIGTERM");
  const m = /Flows: (\d+)/.exec(child.stdout + child.stderr);
  return { rate, sent, received: Number(m?.[1] ?? 0), ...stats };
}

async function ladder(name: string, step: (rate: number) => Promise<Step>): Promise<Step | undefined> {
  let best: Step | undefined;
  for (const rate of RATES) {
    const s = await step(rate);
    const lossFree = s.received >= s.sent;
    console.log(
      `  ${name.padEnd(8)} ${String(rate * 30).padStart(9)} records/s offered: ${String(s.received).padStart(9)} of ${String(s.sent).padStart(9)} received${lossFree ? "" : `  (${(((s.sent - s.received) / s.sent) * 100).toFixed(2)}% lost)`}${s.drainMs === undefined ? "" : `; last record ${s.drainMs} ms after the sender's end`}${lossFree || s.unseen === undefined ? "" : `; ${s.unseen} datagrams unseen (kernel), ${s.noMemory} "No memory"`}`,
    );
    if (!lossFree) break;
    best = s;
  }
  return best;
}

/** Runs both ladders and prints the comparison. */
export async function runCollectorBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-bench-collector-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  try {
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    console.log(`\ncollector: v5 datagrams (30 records) over loopback for ${SECONDS} s per step, 4 MiB receive buffer`);
    console.log(`  gzip level ${LEVEL}, workers ${WORKERS ?? "default"}; load average before: ${load}`);
    const fl = ONLY === "nfcapd" ? undefined : await ladder("flowlens", (rate) => flowlensStep(dir, port, rate));
    const nf = ONLY === "flowlens" ? undefined : await ladder("nfcapd", (rate) => nfcapdStep(dir, port + 2, rate));
    const line = (name: string, s: Step | undefined) =>
      s === undefined
        ? `  ${name}: no loss-free step`
        : `  ${name.padEnd(8)} loss-free at ${(s.rate * 30).toLocaleString("en")} records/s; ${((s.cpuSeconds / s.received) * 1e6).toFixed(2)} CPU s per million records${s.mainCpuSeconds === undefined ? "" : ` (main thread ${((s.mainCpuSeconds / s.received) * 1e6).toFixed(2)})`}; peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(0)} MiB`;
    if (ONLY !== "nfcapd") console.log(line("flowlens", fl));
    if (ONLY !== "flowlens") console.log(line("nfcapd", nf));
    if (fl !== undefined && nf !== undefined)
      console.log(`  ratio flowlens/nfcapd loss-free rate: ${(fl.rate / nf.rate).toFixed(2)}`);
    console.log(`  load average after: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("collector.ts")) await runCollectorBench();
