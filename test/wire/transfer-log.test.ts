import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  escapeTransferLogValue,
  formatTransferLogLine,
  parseTransferLog,
  parseTransferLogFileName,
  parseTransferLogLine,
  type TransferLogEntry,
  transferLogFileName,
} from "../../src/wire/transfer-log.ts";
import { assertSurvivesMangling, expectError } from "./fixtures.ts";

// flow-collector.txt, the two transfer-log examples exactly as printed (stray spaces and quotes included).
const SPEC_SUCCESS =
  'fn="cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz":sz=552569 :nr=20000:ts="20040227230855":sf=1:ul="ftp://10.63.152.1/tmp/server1/:"rc=250: er="":tt=3280';
const SPEC_FAILURE =
  'fn="cFlowd-py69Ni69-0-20040227_230515-at_4_0_0_2_8.bcp.bi.gz":sz=560436 :nr=20000:ts="20040227230855":sf=1:ul="ftp://10.63.152.1/tmp/server1/:"rc=250 :er="":tt=3290';

const TS = Date.UTC(2004, 1, 27, 23, 8, 55) / 1000;
const SUCCESS: TransferLogEntry = {
  fileName: "cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz",
  fileSize: 552569,
  recordCount: 20000,
  timestamp: TS,
  success: true,
  url: "ftp://10.63.152.1/tmp/server1/",
  resultCode: 250,
  errorText: "",
  transferTimeMs: 3280,
};

describe("transfer log line", () => {
  it("parses the spec's examples as printed", () => {
    assert.deepEqual(parseTransferLogLine(SPEC_SUCCESS), SUCCESS);
    assert.deepEqual(parseTransferLogLine(SPEC_FAILURE), {
      ...SUCCESS,
      fileName: "cFlowd-py69Ni69-0-20040227_230515-at_4_0_0_2_8.bcp.bi.gz",
      fileSize: 560436,
      transferTimeMs: 3290,
    });
  });

  it("writes the clean form", () => {
    assert.equal(
      formatTransferLogLine(SUCCESS),
      'fn="cFlowd-py69Ni69-0-20040227_230438-at_4_0_0_4_3.bcp.bi.gz":sz=552569:nr=20000:ts="20040227230855":sf=1:' +
        'ul="ftp://10.63.152.1/tmp/server1/":rc=250:er="":tt=3280\n',
    );
    const failed = {
      ...SUCCESS,
      success: false,
      resultCode: 550,
      errorText: 'Can\'t open "x": denied',
      url: "ftp://h/:",
    };
    const line = formatTransferLogLine(failed, { utcOffsetMinutes: 60 });
    assert.match(line, /:ts="20040228000855":sf=0:ul="ftp:\/\/h\/:":rc=550:er="Can't open \\"x\\": denied":tt=3280\n$/);
    assert.deepEqual(parseTransferLogLine(line, { utcOffsetMinutes: 60 }), failed);
  });

  it("escapes backslash, quote and control characters", () => {
    assert.equal(escapeTransferLogValue('a\\b"c\nd\re\tf\x00g\x7fh é'), 'a\\\\b\\"c\\nd\\re\\tf\\x00g\\x7fh é');
  });

  it("round-trips any text and numbers", () => {
    const entry = fc.record({
      fileName: fc.string({ unit: "binary", maxLength: 30 }),
      fileSize: fc.maxSafeNat(),
      recordCount: fc.maxSafeNat(),
      timestamp: fc.integer({ min: 0, max: 253402300799 }),
      success: fc.boolean(),
      url: fc.string({ maxLength: 30 }),
      resultCode: fc.integer({ min: 0, max: 999 }),
      errorText: fc.string({ unit: "binary", maxLength: 30 }),
      transferTimeMs: fc.maxSafeNat(),
    });
    fc.assert(
      fc.property(entry, (e) => {
        const line = formatTransferLogLine(e);
        assert.equal(line.indexOf("\n"), line.length - 1, "one line");
        assert.deepEqual(parseTransferLogLine(line), { ...e });
      }),
    );
  });

  it("parses a log of several lines with blank lines", () => {
    const text = `${formatTransferLogLine(SUCCESS)}\n${SPEC_FAILURE}\r\n`;
    const entries = parseTransferLog(text);
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0], SUCCESS);
    assert.equal(entries[1].transferTimeMs, 3290);
    const bad = `${formatTransferLogLine(SUCCESS)}fn="x":sz=1`;
    expectError(() => parseTransferLog(bad), "ERR_TRANSFER_LOG_SYNTAX", bad.length);
  });

  it("rejects malformed lines with typed errors at their offset", () => {
    const clean = formatTransferLogLine(SUCCESS).trimEnd();
    const at = (s: string) => clean.indexOf(s);
    expectError(() => parseTransferLogLine(clean.replace("sz=", "sx=")), "ERR_TRANSFER_LOG_SYNTAX", at("sz="));
    expectError(() => parseTransferLogLine(clean.replace(":nr=20000", "")), "ERR_TRANSFER_LOG_SYNTAX", at(":nr") + 1);
    expectError(
      () => parseTransferLogLine(clean.replace("sz=552569", "sz=abc")),
      "ERR_TRANSFER_LOG_SYNTAX",
      at("552569"),
    );
    expectError(() => parseTransferLogLine(clean.replace("sf=1", "sf=2")), "ERR_TRANSFER_LOG_FIELD", at("sf=") + 3);
    expectError(
      () => parseTransferLogLine(clean.replace("0227230855", "0230230855")),
      "ERR_TRANSFER_LOG_FIELD",
      at("ts=") + 3,
    );
    expectError(
      () => parseTransferLogLine(clean.replace('ts="20040227230855"', 'ts="2004"')),
      "ERR_TRANSFER_LOG_FIELD",
    );
    expectError(
      () => parseTransferLogLine(clean.replace("rc=250", "rc=1000")),
      "ERR_TRANSFER_LOG_FIELD",
      at("rc=") + 3,
    );
    expectError(
      () => parseTransferLogLine(clean.replace('er=""', 'er="x\\q"')),
      "ERR_TRANSFER_LOG_SYNTAX",
      at("er=") + 5,
    );
    expectError(
      () => parseTransferLogLine(clean.replace('er=""', 'er="open')),
      "ERR_TRANSFER_LOG_SYNTAX",
      at("er=") + 3,
    );
    expectError(() => parseTransferLogLine(`${clean} x`), "ERR_TRANSFER_LOG_SYNTAX", clean.length + 1);
    expectError(
      () => parseTransferLogLine(clean.replace('"ftp://10.63.152.1/tmp/server1/":', '"ftp://x"')),
      "ERR_TRANSFER_LOG_SYNTAX",
    );
    expectError(() => parseTransferLogLine(""), "ERR_TRANSFER_LOG_SYNTAX", 0);
  });

  it("never throws anything but its own errors on mangled lines", () => {
    assertSurvivesMangling(SPEC_SUCCESS, parseTransferLogLine, 3, 3);
  });

  it("refuses counts it cannot write", () => {
    expectError(() => formatTransferLogLine({ ...SUCCESS, fileSize: -1 }), "ERR_TRANSFER_LOG_FIELD");
    expectError(() => formatTransferLogLine({ ...SUCCESS, resultCode: 1000 }), "ERR_TRANSFER_LOG_FIELD");
    expectError(() => formatTransferLogLine({ ...SUCCESS, transferTimeMs: 0.5 }), "ERR_TRANSFER_LOG_FIELD");
    expectError(() => formatTransferLogLine({ ...SUCCESS, timestamp: -5 }), "ERR_TIME_RANGE");
  });
});

describe("transfer log file name", () => {
  it("names the temporary and the final log", () => {
    const fields = { hostname: "ftp1", prefix: "flowc", time: TS, kind: "tmp" as const };
    assert.equal(transferLogFileName(fields), "ftp1_flowc_20040227_230855.tmp");
    assert.equal(transferLogFileName({ ...fields, kind: "log" }), "ftp1_flowc_20040227_230855.log");
    assert.equal(transferLogFileName(fields, { utcOffsetMinutes: -60 }), "ftp1_flowc_20040227_220855.tmp");
  });

  it("parses names back, a prefix may hold underscores", () => {
    assert.deepEqual(parseTransferLogFileName("ftp1.example.net_cp_6_0_0_20040227_230855.log"), {
      hostname: "ftp1.example.net",
      prefix: "cp_6_0_0",
      time: TS,
      kind: "log",
    });
    const host = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
    const prefix = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
    fc.assert(
      fc.property(host, prefix, fc.integer({ min: 0, max: 4102444800 }), fc.boolean(), (hostname, p, time, tmp) => {
        const fields = { hostname, prefix: p, time, kind: tmp ? ("tmp" as const) : ("log" as const) };
        assert.deepEqual(parseTransferLogFileName(transferLogFileName(fields)), fields);
      }),
    );
  });

  it("rejects what it cannot read back", () => {
    const f = { hostname: "ftp1", prefix: "flowc", time: TS, kind: "tmp" as const };
    expectError(() => transferLogFileName({ ...f, hostname: "ftp_1" }), "ERR_TRANSFER_LOG_NAME");
    expectError(() => transferLogFileName({ ...f, prefix: "" }), "ERR_TRANSFER_LOG_NAME");
    expectError(() => transferLogFileName({ ...f, prefix: "a/b" }), "ERR_TRANSFER_LOG_NAME");
    expectError(() => parseTransferLogFileName("ftp1_flowc_20040227_230855.gz"), "ERR_TRANSFER_LOG_NAME", 0);
    expectError(() => parseTransferLogFileName("ftp1_20040227_230855.log"), "ERR_TRANSFER_LOG_NAME", 0);
    expectError(() => parseTransferLogFileName("ftp1_flowc_20041327_230855.log"), "ERR_TRANSFER_LOG_NAME", 0);
  });
});
