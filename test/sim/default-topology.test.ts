import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSimFabric, defaultSimTopology, parseSimTopology } from "../../src/sim/index.ts";
import { fakeClock, flowTarget, SPEC_FLOW, SPEC_TUNNEL, ttlsUpTo } from "./fixtures.ts";

const JUNOS_NAME = /^(ge|xe|et)-\d+\/\d+\/\d+\.\d+$|^ae\d+\.\d+$/;

describe("default topology", () => {
  it("validates and names every interface in Junos style", () => {
    const topo = parseSimTopology(defaultSimTopology());
    assert.equal(topo.devices.length, 6);
    for (const l of topo.links) {
      assert.match(l.a.interface, JUNOS_NAME);
      assert.match(l.b.interface, JUNOS_NAME);
      for (const m of l.members ?? []) assert.match(m.a, JUNOS_NAME);
    }
    assert.equal(topo.links.filter((l) => l.members !== undefined).length, 1, "exactly one LAG");
  });

  it("traces the spec's example flow through the spec's devices and interfaces", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const route = fabric.route(SPEC_FLOW);
    assert.equal(route.destination, "10.1.7.1");
    assert.deepEqual(
      route.hops.map((h) => [h.device, h.serial, h.ingress, h.egress]),
      [
        ["device02-example-01", "TA3714040533", "ge-0/0/0.0", "xe-0/0/18.0"],
        ["device02-example-02", "TB3714120508", "xe-0/0/2.0", "xe-0/0/4.0"],
        ["device02-example-03", "VB3113350021", "xe-0/0/46.0", "ge-0/0/12.0"],
      ],
    );
    assert.equal(route.hops[0]!.ecmpBuckets, 3);
  });

  it("shows at the first hop an L3 ECMP group whose members include the LAG ae0.0", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const target = flowTarget(SPEC_FLOW);
    const replies = await fabric.transport.probe(target, { ttls: [1], timeoutMs: 30_000, attempt: 1 });
    const hop = await fabric.telemetry.hop({ responder: replies[0]!.responder!, target, bwIngress: false });
    assert.ok(hop);
    assert.equal(hop.devName, "device02-example-01");
    assert.deepEqual(
      hop.ingress.map((i) => i.name),
      ["ge-0/0/0.0"],
    );
    assert.equal(hop.egress.numBuckets, 3);
    assert.deepEqual(
      hop.egress.members.map((m) => m.name),
      ["xe-0/0/18.0", "xe-0/0/8.0"],
    );
    assert.equal(hop.egress.l2Ecmp.length, 1);
    const lag = hop.egress.l2Ecmp[0]!;
    assert.equal(lag.aeName, "ae0.0");
    assert.equal(lag.numBuckets, 2);
    assert.deepEqual(
      lag.members.map((m) => m.name),
      ["xe-0/0/14.0", "xe-0/0/16.0"],
    );
    assert.equal(hop.egress.chosen, "xe-0/0/18.0");
  });

  it("takes the spec's mirror example flow through device03-example-01 as the spec shows", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const route = fabric.route({ ...SPEC_FLOW, sport: 59047 });
    assert.deepEqual(
      route.hops.map((h) => `${h.device} ${h.ingress} ${h.egress}`),
      [
        "device02-example-01 ge-0/0/0.0 xe-0/0/8.0",
        "device03-example-01 xe-0/0/44.0 xe-0/0/94.0",
        "device02-example-03 xe-0/0/84.0 ge-0/0/12.0",
      ],
    );
  });

  it("traces the spec's tunnel example to its destination VTEP", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const replies = await fabric.transport.probe(SPEC_TUNNEL, { ttls: ttlsUpTo(5), timeoutMs: 30_000, attempt: 1 });
    assert.deepEqual(
      replies.map((r) => [r.outcome, r.responder]),
      [
        ["time-exceeded", "10.1.1.254"],
        ["time-exceeded", "172.16.2.1"],
        ["time-exceeded", "172.16.2.2"],
        ["destination", "10.1.7.1"],
        ["timeout", null],
      ],
    );
  });

  it("lists the spec's list/flow examples, plain and overlay", () => {
    const clock = fakeClock();
    const fabric = createSimFabric({ now: clock.now });
    const flows = fabric.flows();
    const ports = flows.filter((f) => f.src === "10.1.1.1" && f.dst === "10.1.7.1" && f.proto === "tcp");
    assert.deepEqual(ports.map((f) => f.sport).sort(), [4567, 46047, 59010, 59011, 59012]);
    const ssh = ports.find((f) => f.dport === 22)!;
    assert.ok(clock.t - ssh.lastSeenMs > 60_000, "the ssh session is idle for more than 60 s");
    const overlay = flows.find((f) => f.src === "10.10.11.11")!;
    assert.equal(overlay.dst, "192.168.5.11");
    assert.equal(overlay.dport, 4789);
    assert.deepEqual(overlay.overlay, {
      vnid: 200,
      appsmac: "52:54:00:b8:9b:2e",
      appdmac: "52:54:00:6e:cc:dc",
      appsrc: "10.0.0.2",
      appdst: "10.0.0.3",
      appProto: "udp",
      appSport: 41504,
      appDport: 9000,
    });
  });

  it("says it is a simulation", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    assert.equal(fabric.transport.name, "sim");
    assert.equal(fabric.transport.simulated, true);
    assert.equal(fabric.telemetry.name, "sim");
  });
});
