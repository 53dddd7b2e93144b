/**
 * The application flows of the simulated fabric: the configured ones (what `list/flow` shows: flows between hosts and
 * VXLAN overlay flows between VTEPs, each active between a start and an optional end) and traced ones, tuples the agent
 * probes that are no configured flow. A traced tuple is taken to be an application flow that starts when it is first
 * probed, at a rate derived from its hash (docs/sim.md); traced flows carry traffic but are not listed, and at most
 * `max-traced-flows` of them run (the oldest is retired first). Every flow's packets cross the channels of its route.
 */
import type { FlowTuple } from "../probe/transport.ts";
import type { SimFlowConfig, SimTopology } from "./config.ts";
import type { Forwarding, RouteDetail } from "./forwarding.ts";
import { flowHash, type HashKey, hashKeyOf } from "./hash.ts";
import type { StreamHandle, TrafficModel } from "./traffic.ts";

/** The inner side of an overlay flow (list/flow's 11-value PORTS tuple). */
export interface SimOverlay {
  vnid: number;
  appsmac: string;
  appdmac: string;
  appsrc: string;
  appdst: string;
  appProto: "tcp" | "udp";
  appSport: number;
  appDport: number;
}

/** A flow of the fabric as `list/flow` needs it. For an overlay flow the tuple is the outer one (UDP to 4789). */
export interface SimFlow {
  src: string;
  dst: string;
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
  /** When the flow started and when its last packet was seen (now while it runs), epoch milliseconds. */
  firstSeenMs: number;
  lastSeenMs: number;
  /** Packets and bytes sent so far (whole numbers). */
  packets: number;
  bytes: number;
  /** The VXLAN inner flow, null for a plain flow. */
  overlay: SimOverlay | null;
}

/** A flow with its route and what the model needs to count it. */
export interface FlowRecord {
  key: string;
  tuple: FlowTuple;
  hashKey: HashKey;
  origin: "configured" | "traced";
  overlay: SimOverlay | null;
  pps: number;
  bytes: number;
  startMs: number;
  endMs: number;
  route: RouteDetail;
  /** Names of the devices on the route. */
  devices: Set<string>;
  /** Probes of this tuple that reached each device. */
  probes: Map<string, number>;
  stream: StreamHandle | null;
}

/** The registry key of a 5-tuple. */
export function tupleKey(t: FlowTuple): string {
  return `${t.src} ${t.dst} ${t.proto} ${t.sport} ${t.dport}`;
}

/** Packets of `rec` that reached `device` by `tMs` (its traffic while it ran, plus probes); 0 off its route. */
export function packetsAt(rec: FlowRecord, device: string, tMs: number): number {
  if (!rec.devices.has(device)) return 0;
  const ranMs = Math.max(0, Math.min(tMs, rec.endMs) - rec.startMs);
  return (rec.pps * ranMs) / 1000 + (rec.probes.get(device) ?? 0);
}

function overlayOf(f: SimFlowConfig): SimOverlay | null {
  const o = f.overlay;
  if (o === undefined) return null;
  return {
    vnid: o.vnid,
    appsmac: o.appsmac,
    appdmac: o.appdmac,
    appsrc: o.appsrc,
    appdst: o.appdst,
    appProto: o.proto,
    appSport: o.sport,
    appDport: o.dport,
  };
}

/** The fabric's flows, configured and traced. */
export class FlowRegistry {
  private readonly configured = new Map<string, FlowRecord>();
  private readonly traced = new Map<string, FlowRecord>();
  private readonly maxTraced: number;

  constructor(
    private readonly forwarding: Forwarding,
    private readonly traffic: TrafficModel,
    topology: SimTopology,
    startMs: number,
  ) {
    this.maxTraced = topology["max-traced-flows"];
    for (const f of topology.flows) {
      const tuple: FlowTuple = { src: f.src, dst: f.dst, proto: f.proto, sport: f.sport, dport: f.dport };
      const endMs = f["end-s"] === undefined ? Infinity : startMs + f["end-s"] * 1000;
      const rec = this.record(tuple, "configured", f.pps, f.bytes, startMs + f["start-s"] * 1000, endMs);
      rec.overlay = overlayOf(f);
      this.configured.set(rec.key, rec);
    }
  }

  private record(
    t: FlowTuple,
    origin: FlowRecord["origin"],
    pps: number,
    bytes: number,
    startMs: number,
    endMs: number,
  ) {
    const hashKey = hashKeyOf(t.src, t.dst, t.proto, t.sport, t.dport);
    const route = this.forwarding.route(hashKey, t.src, t.dst);
    const rec: FlowRecord = {
      key: tupleKey(t),
      tuple: { src: t.src, dst: t.dst, proto: t.proto, sport: t.sport, dport: t.dport },
      hashKey,
      origin,
      overlay: null,
      pps,
      bytes,
      startMs,
      endMs,
      route,
      devices: new Set(route.hops.map((h) => h.device.name)),
      probes: new Map(),
      stream: null,
    };
    // Packets of a flow without a way through still leave the source (and stop where the route ends).
    if (pps > 0 && route.channels.length > 0) {
      rec.stream = this.traffic.addStream(route.channels, pps, bytes, startMs, endMs);
    }
    return rec;
  }

  /** The configured or traced flow of this tuple, if any. */
  find(t: FlowTuple): FlowRecord | undefined {
    const key = tupleKey(t);
    return this.configured.get(key) ?? this.traced.get(key);
  }

  /**
   * The flow of this tuple, registering a traced flow starting now when there is none.
   * @throws SimTupleError when an address or port is malformed.
   */
  ensure(t: FlowTuple): FlowRecord {
    const known = this.find(t);
    if (known !== undefined) return known;
    const { pps, bytes } = tracedRate(t);
    if (this.maxTraced === 0) {
      return this.record(t, "traced", 0, bytes, this.traffic.now, this.traffic.now);
    }
    while (this.traced.size >= this.maxTraced) {
      const [oldestKey, oldest] = this.traced.entries().next().value as [string, FlowRecord];
      if (oldest.stream !== null) this.traffic.removeStream(oldest.stream);
      this.traced.delete(oldestKey);
    }
    const rec = this.record(t, "traced", pps, bytes, this.traffic.now, Infinity);
    this.traced.set(rec.key, rec);
    return rec;
  }

  /** The configured flows that have started by the model's time, oldest first. */
  list(): SimFlow[] {
    const now = this.traffic.now;
    const out: SimFlow[] = [];
    for (const rec of this.configured.values()) {
      if (rec.startMs > now) continue;
      const lastSeenMs = Math.min(now, rec.endMs);
      const packets = Math.floor((rec.pps * (lastSeenMs - rec.startMs)) / 1000);
      out.push({
        ...rec.tuple,
        firstSeenMs: rec.startMs,
        lastSeenMs,
        packets,
        bytes: packets * rec.bytes,
        overlay: rec.overlay === null ? null : { ...rec.overlay },
      });
    }
    return out.sort((a, b) => a.firstSeenMs - b.firstSeenMs);
  }
}

/**
 * The simulated rate of a traced flow, from its hash: TCP 500 to 20,499 packets/s of 1,400 bytes (a bulk transfer),
 * UDP to port 4789 (VXLAN) 200 to 2,199 packets/s of 1,450 bytes, other UDP 20 to 519 packets/s of 200 to 1,399 bytes.
 */
export function tracedRate(t: FlowTuple): { pps: number; bytes: number } {
  const h = flowHash(hashKeyOf(t.src, t.dst, t.proto, t.sport, t.dport), 0x7ace);
  if (t.proto === "tcp") return { pps: 500 + (h % 20_000), bytes: 1400 };
  if (t.dport === 4789) return { pps: 200 + (h % 2000), bytes: 1450 };
  return { pps: 20 + (h % 500), bytes: 200 + ((h >>> 16) % 1200) };
}
