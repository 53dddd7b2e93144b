import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { NetflowFlowReader, netflowHeaderProblem } from "../../src/collector/receive/flow-reader.ts";
import {
  COLLECTOR_FLOW_FIELD_NAMES,
  type CollectorFlowFieldName,
  collectorFlowFieldsOf,
  NETFLOW_V8_FLOW_SOURCES,
  newCollectorFlowFields,
  recordUnixSeconds,
} from "../../src/collector/receive/record-mapping.ts";
import type { CollectorFlowFields } from "../../src/wire/collector-record.ts";
import { WireError } from "../../src/wire/errors.ts";
import { decodeNetflow } from "../../src/wire/netflow.ts";
import { NETFLOW_V8_SCHEMES, type NetflowV8Scheme } from "../../src/wire/netflow-v8.ts";
import { EXPORT_SECS, UPTIME_MS, v5Datagram, v5Record, v8Datagram, v8Record } from "./receive-fixtures.ts";

function readAll(bytes: Uint8Array): CollectorFlowFields[] {
  const reader = new NetflowFlowReader();
  const flow = newCollectorFlowFields();
  const out: CollectorFlowFields[] = [];
  reader.reset(bytes);
  while (reader.next(flow)) out.push({ ...flow });
  return out;
}

/**
 * The mapping written out by hand, scheme by scheme: the v8 field behind each line field (times are `first`/`last`,
 * counters `dPkts`/`dOctets` in every scheme). Everything not listed is 0.
 */
const EXPECTED: Record<NetflowV8Scheme, Partial<Record<CollectorFlowFieldName, string>>> = {
  1: { srcAsNumber: "srcAs", dstAsNumber: "dstAs" },
  2: { protocol: "prot", sourcePort: "srcPort", destinationPort: "dstPort" },
  3: { sourceAddress: "srcPrefix", srcAsNumber: "srcAs" },
  4: { destinationAddress: "dstPrefix", dstAsNumber: "dstAs" },
  5: { sourceAddress: "srcPrefix", destinationAddress: "dstPrefix", srcAsNumber: "srcAs", dstAsNumber: "dstAs" },
  6: { destinationAddress: "dstAddr" },
  7: { sourceAddress: "srcAddr", destinationAddress: "dstAddr" },
  8: {
    sourceAddress: "srcAddr",
    destinationAddress: "dstAddr",
    sourcePort: "srcPort",
    destinationPort: "dstPort",
    protocol: "prot",
  },
  9: { srcAsNumber: "srcAs", dstAsNumber: "dstAs" },
  10: { protocol: "prot", sourcePort: "srcPort", destinationPort: "dstPort" },
  11: { sourceAddress: "srcPrefix", srcAsNumber: "srcAs" },
  12: { destinationAddress: "dstPrefix", dstAsNumber: "dstAs" },
  13: { sourceAddress: "srcPrefix", destinationAddress: "dstPrefix", srcAsNumber: "srcAs", dstAsNumber: "dstAs" },
  14: {
    sourceAddress: "srcPrefix",
    destinationAddress: "dstPrefix",
    protocol: "prot",
    sourcePort: "srcPort",
    destinationPort: "dstPort",
  },
};

describe("v5 records as collector fields", () => {
  it("maps every field and converts the uptimes to UNIX seconds", () => {
    const [f] = readAll(v5Datagram([v5Record(7)]));
    assert.deepEqual(f, {
      sourceAddress: 0x0a000007,
      destinationAddress: 0xc0a80001,
      packets: 7,
      bytes: 320,
      startTime: EXPORT_SECS - 5,
      endTime: EXPORT_SECS - 1,
      sourcePort: 1031,
      destinationPort: 80,
      tcpFlag: 0x1b,
      protocol: 6,
      srcAsNumber: 64512,
      dstAsNumber: 65001,
    });
  });

  it("keeps ICMP type and code in the destination port", () => {
    const echo = v5Record(1, { prot: 1, srcPort: 0, dstPort: (8 << 8) | 0, tcpFlags: 0 });
    const unreachable = v5Record(2, { prot: 1, srcPort: 0, dstPort: (3 << 8) | 3, tcpFlags: 0 });
    const [a, b] = readAll(v5Datagram([echo, unreachable]));
    assert.deepEqual([a.protocol, a.sourcePort, a.destinationPort], [1, 0, 2048]);
    assert.deepEqual([b.protocol, b.sourcePort, b.destinationPort >> 8, b.destinationPort & 0xff], [1, 0, 3, 3]);
  });

  it("converts across the uptime wrap and rounds down with the nanoseconds", () => {
    // Export at EXPORT_SECS + 0.3 s with uptime 200 ms; first = 2^32 - 296 is 496 ms before the export (wrapped).
    const r = v5Record(1, { first: 4294967000, last: 150 });
    const [f] = readAll(v5Datagram([r], { sysUptime: 200, unixNsecs: 300_000_000 }));
    assert.equal(f.startTime, EXPORT_SECS - 1); // .300 - .496 = -0.196 s
    assert.equal(f.endTime, EXPORT_SECS); // .300 - .050 = +0.250 s
  });

  it("clamps a nonsensical header clock to the line's range", () => {
    assert.equal(recordUnixSeconds({ sysUptime: 10_000_000, unixSecs: 0, unixNsecs: 0 }, 0), 0);
    assert.equal(recordUnixSeconds({ sysUptime: 0, unixSecs: 0xffffffff, unixNsecs: 999_999_999 }, 5000), 0xffffffff);
  });

  it("agrees with the mapping of decoded datagrams", () => {
    const bytes = v5Datagram(Array.from({ length: 30 }, (_, i) => v5Record(i * 1000 + 3)));
    assert.deepEqual(readAll(bytes), collectorFlowFieldsOf(decodeNetflow(bytes)));
  });
});

describe("v8 records of every scheme as collector fields", () => {
  for (const layout of NETFLOW_V8_SCHEMES) {
    const scheme = layout.scheme;
    it(`scheme ${scheme} (${layout.name}): prefixes/addresses, counters, times; 0 where the scheme has no field`, () => {
      const rec = v8Record(scheme, 5) as unknown as Record<string, number>;
      const bytes = v8Datagram(scheme, [v8Record(scheme, 5)]);
      const [f] = readAll(bytes);
      const want: CollectorFlowFields = {
        ...newCollectorFlowFields(),
        packets: rec.dPkts,
        bytes: rec.dOctets,
        startTime: EXPORT_SECS - 7,
        endTime: EXPORT_SECS - 2,
      };
      for (const [target, wire] of Object.entries(EXPECTED[scheme])) {
        want[target as CollectorFlowFieldName] = rec[wire as string];
      }
      assert.deepEqual(f, want);
      assert.deepEqual(collectorFlowFieldsOf(decodeNetflow(bytes)), [want]);
    });
  }

  it("maps schemes 5, 13 and 14 the same in both mask orders (masks are not line fields)", () => {
    for (const scheme of [5, 13, 14] as const) {
      const records = [v8Record(scheme, 1, { srcMask: 24, dstMask: 16 })];
      assert.deepEqual(readAll(v8Datagram(scheme, records, {}, "caida")), readAll(v8Datagram(scheme, records)));
    }
  });

  it("reads every record of a full datagram, in place, equal to the decoded mapping (random records)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 0, maxLength: 32 }),
        (s, uptime, ids) => {
          const scheme = s as NetflowV8Scheme;
          const records = ids.map((id) => v8Record(scheme, id, { first: (uptime - id * 17) >>> 0, last: uptime }));
          const bytes = v8Datagram(scheme, records, { sysUptime: uptime });
          assert.deepEqual(readAll(bytes), collectorFlowFieldsOf(decodeNetflow(bytes)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("derives the documented source table from the wire layouts", () => {
    for (const layout of NETFLOW_V8_SCHEMES) {
      const sources = NETFLOW_V8_FLOW_SOURCES[layout.scheme]!;
      const want = Object.fromEntries(
        COLLECTOR_FLOW_FIELD_NAMES.map((n) => [n, (EXPECTED[layout.scheme][n] as string | undefined) ?? null]),
      );
      Object.assign(want, { packets: "dPkts", bytes: "dOctets", startTime: "first", endTime: "last" });
      assert.deepEqual(sources, want, `scheme ${layout.scheme}`);
    }
  });
});

describe("docs/collector.md, Records from v5 and v8", () => {
  it("lists for each scheme the fields the code maps", () => {
    const doc = readFileSync(new URL("../../docs/collector.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## Records from v5 and v8"));
    for (const layout of NETFLOW_V8_SCHEMES) {
      const row = section.split("\n").find((l) => l.startsWith(`| v8 ${layout.scheme} `));
      assert.ok(row, `no row for scheme ${layout.scheme}`);
      const cells = row
        .split("|")
        .slice(3, -1)
        .map((c) => c.trim());
      const sources = NETFLOW_V8_FLOW_SOURCES[layout.scheme]!;
      const order: CollectorFlowFieldName[] = [
        "sourceAddress",
        "destinationAddress",
        "sourcePort",
        "destinationPort",
        "tcpFlag",
        "protocol",
        "srcAsNumber",
        "dstAsNumber",
      ];
      assert.deepEqual(
        cells,
        order.map((n) => (sources[n] === null ? "0" : `\`${sources[n]}\``)),
        `row of scheme ${layout.scheme}`,
      );
    }
  });
});

describe("NetflowFlowReader", () => {
  const codeOf = (bytes: Uint8Array) => {
    try {
      new NetflowFlowReader().reset(bytes);
    } catch (e) {
      assert.ok(e instanceof WireError);
      return e.code;
    }
    return "ok";
  };

  it("rejects with the codecs' error codes", () => {
    const v5 = v5Datagram([v5Record(1), v5Record(2)]);
    assert.equal(codeOf(new Uint8Array(0)), "ERR_NETFLOW_TRUNCATED");
    assert.equal(codeOf(Uint8Array.of(0)), "ERR_NETFLOW_TRUNCATED");
    assert.equal(codeOf(v5.subarray(0, 20)), "ERR_NETFLOW_TRUNCATED");
    assert.equal(codeOf(v5.subarray(0, v5.length - 1)), "ERR_NETFLOW_TRUNCATED");
    const v9 = v5.slice();
    v9[1] = 9;
    assert.equal(codeOf(v9), "ERR_NETFLOW_VERSION");
    const many = v5.slice();
    many[3] = 31;
    assert.equal(codeOf(many), "ERR_NETFLOW_COUNT");
    const v8 = v8Datagram(1, [v8Record(1, 1)]);
    const bad = v8.slice();
    bad[22] = 15;
    assert.equal(codeOf(bad), "ERR_NETFLOW_AGGREGATION");
    assert.equal(codeOf(v8.subarray(0, 27)), "ERR_NETFLOW_TRUNCATED");
  });

  it("exposes the header and is reusable after a failure", () => {
    const reader = new NetflowFlowReader();
    const flow = newCollectorFlowFields();
    assert.throws(() => reader.reset(Uint8Array.of(0, 9, 0, 0)), WireError);
    assert.equal(reader.next(flow), false);
    const bytes = v8Datagram(13, [v8Record(13, 1), v8Record(13, 2)], { flowSequence: 77, engineType: 1, engineId: 2 });
    assert.equal(reader.reset(bytes), 2);
    assert.deepEqual(
      [reader.version, reader.aggregation, reader.flowSequence, reader.engineType, reader.engineId, reader.sysUptime],
      [8, 13, 77, 1, 2, UPTIME_MS],
    );
    let n = 0;
    while (reader.next(flow)) n++;
    assert.equal(n, 2);
  });

  it("tryReset and netflowHeaderProblem agree with the codec on random and mutated bytes", () => {
    const codecCode = (b: Uint8Array) => {
      try {
        decodeNetflow(b);
        return null;
      } catch (e) {
        assert.ok(e instanceof WireError);
        return e.code;
      }
    };
    const templates = [
      v5Datagram([v5Record(1), v5Record(2)]),
      ...NETFLOW_V8_SCHEMES.map((l) => v8Datagram(l.scheme, [v8Record(l.scheme, 1)])),
    ];
    const reader = new NetflowFlowReader();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc
            .tuple(
              fc.constantFrom(...templates),
              fc.array(fc.tuple(fc.nat(40), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
              fc.nat(1500),
            )
            .map(([t, flips, cut]) => {
              const b = t.slice(0, Math.min(t.length + 8, cut));
              for (const [at, v] of flips) if (at < b.length) b[at] = v;
              return b;
            }),
        ),
        (b) => {
          const want = codecCode(b);
          assert.equal(netflowHeaderProblem(b), want);
          assert.equal(reader.tryReset(b) < 0 ? reader.problem : null, want);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
