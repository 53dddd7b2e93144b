import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { FlowTuple } from "../../src/probe/transport.ts";
import { createSimFabric, ecmpBucket, flowHash, lagMemberIndex } from "../../src/sim/index.ts";
import { fakeClock } from "./fixtures.ts";

const arbKey = fc.record({
  src: fc.nat({ max: 0xffffffff }),
  dst: fc.nat({ max: 0xffffffff }),
  protocol: fc.constantFrom(6, 17),
  sport: fc.nat({ max: 65535 }),
  dport: fc.nat({ max: 65535 }),
});

/** A random tuple between two hosts of the default topology on different leaves or the same one. */
const HOSTS = ["10.1.1.1", "10.1.3.1", "10.10.11.11", "10.1.7.1", "10.1.8.1", "192.168.5.11", "10.1.5.1", "10.2.1.1"];
function randomTuple(i: number, src = "10.1.1.1", dst = "10.1.7.1"): FlowTuple {
  const x = flowHash({ src: i, dst: 0, protocol: 6, sport: 0, dport: 0 }, 99);
  return { src, dst, proto: x & 1 ? "tcp" : "udp", sport: 1024 + (x % 60000), dport: 1 + ((x >>> 16) % 10000) };
}

describe("forwarding hash", () => {
  it("is a pure function of the tuple and the seed", () => {
    fc.assert(
      fc.property(arbKey, fc.nat({ max: 0xffffffff }), (key, seed) => {
        const h = flowHash(key, seed);
        assert.equal(flowHash({ ...key }, seed), h);
        assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
        const n = 1 + (seed % 16);
        const b = ecmpBucket(h, n);
        assert.ok(b >= 0 && b < n);
        const m = lagMemberIndex(h, n);
        assert.ok(m >= 0 && m < n);
      }),
    );
  });

  it("spreads tuples evenly over buckets and LAG members, independently", () => {
    const counts = new Map<string, number>();
    const N = 6000;
    for (let i = 0; i < N; i++) {
      const h = flowHash({ src: 0x0a010101, dst: 0x0a010701, protocol: 6, sport: 1024 + i, dport: 9000 }, 1134);
      const k = `${ecmpBucket(h, 3)}/${lagMemberIndex(h, 2)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    assert.equal(counts.size, 6, "every (bucket, member) pair occurs");
    for (const [k, n] of counts) assert.ok(Math.abs(n - N / 6) < N / 6 / 5, `${k}: ${n} of ${N}`);
  });

  it("gives the same route for the same tuple every time, across fabrics", () => {
    const a = createSimFabric({ now: fakeClock().now });
    const b = createSimFabric({ now: fakeClock(1_800_000_000_000).now });
    for (let i = 0; i < 200; i++) {
      const t = randomTuple(i, HOSTS[i % HOSTS.length], HOSTS[(i * 7 + 3) % HOSTS.length]);
      assert.deepEqual(a.route(t), a.route(t));
      assert.deepEqual(a.route(t), b.route(t));
    }
  });

  it("uses every ECMP member and every LAG member for many tuples", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const firstHopEgress = new Set<string>();
    const ecmpMembers = new Set<string>();
    const spines = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const route = fabric.route(randomTuple(i));
      const first = route.hops[0]!;
      firstHopEgress.add(first.egress!);
      ecmpMembers.add(first.ecmpMember!);
      spines.add(route.hops[1]!.device);
      if (first.ecmpMember === "ae0.0") assert.ok(first.lagMember === first.egress);
      else assert.equal(first.lagMember, null);
    }
    assert.deepEqual([...ecmpMembers].sort(), ["ae0.0", "xe-0/0/18.0", "xe-0/0/8.0"]);
    assert.deepEqual([...firstHopEgress].sort(), ["xe-0/0/14.0", "xe-0/0/16.0", "xe-0/0/18.0", "xe-0/0/8.0"]);
    assert.equal(spines.size, 3);
  });

  it("keeps the path of a flow between hosts of one leaf on that leaf", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const route = fabric.route({ src: "10.1.1.1", dst: "10.1.3.1", proto: "udp", sport: 1000, dport: 2000 });
    assert.deepEqual(
      route.hops.map((h) => [h.device, h.ingress, h.egress, h.ecmpBuckets]),
      [["device02-example-01", "ge-0/0/0.0", "ge-0/0/1.0", 1]],
    );
    assert.equal(route.destination, "10.1.3.1");
  });

  it("has no route to an address that is no host, and none from one", () => {
    const fabric = createSimFabric({ now: fakeClock().now });
    const away = fabric.route({ src: "10.1.1.1", dst: "203.0.113.7", proto: "udp", sport: 1, dport: 2 });
    assert.equal(away.destination, null);
    assert.equal(away.hops.length, 1);
    assert.equal(away.hops[0]!.egress, null);
    assert.equal(away.hops[0]!.ecmpBuckets, 0);
    const from = fabric.route({ src: "203.0.113.7", dst: "10.1.1.1", proto: "udp", sport: 1, dport: 2 });
    assert.deepEqual(from.hops, []);
    assert.equal(from.destination, null);
  });
});
