/**
 * The agent's `telemetry` section: validation (strict keys, addresses, secret files, v3 rules) and the chain built
 * from it (hopd routers per match, SNMP credentials from files, ICMP-only entries), the agent's start line describing it,
 * and the fallback counter the agent feeds from the chain.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createTelemetryChain, type HopdRouterSpec } from "../../src/telemetry/chain-from-config.ts";
import type { TelemetryProvider } from "../../src/telemetry/provider.ts";
import type { SnmpTarget } from "../../src/telemetry/snmp/client.ts";
import { telemetryFallbackCounter } from "../../src/agent/agent-metrics.ts";
import { describeTelemetryChain, telemetryConfigSchema } from "../../src/agent/telemetry-config.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { linuxRouter } from "../telemetry/fake-snmp.ts";

const dir = mkdtempSync(join(tmpdir(), "flowlens-telemetry-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const token = file("hopd.token", "s3cret-token\n");
const community = file("community", "labro\n");
const authKey = file("auth", "authpass123\n");
const privKey = file("priv", "privpass123\n");

describe("telemetry configuration", () => {
  test("defaults: no routers, timeouts and hold-down in ms", () => {
    const c = telemetryConfigSchema.parse({});
    assert.deepEqual(c.routers, []);
    assert.equal(c["hopd-timeout"], 1500);
    assert.equal(c["snmp-timeout"], 2000);
    assert.equal(c["hold-down"], 30_000);
  });

  test("a full section parses; secrets are read from their files and never printed", () => {
    const c = telemetryConfigSchema.parse({
      "snmp-timeout": "750ms",
      routers: [
        {
          match: ["10.0.0.1", "10.255.2.1"],
          hopd: { url: "http://10.255.2.1:9090", "token-file": token },
          snmp: { version: "2c", host: "10.255.2.1", "community-file": community },
        },
        {
          match: "10.0.0.0/8",
          snmp: { version: 3, user: "lab", "auth-key-file": authKey, "priv-key-file": privKey },
        },
        { match: "10.9.0.0/16" },
      ],
    });
    assert.equal(c["snmp-timeout"], 750);
    const r0 = c.routers[0]!;
    assert.equal(r0.hopd?.["token-file"].reveal(), "s3cret-token");
    assert.ok(!JSON.stringify(c).includes("s3cret"));
    const v3 = c.routers[1]!.snmp;
    assert.ok(v3 !== undefined && v3.version !== "2c");
    assert.equal(v3["auth-protocol"], "sha");
    assert.equal(v3["priv-protocol"], "aes");
  });

  test("bad input is refused with the path of the problem", () => {
    const bad = [
      { routers: [{ match: "10.0.0.300" }] },
      { routers: [{ match: "10.0.0.0/8", extra: 1 }] },
      { routers: [{ match: "10.0.0.0/8", hopd: { url: "ftp://x", "token-file": token } }] },
      { routers: [{ match: "10.0.0.0/8", hopd: { url: "http://x:9090", "token-file": join(dir, "missing") } }] },
      { routers: [{ match: "10.0.0.0/8", snmp: { version: "1", "community-file": community } }] },
      { routers: [{ match: "10.0.0.0/8", snmp: { version: 3, user: "u", "priv-key-file": privKey } }] },
      { routers: [{ match: "10.0.0.0/8", snmp: { version: "2c", community: "inline" } }] },
      { "snmp-timeout": "1ms" },
    ];
    for (const input of bad) {
      const r = telemetryConfigSchema.safeParse(input);
      assert.equal(r.success, false, JSON.stringify(input));
    }
  });
});

describe("chain from configuration", () => {
  test("hopd routers get one entry per match with the token; SNMP devices their credentials; ICMP-only entries none", async () => {
    const c = telemetryConfigSchema.parse({
      routers: [
        {
          match: ["10.0.0.1", "10.255.2.1"],
          hopd: { url: "http://10.255.2.1:9090", "token-file": token },
          snmp: { version: "2c", host: "10.255.2.1", "community-file": community },
        },
        { match: "10.1.0.0/16", snmp: { version: 3, user: "lab", "auth-key-file": authKey, "priv-key-file": privKey } },
        { match: "10.9.0.0/16" },
      ],
    });
    const hopdCalls: { routers: HopdRouterSpec[]; timeoutMs?: number }[] = [];
    const hopd: TelemetryProvider = {
      name: "hopd",
      hop: async () => {
        throw new Error("unreachable");
      },
      startMirror: async () => {},
      release: async () => {},
      close: async () => {},
    };
    const targets: SnmpTarget[] = [];
    const chain = createTelemetryChain(c, {
      hopd: (o) => {
        hopdCalls.push(o);
        return hopd;
      },
      snmpClientFactory: (t) => {
        targets.push(t);
        return linuxRouter();
      },
    });
    assert.deepEqual(
      hopdCalls[0]?.routers.map((r) => [r.match, r.url, r.token]),
      [
        ["10.0.0.1", "http://10.255.2.1:9090", "s3cret-token"],
        ["10.255.2.1", "http://10.255.2.1:9090", "s3cret-token"],
      ],
    );
    assert.equal(hopdCalls[0]?.timeoutMs, 1500);
    assert.deepEqual(chain.plan("10.0.0.1"), ["hopd", "snmp"]);
    assert.deepEqual(chain.plan("10.1.1.1"), ["snmp"]);
    assert.deepEqual(chain.plan("10.9.0.1"), []);
    // hopd unreachable: SNMP answers for the hop, from the configured host.
    const flow = {
      kind: "flow",
      flow: { src: "10.1.1.11", dst: "10.1.2.11", proto: "tcp", sport: 1, dport: 2 },
      checksum: true,
    } as const;
    const t = await chain.hop({ responder: "10.0.0.1", target: flow, bwIngress: false });
    assert.equal(t?.devName, "leaf1");
    assert.equal(targets[0]?.host, "10.255.2.1");
    assert.deepEqual(targets[0]?.credentials, { version: "2c", community: "labro" });
    await chain.hop({ responder: "10.1.1.1", target: flow, bwIngress: false });
    assert.deepEqual(targets[1]?.credentials, {
      version: "3",
      user: {
        name: "lab",
        auth: { protocol: "sha", key: "authpass123" },
        priv: { protocol: "aes", key: "privpass123" },
      },
    });
    await chain.close();
  });

  test("hopd configured without a hopd client is a configuration error", () => {
    const c = telemetryConfigSchema.parse({
      routers: [{ match: "10.0.0.1", hopd: { url: "http://10.255.2.1:9090", "token-file": token } }],
    });
    assert.throws(() => createTelemetryChain(c), { code: "ERR_TELEMETRY_CONFIG" });
  });

  test("the agent's start line describes the configured chain", () => {
    assert.equal(
      describeTelemetryChain(telemetryConfigSchema.parse({})),
      "hop telemetry: ICMP only (no telemetry.routers)",
    );
    const c = telemetryConfigSchema.parse({
      routers: [
        { match: "10.0.0.1", hopd: { url: "http://10.255.2.1:9090", "token-file": token } },
        {
          match: "10.0.0.2",
          hopd: { url: "http://10.255.2.2:9090", "token-file": token },
          snmp: { version: "2c", "community-file": community },
        },
        { match: "10.9.0.0/16" },
      ],
    });
    assert.equal(
      describeTelemetryChain(c),
      "hop telemetry: hopd (2 router entries), else SNMP (1 router entry), else ICMP only",
    );
    assert.equal(
      describeTelemetryChain(telemetryConfigSchema.parse({ routers: [{ match: "10.9.0.0/16" }] })),
      "hop telemetry: ICMP only (no router entry has hopd or snmp)",
    );
  });

  test("fallbacks are counted per provider (flowlens_agent_telemetry_fallbacks_total), not per hop", async () => {
    const c = telemetryConfigSchema.parse({
      routers: [
        {
          match: ["10.0.0.1", "10.0.0.2"],
          hopd: { url: "http://10.255.2.1:9090", "token-file": token },
          snmp: { version: "2c", "community-file": community },
        },
      ],
    });
    const metrics = new Metrics({ defaultMetrics: false });
    const count = telemetryFallbackCounter(metrics);
    const failing: TelemetryProvider = {
      name: "hopd",
      hop: async () => {
        throw Object.assign(new Error("connection refused"), { code: "ERR_TELEMETRY_HOPD_UNREACHABLE" });
      },
      startMirror: async () => {},
      release: async () => {},
      close: async () => {},
    };
    const chain = createTelemetryChain(c, {
      hopd: () => failing,
      snmpClientFactory: () => linuxRouter(),
      onFallback: (e) => count(e.kind),
    });
    const flow = {
      kind: "flow",
      flow: { src: "10.1.1.11", dst: "10.1.2.11", proto: "udp", sport: 1, dport: 2 },
      checksum: true,
    } as const;
    for (const responder of ["10.0.0.1", "10.0.0.2", "10.0.0.1"]) {
      const t = await chain.hop({ responder, target: flow, bwIngress: false });
      assert.equal(t?.devName, "leaf1", "SNMP answered");
    }
    // Two hops failed over to SNMP; the third query found hopd held down for its hop and went to SNMP directly.
    const text = await metrics.text();
    assert.match(text, /^flowlens_agent_telemetry_fallbacks_total\{provider="hopd"\} 2$/m);
    assert.doesNotMatch(text, /responder|hop="/);
    await chain.close();
  });
});
