/**
 * The Originator header (compute-agent-api.txt, "Compute Agent API Resources Overview"): a flow or tunnel started with
 * it belongs to that Originator, and every later request about it must carry the same value; active/* lists the
 * requester's own traces (by Originator, or by client address when the request has none); a trace started without
 * Originator may be read or stopped by anyone.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type TestAgent, testAgent } from "./fakes.ts";

const flow = (sport: number) => `src=10.1.1.1&dst=10.1.7.1&proto=tcp&dport=9000&sport=${sport}`;
const tunnel = (vnid: number) =>
  `src=10.10.11.11&dst=192.168.5.11&sport=53812&vnid=${vnid}&appsrc=10.0.0.2&appdst=10.0.0.3` +
  "&appsmac=52:54:00:b8:9b:2e&appdmac=52:54:00:6e:cc:dc";

describe("Originator isolation across two clients", () => {
  let t: TestAgent;
  after(() => t.agent.close());

  it("each client sees and controls only its own flows and tunnels", async () => {
    t = testAgent();
    const alice = { originator: "alice", address: "192.0.2.10" };
    const bob = { originator: "bob", address: "192.0.2.20" };
    for (const sport of [59010, 59011, 59012])
      assert.equal((await t.get(`/start/flow?${flow(sport)}`, alice)).json().code, "EOK");
    assert.equal((await t.get(`/start/flow?${flow(4567)}`, bob)).json().code, "EOK");
    assert.equal((await t.get(`/start/tunnel?${tunnel(200)}`, alice)).json().code, "EOK");
    assert.equal((await t.get(`/start/tunnel?${tunnel(300)}`, bob)).json().code, "EOK");
    await t.clock.advance(0);

    assert.deepEqual((await t.get("/active/flow", alice)).json(), {
      flows: [
        ["10.1.7.1", "10.1.1.1", "tcp", 59010, 9000],
        ["10.1.7.1", "10.1.1.1", "tcp", 59011, 9000],
        ["10.1.7.1", "10.1.1.1", "tcp", 59012, 9000],
      ],
    });
    assert.deepEqual((await t.get("/active/flow", bob)).json(), {
      flows: [["10.1.7.1", "10.1.1.1", "tcp", 4567, 9000]],
    });
    assert.deepEqual((await t.get("/active/tunnel", alice)).json(), {
      flows: [["10.10.11.11", "192.168.5.11", "10.0.0.3", "10.0.0.2", 200, 53812]],
    });
    assert.deepEqual((await t.get("/active/tunnel", bob)).json().flows[0][4], 300);
    assert.deepEqual((await t.get("/active/flow", { originator: "carol" })).json(), { flows: [] });

    for (const verb of ["start", "data", "stop"]) {
      assert.equal((await t.get(`/${verb}/flow?${flow(59010)}`, bob)).json().code, "E_UNAUTHORIZED", verb);
      assert.equal((await t.get(`/${verb}/flow?${flow(4567)}`, alice)).json().code, "E_UNAUTHORIZED", verb);
    }
    const tunnelId = tunnel(300).replace(/&appsmac.*$/, "");
    assert.equal((await t.get(`/data/tunnel?${tunnelId}`, alice)).json().code, "E_UNAUTHORIZED");
    assert.equal((await t.get(`/data/tunnel?${tunnelId}`, bob)).statusCode, 200);

    assert.equal((await t.get(`/data/flow?${flow(59010)}`, alice)).statusCode, 200);
    assert.equal((await t.get(`/stop/flow?${flow(59010)}`, alice)).json().code, "EOK");
    assert.equal((await t.get("/active/flow", alice)).json().flows.length, 2);
    assert.equal((await t.get("/active/flow", bob)).json().flows.length, 1, "bob's flows untouched");
  });

  it("without Originator: active/* lists by client address; anyone may act on such a trace", async () => {
    const u = testAgent();
    try {
      await u.get(`/start/flow?${flow(1000)}`, { address: "192.0.2.1" });
      await u.get(`/start/flow?${flow(2000)}`, { address: "192.0.2.2" });
      await u.get(`/start/flow?${flow(3000)}`, { address: "192.0.2.1", originator: "svc" });
      await u.clock.advance(0);
      const mine = (await u.get("/active/flow", { address: "192.0.2.1" })).json().flows;
      assert.deepEqual(
        mine.map((f: unknown[]) => f[3]),
        [1000],
      );
      assert.deepEqual(
        (await u.get("/active/flow", { address: "192.0.2.1", originator: "svc" })).json().flows.length,
        1,
      );
      assert.equal((await u.get(`/data/flow?${flow(1000)}`, { address: "192.0.2.2" })).statusCode, 200);
      assert.equal((await u.get(`/data/flow?${flow(1000)}`, { originator: "x" })).statusCode, 200);
      assert.equal((await u.get(`/stop/flow?${flow(2000)}`, { address: "192.0.2.1" })).json().code, "EOK");
    } finally {
      await u.agent.close();
    }
  });

  it("an empty or blank Originator counts as none", async () => {
    const u = testAgent();
    try {
      await u.get(`/start/flow?${flow(1000)}`, { originator: "  " });
      assert.equal((await u.get("/active/flow")).json().flows.length, 1);
      assert.equal((await u.get(`/stop/flow?${flow(1000)}`, { originator: "someone" })).json().code, "EOK");
    } finally {
      await u.agent.close();
    }
  });
});
