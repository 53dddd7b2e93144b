/**
 * A snapshot of the exporter's counters: what `/metrics` shows (exporter-metrics.ts), what SIGUSR1 logs and what the
 * one-shot `flowlens export` prints as its summary. Plain data, JSON-serialisable.
 */
import type { UdpTarget } from "./datagram-sender.ts";
import type { FlowCache } from "./flow-cache.ts";
import type { HostExport, StreamCounters } from "./host-export.ts";
import type { PacketParser } from "./packet-parser.ts";
import type { Sampler } from "./sampler.ts";

/** One capture source's progress. */
export interface SourceStatus {
  /** The capture file; for a live source (`pace: "live"`) the interface; `simulated fabric` for the simulation. */
  file: string;
  pace: "as-fast-as-possible" | "recorded" | "live" | "simulated";
  /** A live source is `reading` once tcpdump listens, and `done` when the exporter stopped it. */
  state: "waiting" | "reading" | "done" | "failed";
  /** Packets read from it. */
  packets: number;
  /** One-line error of a failed source. */
  error?: string;
}

/** One cflowd host's export figures. */
export interface HostStatus {
  /** `host:port`. */
  name: string;
  version: 5 | 8;
  /** Records and datagrams exported per stream. */
  streams: StreamCounters[];
  /** Datagrams the socket failed to send. */
  sendErrors: number;
  /** Datagrams queued by the pacer, not yet due. */
  pending: number;
}

/** Every counter of a running (or finished) exporter. */
export interface ExporterStatus {
  /** Packets read, by what the parser made of them (`seen` = ipv4 + ipv6 + nonIp + malformed). */
  packets: { seen: number; ipv4: number; ipv6: number; nonIp: number; malformed: number; fragments: number };
  /** Sampling: IPv4 packets offered, sampled, dropped by `max-packets-per-second`; the configured rate. */
  sampling: { offered: number; sampled: number; capped: number; rate: number };
  /** Flow cache: flows held now, created, ended (handed to the hosts) and ended by reason. */
  flows: {
    inCache: number;
    created: number;
    ended: number;
    inactive: number;
    active: number;
    tcpClose: number;
    evicted: number;
    counterLimit: number;
    flushed: number;
  };
  hosts: HostStatus[];
  sources: SourceStatus[];
  /** Local-dump file and datagrams written to it, when a host dumps. */
  localDump?: { path: string; written: number };
  /** The timeline's present, epoch ms. */
  timeMs: number;
}

/** What {@link statusOf} reads. */
export interface StatusParts {
  parsers: readonly PacketParser[];
  sampler: Sampler;
  cache: FlowCache;
  flowsEnded: number;
  hosts: readonly HostExport[];
  targets: readonly UdpTarget[];
  sources: readonly SourceStatus[];
  nowMs: number;
  localDump?: { path: string; written: number };
}

/** Builds the snapshot (copies: later counting does not change it). */
export function statusOf(p: StatusParts): ExporterStatus {
  const packets = { seen: 0, ipv4: 0, ipv6: 0, nonIp: 0, malformed: 0, fragments: 0 };
  for (const parser of p.parsers) {
    const c = parser.counters;
    packets.seen += c.packets;
    packets.ipv4 += c.ipv4;
    packets.ipv6 += c.ipv6;
    packets.nonIp += c.nonIp;
    packets.malformed += c.malformed;
    packets.fragments += c.fragments;
  }
  const s = p.sampler.counters;
  const c = p.cache.counters;
  const status: ExporterStatus = {
    packets,
    sampling: { offered: s.seen, sampled: s.sampled, capped: s.capped, rate: p.sampler.rate },
    flows: {
      inCache: p.cache.size,
      created: c.created,
      ended: p.flowsEnded,
      inactive: c.inactive,
      active: c.active,
      tcpClose: c.tcpClose,
      evicted: c.evicted,
      counterLimit: c.counterLimit,
      flushed: c.flushed,
    },
    hosts: p.hosts.map((h, i) => ({
      name: h.name,
      version: h.version,
      streams: h.streams.map((x) => ({ ...x })),
      sendErrors: p.targets[i]?.errors ?? 0,
      pending: h.pending,
    })),
    sources: p.sources.map((x) => ({ ...x })),
    timeMs: p.nowMs,
  };
  if (p.localDump !== undefined) status.localDump = { ...p.localDump };
  return status;
}
