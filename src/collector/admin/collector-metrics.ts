/**
 * The figures of `show services flow-collector ... extensive` (flow-collector.txt, "Verifying Your Work") on `/metrics`:
 * prom-client collectors whose `collect` callbacks read a {@link CollectorControl} at scrape time, so the collector
 * keeps counting with plain additions and nothing is copied between scrapes.
 *
 * Every per-second figure of the spec is three series: `<figure>_total` (counter), `<figure>_per_second` and
 * `<figure>_peak_per_second` (gauges), labelled `interface`. Drops are one counter labelled `reason`; export channels
 * are labelled `channel` and `server`; inputs `input`. Names start with `flowlens_collector_`, in base units; no
 * per-flow labels. `clear services flow-collector statistics` zeroes the counters (Prometheus sees a counter reset).
 * The full list is in docs/collector.md, "Operational commands".
 */
import { Counter, type Gauge } from "prom-client";
import type { Metrics } from "../../runtime/metrics.ts";
import type { CollectorControl } from "../contracts.ts";
import type { RateValue } from "../rate-counter.ts";
import type { FileState, InterfaceState, InterfaceStatus, PacketDrops } from "../status.ts";

/** One interface's status with its files, read once per scrape. */
interface Snapshot {
  status: InterfaceStatus;
  fileStates: Map<FileState, number>;
}

/** A rate figure of the spec: metric stem, help text, where the figure is in {@link InterfaceStatus}. */
interface RateFigure {
  stem: string;
  help: string;
  pick: (s: InterfaceStatus) => RateValue;
}

const RATE_FIGURES: readonly RateFigure[] = [
  { stem: "collector_input_packets", help: "Input packets (datagrams)", pick: (s) => s.input.packets },
  { stem: "collector_input_bytes", help: "Input bytes (UDP payload)", pick: (s) => s.input.bytes },
  { stem: "collector_flow_records_processed", help: "Flow records processed", pick: (s) => s.input.flowRecords },
  { stem: "collector_blocks_allocated", help: "Blocks allocated", pick: (s) => s.allocation.blocksAllocated },
  { stem: "collector_blocks_freed", help: "Blocks freed", pick: (s) => s.allocation.blocksFreed },
  { stem: "collector_blocks_unavailable", help: "Blocks unavailable", pick: (s) => s.allocation.blocksUnavailable },
  { stem: "collector_files_created", help: "Record files created", pick: (s) => s.files.created },
  { stem: "collector_files_exported", help: "Record files exported", pick: (s) => s.files.exported },
  { stem: "collector_files_destroyed", help: "Record files destroyed", pick: (s) => s.files.destroyed },
  { stem: "collector_uncompressed_bytes", help: "Uncompressed bytes", pick: (s) => s.throughput.uncompressedBytes },
  { stem: "collector_compressed_bytes", help: "Compressed bytes", pick: (s) => s.throughput.compressedBytes },
  { stem: "collector_transfer_bytes", help: "Bytes transferred (FTP bytes)", pick: (s) => s.fileTransfer.ftpBytes },
  { stem: "collector_transfer_files", help: "Files transferred (FTP files)", pick: (s) => s.fileTransfer.ftpFiles },
];

/** `reason` label values of `flowlens_collector_packet_drops_total`, from the spec's "Packet drops" names. */
export const DROP_REASONS: Readonly<Record<keyof PacketDrops, string>> = {
  noMemory: "no_memory",
  notIp: "not_ip",
  notIpv4: "not_ipv4",
  tooSmall: "too_small",
  fragments: "fragments",
  icmp: "icmp",
  tcp: "tcp",
  unknown: "unknown",
  notJunosFlow: "not_junos_flow",
};

const INTERFACE_STATES: readonly InterfaceState[] = ["Collecting flows", "Starting", "Stopping", "Not collecting"];
const FILE_STATES: readonly FileState[] = ["Active", "Queued", "Transferring", "Exported", "Failed"];

/** Reads the control once per scrape: every collect callback of one scrape runs in the same turn of the event loop. */
function snapshotReader(control: CollectorControl): () => Snapshot[] {
  let cached: Snapshot[] | undefined;
  return () => {
    if (cached !== undefined) return cached;
    try {
      cached = control.interfaces().map((status) => {
        const fileStates = new Map<FileState, number>();
        for (const f of control.files(status.name)) fileStates.set(f.state, (fileStates.get(f.state) ?? 0) + 1);
        return { status, fileStates };
      });
    } catch {
      cached = []; // a collector shutting down: an empty scrape rather than a failed one
    }
    queueMicrotask(() => {
      cached = undefined;
    });
    return cached;
  };
}

type Fill<L extends string> = (set: (labels: Record<L, string>, value: number) => void, s: Snapshot) => void;

/** Registers a counter whose values are set from each snapshot at scrape time. */
function counterFrom<L extends string>(
  metrics: Metrics,
  read: () => Snapshot[],
  name: string,
  help: string,
  labelNames: readonly L[],
  fill: Fill<L>,
): void {
  new Counter<L>({
    name: metrics.prefix + name,
    help,
    labelNames,
    registers: [metrics.registry],
    collect(this: Counter<L>) {
      this.reset();
      for (const s of read()) fill((labels, value) => this.inc(labels, value), s);
    },
  });
}

/** Registers a gauge whose values are set from each snapshot at scrape time. */
function gaugeFrom<L extends string>(
  metrics: Metrics,
  read: () => Snapshot[],
  name: string,
  help: string,
  labelNames: readonly L[],
  fill: Fill<L>,
): void {
  metrics.gauge<L>(name, help, {
    labelNames,
    collect(this: Gauge<L>) {
      this.reset();
      for (const s of read()) fill((labels, value) => this.set(labels, value), s);
    },
  });
}

function registerRateFigures(metrics: Metrics, read: () => Snapshot[]): void {
  const iface = ["interface"] as const;
  for (const f of RATE_FIGURES) {
    const fill =
      (key: keyof RateValue): Fill<"interface"> =>
      (set, s) =>
        set({ interface: s.status.name }, f.pick(s.status)[key]);
    counterFrom(metrics, read, `${f.stem}_total`, `${f.help}, since start or the last clear`, iface, fill("total"));
    gaugeFrom(metrics, read, `${f.stem}_per_second`, `${f.help} per second, last second`, iface, fill("perSecond"));
    gaugeFrom(
      metrics,
      read,
      `${f.stem}_peak_per_second`,
      `${f.help}: highest per-second figure since start or the last clear`,
      iface,
      fill("peakPerSecond"),
    );
  }
}

function registerInterfaceFigures(metrics: Metrics, read: () => Snapshot[]): void {
  const iface = ["interface"] as const;
  const one = (pick: (s: InterfaceStatus) => number): Fill<"interface"> => {
    return (set, s) => set({ interface: s.status.name }, pick(s.status));
  };
  gaugeFrom(
    metrics,
    read,
    "collector_memory_used_bytes",
    "Memory used by blocks",
    iface,
    one((s) => s.memory.used),
  );
  gaugeFrom(
    metrics,
    read,
    "collector_memory_free_bytes",
    "Memory free under the limit",
    iface,
    one((s) => s.memory.free),
  );
  gaugeFrom(
    metrics,
    read,
    "collector_interface_state",
    "1 for the interface's state",
    ["interface", "state"],
    (set, s) => {
      for (const state of INTERFACE_STATES) set({ interface: s.status.name, state }, s.status.state === state ? 1 : 0);
    },
  );
  counterFrom(
    metrics,
    read,
    "collector_packet_drops_total",
    "Packets dropped, by reason",
    ["interface", "reason"],
    (set, s) => {
      for (const [key, reason] of Object.entries(DROP_REASONS)) {
        set({ interface: s.status.name, reason }, s.status.drops[key as keyof PacketDrops]);
      }
    },
  );
  const failures = one((s) => s.fileTransfer.ftpFailure);
  counterFrom(
    metrics,
    read,
    "collector_transfer_failures_total",
    "Failed transfer attempts (FTP failure)",
    iface,
    failures,
  );
  counterFrom(
    metrics,
    read,
    "collector_disk_errors_total",
    "Errors writing record files",
    iface,
    one((s) => s.diskErrors),
  );
  gaugeFrom(metrics, read, "collector_record_files", "Record files, by state", ["interface", "state"], (set, s) => {
    for (const state of FILE_STATES) set({ interface: s.status.name, state }, s.fileStates.get(state) ?? 0);
  });
  const buffers = "Socket receive buffer granted by the kernel";
  gaugeFrom(metrics, read, "collector_receive_buffer_bytes", buffers, ["interface", "address"], (set, s) => {
    for (const l of s.status.listeners) set({ interface: s.status.name, address: l.address }, l.receiveBuffer);
  });
}

function registerChannelFigures(metrics: Metrics, read: () => Snapshot[]): void {
  const labels = ["interface", "channel", "server"] as const;
  gaugeFrom(metrics, read, "collector_export_channel_current_server", "1 for the server in use", labels, (set, s) => {
    for (const c of s.status.exportChannels) {
      for (const server of ["primary", "secondary"] as const) {
        set({ interface: s.status.name, channel: String(c.channel), server }, c.currentServer === server ? 1 : 0);
      }
    }
  });
  const upHelp = "1 when the server's state is OK, 0 when Failed; absent when not configured";
  gaugeFrom(metrics, read, "collector_export_server_up", upHelp, labels, (set, s) => {
    for (const c of s.status.exportChannels) {
      const states = { primary: c.primaryState, secondary: c.secondaryState };
      for (const [server, state] of Object.entries(states)) {
        if (state === "Not configured") continue;
        set({ interface: s.status.name, channel: String(c.channel), server }, state === "OK" ? 1 : 0);
      }
    }
  });
  const queued = "Files waiting for transfer";
  gaugeFrom(metrics, read, "collector_export_channel_queued_files", queued, ["interface", "channel"], (set, s) => {
    for (const c of s.status.exportChannels)
      set({ interface: s.status.name, channel: String(c.channel) }, c.queuedFiles);
  });
}

function registerInputFigures(metrics: Metrics, read: () => Snapshot[]): void {
  const labels = ["interface", "input"] as const;
  const figures: [string, string, (i: InterfaceStatus["inputs"][number]) => number][] = [
    ["collector_input_interface_packets_total", "Packets from the input", (i) => i.packets],
    ["collector_input_interface_bytes_total", "Bytes from the input", (i) => i.bytes],
    ["collector_input_interface_flows_total", "Flow records from the input", (i) => i.flows],
    [
      "collector_input_sequence_lost_flows_total",
      "Flows missing by the export sequence numbers",
      (i) => i.sequence.lost,
    ],
    ["collector_input_sequence_out_of_order_total", "Datagrams out of sequence", (i) => i.sequence.outOfOrder],
    ["collector_input_sequence_resets_total", "Exporter sequence restarts", (i) => i.sequence.resets],
  ];
  for (const [name, help, pick] of figures) {
    counterFrom(metrics, read, name, help, labels, (set, s) => {
      for (const input of s.status.inputs) set({ interface: s.status.name, input: input.name }, pick(input));
    });
  }
}

/**
 * Registers the collector's metrics on `metrics` (once per process), reading `control` at each scrape.
 * @throws TypeError or Error when a name is already registered.
 */
export function registerCollectorMetrics(metrics: Metrics, control: CollectorControl): void {
  const read = snapshotReader(control);
  registerRateFigures(metrics, read);
  registerInterfaceFigures(metrics, read);
  registerChannelFigures(metrics, read);
  registerInputFigures(metrics, read);
}
