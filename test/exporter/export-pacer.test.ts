import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ExportPacer } from "../../src/exporter/export-pacer.ts";
import { ExportOptionError } from "../../src/exporter/v5-batcher.ts";

const T0 = 1_700_000_000_000;

describe("ExportPacer", () => {
  it("spreads a period's datagrams over the next period: in order, all within it, no slice above its share + 1", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom(1, 6, 60, 600),
        fc.constantFrom(60_000, 1000, 7),
        (n, slices, periodMs) => {
          // A small epoch keeps the fractional due times exact enough to place them in slices.
          const pacer = new ExportPacer<number>({ startMs: 1000, periodMs });
          const end = 1000 + periodMs;
          assert.equal(pacer.periodOver(end - 1), false);
          assert.equal(pacer.periodOver(end), true);
          const items = Array.from({ length: n }, (_, i) => i);
          assert.equal(pacer.closePeriod(items, end), end + periodMs);
          // Wake when the pacer says the next item is due, as a daemon's timer would.
          const sent: [number, number][] = [];
          for (let at = pacer.nextDueMs(); at !== undefined; at = pacer.nextDueMs()) {
            for (const item of pacer.due(at)) sent.push([item, at]);
          }
          assert.deepEqual(
            sent.map(([i]) => i),
            items,
          );
          assert.ok(
            sent.every(([, at]) => at >= end && at < end + periodMs),
            "all within the following period",
          );
          if (n > 0) assert.equal(sent[0][1], end, "the first goes at once");
          const counts = new Array(slices).fill(0);
          for (const [, at] of sent) counts[Math.floor(((at - end) * slices) / periodMs + 1e-9)]++;
          for (const c of counts) assert.ok(c <= n / slices + 1, `slice of ${c} > ${n / slices} + 1`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("sends a 60-second period's 120 datagrams two per second, polled once a second", () => {
    const pacer = new ExportPacer<number>({ startMs: T0 });
    pacer.closePeriod(
      Array.from({ length: 120 }, (_, i) => i),
      T0 + 60_000,
    );
    const counts: number[] = [];
    for (let now = T0 + 60_000; now <= T0 + 120_000; now += 1000) counts.push(pacer.due(now).length);
    // Due at +0, +0.5 s, +1 s...: the first poll finds one, each later poll the two of the second before it.
    assert.deepEqual(counts, [1, ...new Array(59).fill(2), 1]);
  });

  it("keeps order across periods and skips idle periods", () => {
    const pacer = new ExportPacer<string>({ startMs: T0, periodMs: 1000 });
    pacer.closePeriod(["a1", "a2", "a3", "a4"], T0 + 1000);
    assert.deepEqual(pacer.due(T0 + 1000), ["a1"]);
    assert.equal(pacer.nextDueMs(), T0 + 1250);
    assert.equal(pacer.pending, 3);
    // Nobody asked for due items during the period; the next period closes late.
    assert.equal(pacer.closePeriod(["b1", "b2"], T0 + 3500), T0 + 4000);
    assert.deepEqual(pacer.due(T0 + 3500), ["a2", "a3", "a4", "b1"]);
    assert.deepEqual(pacer.due(T0 + 3999), []);
    assert.deepEqual(pacer.due(T0 + 4000), ["b2"]);
    assert.equal(pacer.nextDueMs(), undefined);
    // Closed early: the next period is the one right after.
    assert.equal(pacer.closePeriod([], T0 + 3600), T0 + 5000);
  });

  it("flushes everything queued, in order", () => {
    const pacer = new ExportPacer<number>({ startMs: T0 });
    pacer.closePeriod([1, 2, 3], T0 + 60_000);
    assert.deepEqual(pacer.due(T0 + 60_000), [1]);
    assert.deepEqual(pacer.flush(), [2, 3]);
    assert.equal(pacer.pending, 0);
    assert.equal(pacer.periodMs, 60_000);
    assert.equal(pacer.periodEndMs, T0 + 120_000);
  });

  it("rejects a period that is not a positive duration", () => {
    assert.throws(() => new ExportPacer({ startMs: T0, periodMs: 0 }), ExportOptionError);
    assert.throws(() => new ExportPacer({ startMs: Number.NaN }), { code: "ERR_EXPORT_OPTION" });
  });
});
