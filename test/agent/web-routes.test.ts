/**
 * The dashboard's routes on the agent (src/agent/web-routes.ts): its files with their content types and caching
 * headers, the on-the-fly bundle from src/web when dist/web is missing, the 503 when it cannot be built, the live event
 * stream carrying a completed round, and the collector admin proxy against a fake admin server on loopback.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import Fastify from "fastify";
import { PathFeed } from "../../src/agent/path-feed.ts";
import { registerWebRoutes } from "../../src/agent/web-routes.ts";
import { testAgent } from "./fakes.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FLOW = "src=10.1.1.1&dst=10.1.7.1&proto=udp&sport=54676&dport=9000";

function fakePackage(files: Record<string, string> | null): string {
  const dir = mkdtempSync(join(tmpdir(), "flowlens-web-"));
  if (files !== null) {
    mkdirSync(join(dir, "dist/web"), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "dist/web", name), text);
  }
  return dir;
}

function webApp(root: string, extra: Partial<Parameters<typeof registerWebRoutes>[1]> = {}) {
  const app = Fastify();
  registerWebRoutes(app, { feed: new PathFeed(), root, ...extra });
  return app;
}

describe("dashboard files", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("serves index.html at / and the assets with their content types, an ETag and no-cache; 304 on a match", async () => {
    const root = fakePackage({ "index.html": "<!doctype html><p>hi", "app.js": "console.log(1)", "app.css": "p{}" });
    dirs.push(root);
    const app = webApp(root);
    const expected = {
      "/": ["text/html; charset=utf-8", "<!doctype html><p>hi"],
      "/index.html": ["text/html; charset=utf-8", "<!doctype html><p>hi"],
      "/app.js": ["text/javascript; charset=utf-8", "console.log(1)"],
      "/app.css": ["text/css; charset=utf-8", "p{}"],
    };
    for (const [url, [type, body]] of Object.entries(expected)) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers["content-type"], type, url);
      assert.equal(res.body, body, url);
      assert.equal(res.headers["cache-control"], "no-cache", url);
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      const etag = res.headers.etag as string;
      assert.match(etag, /^"[\w-]{27}"$/);
      const again = await app.inject({ url, headers: { "if-none-match": etag } });
      assert.equal(again.statusCode, 304, url);
      assert.equal(again.body, "");
    }
    const index = await app.inject({ url: "/" });
    assert.match(String(index.headers["content-security-policy"]), /default-src 'self'/);
    assert.equal((await app.inject({ url: "/other.js" })).statusCode, 404);
    await app.close();
  });

  it("bundles src/web in memory when dist/web is missing: local files only, uPlot's CSS included", async () => {
    const root = fakePackage(null);
    dirs.push(root);
    symlinkSync(join(ROOT, "src"), join(root, "src"));
    const app = webApp(root);
    const [html, js, css] = await Promise.all(["/", "/app.js", "/app.css"].map((url) => app.inject({ url })));
    assert.equal(html?.statusCode, 200);
    assert.match(html!.body, /<script type="module" src="app.js"><\/script>/);
    // Nothing from another origin: every src/href is relative.
    for (const m of html!.body.matchAll(/(?:src|href)="([^"]+)"/g)) assert.doesNotMatch(m[1]!, /^(?:[a-z]+:)?\/\//i);
    assert.equal(js?.statusCode, 200);
    assert.equal(js?.headers["content-type"], "text/javascript; charset=utf-8");
    assert.ok(js!.body.length > 100_000, "cytoscape and uPlot are bundled");
    assert.doesNotMatch(js!.body, /from\s*["'](?:cytoscape|uplot)["']/, "no bare imports left");
    assert.equal(css?.statusCode, 200);
    assert.match(css!.body, /\.uplot/, "uPlot's stylesheet is part of app.css");
    assert.match(css!.body, /focus-visible/);
    await app.close();
  });

  it("does not serve a dist/web older than src/web (as bin/flowlens.js judges dist/)", async () => {
    const root = fakePackage({ "index.html": "old build", "app.js": "", "app.css": "" });
    dirs.push(root);
    mkdirSync(join(root, "src/web"), { recursive: true });
    writeFileSync(join(root, "src/web/index.html"), "<!doctype html>");
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, "dist/web/index.html"), past, past);
    const stale = await webApp(root).inject({ url: "/" });
    // The fake sources have no main.ts: the rebuild fails, and the stale build is not served instead.
    assert.equal(stale.statusCode, 503);
    assert.match((stale.json() as { error: { message: string } }).error.message, /^building the dashboard failed: /);
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, "dist/web/index.html"), future, future);
    assert.equal((await webApp(root).inject({ url: "/" })).body, "old build");
  });

  it("answers 503 with one line when dist/web is missing and esbuild cannot be loaded", async () => {
    const root = fakePackage(null);
    dirs.push(root);
    symlinkSync(join(ROOT, "src"), join(root, "src"));
    let loads = 0;
    const app = webApp(root, {
      importEsbuild: () => {
        loads++;
        return Promise.reject(
          Object.assign(new Error("Cannot find package 'esbuild'"), { code: "ERR_MODULE_NOT_FOUND" }),
        );
      },
    });
    for (const url of ["/", "/app.js"]) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 503);
      const body = res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, "ERR_UI_UNAVAILABLE");
      assert.match(body.error.message, /not built .*esbuild is not installed.*npm run build/);
      assert.doesNotMatch(body.error.message, /\n/);
    }
    assert.equal(loads, 1, "the failure is remembered, not retried per request");
    await app.close();
  });

  it("is absent when dashboard.enabled is false", async () => {
    const t = testAgent({ dashboard: { enabled: false } });
    try {
      assert.equal((await t.get("/")).statusCode, 404);
      assert.equal((await t.get("/api/ui/collector/interfaces")).statusCode, 404);
    } finally {
      await t.agent.close();
    }
  });
});

describe("live events", () => {
  it("streams each completed round as an SSE `round` event, the Path data/flow returns; close ends the stream", async () => {
    const t = testAgent({ http: { host: "127.0.0.1", port: 0 } });
    const { url } = await t.agent.http.listen();
    // Filtered to one flow: the other flow's rounds must not come.
    const res = await fetch(`${url}/api/ui/events?kind=flow&src=10.1.1.1&sport=54676`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.match(res.headers.get("cache-control") ?? "", /no-cache/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) return false;
        text += decoder.decode(value, { stream: true });
      }
      return true;
    };
    try {
      assert.ok(await readUntil(/: flowlens agent path feed\n\n/));
      assert.equal(t.agent.feed.size, 1, "the stream subscribed to the feed");
      assert.equal((await t.get(`/start/flow?${FLOW.replace("54676", "1111")}&sfreq=1`)).statusCode, 200);
      assert.equal((await t.get(`/start/flow?${FLOW}&sfreq=1`)).statusCode, 200);
      await t.clock.advance(0);
      await t.clock.advance(1000);
      assert.ok(await readUntil(/event: round\ndata: .*\n\n/));
      const data = /event: round\ndata: (.*)\n\n/.exec(text)![1]!;
      const round = JSON.parse(data) as { kind: string; id: string; tuple: unknown; path: unknown };
      assert.equal(round.kind, "flow");
      assert.deepEqual(round.tuple, { src: "10.1.1.1", dst: "10.1.7.1", proto: "udp", sport: 54676, dport: 9000 });
      assert.equal(round.id, (round.path as { ID: string }).ID);
      assert.ok(await readUntil(/event: round[\s\S]*event: round\ndata: .*\n\n/), "the second round");
      const last = [...text.matchAll(/event: round\ndata: (.*)\n\n/g)].at(-1)![1]!;
      assert.deepEqual((JSON.parse(last) as { path: unknown }).path, (await t.get(`/data/flow?${FLOW}`)).json());
    } finally {
      await t.agent.close();
    }
    assert.equal(await readUntil(/never/), false, "the stream ended when the agent closed");
    assert.equal(t.agent.feed.size, 0, "and unsubscribed");
    const sports = [...text.matchAll(/event: round\ndata: (.*)\n\n/g)].map(
      (m) => (JSON.parse(m[1]!) as { tuple: { sport: number } }).tuple.sport,
    );
    assert.deepEqual(sports, [54676, 54676], "only the filtered flow's two rounds");
  });

  it("needs the bearer token when one is configured (the files do not)", async () => {
    process.env.FLOWLENS_WEB_TEST_TOKEN = "s3cret";
    const t = testAgent({ auth: { "token-env": "FLOWLENS_WEB_TEST_TOKEN" } });
    try {
      const refused = await t.get("/api/ui/events");
      assert.equal(refused.statusCode, 401);
      assert.equal((refused.json() as { error: { code: string } }).error.code, "ERR_UNAUTHORIZED");
      assert.match(String(refused.headers["www-authenticate"]), /^Bearer/);
      assert.equal((await t.get("/api/ui/collector/interfaces")).statusCode, 401);
      assert.notEqual((await t.get("/app.css")).statusCode, 401, "the files need no token");
      const notConfigured = await t.get("/api/ui/collector/interfaces", {
        headers: { authorization: "Bearer s3cret" },
      });
      assert.equal(notConfigured.statusCode, 404);
    } finally {
      delete process.env.FLOWLENS_WEB_TEST_TOKEN;
      await t.agent.close();
    }
  });
});

describe("collector proxy", () => {
  let server: Server;
  let adminUrl: string;
  const seen: string[] = [];
  const interfaces = { interfaces: [{ name: "cp-0/0/0", state: "Collecting flows", drops: { unknown: 7 } }] };

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? "");
      if (req.url === "/api/v1/interfaces") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(interfaces));
      } else if (req.url === "/api/v1/interfaces/cp-9%2F9%2F9/files") {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "ERR_UNKNOWN_INTERFACE", message: "no such interface: cp-9/9/9" } }));
      } else if (req.url === "/api/v1/interfaces/html") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html>");
      } else {
        res.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    adminUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("passes interfaces[/...] through to the admin API, status and body, names still encoded", async () => {
    const t = testAgent({ dashboard: { "collector-admin-url": `${adminUrl}/` } });
    try {
      const ok = await t.get("/api/ui/collector/interfaces");
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers["content-type"], "application/json; charset=utf-8");
      assert.deepEqual(ok.json(), interfaces);
      const missing = await t.get("/api/ui/collector/interfaces/cp-9%2F9%2F9/files");
      assert.equal(missing.statusCode, 404);
      assert.equal((missing.json() as { error: { code: string } }).error.code, "ERR_UNKNOWN_INTERFACE");
      assert.deepEqual(seen.slice(-2), ["/api/v1/interfaces", "/api/v1/interfaces/cp-9%2F9%2F9/files"]);
      const bad = await t.get("/api/ui/collector/interfaces/html");
      assert.equal(bad.statusCode, 502);
      assert.equal((bad.json() as { error: { code: string } }).error.code, "ERR_COLLECTOR_BAD_ANSWER");
      const before = seen.length;
      for (const path of ["metrics", "interfaces/../../metrics", "healthz"]) {
        assert.equal((await t.get(`/api/ui/collector/${path}`)).statusCode, 404, path);
      }
      assert.equal(seen.length, before, "paths outside interfaces[/...] never reach the admin API");
    } finally {
      await t.agent.close();
    }
  });

  it("answers 502 when the admin API is unreachable and 404 when none is configured", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const t = testAgent({ dashboard: { "collector-admin-url": `http://127.0.0.1:${port}` } });
    const none = testAgent();
    try {
      const res = await t.get("/api/ui/collector/interfaces");
      assert.equal(res.statusCode, 502);
      const body = res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, "ERR_COLLECTOR_UNREACHABLE");
      assert.match(body.error.message, /unreachable/);
      const missing = await none.get("/api/ui/collector/interfaces");
      assert.equal(missing.statusCode, 404);
      assert.equal((missing.json() as { error: { code: string } }).error.code, "ERR_COLLECTOR_NOT_CONFIGURED");
    } finally {
      await t.agent.close();
      await none.agent.close();
    }
  });
});
