/**
 * Parameters of the nine resources (compute-agent-api.txt, Tables 5 and 15 and the resource pages): every default the
 * spec gives, checked on what the agent actually sends; booleans and protocols in any case; both spellings of
 * bw_ingress; the mirror parameters; every table parameter accepted; invalid values refused with EFAIL naming the
 * parameter.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_COLLECTION } from "../../src/agent/collection-params.ts";
import { requirement } from "../helpers/requirements.ts";
import { SPEC_TUNNEL } from "../sim/fixtures.ts";
import { agentsClosedAfter } from "./fakes.ts";
import { HAVE_SPEC, tableElements } from "./spec-text.ts";

const TUNNEL =
  "src=10.1.1.1&dst=10.1.7.1&sport=4567&vnid=5&appsrc=10.1.2.3&appdst=10.1.2.5&appsmac=9c:8e:99:12:88:2e&appdmac=44:1e:a1:02:25:c0";

const agent = agentsClosedAfter();

describe("start/flow defaults (Table 5)", () => {
  it("proto udp, ports 33434, nhops 255, timeout 30000 ms, chksum true, ntry 1, sfreq 1 s, bw_ingress false, no mirror", async () => {
    const t = agent();
    t.network.silent.add(2);
    assert.equal((await t.get("/start/flow?src=10.1.1.1&dst=10.1.7.1")).json().code, "EOK");
    await t.clock.advance(0);
    const first = t.network.batches[0]!;
    assert.deepEqual(first.target, {
      kind: "flow",
      flow: { src: "10.1.1.1", dst: "10.1.7.1", proto: "udp", sport: 33434, dport: 33434 },
      checksum: true,
    });
    assert.deepEqual(
      first.ttls,
      Array.from({ length: 255 }, (_, i) => i + 1),
      "all TTLs up to 255 together",
    );
    assert.equal(first.timeoutMs, 30_000);
    assert.equal(t.network.batches.length, 1, "ntry 1: the silent hop is not retried");
    assert.ok(t.network.hopQueries.every((q) => q.bwIngress === false));
    assert.equal(t.network.mirrors.length, 0);
    await t.clock.advance(999);
    assert.equal(t.network.batches.length, 1);
    await t.clock.advance(1);
    assert.equal(t.network.batches.length, 2, "next round 1 s after the first started");
    assert.deepEqual(DEFAULT_COLLECTION, {
      sfreqMs: 1000,
      nhops: 255,
      ntry: 1,
      timeoutMs: 30_000,
      chksum: true,
      bwIngress: false,
      mirror: null,
    });
  });

  it("stop/flow and data/flow apply the same defaults (proto udp, ports 33434)", async () => {
    const t = agent();
    await t.get("/start/flow?src=10.1.1.1&dst=10.1.7.1&proto=UDP&sport=33434&dport=33434");
    await t.clock.advance(0);
    assert.equal((await t.get("/data/flow?src=10.1.1.1&dst=10.1.7.1")).statusCode, 200);
    assert.equal((await t.get("/stop/flow?dst=10.1.7.1&src=10.1.1.1")).json().code, "EOK");
  });

  it("every parameter given: sfreq, nhops, ntry, timeout, chksum, bw_ingress, mirror", async () => {
    const t = agent();
    t.network.silent.add(1);
    const q =
      "src=10.1.1.1&dst=10.1.7.1&proto=TcP&sport=1&dport=65535&sfreq=2.5&nhops=2&ntry=3&timeout=250&chksum=FALSE" +
      "&bw_ingress=True&mirror_type=erspan&mirror_dir=INGRESS&mirror_analyzer=10.2.1.1";
    assert.equal((await t.get(`/start/flow?${q}`)).json().code, "EOK");
    await t.clock.advance(0);
    const b = t.network.batches;
    assert.deepEqual(
      b.map((x) => [x.ttls, x.attempt, x.timeoutMs]),
      [
        [[1, 2], 1, 250],
        [[1], 2, 250],
        [[1], 3, 250],
      ],
    );
    assert.deepEqual(b[0]!.target, {
      kind: "flow",
      flow: { src: "10.1.1.1", dst: "10.1.7.1", proto: "tcp", sport: 1, dport: 65535 },
      checksum: false,
    });
    assert.ok(t.network.hopQueries.every((q) => q.bwIngress));
    assert.deepEqual(t.network.mirrors[0]!.mirror, { type: "erspan", direction: "ingress", analyzer: "10.2.1.1" });
    await t.clock.advance(2499);
    assert.equal(t.network.batches.length, 3);
    await t.clock.advance(1);
    assert.equal(t.network.batches.length, 6, "sfreq 2.5 s");
  });

  it("accepts every parameter Table 5 and Table 15 list", {
    skip: requirement(HAVE_SPEC, "spec not present"),
  }, async () => {
    const values: Record<string, string> = {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "tcp",
      sport: "4567",
      dport: "9000",
      sfreq: "1",
      nhops: "10",
      ntry: "2",
      timeout: "1000",
      chksum: "true",
      bw_ingress: "true",
      "bw-ingress": "true",
      mirror_type: "ERSPAN",
      mirror_dir: "ingress",
      mirror_analyzer: "10.2.1.1",
      vnid: "5",
      appsrc: "10.1.2.3",
      appdst: "10.1.2.5",
      appsmac: "9c:8e:99:12:88:2e",
      appdmac: "44:1e:a1:02:25:c0",
    };
    const t = agent();
    for (const [table, resource] of [
      [5, "flow"],
      [15, "tunnel"],
    ] as const) {
      const names = tableElements(table);
      assert.ok(names.length >= 14);
      const query = names.map((n) => `${n}=${encodeURIComponent(values[n]!)}`).join("&");
      const res = await t.get(`/start/${resource}?${query}`);
      assert.deepEqual(res.json(), { rc: 0, code: "EOK" }, `${resource}: ${res.body}`);
    }
  });
});

describe("start/tunnel parameters (Table 15)", () => {
  it("defaults: sfreq 1 s, nhops 255, ntry 1, timeout 30000 ms, bw-ingress false; target carries the MACs", async () => {
    const t = agent();
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}`)).json().code, "EOK");
    await t.clock.advance(0);
    const first = t.network.batches[0]!;
    assert.deepEqual(first.target, SPEC_TUNNEL, "the spec example's tuple, MACs included");
    assert.equal(first.ttls.length, 255);
    assert.equal(first.timeoutMs, 30_000);
    assert.ok(t.network.hopQueries.every((q) => !q.bwIngress));
  });

  it("bw_ingress and bw-ingress are both accepted; giving both is refused", async () => {
    const t = agent();
    assert.equal((await t.get(`/start/tunnel?${TUNNEL}&bw_ingress=true`)).json().code, "EOK");
    const both = await t.get(`/start/tunnel?${TUNNEL.replace("4567", "4568")}&bw_ingress=true&bw-ingress=true`);
    assert.equal(both.json().code, "EFAIL");
    assert.match(both.json().message, /^bw_ingress: give one of bw_ingress, bw-ingress/);
  });

  for (const missing of ["src", "dst", "sport", "vnid", "appsrc", "appdst", "appsmac", "appdmac"]) {
    it(`start/tunnel without ${missing} is EFAIL naming it`, async () => {
      const t = agent();
      const query = TUNNEL.split("&")
        .filter((p) => !p.startsWith(`${missing}=`))
        .join("&");
      const res = await t.get(`/start/tunnel?${query}`);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().code, "EFAIL");
      assert.match(res.json().message, new RegExp(`^${missing}: missing`));
    });
  }
});

describe("invalid parameters are EFAIL naming the parameter (HTTP 400)", () => {
  const cases: [string, string][] = [
    ["/start/flow?dst=10.1.7.1", "src"],
    ["/start/flow?src=10.1.1.1", "dst"],
    ["/start/flow?src=10.1.1.256&dst=10.1.7.1", "src"],
    ["/start/flow?src=10.1.1.1&dst=10.01.7.1", "dst"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&proto=icmp", "proto"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&sport=0", "sport"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&dport=65536", "dport"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&sport=12a", "sport"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&sfreq=0", "sfreq"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&sfreq=abc", "sfreq"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&nhops=256", "nhops"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&nhops=0", "nhops"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&ntry=0", "ntry"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&ntry=11", "ntry"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&timeout=-1", "timeout"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&timeout=300001", "timeout"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&chksum=yes", "chksum"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&bw_ingress=1", "bw_ingress"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&mirror_type=ERSPAN&mirror_analyzer=10.2.1.1", "mirror_dir"],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&mirror_type=ERSPAN&mirror_dir=ingress", "mirror_analyzer"],
    [
      "/start/flow?src=10.1.1.1&dst=10.1.7.1&mirror_type=span&mirror_dir=ingress&mirror_analyzer=10.2.1.1",
      "mirror_type",
    ],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&mirror_type=ERSPAN&mirror_dir=up&mirror_analyzer=10.2.1.1", "mirror_dir"],
    [
      "/start/flow?src=10.1.1.1&dst=10.1.7.1&mirror_type=ERSPAN&mirror_dir=ingress&mirror_analyzer=x",
      "mirror_analyzer",
    ],
    ["/start/flow?src=10.1.1.1&dst=10.1.7.1&mirror_dir=ingress", "mirror_dir"],
    ["/start/flow?src=10.1.1.1&src=10.1.1.2&dst=10.1.7.1", "src"],
    ["/stop/flow?src=10.1.1.1", "dst"],
    ["/stop/flow?src=10.1.1.1&dst=10.1.7.1&proto=sctp", "proto"],
    ["/data/flow?src=10.1.1.1&dst=10.1.7.1&sport=99999", "sport"],
    ["/start/tunnel?" + TUNNEL.replace("vnid=5", "vnid=16777216"), "vnid"],
    ["/start/tunnel?" + TUNNEL.replace("appsmac=9c:8e:99:12:88:2e", "appsmac=9c:8e:99"), "appsmac"],
    ["/start/tunnel?" + TUNNEL + "&dport=0", "dport"],
    ["/stop/tunnel?src=10.1.1.1&dst=10.1.7.1&vnid=5&appsrc=10.1.2.3", "appdst"],
    ["/data/tunnel?src=10.1.1.1&dst=10.1.7.1&vnid=x&appsrc=10.1.2.3&appdst=10.1.2.5", "vnid"],
    ["/list/flow?active=yes", "active"],
  ];
  for (const [url, name] of cases) {
    it(`${url} → ${name}`, async () => {
      const res = await agent().get(url);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().rc, 2);
      assert.equal(res.json().code, "EFAIL");
      assert.ok(res.json().message.startsWith(`${name}: `), res.json().message);
    });
  }
});

describe("booleans and protocols in any case", () => {
  for (const value of ["true", "True", "TRUE", "tRuE", "false", "False", "FALSE"]) {
    it(`bw_ingress=${value}`, async () => {
      const t = agent();
      assert.equal((await t.get(`/start/flow?src=10.1.1.1&dst=10.1.7.1&bw_ingress=${value}`)).json().code, "EOK");
      await t.clock.advance(0);
      assert.ok(t.network.hopQueries.every((q) => q.bwIngress === (value.toLowerCase() === "true")));
    });
  }
  for (const value of ["tcp", "TCP", "Tcp", "udp", "UDP", "uDp"]) {
    it(`proto=${value}`, async () => {
      const t = agent();
      assert.equal((await t.get(`/start/flow?src=10.1.1.1&dst=10.1.7.1&proto=${value}`)).json().code, "EOK");
      await t.clock.advance(0);
      const target = t.network.batches[0]!.target;
      assert.equal(target.kind === "flow" && target.flow.proto, value.toLowerCase());
    });
  }
  it("list/flow active in any case", async () => {
    const t = agent();
    for (const v of ["True", "true", "FALSE", "False"])
      assert.equal((await t.get(`/list/flow?active=${v}`)).statusCode, 200);
  });
});
