/**
 * Concurrent requests on one flow: of many simultaneous modifications exactly one is accepted and the others get
 * EAGAIN; modifications racing a stop get EAGAIN and only one stop is EOK; a modification made during a round applies
 * from the next round; rounds of one flow never overlap; data/flow answers E_AoF from the moment of the stop.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testAgent } from "./fakes.ts";

const FLOW = "src=10.1.1.1&dst=10.1.7.1&proto=udp&sport=54676&dport=9000";

function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("EAGAIN under concurrent modify and stop", () => {
  it("50 simultaneous modifications: one EOK, 49 EAGAIN", async () => {
    const t = testAgent();
    try {
      await t.get(`/start/flow?${FLOW}`);
      await t.clock.advance(0);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => t.get(`/start/flow?${FLOW}&nhops=${i + 1}`)),
      );
      const codes = answers.map((a) => a.json().code);
      assert.equal(codes.filter((c) => c === "EOK").length, 1);
      assert.equal(codes.filter((c) => c === "EAGAIN").length, 49);
    } finally {
      await t.agent.close();
    }
  });

  it("modifications and stops racing during a round: one stop EOK, the rest E_AoF or EAGAIN, data E_AoF", async () => {
    const t = testAgent();
    try {
      const g = gate();
      t.network.gate = g.promise;
      await t.get(`/start/flow?${FLOW}`);
      await t.clock.advance(0);
      assert.equal(t.network.inFlight, 1, "the round is held in the transport");
      const requests = Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0 ? t.get(`/stop/flow?${FLOW}`) : t.get(`/start/flow?${FLOW}&sfreq=${1 + i}`),
      );
      const answers = (await Promise.all(requests)).map((a) => a.json().code);
      const stops = answers.filter((_, i) => i % 2 === 0);
      const starts = answers.filter((_, i) => i % 2 === 1);
      assert.equal(stops.filter((c) => c === "EOK").length, 1);
      assert.ok(stops.every((c) => c === "EOK" || c === "E_AoF"));
      assert.ok(starts.every((c) => c === "EOK" || c === "EAGAIN"));
      assert.ok(starts.filter((c) => c === "EOK").length <= 1, "at most the modification before the stop");
      assert.equal((await t.get(`/data/flow?${FLOW}`)).json().code, "E_AoF");
      await t.clock.advance(0);
      assert.equal(t.network.inFlight, 0, "the stop aborted the round");
      assert.equal(t.network.released.length, 1);
      assert.equal((await t.get(`/start/flow?${FLOW}`)).json().code, "EOK", "gone: a new start creates it");
      g.open();
    } finally {
      await t.agent.close();
    }
  });

  it("a modification during a round applies from the next round; rounds never overlap", async () => {
    const t = testAgent();
    try {
      const g = gate();
      t.network.gate = g.promise;
      await t.get(`/start/flow?${FLOW}&nhops=8`);
      await t.clock.advance(0);
      assert.equal((await t.get(`/start/flow?${FLOW}&nhops=4&timeout=500`)).json().code, "EOK");
      await t.clock.advance(10_000);
      assert.equal(t.network.batches.length, 1, "no second round while the first one is held");
      assert.equal(t.network.maxInFlight, 1);
      t.network.gate = null;
      g.open();
      await t.clock.advance(0);
      assert.deepEqual(
        t.network.batches.map((b) => [b.ttls.length, b.timeoutMs]),
        [
          [8, 30_000],
          [4, 500],
        ],
        "the late round ended and the next started at once with the new parameters",
      );
      assert.equal(t.network.maxInFlight, 1);
    } finally {
      await t.agent.close();
    }
  });

  it("a modification that shortens sfreq brings the next round forward", async () => {
    const t = testAgent();
    try {
      await t.get(`/start/flow?${FLOW}&sfreq=60`);
      await t.clock.advance(0);
      assert.equal(t.network.batches.length, 1);
      await t.clock.advance(1000);
      await t.get(`/start/flow?${FLOW}&sfreq=2`);
      await t.clock.advance(999);
      assert.equal(t.network.batches.length, 1);
      await t.clock.advance(1);
      assert.equal(t.network.batches.length, 2, "2 s after the first round started");
    } finally {
      await t.agent.close();
    }
  });
});

describe("stopping while telemetry hangs", () => {
  it("a stop does not wait for hop telemetry that never arrives; a hop that times out is NO_TELEMETRY", async () => {
    const t = testAgent({ limits: { "telemetry-timeout": "2s" } });
    try {
      const hung = new Promise<never>(() => {});
      t.network.hop = () => hung;
      await t.get(`/start/flow?${FLOW}`);
      await t.clock.advance(0);
      await t.clock.advance(2000);
      const path = (await t.get(`/data/flow?${FLOW}`)).json();
      assert.deepEqual(
        path.Path.map((h: { HopStatus: string }) => h.HopStatus),
        ["NO_TELEMETRY", "NO_TELEMETRY", "NO_TELEMETRY"],
      );
      assert.match(await t.metrics.text(), /flowlens_agent_telemetry_errors_total 3/);
      await t.clock.advance(1000);
      assert.equal((await t.get(`/stop/flow?${FLOW}`)).json().code, "EOK");
      await t.clock.advance(0);
      assert.equal(t.network.released.length, 1, "stopped without waiting out the telemetry timeout");
      assert.equal(t.agent.registry.size, 0);
    } finally {
      await t.agent.close();
    }
  });
});
