/**
 * `GET /api/v1/traces` (src/agent/traces-route.ts, a flowlens extension): every trace of every Originator, whoever asks
 * (active/* stays per requester), with its tuple, owner, parameters (current and pending), state and last round; behind
 * the bearer token when one is configured; counted in `flowlens_agent_api_requests_total`.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { TraceInfo } from "../../src/agent/traces-route.ts";
import { type TestAgent, testAgent } from "./fakes.ts";
import { SPEC_OVERLAY_TUNNEL } from "./spec-examples.ts";

const flow = (sport: number) => `src=10.1.1.1&dst=10.1.7.1&proto=tcp&dport=9000&sport=${sport}`;
const TUNNEL =
  "src=10.10.11.11&dst=192.168.5.11&sport=53812&vnid=200&appsrc=10.0.0.2&appdst=10.0.0.3" +
  "&appsmac=52:54:00:b8:9b:2e&appdmac=52:54:00:6e:cc:dc&dport=9000";

const traces = async (t: TestAgent, options?: Parameters<TestAgent["get"]>[1]): Promise<TraceInfo[]> => {
  const r = await t.get("/api/v1/traces", options);
  assert.equal(r.statusCode, 200, r.body);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  return (r.json() as { traces: TraceInfo[] }).traces;
};

describe("GET /api/v1/traces", () => {
  const t = testAgent();
  after(() => t.agent.close());
  const alice = { originator: "alice", address: "192.0.2.10" };
  const bob = { originator: "bob", address: "192.0.2.20" };
  const anonymous = { address: "192.0.2.30" };

  it("is empty before any trace", async () => {
    assert.deepEqual(await traces(t), []);
  });

  it("lists every originator's traces to every requester, while active/* stays per requester", async () => {
    const mirror = "&mirror_type=ERSPAN&mirror_dir=ingress&mirror_analyzer=10.2.1.1";
    const started = `/start/flow?${flow(59010)}&sfreq=2.5&nhops=16&ntry=2&timeout=500&bw_ingress=true${mirror}`;
    assert.equal((await t.get(started, alice)).json().code, "EOK");
    assert.equal((await t.get(`/start/flow?${flow(4567)}`, anonymous)).json().code, "EOK");
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}&chksum=false`, bob)).json().code, "EOK");
    assert.equal((await t.get("/active/flow", bob)).json().flows.length, 0, "active/flow: bob has no flow");

    const seen = [await traces(t, alice), await traces(t, bob), await traces(t, { originator: "carol" })];
    for (const list of seen) {
      assert.deepEqual(
        list.map((x) => [x.kind, x.originator, x.address]),
        [
          ["flow", "alice", "192.0.2.10"],
          ["flow", null, "192.0.2.30"],
          ["tunnel", "bob", "192.0.2.20"],
        ],
      );
    }
    assert.deepEqual(seen[0], seen[1]);
  });

  it("gives each trace's identity, parameters and state before its first round", async () => {
    const [a, anon, tunnel] = await traces(t);
    const createdAt = t.clock.now() / 1000;
    assert.deepEqual(a, {
      kind: "flow",
      id: "('10.1.1.1', '10.1.7.1', 6, 59010, 9000)",
      key: a!.key,
      tuple: { src: "10.1.1.1", dst: "10.1.7.1", proto: "tcp", sport: 59010, dport: 9000 },
      originator: "alice",
      address: "192.0.2.10",
      params: {
        sfreq: 2.5,
        nhops: 16,
        ntry: 2,
        timeout: 500,
        chksum: true,
        bw_ingress: true,
        mirror: { type: "erspan", dir: "ingress", analyzer: "10.2.1.1" },
      },
      pendingParams: null,
      state: "active",
      createdAt,
      lastRoundAt: null,
      lastError: null,
      destinationReached: null,
      hops: null,
    });
    assert.equal(typeof a!.key, "string");
    assert.deepEqual(anon!.params, {
      sfreq: 1,
      nhops: 255,
      ntry: 1,
      timeout: 30_000,
      chksum: true,
      bw_ingress: false,
      mirror: null,
    });
    assert.equal(tunnel!.id, "('10.10.11.11', '192.168.5.11', 200, '10.0.0.2', '10.0.0.3')");
    assert.deepEqual(tunnel!.tuple, { ...SPEC_OVERLAY_TUNNEL, dport: 9000 });
    assert.equal(tunnel!.params.chksum, false);
  });

  it("reports the last round (time, destination, hops), pending changes and stopping traces", async () => {
    await t.clock.advance(0);
    const data = (await t.get(`/data/flow?${flow(4567)}`, anonymous)).json() as {
      Time: number;
      Path: unknown[];
      DestinationReached: boolean;
    };
    const anon = (await traces(t)).find((x) => x.originator === null)!;
    assert.equal(anon.lastRoundAt, data.Time);
    assert.equal(anon.destinationReached, data.DestinationReached);
    assert.equal(anon.destinationReached, true);
    assert.equal(anon.hops, data.Path.length);
    assert.equal(anon.hops, 3, "the three routers of the fake network");

    assert.equal((await t.get(`/start/flow?${flow(4567)}&nhops=8`, anonymous)).json().code, "EOK");
    const modified = (await traces(t)).find((x) => x.originator === null)!;
    assert.equal(modified.params.nhops, 255);
    assert.equal(modified.pendingParams?.nhops, 8);

    let release = () => {};
    t.network.releaseGate = new Promise<void>((resolve) => {
      release = resolve;
    }); // the stop waits for the telemetry release: the trace stays, stopping
    assert.equal((await t.get(`/stop/flow?${flow(59010)}`, alice)).json().code, "EOK");
    await t.clock.advance(0);
    assert.equal((await traces(t)).find((x) => x.originator === "alice")?.state, "stopping");
    release();
    await t.clock.advance(0);
    assert.deepEqual(
      (await traces(t)).map((x) => x.originator),
      [null, "bob"],
      "gone once released",
    );
  });

  it("counts its requests", async () => {
    const text = await t.metrics.text();
    assert.match(text, /flowlens_agent_api_requests_total\{resource="api\/v1\/traces",code="EOK"\} [1-9]\d*/);
  });
});

describe("GET /api/v1/traces with a bearer token configured", () => {
  it("refuses a request without the token or with a wrong one, and answers with it", async () => {
    process.env.FLOWLENS_TRACES_TEST_TOKEN = "s3cret";
    const t = testAgent({ auth: { "token-env": "FLOWLENS_TRACES_TEST_TOKEN" } });
    try {
      const bearer = { authorization: "Bearer s3cret" };
      assert.equal((await t.get(`/start/flow?${flow(1)}`, { originator: "x", headers: bearer })).json().code, "EOK");
      const wrong: Record<string, string>[] = [
        {},
        { authorization: "Bearer nope" },
        { authorization: "Basic czNjcmV0" },
      ];
      for (const headers of wrong) {
        const refused = await t.get("/api/v1/traces", { headers });
        assert.equal(refused.statusCode, 401);
        assert.equal(refused.json().code, "E_UNAUTHORIZED");
        assert.match(String(refused.headers["www-authenticate"]), /^Bearer/);
        assert.doesNotMatch(refused.body, /10\.1\.1\.1/, "nothing listed");
      }
      const ok = await t.get("/api/v1/traces", { headers: bearer });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(
        ok.json().traces.map((x: TraceInfo) => [x.originator, x.tuple.sport]),
        [["x", 1]],
      );
      const text = await t.metrics.text();
      assert.match(text, /resource="api\/v1\/traces",code="E_UNAUTHORIZED"\} 3/);
    } finally {
      delete process.env.FLOWLENS_TRACES_TEST_TOKEN;
      await t.agent.close();
    }
  });
});
