/**
 * Builds, tears down, inspects and enters a lab of network namespaces (see `plan.ts` for the address plan and
 * `docs/netlab.md`). Every address lives inside the lab's own namespaces: veth pairs are created directly inside them
 * (`ip -n A link add … peer … netns B`), so the root namespace never holds a lab interface or route.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { LabError } from "./errors.ts";
import { listNamespaces, mustRun, runCommand, setSysctls } from "./commands.ts";
import { LINK_WAIT_MS, waitForLinksUp } from "./link-wait.ts";
import { HOST_SYSCTLS, type LabPlan, planLab, ROUTER_SYSCTLS } from "./plan.ts";
import { type LabServiceOptions, processRunning, removeServiceFiles, startServices, stopServices } from "./services.ts";
import { type LabState, readState, removeState, requireState, validatePrefix, writeState } from "./state.ts";
import { DEFAULT_TOPOLOGY, type LabTopology } from "./topology.ts";

/** Default lab prefix: namespaces `fllab-h1`, `fllab-leaf1`, … */
export const DEFAULT_LAB_PREFIX = "fllab";

/** Options of {@link labUp}. */
export interface LabUpOptions {
  /** Namespace prefix (default {@link DEFAULT_LAB_PREFIX}). */
  readonly prefix?: string;
  readonly topology?: LabTopology;
  /** Router services to start (snmpd, hopd; docs/netlab.md "Router services"); default none. */
  readonly services?: LabServiceOptions;
  /** Add the analyzer host `an1` (10.1.1.250 on leaf1) for mirrors; default false. */
  readonly analyzer?: boolean;
}

function requireRoot(): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new LabError("ERR_LAB_PRIVILEGE", "the lab needs root (network namespaces): run with sudo");
  }
}

/** The router sysctls this kernel supports: without `fib_multipath_hash_fields`, policy 1 (L4 5-tuple) instead. */
function routerSysctls(warnings: string[]): Record<string, string> {
  const values: Record<string, string> = { ...ROUTER_SYSCTLS };
  // The key is a kernel feature (5.12+), the same in every namespace; its presence in /proc is enough to know.
  if (!existsSync("/proc/sys/net/ipv4/fib_multipath_hash_fields")) {
    delete values["net.ipv4.fib_multipath_hash_fields"];
    values["net.ipv4.fib_multipath_hash_policy"] = "1";
    warnings.push("kernel lacks net.ipv4.fib_multipath_hash_fields: using fib_multipath_hash_policy=1 (L4 hash)");
  }
  return values;
}

function build(plan: LabPlan, warnings: string[]): void {
  const ns = new Map(plan.nodes.map((n) => [n.name, n.namespace]));
  for (const node of plan.nodes) mustRun("ip", ["netns", "add", node.namespace]);
  for (const { a, b } of plan.links) {
    const nsA = ns.get(a.node)!;
    const nsB = ns.get(b.node)!;
    mustRun("ip", ["-n", nsA, "link", "add", a.ifname, "type", "veth", "peer", "name", b.ifname, "netns", nsB]);
  }
  const routerValues = routerSysctls(warnings);
  for (const node of plan.nodes) {
    const router = node.role === "leaf" || node.role === "spine";
    setSysctls(node.namespace, router ? routerValues : HOST_SYSCTLS);
    mustRun("ip", ["-n", node.namespace, "-batch", "-"], `${node.ipBatch.join("\n")}\n`);
    if (node.bridgeBatch.length > 0) {
      mustRun("bridge", ["-n", node.namespace, "-batch", "-"], `${node.bridgeBatch.join("\n")}\n`);
    }
  }
  const down = waitForLinksUp(ns, plan.links);
  if (down.length > 0) warnings.push(`links not up after ${LINK_WAIT_MS} ms: ${down.join(", ")}`);
}

/**
 * Builds a lab and records it in its state file. On failure, removes whatever it made and rethrows.
 * @throws LabError `ERR_LAB_PRIVILEGE`, `ERR_LAB_NAME`, `ERR_LAB_EXISTS` (state file or a namespace already there),
 *   `ERR_LAB_COMMAND`.
 */
export function labUp(options: LabUpOptions = {}): LabState {
  const prefix = validatePrefix(options.prefix ?? DEFAULT_LAB_PREFIX);
  requireRoot();
  if (readState(prefix) !== undefined) {
    throw new LabError("ERR_LAB_EXISTS", `lab "${prefix}" is already up (run: flowlens lab down --name ${prefix})`);
  }
  const plan = planLab(prefix, options.topology ?? DEFAULT_TOPOLOGY, { analyzer: options.analyzer === true });
  const existing = listNamespaces();
  const clash = plan.nodes.find((n) => existing.has(n.namespace));
  if (clash !== undefined) throw new LabError("ERR_LAB_EXISTS", `network namespace ${clash.namespace} already exists`);
  const warnings: string[] = [];
  let state: LabState = {
    version: 1,
    prefix,
    topology: plan.topology,
    namespaces: plan.nodes.map((n) => n.namespace),
    nodes: plan.nodes.map(({ name, role, namespace, address }) => ({ name, role, namespace, address })),
    createdAt: new Date().toISOString(),
    warnings,
  };
  // Recorded before anything is made, so `down` can clean up after a crash half-way.
  writeState(state);
  try {
    build(plan, warnings);
    const services = options.services ?? {};
    if (services.snmpd === true || services.hopd === true) {
      const started = startServices(plan, services, warnings, (recorded) =>
        writeState({ ...state, services: recorded }),
      );
      state = { ...state, services: started.services, serviceFiles: started.files };
    }
  } catch (e) {
    teardown(readState(prefix) ?? state);
    removeState(prefix);
    throw e;
  }
  writeState(state);
  return state;
}

/** Kills the processes inside each namespace (by PID) and deletes the namespaces that exist; returns those deleted. */
function teardown(state: LabState): string[] {
  // The services first, by the PIDs recorded for them (SIGTERM, so they clean up after themselves).
  stopServices(state.services ?? []);
  removeServiceFiles(state.prefix);
  const existing = listNamespaces();
  const removed: string[] = [];
  for (const ns of state.namespaces) {
    if (!existing.has(ns)) continue;
    const pids = runCommand("ip", ["netns", "pids", ns])
      .stdout.split(/\s+/)
      .filter((p) => /^\d+$/.test(p));
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    // Deleting a namespace deletes the veth ends in it, and with them their peers.
    mustRun("ip", ["netns", "del", ns]);
    removed.push(ns);
  }
  return removed;
}

/**
 * Removes everything lab `prefix` made (processes in its namespaces, the namespaces, hence their links) and its state
 * file; returns the namespaces deleted.
 * @throws LabError `ERR_LAB_NOT_FOUND` when no such lab is recorded, `ERR_LAB_PRIVILEGE`, `ERR_LAB_COMMAND`.
 */
export function labDown(prefix: string = DEFAULT_LAB_PREFIX): string[] {
  const state = requireState(validatePrefix(prefix));
  requireRoot();
  const removed = teardown(state);
  removeState(prefix);
  return removed;
}

/** One interface of a node as `lab show` reports it. */
export interface ShownInterface {
  readonly name: string;
  readonly state: string;
  /** Addresses with prefix length, e.g. `10.0.0.0/31`. */
  readonly addresses: readonly string[];
}

/** A service of a node as `lab show` reports it. */
export interface ShownService {
  readonly kind: "snmpd" | "hopd";
  readonly pid: number;
  /** `udp 10.255.1.1:161` or `tcp 10.255.1.1:9090`. */
  readonly listen: string;
  /** Whether the process is still running. */
  readonly running: boolean;
}

/** One node as `lab show` reports it. */
export interface ShownNode {
  readonly name: string;
  readonly role: string;
  readonly namespace: string;
  /** Router id, host or analyzer address. */
  readonly address: string;
  readonly interfaces: readonly ShownInterface[];
  readonly services: readonly ShownService[];
}

interface IpAddrJson {
  ifname: string;
  operstate?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/**
 * Lists the nodes of lab `prefix` with their interfaces and IPv4 addresses, as the kernel reports them now.
 * @throws LabError `ERR_LAB_NOT_FOUND`, `ERR_LAB_COMMAND`.
 */
export function labShow(prefix: string = DEFAULT_LAB_PREFIX): ShownNode[] {
  const state = requireState(validatePrefix(prefix));
  return state.nodes.map((node) => {
    const links = JSON.parse(mustRun("ip", ["-n", node.namespace, "-j", "addr", "show"])) as IpAddrJson[];
    const interfaces = links.map((l) => ({
      name: l.ifname,
      state: l.operstate ?? "UNKNOWN",
      addresses: (l.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`),
    }));
    const services = (state.services ?? [])
      .filter((s) => s.node === node.name)
      .map((s) => ({
        kind: s.kind,
        pid: s.pid,
        listen: `${s.kind === "snmpd" ? "udp" : "tcp"} ${s.address}:${s.port}`,
        running: processRunning(s.pid),
      }));
    return { name: node.name, role: node.role, namespace: node.namespace, address: node.address, interfaces, services };
  });
}

/**
 * The namespace of `node` in lab `prefix`.
 * @throws LabError `ERR_LAB_NOT_FOUND`, or `ERR_LAB_NODE` naming the nodes there are.
 */
export function labNamespace(node: string, prefix: string = DEFAULT_LAB_PREFIX): string {
  const state = requireState(validatePrefix(prefix));
  const found = state.nodes.find((n) => n.name === node);
  if (found === undefined) {
    throw new LabError(
      "ERR_LAB_NODE",
      `no node "${node}" in lab "${prefix}" (nodes: ${state.nodes.map((n) => n.name).join(", ")})`,
    );
  }
  return found.namespace;
}

/**
 * Runs `command` inside `node`'s namespace with the caller's stdio; resolves with its exit status (128 + the signal
 * number when a signal ended it, as shells report it).
 * @throws LabError `ERR_LAB_NOT_FOUND`, `ERR_LAB_NODE`, `ERR_LAB_COMMAND` (when `ip` cannot be started).
 */
export function labExec(
  node: string,
  command: readonly string[],
  prefix: string = DEFAULT_LAB_PREFIX,
): Promise<number> {
  const ns = labNamespace(node, prefix);
  if (command.length === 0)
    throw new LabError("ERR_LAB_COMMAND", "no command to run (flowlens lab exec NODE -- CMD...)");
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, ...command], { stdio: "inherit" });
    child.on("error", (e) =>
      reject(
        new LabError("ERR_LAB_COMMAND", `cannot run ip netns exec (${(e as NodeJS.ErrnoException).code})`, {
          cause: e,
        }),
      ),
    );
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
