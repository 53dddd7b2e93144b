/**
 * The exporter daemon in process: capture sources read at full speed and at the recorded pace, the admin API
 * (`/metrics`, `/api/v1/exporter`), the timeline following the wall clock after the last source (flows time out and are
 * exported without a stop), and stop() flushing the cache and sending everything pending.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exporterConfigSchema } from "../../src/exporter/config.ts";
import { type RunningExporter, startExporter } from "../../src/exporter/exporter.ts";
import type { ExporterStatus } from "../../src/exporter/exporter-status.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { decodeNetflowV5, type NetflowV5Record } from "../../src/wire/netflow-v5.ts";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";
import { waitFor } from "../helpers/processes.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { udpSink, type UdpSink } from "../interop/exporter-oracles.ts";

const logger = createLogger({ level: "silent" });

function records(sink: UdpSink): NetflowV5Record[] {
  return sink.datagrams.flatMap((d) => decodeNetflowV5(d).records);
}

describe("exporter daemon", () => {
  let dir: string;
  let sink: UdpSink;
  let exporter: RunningExporter | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-daemon-"));
  });
  after(async () => {
    await exporter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(yaml: string): Promise<RunningExporter> {
    sink = await udpSink();
    const text = `${yaml}\nadmin: { port: 0 }\noutput: { period: 1s, cflowd: [{ host: 127.0.0.1, port: ${sink.port} }] }\n`;
    exporter = await startExporter(loadConfig({ schema: exporterConfigSchema, text, env: {} }), { logger });
    return exporter;
  }

  async function stop(): Promise<void> {
    await exporter?.stop();
    exporter = undefined;
    await new Promise((r) => setTimeout(r, 50));
    await sink.close();
  }

  it("serves its counters and exports everything when stopped", async () => {
    const pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 20, udp: 10, icmp: 4 }));
    const x = await start(`input: { max-packets-per-second: unlimited, pcap: [{ file: ${JSON.stringify(pcap)} }] }
flow-cache: { flow-inactive-timeout: 1h, tcp-close-timeout: 1h }`);
    await x.sourcesDone;
    const status = (await (await fetch(`${x.adminUrl}/api/v1/exporter`)).json()) as ExporterStatus;
    assert.equal(status.sources[0].state, "done");
    assert.equal(status.packets.seen, status.packets.ipv4);
    assert.equal(status.sampling.sampled, status.packets.ipv4);
    assert.ok(status.flows.inCache > 50);
    const metrics = await (await fetch(`${x.adminUrl}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`^flowlens_exporter_packets_total\\{verdict="ipv4"\\} ${status.packets.ipv4}$`, "m"),
    );
    assert.match(metrics, new RegExp(`^flowlens_exporter_flows_in_cache ${status.flows.inCache}$`, "m"));
    assert.match(metrics, /^flowlens_exporter_send_errors_total\{host="127\.0\.0\.1:\d+"\} 0$/m);
    const inCache = status.flows.inCache;
    await stop();
    const got = records(sink);
    assert.equal(got.length, inCache, "stop exports every flow held");
    assert.equal(
      got.reduce((a, r) => a + r.dPkts, 0),
      status.packets.ipv4,
    );
  });

  it("follows the wall clock after the capture: idle flows time out and go out without a stop", async () => {
    const pcap = join(dir, "short.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 0, udp: 5, icmp: 0 }));
    const x = await start(`input: { max-packets-per-second: unlimited, pcap: [{ file: ${JSON.stringify(pcap)} }] }
flow-cache: { flow-inactive-timeout: 1s }`);
    await waitFor("flows exported on their own", () => x.status().hosts[0].streams[0].records > 0, 15_000);
    await waitFor(
      "every flow exported",
      () => x.status().flows.inCache === 0 && x.status().hosts[0].pending === 0,
      15_000,
    );
    const status = x.status();
    assert.equal(status.flows.inactive, status.flows.ended);
    await waitFor("datagrams received", () => sink.datagrams.length === status.hosts[0].streams[0].datagrams);
    assert.equal(records(sink).length, status.flows.ended);
    await stop();
  });

  it("replays at the recorded pace", async () => {
    const pcap = join(dir, "paced.pcap");
    const frame = (port: number) =>
      encodeEthernetIpv4UdpFrame({
        srcAddr: 0x0a000001,
        dstAddr: 0x0a000002,
        srcPort: port,
        dstPort: 53,
        payload: new Uint8Array(8),
      });
    // Three packets of one flow 300 ms apart, captured long ago.
    writeFileSync(
      pcap,
      encodePcap(
        [0, 300, 600].map((ms) => ({ timestampNs: BigInt(1_000_000_000_000 + ms) * 1_000_000n, data: frame(4000) })),
      ),
    );
    const x = await start(`input: { pcap: [{ file: ${JSON.stringify(pcap)}, pace: recorded }] }`);
    await x.sourcesDone;
    await stop();
    const [r] = records(sink);
    assert.equal(r.dPkts, 3);
    // Replayed in real time from the start: the flow lasts (at least) the 600 ms it lasted in the capture.
    assert.ok(r.last - r.first >= 600, `flow lasted ${r.last - r.first} ms`);
    assert.ok(r.first < 60_000, "time rebased to the exporter's start");
  });
});
