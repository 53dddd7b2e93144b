/**
 * The exporter against nfcapd/nfdump, with tshark as the reference for what the capture holds: a generated capture
 * (TCP conversations, UDP exchanges and ICMP echo between many hosts and ports, spread over several collection periods)
 * is exported as NetFlow v5 at rate 1 by `flowlens export` into nfcapd; the flows nfdump reads back must be exactly the
 * flows of tshark's packet dump of the capture: same keys, packets, bytes (IPv4 total length), TCP flags, and first and
 * last packet times to the millisecond.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { untilUdpDrained } from "../helpers/udp-queue.ts";
import { freeUdpPort, nfdumpFlows, runFlowlens, startNfcapd, tsharkFlows } from "./exporter-oracles.ts";

const skip = needsProgram("nfcapd", "nfdump") || needsProgram("nfdump") || needsProgram("tshark");

describe("exporter interop: flowlens export into nfcapd, checked against tshark", { skip }, () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-nfdump-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("nfdump reads exactly the capture's flows, packets and bytes at rate 1", async () => {
    const pcap = join(dir, "traffic.pcap");
    // 50 ms between packets: the capture spans about a minute, six 10 s collection periods.
    writeFileSync(pcap, trafficCapture({ tcp: 60, udp: 40, icmp: 12, gapMs: 50, seed: 11 }));
    const expected = tsharkFlows(pcap);
    assert.ok(expected.size > 150, `only ${expected.size} flows in the capture`);

    const nfDir = join(dir, "nfcapd");
    mkdirSync(nfDir);
    const port = await freeUdpPort();
    const nfcapd = await startNfcapd(nfDir, port);
    let run: Awaited<ReturnType<typeof runFlowlens>>;
    try {
      run = await runFlowlens(["export", "--pcap", pcap, "--to", `127.0.0.1:${port}`, "--period", "10s", "--json"]);
      await untilUdpDrained(port);
    } finally {
      await nfcapd.stop("SIGTERM");
    }
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { flows: { ended: number }; hosts: { streams: { records: number }[] }[] };
    assert.equal(summary.flows.ended, expected.size);
    assert.equal(summary.hosts[0].streams[0].records, expected.size);

    const got = nfdumpFlows(nfDir);
    assert.equal(got.length, expected.size, "one nfdump flow per tshark flow");
    const seen = new Set<string>();
    for (const g of got) {
      const e = expected.get(g.key);
      assert.ok(e !== undefined, `nfdump has a flow tshark does not: ${g.key}`);
      assert.ok(!seen.has(g.key), `flow exported twice: ${g.key}`);
      seen.add(g.key);
      assert.deepEqual(
        { packets: g.packets, bytes: g.bytes, tcpFlags: g.tcpFlags, firstMs: g.firstMs, lastMs: g.lastMs },
        { packets: e.packets, bytes: e.bytes, tcpFlags: e.tcpFlags, firstMs: e.firstMs, lastMs: e.lastMs },
        g.key,
      );
    }
    const sum = (xs: Iterable<{ packets: number; bytes: number }>) => {
      let packets = 0;
      let bytes = 0;
      for (const x of xs) {
        packets += x.packets;
        bytes += x.bytes;
      }
      return { packets, bytes };
    };
    assert.deepEqual(sum(got), sum(expected.values()));
  });
});
