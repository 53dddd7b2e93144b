/**
 * The lab's address plan and the per-node configuration it implies, as pure data: node names, namespaces, veth links,
 * and the `ip -batch` lines each namespace runs. Nothing here touches the system.
 *
 * Address plan (documented in docs/netlab.md):
 * - leaf–spine link number L = (leaf − 1) × spines + (spine − 1): 10.0.L.0/31 on the leaf, 10.0.L.1/31 on the spine;
 * - router ids on loopback: leaf i 10.255.1.i/32, spine s 10.255.2.s/32;
 * - hosts of leaf i: 10.1.i.0/24, gateway 10.1.i.1 on the leaf's `br-hosts` bridge, host j of that leaf 10.1.i.(10 + j);
 * - overlay (VXLAN `vxlan0` on each host): host n at 10.2.0.n/24;
 * - the analyzer host `an1` (optional, for mirrors) on leaf 1's bridge: 10.1.1.250/24.
 */
import type { LabTopology } from "./topology.ts";

/** The role of a lab node. */
export type NodeRole = "host" | "leaf" | "spine" | "analyzer";

/** One end of a veth link. */
export interface LinkEnd {
  readonly node: string;
  /** Interface name inside the node's namespace (the peer node's name, or `eth0` on a host). */
  readonly ifname: string;
}

/** A veth pair joining two nodes. */
export interface PlannedLink {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
}

/** One node: its namespace and the configuration applied inside it. */
export interface PlannedNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly namespace: string;
  /** Router id (leaves, spines) or host address (hosts), without prefix length. */
  readonly address: string;
  /** Leaf number (1-based) for leaves and for hosts (the leaf they hang off); absent on spines. */
  readonly leaf?: number;
  /** Lines for `ip -n NAMESPACE -batch -`, in order. */
  readonly ipBatch: readonly string[];
  /** Lines for `bridge -n NAMESPACE -batch -` (VXLAN flooding entries), possibly empty. */
  readonly bridgeBatch: readonly string[];
}

/** Name of the analyzer host (the destination of mirrors). */
export const ANALYZER_NODE = "an1";

/** Address of the analyzer host, on leaf 1's host subnet (above every host address, 10.1.i.11-210). */
export const ANALYZER_ADDRESS = "10.1.1.250";

/** Options of {@link planLab}. */
export interface PlanOptions {
  /** Add the analyzer host {@link ANALYZER_NODE} on leaf 1 (default false). */
  readonly analyzer?: boolean;
}

/** A whole lab: its prefix, topology, nodes (hosts, leaves, spines, the analyzer) and links. */
export interface LabPlan {
  readonly prefix: string;
  readonly topology: LabTopology;
  readonly nodes: readonly PlannedNode[];
  readonly links: readonly PlannedLink[];
}

/** Sysctls applied in every router namespace (hash fields 0x0037: addresses, protocol, ports). */
export const ROUTER_SYSCTLS: Readonly<Record<string, string>> = Object.freeze({
  "net.ipv4.ip_forward": "1",
  "net.ipv4.conf.all.forwarding": "1",
  "net.ipv4.conf.all.rp_filter": "0",
  "net.ipv4.conf.default.rp_filter": "0",
  "net.ipv4.fib_multipath_hash_policy": "3",
  "net.ipv4.fib_multipath_hash_fields": "0x0037",
  "net.ipv4.icmp_errors_use_inbound_ifaddr": "1",
  "net.ipv4.icmp_ratelimit": "0",
  // icmp_ratelimit=0 lifts only the per-destination limit; the namespace-wide budget (default 1000 errors/s, burst 50)
  // would drop answers once more than ~250 flows are traced at sfreq 1 s.
  "net.ipv4.icmp_msgs_per_sec": "1000000",
  "net.ipv4.icmp_msgs_burst": "100000",
});

/** Sysctls applied in every host namespace. */
export const HOST_SYSCTLS: Readonly<Record<string, string>> = Object.freeze({
  "net.ipv4.icmp_ratelimit": "0",
  "net.ipv4.icmp_msgs_per_sec": "1000000",
  "net.ipv4.icmp_msgs_burst": "100000",
  "net.ipv4.conf.all.rp_filter": "0",
});

/** Namespace name of `node` in the lab `prefix`. */
export function namespaceOf(prefix: string, node: string): string {
  return `${prefix}-${node}`;
}

/** Number of the link between `leaf` and `spine` (both 1-based). */
export function linkNumber(topology: LabTopology, leaf: number, spine: number): number {
  return (leaf - 1) * topology.spines + (spine - 1);
}

/** Address of host `j` (1-based) on leaf `i`. */
export function hostAddress(leaf: number, j: number): string {
  return `10.1.${leaf}.${10 + j}`;
}

/** Router id of leaf `i`. */
export function leafRouterId(leaf: number): string {
  return `10.255.1.${leaf}`;
}

/** Router id of spine `s`. */
export function spineRouterId(spine: number): string {
  return `10.255.2.${spine}`;
}

/** Overlay (VXLAN) address of host number `n`. */
export function overlayAddress(n: number): string {
  return `10.2.0.${n}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function ecmp(hops: readonly { via: string; dev: string }[]): string {
  return hops.map((h) => `nexthop via ${h.via} dev ${h.dev}`).join(" ");
}

interface HostRef {
  readonly n: number;
  readonly leaf: number;
  readonly j: number;
}

function hostsOf(t: LabTopology): HostRef[] {
  return range(t.leaves).flatMap((leaf) =>
    range(t.hostsPerLeaf).map((j) => ({ n: (leaf - 1) * t.hostsPerLeaf + j, leaf, j })),
  );
}

function leafBatch(t: LabTopology, i: number, hosts: readonly HostRef[]): string[] {
  const up = (dev: string) => `link set ${dev} up`;
  const lines = ["link set lo up", `addr add ${leafRouterId(i)}/32 dev lo`];
  lines.push("link add br-hosts type bridge stp_state 0", `addr add 10.1.${i}.1/24 dev br-hosts`, up("br-hosts"));
  for (const h of hosts.filter((x) => x.leaf === i)) lines.push(`link set h${h.n} master br-hosts`, up(`h${h.n}`));
  const uplinks = range(t.spines).map((s) => ({ via: `10.0.${linkNumber(t, i, s)}.1`, dev: `spine${s}` }));
  for (const s of range(t.spines))
    lines.push(`addr add 10.0.${linkNumber(t, i, s)}.0/31 dev spine${s}`, up(`spine${s}`));
  for (const s of range(t.spines)) lines.push(`route add ${spineRouterId(s)}/32 via 10.0.${linkNumber(t, i, s)}.1`);
  for (const k of range(t.leaves).filter((k) => k !== i)) {
    lines.push(`route add 10.1.${k}.0/24 ${ecmp(uplinks)}`, `route add ${leafRouterId(k)}/32 ${ecmp(uplinks)}`);
  }
  return lines;
}

function spineBatch(t: LabTopology, s: number): string[] {
  const lines = ["link set lo up", `addr add ${spineRouterId(s)}/32 dev lo`];
  for (const i of range(t.leaves)) {
    const l = linkNumber(t, i, s);
    lines.push(`addr add 10.0.${l}.1/31 dev leaf${i}`, `link set leaf${i} up`);
    lines.push(`route add 10.1.${i}.0/24 via 10.0.${l}.0`, `route add ${leafRouterId(i)}/32 via 10.0.${l}.0`);
  }
  const downlinks = range(t.leaves).map((i) => ({ via: `10.0.${linkNumber(t, i, s)}.0`, dev: `leaf${i}` }));
  for (const o of range(t.spines).filter((o) => o !== s))
    lines.push(`route add ${spineRouterId(o)}/32 ${ecmp(downlinks)}`);
  return lines;
}

function hostBatches(t: LabTopology, h: HostRef, all: readonly HostRef[]): { ip: string[]; bridge: string[] } {
  const addr = hostAddress(h.leaf, h.j);
  const ip = [
    "link set lo up",
    `addr add ${addr}/24 dev eth0`,
    "link set eth0 up",
    `route add default via 10.1.${h.leaf}.1`,
  ];
  const bridge: string[] = [];
  if (t.vxlan !== false) {
    const { vni, port } = t.vxlan;
    ip.push(`link add vxlan0 type vxlan id ${vni} local ${addr} dstport ${port} dev eth0 nolearning`);
    ip.push(`addr add ${overlayAddress(h.n)}/24 dev vxlan0`, "link set vxlan0 up");
    // Head-end replication: broadcast and unknown unicast go to every other VTEP.
    for (const o of all.filter((o) => o.n !== h.n)) {
      bridge.push(`fdb append 00:00:00:00:00:00 dev vxlan0 dst ${hostAddress(o.leaf, o.j)}`);
    }
  }
  return { ip, bridge };
}

function analyzerBatch(): string[] {
  return [
    "link set lo up",
    `addr add ${ANALYZER_ADDRESS}/24 dev eth0`,
    "link set eth0 up",
    "route add default via 10.1.1.1",
  ];
}

/** Expands a topology into the full lab plan for namespace prefix `prefix`. Pure. */
export function planLab(prefix: string, t: LabTopology, options: PlanOptions = {}): LabPlan {
  const hosts = hostsOf(t);
  const ns = (node: string) => namespaceOf(prefix, node);
  const links: PlannedLink[] = [];
  for (const h of hosts)
    links.push({ a: { node: `leaf${h.leaf}`, ifname: `h${h.n}` }, b: { node: `h${h.n}`, ifname: "eth0" } });
  for (const i of range(t.leaves)) {
    for (const s of range(t.spines))
      links.push({ a: { node: `leaf${i}`, ifname: `spine${s}` }, b: { node: `spine${s}`, ifname: `leaf${i}` } });
  }
  const nodes: PlannedNode[] = [];
  for (const h of hosts) {
    const b = hostBatches(t, h, hosts);
    const name = `h${h.n}`;
    nodes.push({
      name,
      role: "host",
      namespace: ns(name),
      address: hostAddress(h.leaf, h.j),
      leaf: h.leaf,
      ipBatch: b.ip,
      bridgeBatch: b.bridge,
    });
  }
  for (const i of range(t.leaves)) {
    const name = `leaf${i}`;
    const ipBatch = leafBatch(t, i, hosts);
    // The analyzer's veth joins leaf 1's host bridge like a host's.
    if (options.analyzer === true && i === 1)
      ipBatch.push(`link set ${ANALYZER_NODE} master br-hosts`, `link set ${ANALYZER_NODE} up`);
    nodes.push({
      name,
      role: "leaf",
      namespace: ns(name),
      address: leafRouterId(i),
      leaf: i,
      ipBatch,
      bridgeBatch: [],
    });
  }
  for (const s of range(t.spines)) {
    const name = `spine${s}`;
    nodes.push({
      name,
      role: "spine",
      namespace: ns(name),
      address: spineRouterId(s),
      ipBatch: spineBatch(t, s),
      bridgeBatch: [],
    });
  }
  if (options.analyzer === true) {
    links.push({ a: { node: "leaf1", ifname: ANALYZER_NODE }, b: { node: ANALYZER_NODE, ifname: "eth0" } });
    nodes.push({
      name: ANALYZER_NODE,
      role: "analyzer",
      namespace: ns(ANALYZER_NODE),
      address: ANALYZER_ADDRESS,
      leaf: 1,
      ipBatch: analyzerBatch(),
      bridgeBatch: [],
    });
  }
  return { prefix, topology: t, nodes, links };
}
