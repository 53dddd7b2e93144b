import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AS_TRANS,
  ExportClock,
  ExportOptionError,
  exportTime,
  V5Batcher,
  type V5BatcherOptions,
} from "../../src/exporter/v5-batcher.ts";
import { ipv4FromString as addr } from "../../src/wire/ipv4-address.ts";
import { decodeNetflowV5 } from "../../src/wire/netflow-v5.ts";
import { FixtureRoutes, flow, route } from "./route-fixture.ts";

const START = 1_700_000_000_000;
const ROUTES = new FixtureRoutes([
  route("10.0.0.0/8", "172.16.0.1", 64500, 64510),
  route("10.1.0.0/16", "172.16.0.2", 64501, 64511),
  route("192.0.2.0/24", "172.16.0.3", 200_000, 3356),
]);

function batcher(over: Partial<V5BatcherOptions> = {}, now = START + 90_000.5): V5Batcher {
  return new V5Batcher({ clock: new ExportClock(START), now: () => now, engineType: 3, engineId: 7, ...over });
}

describe("V5Batcher", () => {
  it("packs up to 30 records per datagram with a running flow sequence", () => {
    const b = batcher({ samplingMode: 2, samplingInterval: 100 });
    const flows = Array.from({ length: 65 }, (_, i) => flow({ srcPort: i }));
    const out = b.encode(flows);
    assert.deepEqual(
      out.map((d) => [d.stream, d.count, d.flowSequence]),
      [
        ["v5", 30, 0],
        ["v5", 30, 30],
        ["v5", 5, 60],
      ],
    );
    const decoded = out.map((d) => decodeNetflowV5(d.bytes));
    assert.deepEqual(
      decoded.flatMap((d) => d.records.map((r) => r.srcPort)),
      flows.map((f) => f.srcPort),
    );
    assert.deepEqual(decoded[1].header, {
      version: 5,
      count: 30,
      sysUptime: 90_000,
      unixSecs: Math.floor((START + 90_000) / 1000),
      unixNsecs: 500_000,
      flowSequence: 30,
      engineType: 3,
      engineId: 7,
      samplingMode: 2,
      samplingInterval: 100,
    });
    assert.equal(b.flowSequence, 65);
    assert.deepEqual(b.counters, { flows: 65, datagrams: 3 });
    assert.deepEqual(b.encode([]), []);
  });

  it("writes uptime times, ports, flags, interfaces and the route record (origin AS by default)", () => {
    const out = batcher({ routes: ROUTES }).encode([flow({ firstMs: START + 1234, lastMs: START + 5678 })]);
    const [r] = decodeNetflowV5(out[0].bytes).records;
    assert.deepEqual(r, {
      srcAddr: addr("10.1.2.3"),
      dstAddr: addr("192.0.2.9"),
      nextHop: addr("172.16.0.3"),
      input: 1,
      output: 2,
      dPkts: 10,
      dOctets: 5000,
      first: 1234,
      last: 5678,
      srcPort: 40000,
      dstPort: 443,
      pad1: 0,
      tcpFlags: 0x1b,
      prot: 6,
      tos: 0,
      srcAs: 64501,
      dstAs: AS_TRANS,
      srcMask: 16,
      dstMask: 24,
      pad2: 0,
    });
  });

  it("uses the peer AS with autonomous-system-type peer, and zeros without a route", () => {
    const b = batcher({ routes: ROUTES, asType: "peer" });
    const [r] = b.encode([flow()]).map((d) => decodeNetflowV5(d.bytes).records[0]);
    assert.deepEqual([r.srcAs, r.dstAs], [64511, 3356]);
    const none = b.encode([flow({ srcAddr: addr("8.8.8.8"), dstAddr: addr("9.9.9.9") })]);
    const n = decodeNetflowV5(none[0].bytes).records[0];
    assert.deepEqual([n.srcAs, n.dstAs, n.srcMask, n.dstMask, n.nextHop], [0, 0, 0, 0, 0]);
    const bare = batcher().encode([flow()]);
    assert.equal(decodeNetflowV5(bare[0].bytes).records[0].srcMask, 0);
  });

  it("wraps sysUptime and record times at 2^32 ms", () => {
    const now = START + 2 ** 32 + 5000;
    const b = batcher({}, now);
    const out = b.encode([flow({ firstMs: START + 2 ** 32 - 100, lastMs: START + 2 ** 32 + 10 })]);
    const d = decodeNetflowV5(out[0].bytes);
    assert.equal(d.header.sysUptime, 5000);
    assert.deepEqual([d.records[0].first, d.records[0].last], [2 ** 32 - 100, 10]);
    // Times before the exporter start wrap backwards.
    assert.equal(new ExportClock(START).uptime(START - 1), 2 ** 32 - 1);
  });

  it("wraps the flow sequence at 2^32", () => {
    const b = batcher({ initialSequence: 2 ** 32 - 10 });
    const out = b.encode(Array.from({ length: 40 }, () => flow()));
    assert.deepEqual(
      out.map((d) => decodeNetflowV5(d.bytes).header.flowSequence),
      [2 ** 32 - 10, 20],
    );
    assert.equal(b.flowSequence, 30);
  });

  it("restamps a paced datagram's export time in place", () => {
    const clock = new ExportClock(START);
    const [d] = batcher().encode([flow()]);
    clock.stamp(d.bytes, START + 150_000.25);
    const h = decodeNetflowV5(d.bytes).header;
    assert.deepEqual([h.sysUptime, h.unixSecs, h.unixNsecs], [150_000, Math.floor((START + 150_000) / 1000), 250_000]);
    assert.equal(h.flowSequence, 0);
    assert.deepEqual(exportTime(1999.9999999), { unixSecs: 1, unixNsecs: 999_999_999 });
    assert.deepEqual(exportTime(1500.25), { unixSecs: 1, unixNsecs: 500_250_000 });
  });

  it("rejects header settings out of range", () => {
    assert.throws(() => batcher({ engineType: 256 }), ExportOptionError);
    assert.throws(() => batcher({ samplingInterval: 16384 }), { code: "ERR_EXPORT_OPTION" });
    assert.throws(() => batcher({ samplingMode: 4 }), ExportOptionError);
    assert.throws(() => new ExportClock(Number.NaN), ExportOptionError);
  });
});
