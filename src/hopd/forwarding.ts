/**
 * Where a flow goes through this router: its ingress interface (the interface owning the address that answered the
 * probe, `ip -j addr`) and its egress as the kernel chooses it (`ip -j route get DST from SRC iif IN ipproto P sport S
 * dport D`, the same input-path lookup and multipath hash forwarded packets get), with the route's whole next-hop set
 * as the L3 ECMP group (`ip -j route show match DST`; a route through a nexthop object is resolved through `ip -j
 * nexthop show`, `nexthop-objects.ts`) and bonds among the next hops as LAGs (`bonding.ts`). When the kernel's choice
 * is a bond, the member the flow hashes to is reproduced from the bond's mode and transmit hash policy
 * (`bond-hash.ts`).
 *
 * Fallbacks: a responder on a loopback (the router id, when `icmp_errors_use_inbound_ifaddr` is off) stands for the
 * interface toward the source (`ip -j route get SRC`); when the kernel's lookup fails, the egress is the interface
 * whose subnet holds the next hop's responder address (issue 7, "Provider selection").
 */
import { type EgressAttribute, type L2Ecmp, type LogicalInterface, zeroCounters } from "../telemetry/provider.ts";
import { ipv4FromString } from "../wire/ipv4-address.ts";
import { bondHashPolicy, bondTransmitMember, policyNeedsMacs } from "./bond-hash.ts";
import { type BondStatus, bondBuckets, bondMembersFromLinks, parseBondingStatus } from "./bonding.ts";
import { HopdError, commandError } from "./errors.ts";
import type { PacketTuple } from "./flow-target.ts";
import type { InterfaceCounterReader } from "./interface-counters.ts";
import {
  type InterfaceAddress,
  type LinkInfo,
  type RouteChoice,
  type RouteEntry,
  parseAddresses,
  parseLinks,
  parseNeighbourAddress,
  parseRouteGet,
  parseRoutes,
  selectRoute,
} from "./ip-json.ts";
import { parseNexthops, resolveNexthop } from "./nexthop-objects.ts";
import type { HopSystem } from "./system.ts";

/** How long address and link lists are reused, milliseconds. */
export const LINK_CACHE_MS = 2000;

/** Whether `address` lies in `prefix/len` (IPv4). */
export function inSubnet(address: string, prefix: string, len: number): boolean {
  if (len < 0 || len > 32) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (ipv4FromString(address) & mask) >>> 0 === (ipv4FromString(prefix) & mask) >>> 0;
}

/** The interface owning `address`, or undefined. */
export function ownerOf(addresses: readonly InterfaceAddress[], address: string): InterfaceAddress | undefined {
  return addresses.find((a) => a.address === address);
}

/** The interface whose subnet (longest prefix, loopbacks and /32s excluded) holds `address`, or undefined. */
export function interfaceToward(addresses: readonly InterfaceAddress[], address: string): string | undefined {
  return addresses
    .filter((a) => a.prefixlen < 32 && a.ifname !== "lo" && inSubnet(address, a.address, a.prefixlen))
    .sort((a, b) => b.prefixlen - a.prefixlen)[0]?.ifname;
}

/** A flow's ingress and egress at this router. */
export interface FlowForwarding {
  /** Ingress interface name. */
  ingress: string;
  /** The kernel's choice (null when it could not be asked and the egress was inferred). */
  route: RouteChoice | null;
  egress: EgressAttribute;
}

/** Answers forwarding questions from `ip` and the bonding driver. */
export class ForwardingReader {
  #addresses: { at: number; value: Promise<InterfaceAddress[]> } | null = null;
  #links: { at: number; value: Promise<LinkInfo[]> } | null = null;

  constructor(
    private readonly system: HopSystem,
    private readonly counters: InterfaceCounterReader,
  ) {}

  /** IPv4 addresses of every interface (`ip -j addr`, cached {@link LINK_CACHE_MS}). */
  addresses(): Promise<InterfaceAddress[]> {
    const now = this.system.now();
    if (this.#addresses === null || now - this.#addresses.at >= LINK_CACHE_MS) {
      this.#addresses = { at: now, value: this.#ip(["-j", "addr", "show"], "ip addr").then(parseAddresses) };
    }
    return this.#addresses.value;
  }

  /** Links with kind and master (`ip -d -j link`, cached {@link LINK_CACHE_MS}). */
  links(): Promise<LinkInfo[]> {
    const now = this.system.now();
    if (this.#links === null || now - this.#links.at >= LINK_CACHE_MS) {
      this.#links = { at: now, value: this.#ip(["-d", "-j", "link", "show"], "ip link").then(parseLinks) };
    }
    return this.#links.value;
  }

  async #ip(args: string[], what: string): Promise<string> {
    const r = await this.system.run("ip", args);
    if (r.status !== 0) throw commandError(what, r.stderr, r.status);
    return r.stdout;
  }

  /**
   * The ingress interface of `tuple` at this router, from the address that answered the probe.
   * @throws HopdError `ERR_HOPD_UNKNOWN_ADDRESS` when `responder` is not an address of this router.
   */
  async ingress(responder: string, tuple: PacketTuple): Promise<string> {
    const owner = ownerOf(await this.addresses(), responder);
    if (owner === undefined) {
      throw new HopdError("ERR_HOPD_UNKNOWN_ADDRESS", `${responder} is not an address of this router`);
    }
    if (owner.ifname !== "lo") return owner.ifname;
    // The router id answered: the flow came in on the interface toward its source (symmetric routing assumed).
    const back = parseRouteGet((await this.system.run("ip", ["-j", "route", "get", tuple.src])).stdout);
    return back !== null && back.dev !== "lo" ? back.dev : owner.ifname;
  }

  /** The kernel's choice for `tuple` arriving on `ingress`; null when the lookup fails. */
  async routeGet(tuple: PacketTuple, ingress: string): Promise<RouteChoice | null> {
    const args = ["-j", "route", "get", tuple.dst, "from", tuple.src, "iif", ingress, "ipproto", tuple.proto];
    const r = await this.system.run("ip", [...args, "sport", String(tuple.sport), "dport", String(tuple.dport)]);
    return r.status === 0 ? parseRouteGet(r.stdout) : null;
  }

  /** A logical interface with its counters (zeros when the interface vanished meanwhile). */
  async logical(name: string): Promise<LogicalInterface> {
    const counters = (await this.counters.counters(name)) ?? zeroCounters(this.system.now());
    return { name, counters };
  }

  /** The bond's status from `/proc/net/bonding/<bond>`, or null when the file cannot be read. */
  async bondStatus(bond: string): Promise<BondStatus | null> {
    const proc = await this.system.readFile(`/proc/net/bonding/${bond}`);
    return proc === null ? null : parseBondingStatus(proc);
  }

  /** The LAG of a bond: active members with their counters. */
  async lag(bond: string, links: readonly LinkInfo[]): Promise<L2Ecmp> {
    const status = await this.bondStatus(bond);
    const members = status !== null ? status.members : bondMembersFromLinks(links, bond);
    return {
      aeName: bond,
      members: await Promise.all(members.map((m) => this.logical(m.name))),
      numBuckets: bondBuckets(members),
    };
  }

  /**
   * Ingress and egress of `tuple` at this router: the kernel's choice and the ECMP group of its route; the interface
   * toward `nextResponder` when the kernel cannot be asked.
   * @throws HopdError `ERR_HOPD_UNKNOWN_ADDRESS` (responder not here), `ERR_HOPD_COMMAND` (`ip` failed).
   */
  async forwarding(tuple: PacketTuple, responder: string, nextResponder?: string): Promise<FlowForwarding> {
    const ingress = await this.ingress(responder, tuple);
    const route = await this.routeGet(tuple, ingress);
    if (route === null || route.type === "unreachable" || route.type === "blackhole" || route.type === "prohibit") {
      const toward = nextResponder === undefined ? undefined : interfaceToward(await this.addresses(), nextResponder);
      if (toward === undefined) return { ingress, route, egress: { members: [], numBuckets: 0, l2Ecmp: [] } };
      const one = await this.#groupOf([{ dev: toward, weight: 1 }], toward);
      return { ingress, route, egress: one };
    }
    if (route.type === "local" || route.dev === "lo") {
      return { ingress, route, egress: { members: [], numBuckets: 0, l2Ecmp: [] } };
    }
    const shown = await this.system.run("ip", ["-j", "route", "show", "match", tuple.dst]);
    const routes = shown.status === 0 ? await this.#resolveNexthopObjects(parseRoutes(shown.stdout)) : [];
    const entry = selectRoute(routes, route);
    const hops = entry !== null && entry.nexthops.length > 0 ? entry.nexthops : [{ dev: route.dev, weight: 1 }];
    const egress = await this.#groupOf(hops, route.dev, entry?.numBuckets);
    const member = await this.bondMember(route.dev, tuple, route.gateway ?? tuple.dst);
    if (member !== undefined) egress.chosen = member;
    return { ingress, route, egress };
  }

  /**
   * Routes with their next hops taken from their nexthop objects (`ip -j nexthop show`, asked only when a route has an
   * `nhid`): the object is authoritative (the compat dump lacks a resilient group's buckets); when the table cannot be
   * read or lacks the id, the route keeps what the dump showed.
   */
  async #resolveNexthopObjects(routes: RouteEntry[]): Promise<RouteEntry[]> {
    if (!routes.some((r) => r.nhid !== undefined)) return routes;
    const r = await this.system.run("ip", ["-j", "nexthop", "show"]);
    if (r.status !== 0) return routes;
    const table = parseNexthops(r.stdout);
    return routes.map((route) => {
      const resolved = route.nhid === undefined ? null : resolveNexthop(table, route.nhid);
      return resolved === null ? route : { ...route, ...resolved };
    });
  }

  /**
   * The member of bond `bond` that `tuple` leaves on toward neighbour `nextHop` (`bond-hash.ts`); undefined when `bond`
   * is not a bond, its status file cannot be read, or its mode and policy give no reproducible answer. The layer-2
   * policies read the bond's MAC (`ip -d -j link`) and the neighbour's (`ip -j neigh show to NH dev BOND`).
   */
  async bondMember(bond: string, tuple: PacketTuple, nextHop: string): Promise<string | undefined> {
    const links = await this.links();
    const link = links.find((l) => l.ifname === bond);
    if (link?.kind !== "bond") return undefined;
    const status = await this.bondStatus(bond);
    if (status === null) return undefined;
    const frame = { src: tuple.src, dst: tuple.dst, sport: tuple.sport, dport: tuple.dport };
    const direct = bondTransmitMember(status, frame);
    if (direct !== undefined || !policyNeedsMacs(bondHashPolicy(status.hashPolicy ?? "layer2"))) return direct;
    const neigh = await this.system.run("ip", ["-j", "neigh", "show", "to", nextHop, "dev", bond]);
    const dstMac = neigh.status === 0 ? parseNeighbourAddress(neigh.stdout) : undefined;
    return bondTransmitMember(status, {
      ...frame,
      ...(link.address === undefined ? {} : { srcMac: link.address }),
      ...(dstMac === undefined ? {} : { dstMac }),
    });
  }

  async #groupOf(
    hops: readonly { dev: string; weight: number }[],
    chosen: string,
    numBuckets?: number,
  ): Promise<EgressAttribute> {
    const links = await this.links();
    const kind = new Map(links.map((l) => [l.ifname, l.kind]));
    const devs = [...new Set(hops.map((h) => h.dev))];
    const plain = devs.filter((d) => kind.get(d) !== "bond");
    const bonds = devs.filter((d) => kind.get(d) === "bond");
    return {
      members: await Promise.all(plain.map((d) => this.logical(d))),
      numBuckets: numBuckets ?? hops.reduce((n, h) => n + Math.max(1, h.weight), 0),
      l2Ecmp: await Promise.all(bonds.map((b) => this.lag(b, links))),
      chosen,
    };
  }
}
