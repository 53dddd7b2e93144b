/**
 * The exporter against softflowd on the same capture: `softflowd -r` and `flowlens export` each send NetFlow v5 of one
 * generated capture into their own nfcapd, and the flow sets nfdump reads back must agree on addresses, ports,
 * protocol, packets and TCP flags. Bytes differ by design: softflowd counts each frame's length after the Ethernet
 * header, which includes the padding a NIC adds to frames under 60 bytes, where flowlens (like Junos and Cisco) counts
 * the IPv4 total length; the capture pads its short frames, and for every flow softflowd's bytes must equal flowlens's
 * plus that flow's padding, both measured by tshark.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { untilUdpDrained } from "../helpers/udp-queue.ts";
import {
  freeUdpPort,
  type NfdumpFlow,
  nfdumpFlows,
  runFlowlens,
  startNfcapd,
  tsharkFlows,
} from "./exporter-oracles.ts";

const skip =
  needsProgram("softflowd") || needsProgram("nfcapd", "nfdump") || needsProgram("nfdump") || needsProgram("tshark");

async function collect(dir: string, name: string, send: (port: number) => Promise<void> | void): Promise<NfdumpFlow[]> {
  const out = join(dir, name);
  mkdirSync(out);
  const port = await freeUdpPort();
  const nfcapd = await startNfcapd(out, port);
  try {
    await send(port);
    await untilUdpDrained(port);
  } finally {
    await nfcapd.stop("SIGTERM");
  }
  return nfdumpFlows(out);
}

describe("exporter interop: flowlens and softflowd on the same capture", { skip }, () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-softflowd-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("yields the same flow set; bytes differ by the Ethernet padding softflowd counts", async () => {
    const pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 50, udp: 40, icmp: 10, gapMs: 20, seed: 5, ethernetPadding: true }));
    const reference = tsharkFlows(pcap);
    const padded = [...reference.values()].filter((f) => f.padding > 0).length;
    assert.ok(padded > 50, `only ${padded} flows with padded frames`);

    const softflowd = await collect(dir, "softflowd", (port) => {
      const args = ["-r", pcap, "-n", `127.0.0.1:${port}`, "-v", "5", "-c", "none", "-d", "-p", join(dir, "sf.pid")];
      const r = spawnSync("softflowd", args, { encoding: "utf8", timeout: 30_000 });
      assert.equal(r.status, 0, `softflowd failed: ${r.stderr}`);
    });
    const flowlens = await collect(dir, "flowlens", async (port) => {
      const r = await runFlowlens(["export", "--pcap", pcap, "--to", `127.0.0.1:${port}`]);
      assert.equal(r.code, 0, r.stderr);
    });

    const byKey = (flows: NfdumpFlow[]) => new Map(flows.map((f) => [f.key, f]));
    const sf = byKey(softflowd);
    const fl = byKey(flowlens);
    assert.equal(sf.size, softflowd.length, "softflowd exported a flow twice");
    assert.equal(fl.size, flowlens.length, "flowlens exported a flow twice");
    assert.deepEqual([...fl.keys()].sort(), [...sf.keys()].sort());
    assert.deepEqual([...fl.keys()].sort(), [...reference.keys()].sort());
    for (const [key, f] of fl) {
      const s = sf.get(key)!;
      const t = reference.get(key)!;
      assert.equal(f.packets, s.packets, `packets of ${key}`);
      assert.equal(f.tcpFlags, s.tcpFlags, `TCP flags of ${key}`);
      assert.equal(f.bytes, t.bytes, `flowlens bytes of ${key} (IPv4 total length)`);
      assert.equal(s.bytes, t.bytes + t.padding, `softflowd bytes of ${key} (frame after the Ethernet header)`);
    }
  });
});
