/**
 * The structure of the Path object against the spec's tables, read from the spec text (Tables 6 to 14 for data/flow,
 * 16 to 24 for data/tunnel): every element of each table present with its type on an answering hop, nothing else but
 * the documented extensions; `EgressIFLAttribute` as `{L3Ecmp}` (ECMP with a LAG) or `{IFLList}`; Bandwidth_* only
 * with bw_ingress; unanswered and unmanaged hops reported as such; the `ID` string and `Time`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requirement } from "../helpers/requirements.ts";
import { agentsClosedAfter } from "./fakes.ts";
import { HAVE_SPEC, tableElements } from "./spec-text.ts";

const skip = requirement(HAVE_SPEC, "../shared/spec/compute-agent-api.txt not present");
const HOP_EXTENSIONS = ["HopAddress", "HopStatus", "EgressIFLName"];
const FLOW = "src=10.1.1.1&dst=10.1.7.1&proto=tcp&sport=4567&dport=9000";
const TUNNEL =
  "src=10.1.1.1&dst=10.1.7.1&sport=4567&vnid=5&appsrc=10.1.2.3&appdst=10.1.2.5&appsmac=9c:8e:99:12:88:2e&appdmac=44:1e:a1:02:25:c0";

type Json = Record<string, unknown>;
const sorted = (a: Iterable<string>) => [...a].sort();

/** Checks `value` against the tables, offset by 0 (data/flow: Tables 6-14) or 10 (data/tunnel: Tables 16-24). */
function checkPathObject(value: Json, base: number, bw: boolean): void {
  const t = (n: number) => tableElements(n + base);
  assert.deepEqual(sorted(Object.keys(value)), sorted([...t(6), "DestinationReached"]));
  assert.equal(typeof value.ID, "string");
  assert.equal(typeof value.Time, "number");
  for (const hop of value.Path as Json[]) {
    if (hop.HopStatus !== "OK") continue;
    const expected = t(7).filter((k) => bw || !k.startsWith("Bandwidth_"));
    const extensions = HOP_EXTENSIONS.filter((k) => k in hop);
    assert.deepEqual(sorted(Object.keys(hop)), sorted([...expected, ...extensions]));
    for (const k of [
      "HOP",
      "DevMEMUtil",
      "DevCPUUtil",
      "Latency",
      ...(bw ? ["Bandwidth_Counter", "Bandwidth_ID"] : []),
    ]) {
      assert.equal(typeof hop[k], "number", k);
    }
    for (const k of ["DevName", "DevSerialID"]) assert.equal(typeof hop[k], "string", k);
    const ts = hop.TIMESTAMP as Json;
    assert.deepEqual(sorted(Object.keys(ts)), sorted(t(8)));
    assert.ok(["PTP", "LCPU", "NTP"].includes(ts.Type as string));
    assert.ok(Number.isInteger(ts.TimeStamp) && Number.isInteger(ts.TimeStamp_usec));
    assert.ok((ts.TimeStamp_usec as number) >= 0 && (ts.TimeStamp_usec as number) < 1_000_000);
    const ingress = hop.IngressIFLAttribute as Json;
    assert.deepEqual(sorted(Object.keys(ingress)), sorted(t(9)));
    for (const ifl of ingress.IFLList as Json[]) checkIfl(ifl, base);
    checkEgress(hop.EgressIFLAttribute as Json, base);
  }
}

function checkEgress(egress: Json, base: number): void {
  const t = (n: number) => tableElements(n + base);
  if ("IFLList" in egress) {
    assert.deepEqual(Object.keys(egress), ["IFLList"]);
    for (const ifl of egress.IFLList as Json[]) checkIfl(ifl, base);
    return;
  }
  assert.deepEqual(sorted(Object.keys(egress)), sorted(t(10)));
  const l3 = egress.L3Ecmp as Json;
  assert.deepEqual(sorted(Object.keys(l3)), sorted(t(11)));
  assert.equal(typeof l3.NumBuckets, "number");
  for (const ifl of l3.IFLList as Json[]) checkIfl(ifl, base);
  for (const lag of l3.L2EcmpList as Json[]) {
    assert.deepEqual(sorted(Object.keys(lag)), sorted(t(12)));
    assert.equal(typeof lag.AE_IFL_NAME, "string");
    assert.equal(typeof lag.NumBuckets, "number");
    for (const ifl of lag.IFLList as Json[]) checkIfl(ifl, base);
  }
}

function checkIfl(ifl: Json, base: number): void {
  assert.deepEqual(sorted(Object.keys(ifl)), sorted(tableElements(13 + base)));
  assert.equal(typeof ifl.IFLName, "string");
  const stats = ifl.IFLStats as Json;
  assert.deepEqual(sorted(Object.keys(stats)), sorted(tableElements(14 + base)));
  for (const [k, v] of Object.entries(stats)) assert.ok(Number.isInteger(v) && (v as number) >= 0, k);
}

describe("Path object structure (Tables 6-14, 16-24)", { skip }, () => {
  const agent = agentsClosedAfter();

  for (const bw of [false, true]) {
    it(`data/flow with bw_ingress=${bw}: every table element, ECMP with LAG at hop 1, IFLList after`, async () => {
      const t = agent();
      await t.get(`/start/flow?${FLOW}&bw_ingress=${bw}`);
      await t.clock.advance(0);
      const path = (await t.get(`/data/flow?${FLOW}`)).json();
      checkPathObject(path, 0, bw);
      assert.equal(path.ID, "('10.1.1.1', '10.1.7.1', 6, 4567, 9000)");
      assert.equal(path.Time, t.clock.now() / 1000);
      assert.deepEqual(
        path.Path.map((h: Json) => h.HOP),
        [1, 2, 3],
      );
      assert.ok("L3Ecmp" in path.Path[0].EgressIFLAttribute);
      assert.equal(path.Path[0].EgressIFLAttribute.L3Ecmp.L2EcmpList[0].AE_IFL_NAME, "ae0.0");
      assert.equal(path.Path[0].EgressIFLName, "xe-0/0/14.0");
      assert.ok("IFLList" in path.Path[1].EgressIFLAttribute);
      assert.equal(path.DestinationReached, true);
    });
  }

  it("data/tunnel: the same structure (Tables 16-24), ID in Table 16 order", async () => {
    const t = agent();
    await t.get(`/start/tunnel?${TUNNEL}&bw-ingress=TRUE`);
    await t.clock.advance(0);
    const path = (await t.get(`/data/tunnel?${TUNNEL}`)).json();
    checkPathObject(path, 10, true);
    assert.equal(path.ID, "('10.1.1.1', '10.1.7.1', 5, '10.1.2.3', '10.1.2.5')");
  });

  it("rates (TX_PPS, RX_PPS, TX_BW, RX_BW) come from the previous sample of the same interface", async () => {
    const t = agent();
    await t.get(`/start/flow?${FLOW}`);
    await t.clock.advance(0);
    let stats = (await t.get(`/data/flow?${FLOW}`)).json().Path[0].IngressIFLAttribute.IFLList[0].IFLStats;
    assert.deepEqual([stats.TX_PPS, stats.RX_PPS, stats.TX_BW, stats.RX_BW], [0, 0, 0, 0], "no previous sample");
    await t.clock.advance(1000);
    stats = (await t.get(`/data/flow?${FLOW}`)).json().Path[0].IngressIFLAttribute.IFLList[0].IFLStats;
    assert.deepEqual([stats.TX_PPS, stats.RX_PPS, stats.TX_BW, stats.RX_BW], [100, 200, 100_000, 200_000]);
  });

  it("a hop that never answers is reported as NO_RESPONSE after ntry tries; one without telemetry as NO_TELEMETRY", async () => {
    const t = agent();
    t.network.silent.add(2);
    t.network.unmanaged.add("leaf3");
    await t.get(`/start/flow?${FLOW}&ntry=3&timeout=100`);
    await t.clock.advance(0);
    const path = (await t.get(`/data/flow?${FLOW}`)).json();
    assert.deepEqual(path.Path[1], { HOP: 2, HopAddress: null, HopStatus: "NO_RESPONSE" });
    assert.deepEqual(sorted(Object.keys(path.Path[2])), ["HOP", "HopAddress", "HopStatus", "Latency", "TIMESTAMP"]);
    assert.equal(path.Path[2].HopStatus, "NO_TELEMETRY");
    assert.equal(path.Path[2].HopAddress, "10.0.3.1");
    const tries = t.network.batches.filter((b) => b.ttls.includes(2)).map((b) => b.attempt);
    assert.deepEqual(tries, [1, 2, 3]);
  });

  it("when the destination never answers the Path ends one hop past the last router that did", async () => {
    const t = agent();
    t.network.silent.add(4);
    for (let ttl = 5; ttl <= 255; ttl++) t.network.silent.add(ttl);
    await t.get(`/start/flow?${FLOW}`);
    await t.clock.advance(0);
    const path = (await t.get(`/data/flow?${FLOW}`)).json();
    assert.equal(path.DestinationReached, false);
    assert.deepEqual(
      path.Path.map((h: Json) => [h.HOP, h.HopStatus]),
      [
        [1, "OK"],
        [2, "OK"],
        [3, "OK"],
        [4, "NO_RESPONSE"],
      ],
    );
  });
});
