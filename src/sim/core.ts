/**
 * The state one simulated fabric shares between its probe transport, its telemetry provider and its own API: the
 * wiring, forwarding, traffic model, flows, per-flow counters, mirror sessions, the random source, and the clock.
 */
import type { FlowTuple, ProbeTarget } from "../probe/transport.ts";
import { VXLAN_UDP_PORT } from "../wire/vxlan.ts";
import type { BandwidthCounters } from "./bandwidth-counters.ts";
import type { FlowRegistry } from "./flow-registry.ts";
import type { Forwarding } from "./forwarding.ts";
import type { MirrorSessions } from "./mirror-sessions.ts";
import type { RandomSource } from "./random.ts";
import type { SimNetwork } from "./topology.ts";
import type { TrafficModel } from "./traffic.ts";

/** Everything of one fabric. */
export interface SimCore {
  readonly network: SimNetwork;
  readonly forwarding: Forwarding;
  readonly traffic: TrafficModel;
  readonly flows: FlowRegistry;
  readonly bandwidth: BandwidthCounters;
  readonly mirrors: MirrorSessions;
  readonly random: RandomSource;
  /** The fabric's start (u = 0 of the time models), epoch milliseconds. */
  readonly startMs: number;
  /** Advances the model to the injected clock's time (never backwards) and returns the model's time, epoch ms. */
  sync(): number;
}

/**
 * The tuple a target's packets carry, which forwarding hashes: the flow's 5-tuple, or for a tunnel the outer one
 * (VTEP source to VTEP destination, UDP from the tunnel's source port to 4789).
 */
export function targetTuple(target: ProbeTarget): FlowTuple {
  if (target.kind === "flow") return target.flow;
  const t = target.tunnel;
  return { src: t.src, dst: t.dst, proto: "udp", sport: t.sport, dport: VXLAN_UDP_PORT };
}

/** The identity of a traced target (per-flow counters and mirror sessions belong to it). */
export function targetKey(target: ProbeTarget): string {
  if (target.kind === "flow") {
    const f = target.flow;
    return `flow ${f.src} ${f.dst} ${f.proto} ${f.sport} ${f.dport}`;
  }
  const t = target.tunnel;
  return `tunnel ${t.src} ${t.dst} ${t.sport} ${t.vnid} ${t.appsrc} ${t.appdst}`;
}
