/**
 * Every example request URL of the spec, extracted from its text, works verbatim against the agent (compute-agent-api
 * .txt, "Compute Agent Flow Data Resource Usage Example" and every other example): start/* answer EOK, data/* the Path
 * with the ID the spec shows (tunnels: the Table 16 order), list/flow and active/* their bodies, stop/* EOK and the
 * trace is gone afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requirement } from "../helpers/requirements.ts";
import { testAgent, type TestAgent } from "./fakes.ts";
import { exampleIds, exampleRequests, HAVE_SPEC } from "./spec-text.ts";

const skip = requirement(HAVE_SPEC, "../shared/spec/compute-agent-api.txt not present");

describe("the spec's example URLs", { skip }, () => {
  let t: TestAgent;
  let urls: string[];
  before(() => {
    t = testAgent();
    urls = exampleRequests();
  });
  after(() => t.agent.close());

  it("finds every example request in the spec (all nine resources)", () => {
    assert.ok(urls.length >= 20, `${urls.length} URLs`);
    const resources = new Set(urls.map((u) => u.split("?", 1)[0]));
    assert.deepEqual([...resources].sort(), [
      "/active/flow",
      "/active/tunnel",
      "/data/flow",
      "/data/tunnel",
      "/list/flow",
      "/start/flow",
      "/start/tunnel",
      "/stop/flow",
      "/stop/tunnel",
    ]);
  });

  it("start/* examples answer EOK (the second start of the same flow is a modification)", async () => {
    for (const url of urls.filter((u) => u.startsWith("/start/"))) {
      const res = await t.get(url);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.deepEqual(res.json(), { rc: 0, code: "EOK" }, url);
      await t.clock.advance(1000);
    }
  });

  it("data/* examples answer the Path, with the ID strings of the spec's flow examples", async () => {
    await t.clock.advance(1000);
    const ids: string[] = [];
    for (const url of urls.filter((u) => u.startsWith("/data/"))) {
      const res = await t.get(url);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      const body = res.json();
      assert.ok(Array.isArray(body.Path) && body.Path.length === 3, url);
      assert.equal(typeof body.Time, "number");
      ids.push(body.ID);
    }
    for (const id of exampleIds().filter((i) => i.split(",").length === 5)) assert.ok(ids.includes(id), id);
    assert.ok(ids.includes("('10.1.1.1', '10.1.7.1', 5, '10.1.2.3', '10.1.2.5')"), "tunnel ID in Table 16 order");
  });

  it("the mirror example installs an ERSPAN ingress mirror to 10.2.1.1; bw_ingress examples carry Bandwidth_*", async () => {
    assert.equal(t.network.mirrors.length, 1);
    assert.deepEqual(t.network.mirrors[0]!.mirror, { type: "erspan", direction: "ingress", analyzer: "10.2.1.1" });
    const bw = await t.get("/data/flow?src=10.1.1.1&proto=udp&dst=10.1.7.1&dport=9000&sport=54676");
    assert.equal(typeof bw.json().Path[0].Bandwidth_Counter, "number");
    assert.equal(typeof bw.json().Path[0].Bandwidth_ID, "number");
  });

  it("list/flow and active/* examples answer their bodies", async () => {
    for (const url of urls.filter((u) => u.startsWith("/list/") || u.startsWith("/active/"))) {
      const res = await t.get(url);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      const body = res.json();
      assert.ok(Array.isArray(url.startsWith("/list/") ? body.FLOWS : body.flows), url);
    }
    assert.equal((await t.get("/active/flow")).json().flows.length, 4);
    assert.deepEqual((await t.get("/active/tunnel")).json().flows, [
      ["10.1.1.1", "10.1.7.1", "10.1.2.5", "10.1.2.3", 5, 4567],
    ]);
  });

  it("stop/* examples answer EOK and the trace is gone", async () => {
    for (const url of urls.filter((u) => u.startsWith("/stop/"))) {
      const res = await t.get(url);
      assert.deepEqual(res.json(), { rc: 0, code: "EOK" }, url);
      const data = await t.get(url.replace("/stop/", "/data/"));
      assert.equal(data.json().code, "E_AoF", url);
    }
  });
});
