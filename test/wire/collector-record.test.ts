import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type CollectorFlowFields,
  type CollectorRecord,
  CollectorRecordEncoder,
  encodeCollectorRecordLine,
  LINK_DIR_MAX,
  parseCollectorRecordLine,
  parseCollectorRecords,
} from "../../src/wire/collector-record.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { assertSurvivesMangling, expectError, u32 } from "./fixtures.ts";

// flow-collector.txt, "This is an example of output from a flow collector interface file", as printed.
const SPEC_LINE =
  "11799241612374557782|10.10.10.1|server1|at_4_0_0_4|192.168.10.100|10.0.0.1|8| 3136|1077926402|1077926402|8224|12336|27|6|0|0";

const SPEC_RECORD: CollectorRecord = {
  linkDir: 11799241612374557782n,
  analyzerAddress: ipv4FromString("10.10.10.1"),
  analyzerId: "server1",
  ifAlias: "at_4_0_0_4",
  sourceAddress: ipv4FromString("192.168.10.100"),
  destinationAddress: ipv4FromString("10.0.0.1"),
  packets: 8,
  bytes: 3136,
  startTime: 1077926402,
  endTime: 1077926402,
  sourcePort: 8224,
  destinationPort: 12336,
  tcpFlag: 27,
  protocol: 6,
  srcAsNumber: 0,
  dstAsNumber: 0,
};

const ascii = new TextDecoder("ascii");

const text = fc.stringMatching(/^[\x20-\x7b\x7d\x7e]{0,24}$/);
const recordArb: fc.Arbitrary<CollectorRecord> = fc.record({
  linkDir: fc.bigInt({ min: 0n, max: LINK_DIR_MAX }),
  analyzerAddress: u32,
  analyzerId: text,
  ifAlias: text,
  sourceAddress: u32,
  destinationAddress: u32,
  packets: fc.maxSafeNat(),
  bytes: fc.maxSafeNat(),
  startTime: u32,
  endTime: u32,
  sourcePort: fc.integer({ min: 0, max: 0xffff }),
  destinationPort: fc.integer({ min: 0, max: 0xffff }),
  tcpFlag: fc.integer({ min: 0, max: 255 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  srcAsNumber: u32,
  dstAsNumber: u32,
});

describe("collector record line", () => {
  it("parses the spec's example field by field, stray space included", () => {
    assert.deepEqual(parseCollectorRecordLine(SPEC_LINE), SPEC_RECORD);
  });

  it("encodes the spec's example back (without the stray space) and it parses to the same fields", () => {
    const line = encodeCollectorRecordLine(SPEC_RECORD);
    assert.equal(line, `${SPEC_LINE.replace("| 3136", "|3136")}\n`);
    assert.deepEqual(parseCollectorRecordLine(line), parseCollectorRecordLine(SPEC_LINE));
  });

  it("accepts linkDir as pre-formatted text", () => {
    const line = encodeCollectorRecordLine({ ...SPEC_RECORD, linkDir: "11799241612374557782" });
    assert.equal(line, encodeCollectorRecordLine(SPEC_RECORD));
    const max = encodeCollectorRecordLine({ ...SPEC_RECORD, linkDir: "18446744073709551615" });
    assert.equal(parseCollectorRecordLine(max).linkDir, LINK_DIR_MAX);
  });

  it("round-trips random records", () => {
    fc.assert(
      fc.property(recordArb, (rec) => {
        const line = encodeCollectorRecordLine(rec);
        assert.ok(line.endsWith("\n") && line.indexOf("\n") === line.length - 1);
        assert.deepEqual(parseCollectorRecordLine(line), { ...rec });
      }),
    );
  });

  it("rejects a wrong number of fields with a typed error", () => {
    const fields = SPEC_LINE.split("|");
    expectError(() => parseCollectorRecordLine(fields.slice(0, 15).join("|")), "ERR_COLLECTOR_RECORD_FIELD_COUNT");
    expectError(() => parseCollectorRecordLine(`${SPEC_LINE}|0`), "ERR_COLLECTOR_RECORD_FIELD_COUNT", SPEC_LINE.length);
    expectError(() => parseCollectorRecordLine(""), "ERR_COLLECTOR_RECORD_FIELD_COUNT");
  });

  it("rejects bad values at their offset", () => {
    const at = (field: number) => SPEC_LINE.split("|").slice(0, field).join("|").length + 1;
    const withField = (k: number, v: string) => {
      const f = SPEC_LINE.split("|");
      f[k] = v;
      return f.join("|");
    };
    expectError(() => parseCollectorRecordLine(withField(0, "18446744073709551616")), "ERR_COLLECTOR_RECORD_FIELD", 0);
    expectError(() => parseCollectorRecordLine(withField(1, "10.10.10")), "ERR_COLLECTOR_RECORD_FIELD", at(1));
    expectError(() => parseCollectorRecordLine(withField(6, "8x")), "ERR_COLLECTOR_RECORD_FIELD", at(6) + 1);
    expectError(() => parseCollectorRecordLine(withField(7, "")), "ERR_COLLECTOR_RECORD_FIELD", at(7));
    expectError(() => parseCollectorRecordLine(withField(10, "65536")), "ERR_COLLECTOR_RECORD_FIELD", at(10));
    expectError(() => parseCollectorRecordLine(withField(12, "256")), "ERR_COLLECTOR_RECORD_FIELD", at(12));
    expectError(() => parseCollectorRecordLine(withField(8, "-1")), "ERR_COLLECTOR_RECORD_FIELD", at(8));
    expectError(() => parseCollectorRecordLine(withField(2, "a\tb")), "ERR_COLLECTOR_RECORD_FIELD", at(2));
    expectError(() => parseCollectorRecordLine(`${SPEC_LINE}\n\n`), "ERR_COLLECTOR_RECORD_LINE", SPEC_LINE.length);
  });

  it("never throws anything but its own errors on mangled lines", () => {
    const good = encodeCollectorRecordLine(SPEC_RECORD);
    assertSurvivesMangling(good, parseCollectorRecordLine, 4, 3);
  });

  it("refuses to encode values out of range or text with a separator", () => {
    for (const bad of [
      { linkDir: -1n },
      { linkDir: LINK_DIR_MAX + 1n },
      { linkDir: "0123" },
      { linkDir: "12a" },
      { linkDir: "18446744073709551616" },
      { linkDir: "99999999999999999999" },
      { analyzerId: "a|b" },
      { ifAlias: "so\n" },
      { packets: -1 },
      { bytes: 2 ** 53 },
      { sourcePort: 65536 },
      { tcpFlag: 1.5 },
      { protocol: 256 },
      { sourceAddress: 2 ** 32 },
      { dstAsNumber: Number.NaN },
    ]) {
      expectError(() => encodeCollectorRecordLine({ ...SPEC_RECORD, ...bad }), "ERR_COLLECTOR_RECORD_FIELD");
    }
  });

  it("parses a file of lines with offsets into the file", () => {
    const good = encodeCollectorRecordLine(SPEC_RECORD);
    assert.deepEqual(parseCollectorRecords(good + good.trimEnd()), [SPEC_RECORD, SPEC_RECORD]);
    assert.deepEqual(parseCollectorRecords(""), []);
    expectError(() => parseCollectorRecords(`${good}\n${good}`), "ERR_COLLECTOR_RECORD_FIELD_COUNT", good.length);
    const bad = good.replace("|6|", "|x|");
    expectError(
      () => parseCollectorRecords(good + bad),
      "ERR_COLLECTOR_RECORD_FIELD",
      good.length + bad.indexOf("|x|") + 1,
    );
  });
});

describe("CollectorRecordEncoder", () => {
  const { linkDir, analyzerAddress, analyzerId, ifAlias, ...flow } = SPEC_RECORD;
  const prefix = { linkDir, analyzerAddress, analyzerId, ifAlias };

  it("writes the same bytes as the string encoder", () => {
    fc.assert(
      fc.property(recordArb, (rec) => {
        const enc = new CollectorRecordEncoder(rec, 1024);
        assert.ok(enc.append(rec));
        assert.ok(enc.append(rec));
        const line = encodeCollectorRecordLine(rec);
        assert.equal(ascii.decode(enc.pending()), line + line);
        assert.equal(enc.length, 2 * line.length);
      }),
    );
  });

  it("reproduces the spec's example line", () => {
    const enc = new CollectorRecordEncoder(prefix);
    enc.append(flow);
    assert.equal(ascii.decode(enc.pending()), `${SPEC_LINE.replace("| 3136", "|3136")}\n`);
  });

  it("reports a full buffer instead of overrunning it, and reuses it after clear", () => {
    const enc = new CollectorRecordEncoder(prefix, 0); // capacity raised to one longest line
    assert.ok(enc.append(flow));
    assert.equal(enc.append(flow), false);
    const first = ascii.decode(enc.pending());
    enc.clear();
    assert.equal(enc.length, 0);
    assert.ok(enc.append({ ...flow, packets: 9 }));
    assert.equal(ascii.decode(enc.pending()), first.replace("|8|3136|", "|9|3136|"));
  });

  it("encodes into a caller's buffer, exactly filling it or refusing", () => {
    const line = encodeCollectorRecordLine(SPEC_RECORD);
    const enc = new CollectorRecordEncoder(prefix);
    const out = new Uint8Array(line.length + 3);
    assert.equal(enc.encodeInto(flow, out, 3), out.length);
    assert.equal(ascii.decode(out.subarray(3)), line);
    const tight = new Uint8Array(line.length - 1);
    expectError(() => enc.encodeInto(flow, tight, 0), "ERR_COLLECTOR_RECORD_NO_ROOM", 0);
    assert.ok(
      tight.every((b) => b === 0),
      "nothing written on refusal",
    );
  });

  it("switches prefix without losing pending bytes", () => {
    const enc = new CollectorRecordEncoder(prefix);
    enc.append(flow);
    enc.setPrefix({ ...prefix, linkDir: 7n, ifAlias: "so_3_0_0_0" });
    enc.append(flow);
    const lines = ascii.decode(enc.pending()).split("\n");
    assert.equal(lines[0], encodeCollectorRecordLine(SPEC_RECORD).trimEnd());
    assert.ok(lines[1].startsWith("7|10.10.10.1|server1|so_3_0_0_0|192.168.10.100|"));
  });

  it("rejects invalid values before writing", () => {
    const enc = new CollectorRecordEncoder(prefix);
    const bad: CollectorFlowFields = { ...flow, destinationPort: 70000 };
    expectError(() => enc.append(bad), "ERR_COLLECTOR_RECORD_FIELD");
    assert.equal(enc.length, 0);
    expectError(() => new CollectorRecordEncoder({ ...prefix, analyzerId: "é" }), "ERR_COLLECTOR_RECORD_FIELD");
  });
});
