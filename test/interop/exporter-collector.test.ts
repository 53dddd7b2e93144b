/**
 * Round trip: the flowlens exporter into the flowlens collector (in process, shipping to a file:// archive). The
 * records in the collector's shipped file must be the exporter's flows: for v5, one record per flow of tshark's packet
 * dump of the capture, with its addresses, ports, protocol, packets, bytes, TCP flags, first and last packet times (UNIX
 * seconds) and the origin AS numbers of the route-record table; for v8 protocol-port (`flowlens export` as a child
 * process), per (protocol, ports) the packets and bytes of the capture.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningCollector } from "../../src/collector/collector.ts";
import { exporterConfigSchema } from "../../src/exporter/config.ts";
import { runOneShotExport } from "../../src/exporter/one-shot-export.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import type { ParsedCollectorRecord } from "../../src/wire/collector-record.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { waitFor } from "../helpers/processes.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { shippedFile, startFileCollector } from "./file-collector.ts";
import { flowKey, runFlowlens, tsharkFlows } from "./exporter-oracles.ts";

const skip = needsProgram("tshark");

async function shippedRecords(dir: string, c: RunningCollector, count: number): Promise<ParsedCollectorRecord[]> {
  await waitFor("every record counted", () => c.control.interfaces()[0].input.flowRecords.total >= count);
  await c.stop();
  return shippedFile(dir).records;
}

describe("exporter interop: flowlens exporter into the flowlens collector", { skip }, () => {
  let dir: string;
  let pcap: string;
  let running: RunningCollector | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-collector-"));
    pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 40, udp: 30, icmp: 8, gapMs: 40, seed: 21 }));
    writeFileSync(join(dir, "routes.txt"), "10.1.0.0/16 192.0.2.1 64601 65001\n10.2.0.0/16 192.0.2.2 64602 65002\n");
  });
  after(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("v5: the record file holds exactly the exporter's flows", async () => {
    const sub = join(dir, "v5");
    const c = await startFileCollector(sub);
    running = c.running;
    const text = `input: { max-packets-per-second: unlimited, pcap: [{ file: ${JSON.stringify(pcap)} }] }
output: { period: 10s, cflowd: [{ host: 127.0.0.1, port: ${c.port}, version: 5 }] }
route-record: { file: ${JSON.stringify(join(dir, "routes.txt"))} }
`;
    const status = await runOneShotExport(loadConfig({ schema: exporterConfigSchema, text, env: {} }));
    const flows = tsharkFlows(pcap);
    assert.equal(status.flows.ended, flows.size);
    const records = await shippedRecords(sub, c.running, flows.size);
    running = undefined;
    const asOf = (addr: string) => (addr.startsWith("10.1.") ? 65001 : addr.startsWith("10.2.") ? 65002 : 0);
    const got = records.map((r) =>
      [
        flowKey(
          ipv4ToString(r.sourceAddress),
          ipv4ToString(r.destinationAddress),
          r.sourcePort,
          r.destinationPort,
          r.protocol,
        ),
        r.packets,
        r.bytes,
        r.tcpFlag,
        r.startTime,
        r.endTime,
        r.srcAsNumber,
        r.dstAsNumber,
      ].join(" "),
    );
    const expected = [...flows.values()].map((f) =>
      [
        flowKey(f.src, f.dst, f.srcPort, f.dstPort, f.prot),
        f.packets,
        f.bytes,
        f.tcpFlags,
        Math.floor(f.firstMs / 1000),
        Math.floor(f.lastMs / 1000),
        asOf(f.src),
        asOf(f.dst),
      ].join(" "),
    );
    assert.deepEqual(got.sort(), expected.sort());
  });

  it("v8 protocol-port from `flowlens export`: per protocol and ports, the capture's packets and bytes", async () => {
    const sub = join(dir, "v8");
    const c = await startFileCollector(sub);
    running = c.running;
    const run = await runFlowlens([
      "export",
      ...["--pcap", pcap, "--to", `127.0.0.1:${c.port}`, "--version", "8", "--aggregation", "protocol-port", "--json"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { hosts: { streams: { stream: string; records: number }[] }[] };
    assert.equal(status.hosts[0].streams[0].stream, "v8-protocol-port");
    const records = await shippedRecords(sub, c.running, status.hosts[0].streams[0].records);
    running = undefined;
    const totals = (rows: [string, number, number][]) => {
      const m = new Map<string, string>();
      const sums = new Map<string, [number, number]>();
      for (const [k, p, b] of rows) {
        const s = sums.get(k) ?? [0, 0];
        sums.set(k, [s[0] + p, s[1] + b]);
      }
      for (const [k, [p, b]] of sums) m.set(k, `${p} packets ${b} bytes`);
      return [...m.entries()].sort();
    };
    const got = totals(records.map((r) => [`${r.protocol} ${r.sourcePort} ${r.destinationPort}`, r.packets, r.bytes]));
    const flows = [...tsharkFlows(pcap).values()];
    const expected = totals(flows.map((f) => [`${f.prot} ${f.srcPort} ${f.dstPort}`, f.packets, f.bytes]));
    assert.deepEqual(got, expected);
    for (const r of records) assert.equal(r.sourceAddress, 0);
  });
});
