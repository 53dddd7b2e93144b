import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { InterfaceCounters } from "../../src/telemetry/provider.ts";
import { createSimFabric, type SimTopologyInput } from "../../src/sim/index.ts";
import { fakeClock, flowTarget, quietTopology, SPEC_FLOW } from "./fixtures.ts";

const FLOW = { src: "10.0.1.1", dst: "10.0.2.1", proto: "udp" as const, sport: 5000, dport: 6000 };

function quietWithFlow(pps: number, extra: Partial<SimTopologyInput> = {}): SimTopologyInput {
  return { ...quietTopology(), flows: [{ ...FLOW, pps, bytes: 500 }], ...extra };
}

function numbers(c: InterfaceCounters): number[] {
  return Object.entries(c)
    .filter(([k]) => k !== "sampledAtMs")
    .map(([, v]) => v);
}

describe("interface counters", () => {
  it("never decrease and grow with time, whatever the sampling steps", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 20 }), (steps) => {
        const clock = fakeClock();
        const fabric = createSimFabric({ now: clock.now });
        let prev = fabric.interfaceCounters("device02-example-01", "xe-0/0/18.0")!;
        for (const step of steps) {
          clock.advance(step);
          const next = fabric.interfaceCounters("device02-example-01", "xe-0/0/18.0")!;
          for (const [i, v] of numbers(next).entries()) assert.ok(v >= numbers(prev)[i]!);
          assert.ok(numbers(next).every(Number.isInteger));
          if (step >= 1000) assert.ok(next.txPkts > prev.txPkts && next.rxBytes > prev.rxBytes);
          assert.equal(next.sampledAtMs, clock.t);
          prev = next;
        }
      }),
      { numRuns: 40 },
    );
  });

  it("do not depend on how often they are read", () => {
    const a = fakeClock();
    const b = fakeClock();
    const often = createSimFabric({ now: a.now });
    const once = createSimFabric({ now: b.now });
    for (let i = 0; i < 100; i++) {
      a.advance(137);
      often.interfaceCounters("device02-example-02", "xe-0/0/4.0");
    }
    b.advance(13_700);
    assert.deepEqual(
      often.interfaceCounters("device02-example-02", "xe-0/0/4.0"),
      once.interfaceCounters("device02-example-02", "xe-0/0/4.0"),
    );
  });

  it("carry a flow's packets over exactly the interfaces of its route", () => {
    const clock = fakeClock();
    const fabric = createSimFabric({ topology: quietWithFlow(1000), now: clock.now });
    clock.advance(5000);
    const route = fabric.route(FLOW);
    const first = route.hops[0]!;
    assert.equal(fabric.interfaceCounters("leaf-a", "ge-0/0/0.0")!.rxPkts, 5000);
    const egress = fabric.interfaceCounters("leaf-a", first.egress!)!;
    assert.equal(egress.txPkts, 5000);
    assert.equal(egress.txBytes, 5000 * 500);
    assert.equal(egress.txUcPkts, 5000);
    const others = ["xe-0/0/1.0", "xe-0/0/2.0", "xe-0/0/3.0"].filter((n) => n !== first.egress);
    for (const n of others) assert.equal(fabric.interfaceCounters("leaf-a", n)!.txPkts, 0, n);
    const last = route.hops.at(-1)!;
    assert.equal(fabric.interfaceCounters(last.device, last.ingress)!.rxPkts, 5000);
    assert.equal(fabric.interfaceCounters("leaf-b", "ge-0/0/0.0")!.txPkts, 5000);
    if (first.lagMember !== null) assert.equal(fabric.interfaceCounters("leaf-a", "ae0.0")!.txPkts, 5000);
  });

  it("count a configured flow only while it runs", () => {
    const clock = fakeClock();
    const topo = { ...quietTopology(), flows: [{ ...FLOW, pps: 10, "start-s": 2, "end-s": 4 }] };
    const fabric = createSimFabric({ topology: topo, now: clock.now });
    const rx = () => fabric.interfaceCounters("leaf-a", "ge-0/0/0.0")!.rxPkts;
    assert.equal(rx(), 0);
    assert.deepEqual(fabric.flows(), []);
    clock.advance(3000);
    assert.equal(rx(), 10);
    assert.equal(fabric.flows()[0]!.lastSeenMs, clock.t);
    clock.advance(10_000);
    assert.equal(rx(), 20);
    assert.equal(fabric.flows()[0]!.lastSeenMs, clock.t - 9000);
  });

  it("count traced flows and their probes", async () => {
    const clock = fakeClock();
    const fabric = createSimFabric({ topology: quietTopology(), now: clock.now });
    const rx = () => fabric.interfaceCounters("leaf-a", "ge-0/0/0.0")!.rxPkts;
    await fabric.transport.probe(flowTarget(FLOW), { ttls: [1, 2, 3, 4], timeoutMs: 1000, attempt: 1 });
    assert.equal(rx(), 4, "four probes entered leaf-a");
    clock.advance(1000);
    assert.ok(rx() >= 4 + 20, "the traced UDP flow runs at 20 packets/s at least");
  });

  it("advance with tick() as with the clock", () => {
    const clock = fakeClock();
    const fabric = createSimFabric({ topology: quietWithFlow(100), now: clock.now });
    fabric.tick(clock.t + 2000);
    assert.equal(fabric.interfaceCounters("leaf-a", "ge-0/0/0.0")!.rxPkts, 200);
    fabric.tick(clock.t + 1000);
    assert.equal(fabric.interfaceCounters("leaf-a", "ge-0/0/0.0")!.rxPkts, 200, "time never goes back");
  });

  it("count drops and CRC errors on the receiving side at the configured rates", () => {
    const clock = fakeClock();
    const topo = quietTopology();
    topo.devices.forEach((d) => {
      d["uptime-s"] = 0;
    });
    topo.links[0]!.background = { pps: 0, "drops-per-hour": 3600, "crc-errors-per-hour": 7200 };
    const fabric = createSimFabric({ topology: topo, now: clock.now });
    clock.advance(10_000);
    const spineSide = fabric.interfaceCounters("spine-1", "xe-0/0/1.0")!;
    assert.equal(spineSide.rxDropPkt, 10);
    assert.equal(spineSide.rxCrcError, 20);
    assert.equal(spineSide.txDropPkt, 0);
  });
});

describe("device CPU and memory", () => {
  it("move over time and stay within 0..100", async () => {
    const clock = fakeClock();
    const fabric = createSimFabric({ now: clock.now });
    const target = flowTarget(SPEC_FLOW);
    const cpu = new Set<number>();
    const mem = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const hop = (await fabric.telemetry.hop({ responder: "172.16.1.1", target, bwIngress: false }))!;
      assert.ok(hop.cpuUtil >= 0 && hop.cpuUtil <= 100 && hop.memUtil >= 0 && hop.memUtil <= 100);
      cpu.add(hop.cpuUtil);
      mem.add(hop.memUtil);
      clock.advance(30_000);
    }
    assert.ok(cpu.size > 10 && mem.size > 3, `cpu ${cpu.size} values, memory ${mem.size}`);
  });

  it("report each device's timestamp type", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const target = flowTarget(SPEC_FLOW);
    const types = [];
    for (const responder of ["10.1.1.254", "172.16.1.1", "172.16.1.2", "172.16.2.1"]) {
      types.push((await fabric.telemetry.hop({ responder, target, bwIngress: false }))!.timestampType);
    }
    assert.deepEqual(types, ["LCPU", "PTP", "NTP", "NTP"]);
    assert.equal(await fabric.telemetry.hop({ responder: "10.1.7.1", target, bwIngress: false }), null, "a host");
    assert.equal(await fabric.telemetry.hop({ responder: "192.0.2.1", target, bwIngress: false }), null);
  });
});

describe("per-flow counters (bw_ingress)", () => {
  it("count the flow's packets since installation, keep their id, and take a new id when reinstalled", async () => {
    const clock = fakeClock();
    const fabric = createSimFabric({ topology: quietWithFlow(100), now: clock.now });
    const target = flowTarget(FLOW);
    const route = fabric.route(FLOW);
    const ask = (i: number, bwIngress = true) =>
      fabric.telemetry.hop({ responder: route.hops[i]!.ingressAddress, target, bwIngress });
    assert.equal((await ask(0, false))!.bandwidth, undefined);
    const first = (await ask(0))!.bandwidth!;
    assert.equal(first.counter, 0);
    clock.advance(3000);
    assert.deepEqual((await ask(0))!.bandwidth, { counter: 300, id: first.id });
    const other = (await ask(1))!.bandwidth!;
    assert.notEqual(other.id, first.id, "another device, another id");
    await fabric.transport.probe(target, { ttls: [1, 2], timeoutMs: 1000, attempt: 1 });
    assert.equal((await ask(0))!.bandwidth!.counter, 302, "probes are packets of the flow");
    await fabric.telemetry.release(target);
    clock.advance(1000);
    const again = (await ask(0))!.bandwidth!;
    assert.deepEqual(again, { counter: 0, id: (first.id + 1) >>> 0 });
    clock.advance(1000);
    assert.deepEqual((await ask(0))!.bandwidth, { counter: 100, id: again.id });
  });

  it("take their ids from the device's base, as the spec's example devices do", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const target = flowTarget({ ...SPEC_FLOW, sport: 58991 });
    const ids = [];
    for (const h of fabric.route(target).hops) {
      ids.push((await fabric.telemetry.hop({ responder: h.ingressAddress, target, bwIngress: true }))!.bandwidth!.id);
    }
    assert.deepEqual(ids, [612761622, 3274244103, 3148349462]);
  });
});
