/**
 * Builds the exporter's stages from a validated {@link ExporterConfig}: the sampler (`input`), the flow cache
 * (`flow-cache`), one packet parser per capture source (its interface → SNMP ifIndex mapping), the route record, and
 * one {@link HostExport} per `output.cflowd` host. Shared by the daemon and the one-shot `flowlens export`.
 */
import { isAbsolute, join } from "node:path";
import type {
  CflowdHostConfig,
  ExporterConfig,
  ExporterInputConfig,
  LiveInterfaceConfig,
  PcapSourceConfig,
} from "./config.ts";
import { cflowdHostName } from "./config.ts";
import { FlowCache } from "./flow-cache.ts";
import { HostExport } from "./host-export.ts";
import { PacketParser } from "./packet-parser.ts";
import type { RouteTable } from "./route-table.ts";
import { loadRouteTableFile } from "./route-table-loader.ts";
import { Sampler, seededRandom } from "./sampler.ts";
import type { ExportClock } from "./v5-batcher.ts";
import { JUNOS_AGGREGATION_SCHEMES, type V8AggregationScheme } from "./v8-aggregator.ts";

/** The sampler of `input` (`max-packets-per-second: unlimited` lifts the cap; `seed` makes the draws reproducible). */
export function samplerOf(input: ExporterInputConfig): Sampler {
  const max = input["max-packets-per-second"];
  return new Sampler({
    rate: input.rate,
    runLength: input["run-length"],
    maxPacketsPerSecond: max === "unlimited" ? Number.POSITIVE_INFINITY : max,
    mode: input.mode,
    random: seededRandom(input.seed ?? Math.floor(Math.random() * 0xffffffff)),
  });
}

/** The flow cache of `flow-cache`. */
export function flowCacheOf(config: ExporterConfig): FlowCache {
  const c = config["flow-cache"];
  return new FlowCache({
    maxFlows: c["max-flows"],
    activeTimeoutMs: c["flow-active-timeout"],
    inactiveTimeoutMs: c["flow-inactive-timeout"],
    tcpCloseTimeoutMs: c["tcp-close-timeout"],
  });
}

function ifIndexOf(input: ExporterInputConfig, ref: string | number | undefined): number {
  if (ref === undefined) return 0;
  return typeof ref === "number" ? ref : (input["snmp-ifindex"][ref] ?? 0);
}

/** The packet parser of one capture source: input ifIndex per pcapng interface id, a fixed output ifIndex. */
export function parserOf(input: ExporterInputConfig, source: PcapSourceConfig): PacketParser {
  const inRef = source["input-interface"];
  const list = Array.isArray(inRef) ? inRef : [];
  return new PacketParser({
    inputIfIndex: list.map((r) => ifIndexOf(input, r)),
    defaultInput: Array.isArray(inRef) ? 0 : ifIndexOf(input, inRef),
    output: ifIndexOf(input, source["output-interface"]),
  });
}

/** The packet parser of one live interface: input ifIndex from its `input-interface` or `snmp-ifindex[name]` (else 0). */
export function liveParserOf(input: ExporterInputConfig, source: LiveInterfaceConfig): PacketParser {
  const s = typeof source === "string" ? { name: source } : source;
  return new PacketParser({
    inputIfIndex: [],
    defaultInput: ifIndexOf(input, "input-interface" in s ? (s["input-interface"] ?? s.name) : s.name),
    output: ifIndexOf(input, "output-interface" in s ? s["output-interface"] : undefined),
  });
}

/** Loads `route-record`, if configured. @throws the loader's RouteTableLoadError or file errors. */
export async function routeRecordOf(config: ExporterConfig): Promise<RouteTable | undefined> {
  const r = config["route-record"];
  if (r === undefined) return undefined;
  return (await loadRouteTableFile(r.file, { format: r.format })).table;
}

/** Path of the local-dump file: `traceoptions.file` under `traceoptions.directory` (an absolute file stands alone). */
export function localDumpPathOf(config: ExporterConfig): string {
  const t = config.traceoptions;
  return isAbsolute(t.file) ? t.file : join(t.directory, t.file);
}

/** The v8 scheme numbers and the caida-compliant flag of a host's `aggregation`, in scheme order. */
export function schemesOf(host: CflowdHostConfig): { schemes: V8AggregationScheme[]; caidaCompliant: boolean } {
  const a = host.aggregation ?? {};
  const schemes = Object.entries(JUNOS_AGGREGATION_SCHEMES)
    .filter(([name]) => {
      const v = a[name as keyof typeof a];
      return v !== undefined && v !== false;
    })
    .map(([, n]) => n as V8AggregationScheme)
    .sort((x, y) => x - y);
  const sd = a["source-destination-prefix"];
  return { schemes, caidaCompliant: typeof sd === "object" && sd["caida-compliant"] };
}

/** What every host shares. */
export interface HostContext {
  clock: ExportClock;
  now: () => number;
  sampler: Sampler;
  routes: RouteTable | undefined;
  startMs: number;
}

/** One {@link HostExport} per `output.cflowd` host. */
export function hostsOf(config: ExporterConfig, ctx: HostContext): HostExport[] {
  const sampling = ctx.sampler.headerSampling();
  return config.output.cflowd.map((h) => {
    const { schemes, caidaCompliant } = schemesOf(h);
    return new HostExport({
      name: cflowdHostName(h),
      version: h.version,
      schemes,
      caidaCompliant,
      clock: ctx.clock,
      now: ctx.now,
      engineType: h["engine-type"],
      engineId: h["engine-id"],
      sampling,
      routes: ctx.routes,
      asType: h["autonomous-system-type"],
      periodMs: config.output.period,
      startMs: ctx.startMs,
      localDump: h["local-dump"],
    });
  });
}
