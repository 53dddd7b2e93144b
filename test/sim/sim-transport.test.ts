import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { FlowTuple } from "../../src/probe/transport.ts";
import { createSimFabric, defaultSimTopology, SimProbeError } from "../../src/sim/index.ts";
import { fakeClock, flowTarget, SPEC_FLOW, ttlsUpTo } from "./fixtures.ts";

const HOSTS = ["10.1.1.1", "10.1.3.1", "10.10.11.11", "10.1.7.1", "10.1.8.1", "192.168.5.11", "10.1.5.1", "10.2.1.1"];

const arbTuple: fc.Arbitrary<FlowTuple> = fc
  .record({
    src: fc.constantFrom(...HOSTS),
    dst: fc.constantFrom(...HOSTS),
    proto: fc.constantFrom("tcp" as const, "udp" as const),
    sport: fc.integer({ min: 1, max: 65535 }),
    dport: fc.integer({ min: 1, max: 65535 }),
  })
  .filter((t) => t.src !== t.dst);

const BATCH = { timeoutMs: 30_000, attempt: 1 };

describe("sim probe transport", () => {
  it("answers exactly along route() for 100 random 5-tuples, ECMP and LAG member included", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    let viaLag = 0;
    await fc.assert(
      fc.asyncProperty(arbTuple, async (flow) => {
        const route = fabric.route(flow);
        const target = flowTarget(flow);
        const replies = await fabric.transport.probe(target, { ...BATCH, ttls: ttlsUpTo(8) });
        const n = route.hops.length;
        assert.deepEqual(
          replies.slice(0, n).map((r) => [r.ttl, r.outcome, r.responder]),
          route.hops.map((h) => [h.hop, "time-exceeded", h.ingressAddress]),
        );
        assert.deepEqual([replies[n]!.outcome, replies[n]!.responder], ["destination", flow.dst]);
        for (const r of replies.slice(n + 1)) assert.equal(r.outcome, "timeout");
        for (const [i, h] of route.hops.entries()) {
          const hop = await fabric.telemetry.hop({ responder: replies[i]!.responder!, target, bwIngress: false });
          assert.ok(hop);
          assert.equal(hop.devName, h.device);
          assert.deepEqual(
            hop.ingress.map((x) => x.name),
            [h.ingress],
          );
          assert.equal(hop.egress.chosen, h.egress);
          assert.equal(hop.egress.numBuckets, h.ecmpBuckets);
          if (h.lagMember !== null) {
            viaLag++;
            const lag = hop.egress.l2Ecmp.find((l) => l.aeName === h.ecmpMember);
            assert.ok(lag?.members.some((m) => m.name === h.lagMember));
          } else {
            assert.ok(hop.egress.members.some((m) => m.name === h.ecmpMember));
          }
        }
      }),
      { numRuns: 100, seed: 5 },
    );
    assert.ok(viaLag > 0, "some tuples crossed the LAG");
  });

  it("reports timeouts for every TTL beyond the destination", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const replies = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: ttlsUpTo(255) });
    assert.equal(replies.length, 255);
    assert.equal(replies[3]!.outcome, "destination");
    for (const r of replies.slice(4)) {
      assert.deepEqual(r, { ttl: r.ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null });
    }
  });

  it("returns replies in TTL order whatever order the TTLs come in", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const replies = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: [4, 2, 1, 3] });
    assert.deepEqual(
      replies.map((r) => r.ttl),
      [1, 2, 3, 4],
    );
  });

  it("stamps answers with the injected clock plus the round-trip time", async () => {
    const clock = fakeClock(1_442_517_373_250);
    const fabric = createSimFabric({ now: clock.now });
    const [r] = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: [2] });
    assert.ok(r!.rttSeconds! > 0.0158 && r!.rttSeconds! < 0.0168, `spine reply time, got ${r!.rttSeconds}`);
    const at = r!.receivedAt!;
    assert.equal(at.sec, 1_442_517_373);
    assert.ok(Math.abs(at.usec - (250_000 + r!.rttSeconds! * 1e6)) <= 1);
  });

  it("times out where a device does not answer, and only there", async () => {
    const topo = defaultSimTopology();
    topo.devices[1]!["answers-ttl-expired"] = false; // device02-example-02, hop 2 of the spec's flow
    const fabric = createSimFabric({ topology: topo, now: fakeClock().now });
    const replies = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: ttlsUpTo(4) });
    assert.deepEqual(
      replies.map((r) => r.outcome),
      ["time-exceeded", "timeout", "time-exceeded", "destination"],
    );
  });

  it("loses answers at the configured rate, drawing on the injected random source", async () => {
    const topo = defaultSimTopology();
    topo.devices[0]!["reply-loss"] = 0.5;
    const draws = [0.9, 0, 0.1]; // kept (then a jitter draw), lost
    let i = 0;
    const fabric = createSimFabric({ topology: topo, now: fakeClock().now, random: () => draws[i++ % draws.length]! });
    const first = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: [1] });
    const second = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: [1] });
    assert.equal(first[0]!.outcome, "time-exceeded");
    assert.equal(second[0]!.outcome, "timeout");
  });

  it("ignores answers slower than the timeout", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const replies = await fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, timeoutMs: 10, ttls: ttlsUpTo(4) });
    assert.deepEqual(
      replies.map((r) => r.outcome),
      ["time-exceeded", "timeout", "time-exceeded", "destination"],
    );
  });

  it("resolves an aborted batch as timeouts", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const controller = new AbortController();
    controller.abort();
    const replies = await fabric.transport.probe(flowTarget(SPEC_FLOW), {
      ...BATCH,
      ttls: ttlsUpTo(4),
      signal: controller.signal,
    });
    assert.ok(replies.every((r) => r.outcome === "timeout"));
  });

  it("gets no answer for a source that is no host, and only the first hop's toward an unknown destination", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const fromNowhere = await fabric.transport.probe(flowTarget({ ...SPEC_FLOW, src: "198.51.100.1" }), {
      ...BATCH,
      ttls: ttlsUpTo(3),
    });
    assert.ok(fromNowhere.every((r) => r.outcome === "timeout"));
    const target = flowTarget({ ...SPEC_FLOW, dst: "198.51.100.1" });
    const toNowhere = await fabric.transport.probe(target, { ...BATCH, ttls: ttlsUpTo(3) });
    assert.deepEqual(
      toNowhere.map((r) => r.outcome),
      ["time-exceeded", "timeout", "timeout"],
    );
    const hop = await fabric.telemetry.hop({ responder: toNowhere[0]!.responder!, target, bwIngress: false });
    assert.deepEqual(hop!.egress, { members: [], numBuckets: 0, l2Ecmp: [] });
  });

  it("rejects TTLs outside 1..255 and a closed transport", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    for (const ttl of [0, 256, 1.5]) {
      await assert.rejects(fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: [ttl] }), SimProbeError);
    }
    await assert.rejects(
      fabric.transport.probe(flowTarget({ ...SPEC_FLOW, src: "10.1.1" }), { ...BATCH, ttls: [1] }),
      (e: Error & { code?: string }) => e.code === "ERR_SIM_TUPLE",
    );
    await fabric.close();
    await assert.rejects(
      fabric.transport.probe(flowTarget(SPEC_FLOW), { ...BATCH, ttls: [1] }),
      (e: Error & { code?: string }) => e.code === "ERR_SIM_CLOSED",
    );
  });
});
