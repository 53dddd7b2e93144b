import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import {
  formatLocalDumpV5,
  formatLocalDumpV8,
  formatSyslogTime,
  LOCAL_DUMP_V8_SCHEMES,
  type LocalDumpV5Record,
  type LocalDumpV8Header,
  type LocalDumpV8Record,
  parseLocalDump,
  parseSyslogTime,
  syslogTimeToUnixSeconds,
} from "../../src/wire/local-dump.ts";
import { assertSurvivesMangling, expectError, NETFLOW_V5_FLOW_FIELDS, u8, u16, u32 } from "./fixtures.ts";

// cflowd-flow-aggregation.txt, the local-dump example as extracted (line breaks lost, the 41 elided entries left out).
const SPEC_RAW =
  "Jun 27 18:35:43 v5 flow entryJun 27 18:35:43 Src addr: 10.53.127.1Jun 27 18:35:43 Dst addr: 10.6.255.15" +
  "Jun 27 18:35:43 Nhop addr: 192.168.255.240Jun 27 18:35:43 Input interface: 5Jun 27 18:35:43 Output interface: 3" +
  "Jun 27 18:35:43 Pkts in flow: 15Jun 27 18:35:43 Bytes in flow: 600Jun 27 18:35:43 Start time of flow: 7230" +
  "Jun 27 18:35:43 End time of flow: 7271Jun 27 18:35:43 Src port: 26629Jun 27 18:35:43 Dst port: 179" +
  "Jun 27 18:35:43 TCP flags: 0x10Jun 27 18:35:43 IP proto num: 6Jun 27 18:35:43 TOS: 0xc0" +
  "Jun 27 18:35:43 Src AS: 7018Jun 27 18:35:43 Dst AS: 11111Jun 27 18:35:43 Src netmask len: 16" +
  "Jun 27 18:35:43 Dst netmask len: 0" +
  "Jun 27 18:35:43 cflowd header:Jun 27 18:35:43 Num-records: 42Jun 27 18:35:43 Version: 5" +
  "Jun 27 18:35:43 Flow seq num: 118Jun 27 18:35:43 Engine id: 0Jun 27 18:35:43 Engine type: 3";
// The reading note: every `Jun 27 18:35:43` starts a line.
const SPEC_DUMP = `${SPEC_RAW.split(/(?=Jun 27 18:35:43 )/).join("\n")}\n`;

const TIME = Date.UTC(2002, 5, 27, 18, 35, 43) / 1000;
const SPEC_RECORD: LocalDumpV5Record = {
  srcAddr: ipv4FromString("10.53.127.1"),
  dstAddr: ipv4FromString("10.6.255.15"),
  nextHop: ipv4FromString("192.168.255.240"),
  input: 5,
  output: 3,
  dPkts: 15,
  dOctets: 600,
  first: 7230,
  last: 7271,
  srcPort: 26629,
  dstPort: 179,
  tcpFlags: 0x10,
  prot: 6,
  tos: 0xc0,
  srcAs: 7018,
  dstAs: 11111,
  srcMask: 16,
  dstMask: 0,
};
const SPEC_HEADER = { count: 42, version: 5, flowSequence: 118, engineId: 0, engineType: 3 };
const SPEC_SYSLOG_TIME = { month: 6, day: 27, hour: 18, minute: 35, second: 43 };

const v5Record: fc.Arbitrary<LocalDumpV5Record> = fc.record(NETFLOW_V5_FLOW_FIELDS);
const FIELD_ARB: Record<string, fc.Arbitrary<number>> = {
  dFlows: u32,
  dPkts: u32,
  dOctets: u32,
  first: u32,
  last: u32,
  srcPrefix: u32,
  dstPrefix: u32,
  input: u16,
  output: u16,
  srcPort: u16,
  dstPort: u16,
  prot: u8,
  srcAs: u16,
  dstAs: u16,
  srcMask: u8,
  dstMask: u8,
};
const v8Record = (scheme: number) =>
  fc.record(
    Object.fromEntries(LOCAL_DUMP_V8_SCHEMES[scheme].map((k) => [k, FIELD_ARB[k]])),
  ) as unknown as fc.Arbitrary<LocalDumpV8Record>;
const time = fc.integer({ min: 0, max: 4102444800 });
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("local dump, v5", () => {
  it("reproduces the spec's example byte for byte", () => {
    assert.equal(formatLocalDumpV5(SPEC_HEADER, [SPEC_RECORD], TIME), SPEC_DUMP);
  });

  it("parses the spec's example back", () => {
    assert.deepEqual(parseLocalDump(SPEC_DUMP), [
      { version: 5, time: SPEC_SYSLOG_TIME, header: SPEC_HEADER, records: [SPEC_RECORD] },
    ]);
  });

  it("dumps all 42 records of the example packet before its header", () => {
    const text = formatLocalDumpV5(SPEC_HEADER, new Array(42).fill(SPEC_RECORD), TIME);
    const lines = text.split("\n");
    assert.equal(lines.length, 42 * 19 + 6 + 1);
    assert.equal(lines.slice(0, 19).join("\n"), SPEC_DUMP.split("\n").slice(0, 19).join("\n"));
    assert.equal(lines.slice(-7).join("\n"), SPEC_DUMP.split("\n").slice(-7).join("\n"));
    const [packet] = parseLocalDump(text);
    assert.equal(packet.records.length, 42);
  });

  it("round-trips random packets, several in one log", () => {
    fc.assert(
      fc.property(
        fc.array(v5Record, { maxLength: 4 }),
        fc.array(v5Record, { maxLength: 2 }),
        u32,
        time,
        (a, b, seq, t) => {
          const h = { count: a.length, version: 5, flowSequence: seq, engineId: 1, engineType: 2 };
          const text = formatLocalDumpV5(h, a, t) + formatLocalDumpV5({ ...h, count: b.length }, b, t + 1);
          const packets = parseLocalDump(text);
          assert.equal(packets.length, 2);
          assert.deepEqual(packets[0].records, plain(a));
          assert.deepEqual(packets[1].records, plain(b));
          assert.deepEqual(packets[0].header, h);
          assert.equal(syslogTimeToUnixSeconds(packets[1].time, new Date((t + 1) * 1000).getUTCFullYear()), t + 1);
        },
      ),
    );
  });

  it("writes hex with two digits and accepts one", () => {
    const text = formatLocalDumpV5(SPEC_HEADER, [{ ...SPEC_RECORD, tcpFlags: 2, tos: 0 }], TIME);
    assert.match(text, /TCP flags: 0x02\n/);
    assert.match(text, /TOS: 0x00\n/);
    const [p] = parseLocalDump(text.replace("TCP flags: 0x02", "TCP flags: 0x2"));
    assert.equal((p.records[0] as LocalDumpV5Record).tcpFlags, 2);
  });
});

describe("syslog time", () => {
  it("pads a single-digit day with a space, as RFC 3164 does", () => {
    assert.equal(formatSyslogTime(Date.UTC(2024, 0, 7, 9, 5, 1) / 1000), "Jan  7 09:05:01");
    assert.equal(formatSyslogTime(Date.UTC(2024, 11, 31, 23, 59, 59) / 1000), "Dec 31 23:59:59");
    assert.equal(formatSyslogTime(TIME, { utcOffsetMinutes: 120 }), "Jun 27 20:35:43");
    assert.deepEqual(parseSyslogTime("Jan  7 09:05:01"), { month: 1, day: 7, hour: 9, minute: 5, second: 1 });
    assert.deepEqual(parseSyslogTime("Jan 07 09:05:01"), { month: 1, day: 7, hour: 9, minute: 5, second: 1 });
  });

  it("rejects what is not a syslog time", () => {
    for (const bad of ["Jun 27 18:35", "jun 27 18:35:43", "Jun 32 18:35:43", "Jun  0 18:35:43", "Jun 27 24:00:00"]) {
      expectError(() => parseSyslogTime(bad, 5), "ERR_SYSLOG_TIME", 5);
    }
    assert.equal(syslogTimeToUnixSeconds({ month: 2, day: 29, hour: 0, minute: 0, second: 0 }, 2003), undefined);
  });
});

describe("local dump, v8", () => {
  const header = (aggregation: number, count: number): LocalDumpV8Header => ({
    count,
    version: 8,
    flowSequence: 7,
    engineId: 0,
    engineType: 3,
    aggregation,
    aggVersion: 2,
  });

  it("prints the fields of the protocol-port scheme in the documented layout", () => {
    const rec = { dFlows: 3, dPkts: 15, dOctets: 600, first: 7230, last: 7271, prot: 6, srcPort: 26629, dstPort: 179 };
    const text = formatLocalDumpV8(header(2, 1), [rec], TIME);
    const p = "Jun 27 18:35:43 ";
    const expected = [
      "v8 flow entry",
      "Flows: 3",
      "Pkts in flow: 15",
      "Bytes in flow: 600",
      "Start time of flow: 7230",
      "End time of flow: 7271",
      "Src port: 26629",
      "Dst port: 179",
      "IP proto num: 6",
      "cflowd header:",
      "Num-records: 1",
      "Version: 8",
      "Flow seq num: 7",
      "Engine id: 0",
      "Engine type: 3",
      "Aggregation: 2",
      "Agg version: 2",
    ];
    assert.equal(text, expected.map((l) => `${p}${l}\n`).join(""));
  });

  it("ignores fields of the record that its scheme does not hold", () => {
    const rec = {
      dFlows: 1,
      dPkts: 1,
      dOctets: 1,
      first: 1,
      last: 1,
      srcAs: 1,
      dstAs: 2,
      input: 3,
      output: 4,
      srcPort: 9,
    };
    assert.doesNotMatch(formatLocalDumpV8(header(1, 1), [rec], TIME), /Src port/);
  });

  for (const scheme of Object.keys(LOCAL_DUMP_V8_SCHEMES).map(Number)) {
    it(`round-trips scheme ${scheme}`, () => {
      fc.assert(
        fc.property(fc.array(v8Record(scheme), { maxLength: 4 }), time, (records, t) => {
          const h = header(scheme, records.length);
          const [packet, ...rest] = parseLocalDump(formatLocalDumpV8(h, records, t));
          assert.equal(rest.length, 0);
          assert.deepEqual(packet, { version: 8, time: packet.time, header: h, records: plain(records) });
        }),
      );
    });
  }

  it("refuses a record that lacks a field of its scheme, or an unknown scheme", () => {
    const rec = { dFlows: 1, dPkts: 1, dOctets: 1, first: 1, last: 1, srcPrefix: 0, srcMask: 8, srcAs: 1 };
    expectError(() => formatLocalDumpV8(header(3, 1), [rec], TIME), "ERR_LOCAL_DUMP_FIELD");
    expectError(() => formatLocalDumpV8(header(9, 0), [], TIME), "ERR_LOCAL_DUMP_AGGREGATION");
  });
});

describe("local dump, malformed input", () => {
  const lineAt = (text: string, n: number) => text.split("\n").slice(0, n).join("\n").length + (n > 0 ? 1 : 0);

  it("rejects unknown, repeated and missing labels", () => {
    expectError(
      () => parseLocalDump(SPEC_DUMP.replace("Src port:", "Source port:")),
      "ERR_LOCAL_DUMP_SYNTAX",
      lineAt(SPEC_DUMP, 10) + 16,
    );
    const repeated = SPEC_DUMP.replace("Jun 27 18:35:43 Dst port: 179\n", "Jun 27 18:35:43 Src port: 1\n");
    expectError(() => parseLocalDump(repeated), "ERR_LOCAL_DUMP_SYNTAX", lineAt(SPEC_DUMP, 11) + 16);
    const missing = SPEC_DUMP.replace("Jun 27 18:35:43 TOS: 0xc0\n", "");
    expectError(() => parseLocalDump(missing), "ERR_LOCAL_DUMP_SYNTAX", 0);
  });

  it("rejects bad values at their offset", () => {
    const bad = SPEC_DUMP.replace("Input interface: 5", "Input interface: 70000");
    expectError(() => parseLocalDump(bad), "ERR_LOCAL_DUMP_FIELD", lineAt(SPEC_DUMP, 4) + 16 + 17);
    expectError(() => parseLocalDump(SPEC_DUMP.replace("10.53.127.1", "10.53.127")), "ERR_LOCAL_DUMP_FIELD");
    expectError(() => parseLocalDump(SPEC_DUMP.replace("TOS: 0xc0", "TOS: 0x1c0")), "ERR_LOCAL_DUMP_FIELD");
    expectError(() => parseLocalDump(SPEC_DUMP.replace("Src AS: 7018", "Src AS: -1")), "ERR_LOCAL_DUMP_FIELD");
  });

  it("rejects entries without their header, and lines outside blocks", () => {
    const noHeader = SPEC_DUMP.slice(0, SPEC_DUMP.indexOf("Jun 27 18:35:43 cflowd header:"));
    expectError(() => parseLocalDump(noHeader), "ERR_LOCAL_DUMP_INCOMPLETE", noHeader.length);
    expectError(() => parseLocalDump("Jun 27 18:35:43 Src port: 1\n"), "ERR_LOCAL_DUMP_SYNTAX", 16);
    expectError(() => parseLocalDump("Jun 27 18:35:43 hello\n"), "ERR_LOCAL_DUMP_SYNTAX", 16);
    expectError(() => parseLocalDump("Jun 27 18:35:4 v5 flow entry\n"), "ERR_LOCAL_DUMP_SYNTAX", 0);
    expectError(() => parseLocalDump("Jux 27 18:35:43 v5 flow entry\n"), "ERR_SYSLOG_TIME", 0);
  });

  it("rejects a header version that does not fit its entries", () => {
    expectError(() => parseLocalDump(SPEC_DUMP.replace("Version: 5", "Version: 7")), "ERR_LOCAL_DUMP_VERSION");
    const v8 = formatLocalDumpV8(
      { count: 0, version: 8, flowSequence: 1, engineId: 0, engineType: 0, aggregation: 1, aggVersion: 2 },
      [],
      TIME,
    );
    // a v8 entry holding v5 labels
    expectError(() => parseLocalDump(SPEC_DUMP.replace("v5 flow entry", "v8 flow entry")), "ERR_LOCAL_DUMP_SYNTAX", 46);
    expectError(() => parseLocalDump(v8.replace("Aggregation: 1", "Aggregation: 6")), "ERR_LOCAL_DUMP_AGGREGATION");
    expectError(() => parseLocalDump(v8.replace("Version: 8", "Version: 5")), "ERR_LOCAL_DUMP_VERSION");
    const missingAgg = v8.replace(/.*Agg version: 2\n/, "");
    expectError(() => parseLocalDump(missingAgg), "ERR_LOCAL_DUMP_SYNTAX");
  });

  it("rejects a v8 entry whose fields are not its scheme's", () => {
    const rec = { dFlows: 1, dPkts: 1, dOctets: 1, first: 1, last: 1, prot: 6, srcPort: 1, dstPort: 2 };
    const h = { count: 1, version: 8, flowSequence: 1, engineId: 0, engineType: 0, aggregation: 2, aggVersion: 2 };
    const text = formatLocalDumpV8(h, [rec], TIME);
    expectError(() => parseLocalDump(text.replace("Aggregation: 2", "Aggregation: 1")), "ERR_LOCAL_DUMP_FIELD", 0);
  });

  it("rejects v5 and v8 entries in one packet", () => {
    const rec = { dFlows: 1, dPkts: 1, dOctets: 1, first: 1, last: 1, prot: 6, srcPort: 1, dstPort: 2 };
    const h = { count: 1, version: 8, flowSequence: 1, engineId: 0, engineType: 0, aggregation: 2, aggVersion: 2 };
    const v8 = formatLocalDumpV8(h, [rec], TIME);
    const v8Entry = v8.slice(0, v8.indexOf("Jun 27 18:35:43 cflowd header:"));
    expectError(() => parseLocalDump(v8Entry + SPEC_DUMP), "ERR_LOCAL_DUMP_SYNTAX", v8Entry.length);
  });

  it("never throws anything but its own errors on mangled text", () => {
    assertSurvivesMangling(SPEC_DUMP, parseLocalDump, 4, 20);
  });
});
