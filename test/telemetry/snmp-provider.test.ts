/**
 * The SNMP provider against a fake agent shaped like Linux snmpd: value mapping (names, counters, CPU, memory), the
 * ingress interface from ipAddressIfIndex, the egress from the route table with the ECMP member inferred from the next
 * responder, LAG members, the fallbacks between MIBs, caching and the timeout that never stalls a round.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HopQuery } from "../../src/telemetry/provider.ts";
import type { SnmpTarget } from "../../src/telemetry/snmp/client.ts";
import { SnmpTelemetryError } from "../../src/telemetry/snmp/errors.ts";
import { SnmpProvider } from "../../src/telemetry/snmp/snmp-provider.ts";
import { counter64, type FakeSnmpClient, linuxRouter } from "./fake-snmp.ts";

const flow = {
  kind: "flow",
  flow: { src: "10.1.1.11", dst: "10.1.2.11", proto: "udp", sport: 4000, dport: 5000 },
  checksum: true,
} as const;

function query(responder: string, nextResponder?: string): HopQuery {
  return { responder, target: flow, bwIngress: false, ...(nextResponder === undefined ? {} : { nextResponder }) };
}

function providerWith(client: FakeSnmpClient, extra: { timeoutMs?: number; host?: string } = {}) {
  const targets: SnmpTarget[] = [];
  const provider = new SnmpProvider({
    devices: [
      {
        match: ["10.1.1.1", "10.0.0.0/31", "10.0.1.0/31"],
        host: extra.host ?? "10.255.1.1",
        credentials: { version: "2c", community: "lab" },
      },
    ],
    timeoutMs: extra.timeoutMs ?? 500,
    clientFactory: (t) => {
      targets.push(t);
      return client;
    },
  });
  return { provider, targets };
}

describe("SNMP provider: value mapping", () => {
  test("device name, serial from snmpEngineID, CPU from raw ticks, memory from the hrStorage RAM row", async () => {
    const { provider, targets } = providerWith(linuxRouter());
    const t = await provider.hop(query("10.1.1.1", "10.0.0.1"));
    assert.ok(t);
    assert.equal(t.devName, "leaf1");
    assert.equal(t.devSerialId, "engine:80001f8804");
    assert.equal(t.cpuUtil, 20); // busy 400 of 2000 ticks since boot
    assert.equal(t.memUtil, 25); // 250 of 1000 units of RAM (not the virtual-memory row)
    assert.equal(t.timestampType, "LCPU");
    assert.equal(t.bandwidth, undefined);
    assert.equal(targets[0]?.host, "10.255.1.1");
    assert.equal(targets[0]?.credentials.version, "2c");
    await provider.close();
  });

  test("the ingress interface is the one holding the responder address, with its Table 14 counters", async () => {
    const { provider } = providerWith(linuxRouter());
    const t = await provider.hop(query("10.1.1.1", "10.0.0.1"));
    assert.ok(t);
    assert.equal(t.ingress.length, 1);
    const c = t.ingress[0]!;
    assert.equal(c.name, "br-hosts");
    assert.equal(c.counters.rxUcPkts, 4000);
    assert.equal(c.counters.rxMcPkts, 4);
    assert.equal(c.counters.rxPkts, 4004);
    assert.equal(c.counters.txPkts, 8000);
    assert.equal(c.counters.rxBytes, 4_000_007);
    assert.equal(c.counters.txBytes, 8_000_000);
    assert.equal(c.counters.rxCrcError, 1); // dot3StatsFCSErrors, not ifInErrors
    assert.equal(c.counters.txCrcError, 6);
    assert.equal(c.counters.rxDropPkt, 3);
    assert.equal(c.counters.txDropPkt, 5);
    await provider.close();
  });

  test("hrProcessorLoad wins over raw ticks; ssCpuIdle is used without it; UCD memory without hrStorage", async () => {
    const client = linuxRouter();
    client.objects.set("1.3.6.1.2.1.25.3.3.1.2.196608", 10);
    client.objects.set("1.3.6.1.2.1.25.3.3.1.2.196609", 30);
    let { provider } = providerWith(client);
    assert.equal((await provider.hop(query("10.1.1.1")))?.cpuUtil, 20);
    await provider.close();

    const ucd = linuxRouter();
    ucd.objects.set("1.3.6.1.4.1.2021.11.11.0", 93);
    for (const k of [...ucd.objects.keys()]) if (k.startsWith("1.3.6.1.2.1.25.2.")) ucd.objects.delete(k);
    ucd.objects.set("1.3.6.1.4.1.2021.4.5.0", 2000);
    ucd.objects.set("1.3.6.1.4.1.2021.4.6.0", 1500);
    ({ provider } = providerWith(ucd));
    const t = await provider.hop(query("10.1.1.1"));
    assert.equal(t?.cpuUtil, 7);
    assert.equal(t?.memUtil, 25);
    await provider.close();
  });

  test("an ENTITY-MIB chassis serial is preferred to the engine id", async () => {
    const client = linuxRouter();
    client.objects.set("1.3.6.1.2.1.47.1.1.1.1.5.1", 9); // module
    client.objects.set("1.3.6.1.2.1.47.1.1.1.1.11.1", Buffer.from("MOD-1"));
    client.objects.set("1.3.6.1.2.1.47.1.1.1.1.5.2", 3); // chassis
    client.objects.set("1.3.6.1.2.1.47.1.1.1.1.11.2", Buffer.from("CHASSIS-42 "));
    const { provider } = providerWith(client);
    assert.equal((await provider.hop(query("10.1.1.1")))?.devSerialId, "CHASSIS-42");
    await provider.close();
  });

  test("32-bit counters stand in where the HC columns are missing", async () => {
    const client = linuxRouter();
    client.objects.delete("1.3.6.1.2.1.31.1.1.1.7.4");
    client.objects.delete("1.3.6.1.2.1.31.1.1.1.6.4");
    client.objects.set("1.3.6.1.2.1.2.2.1.11.4", 77);
    client.objects.set("1.3.6.1.2.1.2.2.1.10.4", 9999);
    const { provider } = providerWith(client);
    const c = (await provider.hop(query("10.1.1.1")))?.ingress[0]?.counters;
    assert.equal(c?.rxUcPkts, 77);
    assert.equal(c?.rxBytes, 9999);
    await provider.close();
  });
});

describe("SNMP provider: egress", () => {
  test("the ECMP member the flow took is inferred from the next responder when the route table lists one next hop", async () => {
    const { provider } = providerWith(linuxRouter());
    const via1 = await provider.hop(query("10.1.1.1", "10.0.0.1"));
    assert.deepEqual(
      via1?.egress.members.map((m) => m.name),
      ["spine1"],
    );
    assert.equal(via1?.egress.chosen, "spine1");
    const via2 = await provider.hop(query("10.1.1.1", "10.0.1.1"));
    assert.deepEqual(
      via2?.egress.members.map((m) => m.name),
      ["spine1", "spine2"],
    );
    assert.equal(via2?.egress.numBuckets, 2);
    assert.equal(via2?.egress.chosen, "spine2");
    await provider.close();
  });

  test("every next hop the table lists is a member; without a next responder the choice is left open", async () => {
    const client = linuxRouter();
    client.objects.set("1.3.6.1.2.1.4.24.7.1.7.1.4.10.1.2.0.24.2.0.0.1.4.10.0.1.1", 3);
    const { provider } = providerWith(client);
    const t = await provider.hop(query("10.1.1.1"));
    assert.deepEqual(
      t?.egress.members.map((m) => m.name),
      ["spine1", "spine2"],
    );
    assert.equal(t?.egress.numBuckets, 2);
    assert.equal(t?.egress.chosen, undefined);
    await provider.close();
  });

  test("ipCidrRouteTable is read when inetCidrRouteTable is empty; ipAdEntIfIndex when ipAddressIfIndex is", async () => {
    const client = linuxRouter();
    for (const k of [...client.objects.keys()]) {
      if (k.startsWith("1.3.6.1.2.1.4.24.7.") || k.startsWith("1.3.6.1.2.1.4.34.")) client.objects.delete(k);
    }
    client.objects.set("1.3.6.1.2.1.4.24.4.1.5.10.1.2.0.255.255.255.0.0.10.0.1.1", 3);
    const { provider } = providerWith(client);
    const t = await provider.hop(query("10.0.1.0"));
    assert.equal(t?.ingress[0]?.name, "spine2");
    assert.deepEqual(
      t?.egress.members.map((m) => m.name),
      ["spine2"],
    );
    assert.equal(t?.egress.chosen, "spine2");
    await provider.close();
  });

  test("subnets come from ipAddressPrefix when the old ipAdEnt table is absent", async () => {
    const client = linuxRouter();
    for (const k of [...client.objects.keys()]) if (k.startsWith("1.3.6.1.2.1.4.20.")) client.objects.delete(k);
    const prefixes = [
      ["10.0.0.0", 2, 31],
      ["10.0.1.0", 3, 31],
      ["10.1.1.1", 4, 24],
    ] as const;
    for (const [a, i, len] of prefixes) {
      const net = a === "10.1.1.1" ? "10.1.1.0" : a;
      client.objects.set(`1.3.6.1.2.1.4.34.1.5.1.4.${a}`, `1.3.6.1.2.1.4.32.1.5.${i}.1.4.${net}.${len}`);
    }
    const { provider } = providerWith(client);
    const t = await provider.hop(query("10.1.1.1", "10.0.1.1"));
    assert.equal(t?.ingress[0]?.name, "br-hosts");
    assert.equal(t?.egress.chosen, "spine2");
    await provider.close();
  });

  test("a LAG member of the egress is reported in l2Ecmp with its ports (IEEE8023-LAG-MIB)", async () => {
    const client = linuxRouter();
    client.objects.set("1.3.6.1.2.1.31.1.1.1.1.10", Buffer.from("ae0"));
    client.objects.set("1.3.6.1.2.1.31.1.1.1.1.11", Buffer.from("xe-0/0/1"));
    client.objects.set("1.3.6.1.2.1.31.1.1.1.1.12", Buffer.from("xe-0/0/2"));
    client.objects.set("1.2.840.10006.300.43.1.2.1.1.13.11", 10);
    client.objects.set("1.2.840.10006.300.43.1.2.1.1.13.12", 10);
    client.objects.set("1.3.6.1.2.1.4.24.7.1.7.1.4.10.1.2.0.24.2.0.0.1.4.10.0.9.1", 10);
    const { provider } = providerWith(client);
    const t = await provider.hop(query("10.1.1.1"));
    assert.deepEqual(
      t?.egress.members.map((m) => m.name),
      ["spine1"],
    );
    assert.equal(t?.egress.numBuckets, 2);
    assert.equal(t?.egress.l2Ecmp.length, 1);
    assert.equal(t?.egress.l2Ecmp[0]?.aeName, "ae0");
    assert.deepEqual(
      t?.egress.l2Ecmp[0]?.members.map((m) => m.name),
      ["xe-0/0/1", "xe-0/0/2"],
    );
    assert.equal(t?.egress.l2Ecmp[0]?.numBuckets, 2);
    await provider.close();
  });

  test("a tunnel's egress follows its outer destination", async () => {
    const { provider } = providerWith(linuxRouter());
    const tunnel = {
      kind: "tunnel",
      tunnel: {
        src: "10.1.1.11",
        dst: "10.255.2.1",
        sport: 1,
        vnid: 5,
        appsrc: "10.2.0.1",
        appdst: "10.2.0.2",
        appsmac: "00:00:00:00:00:01",
        appdmac: "00:00:00:00:00:02",
      },
    } as const;
    const t = await provider.hop({ responder: "10.1.1.1", target: tunnel, bwIngress: false });
    assert.deepEqual(
      t?.egress.members.map((m) => m.name),
      ["spine1"],
    );
    await provider.close();
  });
});

describe("SNMP provider: selection, caching and timeouts", () => {
  test("a responder no rule covers is not this provider's hop (null, no request)", async () => {
    const client = linuxRouter();
    const { provider } = providerWith(client);
    assert.equal(await provider.hop(query("10.9.9.9")), null);
    assert.equal(client.requests, 0);
    await provider.close();
  });

  test("the device is asked at the responder itself when the rule names no host", async () => {
    const seen: string[] = [];
    const provider = new SnmpProvider({
      devices: [{ match: ["10.0.0.0/8"], credentials: { version: "3", user: { name: "u" } } }],
      clientFactory: (t) => {
        seen.push(`${t.host}:${t.port ?? 161}`);
        return linuxRouter();
      },
    });
    await provider.hop(query("10.0.1.0"));
    await provider.hop(query("10.1.1.1"));
    assert.deepEqual(seen, ["10.0.1.0:161", "10.1.1.1:161"]);
    await provider.close();
  });

  test("tables are cached: a second hop of the same device within the cache age costs no request", async () => {
    const client = linuxRouter();
    const { provider } = providerWith(client);
    await provider.hop(query("10.1.1.1", "10.0.0.1"));
    const after = client.requests;
    await provider.hop(query("10.0.0.0", "10.1.1.11"));
    assert.equal(client.requests, after);
    await provider.close();
  });

  test("a dead device fails within the timeout with ERR_SNMP_TIMEOUT", async () => {
    const client = linuxRouter();
    client.delayMs = 1000;
    const { provider } = providerWith(client, { timeoutMs: 100 });
    await assert.rejects(provider.hop(query("10.1.1.1")), (e: unknown) => {
      return e instanceof SnmpTelemetryError && e.code === "ERR_SNMP_TIMEOUT";
    });
    await provider.close();
  });

  test("a timeout is retryable while the device may be slow, and not after two failed reads in a row", async () => {
    const client = linuxRouter();
    client.delayMs = 150;
    client.failure = new Error("Request timed out");
    const { provider } = providerWith(client, { timeoutMs: 50 });
    const retryable: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const e = await provider.hop(query("10.1.1.1")).catch((x: unknown) => x as SnmpTelemetryError);
      assert.ok(e instanceof SnmpTelemetryError && e.code === "ERR_SNMP_TIMEOUT");
      retryable.push(e.retryable);
      await new Promise((r) => setTimeout(r, 500)); // the background read (150 ms) fails meanwhile
    }
    assert.deepEqual(retryable, [true, true, false, false]);
    await provider.close();
  });

  test("a device that turns slow answers within the timeout from its cache", async () => {
    let now = 1_000_000;
    const client = linuxRouter();
    const provider = new SnmpProvider({
      devices: [{ match: ["10.1.1.1"], host: "10.255.1.1", credentials: { version: "2c", community: "x" } }],
      timeoutMs: 100,
      clientFactory: () => client,
      now: () => now,
    });
    const first = await provider.hop(query("10.1.1.1"));
    now += 120_000; // every cache entry is stale
    client.objects.set("1.3.6.1.2.1.31.1.1.1.7.4", counter64(999_999n));
    client.delayMs = 300;
    const second = await provider.hop(query("10.1.1.1"));
    assert.equal(second?.ingress[0]?.counters.rxUcPkts, first?.ingress[0]?.counters.rxUcPkts);
    await new Promise((r) => setTimeout(r, 1500)); // the slow answer arrives and fills the cache
    client.delayMs = 0;
    const third = await provider.hop(query("10.1.1.1"));
    assert.equal(third?.ingress[0]?.counters.rxUcPkts, 999_999);
    await provider.close();
  });

  test("a failing device is an ERR_SNMP_REQUEST error; mirroring is refused; release does nothing", async () => {
    const client = linuxRouter();
    client.failure = new Error("authentication failure");
    const { provider } = providerWith(client);
    await assert.rejects(provider.hop(query("10.1.1.1")), (e: unknown) => {
      return e instanceof SnmpTelemetryError && e.code === "ERR_SNMP_REQUEST" && /authentication/.test(e.message);
    });
    await assert.rejects(provider.startMirror(flow, { type: "erspan", direction: "ingress", analyzer: "10.1.1.250" }), {
      code: "ERR_TELEMETRY_MIRROR_UNSUPPORTED",
    });
    await provider.release(flow);
    await provider.close();
    assert.equal(client.closed, true);
    await assert.rejects(provider.hop(query("10.1.1.1")), { code: "ERR_SNMP_CLOSED" });
  });
});
