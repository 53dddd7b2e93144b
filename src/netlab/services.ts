/**
 * The lab's router services (docs/netlab.md, "Router services"): snmpd and hopd in every router namespace, bound to
 * the router id, started by `lab up` and tracked by PID in the lab state so `lab down` stops exactly those processes.
 * Their files (snmpd.conf per router, pid files, logs, the hopd token, SNMP secrets, a ready-made agent configuration)
 * live in `STATE_DIR/PREFIX/`.
 */
import { randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sleepSync } from "./commands.ts";
import { LabError } from "./errors.ts";
import type { LabPlan, PlannedNode } from "./plan.ts";
import {
  agentConfigYaml,
  LAB_HOPD_PORT,
  LAB_SNMP_COMMUNITY,
  LAB_SNMP_PORT,
  snmpdConfig,
  type AgentConfigFiles,
} from "./service-config.ts";
import { stateDirectory, validatePrefix } from "./state.ts";

/** Which services `lab up` starts (each defaults to off in the API; `flowlens lab up` turns them on). */
export interface LabServiceOptions {
  /** snmpd in every router (needs the `snmpd` program). */
  readonly snmpd?: boolean;
  /** hopd in every router, when `flowlens hopd --help` works in this build. */
  readonly hopd?: boolean;
}

/** A service process recorded in the lab state. */
export interface StateService {
  readonly kind: "snmpd" | "hopd";
  readonly node: string;
  readonly namespace: string;
  readonly pid: number;
  /** Address and port it listens on (the router id; UDP 161 for snmpd, TCP 9090 for hopd). */
  readonly address: string;
  readonly port: number;
  /** Its log file (stdout and stderr). */
  readonly log: string;
}

/** Files of the services, for clients (tests, the agent). */
export interface ServiceFiles {
  /** Directory holding everything below. */
  readonly dir: string;
  /** Agent configuration with the lab's telemetry section. */
  readonly agentConfig: string;
  readonly hopdToken?: string;
  /** SNMPv2c community, and SNMPv3 authentication and privacy passphrases (one line each). */
  readonly snmpCommunity?: string;
  readonly snmpAuthKey?: string;
  readonly snmpPrivKey?: string;
}

/** Directory of the service files of lab `prefix`. */
export function servicesDirectory(prefix: string): string {
  return join(stateDirectory(), validatePrefix(prefix));
}

/** The repository's (or package's) `bin/flowlens.js`, from src/netlab/ or from the bundle in dist/. */
export function flowlensBin(): string | undefined {
  for (const rel of ["../../bin/flowlens.js", "../bin/flowlens.js"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

let hopdChecked: boolean | undefined;

/** Whether this build has `flowlens hopd` (`flowlens hopd --help` exits 0); checked once per process. */
export function hopdAvailable(): boolean {
  if (hopdChecked === undefined) {
    const bin = flowlensBin();
    hopdChecked =
      bin !== undefined &&
      spawnSync(process.execPath, [bin, "hopd", "--help"], { stdio: "ignore", timeout: 60_000 }).status === 0;
  }
  return hopdChecked;
}

/** Whether `snmpd` is installed. */
export function snmpdAvailable(): boolean {
  return spawnSync("sh", ["-c", "command -v snmpd"], { stdio: "ignore" }).status === 0;
}

/** `/proc/net/{udp,tcp}` spelling of `address:port` (both byte orders of the address, hex, upper case). */
function procSocketKeys(address: string, port: number): string[] {
  const bytes = address.split(".").map((b) => Number(b).toString(16).toUpperCase().padStart(2, "0"));
  const p = port.toString(16).toUpperCase().padStart(4, "0");
  return [`${[...bytes].reverse().join("")}:${p}`, `${bytes.join("")}:${p}`];
}

/** Whether process `pid` (inside its namespace) has a socket bound to `address:port` (TCP: listening). */
function listening(pid: number, proto: "udp" | "tcp", address: string, port: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/${proto}`, "utf8");
  } catch {
    return false;
  }
  const keys = procSocketKeys(address, port);
  return text.split("\n").some((line) => {
    const f = line.trim().split(/\s+/);
    return keys.includes(f[1] ?? "") && (proto === "udp" || f[3] === "0A");
  });
}

/** Whether `pid` runs (a zombie, killed but not yet reaped by its parent, does not). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may itself hold spaces or parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const alive = processRunning;

function spawnInNamespace(ns: string, argv: readonly string[], log: string, env: NodeJS.ProcessEnv): number {
  const fd = openSync(log, "a", 0o600);
  try {
    // `ip netns exec` execs the program, so the child's PID is the service's own.
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { detached: true, stdio: ["ignore", fd, fd], env });
    if (child.pid === undefined) throw new LabError("ERR_LAB_COMMAND", `cannot start ${argv[0]} in ${ns}`);
    child.on("error", () => {});
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

function writeSecret(path: string, value: string): string {
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}

/** Waits until every service listens (or died, or `timeoutMs` passed); returns the ones that did not come up. */
function awaitListening(services: readonly StateService[], timeoutMs: number): StateService[] {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...services];
  while (waiting.length > 0 && Date.now() < deadline) {
    waiting = waiting.filter(
      (s) => alive(s.pid) && !listening(s.pid, s.kind === "snmpd" ? "udp" : "tcp", s.address, s.port),
    );
    if (waiting.length > 0) sleepSync(100);
  }
  return waiting.filter((s) => !listening(s.pid, s.kind === "snmpd" ? "udp" : "tcp", s.address, s.port));
}

/**
 * Starts the requested services in every router of `plan` and waits until they listen. A service that does not come
 * up is stopped and reported in `warnings` (the lab stays usable without it); a missing `snmpd` or `hopd` likewise.
 * Returns the services running and their files.
 */
export function startServices(
  plan: LabPlan,
  options: LabServiceOptions,
  warnings: string[],
  record: (services: readonly StateService[]) => void,
): { services: StateService[]; files: ServiceFiles } {
  const dir = servicesDirectory(plan.prefix);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const routers = plan.nodes.filter((n) => n.role === "leaf" || n.role === "spine");
  const files: { -readonly [K in keyof ServiceFiles]: ServiceFiles[K] } = { dir, agentConfig: join(dir, "agent.yaml") };
  const started: StateService[] = [];
  let wantSnmpd = options.snmpd === true;
  if (wantSnmpd && !snmpdAvailable()) {
    warnings.push("snmpd is not installed (apt-get install snmpd): routers run without SNMP");
    wantSnmpd = false;
  }
  let wantHopd = options.hopd === true;
  if (wantHopd && !hopdAvailable()) {
    warnings.push("flowlens hopd is not available in this build: routers run without hopd");
    wantHopd = false;
  }
  if (wantSnmpd) {
    files.snmpCommunity = writeSecret(join(dir, "snmp.community"), LAB_SNMP_COMMUNITY);
    const keys = { auth: randomBytes(12).toString("hex"), priv: randomBytes(12).toString("hex") };
    files.snmpAuthKey = writeSecret(join(dir, "snmp-auth.key"), keys.auth);
    files.snmpPrivKey = writeSecret(join(dir, "snmp-priv.key"), keys.priv);
    mkdirSync(join(dir, "mibs"), { recursive: true });
    for (const r of routers) started.push(startSnmpd(plan.prefix, dir, r, keys));
  }
  if (wantHopd) {
    files.hopdToken = writeSecret(join(dir, "hopd.token"), randomBytes(24).toString("hex"));
    for (const r of routers) started.push(startHopd(dir, r, files.hopdToken));
  }
  // Recorded before waiting, so `down` finds them even if this process dies now.
  record(started);
  const failed = awaitListening(started, 60_000);
  for (const s of failed) {
    warnings.push(`${s.kind} in ${s.node} did not start listening on ${s.address}:${s.port} (see ${s.log})`);
    stopService(s);
  }
  const services = started.filter((s) => !failed.includes(s));
  const config: AgentConfigFiles = {
    ...(services.some((s) => s.kind === "hopd") ? { hopdToken: files.hopdToken } : {}),
    ...(services.some((s) => s.kind === "snmpd") ? { community: files.snmpCommunity } : {}),
  };
  writeFileSync(files.agentConfig, agentConfigYaml(routers, config), { mode: 0o600 });
  return { services, files };
}

function startSnmpd(prefix: string, dir: string, r: PlannedNode, keys: { auth: string; priv: string }): StateService {
  const conf = join(dir, `snmpd-${r.name}.conf`);
  writeFileSync(conf, snmpdConfig(prefix, r, keys), { mode: 0o600 });
  const persist = join(dir, `snmpd-${r.name}.d`);
  mkdirSync(persist, { recursive: true, mode: 0o700 });
  const log = join(dir, `snmpd-${r.name}.log`);
  const argv = ["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p", join(dir, `snmpd-${r.name}.pid`)];
  // Own persistent directory (engine boots, USM keys) per router; no MIB files loaded (numeric OIDs suffice).
  const env = { ...process.env, SNMP_PERSISTENT_DIR: persist, MIBS: "", MIBDIRS: join(dir, "mibs") };
  const pid = spawnInNamespace(r.namespace, [...argv, `udp:${r.address}:${LAB_SNMP_PORT}`], log, env);
  return { kind: "snmpd", node: r.name, namespace: r.namespace, pid, address: r.address, port: LAB_SNMP_PORT, log };
}

function startHopd(dir: string, r: PlannedNode, token: string): StateService {
  const log = join(dir, `hopd-${r.name}.log`);
  const bin = flowlensBin()!;
  const argv = [
    process.execPath,
    bin,
    "hopd",
    "--host",
    r.address,
    "--port",
    String(LAB_HOPD_PORT),
    "--token-file",
    token,
  ];
  const pid = spawnInNamespace(r.namespace, argv, log, process.env);
  return { kind: "hopd", node: r.name, namespace: r.namespace, pid, address: r.address, port: LAB_HOPD_PORT, log };
}

/** Whether `pid` still runs the recorded service (guards against a reused PID). */
function isService(s: StateService): boolean {
  try {
    const cmdline = readFileSync(`/proc/${s.pid}/cmdline`, "utf8");
    return s.kind === "snmpd" ? cmdline.includes("snmpd") : cmdline.includes("hopd");
  } catch {
    return false;
  }
}

/** Stops one service by its PID: SIGTERM, then SIGKILL after 3 s. */
export function stopService(s: StateService): void {
  stopServices([s]);
}

/** Stops services by PID (SIGTERM, SIGKILL for those still running after 3 s); PIDs no longer theirs are left alone. */
export function stopServices(services: readonly StateService[]): void {
  const running = services.filter(isService);
  for (const s of running) {
    try {
      process.kill(s.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 3000;
  while (running.some((s) => alive(s.pid)) && Date.now() < deadline) sleepSync(50);
  for (const s of running.filter((x) => alive(x.pid) && isService(x))) {
    try {
      process.kill(s.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Removes the service files of lab `prefix`. */
export function removeServiceFiles(prefix: string): void {
  rmSync(servicesDirectory(prefix), { recursive: true, force: true });
}
