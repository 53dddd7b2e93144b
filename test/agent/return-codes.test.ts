/**
 * Every return-code path of every resource (compute-agent-api.txt, the "Return Codes" of each resource page) and the
 * envelope: EOK, EAGAIN (pending modification, pending stop), EFAIL (parameters, no data yet, a full registry, a flow
 * source that fails, an ambiguous tunnel), E_UNAUTHORIZED, E_AoF, each with its HTTP status.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { httpStatusOf, RETURN_CODES } from "../../src/agent/return-codes.ts";
import { agentsClosedAfter } from "./fakes.ts";

const FLOW = "src=10.1.1.1&dst=10.1.7.1&proto=tcp&sport=4567&dport=9000";
const TUNNEL_ID = "src=10.1.1.1&dst=10.1.7.1&vnid=5&appsrc=10.1.2.3&appdst=10.1.2.5";
const TUNNEL = `${TUNNEL_ID}&sport=4567&appsmac=9c:8e:99:12:88:2e&appdmac=44:1e:a1:02:25:c0`;

const agent = agentsClosedAfter();

describe("return codes and envelope", () => {
  it("numeric values are the spec's: EOK 0, EAGAIN 1, EFAIL 2, E_UNAUTHORIZED 3, E_AoF 4", () => {
    assert.deepEqual(RETURN_CODES, { EOK: 0, EAGAIN: 1, EFAIL: 2, E_UNAUTHORIZED: 3, E_AoF: 4 });
    assert.deepEqual(
      (["EOK", "EAGAIN", "EFAIL", "E_UNAUTHORIZED", "E_AoF"] as const).map((c) => httpStatusOf(c)),
      [200, 409, 400, 403, 404],
    );
  });

  it("start/flow: EOK, a modification EOK, a second one before the next round EAGAIN (409, Retry-After)", async () => {
    const t = agent();
    const first = await t.get(`/start/flow?${FLOW}`);
    assert.equal(first.statusCode, 200);
    assert.match(first.headers["content-type"] as string, /^application\/json/);
    assert.deepEqual(first.json(), { rc: 0, code: "EOK" });
    await t.clock.advance(0);
    assert.deepEqual((await t.get(`/start/flow?${FLOW}&sfreq=3`)).json(), { rc: 0, code: "EOK" });
    const again = await t.get(`/start/flow?${FLOW}&sfreq=4`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.headers["retry-after"], "1");
    assert.deepEqual(again.json(), {
      rc: 1,
      code: "EAGAIN",
      message: "a modification of this flow is pending (applied at its next round)",
    });
    await t.clock.advance(1000);
    assert.equal((await t.get(`/start/flow?${FLOW}&sfreq=4`)).json().code, "EOK", "applied: a new one is accepted");
  });

  it("start/flow while a stop is pending: EAGAIN; once stopped a start creates the flow again", async () => {
    const t = agent();
    await t.get(`/start/flow?${FLOW}`);
    await t.clock.advance(0);
    let release = () => {};
    t.network.releaseGate = new Promise((resolve) => {
      release = resolve;
    });
    assert.equal((await t.get(`/stop/flow?${FLOW}`)).json().code, "EOK");
    const res = await t.get(`/start/flow?${FLOW}`);
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { rc: 1, code: "EAGAIN", message: "a stop is pending on this flow" });
    release();
    await t.clock.advance(0);
    assert.equal(t.network.released.length, 1);
    assert.equal((await t.get(`/start/flow?${FLOW}`)).json().code, "EOK");
  });

  it("stop/flow: E_AoF for no such flow, EOK, then E_AoF again; data/flow after stop E_AoF", async () => {
    const t = agent();
    const none = await t.get(`/stop/flow?${FLOW}`);
    assert.equal(none.statusCode, 404);
    assert.deepEqual(none.json(), { rc: 4, code: "E_AoF", message: "no such flow" });
    await t.get(`/start/flow?${FLOW}`);
    await t.clock.advance(0);
    assert.equal((await t.get(`/data/flow?${FLOW}`)).statusCode, 200);
    assert.deepEqual((await t.get(`/stop/flow?${FLOW}`)).json(), { rc: 0, code: "EOK" });
    assert.equal((await t.get(`/stop/flow?${FLOW}`)).json().code, "E_AoF");
    const data = await t.get(`/data/flow?${FLOW}`);
    assert.equal(data.statusCode, 404);
    assert.equal(data.json().code, "E_AoF");
    await t.clock.advance(5000);
    assert.equal(t.network.released.length, 1, "counters and mirrors released once");
  });

  it("data/flow before the first round: EFAIL (409, Retry-After sfreq); E_AoF for an unknown flow", async () => {
    const t = agent();
    assert.equal((await t.get(`/data/flow?${FLOW}`)).json().code, "E_AoF");
    await t.get(`/start/flow?${FLOW}&sfreq=3`);
    const res = await t.get(`/data/flow?${FLOW}`);
    assert.equal(res.statusCode, 409);
    assert.equal(res.headers["retry-after"], "3");
    assert.deepEqual(res.json(), {
      rc: 2,
      code: "EFAIL",
      message: "no data is present for this flow (the first round has not completed yet)",
    });
    await t.clock.advance(0);
    assert.equal((await t.get(`/data/flow?${FLOW}`)).statusCode, 200);
  });

  it("data/flow after a failing first round: EFAIL naming the failure", async () => {
    const t = agent();
    t.network.probe = async () => {
      throw new Error("helper process died");
    };
    await t.get(`/start/flow?${FLOW}`);
    await t.clock.advance(0);
    const res = await t.get(`/data/flow?${FLOW}`);
    assert.equal(res.json().code, "EFAIL");
    assert.match(res.json().message, /last round failed: helper process died/);
  });

  it("E_UNAUTHORIZED (403) for start, stop and data with another Originator", async () => {
    const t = agent();
    await t.get(`/start/flow?${FLOW}`, { originator: "alice" });
    for (const verb of ["start", "stop", "data"]) {
      for (const originator of ["bob", undefined]) {
        const res = await t.get(`/${verb}/flow?${FLOW}`, originator === undefined ? {} : { originator });
        assert.equal(res.statusCode, 403, `${verb} as ${originator}`);
        assert.equal(res.json().rc, 3);
        assert.equal(res.json().code, "E_UNAUTHORIZED");
      }
    }
  });

  it("a full registry: start/flow of a new flow is EFAIL (429); modifications still work", async () => {
    const t = agent({ limits: { "max-active-flows": 2 } });
    assert.equal((await t.get("/start/flow?src=10.0.0.1&dst=10.1.7.1")).json().code, "EOK");
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}`)).json().code, "EOK");
    const full = await t.get("/start/flow?src=10.0.0.2&dst=10.1.7.1");
    assert.equal(full.statusCode, 429);
    assert.equal(full.json().code, "EFAIL");
    assert.match(full.json().message, /at most 2 flows/);
    assert.equal((await t.get("/start/flow?src=10.0.0.1&dst=10.1.7.1&sfreq=2")).json().code, "EOK");
  });

  it("active/flow and active/tunnel: EOK with an empty list when nothing runs", async () => {
    const t = agent();
    assert.deepEqual((await t.get("/active/flow")).json(), { flows: [] });
    assert.deepEqual((await t.get("/active/tunnel")).json(), { flows: [] });
  });

  it("list/flow: EFAIL (503) when the flows cannot be read", async () => {
    const t = agent();
    t.flows.failure = new Error("cannot read /proc/net/tcp");
    const res = await t.get("/list/flow");
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), {
      rc: 2,
      code: "EFAIL",
      message: "failed to fetch the flows: cannot read /proc/net/tcp",
    });
  });

  it("tunnels: EOK, EAGAIN, E_AoF, E_UNAUTHORIZED; stop/data without sport select the only match", async () => {
    const t = agent();
    assert.equal((await t.get(`/stop/tunnel?${TUNNEL_ID}`)).json().code, "E_AoF");
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}`, { originator: "alice" })).json().code, "EOK");
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}&sfreq=2`, { originator: "alice" })).json().code, "EOK");
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}&sfreq=3`, { originator: "alice" })).json().code, "EAGAIN");
    assert.equal((await t.get(`/data/tunnel?${TUNNEL_ID}`, { originator: "alice" })).json().code, "EFAIL");
    assert.equal((await t.get(`/data/tunnel?${TUNNEL_ID}`, { originator: "bob" })).json().code, "E_UNAUTHORIZED");
    await t.clock.advance(0);
    assert.equal((await t.get(`/data/tunnel?${TUNNEL_ID}`, { originator: "alice" })).statusCode, 200);
    assert.equal((await t.get(`/data/tunnel?${TUNNEL_ID}&sport=9`, { originator: "alice" })).json().code, "E_AoF");
    assert.equal((await t.get(`/stop/tunnel?${TUNNEL_ID}`, { originator: "bob" })).json().code, "E_UNAUTHORIZED");
    assert.equal((await t.get(`/stop/tunnel?${TUNNEL_ID}`, { originator: "alice" })).json().code, "EOK");
    assert.equal((await t.get(`/data/tunnel?${TUNNEL_ID}`, { originator: "alice" })).json().code, "E_AoF");
  });

  it("tunnels: stop/data without sport when two tunnels differ only by sport is EFAIL naming sport", async () => {
    const t = agent();
    await t.get(`/start/tunnel?${TUNNEL}`);
    await t.get(`/start/tunnel?${TUNNEL.replace("sport=4567", "sport=4568")}`);
    const res = await t.get(`/data/tunnel?${TUNNEL_ID}`);
    assert.equal(res.statusCode, 400);
    assert.match(res.json().message, /^sport: 2 tunnels match/);
    assert.equal((await t.get(`/stop/tunnel?${TUNNEL_ID}&sport=4568`)).json().code, "EOK");
  });

  it("API calls are counted by resource and return code in /metrics", async () => {
    const t = agent();
    await t.get(`/start/flow?${FLOW}`);
    await t.get(`/start/flow?${FLOW}`);
    await t.get(`/start/flow?${FLOW}`);
    await t.get(`/data/flow?${FLOW}`);
    const text = await t.metrics.text();
    assert.match(text, /flowlens_agent_api_requests_total\{resource="start\/flow",code="EOK"\} 2/);
    assert.match(text, /flowlens_agent_api_requests_total\{resource="start\/flow",code="EAGAIN"\} 1/);
    assert.match(text, /flowlens_agent_api_requests_total\{resource="data\/flow",code="EFAIL"\} 1/);
    assert.match(text, /flowlens_agent_active_flows\{kind="flow"\} 1/);
  });
});
