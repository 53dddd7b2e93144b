/**
 * `npm run bench`: runs every micro-benchmark module under bench/ with mitata's `measure` and prints throughput
 * (records/s or MB/s). `npm run bench -- FILTER` runs only benchmarks whose "group / name" contains FILTER.
 * Figures are recorded by hand in docs/benchmarks.md; tests never assert on them.
 */
import { cpus } from "node:os";
import { do_not_optimize, measure } from "mitata";
import { runAgentBench } from "./agent.ts";
import { runCollectorBench } from "./collector.ts";
import { runDecodePeers } from "./decode-peers.ts";
import { runExporterBench } from "./exporter.ts";
import { runScaleBench } from "./scale.ts";
import { runTraceBench } from "./trace.ts";
import type { Benchmark } from "./types.ts";

const MODULES = ["./netflow.ts", "./sequence-tracker.ts", "./capture.ts"];

async function loadBenchmarks(): Promise<Benchmark[]> {
  const all: Benchmark[] = [];
  for (const m of MODULES) {
    const mod = (await import(m)) as { benchmarks: Benchmark[] };
    all.push(...mod.benchmarks);
  }
  return all;
}

function formatRate(unitsPerSecond: number, unit: Benchmark["unit"]): string {
  if (unit === "bytes") return `${(unitsPerSecond / 1e6).toFixed(1)} MB/s`;
  return `${(unitsPerSecond / 1e6).toFixed(2)} M records/s`;
}

async function main(): Promise<void> {
  const filter = process.argv[2] ?? "";
  const benchmarks = (await loadBenchmarks()).filter((b) => `${b.group} / ${b.name}`.includes(filter));
  console.log(`flowlens benchmarks: node ${process.version}, ${cpus()[0]?.model ?? "unknown cpu"}, 1 thread`);
  let group = "";
  for (const b of benchmarks) {
    if (b.group !== group) {
      group = b.group;
      console.log(`\n${group}`);
    }
    const stats = await measure(() => do_not_optimize(b.fn()), { min_cpu_time: 500e6 });
    const perSecond = (b.unitsPerIteration * 1e9) / stats.avg;
    console.log(
      `  ${b.name.padEnd(44)} ${formatRate(perSecond, b.unit).padStart(18)}   (${(stats.avg / 1e3).toFixed(1)} us/iter)`,
    );
  }
  if (filter === "" || "peers".includes(filter)) runDecodePeers();
  if (filter === "" || "collector".includes(filter)) await runCollectorBench();
  if (filter === "" || "exporter".includes(filter)) await runExporterBench();
  if (filter === "" || "agent".includes(filter)) await runAgentBench();
  if (filter === "" || "trace".includes(filter)) await runTraceBench();
  if (filter === "" || "scale".includes(filter)) await runScaleBench();
}

await main();
