/**
 * Shared pieces of the netns lab suites: the root/`ip`/python3 gate, unique lab prefixes, a cleanup that removes a lab
 * even when `up` or a test failed half-way, {@link TestLab} (all three for one suite), and helpers that run commands
 * inside a lab namespace or ask its routers which way a flow goes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { hopdAvailable, type LabState, type LabUpOptions, labDown, labUp } from "../../src/netlab/index.ts";
import { hasProgram, needsProgram, requirement } from "../helpers/requirements.ts";

/** Skip reason (or false): the lab needs root, iproute2 and python3 (the ICMP prober). */
export const LAB_SKIP =
  requirement(process.getuid?.() === 0, "needs root (network namespaces)") ||
  requirement(hasProgram("ip") && hasProgram("bridge"), "ip/bridge not installed (apt-get install iproute2)") ||
  requirement(hasProgram("sysctl"), "sysctl not installed (apt-get install procps)") ||
  requirement(hasProgram("python3"), "python3 not installed (apt-get install python3)");

/**
 * Skip reason (or false) of a lab with hopd and snmpd in every router (`up({ services: { snmpd: true, hopd: true } })`):
 * {@link LAB_SKIP}, a C compiler (the native helper), snmpd, and `flowlens hopd` in this build (asked only when the rest
 * is there: it runs the command once).
 */
export function routerServicesSkip(): string | false {
  return (
    LAB_SKIP ||
    needsProgram("cc", "gcc") ||
    requirement(hasProgram("snmpd"), "snmpd not installed (apt-get install snmpd)") ||
    requirement(hopdAvailable(), "flowlens hopd is not available in this build")
  );
}

const PROBE = fileURLToPath(new URL("./icmp-probe.py", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A lab prefix unique to this process and call (at most 12 characters). */
export function uniquePrefix(tag: string): string {
  return `t${tag}${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`.slice(0, 12);
}

/** Points the lab state files at a fresh temporary directory; returns a function that removes it. */
export function isolateState(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-lab-test-"));
  process.env.FLOWLENS_LAB_STATE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Builds the native probe helper (`scripts/build-native.sh`); fails the calling hook with the build's stderr. */
export function buildNativeHelper(): void {
  const build = spawnSync("bash", ["scripts/build-native.sh"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
}

/**
 * One suite's lab: a unique prefix chosen at once (so names can be built in the `describe` body), `up()` for the
 * suite's `before` (state files isolated, optionally the native helper built, then `lab up`) and `down()` for its
 * `after`, which removes the lab whatever state it is in and the state directory.
 */
export class TestLab {
  /** The lab prefix, from {@link uniquePrefix}. */
  readonly prefix: string;
  #restoreState: () => void = () => {};

  /** `tag`: one or two letters naming the suite in the prefix. */
  constructor(tag: string) {
    this.prefix = uniquePrefix(tag);
  }

  /** The namespace of lab node `node` (`h1`, `leaf1`, ...). */
  readonly ns = (node: string): string => `${this.prefix}-${node}`;

  /** Isolates the state files, builds the native helper unless `native: false`, brings the lab up; returns its state. */
  up(options: Omit<LabUpOptions, "prefix"> & { native?: boolean } = {}): LabState {
    const { native = true, ...lab } = options;
    this.#restoreState = isolateState();
    if (native) buildNativeHelper();
    return labUp({ ...lab, prefix: this.prefix });
  }

  /** Removes the lab ({@link destroyLab}) and its state directory. */
  down(): void {
    destroyLab(this.prefix);
    this.#restoreState();
  }
}

/** `ip netns list` names. */
export function namespaces(): string[] {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/, 1)[0] ?? "")
    .filter((n) => n !== "");
}

/** Namespaces of lab `prefix` that still exist. */
export function labNamespaces(prefix: string): string[] {
  return namespaces().filter((n) => n.startsWith(`${prefix}-`));
}

/** Removes lab `prefix` whatever state it is in: `lab down`, then any namespace of it left over (by exact name). */
export function destroyLab(prefix: string): void {
  try {
    labDown(prefix);
  } catch {
    // No state file (already down, or `up` never wrote it): fall through to the namespaces themselves.
  }
  for (const ns of labNamespaces(prefix)) {
    const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    spawnSync("ip", ["netns", "del", ns]);
  }
}

/** Runs `args` in namespace `ns`; returns trimmed stdout, status and stderr. */
export function inNs(ns: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8", timeout: 20_000 });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/** Runs the ICMP prober (`echo DST` or `udp DST TTL SPORT DPORT`) in namespace `ns`; returns its one output line. */
export function probe(ns: string, args: readonly (string | number)[]): string {
  return inNs(ns, ["python3", PROBE, ...args.map(String)]).stdout;
}

/**
 * Sends one UDP datagram per payload (its UTF-8 bytes) of `flow` inside namespace `ns`, from `src:sport` (bound, so the
 * source port is exact) to `dst:dport`, 2 ms apart, with the kernel's default TTL; fails the calling test when python3
 * fails (e.g. `src` is not an address of `ns`).
 */
export function sendUdp(ns: string, flow: Omit<RouteFlow, "proto">, payloads: readonly string[]): void {
  const py = [
    "import socket,sys,json,time",
    "f=json.loads(sys.argv[1])",
    "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((f['src'],f['sport']))",
    "for x in json.loads(sys.argv[2]):",
    "  s.sendto(x.encode(),(f['dst'],f['dport'])); time.sleep(0.002)",
  ].join("\n");
  const { src, dst, sport, dport } = flow;
  const r = inNs(ns, ["python3", "-c", py, JSON.stringify({ src, dst, sport, dport }), JSON.stringify(payloads)]);
  assert.equal(r.status, 0, r.stderr);
}

/** Reads one sysctl inside namespace `ns`. */
export function sysctl(ns: string, key: string): string {
  return inNs(ns, ["sysctl", "-n", key]).stdout;
}

/** The routers of the default lab. */
export const LAB_ROUTERS = ["leaf1", "leaf2", "spine1", "spine2"] as const;

/** The interface of namespace `ns` holding IPv4 address `address` ("" when none does). */
export function interfaceOf(ns: string, address: string): string {
  const links = JSON.parse(inNs(ns, ["ip", "-j", "-4", "addr", "show"]).stdout) as {
    ifname: string;
    addr_info: { local: string }[];
  }[];
  return links.find((l) => l.addr_info.some((a) => a.local === address))?.ifname ?? "";
}

/** The router of the default lab in the lab of `ns` ({@link LAB_ROUTERS}) holding `address` ("" when none does). */
export function routerOf(ns: (node: string) => string, address: string): string {
  return LAB_ROUTERS.find((r) => interfaceOf(ns(r), address) !== "") ?? "";
}

/** The nexthop devices of `ip route get` in `ns` for UDP from `src:sport` to `dst:dport` arriving on `iif`. */
export function routeGetDevice(
  ns: string,
  dst: string,
  src: string,
  iif: string,
  sport: number,
  dport: number,
): string {
  const r = spawnSync(
    "ip",
    [
      "-n",
      ns,
      "-j",
      "route",
      "get",
      dst,
      "from",
      src,
      "iif",
      iif,
      "ipproto",
      "udp",
      "sport",
      String(sport),
      "dport",
      String(dport),
    ],
    { encoding: "utf8" },
  );
  const routes = JSON.parse(r.stdout) as { dev: string }[];
  return routes[0]?.dev ?? "";
}

/** The gateways of the route to `prefix` in `ns` (one per nexthop; a single-path route gives one). */
export function nexthops(ns: string, prefix: string): string[] {
  const r = spawnSync("ip", ["-n", ns, "-j", "route", "show", prefix], { encoding: "utf8" });
  const routes = JSON.parse(r.stdout) as { gateway?: string; nexthops?: { gateway: string }[] }[];
  const route = routes[0];
  if (route === undefined) return [];
  return route.nexthops?.map((h) => h.gateway) ?? (route.gateway ? [route.gateway] : []);
}

/** Host h1 and host h2 of the default lab, and leaf1's address on h1's segment (the first hop of every h1 trace). */
export const H1 = "10.1.1.11";
export const H2 = "10.1.2.11";
export const LEAF1_HOST_SIDE = "10.1.1.1";

/** A flow as `ip route get` takes it. */
export interface RouteFlow {
  src: string;
  dst: string;
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
}

/** The gateway the kernel of `ns` chooses for `flow` arriving on `iif` (`ip route get ... iif ... ipproto ... sport ... dport ...`). */
export function routeGetGateway(ns: string, flow: RouteFlow, iif: string): string {
  const args = ["-n", ns, "-j", "route", "get", flow.dst, "from", flow.src, "iif", iif, "ipproto", flow.proto];
  const r = spawnSync("ip", [...args, "sport", String(flow.sport), "dport", String(flow.dport)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip route get failed: ${r.stderr.trim()}`);
  const routes = JSON.parse(r.stdout) as { gateway?: string }[];
  return routes[0]?.gateway ?? "";
}

/** The routers a flow from h1's segment crosses in the default lab, by the routers' own `ip route get`. */
export interface FabricPath {
  /** The spine's address on leaf1's link (leaf1's choice for the flow arriving on `br-hosts`). */
  spine: string;
  /** That spine's node name. */
  spineName: "spine1" | "spine2";
  /** leaf2's address on that spine's link (the spine's choice for the flow arriving from leaf1). */
  leaf2: string;
}

/** The spine and leaf2 hops of `flow` (entering the fabric at leaf1 from h1's segment) in the lab of `ns`. */
export function fabricPath(ns: (node: string) => string, flow: RouteFlow): FabricPath {
  const spine = routeGetGateway(ns("leaf1"), flow, "br-hosts");
  const spineName = spine === "10.0.0.1" ? "spine1" : "spine2";
  return { spine, spineName, leaf2: routeGetGateway(ns(spineName), flow, "leaf1") };
}

/**
 * The `[ttl, outcome, responder]` rows probes at TTLs 1..6 from h1 to h2 must give over `path`: leaf1's host-side
 * address, the spine and leaf2 answering Time Exceeded, h2 as the destination at TTL 4, no answer beyond.
 */
export function expectedH1H2Trace(path: Pick<FabricPath, "spine" | "leaf2">): [number, string, string | null][] {
  return [
    [1, "time-exceeded", LEAF1_HOST_SIDE],
    [2, "time-exceeded", path.spine],
    [3, "time-exceeded", path.leaf2],
    [4, "destination", H2],
    [5, "timeout", null],
    [6, "timeout", null],
  ];
}

/** The MAC addresses of the `vxlan0` overlay interfaces of h1 and h2 (`{ h1, h2 }`) in the lab of `ns`. */
export function vxlanMacs(ns: (node: string) => string): { h1: string; h2: string } {
  const mac = (h: string) => {
    const r = spawnSync("ip", ["-n", ns(h), "-j", "link", "show", "vxlan0"], { encoding: "utf8" });
    const address = (JSON.parse(r.stdout) as { address: string }[])[0]?.address;
    assert.ok(address !== undefined, `no vxlan0 in ${ns(h)}: ${r.stderr}`);
    return address;
  };
  return { h1: mac("h1"), h2: mac("h2") };
}
