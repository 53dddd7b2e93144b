/**
 * Device-level Path elements of a hop (compute-agent-api.txt Table 7): `DevName`, `DevSerialID`, `DevCPUUtil`,
 * `DevMEMUtil`, read from the Linux router hopd runs on.
 * - DevName: the configured name, else the name of the network namespace hopd runs in when it is a named one
 *   (`ip netns identify`: lab routers share the host's UTS name), else the host name.
 * - DevSerialID: the configured serial, else `/sys/class/dmi/id/product_serial` (DMI; absent in VMs and containers,
 *   often root-only), else `/etc/machine-id` (with `:<namespace>` appended inside a named network namespace, whose
 *   routers share the host's machine id), else `unknown`.
 * - CPU %: busy share of the `cpu` line of `/proc/stat` between two readings at least a second apart (the first
 *   reading since start compares with boot, i.e. the average since boot).
 * - Memory %: `(MemTotal - MemAvailable) / MemTotal` from `/proc/meminfo` (kernels without MemAvailable: MemFree +
 *   Buffers + Cached stands for it).
 */
import type { HopSystem } from "./system.ts";

/** The `cpu` line of /proc/stat: jiffies spent busy and in total (idle and iowait count as not busy). */
export interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal [guest guest_nice]);
 * guest time is already inside user/nice and is not added again. Null when the line is missing or malformed.
 */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split("\n").find((l) => /^cpu\s/.test(l));
  if (line === undefined) return null;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n) || n < 0)) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** CPU utilisation between two readings, percent 0..100 (0 when no time passed). */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  const busy = after.busy - before.busy;
  if (total <= 0 || busy < 0) return 0;
  return Math.min(100, Math.max(0, (busy / total) * 100));
}

/** Memory utilisation from /proc/meminfo text, percent 0..100; null when MemTotal is missing. */
export function parseMeminfoPercent(text: string): number | null {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]));
  }
  const total = kb.get("MemTotal");
  if (total === undefined || total <= 0) return null;
  const available =
    kb.get("MemAvailable") ?? (kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0);
  return Math.min(100, Math.max(0, ((total - available) / total) * 100));
}

/** Identity and load of the device. */
export interface DeviceInfo {
  devName: string;
  devSerialId: string;
  /** Percent, 0..100, two decimals. */
  cpuUtil: number;
  /** Percent, 0..100, two decimals. */
  memUtil: number;
}

/** Overrides of the device identity (configuration `device`). */
export interface DeviceIdentity {
  name?: string;
  serial?: string;
}

/** Shortest interval over which CPU utilisation is computed, milliseconds. */
export const CPU_MIN_INTERVAL_MS = 1000;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Reads the device's identity once and its load on every call (CPU as the delta since the previous call). */
export class DeviceReader {
  #previous: CpuTimes = { busy: 0, total: 0 };
  #previousAt = Number.NEGATIVE_INFINITY;
  #cpu = 0;
  #identity: Promise<{ name: string; serial: string }> | null = null;

  constructor(
    private readonly system: HopSystem,
    private readonly configured: DeviceIdentity = {},
  ) {}

  /** Name and serial (read once, then kept). */
  identity(): Promise<{ name: string; serial: string }> {
    this.#identity ??= this.#readIdentity();
    return this.#identity;
  }

  async #readIdentity(): Promise<{ name: string; serial: string }> {
    const r = await this.system.run("ip", ["netns", "identify", String(process.pid)]);
    const netns = r.status === 0 ? r.stdout.trim() : "";
    const name = this.configured.name ?? (netns !== "" ? netns : this.system.hostname());
    let serial = this.configured.serial;
    if (serial === undefined) {
      const dmi = (await this.system.readFile("/sys/class/dmi/id/product_serial"))?.trim();
      const machine = (await this.system.readFile("/etc/machine-id"))?.trim();
      if (dmi !== undefined && dmi !== "" && !/^(none|not specified|0+)$/i.test(dmi)) serial = dmi;
      // Namespaces share the host's machine id: the namespace name keeps each lab router's serial its own.
      else if (machine) serial = netns !== "" ? `${machine}:${netns}` : machine;
      else serial = "unknown";
    }
    return { name, serial };
  }

  /** Identity, CPU % since the previous call, memory % now. */
  async read(): Promise<DeviceInfo> {
    const [id, stat, meminfo] = await Promise.all([
      this.identity(),
      this.system.readFile("/proc/stat"),
      this.system.readFile("/proc/meminfo"),
    ]);
    const now = stat === null ? null : parseProcStat(stat);
    // Readings closer than a second apart keep the last figure: a delta of a few jiffies says nothing.
    const at = this.system.now();
    if (now !== null && at - this.#previousAt >= CPU_MIN_INTERVAL_MS) {
      this.#cpu = cpuPercent(this.#previous, now);
      this.#previous = now;
      this.#previousAt = at;
    }
    const cpu = this.#cpu;
    const mem = meminfo === null ? null : parseMeminfoPercent(meminfo);
    return { devName: id.name, devSerialId: id.serial, cpuUtil: round2(cpu), memUtil: round2(mem ?? 0) };
  }
}
