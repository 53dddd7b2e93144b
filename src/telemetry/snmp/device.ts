/**
 * One SNMP-managed device as the provider sees it: identity, load, interfaces, addresses and routes, each read through
 * its own {@link CachedRead} (so a table is walked at most once per its cache age however many hops and flows ask), and
 * all columns of a table walked concurrently.
 */
import type { SnmpClient } from "./client.ts";
import { type CacheClock, CachedRead } from "./cached-read.ts";
import { ENTITY, HOST_RESOURCES, ROUTING, SYSTEM, UCD } from "./oids.ts";
import {
  ADDRESS_COLUMNS,
  type CpuTicks,
  cpuTicks,
  cpuUtilisation,
  INTERFACE_COLUMNS,
  mapAddresses,
  mapInterfaces,
  mapRoutes,
  memoryUtilisation,
  type SnmpAddress,
  type SnmpInterface,
  type SnmpRoute,
} from "./tables.ts";
import { asHex, asNumber, asText, byIndex, type SnmpVarbind } from "./values.ts";

/** Identity of a device. */
export interface DeviceIdentity {
  /** sysName. */
  readonly name: string;
  /** ENTITY-MIB serial of the chassis (else the first serial), else `engine:` + snmpEngineID in hex, else empty. */
  readonly serial: string;
  /** sysUpTime, hundredths of a second. */
  readonly upTime: number | null;
}

/** CPU and memory utilisation, percent (null when the device reports neither form). */
export interface DeviceLoad {
  readonly cpu: number | null;
  readonly memory: number | null;
}

/** How long each part stays cached, ms. */
export interface DeviceCacheAges {
  /** sysName, serial (default 60 s). */
  identity: number;
  /** CPU and memory (default 5 s). */
  load: number;
  /** Interface names and counters (default 1 s: counters should be fresh for the agent's rates). */
  interfaces: number;
  /** Addresses (default 30 s). */
  addresses: number;
  /** Routes (default 10 s). */
  routes: number;
}

/** Default cache ages. */
export const DEFAULT_CACHE_AGES: Readonly<DeviceCacheAges> = Object.freeze({
  identity: 60_000,
  load: 5000,
  interfaces: 1000,
  addresses: 30_000,
  routes: 10_000,
});

async function walkAll(client: SnmpClient, columns: readonly string[]): Promise<Map<string, SnmpVarbind[]>> {
  const rows = await Promise.all(columns.map((c) => client.walk(c)));
  return new Map(columns.map((c, i) => [c, rows[i]!]));
}

/** The cached view of one device. */
export class SnmpDevice {
  readonly identity: CachedRead<DeviceIdentity>;
  readonly load: CachedRead<DeviceLoad>;
  readonly interfaces: CachedRead<Map<number, SnmpInterface>>;
  readonly addresses: CachedRead<SnmpAddress[]>;
  readonly routes: CachedRead<SnmpRoute[]>;
  private previousTicks: CpuTicks | null = null;

  constructor(
    readonly client: SnmpClient,
    ages: DeviceCacheAges = DEFAULT_CACHE_AGES,
    private readonly clock: CacheClock = { now: () => Date.now() },
  ) {
    this.identity = new CachedRead(() => this.readIdentity(), ages.identity, clock);
    this.load = new CachedRead(() => this.readLoad(), ages.load, clock);
    this.interfaces = new CachedRead(() => this.readInterfaces(), ages.interfaces, clock);
    this.addresses = new CachedRead(
      async () => mapAddresses(await walkAll(client, ADDRESS_COLUMNS)),
      ages.addresses,
      clock,
    );
    this.routes = new CachedRead(() => this.readRoutes(), ages.routes, clock);
  }

  private async readIdentity(): Promise<DeviceIdentity> {
    const [[name, upTime, engine], classes, serials] = await Promise.all([
      this.client.get([SYSTEM.sysName, SYSTEM.sysUpTime, SYSTEM.snmpEngineId]),
      this.client.walk(ENTITY.entPhysicalClass),
      this.client.walk(ENTITY.entPhysicalSerialNum),
    ]);
    const classOf = byIndex(ENTITY.entPhysicalClass, classes);
    const withSerial = [...byIndex(ENTITY.entPhysicalSerialNum, serials)]
      .map(([idx, v]) => ({ idx, serial: asText(v)?.trim() ?? "" }))
      .filter((s) => s.serial !== "");
    const chassis = withSerial.find((s) => asNumber(classOf.get(s.idx)) === ENTITY.chassisClass) ?? withSerial[0];
    const engineHex = asHex(engine);
    return {
      name: asText(name) ?? "",
      serial: chassis?.serial ?? (engineHex ? `engine:${engineHex}` : ""),
      upTime: asNumber(upTime),
    };
  }

  private async readLoad(): Promise<DeviceLoad> {
    const [hrProcessorLoad, hrStorage, scalars] = await Promise.all([
      this.client.walk(HOST_RESOURCES.hrProcessorLoad),
      walkAll(this.client, [HOST_RESOURCES.hrStorageType, HOST_RESOURCES.hrStorageSize, HOST_RESOURCES.hrStorageUsed]),
      this.client.get([
        UCD.ssCpuIdle,
        UCD.memTotalReal,
        UCD.memAvailReal,
        UCD.ssCpuRawUser,
        UCD.ssCpuRawNice,
        UCD.ssCpuRawSystem,
        UCD.ssCpuRawIdle,
        UCD.ssCpuRawWait,
        UCD.ssCpuRawSteal,
      ]),
    ]);
    const [ssCpuIdle, memTotalReal, memAvailReal, ...raw] = scalars;
    const ticks = cpuTicks(raw);
    const cpu = cpuUtilisation({ hrProcessorLoad, ssCpuIdle, ticks, previousTicks: this.previousTicks });
    if (ticks !== null) this.previousTicks = ticks;
    return { cpu, memory: memoryUtilisation({ hrStorage, memTotalReal, memAvailReal }) };
  }

  private async readInterfaces(): Promise<Map<number, SnmpInterface>> {
    const walks = await walkAll(this.client, INTERFACE_COLUMNS);
    return mapInterfaces(walks, this.clock.now());
  }

  private async readRoutes(): Promise<SnmpRoute[]> {
    const inet = await this.client.walk(ROUTING.inetCidrRouteIfIndex);
    const cidr = inet.length > 0 ? [] : await this.client.walk(ROUTING.ipCidrRouteIfIndex);
    return mapRoutes(inet, cidr);
  }

  /** Closes the device's session. */
  close(): void {
    this.client.close();
  }
}
