/**
 * The simulated data-centre fabric: a leaf-spine network with L3 ECMP and LAGs that lives in memory and sends nothing
 * on any network. It stands in for a real network where none is available (the default demo, fast tests) and
 * implements both agent contracts: {@link SimFabric.transport} (`ProbeTransport`, `simulated: true`) and
 * {@link SimFabric.telemetry} (`TelemetryProvider`). Its own API serves `list/flow` ({@link SimFabric.flows}) and tests
 * ({@link SimFabric.route}: the fabric's forwarding decision, which probes and telemetry follow). docs/sim.md.
 *
 * ```ts
 * const fabric = createSimFabric();                       // the default topology (default-topology.ts)
 * const agentDeps = { transport: fabric.transport, telemetry: fabric.telemetry, flows: () => fabric.flows() };
 * ```
 */
import type { FlowTuple, ProbeTarget, ProbeTransport } from "../probe/transport.ts";
import type { InterfaceCounters, TelemetryProvider } from "../telemetry/provider.ts";
import { BandwidthCounters } from "./bandwidth-counters.ts";
import { parseSimTopology, type SimTopology } from "./config.ts";
import { type SimCore, targetTuple } from "./core.ts";
import { defaultSimTopology } from "./default-topology.ts";
import { FlowRegistry, type SimFlow } from "./flow-registry.ts";
import { Forwarding, type RouteHopDetail } from "./forwarding.ts";
import { hashKeyOf } from "./hash.ts";
import { MirrorSessions, type SimMirrorSession } from "./mirror-sessions.ts";
import { type RandomSource, seededRandom } from "./random.ts";
import { SimProbeTransport } from "./sim-transport.ts";
import { SimTelemetryProvider } from "./sim-telemetry.ts";
import { buildNetwork } from "./topology.ts";
import { TrafficModel } from "./traffic.ts";

/** Options of {@link createSimFabric}. */
export interface SimFabricOptions {
  /** The topology (a plain object, e.g. parsed YAML; validated); default: {@link defaultSimTopology}. */
  topology?: unknown;
  /** The clock, epoch milliseconds; default `Date.now`. Read on every call; the model never goes backwards. */
  now?: () => number;
  /** Source of jitter and loss in [0, 1); default a generator seeded with the topology's `seed`. */
  random?: RandomSource;
}

/** One hop of the fabric's forwarding decision for a tuple. */
export interface SimRouteHop {
  /** Position on the path, 1-based (the TTL at which this hop answers). */
  hop: number;
  device: string;
  serial: string;
  /** The interface the packet arrives on, and its address (the probe responder). */
  ingress: string;
  ingressAddress: string;
  /** The physical interface the packet leaves on (the LAG member for a LAG); null when the device has no route. */
  egress: string | null;
  /** The L3 next hop chosen: a plain interface or the LAG (`ae0.0`); the host port on the last hop. */
  ecmpMember: string | null;
  /** Size of the L3 ECMP group (1: a single path; 0: no route). */
  ecmpBuckets: number;
  /** The LAG member chosen when `ecmpMember` is a LAG, else null. */
  lagMember: string | null;
}

/** The fabric's forwarding decision for one tuple. */
export interface SimRoute {
  /** The tuple forwarded (for a tunnel, the outer one). */
  tuple: FlowTuple;
  hops: SimRouteHop[];
  /** The host reached (it answers at TTL hops.length + 1), or null when the packet is dropped on the way. */
  destination: string | null;
}

/** A simulated fabric. */
export interface SimFabric {
  /** The probe transport (`name: "sim"`, `simulated: true`). */
  readonly transport: ProbeTransport;
  /** The telemetry provider (`name: "sim"`). */
  readonly telemetry: TelemetryProvider;
  /** The topology in use, defaults filled in. */
  readonly topology: SimTopology;
  /**
   * The configured application flows that have started (plain flows and VXLAN overlay flows), with first- and last-seen
   * times; with `host`, only flows from or to that address. `list/flow` filters by last-seen time itself.
   */
  flows(filter?: { host?: string }): SimFlow[];
  /** The fabric's forwarding decision for a 5-tuple or a probe target (a tunnel is forwarded on its outer tuple). */
  route(target: FlowTuple | ProbeTarget): SimRoute;
  /** Advances the simulation to `nowMs` (epoch ms); earlier times are ignored. Calls also advance to the clock. */
  tick(nowMs: number): void;
  /** The mirror sessions with the copies they have sent so far. */
  mirrorSessions(): SimMirrorSession[];
  /** Counters of a device's interface now, null when there is no such interface. */
  interfaceCounters(device: string, iface: string): InterfaceCounters | null;
  /** Closes the transport and the provider. */
  close(): Promise<void>;
}

function publicHop(h: RouteHopDetail, i: number): SimRouteHop {
  const d = h.decision;
  return {
    hop: i + 1,
    device: h.device.name,
    serial: h.device.config.serial,
    ingress: h.ingress.name,
    ingressAddress: h.ingress.address!,
    egress: d.egress?.name ?? null,
    ecmpMember: d.host !== null ? d.host.port.name : (d.adjacency?.iface.name ?? null),
    ecmpBuckets: d.host !== null ? 1 : d.group.length,
    lagMember: d.adjacency?.lag ? d.member!.local.name : null,
  };
}

function buildCore(topology: SimTopology, now: () => number, random: RandomSource | undefined): SimCore {
  const startMs = now();
  const network = buildNetwork(topology);
  const forwarding = new Forwarding(network);
  const traffic = new TrafficModel(network.channels, startMs);
  return {
    network,
    forwarding,
    traffic,
    flows: new FlowRegistry(forwarding, traffic, topology, startMs),
    bandwidth: new BandwidthCounters(),
    mirrors: new MirrorSessions(forwarding, traffic),
    random: random ?? seededRandom(topology.seed),
    startMs,
    sync: () => traffic.advanceTo(now()),
  };
}

/**
 * Builds a simulated fabric.
 * @throws SimConfigError when `options.topology` is not a valid topology.
 */
export function createSimFabric(options: SimFabricOptions = {}): SimFabric {
  const topology = parseSimTopology(options.topology ?? defaultSimTopology());
  const core = buildCore(topology, options.now ?? Date.now, options.random);
  const { network, forwarding, traffic } = core;
  const transport = new SimProbeTransport(core);
  const telemetry = new SimTelemetryProvider(core);
  return {
    transport,
    telemetry,
    topology,
    flows(filter = {}) {
      core.sync();
      const all = core.flows.list();
      return filter.host === undefined ? all : all.filter((f) => f.src === filter.host || f.dst === filter.host);
    },
    route(target) {
      const t = "kind" in target ? targetTuple(target) : target;
      const detail = forwarding.route(hashKeyOf(t.src, t.dst, t.proto, t.sport, t.dport), t.src, t.dst);
      return { tuple: { ...t }, hops: detail.hops.map(publicHop), destination: detail.reached?.address ?? null };
    },
    tick(nowMs) {
      if (Number.isFinite(nowMs)) traffic.advanceTo(nowMs);
    },
    mirrorSessions() {
      core.sync();
      return core.mirrors.list();
    },
    interfaceCounters(device, iface) {
      core.sync();
      const ifl = network.devices.get(device)?.interfaces.get(iface);
      return ifl === undefined ? null : traffic.interfaceCounters(ifl.tx, ifl.rx);
    },
    async close() {
      await transport.close();
      await telemetry.close();
    },
  };
}
