/**
 * The collector against the reference tools: softflowd reads one capture and exports NetFlow v5 into the flowlens
 * collector and, in a second run over the same capture, into nfcapd; the records in flowlens's shipped files must be the
 * records nfdump reads from nfcapd's file (addresses, ports, protocol, packets, bytes, TCP flags).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { type RunningCollector, startCollector } from "../../src/collector/collector.ts";
import { collectorConfigSchema } from "../../src/collector/config.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { parseCollectorRecords } from "../../src/wire/collector-record.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { freeUdpPort } from "../helpers/free-port.ts";
import { startChild, waitFor } from "../helpers/processes.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";

const skip = needsProgram("softflowd") || needsProgram("nfcapd", "nfdump") || needsProgram("nfdump");

function softflowd(pcap: string, port: number, dir: string): void {
  const r = spawnSync(
    "softflowd",
    ["-r", pcap, "-n", `127.0.0.1:${port}`, "-v", "5", "-c", "none", "-a", "-d", "-p", join(dir, "sf.pid")],
    {
      encoding: "utf8",
      timeout: 30_000,
    },
  );
  assert.equal(r.status, 0, `softflowd failed: ${r.stderr}`);
}

/** One comparable line per record. */
function key(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  prot: number,
  pkts: number,
  bytes: number,
  flags: number,
): string {
  return `${src}:${sport} > ${dst}:${dport} p${prot} ${pkts} pkts ${bytes} B flags ${flags}`;
}

describe("collector interop: softflowd into flowlens and nfcapd", { skip }, () => {
  let dir: string;
  let collector: RunningCollector | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-interop-"));
  });
  after(async () => {
    await collector?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores exactly the records nfdump reads from nfcapd", async () => {
    const pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 60, udp: 40, icmp: 12 }));

    // nfcapd on its own UDP port (it takes a port number, not 0), fed by one softflowd run.
    const nfPort = await freeUdpPort();
    const nfDir = join(dir, "nfcapd");
    spawnSync("mkdir", ["-p", nfDir]);
    const nfcapd = startChild("nfcapd", ["-w", nfDir, "-p", String(nfPort), "-b", "127.0.0.1", "-t", "3600"]);
    try {
      await waitFor("nfcapd to listen", () => nfcapd.stdout.includes("Startup") || nfcapd.stderr.includes("Startup"));
      softflowd(pcap, nfPort, dir);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await nfcapd.stop("SIGTERM");
    }
    const nf = spawnSync("nfdump", ["-R", nfDir, "-q", "-N", "-o", "fmt:%sa|%da|%sp|%dp|%pr|%pkt|%byt|%flg"], {
      encoding: "utf8",
    });
    assert.equal(nf.status, 0, nf.stderr);
    // nfdump prints an ICMP destination port as type.code; the record carries type << 8 | code.
    const icmpPort = (p: string) =>
      p.includes(".") ? (Number(p.split(".")[0]) << 8) | Number(p.split(".")[1]) : Number(p);
    const tcpFlags = (s: string) =>
      [..."CEUAPRSF"].reduce((a, c, i) => (s.padStart(8, ".")[i] === c ? a | (0x80 >> i) : a), 0);
    const expected = nf.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("|").map((f) => f.trim()))
      .map(([sa, da, sp, dp, pr, pkt, byt, flg]) =>
        key(
          sa,
          da,
          Number(sp),
          icmpPort(dp),
          pr === "TCP" ? 6 : pr === "UDP" ? 17 : pr === "ICMP" ? 1 : Number(pr),
          Number(pkt),
          Number(byt),
          tcpFlags(flg),
        ),
      )
      .sort();
    assert.ok(expected.length > 100, `nfdump read only ${expected.length} records`);

    // The flowlens collector on port 0, shipping to a file:// destination.
    const text = `spool-directory: ${JSON.stringify(join(dir, "spool"))}
admin: { host: 127.0.0.1, port: 0 }
interfaces:
  cp-6/0/0:
    listen: ["127.0.0.1:0"]
    analyzer-address: 10.10.10.1
    analyzer-id: server1
    inputs: { mo-7/1/0.0: { exporter: any, if-alias: so_3_0_0_0 } }
    export-channels:
      "0": { primary: { url: ${JSON.stringify(pathToFileURL(join(dir, "archive")).href + "/")} }, retry-delay: 1s }
transfer-log-archive: { directory: ${JSON.stringify(join(dir, "log"))} }
`;
    const config = loadConfig({ schema: collectorConfigSchema, text, env: {} });
    collector = await startCollector(config, { logger: createLogger({ level: "warn" }) });
    const port = Number(collector.control.interfaces()[0].listeners[0].address.split(":").pop());
    softflowd(pcap, port, dir);
    await waitFor(
      "every datagram counted",
      () => collector?.control.interfaces()[0].input.flowRecords.total === expected.length,
    );
    await collector.stop();
    collector = undefined;

    const files = readdirSync(join(dir, "archive")).filter((f) => f.endsWith(".bcp.bi.gz"));
    assert.equal(files.length, 1);
    assert.match(files[0], /^cFlowd-server1-0-\d{8}_\d{6}-so_3_0_0_0\.bcp\.bi\.gz$/);
    const records = parseCollectorRecords(gunzipSync(readFileSync(join(dir, "archive", files[0]))).toString("latin1"));
    const got = records
      .map((r) =>
        key(
          ipv4ToString(r.sourceAddress),
          ipv4ToString(r.destinationAddress),
          r.sourcePort,
          r.destinationPort,
          r.protocol,
          r.packets,
          r.bytes,
          r.tcpFlag,
        ),
      )
      .sort();
    assert.deepEqual(got, expected);
    for (const r of records) {
      assert.equal(ipv4ToString(r.analyzerAddress), "10.10.10.1");
      assert.equal(r.analyzerId, "server1");
      assert.equal(r.ifAlias, "so_3_0_0_0");
    }
    const log = readdirSync(join(dir, "log")).find((f) => f.endsWith(".tmp"));
    assert.ok(log);
    assert.match(
      readFileSync(join(dir, "log", log), "utf8"),
      new RegExp(
        `^fn="${files[0].replaceAll(".", "\\.")}":sz=\\d+:nr=${records.length}:.*:sf=1:.*:rc=250:er="":tt=\\d+\\n$`,
      ),
    );
  });
});
