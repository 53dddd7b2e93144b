import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { calendarTime, parseYmdHms, unixSecondsOf } from "../../src/wire/calendar.ts";
import {
  CollectorFileNameFormat,
  collectorFileName,
  DEFAULT_COLLECTOR_FILE_NAME_FORMAT,
  ifAliasFromName,
  parseCollectorFileName,
} from "../../src/wire/collector-file-name.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { expectError } from "./fixtures.ts";

// flow-collector.txt, "show services flow-collector file interface cp-6/0/0 terse".
const SPEC_NAME = "cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz";
const SPEC_TIME = Date.UTC(2003, 10, 12, 1, 43, 1) / 1000;

describe("collector file name", () => {
  it("derives the ifAlias from an interface name", () => {
    assert.equal(ifAliasFromName("so-3/0/0.0"), "so_3_0_0_0");
    assert.equal(ifAliasFromName("at-4/0/0.4"), "at_4_0_0_4");
    assert.equal(ifAliasFromName("ge-0/0/1:2.100"), "ge_0_0_1_2_100");
  });

  it("reproduces the spec's name with the default format, in UTC", () => {
    const name = collectorFileName({
      analyzerId: "py69Ni69",
      channel: 0,
      time: SPEC_TIME,
      ifAlias: ifAliasFromName("so-3/0/0.0"),
    });
    assert.equal(name, SPEC_NAME);
    assert.equal(new CollectorFileNameFormat().format, DEFAULT_COLLECTOR_FILE_NAME_FORMAT);
  });

  it("parses the spec's name back", () => {
    assert.deepEqual(parseCollectorFileName(SPEC_NAME), {
      analyzerId: "py69Ni69",
      channel: 0,
      time: SPEC_TIME,
      ifAlias: "so_3_0_0_0",
    });
  });

  it("shows local time when given a UTC offset", () => {
    const fields = { analyzerId: "py69Ni69", channel: 1, time: SPEC_TIME - 3600, ifAlias: "so_3_0_0_0" };
    const cet = collectorFileName(fields, { utcOffsetMinutes: 60 });
    assert.equal(cet, SPEC_NAME.replace("-0-", "-1-"));
    assert.equal(parseCollectorFileName(cet, { utcOffsetMinutes: 60 }).time, fields.time);
    assert.equal(parseCollectorFileName(cet).time, SPEC_TIME);
    const est = collectorFileName(
      { ...fields, time: Date.UTC(2004, 0, 1, 2, 0, 0) / 1000 },
      { utcOffsetMinutes: -300 },
    );
    assert.equal(est, "cFlowd-py69Ni69-1-20031231_210000-so_3_0_0_0.bcp.bi.gz");
    expectError(() => collectorFileName(fields, { utcOffsetMinutes: 2000 }), "ERR_UTC_OFFSET");
  });

  it("round-trips random fields through the default format", () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/);
    const alias = fc.stringMatching(/^[A-Za-z0-9_]{0,20}$/);
    const time = fc.integer({ min: 0, max: 253402300799 });
    fc.assert(
      fc.property(
        id,
        fc.nat(9),
        time,
        alias,
        fc.integer({ min: -1440, max: 1440 }),
        (analyzerId, channel, t, ifAlias, off) => {
          fc.pre(t + off * 60 >= 0 && t + off * 60 <= 253402300799);
          const fields = { analyzerId, channel, time: t, ifAlias };
          const name = collectorFileName(fields, { utcOffsetMinutes: off });
          assert.deepEqual(parseCollectorFileName(name, { utcOffsetMinutes: off }), fields);
        },
      ),
    );
  });

  it("supports a custom format with every %-field", () => {
    const format = new CollectorFileNameFormat("%A/%%%I_%S-%D%T.%N.%C.gz");
    assert.deepEqual(format.fields, ["%A", "%I", "%S", "%D", "%T", "%N", "%C"]);
    const fields = {
      analyzerId: "an1",
      channel: 1,
      time: SPEC_TIME,
      ifAlias: "so_3_0_0_0",
      sequence: 42,
      analyzerAddress: ipv4FromString("10.10.10.1"),
    };
    const name = format.name(fields);
    assert.equal(name, "10.10.10.1/%an1_42-20031112014301.so_3_0_0_0.1.gz");
    assert.deepEqual(format.parse(name), fields);
  });

  it("reads back only the fields a format holds, and repeated fields must agree", () => {
    const format = new CollectorFileNameFormat("%I-%D-%I");
    assert.deepEqual(format.parse("x-20031112-x"), { analyzerId: "x", time: Date.UTC(2003, 10, 12) / 1000 });
    expectError(() => format.parse("x-20031112-y"), "ERR_COLLECTOR_FILE_NAME", 0);
  });

  it("rejects unknown %-fields in a format with the offset of the %", () => {
    expectError(() => new CollectorFileNameFormat("cFlowd-%Q"), "ERR_COLLECTOR_FILE_NAME_FORMAT", 7);
    expectError(() => new CollectorFileNameFormat("abc%"), "ERR_COLLECTOR_FILE_NAME_FORMAT", 3);
  });

  it("rejects names that do not fit, and impossible dates at their offset", () => {
    expectError(
      () => parseCollectorFileName("cFlowd-py69Ni69-0-20031112_014301.bcp.bi.gz"),
      "ERR_COLLECTOR_FILE_NAME",
      0,
    );
    expectError(() => parseCollectorFileName(SPEC_NAME.replace(".gz", "")), "ERR_COLLECTOR_FILE_NAME", 0);
    expectError(() => parseCollectorFileName(SPEC_NAME.replace("20031112", "20030230")), "ERR_COLLECTOR_FILE_NAME", 18);
    expectError(() => parseCollectorFileName(SPEC_NAME.replace("014301", "246000")), "ERR_COLLECTOR_FILE_NAME", 18);
  });

  it("refuses fields it cannot write into a name", () => {
    const ok = { analyzerId: "a", channel: 0, time: 0, ifAlias: "x" };
    expectError(() => collectorFileName({ ...ok, analyzerId: "" }), "ERR_COLLECTOR_FILE_NAME");
    expectError(() => collectorFileName({ ...ok, analyzerId: "a/b" }), "ERR_COLLECTOR_FILE_NAME");
    expectError(() => collectorFileName({ ...ok, ifAlias: "x\n" }), "ERR_COLLECTOR_FILE_NAME");
    expectError(() => collectorFileName({ ...ok, channel: -1 }), "ERR_COLLECTOR_FILE_NAME");
    expectError(() => collectorFileName({ ...ok, time: -1 }), "ERR_TIME_RANGE");
    expectError(() => collectorFileName({ ...ok, time: 1.5 }), "ERR_TIME_RANGE");
    expectError(() => new CollectorFileNameFormat("%S").name(ok), "ERR_COLLECTOR_FILE_NAME");
  });
});

describe("calendar helpers", () => {
  it("agree with Date.UTC", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (t) => {
        const c = calendarTime(t);
        assert.equal(Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) / 1000, t);
        assert.equal(unixSecondsOf(c), t);
      }),
    );
  });

  it("know leap years", () => {
    assert.equal(parseYmdHms("20040229", "000000"), Date.UTC(2004, 1, 29) / 1000);
    assert.equal(parseYmdHms("20030229", "000000"), undefined);
    assert.equal(parseYmdHms("19000229", "000000"), undefined);
    assert.equal(parseYmdHms("2004022", "000000"), undefined);
  });
});
