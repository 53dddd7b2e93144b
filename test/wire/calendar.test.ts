import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatIsoMillis } from "../../src/wire/calendar.ts";

describe("formatIsoMillis", () => {
  it("gives Date.prototype.toISOString's text for any time of years 1970-9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
        assert.equal(formatIsoMillis(ms), new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });

  it("formats consecutive times of one day and across midnight", () => {
    assert.equal(formatIsoMillis(1469109153936), "2016-07-21T13:52:33.936Z");
    assert.equal(formatIsoMillis(1469145599999), "2016-07-21T23:59:59.999Z");
    assert.equal(formatIsoMillis(1469145600000), "2016-07-22T00:00:00.000Z");
    assert.equal(formatIsoMillis(1469145600007), "2016-07-22T00:00:00.007Z");
  });
});
