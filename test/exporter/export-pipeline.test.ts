import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExportPipeline } from "../../src/exporter/export-pipeline.ts";
import { FlowCache } from "../../src/exporter/flow-cache.ts";
import { HostExport } from "../../src/exporter/host-export.ts";
import { PacketParser } from "../../src/exporter/packet-parser.ts";
import { Sampler } from "../../src/exporter/sampler.ts";
import { ExportClock } from "../../src/exporter/v5-batcher.ts";
import type { V8AggregationScheme } from "../../src/exporter/v8-aggregator.ts";
import type { CapturedPacket } from "../../src/wire/capture-parser.ts";
import { decodeNetflowV5 } from "../../src/wire/netflow-v5.ts";
import { decodeNetflowV8 } from "../../src/wire/netflow-v8.ts";
import { LINKTYPE_ETHERNET } from "../../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";

const T0 = 1_795_000_000_000;
const PERIOD = 10_000;

/** A UDP packet of flow `n` (its own source port) at epoch ms `ms`. */
function udp(n: number, ms: number, payload = 10): CapturedPacket {
  const data = encodeEthernetIpv4UdpFrame({
    srcAddr: 0x0a000001,
    dstAddr: 0x0a000002,
    srcPort: 1000 + n,
    dstPort: 53,
    payload: new Uint8Array(payload),
  });
  return {
    timestampNs: BigInt(ms) * 1_000_000n,
    linkType: LINKTYPE_ETHERNET,
    data,
    origLen: data.length,
    interfaceId: 0,
    fileOffset: 0,
  };
}

interface Sent {
  host: string;
  at: number;
  bytes: Uint8Array;
  stream: string;
}

function setup(options: { v8?: V8AggregationScheme[]; inactiveMs?: number; hosts?: number } = {}) {
  const clock = new ExportClock(T0);
  const sampler = new Sampler({ rate: 1, maxPacketsPerSecond: Number.POSITIVE_INFINITY });
  const cache = new FlowCache({ inactiveTimeoutMs: options.inactiveMs ?? 2000 });
  const sent: Sent[] = [];
  let pipeline: ExportPipeline | undefined;
  const now = () => pipeline?.nowMs ?? T0;
  const common = {
    clock,
    now,
    engineType: 3,
    engineId: 1,
    sampling: sampler.headerSampling(),
    asType: "origin" as const,
  };
  const hosts = [
    new HostExport({ ...common, name: "v5:1", version: 5, periodMs: PERIOD, startMs: T0, localDump: false }),
  ];
  if (options.v8 !== undefined) {
    hosts.push(
      new HostExport({
        ...common,
        name: "v8:2",
        version: 8,
        schemes: options.v8,
        periodMs: PERIOD,
        startMs: T0,
        localDump: false,
      }),
    );
  }
  pipeline = new ExportPipeline({
    sampler,
    cache,
    hosts,
    clock,
    startMs: T0,
    periodMs: PERIOD,
    emit: (h, d, at) => sent.push({ host: h.name, at, bytes: d.bytes.slice(), stream: d.stream }),
  });
  return { pipeline, parser: new PacketParser(), sent, cache, hosts };
}

describe("ExportPipeline", () => {
  it("exports a period's flows spread over the next period, headers stamped when due", () => {
    const { pipeline, parser, sent } = setup();
    // 100 one-packet flows in the first second; they end 2 s later (inactive timeout).
    for (let n = 0; n < 100; n++) pipeline.packet(parser, udp(n, T0 + n * 10));
    pipeline.advance(T0 + PERIOD - 1);
    assert.equal(sent.length, 0, "nothing before the period ends");
    pipeline.advance(T0 + 3 * PERIOD);
    // 100 records = 4 datagrams (30 + 30 + 30 + 10), due at 10 s + i * 10 s / 4.
    assert.deepEqual(
      sent.map((s) => s.at - T0),
      [10_000, 12_500, 15_000, 17_500],
    );
    let sequence = 0;
    for (const s of sent) {
      const d = decodeNetflowV5(s.bytes);
      assert.equal(d.header.sysUptime, s.at - T0, "sysUptime = time since the exporter started");
      assert.equal(d.header.unixSecs * 1000 + d.header.unixNsecs / 1e6, s.at);
      assert.equal(d.header.flowSequence, sequence);
      assert.equal(d.header.engineType, 3);
      sequence += d.header.count;
      for (const r of d.records) {
        assert.equal(r.first, (r.srcPort - 1000) * 10, "record times in uptime ms");
        assert.equal(r.dPkts, 1);
        assert.equal(r.dOctets, 38);
      }
    }
    assert.equal(sequence, 100);
    assert.equal(pipeline.flowsEnded, 100);
  });

  it("runs every event in order across a gap in the capture, and jumps over idle time", () => {
    const { pipeline, parser, sent } = setup();
    pipeline.packet(parser, udp(1, T0 + 100));
    // The next packet comes a day later: the first flow ends at 2.1 s and is sent when the first period closes.
    pipeline.packet(parser, udp(2, T0 + 86_400_000 + 5));
    assert.deepEqual(
      sent.map((s) => s.at - T0),
      [PERIOD],
    );
    assert.equal(pipeline.nowMs, T0 + 86_400_000 + 5);
    // The schedule stays aligned on the start: the second flow goes out at the end of its own period.
    pipeline.advance(T0 + 86_400_000 + 3 * PERIOD);
    assert.deepEqual(
      sent.map((s) => s.at - T0),
      [PERIOD, 86_400_000 + PERIOD],
    );
  });

  it("never goes back in time: an older packet is accounted at the pipeline's time", () => {
    const { pipeline, parser, sent } = setup();
    pipeline.packet(parser, udp(1, T0 + 5000));
    pipeline.packet(parser, udp(1, T0 + 1000));
    pipeline.finish(pipeline.nowMs, "now");
    const r = decodeNetflowV5(sent[0].bytes).records;
    assert.equal(r.length, 1);
    assert.equal(r[0].dPkts, 2);
    assert.deepEqual([r[0].first, r[0].last], [5000, 5000]);
  });

  it("finish ends every flow and sends what is queued: at its due times, or all at once", () => {
    for (const stamp of ["due", "now"] as const) {
      const { pipeline, parser, sent, cache } = setup({ inactiveMs: 60_000 });
      for (let n = 0; n < 40; n++) pipeline.packet(parser, udp(n, T0 + n));
      pipeline.advance(T0 + 4000);
      assert.equal(cache.size, 40);
      pipeline.finish(T0 + 4000, stamp);
      assert.equal(cache.size, 0);
      const times = sent.map((s) => s.at - T0);
      // Closed early at 4 s: spread from the period end (10 s) over the next period, or sent at 4 s.
      assert.deepEqual(times, stamp === "due" ? [10_000, 15_000] : [4000, 4000]);
      assert.equal(
        sent.map((s) => decodeNetflowV5(s.bytes).header.count).reduce((a, b) => a + b),
        40,
      );
    }
  });

  it("feeds every host: v8 aggregates per scheme with their own streams", () => {
    const { pipeline, parser, sent } = setup({ v8: [2, 1] });
    for (let n = 0; n < 10; n++) {
      pipeline.packet(parser, udp(n % 3, T0 + n * 100));
    }
    pipeline.finish(T0 + 1000, "due");
    const v5 = sent.filter((s) => s.host === "v5:1");
    const v8 = sent.filter((s) => s.host === "v8:2");
    assert.equal(decodeNetflowV5(v5[0].bytes).header.count, 3);
    assert.deepEqual(
      v8.map((s) => s.stream),
      ["v8-protocol-port", "v8-as"],
    );
    const pp = decodeNetflowV8(v8[0].bytes);
    assert.equal(pp.records.length, 3, "three (protocol, ports) keys");
    assert.equal(
      pp.records.reduce((a, r) => a + (r as { dFlows: number }).dFlows, 0),
      3,
    );
    const as = decodeNetflowV8(v8[1].bytes);
    assert.equal(as.records.length, 1, "one (AS, AS, interfaces) key without a route table");
    assert.equal((as.records[0] as { dPkts: number }).dPkts, 10);
  });

  it("counts per host and stream what it exported", () => {
    const { pipeline, parser, hosts } = setup({ v8: [4] });
    for (let n = 0; n < 65; n++) pipeline.packet(parser, udp(n, T0 + n));
    pipeline.finish(T0 + 100, "due");
    assert.deepEqual(hosts[0].streams, [{ stream: "v5", records: 65, datagrams: 3 }]);
    assert.deepEqual(hosts[1].streams, [{ stream: "v8-destination-prefix", records: 1, datagrams: 1 }]);
    assert.equal(hosts[0].idle && hosts[1].idle, true);
  });
});
