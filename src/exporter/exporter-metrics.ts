/**
 * The exporter's figures on `/metrics`: prom-client collectors whose `collect` callbacks read one
 * {@link ExporterStatus} snapshot per scrape, so the pipeline keeps counting with plain additions. Names start with
 * `flowlens_exporter_`, base units, `_total` counters; labels are bounded (`verdict`, `reason`, `host` = a configured
 * `host:port`, `stream` = `v5` or `v8-<scheme>`), never per flow. docs/exporter.md, "Metrics", lists them.
 */
import { Counter, type Gauge } from "prom-client";
import type { Metrics } from "../runtime/metrics.ts";
import type { ExporterStatus } from "./exporter-status.ts";

type SetValue<L extends string> = (labels: Record<L, string>, value: number) => void;
type Fill<L extends string> = (set: SetValue<L>, s: ExporterStatus) => void;

/** Reads the status once per scrape (every collect callback of one scrape runs in the same turn). */
function snapshotReader(read: () => ExporterStatus): () => ExporterStatus {
  let cached: ExporterStatus | undefined;
  return () => {
    if (cached !== undefined) return cached;
    cached = read();
    queueMicrotask(() => {
      cached = undefined;
    });
    return cached;
  };
}

function counter<L extends string>(
  m: Metrics,
  read: () => ExporterStatus,
  name: string,
  help: string,
  labels: L[],
  fill: Fill<L>,
) {
  new Counter<L>({
    name: m.prefix + name,
    help,
    labelNames: labels,
    registers: [m.registry],
    collect(this: Counter<L>) {
      this.reset();
      fill((l, v) => this.inc(l, v), read());
    },
  });
}

function gauge<L extends string>(
  m: Metrics,
  read: () => ExporterStatus,
  name: string,
  help: string,
  labels: L[],
  fill: Fill<L>,
) {
  m.gauge<L>(name, help, {
    labelNames: labels,
    collect(this: Gauge<L>) {
      this.reset();
      fill((l, v) => this.set(l, v), read());
    },
  });
}

const VERDICTS = { ipv4: "ipv4", ipv6: "ipv6", nonIp: "non_ip", malformed: "malformed" } as const;
const REASONS = {
  inactive: "inactive",
  active: "active",
  tcpClose: "tcp_close",
  evicted: "evicted",
  counterLimit: "counter_limit",
  flushed: "flushed",
} as const;

/** Registers the exporter's metrics on `metrics`, reading `status` at each scrape. */
export function registerExporterMetrics(metrics: Metrics, status: () => ExporterStatus): void {
  const read = snapshotReader(status);
  counter(metrics, read, "exporter_packets_total", "Packets seen, by what they were", ["verdict"], (set, s) => {
    for (const [k, v] of Object.entries(VERDICTS)) set({ verdict: v }, s.packets[k as keyof typeof VERDICTS]);
  });
  counter(metrics, read, "exporter_packets_sampled_total", "IPv4 packets sampled into the flow cache", [], (set, s) =>
    set({}, s.sampling.sampled),
  );
  counter(
    metrics,
    read,
    "exporter_packets_capped_total",
    "Packets selected for sampling but over max-packets-per-second",
    [],
    (set, s) => set({}, s.sampling.capped),
  );
  gauge(metrics, read, "exporter_flows_in_cache", "Flows held in the flow cache", [], (set, s) =>
    set({}, s.flows.inCache),
  );
  counter(metrics, read, "exporter_flows_ended_total", "Flows ended, by reason", ["reason"], (set, s) => {
    for (const [k, v] of Object.entries(REASONS)) set({ reason: v }, s.flows[k as keyof typeof REASONS]);
  });
  counter(metrics, read, "exporter_flow_evictions_total", "Flows evicted because the cache was full", [], (set, s) =>
    set({}, s.flows.evicted),
  );
  const perStream = (pick: "records" | "datagrams"): Fill<"host" | "stream"> => {
    return (set, s) => {
      for (const h of s.hosts) for (const x of h.streams) set({ host: h.name, stream: x.stream }, x[pick]);
    };
  };
  const hostStream = ["host", "stream"] as ("host" | "stream")[];
  counter(metrics, read, "exporter_records_exported_total", "Records exported", hostStream, perStream("records"));
  counter(metrics, read, "exporter_datagrams_exported_total", "Datagrams exported", hostStream, perStream("datagrams"));
  counter(metrics, read, "exporter_send_errors_total", "Datagrams the socket failed to send", ["host"], (set, s) => {
    for (const h of s.hosts) set({ host: h.name }, h.sendErrors);
  });
  gauge(
    metrics,
    read,
    "exporter_datagrams_pending",
    "Datagrams paced over the period, not yet due",
    ["host"],
    (set, s) => {
      for (const h of s.hosts) set({ host: h.name }, h.pending);
    },
  );
}
