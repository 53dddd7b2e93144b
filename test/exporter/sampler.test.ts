import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Sampler, SamplerOptionError, seededRandom } from "../../src/exporter/sampler.ts";

const NO_CAP = Number.POSITIVE_INFINITY;

/** Indices (1-based) of the sampled packets among `n`, all at time 0. */
function picks(s: Sampler, n: number, nowMs = () => 0): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (s.sample(nowMs())) out.push(i);
  return out;
}

describe("Sampler", () => {
  it("samples 1 in N at random within a binomial bound over 1e6 packets", () => {
    for (const [rate, seed] of [
      [10, 1],
      [100, 2],
      [1000, 3],
      [7, 4],
    ]) {
      const s = new Sampler({ rate, maxPacketsPerSecond: NO_CAP, random: seededRandom(seed) });
      const n = 1_000_000;
      let sampled = 0;
      for (let i = 0; i < n; i++) if (s.sample(i)) sampled++;
      const p = 1 / rate;
      const sd = Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs(sampled - n * p) < 5 * sd, `rate ${rate}: ${sampled} sampled, expected ${n * p} ± ${5 * sd}`);
      assert.equal(s.counters.sampled, sampled);
      assert.equal(s.counters.seen, n);
      assert.equal(s.counters.triggers, sampled);
    }
  });

  it("draws trigger gaps with the geometric distribution (P(gap = 1) = 1/N, mean N)", () => {
    const s = new Sampler({ rate: 4, maxPacketsPerSecond: NO_CAP, random: seededRandom(42) });
    const at = picks(s, 400_000);
    const gaps = at.map((v, i) => v - (i === 0 ? 0 : at[i - 1]));
    const ones = gaps.filter((g) => g === 1).length / gaps.length;
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(ones - 0.25) < 0.01, `P(gap=1) = ${ones}`);
    assert.ok(Math.abs(mean - 4) < 0.05, `mean gap ${mean}`);
  });

  it("is reproducible for one seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer(), (rate, seed) => {
        const a = picks(new Sampler({ rate, maxPacketsPerSecond: NO_CAP, random: seededRandom(seed) }), 2000);
        const b = picks(new Sampler({ rate, maxPacketsPerSecond: NO_CAP, random: seededRandom(seed) }), 2000);
        assert.deepEqual(a, b);
      }),
      { numRuns: 50 },
    );
  });

  it("samples every N-th packet in deterministic mode, and every packet at rate 1", () => {
    const s = new Sampler({ rate: 5, mode: "deterministic", maxPacketsPerSecond: NO_CAP });
    assert.deepEqual(picks(s, 22), [5, 10, 15, 20]);
    assert.equal(picks(new Sampler({ rate: 1, maxPacketsPerSecond: NO_CAP }), 6).length, 6);
  });

  it("samples the run-length packets after each trigger", () => {
    const s = new Sampler({ rate: 10, runLength: 3, mode: "deterministic", maxPacketsPerSecond: NO_CAP });
    assert.deepEqual(picks(s, 25), [10, 11, 12, 13, 20, 21, 22, 23]);
    assert.equal(s.counters.triggers, 2);
    // Random triggers: every trigger is followed by R sampled packets (a trigger inside a run starts a new run).
    const r = new Sampler({ rate: 50, runLength: 4, maxPacketsPerSecond: NO_CAP, random: seededRandom(9) });
    const at = new Set(picks(r, 200_000));
    const expected = 1 - (1 - 1 / 50) ** 5;
    assert.ok(Math.abs(at.size / 200_000 - expected) < 0.005, `fraction ${at.size / 200_000} vs ${expected}`);
    for (const i of at) if (!at.has(i - 1)) for (let k = 1; k <= 4; k++) assert.ok(at.has(i + k) || i + k > 200_000);
  });

  it("caps the packets sampled in each second and counts the rest", () => {
    const s = new Sampler({ rate: 1, maxPacketsPerSecond: 5 });
    let t = 10_000;
    const first = picks(s, 100, () => t);
    assert.deepEqual(first, [1, 2, 3, 4, 5]);
    t = 10_999;
    assert.equal(s.sample(t), false);
    t = 11_000;
    assert.equal(picks(s, 10, () => t).length, 5);
    assert.deepEqual({ ...s.counters }, { seen: 111, sampled: 10, capped: 101, triggers: 111 });
    const none = new Sampler({ rate: 1, maxPacketsPerSecond: 0 });
    assert.equal(picks(none, 50).length, 0);
    assert.equal(none.counters.capped, 50);
    // Default: Junos's 1000 per second.
    assert.equal(picks(new Sampler({ rate: 1 }), 5000).length, 1000);
  });

  it("tells the v5 header its mode and interval", () => {
    assert.deepEqual(new Sampler({ rate: 1 }).headerSampling(), { samplingMode: 0, samplingInterval: 0 });
    assert.deepEqual(new Sampler({ rate: 100 }).headerSampling(), { samplingMode: 2, samplingInterval: 100 });
    assert.deepEqual(new Sampler({ rate: 100, mode: "deterministic" }).headerSampling(), {
      samplingMode: 1,
      samplingInterval: 100,
    });
    assert.deepEqual(new Sampler({ rate: 65535 }).headerSampling(), { samplingMode: 2, samplingInterval: 16383 });
  });

  it("rejects settings outside the Junos ranges", () => {
    for (const bad of [
      { rate: 0 },
      { rate: 65536 },
      { rate: 1.5 },
      { rate: 10, runLength: 21 },
      { rate: 10, maxPacketsPerSecond: -1 },
      { rate: 10, maxPacketsPerSecond: 70000 },
    ]) {
      assert.throws(() => new Sampler(bad), SamplerOptionError);
    }
    assert.throws(() => new Sampler({ rate: 2, mode: "bogus" as "random" }), { code: "ERR_SAMPLER_OPTION" });
  });
});
