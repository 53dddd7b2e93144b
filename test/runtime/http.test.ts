import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createHttpServer, type HttpServer } from "../../src/runtime/http.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { packageVersion } from "../../src/runtime/version-info.ts";

const servers: HttpServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function server(extra: Partial<Parameters<typeof createHttpServer>[0]> = {}): HttpServer {
  const s = createHttpServer({ name: "collector", metrics: new Metrics(), ...extra });
  servers.push(s);
  return s;
}

describe("createHttpServer", () => {
  it("/healthz answers 200", async () => {
    const res = await server().app.inject({ method: "GET", url: "/healthz" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: "ok" });
  });

  it("/readyz flips between 200 and 503 with the failing checks", async () => {
    const s = server({ checkTimeoutMs: 50 });
    assert.equal((await s.app.inject({ url: "/readyz" })).statusCode, 200, "no checks: ready");
    let open = false;
    s.addReadinessCheck("receiver", () => ({ ready: open, ...(open ? {} : { detail: "socket not bound" }) }));
    const removeFtp = s.addReadinessCheck("ftp", async () => true);
    let res = await s.app.inject({ url: "/readyz" });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), {
      status: "not ready",
      checks: [
        { name: "receiver", ready: false, detail: "socket not bound" },
        { name: "ftp", ready: true },
      ],
      failing: ["receiver"],
    });
    open = true;
    res = await s.app.inject({ url: "/readyz" });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, "ready");
    s.addReadinessCheck("throws", () => {
      throw new Error("disk full");
    });
    s.addReadinessCheck("hangs", () => new Promise<boolean>(() => {}));
    removeFtp();
    res = await s.app.inject({ url: "/readyz" });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json().failing, ["throws", "hangs"]);
    assert.deepEqual(
      res.json().checks.map((c: { name: string; detail?: string }) => [c.name, c.detail]),
      [
        ["receiver", undefined],
        ["throws", "disk full"],
        ["hangs", "check did not answer within 50 ms"],
      ],
    );
    assert.throws(() => s.addReadinessCheck("receiver", () => true), TypeError);
  });

  it("/version reports name, package version, node version and commit", async () => {
    const res = await server().app.inject({ url: "/version" });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.name, "collector");
    assert.equal(body.version, packageVersion());
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.equal(body.node, process.version);
    assert.ok(body.commit === null || /^[0-9a-f]{7,64}$/.test(body.commit), String(body.commit));
    const fixed = server({ version: { name: "x", version: "1.2.3", node: "v0", commit: "abc1234" } });
    assert.deepEqual((await fixed.app.inject({ url: "/version" })).json(), {
      name: "x",
      version: "1.2.3",
      node: "v0",
      commit: "abc1234",
    });
  });

  it("/metrics serves the Prometheus text of the process registry", async () => {
    const metrics = new Metrics();
    metrics.counter("datagrams_received_total", "Datagrams received").inc(2);
    const s = server({ metrics });
    const res = await s.app.inject({ url: "/metrics" });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^flowlens_datagrams_received_total 2$/m);
    assert.match(res.body, /^flowlens_process_resident_memory_bytes /m);
  });

  it("answers errors as JSON without stack traces", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
    const s = server({ logger });
    s.app.get("/boom", async () => {
      throw new Error("secret internal detail at /srv/x");
    });
    s.app.get("/typed", async () => {
      throw Object.assign(new Error("upload queue is full"), { code: "ERR_QUEUE_FULL", statusCode: 503 });
    });
    s.app.get("/bad", { schema: { querystring: { type: "object", required: ["n"] } } }, async () => "ok");

    const missing = await s.app.inject({ url: "/nope" });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: "ERR_NOT_FOUND", message: "no route for GET /nope" } });

    const boom = await s.app.inject({ url: "/boom" });
    assert.equal(boom.statusCode, 500);
    assert.deepEqual(boom.json(), { error: { code: "ERR_INTERNAL", message: "internal server error" } });
    const failure = lines.find((l) => l.msg === "request failed");
    assert.equal(failure?.component, "http");
    assert.ok(!JSON.stringify(lines).includes("    at "), "no stack in logs");

    const typed = await s.app.inject({ url: "/typed" });
    assert.equal(typed.statusCode, 503);
    assert.deepEqual(typed.json(), { error: { code: "ERR_QUEUE_FULL", message: "upload queue is full" } });

    const bad = await s.app.inject({ url: "/bad" });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, "FST_ERR_VALIDATION");
    for (const res of [missing, boom, typed, bad]) assert.ok(!res.body.includes("stack"), res.body);
  });

  it("listens on port 0 and reports the actual address", async () => {
    const s = server({ host: "127.0.0.1", port: 0 });
    const address = await s.listen();
    assert.equal(address.host, "127.0.0.1");
    assert.ok(address.port > 0);
    assert.equal(address.url, `http://127.0.0.1:${address.port}`);
    const res = await fetch(`${address.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });
});
