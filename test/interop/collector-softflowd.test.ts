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
import { after, before, describe, it } from "node:test";
import type { RunningCollector } from "../../src/collector/collector.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { freeUdpPort } from "../helpers/free-port.ts";
import { startChild, waitFor } from "../helpers/processes.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { untilUdpDrained } from "../helpers/udp-queue.ts";
import { shippedFile, startFileCollector } from "./file-collector.ts";

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
      await untilUdpDrained(nfPort);
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
    const started = await startFileCollector(dir);
    collector = started.running;
    softflowd(pcap, started.port, dir);
    await waitFor(
      "every datagram counted",
      () => collector?.control.interfaces()[0].input.flowRecords.total === expected.length,
    );
    await collector.stop();
    collector = undefined;

    const shipped = shippedFile(dir);
    assert.match(shipped.name, /^cFlowd-server1-0-\d{8}_\d{6}-so_3_0_0_0\.bcp\.bi\.gz$/);
    const records = shipped.records;
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
        `^fn="${shipped.name.replaceAll(".", "\\.")}":sz=\\d+:nr=${records.length}:.*:sf=1:.*:rc=250:er="":tt=\\d+\\n$`,
      ),
    );
  });
});
