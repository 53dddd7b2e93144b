/**
 * The collector's admin API over a fake CollectorControl, in process (fastify inject) on the daemon's HTTP base:
 * every route, encoded and unencoded interface names, 404 for unknown interfaces, 400 for bad bodies, refusals as 200.
 */
import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { interfacePath } from "../../src/collector/admin/admin-api.ts";
import { registerAdminRoutes } from "../../src/collector/admin/admin-routes.ts";
import { createHttpServer, type HttpServer } from "../../src/runtime/http.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { FakeCollectorControl } from "../helpers/fake-collector-control.ts";

const servers: HttpServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

let control: FakeCollectorControl;
let server: HttpServer;
beforeEach(() => {
  control = new FakeCollectorControl();
  server = createHttpServer({ name: "collector", metrics: new Metrics({ defaultMetrics: false }) });
  registerAdminRoutes(server, control);
  servers.push(server);
});

const get = (url: string) => server.app.inject({ method: "GET", url });
const post = (url: string, payload?: object) =>
  server.app.inject({ method: "POST", url, ...(payload === undefined ? {} : { payload }) });

describe("admin API: status", () => {
  it("GET /api/v1/interfaces lists every interface's status", async () => {
    const res = await get("/api/v1/interfaces");
    assert.equal(res.statusCode, 200);
    assert.match(res.headers["content-type"] as string, /^application\/json/);
    const body = res.json();
    assert.deepEqual(
      body.interfaces.map((i: { name: string }) => i.name),
      ["cp-6/0/0", "cp-7/0/0"],
    );
    assert.deepEqual(body.interfaces[0], control.interfaces("cp-6/0/0")[0]);
  });

  it("GET one interface by encoded name, unencoded name or all", async () => {
    for (const url of [interfacePath("cp-6/0/0"), "/api/v1/interfaces/cp-6/0/0"]) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.deepEqual(res.json().interfaces, control.interfaces("cp-6/0/0"), url);
    }
    assert.equal((await get(interfacePath("all"))).json().interfaces.length, 2);
  });

  it("GET inputs, files and channels of one interface or all", async () => {
    const inputs = (await get(interfacePath("cp-6/0/0", "inputs"))).json();
    assert.deepEqual(inputs, {
      interfaces: [{ name: "cp-6/0/0", state: "Collecting flows", inputs: control.interfaces("cp-6/0/0")[0]!.inputs }],
    });
    const files = (await get("/api/v1/interfaces/all/files")).json();
    assert.deepEqual(
      files.interfaces.map((i: { name: string; files: unknown[] }) => [i.name, i.files.length]),
      [
        ["cp-6/0/0", 1],
        ["cp-7/0/0", 0],
      ],
    );
    assert.equal(files.interfaces[0].files[0].name, "cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz");
    const channels = (await get("/api/v1/interfaces/cp-6/0/0/channels")).json();
    assert.deepEqual(channels.interfaces[0].channels, control.channels("cp-6/0/0"));
  });

  it("answers 404 with a typed error for an unknown interface", async () => {
    for (const res of [
      await get(interfacePath("cp-9/9/9")),
      await get(interfacePath("cp-9/9/9", "files")),
      await get("/api/v1/interfaces/cp-9/9/9/inputs"),
      await post(interfacePath("cp-9/9/9", "clear-statistics")),
      await post(interfacePath("cp-9/9/9", "change-destination"), { server: "primary" }),
    ]) {
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), {
        error: { code: "ERR_UNKNOWN_INTERFACE", message: "no such flow collector interface: cp-9/9/9" },
      });
    }
    assert.equal(control.calls.length, 0, "nothing was done");
  });
});

describe("admin API: requests", () => {
  it("clear-statistics of one interface answers its state and the Junos message", async () => {
    const res = await post(interfacePath("cp-6/0/0", "clear-statistics"));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      results: [
        {
          interface: "cp-6/0/0",
          state: "Collecting flows",
          message: "Statistics cleared successfully",
          refused: false,
        },
      ],
    });
    assert.deepEqual(control.calls, [{ method: "clearStatistics", interfaceName: "cp-6/0/0" }]);
    assert.equal(control.interfaces("cp-6/0/0")[0]!.input.packets.total, 0);
  });

  it("clear-statistics of all answers one result per interface", async () => {
    const res = await post("/api/v1/interfaces/all/clear-statistics");
    assert.deepEqual(
      res.json().results.map((r: { interface: string }) => r.interface),
      ["cp-6/0/0", "cp-7/0/0"],
    );
    assert.deepEqual(control.calls, [{ method: "clearStatistics", interfaceName: "all" }]);
  });

  it("change-destination passes the options and answers the spec's messages", async () => {
    let res = await post(interfacePath("cp-6/0/0", "change-destination"), {
      server: "primary",
      immediately: true,
      clearLogs: true,
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().results, [
      { interface: "cp-6/0/0", state: "Collecting flows", message: "Destination change successful", refused: false },
    ]);
    assert.deepEqual(control.calls[0], {
      method: "changeDestination",
      interfaceName: "cp-6/0/0",
      role: "primary",
      options: { immediately: true, clearFiles: false, clearLogs: true },
    });
    res = await post("/api/v1/interfaces/cp-6/0/0/change-destination", { server: "primary" });
    assert.equal(res.statusCode, 200, "a refusal is an answer, not an error");
    assert.deepEqual(res.json().results[0], {
      interface: "cp-6/0/0",
      state: "Collecting flows",
      message: "Destination change not needed",
      refused: true,
    });
    res = await post(interfacePath("cp-7/0/0", "change-destination"), { server: "secondary" });
    assert.equal(res.json().results[0].message, "Destination not configured");
  });

  it("test-file-transfer schedules the file on the channel and server", async () => {
    const res = await post(interfacePath("cp-6/0/0", "test-file-transfer"), {
      file: "test_file",
      channel: 1,
      server: "primary",
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().results[0].message, "Test file transfer successfully scheduled");
    assert.deepEqual(control.calls, [
      { method: "testFileTransfer", interfaceName: "cp-6/0/0", fileName: "test_file", channel: 1, role: "primary" },
    ]);
  });

  it("answers 400 for bad parameters, naming the field", async () => {
    const cases: [string, object | undefined, RegExp][] = [
      [interfacePath("cp-6/0/0", "change-destination"), { server: "tertiary" }, /^server: /],
      [interfacePath("cp-6/0/0", "change-destination"), {}, /^server: /],
      [interfacePath("cp-6/0/0", "change-destination"), { server: "primary", now: true }, /now/],
      [interfacePath("cp-6/0/0", "change-destination"), { server: "primary", immediately: "yes" }, /^immediately: /],
      [interfacePath("cp-6/0/0", "test-file-transfer"), { file: "x", channel: 2, server: "primary" }, /^channel: /],
      [interfacePath("cp-6/0/0", "test-file-transfer"), { file: 5, channel: 0, server: "primary" }, /^file: /],
      [interfacePath("all", "change-destination"), { server: "primary" }, /takes one interface/],
    ];
    for (const [url, payload, message] of cases) {
      const res = await post(url, payload);
      assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}`);
      assert.equal(res.json().error.code, "ERR_BAD_PARAMETER");
      assert.match(res.json().error.message, message);
    }
    assert.equal(control.calls.length, 0);
  });

  it("answers 404 for an unknown action and leaves the base routes alone", async () => {
    assert.equal((await post("/api/v1/interfaces/cp-6/0/0/reboot")).statusCode, 404);
    assert.equal((await get("/healthz")).statusCode, 200);
  });
});
