import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSimFabric, SimMirrorError } from "../../src/sim/index.ts";
import { fakeClock, flowTarget, quietTopology } from "./fixtures.ts";

const FLOW = { src: "10.0.1.1", dst: "10.0.2.1", proto: "tcp" as const, sport: 40000, dport: 443 };
const ERSPAN = { type: "ERSPAN", direction: "ingress", analyzer: "10.0.9.9" };

function setup() {
  const clock = fakeClock();
  const topology = { ...quietTopology(), flows: [{ ...FLOW, pps: 100, bytes: 1000 }] };
  const fabric = createSimFabric({ topology, now: clock.now });
  const analyzerTx = () => fabric.interfaceCounters("leaf-b", "ge-0/0/9.0")!.txPkts;
  return { clock, fabric, analyzerTx, target: flowTarget(FLOW) };
}

describe("mirror sessions", () => {
  it("copy the flow at every hop of its path and count what they send to the analyzer", async () => {
    const { clock, fabric, analyzerTx, target } = setup();
    await fabric.telemetry.startMirror(target, ERSPAN);
    const route = fabric.route(FLOW);
    const sessions = fabric.mirrorSessions();
    assert.deepEqual(
      sessions.map((s) => [s.device, s.interfaces, s.direction, s.analyzer, s.type, s.packets]),
      route.hops.map((h) => [h.device, [h.ingress], "ingress", "10.0.9.9", "erspan", 0]),
    );
    clock.advance(2000);
    for (const s of fabric.mirrorSessions()) {
      assert.equal(s.packets, 200);
      assert.equal(s.bytes, 200 * 1050, "copies carry 50 bytes of ERSPAN encapsulation");
    }
    assert.equal(analyzerTx(), 3 * 200, "the analyzer's port sends it every copy");
  });

  it("are idempotent for the same request and replaced by another", async () => {
    const { clock, fabric, target } = setup();
    await fabric.telemetry.startMirror(target, ERSPAN);
    const ids = fabric.mirrorSessions().map((s) => s.id);
    clock.advance(1000);
    await fabric.telemetry.startMirror(target, { ...ERSPAN, type: "erspan" });
    assert.deepEqual(
      fabric.mirrorSessions().map((s) => [s.id, s.packets]),
      ids.map((id) => [id, 100]),
    );
    await fabric.telemetry.startMirror(target, { ...ERSPAN, direction: "both" });
    const replaced = fabric.mirrorSessions();
    assert.ok(replaced.every((s) => !ids.includes(s.id) && s.packets === 0 && s.interfaces.length === 2));
    clock.advance(1000);
    assert.ok(
      fabric.mirrorSessions().every((s) => s.packets === 200),
      "both directions: two copies per packet",
    );
  });

  it("are removed by release, and the copies stop", async () => {
    const { clock, fabric, analyzerTx, target } = setup();
    await fabric.telemetry.startMirror(target, ERSPAN);
    await fabric.telemetry.hop({ responder: "10.0.1.254", target, bwIngress: true });
    clock.advance(1000);
    await fabric.telemetry.release(target);
    assert.deepEqual(fabric.mirrorSessions(), []);
    const sent = analyzerTx();
    clock.advance(5000);
    assert.equal(analyzerTx(), sent);
    await fabric.telemetry.release(target); // nothing left: no error
  });

  it("refuse what the simulation cannot mirror", async () => {
    const { fabric, target } = setup();
    await assert.rejects(fabric.telemetry.startMirror(target, { ...ERSPAN, type: "rspan" }), SimMirrorError);
    await assert.rejects(fabric.telemetry.startMirror(target, { ...ERSPAN, direction: "sideways" }), SimMirrorError);
    await assert.rejects(fabric.telemetry.startMirror(target, { ...ERSPAN, analyzer: "analyzer" }), SimMirrorError);
    assert.deepEqual(fabric.mirrorSessions(), []);
  });
});
