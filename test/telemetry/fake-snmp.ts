/**
 * A fake SNMP agent for the provider's unit tests: a table of numeric OIDs and values answering `get` and `walk` the way
 * net-snmp's client does (undefined for a missing object, walks in OID order), with an optional delay and failure.
 */
import type { SnmpClient } from "../../src/telemetry/snmp/client.ts";
import type { SnmpValue, SnmpVarbind } from "../../src/telemetry/snmp/values.ts";

function compareOids(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** A fake device: `objects` maps numeric OIDs (no leading dot) to values. */
export class FakeSnmpClient implements SnmpClient {
  readonly objects = new Map<string, SnmpValue>();
  /** Requests served (get and walk calls). */
  requests = 0;
  /** Delay before each answer, ms. */
  delayMs = 0;
  /** When set, every request rejects with it. */
  failure: Error | null = null;
  closed = false;

  constructor(objects: Record<string, SnmpValue> = {}) {
    for (const [k, v] of Object.entries(objects)) this.objects.set(k, v);
  }

  private async answer<T>(value: () => T): Promise<T> {
    this.requests++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failure !== null) throw this.failure;
    return value();
  }

  get(oids: readonly string[]): Promise<SnmpValue[]> {
    return this.answer(() => oids.map((o) => this.objects.get(o)));
  }

  walk(oid: string): Promise<SnmpVarbind[]> {
    return this.answer(() =>
      [...this.objects.keys()]
        .filter((k) => k.startsWith(`${oid}.`))
        .sort(compareOids)
        .map((k) => ({ oid: k, value: this.objects.get(k) })),
    );
  }

  close(): void {
    this.closed = true;
  }
}

/** Counter64 as net-snmp hands it over: big-endian bytes. */
export function counter64(n: bigint): Uint8Array {
  const out: number[] = [];
  let v = n;
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return Uint8Array.from(out);
}

/**
 * A Linux-like router as snmpd shows it: lo (1), `spine1` (2) 10.0.0.0/31, `spine2` (3) 10.0.1.0/31, `br-hosts` (4)
 * 10.1.1.1/24; an ECMP route to 10.1.2.0/24 of which inetCidrRouteTable shows only the first next hop (10.0.0.1 via
 * spine1), no hrProcessorLoad, no ssCpuIdle, raw CPU ticks, hrStorage RAM, no ENTITY-MIB, no LAG table.
 */
export function linuxRouter(): FakeSnmpClient {
  const o: Record<string, SnmpValue> = {
    "1.3.6.1.2.1.1.5.0": Buffer.from("leaf1"),
    "1.3.6.1.2.1.1.3.0": 12345,
    "1.3.6.1.6.3.10.2.1.1.0": Buffer.from([0x80, 0x00, 0x1f, 0x88, 0x04]),
    // ssCpuRaw user, nice, system, idle, wait, steal
    "1.3.6.1.4.1.2021.11.50.0": 300,
    "1.3.6.1.4.1.2021.11.51.0": 0,
    "1.3.6.1.4.1.2021.11.52.0": 100,
    "1.3.6.1.4.1.2021.11.53.0": 1600,
    "1.3.6.1.4.1.2021.11.54.0": 0,
    "1.3.6.1.4.1.2021.11.64.0": 0,
    // hrStorage: 1 = RAM, 3 = virtual memory
    "1.3.6.1.2.1.25.2.3.1.2.1": "1.3.6.1.2.1.25.2.1.2",
    "1.3.6.1.2.1.25.2.3.1.5.1": 1000,
    "1.3.6.1.2.1.25.2.3.1.6.1": 250,
    "1.3.6.1.2.1.25.2.3.1.2.3": "1.3.6.1.2.1.25.2.1.3",
    "1.3.6.1.2.1.25.2.3.1.5.3": 5000,
    "1.3.6.1.2.1.25.2.3.1.6.3": 4000,
  };
  const ifs = [
    [1, "lo"],
    [2, "spine1"],
    [3, "spine2"],
    [4, "br-hosts"],
  ] as const;
  for (const [i, name] of ifs) {
    o[`1.3.6.1.2.1.2.2.1.2.${i}`] = Buffer.from(name);
    o[`1.3.6.1.2.1.31.1.1.1.1.${i}`] = Buffer.from(name);
    o[`1.3.6.1.2.1.31.1.1.1.18.${i}`] = Buffer.from("");
    o[`1.3.6.1.2.1.31.1.1.1.6.${i}`] = counter64(BigInt(i) * 1_000_000n + 7n); // HCInOctets
    o[`1.3.6.1.2.1.31.1.1.1.7.${i}`] = counter64(BigInt(i) * 1000n); // HCInUcast
    o[`1.3.6.1.2.1.31.1.1.1.8.${i}`] = counter64(BigInt(i)); // HCInMulticast
    o[`1.3.6.1.2.1.31.1.1.1.9.${i}`] = counter64(0n);
    o[`1.3.6.1.2.1.31.1.1.1.10.${i}`] = counter64(BigInt(i) * 2_000_000n); // HCOutOctets
    o[`1.3.6.1.2.1.31.1.1.1.11.${i}`] = counter64(BigInt(i) * 2000n);
    o[`1.3.6.1.2.1.31.1.1.1.12.${i}`] = counter64(0n);
    o[`1.3.6.1.2.1.31.1.1.1.13.${i}`] = counter64(0n);
    o[`1.3.6.1.2.1.2.2.1.13.${i}`] = 3; // InDiscards
    o[`1.3.6.1.2.1.2.2.1.14.${i}`] = 4; // InErrors
    o[`1.3.6.1.2.1.2.2.1.19.${i}`] = 5; // OutDiscards
    o[`1.3.6.1.2.1.2.2.1.20.${i}`] = 6; // OutErrors
    if (i > 1) o[`1.3.6.1.2.1.10.7.2.1.3.${i}`] = 1; // dot3StatsFCSErrors
  }
  const addrs = [
    ["127.0.0.1", 1, "255.0.0.0", 8],
    ["10.255.1.1", 1, "255.255.255.255", 32],
    ["10.0.0.0", 2, "255.255.255.254", 31],
    ["10.0.1.0", 3, "255.255.255.254", 31],
    ["10.1.1.1", 4, "255.255.255.0", 24],
  ] as const;
  for (const [a, i, mask] of addrs) {
    o[`1.3.6.1.2.1.4.34.1.3.1.4.${a}`] = i;
    o[`1.3.6.1.2.1.4.20.1.2.${a}`] = i;
    o[`1.3.6.1.2.1.4.20.1.3.${a}`] = mask;
  }
  // inetCidrRouteIfIndex rows: dest.type/len, pfxLen, policy (len 2: 0.0 or len 3: 0.0.N), nh type/len/address
  const route = (dest: string, len: number, policy: string, nh: string, ifIndex: number) => {
    o[`1.3.6.1.2.1.4.24.7.1.7.1.4.${dest}.${len}.${policy}.1.4.${nh}`] = ifIndex;
  };
  route("10.0.0.0", 31, "3.0.0.2", "0.0.0.0", 2);
  route("10.0.1.0", 31, "3.0.0.3", "0.0.0.0", 3);
  route("10.1.1.0", 24, "3.0.0.4", "0.0.0.0", 4);
  route("10.1.2.0", 24, "2.0.0", "10.0.0.1", 2); // ECMP: only the first next hop is listed
  route("10.255.2.1", 32, "2.0.0", "10.0.0.1", 2);
  return new FakeSnmpClient(o);
}
