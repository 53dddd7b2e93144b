/**
 * hopd's HTTP API in process (fastify inject) on a fake system: the bearer token, the device and interface answers, a
 * flow's hop telemetry with LAGs and its counter, release, bad requests, and stale-state clearing at start.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hopdConfigSchema } from "../../src/hopd/config.ts";
import { type RunningHopd, createHopd } from "../../src/hopd/hopd.ts";
import { bondRouterSystem as router } from "./fake-router.ts";

const TOKEN = "s3cret-token";
const TARGET = {
  kind: "flow",
  flow: { src: "10.40.0.7", dst: "10.20.5.9", proto: "tcp", sport: 5000, dport: 443 },
  checksum: true,
};

describe("hopd API", () => {
  const sys = router();
  let hopd: RunningHopd;
  const get = (url: string, token: string | null = TOKEN) =>
    hopd.server.app.inject({ method: "GET", url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const post = (url: string, payload: unknown, token: string | null = TOKEN) =>
    hopd.server.app.inject({
      method: "POST",
      url,
      payload: payload as object,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  before(async () => {
    const config = hopdConfigSchema.parse({ http: { host: "127.0.0.1", port: 0 }, auth: "none" });
    hopd = createHopd({ config, token: TOKEN, system: sys, sender: () => Promise.reject(new Error("no sender")) });
    await hopd.service.start();
    await hopd.server.app.ready();
  });
  after(async () => {
    await hopd.stop();
  });

  test("start cleared hopd's table: delete then create, in one nft batch", () => {
    const first = sys.calls.find((c) => c.program === "nft");
    assert.match(
      first?.input ?? "",
      /^table inet flowlens_hopd\ndelete table inet flowlens_hopd\ntable inet flowlens_hopd \{/,
    );
  });

  test("the token is required on /v1/ only", async () => {
    const none = await get("/v1/device", null);
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers["www-authenticate"], "Bearer");
    assert.equal(none.json().error.code, "ERR_HOPD_UNAUTHORIZED");
    assert.equal((await get("/v1/device", "nope")).statusCode, 401);
    assert.equal((await get("/healthz", null)).statusCode, 200);
    assert.equal((await get("/readyz", null)).statusCode, 200);
    assert.match((await get("/metrics", null)).body, /flowlens_hopd_requests_total\{[^}]*status="401"/);
  });

  test("device and interfaces", async () => {
    const d = (await get("/v1/device")).json();
    assert.equal(d.devName, "router-host");
    assert.equal(d.devSerialId, "abc123");
    assert.equal(d.timestampType, "NTP");
    assert.ok(d.cpuUtil > 0 && d.cpuUtil < 100);
    const i = (await get("/v1/interfaces")).json();
    assert.equal(i.interfaces.length, 9);
    const eno1 = i.interfaces.find((x: { name: string }) => x.name === "eno1");
    assert.equal(eno1.counters.rxUcPkts, 9);
    assert.equal(eno1.counters.txBytes, 2000);
  });

  test("hop: ingress from the responder, egress group with LAGs, the flow counter", async () => {
    const r = await post("/v1/hop", { target: TARGET, responder: "10.40.0.1", bwIngress: true });
    assert.equal(r.statusCode, 200, r.body);
    const h = r.json();
    assert.equal(h.ingress[0].name, "eno1");
    assert.equal(h.egress.chosen, "enp1s0f1", "the bond member the flow hashes to (layer3+4)");
    assert.deepEqual(h.route, { dev: "bond0", gateway: "10.30.0.1" });
    assert.deepEqual(
      h.egress.l2Ecmp.map((l: { aeName: string; numBuckets: number }) => [l.aeName, l.numBuckets]),
      [
        ["bond0", 2],
        ["bond1", 1],
      ],
    );
    assert.deepEqual(h.bandwidth.counter, 0);
    const again = (await post("/v1/hop", { target: TARGET, responder: "10.40.0.1", bwIngress: true })).json();
    assert.equal(again.bandwidth.counter, 5);
    assert.equal(again.bandwidth.id, h.bandwidth.id);
    const s = (await get("/v1/sessions")).json();
    assert.deepEqual(s.counters, ["tcp:10.40.0.7:5000>10.20.5.9:443"]);
    const rel = await post("/v1/release", { target: TARGET });
    assert.equal(rel.statusCode, 200);
    assert.deepEqual((await get("/v1/sessions")).json(), { counters: [], mirrors: [] });
  });

  test("a tunnel is looked up and counted by its outer tuple (UDP to 4789)", async () => {
    const tunnel = {
      kind: "tunnel",
      tunnel: {
        src: "10.40.0.7",
        dst: "10.20.5.9",
        sport: 4000,
        vnid: 100,
        appsrc: "10.2.0.1",
        appdst: "10.2.0.2",
        appsmac: "02:00:00:00:00:01",
        appdmac: "02:00:00:00:00:02",
      },
    };
    const r = await post("/v1/hop", { target: tunnel, responder: "10.40.0.1", bwIngress: true });
    assert.equal(r.statusCode, 200, r.body);
    const lookup = sys.calls.find((c) => c.args.includes("route") && c.args.includes("4789"));
    assert.deepEqual(lookup?.args.slice(-6), ["ipproto", "udp", "sport", "4000", "dport", "4789"]);
    const install = sys.calls.find((c) => c.input?.includes("udp dport 4789"));
    assert.match(install?.input ?? "", /ip saddr 10\.40\.0\.7 ip daddr 10\.20\.5\.9 udp sport 4000 udp dport 4789/);
    assert.equal(
      (await post("/v1/release", { target: tunnel })).json().released,
      "udp:10.40.0.7:4000>10.20.5.9:4789:vni100",
    );
  });

  test("bad requests are 400 with one line; unknown responders 404; bad mirrors 422", async () => {
    const bad = await post("/v1/hop", { target: { kind: "flow", flow: { src: "x" } }, responder: "10.40.0.1" });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, "ERR_HOPD_BAD_REQUEST");
    assert.doesNotMatch(bad.json().error.message, /\n/);
    const extra = await post("/v1/hop", { target: TARGET, responder: "10.40.0.1", surprise: 1 });
    assert.equal(extra.statusCode, 400);
    const unknown = await post("/v1/hop", { target: TARGET, responder: "192.0.2.1" });
    assert.equal(unknown.statusCode, 404);
    const mirror = await post("/v1/mirror", {
      target: TARGET,
      responder: "10.40.0.1",
      mirror: { type: "RSPAN", direction: "ingress", analyzer: "10.9.9.9" },
    });
    assert.equal(mirror.statusCode, 422);
    assert.equal(mirror.json().error.code, "ERR_HOPD_MIRROR");
    const noSender = await post("/v1/mirror", {
      target: TARGET,
      responder: "10.40.0.1",
      mirror: { type: "ERSPAN", direction: "ingress", analyzer: "10.9.9.9" },
    });
    assert.equal(noSender.statusCode, 500);
    const piggyback = await post("/v1/hop", {
      target: TARGET,
      responder: "10.40.0.1",
      mirror: { type: "ERSPAN", direction: "ingress", analyzer: "10.9.9.9" },
    });
    assert.equal(piggyback.statusCode, 200, "a mirror that cannot start does not cost the hop its telemetry");
    assert.equal(piggyback.json().mirrorError.code, "ERR_HOPD_MIRROR");
    assert.equal(piggyback.json().egress.chosen, "enp1s0f1", "the bond member the flow hashes to (layer3+4)");
    const notJson = await hopd.server.app.inject({
      method: "POST",
      url: "/v1/hop",
      payload: "{",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    });
    assert.equal(notJson.statusCode, 400);
  });
});
