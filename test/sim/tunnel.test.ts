import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { ProbeTarget, TunnelTuple } from "../../src/probe/transport.ts";
import { createSimFabric } from "../../src/sim/index.ts";
import { fakeClock, SPEC_TUNNEL_TUPLE, ttlsUpTo } from "./fixtures.ts";

const VTEPS = ["10.1.1.1", "10.10.11.11", "10.1.7.1", "192.168.5.11"];

const arbTunnel: fc.Arbitrary<TunnelTuple> = fc
  .record({
    src: fc.constantFrom(...VTEPS),
    dst: fc.constantFrom(...VTEPS),
    sport: fc.integer({ min: 1024, max: 65535 }),
    vnid: fc.integer({ min: 0, max: 0xffffff }),
    appsrc: fc.ipV4(),
    appdst: fc.ipV4(),
    appsmac: fc.constant("52:54:00:00:00:01"),
    appdmac: fc.constant("52:54:00:00:00:02"),
  })
  .filter((t) => t.src !== t.dst);

const BATCH = { timeoutMs: 30_000, attempt: 1, ttls: ttlsUpTo(6) };

describe("tunnel probes", () => {
  it("follow the outer tuple (VTEP to VTEP, UDP sport to 4789) and end at the destination VTEP", async () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    await fc.assert(
      fc.asyncProperty(arbTunnel, async (tunnel) => {
        const target: ProbeTarget = { kind: "tunnel", tunnel };
        const outer = { src: tunnel.src, dst: tunnel.dst, proto: "udp" as const, sport: tunnel.sport, dport: 4789 };
        const route = fabric.route(outer);
        assert.deepEqual(fabric.route(target), route);
        const replies = await fabric.transport.probe(target, BATCH);
        const n = route.hops.length;
        assert.deepEqual(
          replies.slice(0, n + 1).map((r) => r.responder),
          [...route.hops.map((h) => h.ingressAddress), tunnel.dst],
        );
        assert.equal(replies[n]!.outcome, "destination");
        const hop = await fabric.telemetry.hop({ responder: replies[0]!.responder!, target, bwIngress: false });
        assert.equal(hop!.egress.chosen, route.hops[0]!.egress);
      }),
      { numRuns: 60, seed: 11 },
    );
  });

  it("do not depend on the inner flow, and change path with the outer source port", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const base: TunnelTuple = SPEC_TUNNEL_TUPLE;
    const path = (t: TunnelTuple) => fabric.route({ kind: "tunnel", tunnel: t }).hops.map((h) => h.egress);
    const reference = path(base);
    assert.deepEqual(path({ ...base, appsrc: "10.9.9.9", appdst: "10.8.8.8", vnid: 77 }), reference);
    const firstHops = new Set<string>();
    for (let sport = 40000; sport < 40100; sport++) firstHops.add(path({ ...base, sport })[0]!);
    assert.equal(firstHops.size, 4, "outer source ports spread over every ECMP and LAG member");
  });
});
