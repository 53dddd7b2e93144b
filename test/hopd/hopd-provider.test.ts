/**
 * The HopdProvider client: against a real hopd (on loopback, fake system), and against a recording fake server for the
 * protocol details (router matching, mirror piggyback, release, cache), plus unreachable, slow and refusing routers.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { hopdConfigSchema } from "../../src/hopd/config.ts";
import { type RunningHopd, startHopd } from "../../src/hopd/hopd.ts";
import type { ProbeTarget } from "../../src/probe/transport.ts";
import { HopdConfigError, HopdProvider } from "../../src/telemetry/hopd-provider.ts";
import { BOND_TARGET, bondRouterSystem } from "./fake-router.ts";

const TOKEN = "tok-1";
const TARGET = BOND_TARGET as ProbeTarget;
// biome-ignore lint/suspicious/noExplicitAny: the recorded JSON bodies are walked dynamically by the assertions.
type Json = any;
const MIRROR = { type: "ERSPAN", direction: "ingress", analyzer: "10.9.9.9" };

describe("HopdProvider against hopd", () => {
  let hopd: RunningHopd;
  let url = "";
  before(async () => {
    const config = hopdConfigSchema.parse({ http: { host: "127.0.0.1", port: 0 }, auth: "none" });
    hopd = await startHopd({
      config,
      token: TOKEN,
      system: bondRouterSystem(),
      sender: () => Promise.reject(new Error("x")),
    });
    url = hopd.address!.url;
  });
  after(() => hopd.stop());

  test("a matching responder gets hopd's telemetry; others null", async () => {
    const p = new HopdProvider({ routers: [{ match: "10.40.0.0/24", url, token: TOKEN }], cacheMs: 0 });
    const t = await p.hop({ responder: "10.40.0.1", target: TARGET, bwIngress: true });
    assert.ok(t);
    assert.equal(t.ingress[0]?.name, "eno1");
    assert.equal(t.egress.chosen, "enp1s0f1", "the bond member the flow hashes to (layer3+4)");
    assert.equal(t.egress.l2Ecmp.length, 2);
    assert.equal(t.bandwidth?.counter, 0);
    assert.equal(t.timestampType, "NTP");
    assert.equal(await p.hop({ responder: "10.41.0.1", target: TARGET, bwIngress: false }), null);
    await p.release(TARGET);
    assert.deepEqual(
      (await hopd.server.app.inject({ url: "/v1/sessions", headers: { authorization: `Bearer ${TOKEN}` } })).json(),
      {
        counters: [],
        mirrors: [],
      },
    );
  });

  test("a wrong token is a request error carrying hopd's code", async () => {
    const p = new HopdProvider({ routers: [{ match: "10.40.0.1", url, token: "wrong" }] });
    await assert.rejects(p.hop({ responder: "10.40.0.1", target: TARGET, bwIngress: false }), {
      code: "ERR_TELEMETRY_HOPD_REQUEST",
      status: 401,
      hopdCode: "ERR_HOPD_UNAUTHORIZED",
    });
  });
});

describe("HopdProvider protocol", () => {
  let app: FastifyInstance;
  let url = "";
  const seen: { path: string; body: Json; auth: string | undefined }[] = [];
  const answer = {
    devName: "r1",
    devSerialId: "s1",
    cpuUtil: 1,
    memUtil: 2,
    timestampType: "LCPU",
    ingress: [],
    egress: { members: [], numBuckets: 0, l2Ecmp: [] },
    route: null,
  };
  before(async () => {
    app = Fastify();
    for (const path of ["/v1/hop", "/v1/mirror", "/v1/release"]) {
      app.post(path, async (request) => {
        seen.push({ path, body: request.body, auth: request.headers.authorization });
        return path === "/v1/hop" ? answer : {};
      });
    }
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
  });
  after(() => app.close());

  test("first match wins; bad matches are refused at construction", async () => {
    const p = new HopdProvider({
      routers: [
        { match: "10.1.1.1", url: "http://a:1", token: "a" },
        { match: "10.1.0.0/16", url: "http://b:1", token: "b" },
        { match: "0.0.0.0/0", url: "http://c:1", token: "c" },
      ],
    });
    assert.equal(p.routerFor("10.1.1.1")?.url, "http://a:1");
    assert.equal(p.routerFor("10.1.200.3")?.url, "http://b:1");
    assert.equal(p.routerFor("192.0.2.1")?.url, "http://c:1");
    assert.equal(p.routerFor("not an address"), undefined);
    assert.throws(() => new HopdProvider({ routers: [{ match: "10.1.1.0/33", url, token: "t" }] }), HopdConfigError);
    assert.throws(() => new HopdProvider({ routers: [{ match: "leaf1", url, token: "t" }] }), HopdConfigError);
  });

  test("hop sends responder, next responder and the token; answers are cached for cacheMs", async () => {
    seen.length = 0;
    const p = new HopdProvider({ routers: [{ match: "10.1.0.0/16", url, token: "t1" }], cacheMs: 60_000 });
    const q = { responder: "10.1.1.1", nextResponder: "10.0.0.1", target: TARGET, bwIngress: false };
    assert.equal((await p.hop(q))?.devName, "r1");
    await p.hop(q);
    assert.equal(seen.length, 1, "the second identical query is served from the cache");
    assert.equal(seen[0]?.auth, "Bearer t1");
    assert.deepEqual(seen[0]?.body, {
      target: TARGET,
      responder: "10.1.1.1",
      nextResponder: "10.0.0.1",
      bwIngress: false,
    });
    await p.hop({ ...q, bwIngress: true });
    assert.equal(seen.length, 2);
  });

  test("startMirror reaches the routers used so far and rides on later hop queries; release asks each once", async () => {
    seen.length = 0;
    const p = new HopdProvider({ routers: [{ match: "10.1.0.0/16", url, token: "t" }], cacheMs: 0 });
    await p.startMirror(TARGET, MIRROR);
    assert.equal(seen.length, 0, "no router used yet");
    await p.hop({ responder: "10.1.1.1", target: TARGET, bwIngress: false });
    assert.deepEqual(seen[0]?.body.mirror, MIRROR);
    await p.hop({ responder: "10.1.2.1", target: TARGET, bwIngress: false });
    await p.startMirror(TARGET, { ...MIRROR, direction: "both" });
    const mirrors = seen.filter((s) => s.path === "/v1/mirror");
    assert.deepEqual(
      mirrors.map((m) => [m.body.responder, m.body.mirror.direction]),
      [
        ["10.1.1.1", "both"],
        ["10.1.2.1", "both"],
      ],
    );
    await p.release(TARGET);
    assert.deepEqual(
      seen.filter((s) => s.path === "/v1/release").map((s) => s.body),
      [{ target: TARGET }],
      "one release per router",
    );
    seen.length = 0;
    await p.hop({ responder: "10.1.1.1", target: TARGET, bwIngress: false });
    assert.equal(seen[0]?.body.mirror, undefined, "released targets carry no mirror");
    await p.release({
      kind: "flow",
      flow: { src: "1.1.1.1", dst: "2.2.2.2", proto: "udp", sport: 1, dport: 2 },
      checksum: true,
    });
  });

  test("unreachable and slow routers are typed errors", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = new HopdProvider({ routers: [{ match: "10.1.1.1", url: `http://127.0.0.1:${port}`, token: "t" }] });
    await assert.rejects(refused.hop({ responder: "10.1.1.1", target: TARGET, bwIngress: false }), {
      code: "ERR_TELEMETRY_HOPD_UNREACHABLE",
      message: /ECONNREFUSED/,
    });
    const sockets = new Set<import("node:net").Socket>();
    const silent = createServer(() => {});
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const slowUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const slow = new HopdProvider({ routers: [{ match: "10.1.1.1", url: slowUrl, token: "t" }], timeoutMs: 200 });
    await assert.rejects(slow.hop({ responder: "10.1.1.1", target: TARGET, bwIngress: false }), {
      code: "ERR_TELEMETRY_HOPD_UNREACHABLE",
      message: /no answer within 200 ms/,
    });
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  test("answers that are not hop telemetry are request errors", async () => {
    const odd = Fastify();
    odd.post("/v1/hop", async () => ({ hello: "world" }));
    await odd.listen({ host: "127.0.0.1", port: 0 });
    const p = new HopdProvider({
      routers: [
        { match: "10.1.1.1", url: `http://127.0.0.1:${(odd.server.address() as AddressInfo).port}`, token: "t" },
      ],
    });
    await assert.rejects(p.hop({ responder: "10.1.1.1", target: TARGET, bwIngress: false }), {
      code: "ERR_TELEMETRY_HOPD_REQUEST",
    });
    await odd.close();
  });
});
