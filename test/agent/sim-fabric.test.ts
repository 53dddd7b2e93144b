/**
 * The agent on the simulated fabric (src/sim/): for 100 random 5-tuples between the fabric's hosts the Path equals
 * the fabric's own forwarding decision (`route()`): the same devices in order, responders, ingress interfaces, ECMP
 * group size, the chosen ECMP member and LAG member; the spec's start/flow example traces the spec's three devices with
 * the L3Ecmp + L2EcmpList egress at hop 1; list/flow shows the fabric's flows (plain and overlay).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { buildAgent } from "../../src/agent/agent.ts";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { simFlowSource } from "../../src/cli/daemon/sim-agent.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { createSimFabric, type SimFabric } from "../../src/sim/index.ts";
import { ManualClock } from "./fakes.ts";
import { SPEC_OVERLAY_PORT_TAIL } from "./spec-examples.ts";

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies are walked dynamically by the assertions.
type Json = Record<string, any>;

describe("the agent on the simulated fabric", () => {
  const clock = new ManualClock(Date.UTC(2015, 8, 17, 18, 0, 0));
  let fabric: SimFabric;
  let agent: ReturnType<typeof buildAgent>;
  const get = (url: string) => agent.app.inject({ method: "GET", url });

  before(() => {
    fabric = createSimFabric({ now: () => clock.now() });
    agent = buildAgent(agentConfigSchema.parse({ limits: { "max-active-flows": 200 } }), {
      transport: fabric.transport,
      telemetry: fabric.telemetry,
      flowSource: simFlowSource(fabric),
      logger: createLogger({ level: "silent" }),
      clock,
      metrics: new Metrics({ defaultMetrics: false }),
    });
  });
  after(async () => {
    await agent.close();
    await fabric.close();
  });

  it("/version marks the network as simulated", async () => {
    const v = (await get("/version")).json();
    assert.equal(v.simulated, true);
    assert.equal(v.network, "simulated fabric");
    assert.equal(v.name, "flowlens-agent");
  });

  it("the spec's start/flow example traces the spec's path, with the LAG in the L3 ECMP group at hop 1", async () => {
    const q = "dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp";
    assert.equal((await get(`/start/flow?${q}`)).json().code, "EOK");
    await clock.advance(0);
    const path = (await get(`/data/flow?${q}`)).json();
    assert.equal(path.ID, "('10.1.1.1', '10.1.7.1', 6, 4567, 9000)");
    assert.deepEqual(
      path.Path.map((h: Json) => h.DevName),
      ["device02-example-01", "device02-example-02", "device02-example-03"],
    );
    const l3 = path.Path[0].EgressIFLAttribute.L3Ecmp;
    assert.deepEqual(
      l3.IFLList.map((i: Json) => i.IFLName),
      ["xe-0/0/18.0", "xe-0/0/8.0"],
    );
    assert.equal(l3.NumBuckets, 3);
    assert.equal(l3.L2EcmpList[0].AE_IFL_NAME, "ae0.0");
    assert.deepEqual(
      l3.L2EcmpList[0].IFLList.map((i: Json) => i.IFLName),
      ["xe-0/0/14.0", "xe-0/0/16.0"],
    );
    assert.equal(path.DestinationReached, true);
    await clock.advance(1000);
    const later = (await get(`/data/flow?${q}`)).json();
    assert.ok(later.Path[0].IngressIFLAttribute.IFLList[0].IFLStats.RX_PPS > 0, "rates after the second round");
    assert.equal((await get(`/stop/flow?${q}`)).json().code, "EOK");
  });

  it("for 100 random 5-tuples the Path equals the fabric's route (ECMP and LAG member included)", async () => {
    const hosts = fabric.topology.hosts.map((h) => h.address);
    const tuples = fc.sample(
      fc
        .record({
          src: fc.constantFrom(...hosts),
          dst: fc.constantFrom(...hosts),
          proto: fc.constantFrom("tcp" as const, "udp" as const),
          sport: fc.integer({ min: 1, max: 65535 }),
          dport: fc.integer({ min: 1, max: 65535 }),
        })
        .filter((t) => t.src !== t.dst),
      { numRuns: 100, seed: 5 },
    );
    const query = (t: (typeof tuples)[number]) =>
      `src=${t.src}&dst=${t.dst}&proto=${t.proto}&sport=${t.sport}&dport=${t.dport}`;
    for (const t of tuples) assert.equal((await get(`/start/flow?${query(t)}&nhops=16`)).json().code, "EOK");
    await clock.advance(0);
    let lagHops = 0;
    for (const t of tuples) {
      const path = (await get(`/data/flow?${query(t)}`)).json();
      const route = fabric.route(t);
      assert.equal(path.DestinationReached, route.destination !== null);
      assert.equal(path.Path.length, route.hops.length, query(t));
      for (const [i, hop] of (path.Path as Json[]).entries()) {
        const r = route.hops[i]!;
        assert.equal(hop.HopStatus, "OK");
        assert.equal(hop.HOP, r.hop);
        assert.equal(hop.DevName, r.device);
        assert.equal(hop.DevSerialID, r.serial);
        assert.equal(hop.HopAddress, r.ingressAddress);
        assert.equal(hop.IngressIFLAttribute.IFLList[0].IFLName, r.ingress);
        assert.equal(hop.EgressIFLName, r.egress ?? undefined);
        const egress = hop.EgressIFLAttribute;
        if (r.ecmpBuckets > 1) {
          const l3 = egress.L3Ecmp;
          assert.equal(l3.NumBuckets, r.ecmpBuckets);
          const plain = l3.IFLList.map((x: Json) => x.IFLName);
          const lags = l3.L2EcmpList.map((x: Json) => x.AE_IFL_NAME);
          assert.ok(plain.includes(r.ecmpMember) || lags.includes(r.ecmpMember), `${r.ecmpMember} in the group`);
          if (r.lagMember !== null) {
            lagHops++;
            const lag = l3.L2EcmpList.find((x: Json) => x.AE_IFL_NAME === r.ecmpMember);
            assert.ok(lag.IFLList.some((x: Json) => x.IFLName === r.lagMember));
            assert.equal(hop.EgressIFLName, r.lagMember);
          }
        } else {
          // One next hop: a plain interface ({IFLList}), or a LAG (an L3Ecmp of one bucket with its L2EcmpList).
          const names =
            "IFLList" in egress
              ? egress.IFLList.map((x: Json) => x.IFLName)
              : [
                  ...egress.L3Ecmp.IFLList.map((x: Json) => x.IFLName),
                  ...egress.L3Ecmp.L2EcmpList.map((x: Json) => x.AE_IFL_NAME),
                ];
          assert.deepEqual(names, r.ecmpMember === null ? [] : [r.ecmpMember]);
          if (r.lagMember !== null) {
            lagHops++;
            assert.equal(hop.EgressIFLName, r.lagMember);
          }
        }
      }
    }
    assert.ok(lagHops > 0, "some tuples hashed onto the LAG");
  });

  it("list/flow shows the fabric's flows: the spec's TCP flows and the 11-value overlay tuple", async () => {
    const all = (await get("/list/flow")).json().FLOWS as Json[];
    const tcp = all.find((g) => g.SIP === "10.1.1.1" && g.DIP === "10.1.7.1" && g.PROTO === "TCP")!;
    const ports = tcp.PORTS.map((p: number[]) => [p[1], p[2]]);
    for (const sport of [59010, 59011, 59012]) assert.ok(ports.some((p: number[]) => p[0] === 9000 && p[1] === sport));
    const overlay = all.find((g) => g.SIP === "10.10.11.11")!;
    assert.equal(overlay.PORTS[0].length, 11);
    assert.deepEqual(overlay.PORTS[0].slice(1), SPEC_OVERLAY_PORT_TAIL);
    const active = (await get("/list/flow?active=True")).json().FLOWS as Json[];
    const activeTcp = active.find((g) => g.SIP === "10.1.1.1" && g.PROTO === "TCP")!;
    assert.ok(!activeTcp.PORTS.some((p: number[]) => p[1] === 22), "the idle ssh flow is left out");
  });
});
