/**
 * The fabric's wiring, built once from a validated {@link SimTopology}: devices with their logical interfaces, the
 * adjacencies (plain links and LAGs) forwarding chooses among, hosts on leaf ports, the address of every interface, and
 * the channels (one direction of one physical link) that carry traffic and hold counters.
 */
import type { SimDeviceConfig, SimHostConfig, SimLinkConfig, SimTopology, SimTrafficConfig } from "./config.ts";
import { phaseOf, stringHash } from "./hash.ts";

/** One direction of one physical link (a LAG has one pair per member): where traffic and its counters live. */
export interface Channel {
  index: number;
  /** One-way latency, microseconds. */
  latencyUs: number;
  /** Background traffic parameters of the link. */
  traffic: SimTrafficConfig;
  /** Scale of the background rate in this direction (direction asymmetry, LAG member share). */
  scale: number;
  /** Phase of the background rate's sine, radians. */
  phase: number;
  /** Seconds of background traffic already counted when the fabric starts. */
  uptimeS: number;
}

/** A logical interface of a device, with the channels it sends on (`tx`) and receives from (`rx`). */
export interface SimInterface {
  device: string;
  /** Junos-style logical name (`xe-0/0/18.0`, `ae0.0`, a LAG member `xe-0/0/14.0`). */
  name: string;
  /** Its IPv4 address (link ends and host gateways); null for LAG members, which carry no address. */
  address: string | null;
  kind: "link" | "lag" | "lag-member" | "host-port";
  tx: number[];
  rx: number[];
}

/** One physical link of an adjacency: the local and peer member interfaces and the channel each way. */
export interface AdjacencyMember {
  local: SimInterface;
  peer: SimInterface;
  /** Channel from this device to the peer, and back. */
  out: number;
  back: number;
}

/** A next hop a device can forward to: a plain link (one member) or a LAG (several). */
export interface Adjacency {
  /** The logical interface on this device (`xe-0/0/18.0` or `ae0.0`). */
  iface: SimInterface;
  peerDevice: string;
  /** The logical interface on the peer, whose address answers probes arriving over this adjacency. */
  peerIface: SimInterface;
  members: AdjacencyMember[];
  lag: boolean;
}

/** A host and the leaf port it hangs on. */
export interface SimHost {
  config: SimHostConfig;
  address: string;
  device: string;
  /** The leaf's interface facing the host (its address is the host's gateway). */
  port: SimInterface;
  /** Channels host to leaf and leaf to host. */
  up: number;
  down: number;
}

/** A device of the fabric. */
export interface SimDevice {
  config: SimDeviceConfig;
  name: string;
  /** Forwarding hash seed (unsigned 32-bit). */
  seed: number;
  /** First Bandwidth_ID this device hands out. */
  bandwidthIdBase: number;
  interfaces: Map<string, SimInterface>;
  /** Adjacencies in configuration order: ECMP bucket i of a group is its i-th member in this order. */
  adjacencies: Adjacency[];
  /** Hosts attached to this device, by host address. */
  hosts: Map<string, SimHost>;
}

/** Who owns an address: an interface of a device, or a host. */
export type AddressOwner = { kind: "interface"; iface: SimInterface } | { kind: "host"; host: SimHost };

/** The whole wiring. */
export interface SimNetwork {
  devices: Map<string, SimDevice>;
  hosts: Map<string, SimHost>;
  addresses: Map<string, AddressOwner>;
  channels: Channel[];
}

function buildDevice(config: SimDeviceConfig): SimDevice {
  return {
    config,
    name: config.name,
    seed: config["hash-seed"] ?? stringHash(config.name),
    bandwidthIdBase: config["bandwidth-id-base"] ?? stringHash(config.serial, 0x5eed),
    interfaces: new Map(),
    adjacencies: [],
    hosts: new Map(),
  };
}

class NetworkBuilder {
  readonly net: SimNetwork = { devices: new Map(), hosts: new Map(), addresses: new Map(), channels: [] };

  channel(latencyUs: number, traffic: SimTrafficConfig, scale: number, key: string, uptimeS: number): number {
    const index = this.net.channels.length;
    // Each channel runs 0.9x to 1.1x its nominal share, so LAG members and hosts do not count in lockstep.
    const spread = 0.9 + (0.2 * stringHash(key, 0x5ca1e)) / 4294967296;
    this.net.channels.push({ index, latencyUs, traffic, scale: scale * spread, phase: phaseOf(key), uptimeS });
    return index;
  }

  iface(device: string, name: string, address: string | null, kind: SimInterface["kind"]): SimInterface {
    const ifl: SimInterface = { device, name, address, kind, tx: [], rx: [] };
    this.net.devices.get(device)!.interfaces.set(name, ifl);
    if (address !== null) this.net.addresses.set(address, { kind: "interface", iface: ifl });
    return ifl;
  }

  uptime(a: string, b: string): number {
    return Math.min(this.net.devices.get(a)!.config["uptime-s"], this.net.devices.get(b)!.config["uptime-s"]);
  }

  link(link: SimLinkConfig, index: number): void {
    const { a, b } = link;
    const lag = link.members !== undefined;
    const aIfl = this.iface(a.device, a.interface, a.address, lag ? "lag" : "link");
    const bIfl = this.iface(b.device, b.interface, b.address, lag ? "lag" : "link");
    const pairs = link.members ?? [{ a: a.interface, b: b.interface }];
    // The b-to-a direction runs at 0.5x to 1.5x the configured rate, so the two directions differ as real ones do.
    const backScale = 0.5 + stringHash(`link ${index}`) / 4294967296;
    const uptimeS = this.uptime(a.device, b.device);
    const aSide: AdjacencyMember[] = [];
    const bSide: AdjacencyMember[] = [];
    pairs.forEach((pair, j) => {
      const aMember = lag ? this.iface(a.device, pair.a, null, "lag-member") : aIfl;
      const bMember = lag ? this.iface(b.device, pair.b, null, "lag-member") : bIfl;
      const share = 1 / pairs.length;
      const ab = this.channel(link["latency-us"], link.background, share, `link ${index}.${j} ab`, uptimeS);
      const ba = this.channel(link["latency-us"], link.background, share * backScale, `link ${index}.${j} ba`, uptimeS);
      for (const ifl of lag ? [aMember, aIfl] : [aIfl]) {
        ifl.tx.push(ab);
        ifl.rx.push(ba);
      }
      for (const ifl of lag ? [bMember, bIfl] : [bIfl]) {
        ifl.tx.push(ba);
        ifl.rx.push(ab);
      }
      aSide.push({ local: aMember, peer: bMember, out: ab, back: ba });
      bSide.push({ local: bMember, peer: aMember, out: ba, back: ab });
    });
    this.net.devices.get(a.device)!.adjacencies.push({
      iface: aIfl,
      peerDevice: b.device,
      peerIface: bIfl,
      members: aSide,
      lag,
    });
    this.net.devices.get(b.device)!.adjacencies.push({
      iface: bIfl,
      peerDevice: a.device,
      peerIface: aIfl,
      members: bSide,
      lag,
    });
  }

  host(config: SimHostConfig): void {
    const { device, interface: name, gateway } = config.attach;
    const port = this.iface(device, name, gateway, "host-port");
    const uptimeS = this.net.devices.get(device)!.config["uptime-s"];
    const up = this.channel(config["latency-us"], config.background, 1, `host ${config.address} up`, uptimeS);
    const down = this.channel(config["latency-us"], config.background, 0.8, `host ${config.address} down`, uptimeS);
    port.rx.push(up);
    port.tx.push(down);
    const host: SimHost = { config, address: config.address, device, port, up, down };
    this.net.hosts.set(config.address, host);
    this.net.devices.get(device)!.hosts.set(config.address, host);
    this.net.addresses.set(config.address, { kind: "host", host });
  }
}

/** Builds the wiring of a validated topology. */
export function buildNetwork(topology: SimTopology): SimNetwork {
  const builder = new NetworkBuilder();
  for (const d of topology.devices) builder.net.devices.set(d.name, buildDevice(d));
  topology.links.forEach((l, i) => {
    builder.link(l, i);
  });
  for (const h of topology.hosts) builder.host(h);
  return builder.net;
}
