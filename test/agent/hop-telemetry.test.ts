/**
 * fetchHopTelemetry's `nextResponder` (the egress hint a provider uses where it cannot tell the egress itself): the next
 * TTL's responder, except where that answer is not a next hop: a timeout, or a router rejecting the flow in its forward
 * chain (Time Exceeded at its own TTL, Destination Unreachable from the same address one TTL later). Rounds come from
 * probeRound on a scripted transport, so the replies have the shapes real rounds produce.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fetchHopTelemetry, nextResponderOf } from "../../src/agent/hop-telemetry.ts";
import { ProbeLimiter } from "../../src/agent/probe-limiter.ts";
import { probeRound } from "../../src/agent/probe-round.ts";
import type { ProbeBatchOptions, ProbeReply, ProbeTarget, ProbeTransport } from "../../src/probe/transport.ts";
import type { HopQuery, HopTelemetry, TelemetryProvider } from "../../src/telemetry/provider.ts";
import { ManualClock } from "./fakes.ts";

const TARGET: ProbeTarget = {
  kind: "flow",
  flow: { src: "10.1.1.11", dst: "10.1.2.11", proto: "udp", sport: 40000, dport: 33434 },
  checksum: true,
};

type Answer = Pick<ProbeReply, "outcome" | "responder"> & { unreachableCode?: number };

/** Answers each TTL as `script` says (a missing TTL times out). */
class ScriptedTransport implements ProbeTransport {
  readonly name = "scripted";
  readonly simulated = false;
  constructor(readonly script: Record<number, Answer>) {}
  async probe(_target: ProbeTarget, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    return options.ttls.map((ttl) => {
      const a = this.script[ttl];
      if (a === undefined) return { ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null };
      return { ttl, ...a, rttSeconds: 0.001, receivedAt: { sec: 1_800_000_000, usec: ttl } };
    });
  }
  async close(): Promise<void> {}
}

/** Records the queries it gets; knows nothing (answers null). */
class RecordingProvider implements TelemetryProvider {
  readonly name = "recording";
  readonly queries: HopQuery[] = [];
  async hop(query: HopQuery): Promise<HopTelemetry | null> {
    this.queries.push(query);
    return null;
  }
  async startMirror(): Promise<void> {}
  async release(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Probes one round as scripted, fetches its telemetry; returns each hop's nextResponder by responder. */
async function nextResponders(
  script: Record<number, Answer>,
): Promise<{ hopTtls: number[]; next: Map<string, string | undefined> }> {
  const clock = new ManualClock();
  const probes = await probeRound({
    transport: new ScriptedTransport(script),
    target: TARGET,
    nhops: 6,
    ntry: 1,
    timeoutMs: 100,
    knownDestinationTtl: null,
    limiter: new ProbeLimiter(clock, Number.POSITIVE_INFINITY),
    signal: new AbortController().signal,
  });
  const provider = new RecordingProvider();
  await fetchHopTelemetry({ provider, probes, target: TARGET, bwIngress: false, clock, timeoutMs: 1000 });
  // Every answering hop was asked once, with the hint nextResponderOf gives for its TTL.
  const answered = probes.hopTtls.filter((ttl) => probes.replies.get(ttl)?.responder != null);
  assert.equal(provider.queries.length, answered.length);
  for (const ttl of answered) {
    const query = provider.queries.find((q) => q.responder === probes.replies.get(ttl)?.responder);
    assert.equal(query?.nextResponder, nextResponderOf(probes, ttl));
  }
  return { hopTtls: probes.hopTtls, next: new Map(provider.queries.map((q) => [q.responder, q.nextResponder])) };
}

const te = (responder: string): Answer => ({ outcome: "time-exceeded", responder });
const dest = (responder: string): Answer => ({ outcome: "destination", responder });
const refused = (responder: string, code = 13): Answer => ({
  outcome: "unreachable",
  responder,
  unreachableCode: code,
});

describe("nextResponder of hop telemetry queries", () => {
  it("is the next TTL's responder along a path, the destination's for the last hop", async () => {
    const { hopTtls, next } = await nextResponders({
      1: te("10.1.1.1"),
      2: te("10.0.1.1"),
      3: te("10.0.3.2"),
      4: dest("10.1.2.11"),
      5: dest("10.1.2.11"),
    });
    assert.deepEqual(hopTtls, [1, 2, 3]);
    assert.deepEqual(
      [...next],
      [
        ["10.1.1.1", "10.0.1.1"],
        ["10.0.1.1", "10.0.3.2"],
        ["10.0.3.2", "10.1.2.11"],
      ],
    );
  });

  it("is absent for a router that rejects in its forward chain (Unreachable from itself one TTL later)", async () => {
    const { hopTtls, next } = await nextResponders({
      1: te("10.1.1.1"),
      2: te("10.0.1.1"),
      3: refused("10.0.1.1"),
      4: refused("10.0.1.1"),
    });
    assert.deepEqual(hopTtls, [1, 2], "the filtering router is one hop");
    assert.equal(next.get("10.1.1.1"), "10.0.1.1");
    assert.ok(next.has("10.0.1.1"));
    assert.equal(next.get("10.0.1.1"), undefined, "its own Unreachable is not its next hop");
  });

  it("is the next router when that router refuses with its own address (a refusing route)", async () => {
    const { hopTtls, next } = await nextResponders({
      1: te("10.1.1.1"),
      2: refused("10.0.1.1", 0),
      3: refused("10.0.1.1", 0),
    });
    assert.deepEqual(hopTtls, [1, 2]);
    assert.equal(next.get("10.1.1.1"), "10.0.1.1", "a different router's Unreachable still names the next hop");
    assert.equal(next.get("10.0.1.1"), undefined);
  });

  it("is absent when the next TTL timed out", async () => {
    const { next } = await nextResponders({ 1: te("10.1.1.1"), 3: te("10.0.3.2"), 4: dest("10.1.2.11") });
    assert.equal(next.get("10.1.1.1"), undefined);
    assert.equal(next.get("10.0.3.2"), "10.1.2.11");
  });
});
