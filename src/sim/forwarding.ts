/**
 * Forwarding in the simulated fabric: shortest-path routing (hop count) toward the leaf of the destination host, with
 * every equal-cost adjacency in one L3 ECMP group (buckets in configuration order), the bucket chosen by the flow hash
 * and, when the chosen adjacency is a LAG, the member chosen by the re-mixed hash (hash.ts). Routes are static: the
 * same tuple always takes the same path, which is what probes and telemetry both follow.
 */
import { ecmpBucket, flowHash, type HashKey, lagMemberIndex } from "./hash.ts";
import type { Adjacency, AdjacencyMember, SimDevice, SimHost, SimInterface, SimNetwork } from "./topology.ts";

/** What one device does with a packet toward `dst`. */
export interface ForwardDecision {
  /** The destination host when it hangs on this device (egress is its port). */
  host: SimHost | null;
  /** The L3 ECMP group toward the destination's leaf (empty for a local host or without a route). */
  group: Adjacency[];
  /** The adjacency of the group this flow hashes to, and within a LAG the member. */
  adjacency: Adjacency | null;
  member: AdjacencyMember | null;
  /** The physical interface the packet leaves on (a LAG member for a LAG), null without a route. */
  egress: SimInterface | null;
  /** The channel it leaves on, null without a route. */
  channel: number | null;
}

/** One hop of a route: the device, the interface the packet arrived on, and what the device did with it. */
export interface RouteHopDetail {
  device: SimDevice;
  ingress: SimInterface;
  decision: ForwardDecision;
}

/**
 * A route through the fabric. `channels[0]` is the source host's link up to its leaf and `channels[k]` the channel
 * hop k leaves on, so a probe expiring at hop k crossed `channels[0..k-1]` and one reaching the destination all of them.
 */
export interface RouteDetail {
  hops: RouteHopDetail[];
  channels: number[];
  /** The destination host when the packet reaches it. */
  reached: SimHost | null;
}

const NO_ROUTE: ForwardDecision = { host: null, group: [], adjacency: null, member: null, egress: null, channel: null };

/** The forwarding plane: distance tables per destination leaf (computed on first use) and the per-hop decision. */
export class Forwarding {
  private readonly distances = new Map<string, Map<string, number>>();

  constructor(private readonly net: SimNetwork) {}

  /** Hop counts from every device to `target` (breadth-first over the adjacencies). */
  distancesTo(target: string): Map<string, number> {
    let table = this.distances.get(target);
    if (table !== undefined) return table;
    table = new Map([[target, 0]]);
    const queue = [target];
    for (let i = 0; i < queue.length; i++) {
      const here = queue[i]!;
      const d = table.get(here)!;
      for (const adj of this.net.devices.get(here)!.adjacencies) {
        if (!table.has(adj.peerDevice)) {
          table.set(adj.peerDevice, d + 1);
          queue.push(adj.peerDevice);
        }
      }
    }
    this.distances.set(target, table);
    return table;
  }

  /** The L3 ECMP group of `device` toward the device `leaf`: adjacencies to neighbours one hop closer. */
  group(device: SimDevice, leaf: string): Adjacency[] {
    const table = this.distancesTo(leaf);
    const mine = table.get(device.name);
    if (mine === undefined || mine === 0) return [];
    return device.adjacencies.filter((adj) => table.get(adj.peerDevice) === mine - 1);
  }

  /** What `device` does with a packet of hash key `key` toward the host address `dst`. */
  decide(device: SimDevice, key: HashKey, dst: string): ForwardDecision {
    const local = device.hosts.get(dst);
    if (local !== undefined) {
      return { ...NO_ROUTE, host: local, egress: local.port, channel: local.down };
    }
    const host = this.net.hosts.get(dst);
    if (host === undefined) return NO_ROUTE;
    const group = this.group(device, host.device);
    if (group.length === 0) return NO_ROUTE;
    const hash = flowHash(key, device.seed);
    const adjacency = group[ecmpBucket(hash, group.length)]!;
    const member = adjacency.lag
      ? adjacency.members[lagMemberIndex(hash, adjacency.members.length)]!
      : adjacency.members[0]!;
    return { host: null, group, adjacency, member, egress: member.local, channel: member.out };
  }

  /** The route of a packet entering `device` on `ingress` (or sent by it when `ingress` is null) toward `dst`. */
  walk(device: SimDevice, ingress: SimInterface | null, key: HashKey, dst: string, channels: number[]): RouteDetail {
    const hops: RouteHopDetail[] = [];
    let here = device;
    let arrivedOn = ingress;
    for (let guard = 0; guard <= this.net.devices.size; guard++) {
      const decision = this.decide(here, key, dst);
      if (arrivedOn !== null) hops.push({ device: here, ingress: arrivedOn, decision });
      if (decision.channel === null) return { hops, channels, reached: null };
      channels.push(decision.channel);
      if (decision.host !== null) return { hops, channels, reached: decision.host };
      here = this.net.devices.get(decision.adjacency!.peerDevice)!;
      arrivedOn = decision.adjacency!.peerIface;
    }
    return { hops, channels, reached: null };
  }

  /** The route of a packet of hash key `key` from host `src` to host `dst` (no hops when `src` is not a host). */
  route(key: HashKey, src: string, dst: string): RouteDetail {
    const from = this.net.hosts.get(src);
    if (from === undefined) return { hops: [], channels: [], reached: null };
    if (src === dst) return { hops: [], channels: [], reached: from };
    return this.walk(this.net.devices.get(from.device)!, from.port, key, dst, [from.up]);
  }
}
