/**
 * One round's probing and the global probe budget: every TTL up to nhops in one batch, the TTL window from the previous
 * round (and its widening when the path grew), retries of timed-out hops up to ntry, the round ending at the
 * destination, replies for TTLs not asked ignored; the limiter's probes-per-second cap over many rounds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ProbeLimiter } from "../../src/agent/probe-limiter.ts";
import { probeRound } from "../../src/agent/probe-round.ts";
import type { ProbeTarget } from "../../src/probe/transport.ts";
import { FakeNetwork, ManualClock, testAgent } from "./fakes.ts";

const TARGET: ProbeTarget = {
  kind: "flow",
  flow: { src: "10.1.1.1", dst: "10.1.7.1", proto: "udp", sport: 1, dport: 2 },
  checksum: true,
};

function setup(hops: number) {
  const clock = new ManualClock();
  const net = new FakeNetwork(clock);
  net.routers = Array.from({ length: hops }, (_, i) => ({ address: `10.9.${i}.1`, device: `r${i}` }));
  const limiter = new ProbeLimiter(clock, Number.POSITIVE_INFINITY);
  const run = (extra: Partial<Parameters<typeof probeRound>[0]> = {}) =>
    probeRound({
      transport: net,
      target: TARGET,
      nhops: 255,
      ntry: 1,
      timeoutMs: 100,
      knownDestinationTtl: null,
      limiter,
      signal: new AbortController().signal,
      ...extra,
    });
  return { clock, net, run };
}

describe("probeRound", () => {
  it("sends every TTL up to nhops together and ends at the destination", async () => {
    const { net, run } = setup(3);
    const r = await run();
    assert.deepEqual(
      net.batches.map((b) => b.ttls.length),
      [255],
    );
    assert.equal(r.destinationTtl, 4);
    assert.deepEqual(r.hopTtls, [1, 2, 3]);
    assert.equal(r.probesSent, 255);
  });

  it("uses the previous round's destination as a window and widens it when the path grew", async () => {
    const { net, run } = setup(3);
    await run({ knownDestinationTtl: 4 });
    assert.deepEqual(
      net.batches.map((b) => b.ttls),
      [[1, 2, 3, 4, 5]],
    );
    net.routers.push({ address: "10.9.3.1", device: "r3" }, { address: "10.9.4.1", device: "r4" });
    const r = await run({ knownDestinationTtl: 4, nhops: 10 });
    assert.deepEqual(
      net.batches.slice(1).map((b) => b.ttls),
      [
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
      ],
    );
    assert.equal(r.destinationTtl, 6);
  });

  it("retries only timed-out hops before the destination, up to ntry tries", async () => {
    const { net, run } = setup(4);
    net.lossyTries.set(2, 1);
    net.silent.add(3);
    const r = await run({ ntry: 4 });
    assert.deepEqual(
      net.batches.map((b) => [b.attempt, b.ttls.length > 10 ? "all" : b.ttls]),
      [
        [1, "all"],
        [2, [2, 3]],
        [3, [3]],
        [4, [3]],
      ],
    );
    assert.equal(r.replies.get(2)!.outcome, "time-exceeded");
    assert.equal(r.replies.get(3)!.outcome, "timeout");
    assert.equal(r.tries.get(3), 4);
    assert.deepEqual(r.hopTtls, [1, 2, 3, 4]);
  });

  it("nhops below the distance: the hops up to nhops, no destination", async () => {
    const { run } = setup(6);
    const r = await run({ nhops: 3 });
    assert.equal(r.destinationTtl, null);
    assert.deepEqual(r.hopTtls, [1, 2, 3]);
  });

  it("ignores replies for TTLs not asked and fills missing ones as timeouts", async () => {
    const { net, run } = setup(2);
    const real = net.probe.bind(net);
    net.probe = async (target, options) => {
      const replies = await real(target, options);
      return [...replies.filter((r) => r.ttl !== 1), { ...replies[0]!, ttl: 999 }];
    };
    const r = await run({ nhops: 5 });
    assert.equal(r.replies.get(1)!.outcome, "timeout");
    assert.equal(r.replies.has(999), false);
    assert.deepEqual(r.hopTtls, [1, 2]);
  });

  it("property: hops are 1..destination-1 whatever the path length, silent set and ntry", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (hops, silent, ntry) => {
          const { net, run } = setup(hops);
          for (const s of silent) if (s <= hops) net.silent.add(s);
          const r = await run({ ntry, nhops: 20 });
          assert.equal(r.destinationTtl, hops + 1);
          assert.deepEqual(
            r.hopTtls,
            Array.from({ length: hops }, (_, i) => i + 1),
          );
          for (const s of net.silent) assert.equal(r.tries.get(s), ntry);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ProbeLimiter", () => {
  it("holds the probes-per-second budget over many batches, first come first served", async () => {
    const clock = new ManualClock(0);
    const limiter = new ProbeLimiter(clock, 100);
    const granted: [number, number][] = [];
    for (let i = 0; i < 20; i++) void limiter.acquire(25).then(() => granted.push([i, clock.now()]));
    await clock.advance(0);
    assert.deepEqual(
      granted.map(([i]) => i),
      [0, 1, 2, 3],
      "one second's worth at once",
    );
    await clock.advance(4000);
    assert.deepEqual(
      granted.map(([i]) => i),
      Array.from({ length: 20 }, (_, i) => i),
      "in order",
    );
    const at = granted.map(([, ms]) => ms);
    for (let k = 4; k < 20; k++) assert.ok(at[k]! >= (k - 3) * 250 - 1, `batch ${k} at ${at[k]}`);
  });

  it("an aborted waiter leaves the queue; a batch larger than the bucket waits for a full bucket", async () => {
    const clock = new ManualClock(0);
    const limiter = new ProbeLimiter(clock, 10);
    await limiter.acquire(10);
    const ac = new AbortController();
    const dropped = limiter.acquire(5, ac.signal).then(
      () => "granted",
      () => "aborted",
    );
    let big = false;
    void limiter.acquire(255).then(() => {
      big = true;
    });
    ac.abort();
    assert.equal(await dropped, "aborted");
    await clock.advance(999);
    assert.equal(big, false);
    await clock.advance(1);
    assert.equal(big, true);
  });

  it("in the agent: 20 flows of 5 TTLs under a 25 probes/s cap send 25 probes per second", async () => {
    const t = testAgent({ limits: { "probes-per-second": 25 } });
    try {
      t.network.routers = [{ address: "10.9.0.1", device: "r0" }];
      for (let i = 0; i < 20; i++) await t.get(`/start/flow?src=10.1.1.1&dst=10.1.7.1&sport=${1000 + i}&nhops=5`);
      await t.clock.advance(0);
      const sent = () => t.network.batches.reduce((n, b) => n + b.ttls.length, 0);
      assert.equal(sent(), 25);
      await t.clock.advance(2000);
      assert.ok(sent() <= 75 && sent() >= 70, `${sent()} probes after 2 s`);
    } finally {
      await t.agent.close();
    }
  });
});
