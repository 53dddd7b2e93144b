import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { FlowRecord } from "../../src/exporter/flow-cache.ts";
import { type AutonomousSystemType, ExportClock, ExportOptionError } from "../../src/exporter/v5-batcher.ts";
import {
  JUNOS_AGGREGATION_SCHEMES,
  type V8AggregationScheme,
  V8Aggregator,
  type V8AggregatorOptions,
} from "../../src/exporter/v8-aggregator.ts";
import { ipv4FromString as addr } from "../../src/wire/ipv4-address.ts";
import { decodeNetflowV8, type NetflowV8AggregateCounters, netflowV8Layout } from "../../src/wire/netflow-v8.ts";
import { FixtureRoutes, flow, route } from "./route-fixture.ts";

const START = 1_700_000_000_000;
const ROUTES = new FixtureRoutes([
  route("10.0.0.0/8", "172.16.0.1", 64500, 64510),
  route("10.1.0.0/16", "172.16.0.2", 64501, 64511),
  route("10.1.2.0/24", "172.16.0.4", 64502, 64512),
  route("192.0.2.0/24", "172.16.0.3", 65001, 3356),
  route("198.51.100.0/25", "172.16.0.5", 70000, 64496),
]);
const ALL: V8AggregationScheme[] = [1, 2, 3, 4, 5];

function aggregator(over: Partial<V8AggregatorOptions> = {}): V8Aggregator {
  return new V8Aggregator({
    schemes: ALL,
    clock: new ExportClock(START),
    now: () => START + 120_000,
    routes: ROUTES,
    engineType: 3,
    engineId: 1,
    ...over,
  });
}

const mask = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
const as16 = (as: number) => (as > 0xffff ? 23456 : as);

/** The key fields of `f` under `scheme`, computed plainly (the reference for the aggregator). */
function referenceKey(
  f: FlowRecord,
  scheme: V8AggregationScheme,
  asType: AutonomousSystemType,
): Record<string, number> {
  const s = ROUTES.lookup(f.srcAddr);
  const d = ROUTES.lookup(f.dstAddr);
  const srcMask = s?.prefixLength ?? 0;
  const dstMask = d?.prefixLength ?? 0;
  const srcAs = s === undefined ? 0 : as16(asType === "origin" ? s.originAs : s.peerAs);
  const dstAs = d === undefined ? 0 : as16(asType === "origin" ? d.originAs : d.peerAs);
  const srcPrefix = (f.srcAddr & mask(srcMask)) >>> 0;
  const dstPrefix = (f.dstAddr & mask(dstMask)) >>> 0;
  const { input, output } = f;
  switch (scheme) {
    case 1:
      return { srcAs, dstAs, input, output };
    case 2:
      return { prot: f.prot, pad: 0, reserved: 0, srcPort: f.srcPort, dstPort: f.dstPort };
    case 3:
      return { srcPrefix, srcMask, pad: 0, srcAs, input, reserved: 0 };
    case 4:
      return { dstPrefix, dstMask, pad: 0, dstAs, output, reserved: 0 };
    case 5:
      return { srcPrefix, dstPrefix, srcMask, dstMask, reserved: 0, srcAs, dstAs, input, output };
  }
}

/** Brute-force aggregation: group by the JSON of the key, sum, min/max the times (as uptime). */
function reference(flows: FlowRecord[], scheme: V8AggregationScheme, asType: AutonomousSystemType): string[] {
  const groups = new Map<string, { dFlows: number; dPkts: number; dOctets: number; first: number; last: number }>();
  for (const f of flows) {
    const k = JSON.stringify(referenceKey(f, scheme, asType));
    const g = groups.get(k) ?? { dFlows: 0, dPkts: 0, dOctets: 0, first: Infinity, last: -Infinity };
    g.dFlows++;
    g.dPkts += f.dPkts;
    g.dOctets += f.dOctets;
    g.first = Math.min(g.first, f.firstMs - START);
    g.last = Math.max(g.last, f.lastMs - START);
    groups.set(k, g);
  }
  return [...groups].map(([k, g]) => canonical({ ...g, ...JSON.parse(k) })).sort();
}

function canonical(r: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b))));
}

const ADDRS = ["10.1.2.3", "10.1.9.9", "10.200.0.1", "192.0.2.9", "198.51.100.1", "198.51.100.200", "8.8.8.8"].map(
  addr,
);
const flowArb = fc
  .record({
    src: fc.constantFrom(...ADDRS),
    dst: fc.constantFrom(...ADDRS),
    prot: fc.constantFrom(1, 6, 17),
    srcPort: fc.constantFrom(0, 53, 40000),
    dstPort: fc.constantFrom(53, 443, 0x0800),
    input: fc.integer({ min: 1, max: 3 }),
    output: fc.integer({ min: 1, max: 3 }),
    dPkts: fc.integer({ min: 1, max: 1000 }),
    dOctets: fc.integer({ min: 40, max: 1_000_000 }),
    first: fc.integer({ min: 0, max: 60_000 }),
    len: fc.integer({ min: 0, max: 60_000 }),
  })
  .map((r) =>
    flow({
      srcAddr: r.src,
      dstAddr: r.dst,
      prot: r.prot,
      srcPort: r.srcPort,
      dstPort: r.dstPort,
      input: r.input,
      output: r.output,
      dPkts: r.dPkts,
      dOctets: r.dOctets,
      firstMs: START + r.first,
      lastMs: START + r.first + r.len,
    }),
  );

describe("V8Aggregator", () => {
  it("aggregates each scheme as a brute-force reference does, in datagrams within the scheme's maximum", () => {
    fc.assert(
      fc.property(
        fc.array(flowArb, { maxLength: 400 }),
        fc.constantFrom<AutonomousSystemType>("origin", "peer"),
        fc.boolean(),
        (flows, asType, caida) => {
          const agg = aggregator({ asType, caidaCompliant: caida });
          agg.addAll(flows);
          const out = agg.drain();
          for (const scheme of ALL) {
            const layout = netflowV8Layout(scheme)!;
            const mine = out.filter((d) => d.stream === `v8-${layout.name}`);
            let sequence = 0;
            const records: string[] = [];
            for (const d of mine) {
              const decoded = decodeNetflowV8(d.bytes, 0, d.bytes.length, { maskOrder: caida ? "caida" : "default" });
              assert.equal(decoded.header.aggregation, scheme);
              assert.equal(decoded.header.flowSequence, sequence);
              assert.ok(decoded.records.length >= 1 && decoded.records.length <= layout.maxRecords);
              sequence += decoded.records.length;
              for (const r of decoded.records) records.push(canonical(r));
            }
            assert.deepEqual(records.sort(), reference(flows, scheme, asType));
            assert.equal(agg.flowSequence(scheme), sequence);
          }
          assert.equal(agg.size(1), 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("splits a scheme's aggregates at its maximum record count", () => {
    const agg = aggregator({ schemes: [2, 5] });
    for (let i = 0; i < 200; i++) agg.add(flow({ srcPort: i, output: i }));
    const out = agg.drain();
    assert.deepEqual(
      out.map((d) => [d.stream, d.count, d.flowSequence]),
      [
        ["v8-protocol-port", 51, 0],
        ["v8-protocol-port", 51, 51],
        ["v8-protocol-port", 51, 102],
        ["v8-protocol-port", 47, 153],
        ...[0, 1, 2, 3, 4].map((i) => ["v8-prefix", 35, 35 * i]),
        ["v8-prefix", 25, 175],
      ],
    );
    // The next period continues each stream's own sequence.
    agg.add(flow());
    assert.deepEqual(
      agg.drain().map((d) => [d.stream, d.flowSequence]),
      [
        ["v8-protocol-port", 200],
        ["v8-prefix", 200],
      ],
    );
  });

  it("writes scheme 5's mask bytes source first by default and destination first when caida-compliant", () => {
    const f = flow({ srcAddr: addr("10.1.2.3"), dstAddr: addr("198.51.100.9") }); // masks 24 and 25
    for (const [caida, first, second] of [
      [false, 24, 25],
      [true, 25, 24],
    ] as const) {
      const agg = aggregator({ schemes: [5], caidaCompliant: caida });
      agg.add(f);
      const [d] = agg.drain();
      const record = 28;
      assert.deepEqual([d.bytes[record + 28], d.bytes[record + 29]], [first, second]);
      const r = decodeNetflowV8(d.bytes, 0, d.bytes.length, { maskOrder: caida ? "caida" : "default" }).records[0];
      assert.deepEqual([(r as { srcMask: number }).srcMask, (r as { dstMask: number }).dstMask], [24, 25]);
    }
  });

  it("writes the header: uptime, UNIX time, engine, aggregation version", () => {
    const agg = aggregator({ schemes: [1] });
    agg.add(flow({ firstMs: START + 10, lastMs: START + 20 }));
    const h = decodeNetflowV8(agg.drain()[0].bytes).header;
    assert.deepEqual(h, {
      version: 8,
      count: 1,
      sysUptime: 120_000,
      unixSecs: Math.floor((START + 120_000) / 1000),
      unixNsecs: 0,
      flowSequence: 0,
      engineType: 3,
      engineId: 1,
      aggregation: 1,
      aggVersion: 2,
      reserved: 0,
    });
  });

  it("closes an aggregate before a counter passes 2^32 - 1 and exports both parts", () => {
    const agg = aggregator({ schemes: [2] });
    agg.add(flow({ dOctets: 3_000_000_000 }));
    agg.add(flow({ dOctets: 3_000_000_000 }));
    agg.add(flow({ dOctets: 5 }));
    const records = decodeNetflowV8(agg.drain()[0].bytes).records.map((r) => {
      const c = r as NetflowV8AggregateCounters;
      return [c.dFlows, c.dOctets];
    });
    assert.deepEqual(records, [
      [1, 3_000_000_000],
      [2, 3_000_000_005],
    ]);
  });

  it("names the Junos aggregations and rejects bad scheme lists", () => {
    assert.deepEqual(Object.values(JUNOS_AGGREGATION_SCHEMES), [1, 2, 3, 4, 5]);
    assert.throws(() => aggregator({ schemes: [] }), ExportOptionError);
    assert.throws(() => aggregator({ schemes: [1, 1] }), { code: "ERR_EXPORT_OPTION" });
    assert.throws(() => aggregator({ schemes: [6 as V8AggregationScheme] }), ExportOptionError);
    assert.throws(() => aggregator({ engineId: -1 }), ExportOptionError);
    assert.deepEqual(aggregator().drain(), []);
  });
});
