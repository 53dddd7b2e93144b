import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type NetflowClock,
  netflowBootTimeMs,
  netflowEpochToUptimeMs,
  netflowExportTimeMs,
  netflowRecordDurationMs,
  netflowRecordTimes,
  netflowUptimeAgeMs,
  netflowUptimeToEpochMs,
} from "../../src/wire/netflow-time.ts";

const EXPORT = Date.parse("2023-11-14T22:13:20.500Z");
const clock: NetflowClock = { sysUptime: 1_000_000, unixSecs: 1700000000, unixNsecs: 500_123_456 };

describe("NetFlow uptime to absolute time", () => {
  it("takes the export time from seconds and nanoseconds, whole milliseconds", () => {
    assert.equal(netflowExportTimeMs(clock), EXPORT);
    assert.equal(netflowExportTimeMs({ ...clock, unixNsecs: 999_999_999 }), 1700000000999);
  });

  it("puts the boot time sysUptime before the export", () => {
    assert.equal(netflowBootTimeMs(clock), EXPORT - 1_000_000);
    assert.equal(new Date(netflowBootTimeMs(clock)).toISOString(), "2023-11-14T21:56:40.500Z");
  });

  it("converts first/last uptimes to epoch milliseconds", () => {
    const t = netflowRecordTimes(clock, { first: 940_000, last: 999_000 });
    assert.equal(new Date(t.firstMs).toISOString(), "2023-11-14T22:12:20.500Z");
    assert.equal(new Date(t.lastMs).toISOString(), "2023-11-14T22:13:19.500Z");
    assert.equal(netflowUptimeToEpochMs(clock, 1_000_000), EXPORT);
  });

  it("places a record uptime just above sysUptime after a wrap before the export", () => {
    const wrapped: NetflowClock = { ...clock, sysUptime: 200 }; // counter wrapped 200 ms ago
    assert.equal(netflowUptimeAgeMs(wrapped, 4294967000), 496);
    assert.equal(netflowUptimeToEpochMs(wrapped, 4294967000), EXPORT - 496);
    assert.equal(netflowUptimeToEpochMs(wrapped, 100), EXPORT - 100);
    const t = netflowRecordTimes(wrapped, { first: 4294966000, last: 50 });
    assert.deepEqual(t, { firstMs: EXPORT - 1496, lastMs: EXPORT - 150 });
    assert.equal(netflowRecordDurationMs({ first: 4294966000, last: 50 }), 1346);
    // Boot time after a wrap is the wrap: 2^32 ms later than the real boot.
    assert.equal(netflowBootTimeMs(wrapped), EXPORT - 200);
  });

  it("places a record uptime a little above sysUptime without a wrap just after the export (skew)", () => {
    assert.equal(netflowUptimeAgeMs(clock, 1_000_005), -5);
    assert.equal(netflowUptimeToEpochMs(clock, 1_000_005), EXPORT + 5);
  });

  it("inverts with netflowEpochToUptimeMs within 2^31 ms of the export (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
        (sysUptime, unixSecs, ageMs) => {
          const c = { sysUptime, unixSecs, unixNsecs: 0 };
          const epoch = netflowExportTimeMs(c) - ageMs;
          const uptime = netflowEpochToUptimeMs(c, epoch);
          assert.ok(uptime >= 0 && uptime <= 0xffffffff);
          assert.equal(netflowUptimeToEpochMs(c, uptime), epoch);
        },
      ),
    );
  });
});
