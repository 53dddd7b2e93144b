import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import { DURATION_UNITS, durationSchema, formatDuration, parseDuration } from "../../src/runtime/duration.ts";
import { DurationError } from "../../src/runtime/errors.ts";

describe("parseDuration", () => {
  it("reads the forms operators write", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("120m"), 7_200_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("2d"), 172_800_000);
    assert.equal(parseDuration("1d2h3m4s5ms"), 93_784_005);
    assert.equal(parseDuration("1.5h"), 5_400_000);
    assert.equal(parseDuration("0.25s"), 250);
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("0s"), 0);
  });

  it("rejects malformed text with DurationError", () => {
    for (const bad of [
      "",
      "5",
      "s",
      "1x",
      "1m1h",
      "1s1s",
      "-1s",
      "1 s",
      " 1s",
      "1h 30m",
      "1.s",
      ".5s",
      "0.5ms",
      "1S",
    ]) {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof DurationError && e.code === "ERR_DURATION",
        `accepted ${JSON.stringify(bad)}`,
      );
    }
  });

  it("rejects durations beyond the safe integer range", () => {
    assert.throws(() => parseDuration("999999999999d"), DurationError);
  });

  it("sums any largest-first composition of parts", () => {
    const part = fc.tuple(fc.nat({ max: 100_000 }), fc.boolean());
    fc.assert(
      fc.property(fc.array(part, { minLength: 5, maxLength: 5 }), (parts) => {
        let text = "";
        let expected = 0;
        parts.forEach(([n, use], i) => {
          if (!use) return;
          const [unit, ms] = DURATION_UNITS[i]!;
          text += `${n}${unit}`;
          expected += n * ms;
        });
        if (text === "") return;
        assert.equal(parseDuration(text), expected);
      }),
    );
  });
});

describe("formatDuration", () => {
  it("writes the canonical form", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(250), "250ms");
    assert.equal(formatDuration(5_400_000), "1h30m");
    assert.equal(formatDuration(86_400_000 + 1), "1d1ms");
  });

  it("rejects negative and fractional values", () => {
    assert.throws(() => formatDuration(-1), DurationError);
    assert.throws(() => formatDuration(1.5), DurationError);
  });

  it("round-trips every safe millisecond count", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: 10_000_000 }), fc.maxSafeNat()), (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
    );
  });

  it("normalises any composition to a canonical form with every part below its next unit", () => {
    const text = fc
      .tuple(fc.nat({ max: 500 }), fc.nat({ max: 500 }), fc.nat({ max: 5000 }))
      .map(([h, m, s]) => `${h}h${m}m${s}s`);
    fc.assert(
      fc.property(text, (t) => {
        const canonical = formatDuration(parseDuration(t));
        assert.equal(parseDuration(canonical), parseDuration(t));
        assert.equal(formatDuration(parseDuration(canonical)), canonical);
        const limits: Record<string, number> = { h: 24, m: 60, s: 60, ms: 1000 };
        for (const [, n, unit] of canonical.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
          assert.ok(Number(n) > 0 || canonical === "0s", `zero part in ${canonical}`);
          if (limits[unit!] !== undefined) assert.ok(Number(n) < limits[unit!]!, `${n}${unit} in ${canonical}`);
        }
      }),
    );
  });
});

describe("durationSchema", () => {
  const schema = z.strictObject({ interval: durationSchema({ min: "1s", max: "1h" }) });

  it("decodes to milliseconds and encodes back to text", () => {
    const value = schema.parse({ interval: "1m30s" });
    assert.deepEqual(value, { interval: 90_000 });
    assert.deepEqual(z.encode(schema, value), { interval: "1m30s" });
  });

  it("enforces bounds and rejects bare numbers", () => {
    const tooShort = schema.safeParse({ interval: "500ms" });
    assert.equal(tooShort.success, false);
    assert.match(tooShort.error!.issues[0]!.message, /at least 1s/);
    const tooLong = schema.safeParse({ interval: "2h" });
    assert.match(tooLong.error!.issues[0]!.message, /at most 1h/);
    const bare = schema.safeParse({ interval: 30 });
    assert.match(bare.error!.issues[0]!.message, /duration string/);
    const bad = schema.safeParse({ interval: "30 seconds" });
    assert.match(bad.error!.issues[0]!.message, /invalid duration/);
  });
});
