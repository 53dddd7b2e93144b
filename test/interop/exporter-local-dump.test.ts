/**
 * The local dump (spec/cflowd-flow-aggregation.txt, "Debugging cflowd Flow Aggregation") against the spec's format and
 * against tshark: `flowlens export --local-dump FILE` writes every datagram it sends; the file must consist of the
 * spec's blocks (every line `Mmm dd hh:mm:ss` then a label, v5 entries with the spec's 18 labels in its order, then
 * the `cflowd header:` block), one packet per datagram received, and every value must be what tshark's cflow
 * dissector decodes from the datagram that went on the wire. The labels below are copied from the spec, not from
 * flowlens.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { needsProgram } from "../helpers/requirements.ts";
import { trafficCapture } from "../helpers/traffic-capture.ts";
import { datagramsPcap, runFlowlens, tsharkCflow, udpSink } from "./exporter-oracles.ts";

const skip = needsProgram("tshark");

/** The spec's v5 entry labels in the spec's order, and tshark's field for each. */
const V5_LABELS: [label: string, tshark: string, kind: "ip" | "dec" | "hex" | "ms"][] = [
  ["Src addr", "cflow.srcaddr", "ip"],
  ["Dst addr", "cflow.dstaddr", "ip"],
  ["Nhop addr", "cflow.nexthop", "ip"],
  ["Input interface", "cflow.inputint", "dec"],
  ["Output interface", "cflow.outputint", "dec"],
  ["Pkts in flow", "cflow.packets", "dec"],
  ["Bytes in flow", "cflow.octets", "dec"],
  ["Start time of flow", "cflow.timestart", "ms"],
  ["End time of flow", "cflow.timeend", "ms"],
  ["Src port", "cflow.srcport", "dec"],
  ["Dst port", "cflow.dstport", "dec"],
  ["TCP flags", "cflow.tcpflags", "hex"],
  ["IP proto num", "cflow.protocol", "dec"],
  ["TOS", "cflow.tos", "hex"],
  ["Src AS", "cflow.srcas", "dec"],
  ["Dst AS", "cflow.dstas", "dec"],
  ["Src netmask len", "cflow.srcmask", "dec"],
  ["Dst netmask len", "cflow.dstmask", "dec"],
];
const HEADER_LABELS: [label: string, tshark: string][] = [
  ["Num-records", "cflow.count"],
  ["Version", "cflow.version"],
  ["Flow seq num", "cflow.sequence"],
  ["Engine id", "cflow.engine_id"],
  ["Engine type", "cflow.engine_type"],
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LINE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 1-3]\d) ([0-2]\d):([0-5]\d):([0-5]\d) (.+)$/;

/** `Mmm dd hh:mm:ss` of UNIX seconds in UTC, day padded with a space as syslog does. */
function syslogTime(secs: number): string {
  const d = new Date(secs * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** tshark's text of a field, as the dump writes it. */
function asDumped(text: string, kind: "ip" | "dec" | "hex" | "ms"): string {
  if (kind === "hex") return `0x${Number.parseInt(text.replace(/^0x/, ""), 16).toString(16).padStart(2, "0")}`;
  if (kind === "ms") {
    const [secs, frac = ""] = text.split(".");
    return String(Number(secs) * 1000 + Number(frac.padEnd(3, "0").slice(0, 3)));
  }
  return text;
}

interface DumpPacket {
  time: string;
  entries: Map<string, string>[];
  header: Map<string, string>;
}

/** Splits the dump into packets, checking the spec's block structure line by line. */
function readDump(text: string, entryTitle: string, entryLabels: string[]): DumpPacket[] {
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "the dump ends with a newline");
  const packets: DumpPacket[] = [];
  let entries: Map<string, string>[] = [];
  for (let i = 0; i < lines.length; ) {
    const m = LINE.exec(lines[i]);
    assert.ok(m !== null, `line ${i + 1} is not a syslog-stamped line: ${JSON.stringify(lines[i])}`);
    const time = lines[i].slice(0, 15);
    const block = (labels: string[]) => {
      const values = new Map<string, string>();
      for (const label of labels) {
        i++;
        assert.ok(lines[i]?.startsWith(`${time} ${label}: `), `line ${i + 1} should be "${label}": ${lines[i]}`);
        values.set(label, lines[i].slice(time.length + label.length + 3));
      }
      i++;
      return values;
    };
    if (m[6] === entryTitle) entries.push(block(entryLabels));
    else {
      assert.equal(m[6], "cflowd header:", `line ${i + 1}`);
      const labels = HEADER_LABELS.map(([l]) => l);
      const header = block(entryTitle.startsWith("v8") ? [...labels, "Aggregation", "Agg version"] : labels);
      packets.push({ time, entries, header });
      entries = [];
    }
  }
  assert.equal(entries.length, 0, "entries after the last header");
  return packets;
}

describe("exporter interop: local dump in the spec's format, as tshark decodes the wire", { skip }, () => {
  let dir: string;
  let pcap: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-exporter-dump-"));
    pcap = join(dir, "traffic.pcap");
    writeFileSync(pcap, trafficCapture({ tcp: 30, udp: 20, icmp: 6, gapMs: 30, seed: 9 }));
    writeFileSync(join(dir, "routes.txt"), "10.1.0.0/16 192.0.2.1 64601 65001\n10.2.0.0/17 192.0.2.2 64602 65002\n");
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function exportWithDump(dump: string, extra: string[]): Promise<Uint8Array[]> {
    const sink = await udpSink();
    try {
      const args = ["export", "--pcap", pcap, "--to", `127.0.0.1:${sink.port}`, "--local-dump", dump, "--json"];
      const run = await runFlowlens([...args, "--route-record", join(dir, "routes.txt"), ...extra], { TZ: "UTC" });
      assert.equal(run.code, 0, run.stderr);
      const status = JSON.parse(run.stdout) as { localDump: { written: number } };
      for (let i = 0; i < 100 && sink.datagrams.length < status.localDump.written; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(sink.datagrams.length, status.localDump.written);
      return sink.datagrams;
    } finally {
      await sink.close();
    }
  }

  it("v5: records then the cflowd header, every value as tshark decodes it", async () => {
    const dump = join(dir, "sampled");
    const datagrams = await exportWithDump(dump, ["--period", "5s", "--engine-type", "3", "--engine-id", "1"]);
    const labels = V5_LABELS.map(([l]) => l);
    const packets = readDump(readFileSync(dump, "utf8"), "v5 flow entry", labels);
    datagramsPcap(join(dir, "v5.pcap"), datagrams, 2055);
    const decoded = tsharkCflow(join(dir, "v5.pcap"), 2055);
    assert.equal(packets.length, decoded.length);
    assert.ok(packets.length > 2, "several datagrams");
    let sequence = 0;
    packets.forEach((p, i) => {
      const d = decoded[i];
      assert.equal(p.time, syslogTime(Number(d.header["cflow.unix_secs"])), `time of packet ${i}`);
      for (const [label, field] of HEADER_LABELS) assert.equal(p.header.get(label), d.header[field], label);
      assert.equal(Number(d.header["cflow.sequence"]), sequence, "flow sequence = flows exported before");
      sequence += p.entries.length;
      assert.equal(p.entries.length, d.records.length);
      p.entries.forEach((e, k) => {
        for (const [label, field, kind] of V5_LABELS) {
          assert.equal(e.get(label), asDumped(d.records[k][field], kind), `packet ${i} record ${k} ${label}`);
        }
      });
    });
    const routed = packets.flatMap((p) => p.entries).filter((e) => e.get("Src AS") === "65001");
    assert.ok(routed.length > 0 && routed.every((e) => e.get("Src netmask len") === "16"));
  });

  it("v8: aggregate entries then the header with the aggregation", async () => {
    const dump = join(dir, "sampled-v8");
    const datagrams = await exportWithDump(dump, ["--aggregation", "protocol-port", "--period", "5s"]);
    const labels = ["Flows", "Pkts in flow", "Bytes in flow", "Start time of flow", "End time of flow"];
    const packets = readDump(readFileSync(dump, "utf8"), "v8 flow entry", [
      ...labels,
      "Src port",
      "Dst port",
      "IP proto num",
    ]);
    datagramsPcap(join(dir, "v8.pcap"), datagrams, 2055);
    const decoded = tsharkCflow(join(dir, "v8.pcap"), 2055);
    assert.equal(packets.length, decoded.length);
    packets.forEach((p, i) => {
      const d = decoded[i];
      assert.equal(p.header.get("Aggregation"), d.header["cflow.aggmethod"]);
      assert.equal(p.header.get("Agg version"), d.header["cflow.aggversion"]);
      assert.equal(p.header.get("Num-records"), d.header["cflow.count"]);
      p.entries.forEach((e, k) => {
        const r = d.records[k];
        assert.equal(e.get("Flows"), r["cflow.flows"]);
        assert.equal(e.get("Pkts in flow"), r["cflow.packets"]);
        assert.equal(e.get("Bytes in flow"), r["cflow.octets"]);
        assert.equal(e.get("Src port"), r["cflow.srcport"]);
        assert.equal(e.get("Dst port"), r["cflow.dstport"]);
        assert.equal(e.get("IP proto num"), r["cflow.protocol"]);
        assert.equal(e.get("Start time of flow"), asDumped(r["cflow.timestart"], "ms"));
      });
    });
  });
});
