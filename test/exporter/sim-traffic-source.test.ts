/**
 * The simulated fabric's traffic as an exporter source (src/exporter/sim-traffic-source.ts): the growth of each flow's
 * counters becomes that many synthetic packets with exactly its bytes, in time order; an exporter daemon with
 * `input.simulation: true` exports the fabric's flows as v5 records, exactly for a fabric whose counters the test moves,
 * and for the real default fabric.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { exporterConfigSchema } from "../../src/exporter/config.ts";
import { defaultExporterConfigText } from "../../src/exporter/default-config.ts";
import { type RunningExporter, startExporter } from "../../src/exporter/exporter.ts";
import { PacketParser, PacketVerdict } from "../../src/exporter/packet-parser.ts";
import { SIM_TRAFFIC_LINK_TYPE, SimTrafficSource } from "../../src/exporter/sim-traffic-source.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { createSimFabric, type SimFlow } from "../../src/sim/index.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { decodeNetflowV5, type NetflowV5Record } from "../../src/wire/netflow-v5.ts";
import { type UdpSink, udpSink } from "../interop/exporter-oracles.ts";

const logger = createLogger({ level: "silent" });

function flow(src: string, dst: string, proto: "tcp" | "udp", sport: number, dport: number): SimFlow {
  return { src, dst, proto, sport, dport, firstSeenMs: 0, lastSeenMs: 0, packets: 100, bytes: 10_000, overlay: null };
}

/** A fabric whose flow counters the test moves by hand. */
function fakeFabric() {
  const flows = [flow("10.1.1.1", "10.1.7.1", "tcp", 4567, 9000), flow("10.1.5.1", "10.1.1.1", "udp", 40000, 53)];
  return { flows: () => flows.map((f) => ({ ...f })), list: flows };
}

const keyOf = (r: NetflowV5Record) =>
  `${ipv4ToString(r.srcAddr)} ${ipv4ToString(r.dstAddr)} ${r.prot} ${r.srcPort} ${r.dstPort}`;

function totals(sink: UdpSink): Map<string, { pkts: number; octets: number }> {
  const out = new Map<string, { pkts: number; octets: number }>();
  for (const r of sink.datagrams.flatMap((d) => decodeNetflowV5(d).records)) {
    const t = out.get(keyOf(r)) ?? { pkts: 0, octets: 0 };
    t.pkts += r.dPkts;
    t.octets += r.dOctets;
    out.set(keyOf(r), t);
  }
  return out;
}

describe("simulated traffic source", () => {
  let exporter: RunningExporter | undefined;
  let sink: UdpSink | undefined;
  after(async () => {
    await exporter?.stop();
    await sink?.close();
  });

  it("the embedded default (flowlens up) exports the simulation to the default collector", () => {
    const c = loadConfig({ schema: exporterConfigSchema, text: defaultExporterConfigText(), env: {} });
    assert.equal(c.input.simulation, true);
    assert.deepEqual(
      c.output.cflowd.map((h) => [h.host, h.port, h.version]),
      [["127.0.0.1", 2055, 5]],
    );
    assert.equal(c.output.period, 10_000);
    assert.deepEqual([c.admin.host, c.admin.port], ["127.0.0.1", 8083]);
  });

  it("turns counter growth into packets with exact bytes, in time order", () => {
    const fabric = fakeFabric();
    const source = new SimTrafficSource(fabric);
    assert.equal(
      source.step(0, 1000, () => assert.fail("nothing sent yet")),
      0,
    );
    fabric.list[0].packets += 10;
    fabric.list[0].bytes += 15_003;
    fabric.list[1].packets += 4;
    fabric.list[1].bytes += 400;
    const parser = new PacketParser({ inputIfIndex: [], defaultInput: 0, output: 0 });
    const seen: { key: string; len: number; dt: number }[] = [];
    const n = source.step(1000, 2000, (p, dt) => {
      assert.equal(p.linkType, SIM_TRAFFIC_LINK_TYPE);
      assert.equal(parser.parseFrame(p.linkType, p.data, 1000 + dt, 0, p.origLen), PacketVerdict.IPV4);
      const i = parser.info;
      seen.push({ key: `${ipv4ToString(i.srcAddr)} ${i.prot} ${i.srcPort}>${i.dstPort}`, len: i.ipLength, dt });
    });
    assert.equal(n, 14);
    const tcp = seen.filter((s) => s.key === "10.1.1.1 6 4567>9000");
    const udp = seen.filter((s) => s.key === "10.1.5.1 17 40000>53");
    assert.equal(tcp.length, 10);
    assert.equal(udp.length, 4);
    assert.equal(
      tcp.reduce((a, s) => a + s.len, 0),
      15_003,
    );
    assert.deepEqual(
      udp.map((s) => s.len),
      [100, 100, 100, 100],
    );
    for (let k = 1; k < seen.length; k++) assert.ok(seen[k].dt >= seen[k - 1].dt, "time order");
    assert.ok(seen.every((s) => s.dt >= 0 && s.dt < 1000));
  });

  it("an exporter with input.simulation exports exactly the fabric's traffic", async () => {
    sink = await udpSink();
    const fabric = fakeFabric();
    const text = `input: { simulation: true, max-packets-per-second: unlimited }
admin: { port: 0 }
output: { period: 1s, cflowd: [{ host: 127.0.0.1, port: ${sink.port} }] }
flow-cache: { flow-inactive-timeout: 1h, tcp-close-timeout: 1h }
`;
    exporter = await startExporter(loadConfig({ schema: exporterConfigSchema, text, env: {} }), { logger, fabric });
    fabric.list[0].packets += 1000;
    fabric.list[0].bytes += 150_000;
    fabric.list[1].packets += 7;
    fabric.list[1].bytes += 700;
    assert.equal(exporter.status().sources[0].pace, "simulated");
    await exporter.stop();
    exporter = undefined;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...totals(sink).entries()].sort(), [
      ["10.1.1.1 10.1.7.1 6 4567 9000", { pkts: 1000, octets: 150_000 }],
      ["10.1.5.1 10.1.1.1 17 40000 53", { pkts: 7, octets: 700 }],
    ]);
    await sink.close();
    sink = undefined;
  });

  it("exports the default fabric's flows on the wall clock", async () => {
    sink = await udpSink();
    const fabric = createSimFabric();
    const text = `input: { simulation: true, max-packets-per-second: unlimited }
admin: { port: 0 }
output: { period: 1s, cflowd: [{ host: 127.0.0.1, port: ${sink.port} }] }
`;
    try {
      exporter = await startExporter(loadConfig({ schema: exporterConfigSchema, text, env: {} }), { logger, fabric });
      await new Promise((r) => setTimeout(r, 1200));
      assert.ok(exporter.status().sources[0].packets > 0, "packets after the first interval");
      await exporter.stop();
      exporter = undefined;
    } finally {
      await fabric.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    const got = totals(sink);
    const running = fabric.flows().filter((f) => f.lastSeenMs >= Date.now() - 5000);
    assert.ok(running.length >= 3);
    for (const f of running) {
      const t = got.get(`${f.src} ${f.dst} ${f.proto === "tcp" ? 6 : 17} ${f.sport} ${f.dport}`);
      assert.ok(t !== undefined && t.pkts > 0, `a record for ${f.src}:${f.sport} -> ${f.dst}:${f.dport}`);
    }
  });
});
