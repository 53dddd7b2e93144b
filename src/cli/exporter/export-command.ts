/**
 * `flowlens export --pcap FILE --to HOST:PORT [--version 5|8] [--aggregation SCHEME] [--rate N] ...`: exports one
 * capture to one cflowd host and exits, printing a summary (packets read and sampled, flows, records and datagrams
 * per stream). The flags become an exporter configuration validated by the daemon's own schema, so the refusals are
 * the same (`--version 5 --aggregation ...`: "Aggregation is valid only if cflowd version 8 is specified"). Runs on
 * the capture's clock (src/exporter/one-shot-export.ts). Exit status: 0 done, 1 refused or failed (a source that
 * failed, a send error), 2 usage.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import YAML from "yaml";
import { exporterConfigSchema } from "../../exporter/config.ts";
import type { ExporterStatus } from "../../exporter/exporter-status.ts";
import { JUNOS_AGGREGATION_SCHEMES } from "../../exporter/v8-aggregator.ts";
import { loadConfig } from "../../runtime/config.ts";
import { ConfigError, errorSummary } from "../../runtime/errors.ts";

/** The flags as commander parses them. */
export interface ExportFlags {
  pcap: string[];
  to: string;
  version?: 5 | 8;
  aggregation: string[];
  caidaCompliant?: boolean;
  rate: number;
  runLength: number;
  maxPacketsPerSecond: number | "unlimited";
  seed: number;
  localDump?: string;
  routeRecord?: string;
  asType: "origin" | "peer";
  engineType: number;
  engineId: number;
  sourceAddress?: string;
  period: string;
  inactiveTimeout?: string;
  activeTimeout?: string;
  maxFlows?: number;
  sendRate: number;
  json?: boolean;
}

const intIn =
  (min: number, max: number) =>
  (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`expected ${min} to ${max}`);
    return n;
  };

function netflowVersion(text: string): 5 | 8 {
  if (text !== "5" && text !== "8") throw new InvalidArgumentError("expected 5 or 8");
  return Number(text) as 5 | 8;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function aggregationNames(value: string, previous: string[]): string[] {
  const names = value.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!(n in JUNOS_AGGREGATION_SCHEMES)) {
      throw new InvalidArgumentError(`expected ${Object.keys(JUNOS_AGGREGATION_SCHEMES).join(", ")}`);
    }
  }
  return [...previous, ...names];
}

/** Splits `HOST:PORT` (`[v6]:PORT`); the port is undefined when missing, for the schema to refuse. */
export function splitHostPort(text: string): { host: string; port: number | undefined } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (m === null) throw new InvalidArgumentError("expected HOST:PORT or [IPv6]:PORT");
  return { host: m[1], port: m[2] === undefined ? undefined : Number(m[2]) };
}

/** The exporter configuration document the flags stand for (validated by {@link exporterConfigSchema}). */
export function exportConfigDocument(f: ExportFlags): Record<string, unknown> {
  const { host, port } = splitHostPort(f.to);
  const version = f.version ?? (f.aggregation.length > 0 ? 8 : 5);
  const cflowd: Record<string, unknown> = {
    host,
    port,
    version,
    "local-dump": f.localDump !== undefined,
    "autonomous-system-type": f.asType,
    "engine-type": f.engineType,
    "engine-id": f.engineId,
  };
  if (f.sourceAddress !== undefined) cflowd["source-address"] = f.sourceAddress;
  if (f.aggregation.length > 0 || f.caidaCompliant) {
    const aggregation: Record<string, unknown> = {};
    for (const name of f.aggregation) aggregation[name] = true;
    if (f.caidaCompliant) aggregation["source-destination-prefix"] = { "caida-compliant": true };
    cflowd.aggregation = aggregation;
  }
  const cache: Record<string, unknown> = {};
  if (f.maxFlows !== undefined) cache["max-flows"] = f.maxFlows;
  if (f.activeTimeout !== undefined) cache["flow-active-timeout"] = f.activeTimeout;
  if (f.inactiveTimeout !== undefined) cache["flow-inactive-timeout"] = f.inactiveTimeout;
  const doc: Record<string, unknown> = {
    input: {
      rate: f.rate,
      "run-length": f.runLength,
      "max-packets-per-second": f.maxPacketsPerSecond,
      seed: f.seed,
      pcap: f.pcap.map((file) => ({ file, pace: "as-fast-as-possible" })),
    },
    output: { period: f.period, cflowd: [cflowd] },
    "flow-cache": cache,
  };
  if (f.routeRecord !== undefined) doc["route-record"] = { file: f.routeRecord };
  return doc;
}

/** The summary lines of a finished one-shot export. */
export function formatExportSummary(files: readonly string[], status: ExporterStatus): string[] {
  const p = status.packets;
  const lines = [
    `flowlens export: ${files.join(", ")} -> ${status.hosts.map((h) => `${h.name} (NetFlow v${h.version})`).join(", ")}`,
    `  packets read     ${p.seen} (IPv4 ${p.ipv4}, IPv6 ${p.ipv6}, not IP ${p.nonIp}, malformed ${p.malformed})`,
    `  packets sampled  ${status.sampling.sampled} of ${status.sampling.offered} IPv4 (1 in ${status.sampling.rate}, ${status.sampling.capped} over max-packets-per-second)`,
    `  flows            ${status.flows.ended} (${status.flows.evicted} evicted from a full cache)`,
  ];
  for (const h of status.hosts) {
    for (const s of h.streams) {
      lines.push(`  stream ${s.stream}: ${s.records} records in ${s.datagrams} datagrams to ${h.name}`);
    }
    if (h.sendErrors > 0) lines.push(`  send errors      ${h.sendErrors} to ${h.name}`);
  }
  if (status.localDump !== undefined) {
    lines.push(`  local dump       ${status.localDump.written} datagrams written to ${status.localDump.path}`);
  }
  return lines;
}

async function runExport(flags: ExportFlags): Promise<void> {
  let config: ReturnType<typeof loadConfig<typeof exporterConfigSchema>>;
  try {
    const text = YAML.stringify(exportConfigDocument(flags));
    config = loadConfig({ schema: exporterConfigSchema, text, file: "(command line)", env: {} });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`flowlens export: refused:\n${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  let status: ExporterStatus;
  try {
    const { runOneShotExport } = await import("../../exporter/one-shot-export.ts"); // loaded only when it runs
    status = await runOneShotExport(config, { sendRate: flags.sendRate, localDumpPath: flags.localDump });
  } catch (e) {
    const { code, message } = errorSummary(e);
    process.stderr.write(`flowlens export: ${message} (${code})\n`);
    process.exitCode = 1;
    return;
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(status)}\n`);
  else process.stdout.write(`${formatExportSummary(flags.pcap, status).join("\n")}\n`);
  const failed = status.sources.filter((s) => s.state === "failed");
  for (const s of failed) process.stderr.write(`flowlens export: ${s.file}: ${s.error}\n`);
  if (failed.length > 0 || status.hosts.some((h) => h.sendErrors > 0)) process.exitCode = 1;
}

/** Adds `export` (one-shot) to `program`. */
export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("export one capture as NetFlow v5/v8 to a cflowd host on the capture's clock, then exit")
    .requiredOption(
      "--pcap <file>",
      "capture to export (pcap or pcapng; repeat for several, read in order)",
      collect,
      [],
    )
    .requiredOption("--to <host:port>", "cflowd host (collector) to send to")
    .option("--version <n>", "NetFlow version, 5 or 8 (default 5; 8 with --aggregation)", netflowVersion)
    .option(
      "--aggregation <scheme>",
      `v8 aggregation, comma-separated or repeated: ${Object.keys(JUNOS_AGGREGATION_SCHEMES).join(", ")}`,
      aggregationNames,
      [],
    )
    .option("--caida-compliant", "source-destination-prefix masks as cflowd 2.1b1 (destination mask first)")
    .option("--rate <n>", "sample 1 packet in N", intIn(1, 65535), 1)
    .option("--run-length <n>", "packets sampled after each trigger", intIn(0, 20), 0)
    .option(
      "--max-packets-per-second <n>",
      "sampling cap per second of capture time, or unlimited",
      (v) => (v === "unlimited" ? v : intIn(0, 65535)(v)),
      "unlimited" as const,
    )
    .option(
      "--seed <n>",
      "seed of the random sampler (the same seed samples the same packets)",
      intIn(0, 0xffffffff),
      1,
    )
    .option("--local-dump <file>", "write every datagram sent to FILE in the local-dump format")
    .option("--route-record <file>", "routes for AS numbers and masks: text table or MRT RIB dump (maybe .gz)")
    .addOption(new Option("--as-type <type>", "autonomous-system-type").choices(["origin", "peer"]).default("origin"))
    .option("--engine-type <n>", "header engine type", intIn(0, 255), 0)
    .option("--engine-id <n>", "header engine id", intIn(0, 255), 0)
    .option("--source-address <ipv4>", "bind the export socket to this address")
    .option("--period <duration>", "collection period and export spread, on the capture's clock", "60s")
    .option("--inactive-timeout <duration>", "flow-inactive-timeout (default 60s)")
    .option("--active-timeout <duration>", "flow-active-timeout (default 30m)")
    .option("--max-flows <n>", "flow cache size", intIn(1, 2 ** 24))
    .option(
      "--send-rate <n>",
      "most datagrams sent per second of real time, 0 = no limit",
      intIn(0, 10_000_000),
      10_000,
    )
    .option("--json", "print the final counters as JSON instead of the summary")
    .action((flags: ExportFlags) => runExport(flags));
}
