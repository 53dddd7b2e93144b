/**
 * The oracles of the path proof (test/netns/path-proof.test.ts, issue 6 "Tests"), each independent of flowlens:
 * - per-tuple nftables counters in every router (a table `flpathproof` of our own, one named counter per tuple and
 *   ingress interface on the forward hook, matching the exact 5-tuple) show which routers real packets of a tuple
 *   crossed, and on which interface they came in;
 * - real packets of a tuple sent from a host by python3 (UDP datagrams, TCP SYNs) with that exact source port;
 * - each router's own `ip route get DST from SRC iif IN ipproto P sport S dport D`, walked hop by hop;
 * - scamper's `trace -P udp-paris -s SPORT -d DPORT` (scamper 20211212 holds both ports fixed).
 * A path is the list of addresses an ICMP Time Exceeded would come from: each router's ingress interface address
 * (the lab sets `icmp_errors_use_inbound_ifaddr=1`).
 */
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";

/** The transport part of a flow from one host to another. */
export interface ProofTuple {
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
}

/** One router interface: the router's node name and the interface name in its namespace. */
export interface RouterPort {
  router: string;
  ifname: string;
}

/** Table name of the counters in every router namespace. */
export const COUNTER_TABLE = "flpathproof";

/** Ports the lab uses for itself (VXLAN on the hosts), never drawn. */
const RESERVED_PORTS = new Set([4789]);

/** `n` distinct random tuples of protocol `proto`: source ports 20000-60999, destination ports 1024-60999. */
export function randomTuples(proto: "tcp" | "udp", n: number, taken = new Set<string>()): ProofTuple[] {
  const out: ProofTuple[] = [];
  while (out.length < n) {
    const t: ProofTuple = { proto, sport: randomInt(20_000, 61_000), dport: randomInt(1024, 61_000) };
    const key = `${t.proto}:${t.sport}:${t.dport}`;
    if (taken.has(key) || RESERVED_PORTS.has(t.sport) || RESERVED_PORTS.has(t.dport)) continue;
    taken.add(key);
    out.push(t);
  }
  return out;
}

/** Runs `ip -n NS -j ...` and parses its JSON. @throws Error with ip's stderr when it fails. */
function ipJson<T>(ns: string, args: readonly string[]): T {
  const r = spawnSync("ip", ["-n", ns, "-j", ...args], { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ip -n ${ns} ${args.join(" ")}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/** The IPv4 addresses of every router, by address: which router and interface hold it (loopback excluded). */
export function routerAddresses(prefix: string, routers: readonly string[]): Map<string, RouterPort> {
  const out = new Map<string, RouterPort>();
  for (const router of routers) {
    const links = ipJson<{ ifname: string; addr_info?: { family: string; local: string }[] }[]>(`${prefix}-${router}`, [
      "addr",
      "show",
    ]);
    for (const l of links) {
      if (l.ifname === "lo") continue;
      for (const a of l.addr_info ?? []) if (a.family === "inet") out.set(a.local, { router, ifname: l.ifname });
    }
  }
  return out;
}

/** The interfaces of `router` (those holding an IPv4 address), in a stable order. */
export function routerInterfaces(addresses: Map<string, RouterPort>, router: string): string[] {
  return [...addresses.values()]
    .filter((p) => p.router === router)
    .map((p) => p.ifname)
    .sort();
}

const counterName = (tuple: number, port: number) => `t${tuple}i${port}`;

/**
 * Installs the counters in `ns`: table `ip flpathproof`, a forward chain, and for every tuple and ingress interface a
 * named counter `tTiI` behind a rule matching `iifname`, the exact addresses, protocol and both ports.
 * @throws Error with nft's message when the ruleset is refused.
 */
export function installCounters(
  ns: string,
  ifnames: readonly string[],
  src: string,
  dst: string,
  tuples: readonly ProofTuple[],
): void {
  const lines = [`table ip ${COUNTER_TABLE} {`];
  for (let t = 0; t < tuples.length; t++) {
    for (let i = 0; i < ifnames.length; i++) lines.push(`  counter ${counterName(t, i)} { }`);
  }
  lines.push("  chain countfwd {", "    type filter hook forward priority -10; policy accept;");
  tuples.forEach((tuple, t) => {
    ifnames.forEach((ifname, i) => {
      const match = `${tuple.proto} sport ${tuple.sport} ${tuple.proto} dport ${tuple.dport}`;
      lines.push(
        `    iifname "${ifname}" ip saddr ${src} ip daddr ${dst} ${match} counter name "${counterName(t, i)}"`,
      );
    });
  });
  lines.push("  }", "}");
  const r = spawnSync("ip", ["netns", "exec", ns, "nft", "-f", "-"], { input: lines.join("\n"), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`nft in ${ns}: ${r.stderr.trim()}`);
}

/** Packets per counter name in `ns`'s table (see {@link installCounters}). */
export function readCounters(ns: string): Map<string, number> {
  const r = spawnSync("ip", ["netns", "exec", ns, "nft", "-j", "list", "counters", "table", "ip", COUNTER_TABLE], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`nft list counters in ${ns}: ${r.stderr.trim()}`);
  const out = new Map<string, number>();
  const items = (JSON.parse(r.stdout) as { nftables: { counter?: { name: string; packets: number } }[] }).nftables;
  for (const item of items) if (item.counter) out.set(item.counter.name, item.counter.packets);
  return out;
}

/** Counter snapshot of every router: router -> counter name -> packets. */
export type CounterSnapshot = Map<string, Map<string, number>>;

/** Reads the counters of every router in `routers`. */
export function snapshotCounters(prefix: string, routers: readonly string[]): CounterSnapshot {
  return new Map(routers.map((r) => [r, readCounters(`${prefix}-${r}`)]));
}

/**
 * The (router, ingress interface) pairs whose counter of tuple number `t` grew by at least `min` packets between
 * `before` and `after`, and those that grew by less (but moved).
 */
export function movedPorts(
  before: CounterSnapshot,
  after: CounterSnapshot,
  addresses: Map<string, RouterPort>,
  t: number,
  min: number,
): { moved: RouterPort[]; partial: RouterPort[] } {
  const moved: RouterPort[] = [];
  const partial: RouterPort[] = [];
  for (const [router, counters] of after) {
    routerInterfaces(addresses, router).forEach((ifname, i) => {
      const name = counterName(t, i);
      const delta = (counters.get(name) ?? 0) - (before.get(router)?.get(name) ?? 0);
      if (delta >= min) moved.push({ router, ifname });
      else if (delta > 0) partial.push({ router, ifname });
    });
  }
  return { moved, partial };
}

/**
 * Orders the routers a packet crossed into a path of ingress addresses: the first is the one entered on `firstIfname`
 * (a leaf's `br-hosts`), each next one is entered on the interface named after the previous router (the lab names
 * interfaces after the node at the other end). Returns null when the ports do not form one chain.
 */
export function chainPath(
  ports: readonly RouterPort[],
  addresses: Map<string, RouterPort>,
  firstIfname: string,
): string[] | null {
  const addressOf = (p: RouterPort) =>
    [...addresses].find(([, q]) => q.router === p.router && q.ifname === p.ifname)?.[0];
  const path: string[] = [];
  let current = ports.find((p) => p.ifname === firstIfname);
  const used = new Set<RouterPort>();
  while (current !== undefined) {
    used.add(current);
    const address = addressOf(current);
    if (address === undefined) return null;
    path.push(address);
    const previous: string = current.router;
    current = ports.find((p) => !used.has(p) && p.ifname === previous);
  }
  return used.size === ports.length ? path : null;
}

/**
 * Sends `count` real packets of every tuple from `src` to `dst` inside namespace `ns` (python3): UDP datagrams from a
 * socket bound to the exact source port, TCP SYNs by `connect` from a socket bound to it (the destination's RST ends
 * each attempt). @throws Error when python3 fails.
 */
export function sendRealPackets(
  ns: string,
  src: string,
  dst: string,
  tuples: readonly ProofTuple[],
  count: number,
): void {
  const script = `
import json, socket, sys
src, dst, count, tuples = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
for t in tuples:
    for _ in range(count):
        kind = socket.SOCK_DGRAM if t["proto"] == "udp" else socket.SOCK_STREAM
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, t["sport"]))
        if t["proto"] == "udp":
            s.sendto(b"flowlens path proof", (dst, t["dport"]))
        else:
            s.settimeout(2)
            s.connect_ex((dst, t["dport"]))
        s.close()
print("sent")
`;
  const r = spawnSync(
    "ip",
    ["netns", "exec", ns, "python3", "-c", script, src, dst, String(count), JSON.stringify(tuples)],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (r.status !== 0 || r.stdout.trim() !== "sent") throw new Error(`real packets from ${ns}: ${r.stderr.trim()}`);
}

/**
 * The path the routers' own forwarding decisions give for `tuple` from `src` to `dst`: starting at `firstRouter`
 * entered on `firstIfname`, `ip route get DST from SRC iif IN ipproto P sport S dport D` in each router gives the
 * gateway, which is the next router's ingress address; it ends at the router with a connected route (no gateway).
 * @throws Error when a gateway belongs to no router or the walk exceeds 16 routers.
 */
export function routeGetPath(
  prefix: string,
  addresses: Map<string, RouterPort>,
  first: RouterPort,
  src: string,
  dst: string,
  tuple: ProofTuple,
): string[] {
  const firstAddress = [...addresses].find(([, p]) => p.router === first.router && p.ifname === first.ifname)?.[0];
  if (firstAddress === undefined) throw new Error(`no address on ${first.router} ${first.ifname}`);
  const path = [firstAddress];
  let at = first;
  for (let i = 0; i < 16; i++) {
    const ports = ["sport", String(tuple.sport), "dport", String(tuple.dport)];
    const args = ["route", "get", dst, "from", src, "iif", at.ifname, "ipproto", tuple.proto, ...ports];
    const gateway = ipJson<{ gateway?: string }[]>(`${prefix}-${at.router}`, args)[0]?.gateway;
    if (gateway === undefined) return path;
    const next = addresses.get(gateway);
    if (next === undefined) throw new Error(`gateway ${gateway} of ${at.router} is no router's address`);
    path.push(gateway);
    at = next;
  }
  throw new Error(`route walk for ${JSON.stringify(tuple)} exceeded 16 routers`);
}

/**
 * scamper's UDP-Paris trace of `tuple` from namespace `ns` to `dst`: the hop addresses in TTL order ("*" for an
 * unanswered hop), the destination's own answer left out; and whether the destination answered.
 * `trace -P udp-paris -s SPORT -d DPORT -q 1 -w 1`: scamper 20211212 sends every probe with exactly these ports.
 * @throws Error when scamper fails.
 */
export function scamperPath(ns: string, dst: string, tuple: ProofTuple): { hops: string[]; reached: boolean } {
  const command = `trace -P udp-paris -s ${tuple.sport} -d ${tuple.dport} -q 1 -w 1`;
  const r = spawnSync("ip", ["netns", "exec", ns, "scamper", "-c", command, "-i", dst], {
    encoding: "utf8",
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`scamper: ${r.stderr.trim() || `exit ${r.status}`}`);
  const hops: string[] = [];
  let reached = false;
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line);
    if (m === null) continue;
    if (m[2] === dst) {
      reached = true;
      break;
    }
    hops.push(m[2]!);
  }
  return { hops, reached };
}
