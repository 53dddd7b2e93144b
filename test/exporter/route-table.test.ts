import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  prefixMask,
  type RouteInfo,
  type RouteTable,
  RouteTableBuilder,
  routeInfoFromAsPath,
} from "../../src/exporter/route-table.ts";
import { parseRouteLine, parseRouteTableText, RouteTableLoadError } from "../../src/exporter/route-table-text.ts";
import { asPathFromString } from "../../src/wire/bgp-as-path.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";

interface Route extends RouteInfo {
  prefix: number;
  prefixLength: number;
}

/** The reference: scan every route, keep the longest match (the builder's duplicate rule for equal prefixes). */
function bruteForce(routes: Route[], addr: number): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    const mask = prefixMask(r.prefixLength);
    if ((addr & mask) >>> 0 !== (r.prefix & mask) >>> 0) continue;
    if (best === undefined || r.prefixLength > best.prefixLength) best = r;
    else if (r.prefixLength === best.prefixLength && r.pathLength < best.pathLength) best = r;
  }
  return best;
}

function build(routes: Route[]): RouteTable {
  const b = new RouteTableBuilder();
  for (const r of routes) b.add(r.prefix, r.prefixLength, r);
  return b.build();
}

/** Prefixes clustered around a few bases, so that they nest and collide. */
const route: fc.Arbitrary<Route> = fc
  .record({
    base: fc.constantFrom(0, 0x0a000000, 0x0a350000, 0xc0a80000, 0xffffff00, 0x80000000),
    jitter: fc.integer({ min: 0, max: 0xffff }),
    prefixLength: fc.integer({ min: 0, max: 32 }),
    nextHop: fc.integer({ min: 0, max: 0xffffffff }),
    originAs: fc.integer({ min: 0, max: 0xffffffff }),
    peerAs: fc.integer({ min: 0, max: 0xffffffff }),
    pathLength: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ base, jitter, ...r }) => ({ ...r, prefix: ((base + jitter * 0x101) & prefixMask(r.prefixLength)) >>> 0 }));

/** Queries at and around every prefix boundary plus random ones. */
function probes(routes: Route[], extra: number[]): number[] {
  const out = [0, 0xffffffff, ...extra];
  for (const r of routes) {
    const end = r.prefix + 2 ** (32 - r.prefixLength) - 1;
    for (const a of [r.prefix - 1, r.prefix, r.prefix + 1, end - 1, end, end + 1]) out.push(a >>> 0);
  }
  return out;
}

describe("RouteTable longest-prefix match", () => {
  it("equals a brute-force scan", () => {
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
        (routes, extra) => {
          const table = build(routes);
          for (const addr of probes(routes, extra)) {
            const want = bruteForce(routes, addr);
            const got = table.lookup(addr);
            if (want === undefined) {
              assert.equal(got, undefined, `addr ${addr}`);
              assert.equal(table.maskLength(addr), 0);
              assert.equal(table.asOf(addr, "origin"), 0);
              assert.equal(table.asOf(addr, "peer"), 0);
              assert.equal(table.nextHopOf(addr), 0);
              continue;
            }
            const { prefix, prefixLength, nextHop, originAs, peerAs } = want;
            assert.deepEqual(got, { prefix, prefixLength, nextHop, originAs, peerAs }, `addr ${addr}`);
            assert.equal(table.maskLength(addr), prefixLength);
            assert.equal(table.asOf(addr, "origin"), originAs);
            assert.equal(table.asOf(addr, "peer"), peerAs);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps one route per prefix, the shortest path, the first added on a tie", () => {
    const b = new RouteTableBuilder();
    const p = ipv4FromString("10.0.0.0");
    b.add(p, 8, { nextHop: 1, originAs: 1, peerAs: 1, pathLength: 3 });
    b.add(p, 8, { nextHop: 2, originAs: 2, peerAs: 2, pathLength: 2 });
    b.add(p | 0xff, 8, { nextHop: 3, originAs: 3, peerAs: 3, pathLength: 2 }); // host bits dropped: same prefix
    const table = b.build();
    assert.equal(b.added, 3);
    assert.equal(table.size, 1);
    assert.equal(table.nextHopOf(ipv4FromString("10.9.9.9")), 2);
    assert.deepEqual(
      [...table.routes()].map((r) => r.prefix),
      [p],
    );
  });

  it("handles the empty table, the default route and host routes", () => {
    const empty = new RouteTableBuilder().build();
    assert.equal(empty.lookup(0x01020304), undefined);
    assert.equal(empty.rangeCount, 1);
    const b = new RouteTableBuilder();
    b.add(0, 0, { nextHop: 9, originAs: 0, peerAs: 0, pathLength: 0 });
    b.add(0xffffffff, 32, { nextHop: 7, originAs: 1, peerAs: 1, pathLength: 1 });
    b.add(0, 32, { nextHop: 8, originAs: 2, peerAs: 2, pathLength: 1 });
    const t = b.build();
    assert.equal(t.maskLength(0), 32);
    assert.equal(t.maskLength(1), 0);
    assert.equal(t.nextHopOf(1), 9);
    assert.equal(t.maskLength(0xffffffff), 32);
    assert.equal(t.maskLength(-1), 32); // taken modulo 2^32
    assert.equal(t.maskLength(0xfffffffe), 0);
    assert.throws(() => b.add(0, 33, { nextHop: 0, originAs: 0, peerAs: 0, pathLength: 0 }), RangeError);
  });

  it("reports the origin AS (last of the path) or the peer AS (first)", () => {
    const table = parseRouteTableText("10.53.0.0/16 192.168.255.240 7018 3356 11111\n");
    const addr = ipv4FromString("10.53.127.1");
    assert.equal(table.asOf(addr, "origin"), 11111);
    assert.equal(table.asOf(addr, "peer"), 7018);
    assert.equal(table.asOf(addr), 11111); // origin is the default, as on Junos
    assert.equal(table.maskLength(addr), 16);
    assert.equal(table.nextHopOf(addr), ipv4FromString("192.168.255.240"));
    // The spec's local-dump example: destination 10.6.255.15 has no route, so mask 0.
    assert.equal(table.maskLength(ipv4FromString("10.6.255.15")), 0);
  });

  it("derives origin, peer and path length from an AS path", () => {
    assert.deepEqual(routeInfoFromAsPath(5, asPathFromString("1 2 {3,4}")), {
      nextHop: 5,
      originAs: 4,
      peerAs: 1,
      pathLength: 3,
    });
  });
});

describe("text route table", () => {
  it("parses routes, comments, blank lines, sets and asdot", () => {
    const table = parseRouteTableText(
      [
        "# flowlens route record",
        "",
        "10.53.0.0/16 192.168.255.240 7018 3356 11111   # the spec's example",
        "10.0.0.0/8\t10.0.0.1\t701 {65000,65001}",
        "192.0.2.0/24 0.0.0.0",
        "198.51.100.0/24 192.0.2.1 1.10\r",
      ].join("\n"),
    );
    assert.equal(table.size, 4);
    assert.deepEqual(table.lookup(ipv4FromString("10.1.1.1")), {
      prefix: ipv4FromString("10.0.0.0"),
      prefixLength: 8,
      nextHop: ipv4FromString("10.0.0.1"),
      originAs: 65001,
      peerAs: 701,
    });
    assert.equal(table.asOf(ipv4FromString("192.0.2.9")), 0); // empty path: a local route
    assert.equal(table.asOf(ipv4FromString("198.51.100.9")), 65546);
  });

  it("parses one line into its fields", () => {
    assert.equal(parseRouteLine("   # only a comment"), undefined);
    assert.deepEqual(parseRouteLine("10.53.0.0/16 192.168.255.240 7018 3356"), {
      prefix: 0x0a350000,
      prefixLength: 16,
      nextHop: 0xc0a8fff0,
      asPath: [{ type: 2, asns: [7018, 3356] }],
    });
  });

  it("rejects bad lines by line number", () => {
    const text = [
      "10.0.0.0/8 10.0.0.1 1", // 1 good
      "10.0.0.0 10.0.0.1 1", // 2 no length
      "10.0.0.0/33 10.0.0.1", // 3 length
      "10.0.0.1/8 10.0.0.1", // 4 host bits
      "10.0.0.0/8", // 5 no next hop
      "10.0.0.0/8 10.0.0.256", // 6 bad next hop
      "10.0.0.0/8 10.0.0.1 7018 x", // 7 bad AS
      "10.0.0.0/8 10.0.0.1 {1,2", // 8 unclosed set
      "300.0.0.0/8 10.0.0.1", // 9 bad octet
      "# fine", // 10
    ].join("\n");
    try {
      parseRouteTableText(text);
      assert.fail("expected ERR_ROUTE_TABLE_SYNTAX");
    } catch (e) {
      assert.ok(e instanceof RouteTableLoadError);
      assert.equal(e.code, "ERR_ROUTE_TABLE_SYNTAX");
      assert.deepEqual(
        e.lines.map((l) => l.line),
        [2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.match(e.message, /8 bad line\(s\): line 2: bad prefix/);
      assert.match(e.lines[2].message, /bits set past \/8/);
    }
  });

  it("lists at most 100 bad lines but counts them all", () => {
    const text = Array.from({ length: 150 }, () => "junk").join("\n");
    assert.throws(
      () => parseRouteTableText(text),
      (e: unknown) => e instanceof RouteTableLoadError && e.lines.length === 100 && /150 bad line/.test(e.message),
    );
  });
});
