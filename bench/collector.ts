/**
 * Collector throughput against nfcapd (`npm run bench -- collector`, or `node --import tsx bench/collector.ts`): NetFlow
 * v5 datagrams of 30 records are sent over loopback at increasing rates for a few seconds each, to a fresh flowlens
 * collector (gzip record files) and to a fresh `nfcapd -B 4194304` (the same 4 MiB receive buffer); the highest rate at
 * which every record arrived is each one's loss-free rate. Also CPU seconds per million records and peak memory (VmHWM)
 * of the receiving process at its highest loss-free step. The sender is a separate process (bench/udp-blaster.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startChild, waitFor } from "../test/helpers/processes.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RATES = [10_000, 20_000, 33_334, 50_000, 66_667, 100_000]; // datagrams/s (x30 records)
const SECONDS = 3;
const CLK_TCK = 100;
/** gzip level of the record files (`compression-level`); `FLOWLENS_BENCH_GZIP_LEVEL` overrides the default 6. */
const LEVEL = Number(process.env.FLOWLENS_BENCH_GZIP_LEVEL ?? 6);

interface Step {
  rate: number;
  sent: number;
  received: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

function procStats(pid: number): { cpuSeconds: number; peakRssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSeconds, peakRssBytes: Number(hwm?.[1] ?? 0) * 1024 };
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
    file-specification: { compression-level: ${LEVEL} }
    export-channels: { "0": { primary: { url: ${JSON.stringify(`${pathToFileURL(join(dir, "fl/out")).href}/`)} } } }
transfer-log-archive: { directory: ${JSON.stringify(join(dir, "fl/log"))} }
`,
  );
  const child = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "collector", "-c", cfg], { cwd: ROOT });
  const admin = `http://127.0.0.1:${port + 1}/api/v1/interfaces/all`;
  const records = async () => {
    const body = (await (await fetch(admin)).json()) as { interfaces: { input: { flowRecords: { total: number } } }[] };
    return body.interfaces[0].input.flowRecords.total;
  };
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
    const sent = blast(port, rate) * 30;
    let received = await records();
    for (let i = 0; i < 20 && received < sent; i++) {
      await new Promise((r) => setTimeout(r, 100));
      received = await records();
    }
    const stats = procStats(child.process.pid ?? 0);
    return { rate, sent, received, ...stats };
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
  const sent = blast(port, rate) * 30;
  await new Promise((r) => setTimeout(r, 500));
  const stats = procStats(child.process.pid ?? 0);
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
      `  ${name.padEnd(8)} ${String(rate * 30).padStart(9)} records/s offered: ${String(s.received).padStart(9)} of ${String(s.sent).padStart(9)} received${lossFree ? "" : `  (${(((s.sent - s.received) / s.sent) * 100).toFixed(2)}% lost)`}`,
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
    console.log(`\ncollector: v5 datagrams (30 records) over loopback for ${SECONDS} s per step, 4 MiB receive buffer`);
    const fl = await ladder("flowlens", (rate) => flowlensStep(dir, port, rate));
    const nf = await ladder("nfcapd", (rate) => nfcapdStep(dir, port + 2, rate));
    const line = (name: string, s: Step | undefined) =>
      s === undefined
        ? `  ${name}: no loss-free step`
        : `  ${name.padEnd(8)} loss-free at ${(s.rate * 30).toLocaleString("en")} records/s; ${((s.cpuSeconds / s.received) * 1e6).toFixed(2)} CPU s per million records; peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(0)} MiB`;
    console.log(line("flowlens", fl));
    console.log(line("nfcapd", nf));
    if (fl !== undefined && nf !== undefined)
      console.log(`  ratio flowlens/nfcapd loss-free rate: ${(fl.rate / nf.rate).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("collector.ts")) await runCollectorBench();
