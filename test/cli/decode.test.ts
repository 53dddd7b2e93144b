/**
 * `flowlens decode` end to end: the real command (bin/flowlens.js) run as a child process on the bundled example
 * capture, on captures made here, and on the real device datagrams in ../shared/testdata/netflow/.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ipv4FromString as ip } from "../../src/wire/ipv4-address.ts";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";
import { SHARED_TESTDATA, needsTestdata } from "../helpers/requirements.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = join(ROOT, "examples/netflow-v5-v8.pcap");

function flowlens(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/flowlens.js"), ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

describe("flowlens decode: the bundled example capture", () => {
  it("prints one header line per NetFlow datagram and passes over the DNS query", () => {
    const r = flowlens("decode", EXAMPLE);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    const headers = r.stdout.split("\n").filter((l) => l.startsWith("# "));
    assert.equal(headers.length, 6);
    assert.match(headers[0], /NetFlow v5 count 4 seq 118 engine 3\/0 sampling mode 1 interval 100/);
    assert.match(headers[0], /from 192\.0\.2\.1:50000 to 127\.0\.0\.1:2055/);
    assert.match(headers[5], /NetFlow v8 aggregation 5 \(prefix\)/);
  });

  it("renders protocols by name, ICMP ports as type.code and TCP flags nfdump-style", () => {
    const lines = flowlens("decode", EXAMPLE).stdout.split("\n");
    const bgp = lines.find((l) => l.includes("10.53.127.1:26629"));
    assert.ok(bgp);
    assert.match(
      bgp,
      /^2026-11-18 11:05:58\.250 +41\.000 TCP +10\.53\.127\.1:26629 -> 10\.6\.255\.15:179 +\.A\.\.\.\. 192 +15 +600 +1$/,
    );
    const icmp = lines.find((l) => l.includes(" ICMP "));
    assert.ok(icmp);
    assert.match(icmp, /10\.1\.1\.2:0 -> 10\.1\.7\.9:8\.0 /);
    assert.ok(lines.some((l) => l.includes("10.2.0.7:51234") && l.includes(".AP.SF")));
  });

  it("prints one JSON object per datagram with the header fields and ISO times", () => {
    const r = flowlens("decode", "--json", EXAMPLE);
    assert.equal(r.status, 0, r.stderr);
    const objs = jsonLines(r.stdout);
    assert.deepEqual(
      objs.map((o) => [o.version, o.aggregation]),
      [
        [5, undefined],
        [8, 1],
        [8, 2],
        [8, 3],
        [8, 4],
        [8, 5],
      ],
    );
    const v5 = objs[0];
    assert.deepEqual(Object.keys(v5).slice(0, 10), [
      "version",
      "count",
      "sysUptime",
      "unixSecs",
      "unixNsecs",
      "flowSequence",
      "engineType",
      "engineId",
      "samplingMode",
      "samplingInterval",
    ]);
    const rec = (v5.records as Record<string, unknown>[])[0];
    assert.equal(rec.srcAddr, "10.53.127.1");
    assert.equal(rec.nextHop, "198.51.100.1");
    assert.equal(rec.tos, 0xc0);
    assert.equal(rec.firstTime, "2026-11-18T11:05:58.250Z");
    assert.equal(rec.lastTime, "2026-11-18T11:06:39.250Z");
    assert.equal("pad1" in rec, false);
    const v8 = objs[5];
    assert.equal(v8.aggVersion, 2);
    const agg = (v8.records as Record<string, unknown>[])[0];
    assert.equal(agg.srcPrefix, "10.53.0.0");
    assert.equal(agg.dstPrefix, "10.6.255.0");
    assert.deepEqual([agg.srcMask, agg.dstMask, agg.dFlows], [16, 24, 12]);
  });

  it("--mask-order caida reads the two mask bytes of scheme 5 the other way round", () => {
    const objs = jsonLines(flowlens("decode", "--json", "--mask-order", "caida", EXAMPLE).stdout);
    const agg = (objs[5].records as Record<string, unknown>[])[0];
    assert.deepEqual([agg.srcMask, agg.dstMask], [24, 16]);
  });

  it("--port 53 takes the DNS query and reports it as not NetFlow (exit 1)", () => {
    const r = flowlens("decode", "--port", "53", EXAMPLE);
    assert.equal(r.status, 1);
    const errs = r.stderr.trim().split("\n");
    assert.equal(errs.length, 1);
    assert.match(
      errs[0],
      /^flowlens decode: .*netflow-v5-v8\.pcap datagram #1: ERR_NETFLOW_VERSION at datagram byte 0: /,
    );
    assert.doesNotMatch(r.stdout, /^# /m);
  });
});

describe("flowlens decode: damaged input", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-decode-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reports a datagram cut short inside a capture and goes on with the next one", () => {
    const v5 = new Uint8Array(24 + 48);
    v5.set([0, 5, 0, 1]);
    const frame = (payload: Uint8Array) =>
      encodeEthernetIpv4UdpFrame({
        srcAddr: ip("127.0.0.2"),
        dstAddr: ip("127.0.0.1"),
        srcPort: 9,
        dstPort: 2055,
        payload,
      });
    const file = join(dir, "cut.pcap");
    writeFileSync(file, encodePcap([{ data: frame(v5.subarray(0, 50)) }, { data: frame(v5) }]));
    const r = flowlens("decode", "--port", "2055", "--json", file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /datagram #1: ERR_NETFLOW_TRUNCATED at datagram byte \d+: /);
    assert.equal(jsonLines(r.stdout).length, 1);
  });

  it("reports a capture file whose last record is cut short, after the packets before it", () => {
    const whole = new Uint8Array(readFileSync(EXAMPLE));
    const file = join(dir, "short.pcap");
    writeFileSync(file, whole.subarray(0, whole.length - 10));
    const r = flowlens("decode", file);
    assert.equal(r.status, 1);
    assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("# ")).length, 5);
    assert.match(r.stderr, /^flowlens decode: .*short\.pcap datagram #6: ERR_PCAP\w*TRUNCATED at file byte \d+: .+\n$/);
  });

  it("exits 2 on usage errors and 1 on a missing file, with one line each", () => {
    for (const args of [
      ["decode"],
      ["decode", "--port", "0", EXAMPLE],
      ["decode", "--mask-order", "x", EXAMPLE],
      ["nonsense"],
    ]) {
      const r = flowlens(...args);
      assert.equal(r.status, 2, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    const r = flowlens("decode", join(dir, "absent.dat"));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /absent\.dat: ENOENT/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe("flowlens decode: real device datagrams", {
  skip: needsTestdata("netflow/netflow5_test_juniper_mx80.dat"),
}, () => {
  const NF = join(SHARED_TESTDATA, "netflow");

  it("Juniper MX80: 29 records, the last one as the testdata README lists it", () => {
    const r = flowlens("decode", "--json", join(NF, "netflow5_test_juniper_mx80.dat"));
    assert.equal(r.status, 0, r.stderr);
    const [d] = jsonLines(r.stdout);
    assert.equal(d.count, 29);
    assert.equal(d.flowSequence, 528678);
    assert.deepEqual([d.engineType, d.engineId, d.samplingMode, d.samplingInterval], [0, 0, 0, 1000]);
    const rec = (d.records as Record<string, unknown>[])[28];
    assert.deepEqual(
      [rec.srcAddr, rec.dstAddr, rec.nextHop, rec.input, rec.output, rec.dPkts, rec.dOctets],
      ["66.249.92.75", "192.168.0.1", "192.168.0.1", 542, 536, 2, 104],
    );
    assert.deepEqual(
      [rec.srcPort, rec.dstPort, rec.tcpFlags, rec.prot, rec.tos, rec.srcAs, rec.dstAs, rec.srcMask, rec.dstMask],
      [37387, 80, 0x10, 6, 0, 15169, 64496, 19, 24],
    );
    // unixSecs 1469109172 (13:52:52Z) minus (sysUptime 190649064 - first 190631000 = 18.064 s) is 13:52:33.936Z. The
    // testdata README (from logstash's fixture) says 13:52:34.936Z: one second later, logstash's borrow arithmetic.
    assert.equal(rec.firstTime, "2016-07-21T13:52:33.936Z");
    assert.equal(rec.lastTime, rec.firstTime);
  });

  it("netflow5.dat: 12 datagrams laid end to end with 2,4,4,4,2,2,2,2,2,2,2,2 records", () => {
    const r = flowlens("decode", "--json", join(NF, "netflow5.dat"));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      jsonLines(r.stdout).map((d) => d.count),
      [2, 4, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2],
    );
  });

  it("MikroTik: 30 records decode cleanly", () => {
    const r = flowlens("decode", join(NF, "netflow5_test_microtik.dat"));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split("\n").filter((l) => /^\d{4}-/.test(l)).length, 30);
  });

  for (const [file, count] of [
    ["netflow5_test_invalid01.dat", 55582],
    ["netflow5_test_invalid02.dat", 163],
  ] as const) {
    it(`${file}: rejected in one line naming the count ${count} (exit 1)`, () => {
      const r = flowlens("decode", join(NF, file));
      assert.equal(r.status, 1);
      assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("# ")).length, 0);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1);
      assert.match(lines[0], new RegExp(`${file} datagram #1: ERR_NETFLOW_COUNT at file byte 2: .*${count}`));
    });
  }
});
