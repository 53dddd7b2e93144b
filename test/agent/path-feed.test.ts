/**
 * The path feed: every completed round is published once, in round order, with the trace it belongs to and the same
 * Path data/flow serves; a listener that throws is removed without disturbing the round or the other listeners.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PathRound } from "../../src/agent/path-feed.ts";
import { testAgent } from "./fakes.ts";

const FLOW = "src=10.1.1.1&dst=10.1.7.1&proto=udp&sport=54676&dport=9000";

describe("path feed", () => {
  it("publishes each round's Path with its trace, the same Path data/flow returns", async () => {
    const t = testAgent();
    const seen: PathRound[] = [];
    const unsubscribe = t.agent.feed.subscribe((round) => seen.push(round));
    let thrown = 0;
    t.agent.feed.subscribe(() => {
      thrown++;
      throw new Error("bad listener");
    });
    try {
      await t.get(`/start/flow?${FLOW}&sfreq=1`);
      await t.clock.advance(0);
      await t.clock.advance(1000);
      assert.equal(seen.length, 2, "two rounds, two events");
      assert.equal(thrown, 1, "the throwing listener was called once, then removed");
      assert.equal(t.agent.feed.dropped, 1);
      const [first] = seen;
      assert.ok(first !== undefined);
      assert.equal(first.kind, "flow");
      assert.deepEqual(first.tuple, { src: "10.1.1.1", dst: "10.1.7.1", proto: "udp", sport: 54676, dport: 9000 });
      const data = (await t.get(`/data/flow?${FLOW}`)).json();
      assert.deepEqual(JSON.parse(JSON.stringify(seen[1]?.path)), data);
      unsubscribe();
      await t.clock.advance(1000);
      assert.equal(seen.length, 2, "no events after unsubscribing");
      assert.equal(t.agent.feed.size, 0);
    } finally {
      await t.agent.close();
    }
  });
});
