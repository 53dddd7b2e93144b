/**
 * Parsers of iproute2's JSON output (`ip -j`, iproute2 6.1 as in Debian 12) that hopd needs: interface addresses
 * (`ip -j addr`), the kernel's route choice (`ip -j route get …`), a route's next-hop set (`ip -j route show match
 * DST`; a route through a nexthop object carries its `nhid`, resolved in `nexthop-objects.ts`), links with their
 * kind, master and MAC address (`ip -d -j link`), and a neighbour's MAC address (`ip -j neigh show`). Pure functions
 * over the text; anything unexpected is skipped rather than trusted.
 */

/** One IPv4 address of an interface. */
export interface InterfaceAddress {
  ifname: string;
  ifindex: number;
  address: string;
  prefixlen: number;
}

function parseJsonArray(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** IPv4 addresses of `ip -j addr` (inet family only). */
export function parseAddresses(text: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const link of parseJsonArray(text)) {
    if (!isObject(link)) continue;
    const ifname = str(link.ifname);
    const ifindex = num(link.ifindex) ?? 0;
    if (ifname === undefined || !Array.isArray(link.addr_info)) continue;
    for (const a of link.addr_info) {
      if (!isObject(a) || a.family !== "inet") continue;
      const address = str(a.local);
      const prefixlen = num(a.prefixlen);
      if (address !== undefined && prefixlen !== undefined) out.push({ ifname, ifindex, address, prefixlen });
    }
  }
  return out;
}

/** The kernel's choice for one packet (`ip -j route get`). */
export interface RouteChoice {
  /** Output device (`lo` for a local destination). */
  dev: string;
  gateway?: string;
  /** Route type when not unicast (`local`, `unreachable`...). */
  type?: string;
  prefsrc?: string;
}

/** The first answer of `ip -j route get`, or null. */
export function parseRouteGet(text: string): RouteChoice | null {
  const r = parseJsonArray(text)[0];
  if (!isObject(r)) return null;
  const dev = str(r.dev);
  if (dev === undefined) return null;
  const out: RouteChoice = { dev };
  const gateway = str(r.gateway);
  if (gateway !== undefined) out.gateway = gateway;
  const type = str(r.type);
  if (type !== undefined) out.type = type;
  const prefsrc = str(r.prefsrc);
  if (prefsrc !== undefined) out.prefsrc = prefsrc;
  return out;
}

/** One next hop of a route. */
export interface NextHop {
  dev: string;
  gateway?: string;
  /** Multipath weight (1 when not given). */
  weight: number;
}

/** A route and its next hops. */
export interface RouteEntry {
  /** `10.1.2.0/24`, a host address, or `default`. */
  dst: string;
  prefixlen: number;
  /**
   * Next hops as the route dump shows them: empty for a route through a nexthop object when the kernel dumps `nhid`
   * alone (`net.ipv4.nexthop_compat_mode=0`).
   */
  nexthops: NextHop[];
  /** The nexthop object (`ip nexthop`) the route uses, when it uses one. */
  nhid?: number;
  /** Hash buckets of the route's group when known from its nexthop object (a resilient group's bucket count). */
  numBuckets?: number;
}

function prefixLengthOf(dst: string): number {
  if (dst === "default") return 0;
  const slash = dst.indexOf("/");
  return slash < 0 ? 32 : Number(dst.slice(slash + 1));
}

/**
 * Routes of `ip -j route show …` with their next hops (a single-path route gives one). A route through a nexthop
 * object keeps its `nhid`, and is kept even with no next hop shown.
 */
export function parseRoutes(text: string): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const r of parseJsonArray(text)) {
    if (!isObject(r)) continue;
    const dst = str(r.dst);
    if (dst === undefined) continue;
    const type = str(r.type);
    if (type !== undefined && type !== "unicast") continue;
    const hops: NextHop[] = [];
    if (Array.isArray(r.nexthops)) {
      for (const h of r.nexthops) {
        if (!isObject(h) || str(h.dev) === undefined) continue;
        const hop: NextHop = { dev: str(h.dev)!, weight: num(h.weight) ?? 1 };
        if (str(h.gateway) !== undefined) hop.gateway = str(h.gateway)!;
        hops.push(hop);
      }
    } else if (str(r.dev) !== undefined) {
      const hop: NextHop = { dev: str(r.dev)!, weight: 1 };
      if (str(r.gateway) !== undefined) hop.gateway = str(r.gateway)!;
      hops.push(hop);
    }
    const nhid = num(r.nhid);
    const entry: RouteEntry = { dst, prefixlen: prefixLengthOf(dst), nexthops: hops };
    if (nhid !== undefined && Number.isInteger(nhid) && nhid > 0) entry.nhid = nhid;
    if (hops.length > 0 || entry.nhid !== undefined) out.push(entry);
  }
  return out;
}

/**
 * The route the kernel used for `choice` among `routes` (those of `ip route show match DST`): the longest prefix whose
 * next hops include the chosen device (and gateway, when both have one); the longest prefix overall when none does.
 */
export function selectRoute(routes: readonly RouteEntry[], choice: RouteChoice): RouteEntry | null {
  const sorted = [...routes].sort((a, b) => b.prefixlen - a.prefixlen);
  const holds = (r: RouteEntry) =>
    r.nexthops.some(
      (h) =>
        h.dev === choice.dev &&
        (h.gateway === undefined || choice.gateway === undefined || h.gateway === choice.gateway),
    );
  return sorted.find(holds) ?? sorted[0] ?? null;
}

/** One link of `ip -d -j link`. */
export interface LinkInfo {
  ifname: string;
  ifindex: number;
  /** The link-layer address (`aa:bb:cc:dd:ee:ff` for Ethernet), when shown. */
  address?: string;
  /** `linkinfo.info_kind`: `bond`, `bridge`, `veth`, `vlan`…; undefined for plain devices. */
  kind?: string;
  /** The master device (bond or bridge) this link is enslaved to. */
  master?: string;
  /** `linkinfo.info_slave_kind`: `bond` for a bond member. */
  slaveKind?: string;
  /** For bond members: the bond's view of the member (`info_slave_data.state`, `mii_status`). */
  slaveState?: string;
  miiStatus?: string;
  /** `operstate` (`UP`, `DOWN`…). */
  operstate?: string;
  /** Bond mode (`802.3ad`, `balance-xor`…) for a bond. */
  bondMode?: string;
  /** Transmit hash policy of a bond (`layer3+4`…). */
  xmitHashPolicy?: string;
}

/** Links of `ip -d -j link`. */
export function parseLinks(text: string): LinkInfo[] {
  const out: LinkInfo[] = [];
  for (const l of parseJsonArray(text)) {
    if (!isObject(l)) continue;
    const ifname = str(l.ifname);
    if (ifname === undefined) continue;
    const link: LinkInfo = { ifname, ifindex: num(l.ifindex) ?? 0 };
    if (str(l.master) !== undefined) link.master = str(l.master)!;
    if (str(l.operstate) !== undefined) link.operstate = str(l.operstate)!;
    if (str(l.address) !== undefined) link.address = str(l.address)!;
    const info = isObject(l.linkinfo) ? l.linkinfo : undefined;
    if (info !== undefined) {
      if (str(info.info_kind) !== undefined) link.kind = str(info.info_kind)!;
      if (str(info.info_slave_kind) !== undefined) link.slaveKind = str(info.info_slave_kind)!;
      const data = isObject(info.info_data) ? info.info_data : undefined;
      if (data !== undefined && str(data.mode) !== undefined) link.bondMode = str(data.mode)!;
      if (data !== undefined && str(data.xmit_hash_policy) !== undefined) {
        link.xmitHashPolicy = str(data.xmit_hash_policy)!;
      }
      const slave = isObject(info.info_slave_data) ? info.info_slave_data : undefined;
      if (slave !== undefined) {
        if (str(slave.state) !== undefined) link.slaveState = str(slave.state)!;
        if (str(slave.mii_status) !== undefined) link.miiStatus = str(slave.mii_status)!;
      }
    }
    out.push(link);
  }
  return out;
}

/**
 * The link-layer address of the first entry of `ip -j neigh show to ADDR dev DEV` that has one (states `REACHABLE`,
 * `STALE`, `DELAY`, `PROBE`, `PERMANENT`…; an `INCOMPLETE` or `FAILED` entry has none); undefined otherwise.
 */
export function parseNeighbourAddress(text: string): string | undefined {
  for (const n of parseJsonArray(text)) {
    if (isObject(n) && str(n.lladdr) !== undefined) return str(n.lladdr);
  }
  return undefined;
}
