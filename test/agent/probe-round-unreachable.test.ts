/**
 * A router's ICMP Destination Unreachable in a round (issue 6): the refusing router is the Path's last hop, the round
 * does not retry or probe beyond it, and `DestinationReached` is false. Two shapes real routers produce: a route that
 * refuses (every TTL from the router's own on answers unreachable) and a forwarding filter (the router answers Time
 * Exceeded at its own TTL and unreachable one TTL later: the hop is the router's own TTL, not a duplicate).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assemblePath } from "../../src/agent/path-assembly.ts";
import { ProbeLimiter } from "../../src/agent/probe-limiter.ts";
import { probeRound } from "../../src/agent/probe-round.ts";
import { RateTracker } from "../../src/agent/rate-tracker.ts";
import {
  type ProbeBatchOptions,
  type ProbeReply,
  type ProbeTarget,
  type ProbeTransport,
  unreachableCodeName,
} from "../../src/probe/transport.ts";
import { ManualClock } from "./fakes.ts";

const TARGET: ProbeTarget = {
  kind: "flow",
  flow: { src: "10.1.1.11", dst: "10.1.2.99", proto: "udp", sport: 40000, dport: 33434 },
  checksum: true,
};

/** A transport answering each TTL with `answer(ttl)`; records the TTLs of every batch. */
class ScriptedTransport implements ProbeTransport {
  readonly name = "scripted";
  readonly simulated = false;
  readonly batches: number[][] = [];
  constructor(readonly answer: (ttl: number) => Omit<ProbeReply, "ttl" | "rttSeconds" | "receivedAt"> | null) {}
  async probe(_target: ProbeTarget, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    this.batches.push([...options.ttls]);
    return options.ttls.map((ttl) => {
      const a = this.answer(ttl);
      if (a === null) return { ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null };
      return { ttl, ...a, rttSeconds: 0.001 * ttl, receivedAt: { sec: 1_800_000_000, usec: ttl } };
    });
  }
  async close(): Promise<void> {}
}

function run(transport: ProbeTransport, ntry = 3, knownDestinationTtl: number | null = null) {
  return probeRound({
    transport,
    target: TARGET,
    nhops: 8,
    ntry,
    timeoutMs: 100,
    knownDestinationTtl,
    limiter: new ProbeLimiter(new ManualClock(), Number.POSITIVE_INFINITY),
    signal: new AbortController().signal,
  });
}

const te = (responder: string) => ({ outcome: "time-exceeded" as const, responder });
const unreachable = (responder: string, code: number) => ({
  outcome: "unreachable" as const,
  responder,
  unreachableCode: code,
});

describe("probeRound with a router answering Destination Unreachable", () => {
  it("an unreachable route: the refusing router is the last hop, no retries beyond it, destination not reached", async () => {
    const t = new ScriptedTransport((ttl) => (ttl === 1 ? te("10.1.1.1") : unreachable("10.0.0.1", 1)));
    const r = await run(t);
    assert.deepEqual(r.hopTtls, [1, 2]);
    assert.equal(r.unreachableTtl, 2);
    assert.equal(r.destinationTtl, null);
    assert.deepEqual(t.batches, [[1, 2, 3, 4, 5, 6, 7, 8]]);
    assert.equal(r.probeTimeouts, 0);
    const path = assemblePath({
      id: "x",
      roundStartMs: 1_800_000_000_000,
      probes: r,
      telemetry: new Map(),
      bwIngress: false,
      rates: new RateTracker(),
      now: 1_800_000_000_000,
    });
    assert.equal(path.DestinationReached, false);
    assert.deepEqual(
      path.Path.map((h) => [h.HOP, h.HopAddress, h.HopStatus]),
      [
        [1, "10.1.1.1", "NO_TELEMETRY"],
        [2, "10.0.0.1", "NO_TELEMETRY"],
      ],
    );
  });

  it("a forwarding filter: Time Exceeded at the router's TTL, unreachable one later from it: the hop is the router", async () => {
    const t = new ScriptedTransport((ttl) => {
      if (ttl === 1) return te("10.1.1.1");
      if (ttl === 2) return te("10.0.1.1");
      return unreachable("10.0.1.1", 13);
    });
    const r = await run(t);
    assert.deepEqual(r.hopTtls, [1, 2]);
    assert.equal(r.unreachableTtl, 2);
    assert.equal(r.destinationTtl, null);
  });

  it("a silent hop before the refusing router is retried; the refusal itself is not", async () => {
    let tries = 0;
    const t = new ScriptedTransport((ttl) => {
      if (ttl === 1) return tries++ < 1 ? null : te("10.1.1.1");
      if (ttl === 2) return null;
      return unreachable("10.0.2.0", 0);
    });
    const r = await run(t, 3);
    assert.deepEqual(r.hopTtls, [1, 2, 3]);
    assert.deepEqual(t.batches.slice(1), [[1, 2], [2]]);
    assert.equal(r.replies.get(1)?.outcome, "time-exceeded");
    assert.equal(r.replies.get(3)?.unreachableCode, 0);
  });

  it("a window from the previous round is not widened past a refusing router", async () => {
    const t = new ScriptedTransport((ttl) => (ttl === 1 ? te("10.1.1.1") : unreachable("10.0.0.1", 1)));
    const r = await run(t, 1, 3);
    assert.deepEqual(t.batches, [[1, 2, 3, 4]]);
    assert.deepEqual(r.hopTtls, [1, 2]);
  });

  it("the destination nearer than an unreachable answer still wins", async () => {
    const t = new ScriptedTransport((ttl) => {
      if (ttl < 3) return te(`10.9.${ttl}.1`);
      if (ttl === 3) return { outcome: "destination", responder: "10.1.2.99" };
      return unreachable("10.9.9.9", 1);
    });
    const r = await run(t);
    assert.equal(r.destinationTtl, 3);
    assert.equal(r.unreachableTtl, null);
    assert.deepEqual(r.hopTtls, [1, 2]);
  });

  it("names ICMP unreachable codes", () => {
    assert.equal(unreachableCodeName(1), "host-unreachable");
    assert.equal(unreachableCodeName(13), "admin-prohibited");
    assert.equal(unreachableCodeName(8), "code-8");
  });
});
