/**
 * Shared pieces of the netns lab suites: the root/`ip`/python3 gate, unique lab prefixes, a cleanup that removes a lab
 * even when `up` or a test failed half-way, and helpers that run commands inside a lab namespace.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labDown } from "../../src/netlab/index.ts";
import { hasProgram, requirement } from "../helpers/requirements.ts";

/** Skip reason (or false): the lab needs root, iproute2 and python3 (the ICMP prober). */
export const LAB_SKIP =
  requirement(process.getuid?.() === 0, "needs root (network namespaces)") ||
  requirement(hasProgram("ip") && hasProgram("bridge"), "ip/bridge not installed (apt-get install iproute2)") ||
  requirement(hasProgram("sysctl"), "sysctl not installed (apt-get install procps)") ||
  requirement(hasProgram("python3"), "python3 not installed (apt-get install python3)");

const PROBE = fileURLToPath(new URL("./icmp-probe.py", import.meta.url));

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

/** Reads one sysctl inside namespace `ns`. */
export function sysctl(ns: string, key: string): string {
  return inNs(ns, ["sysctl", "-n", key]).stdout;
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
