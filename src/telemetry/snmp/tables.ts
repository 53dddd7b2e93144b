/**
 * Pure mapping of what an SNMP agent returned into the provider's view of a device: interfaces with their Table 14
 * counters, interface addresses with their subnets, routes, CPU and memory utilisation. No I/O here, so every rule can
 * be tested with recorded values.
 */
import type { InterfaceCounters } from "../provider.ts";
import { type Ipv4Prefix, maskLength, maskOf, ipv4ToNumber } from "../address-match.ts";
import { HOST_RESOURCES, INTERFACES, ROUTING } from "./oids.ts";
import {
  asNumber,
  asText,
  byIndex,
  indexOf,
  quadOf,
  readInetAddress,
  type SnmpValue,
  type SnmpVarbind,
} from "./values.ts";

/** One interface of a device as SNMP reports it. */
export interface SnmpInterface {
  readonly ifIndex: number;
  /** ifName, else ifDescr, else `ifIndex-N`. */
  readonly name: string;
  /** ifAlias (the operator's description), empty when unset. */
  readonly alias: string;
  readonly counters: InterfaceCounters;
  /** ifIndex of the LAG this port is attached to (IEEE8023-LAG-MIB), when it is a LAG member. */
  readonly lag?: number;
}

/** An IPv4 address of the device: the interface holding it and, when known, its subnet length. */
export interface SnmpAddress {
  readonly address: string;
  readonly ifIndex: number;
  readonly prefixLength?: number;
}

/** One route entry (one next hop of a route). */
export interface SnmpRoute {
  readonly prefix: Ipv4Prefix;
  /** Next-hop address; `0.0.0.0` for a connected route. */
  readonly nextHop: string;
  readonly ifIndex: number;
}

/** The columns walked for the interface table (IF-MIB, EtherLike-MIB, IEEE8023-LAG-MIB). */
export const INTERFACE_COLUMNS: readonly string[] = Object.values(INTERFACES);

function column(walks: ReadonlyMap<string, readonly SnmpVarbind[]>, base: string): Map<string, SnmpValue> {
  return byIndex(base, walks.get(base) ?? []);
}

/**
 * Builds the interface table from column walks (keyed by column OID). Counters: unicast, multicast and broadcast from
 * the HC columns (32-bit ifIn/OutUcastPkts and Octets where HC is missing), packets = their sum, RX CRC errors from
 * dot3StatsFCSErrors (else ifInErrors), TX CRC errors from ifOutErrors (no MIB counts transmit CRC errors), drops from
 * ifIn/OutDiscards. A missing counter is 0.
 */
export function mapInterfaces(
  walks: ReadonlyMap<string, readonly SnmpVarbind[]>,
  sampledAtMs: number,
): Map<number, SnmpInterface> {
  const c = Object.fromEntries(INTERFACE_COLUMNS.map((oid) => [oid, column(walks, oid)])) as Record<
    string,
    Map<string, SnmpValue>
  >;
  const col = (oid: string) => c[oid]!;
  const indices = new Set<string>([...col(INTERFACES.ifDescr).keys(), ...col(INTERFACES.ifName).keys()]);
  const out = new Map<number, SnmpInterface>();
  for (const idx of indices) {
    const num = (oid: string) => asNumber(col(oid).get(idx));
    const n = (hc: string, low?: string) => num(hc) ?? (low === undefined ? null : num(low)) ?? 0;
    const rxUc = n(INTERFACES.ifHCInUcastPkts, INTERFACES.ifInUcastPkts);
    const rxMc = n(INTERFACES.ifHCInMulticastPkts);
    const rxBc = n(INTERFACES.ifHCInBroadcastPkts);
    const txUc = n(INTERFACES.ifHCOutUcastPkts, INTERFACES.ifOutUcastPkts);
    const txMc = n(INTERFACES.ifHCOutMulticastPkts);
    const txBc = n(INTERFACES.ifHCOutBroadcastPkts);
    const counters: InterfaceCounters = {
      rxUcPkts: rxUc,
      rxMcPkts: rxMc,
      rxBcPkts: rxBc,
      rxPkts: rxUc + rxMc + rxBc,
      txUcPkts: txUc,
      txMcPkts: txMc,
      txBcPkts: txBc,
      txPkts: txUc + txMc + txBc,
      rxCrcError: num(INTERFACES.dot3StatsFCSErrors) ?? n(INTERFACES.ifInErrors),
      txCrcError: n(INTERFACES.ifOutErrors),
      rxDropPkt: n(INTERFACES.ifInDiscards),
      txDropPkt: n(INTERFACES.ifOutDiscards),
      rxBytes: n(INTERFACES.ifHCInOctets, INTERFACES.ifInOctets),
      txBytes: n(INTERFACES.ifHCOutOctets, INTERFACES.ifOutOctets),
      sampledAtMs,
    };
    const ifIndex = Number(idx);
    const name =
      asText(col(INTERFACES.ifName).get(idx)) || asText(col(INTERFACES.ifDescr).get(idx)) || `ifIndex-${idx}`;
    const lag = num(INTERFACES.dot3adAggPortAttachedAggId);
    out.set(ifIndex, {
      ifIndex,
      name,
      alias: asText(col(INTERFACES.ifAlias).get(idx)) ?? "",
      counters,
      ...(lag !== null && lag > 0 && lag !== ifIndex ? { lag } : {}),
    });
  }
  return out;
}

/** The columns walked for the address table. */
export const ADDRESS_COLUMNS: readonly string[] = [
  ROUTING.ipAddressIfIndex,
  ROUTING.ipAddressPrefix,
  ROUTING.ipAdEntIfIndex,
  ROUTING.ipAdEntNetMask,
];

/**
 * IPv4 addresses of the device from ipAddressIfIndex (RFC 4293; prefix length from the last sub-identifier of
 * ipAddressPrefix) merged with the older ipAdEntIfIndex/ipAdEntNetMask (RFC 1213), which fills what the first lacks.
 */
export function mapAddresses(walks: ReadonlyMap<string, readonly SnmpVarbind[]>): SnmpAddress[] {
  const found = new Map<string, { ifIndex: number; prefixLength?: number }>();
  const prefixes = column(walks, ROUTING.ipAddressPrefix);
  for (const row of walks.get(ROUTING.ipAddressIfIndex) ?? []) {
    const index = indexOf(ROUTING.ipAddressIfIndex, row.oid);
    const ifIndex = asNumber(row.value);
    if (index === null || ifIndex === null) continue;
    const addr = readInetAddress(index, 0);
    if (addr?.address == null || addr.next !== index.length) continue;
    const pointer = prefixes.get(index.join("."));
    const last = typeof pointer === "string" ? Number(pointer.split(".").at(-1)) : Number.NaN;
    found.set(addr.address, { ifIndex, ...(Number.isInteger(last) && last <= 32 ? { prefixLength: last } : {}) });
  }
  const masks = column(walks, ROUTING.ipAdEntNetMask);
  for (const row of walks.get(ROUTING.ipAdEntIfIndex) ?? []) {
    const index = indexOf(ROUTING.ipAdEntIfIndex, row.oid);
    const address = index === null ? null : quadOf(index);
    const ifIndex = asNumber(row.value);
    if (address === null || ifIndex === null) continue;
    const mask = masks.get(index!.join("."));
    const len = typeof mask === "string" ? maskLength(mask) : null;
    const known = found.get(address);
    const prefixLength = known?.prefixLength ?? len ?? undefined;
    found.set(address, { ifIndex: known?.ifIndex ?? ifIndex, ...(prefixLength === undefined ? {} : { prefixLength }) });
  }
  return [...found].map(([address, v]) => ({ address, ...v }));
}

/**
 * IPv4 routes from inetCidrRouteIfIndex (RFC 4292) or, when that table is empty, ipCidrRouteIfIndex (RFC 2096); one
 * entry per next hop.
 */
export function mapRoutes(inetRows: readonly SnmpVarbind[], cidrRows: readonly SnmpVarbind[]): SnmpRoute[] {
  const out: SnmpRoute[] = [];
  for (const row of inetRows) {
    const index = indexOf(ROUTING.inetCidrRouteIfIndex, row.oid);
    const ifIndex = asNumber(row.value);
    if (index === null || ifIndex === null) continue;
    const dest = readInetAddress(index, 0);
    if (dest?.address == null) continue;
    const length = index[dest.next];
    const policyLen = index[dest.next + 1];
    if (length === undefined || length > 32 || policyLen === undefined) continue;
    const hop = readInetAddress(index, dest.next + 2 + policyLen);
    if (hop?.address == null) continue;
    const network = (ipv4ToNumber(dest.address)! & maskOf(length)) >>> 0;
    out.push({ prefix: { network, length }, nextHop: hop.address, ifIndex });
  }
  if (out.length > 0) return out;
  for (const row of cidrRows) {
    const index = indexOf(ROUTING.ipCidrRouteIfIndex, row.oid);
    const ifIndex = asNumber(row.value);
    if (index === null || ifIndex === null || index.length !== 13) continue;
    const dest = quadOf(index.slice(0, 4));
    const mask = quadOf(index.slice(4, 8));
    const hop = quadOf(index.slice(9, 13));
    const length = mask === null ? null : maskLength(mask);
    if (dest === null || hop === null || length === null) continue;
    out.push({ prefix: { network: (ipv4ToNumber(dest)! & maskOf(length)) >>> 0, length }, nextHop: hop, ifIndex });
  }
  return out;
}

/** Raw CPU tick counters (UCD ssCpuRaw*) of one sample. */
export interface CpuTicks {
  busy: number;
  total: number;
}

/** CPU inputs: hrProcessorLoad rows, ssCpuIdle, and ssCpuRaw ticks now and at the previous sample. */
export interface CpuInputs {
  hrProcessorLoad: readonly SnmpVarbind[];
  ssCpuIdle: SnmpValue;
  ticks: CpuTicks | null;
  previousTicks: CpuTicks | null;
}

/**
 * CPU utilisation, percent: the mean of hrProcessorLoad over processors; else 100 − ssCpuIdle; else from ssCpuRaw
 * ticks (busy share of the ticks since the previous sample, or since boot on the first); null when none is available.
 */
export function cpuUtilisation(inputs: CpuInputs): number | null {
  const loads = inputs.hrProcessorLoad.map((r) => asNumber(r.value)).filter((n): n is number => n !== null);
  if (loads.length > 0) return loads.reduce((a, b) => a + b, 0) / loads.length;
  const idle = asNumber(inputs.ssCpuIdle);
  if (idle !== null) return Math.min(100, Math.max(0, 100 - idle));
  const now = inputs.ticks;
  if (now === null) return null;
  const prev = inputs.previousTicks;
  const dTotal = prev === null ? now.total : now.total - prev.total;
  const dBusy = prev === null ? now.busy : now.busy - prev.busy;
  if (dTotal <= 0) return prev === null || now.total <= 0 ? null : (100 * now.busy) / now.total;
  return Math.min(100, Math.max(0, (100 * dBusy) / dTotal));
}

/** CPU ticks from ssCpuRaw user, nice, system, idle, wait, steal (busy = user + nice + system + steal). */
export function cpuTicks(values: readonly SnmpValue[]): CpuTicks | null {
  const [user, nice, system, idle, wait, steal] = values.map(asNumber);
  if (user == null || system == null || idle == null) return null;
  const busy = user + (nice ?? 0) + system + (steal ?? 0);
  return { busy, total: busy + idle + (wait ?? 0) };
}

/** Memory inputs: hrStorage columns and the UCD scalars. */
export interface MemoryInputs {
  hrStorage: ReadonlyMap<string, readonly SnmpVarbind[]>;
  memTotalReal: SnmpValue;
  memAvailReal: SnmpValue;
}

/**
 * Memory utilisation, percent: hrStorageUsed / hrStorageSize of the hrStorageRam row; else
 * (memTotalReal − memAvailReal) / memTotalReal (UCD); null when neither is available.
 */
export function memoryUtilisation(inputs: MemoryInputs): number | null {
  const types = column(inputs.hrStorage, HOST_RESOURCES.hrStorageType);
  const sizes = column(inputs.hrStorage, HOST_RESOURCES.hrStorageSize);
  const used = column(inputs.hrStorage, HOST_RESOURCES.hrStorageUsed);
  for (const [idx, type] of types) {
    if (typeof type !== "string" || type.replace(/^\./, "") !== HOST_RESOURCES.hrStorageRam) continue;
    const size = asNumber(sizes.get(idx));
    const u = asNumber(used.get(idx));
    if (size !== null && u !== null && size > 0) return Math.min(100, (100 * u) / size);
  }
  const total = asNumber(inputs.memTotalReal);
  const avail = asNumber(inputs.memAvailReal);
  if (total !== null && avail !== null && total > 0) return Math.min(100, Math.max(0, (100 * (total - avail)) / total));
  return null;
}
