/**
 * A traced flow's Path filled from the lab's real routers: the agent (`flowlens agent -c` with the configuration `lab
 * up` writes) runs in h1 with hopd and snmpd in every router; every hop of a UDP flow h1 -> h2 reports its device,
 * ingress interface (the one holding the hop's address) and egress, the egress being the interface the router's own
 * route lookup picks for the flow. Then hopd of the spine on the path is stopped and the chain falls back to SNMP for
 * that hop, with the same interfaces. Root only (gated).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type LabState, processRunning, stopServices } from "../../src/netlab/index.ts";
import {
  H1,
  H2,
  interfaceOf,
  LEAF1_HOST_SIDE,
  routeGetDevice,
  routerOf,
  routerServicesSkip,
  TestLab,
} from "./lab-fixture.ts";
import { h1h2Query, type Json, LabAgentProcess } from "./raw-agent-fixture.ts";

const SKIP = routerServicesSkip();

describe("hop telemetry from the lab's routers (hopd, then SNMP)", { skip: SKIP }, () => {
  const lab = new TestLab("t");
  const ns = lab.ns;
  let state: LabState;
  const flow = { proto: "udp", sport: 40123, dport: 33434 } as const;
  const query = h1h2Query(flow);
  /** The agent in h1, asked from inside h1 (it listens on h1's loopback). */
  const agent = new LabAgentProcess(ns("h1"), 5);

  before(async () => {
    state = lab.up({ services: { snmpd: true, hopd: true } });
    assert.equal((state.services ?? []).length, 8, state.warnings.join("; "));
    await agent.start(state.serviceFiles!.agentConfig);
  });
  after(async () => {
    try {
      await agent.stop();
    } finally {
      lab.down();
    }
  });

  /** Polls data/flow until `ready(path)` holds (or 20 s pass); returns the last answer. */
  const waitForPath = (ready: (body: Json) => boolean): Promise<Json> => agent.dataFlow(query, ready, 20_000, 300);

  /** Checks every hop's ingress and egress against the kernels' truth. */
  function checkHops(body: Json): void {
    const why = JSON.stringify(body).slice(0, 3000);
    const hops = body.Path as Json[];
    assert.equal(hops.length, 3, why);
    assert.equal(hops[0].HopAddress, LEAF1_HOST_SIDE);
    hops.forEach((h, i) => {
      const router = routerOf(ns, h.HopAddress);
      assert.notEqual(router, "", `no router owns ${h.HopAddress}`);
      assert.equal(h.HopStatus, "OK", why);
      assert.ok(typeof h.DevName === "string" && h.DevName.length > 0, why);
      assert.ok(typeof h.DevSerialID === "string" && h.DevSerialID.length > 0, why);
      assert.ok(h.DevCPUUtil >= 0 && h.DevCPUUtil <= 100 && h.DevMEMUtil > 0 && h.DevMEMUtil <= 100, why);
      const ingress = h.IngressIFLAttribute.IFLList.map((x: Json) => x.IFLName);
      assert.deepEqual(ingress, [interfaceOf(ns(router), h.HopAddress)], `${router} ingress (${why})`);
      // The egress the router's kernel picks for this flow arriving on that ingress, which leads to the next hop's
      // router (interfaces are named after the node at the other end) or, at the last hop, to h2's bridge.
      const dev = routeGetDevice(ns(router), H2, H1, ingress[0], flow.sport, flow.dport);
      assert.equal(dev, i + 1 < hops.length ? routerOf(ns, hops[i + 1].HopAddress) : "br-hosts", why);
      assert.equal(h.EgressIFLName, dev, `${router} egress (${why})`);
      const ecmp = h.EgressIFLAttribute.L3Ecmp;
      const members = (ecmp?.IFLList ?? h.EgressIFLAttribute.IFLList).map((x: Json) => x.IFLName);
      assert.ok(members.includes(dev), `${router}: ${dev} not among ${members}`);
      if (router === "leaf1") assert.equal(ecmp?.NumBuckets, 2, why);
      const stats = h.IngressIFLAttribute.IFLList[0].IFLStats;
      assert.ok(stats.RX_PKTS > 0 && stats.RX_BYTES > 0, why);
    });
  }

  test("every hop of the Path is filled from the routers' hopd, its egress the one the kernel picks", async () => {
    assert.equal((await agent.get(`/start/flow?${query}&nhops=8&timeout=2`)).code, "EOK");
    const body = await waitForPath(
      (b) =>
        b.DestinationReached === true && (b.Path ?? []).length === 3 && b.Path.every((h: Json) => h.HopStatus === "OK"),
    );
    checkHops(body);
    // hopd answered (its serial is the machine's, not an SNMP engine id).
    for (const h of body.Path) assert.doesNotMatch(h.DevSerialID, /^engine:/);
  });

  test("with the spine's hopd stopped, that hop is answered by SNMP with the same interfaces", async () => {
    const first = await waitForPath((b) => (b.Path ?? []).length === 3);
    const spine = routerOf(ns, first.Path[1].HopAddress);
    const hopd = (state.services ?? []).filter((s) => s.kind === "hopd" && s.node === spine);
    assert.equal(hopd.length, 1);
    stopServices(hopd);
    assert.equal(processRunning(hopd[0]!.pid), false);
    const body = await waitForPath(
      (b) =>
        (b.Path ?? []).length === 3 && /^engine:/.test(b.Path[1].DevSerialID ?? "") && b.Path[1].HopStatus === "OK",
    );
    assert.match(body.Path[1].DevSerialID, /^engine:/, JSON.stringify(body.Path[1]));
    assert.equal(body.Path[1].DevName, spine);
    assert.doesNotMatch(body.Path[0].DevSerialID, /^engine:/, "leaf1 still answers through hopd");
    checkHops(body);
    assert.equal((await agent.get(`/stop/flow?${query}`)).code, "EOK");
  });
});
