/**
 * The path graph's model (src/web/path-graph.ts): every ECMP member and every LAG with its member links drawn, the
 * member the flow takes (`EgressIFLName`) marked, silent hops and an unreached destination shown as such.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPathGraph, hopLabel, MEMBER_CLEARANCE } from "../../src/web/path-graph.ts";
import type { Hop, Ifl, PathObject } from "../../src/web/types.ts";

const ifl = (name: string): Ifl => ({
  IFLName: name,
  IFLStats: {
    TX_PKTS: 0,
    RX_PKTS: 0,
    TX_UCPKTS: 0,
    RX_UCPKTS: 0,
    TX_BCPKTS: 0,
    RX_BCPKTS: 0,
    TX_MCPKTS: 0,
    RX_MCPKTS: 0,
    TX_PPS: 0,
    RX_PPS: 0,
    TX_CRCERROR: 0,
    RX_CRCERROR: 0,
    TX_DROPPKT: 0,
    RX_DROPPKT: 0,
    TX_BYTES: 0,
    RX_BYTES: 0,
    TX_BW: 0,
    RX_BW: 0,
  },
});

const ecmpHop: Hop = {
  HOP: 1,
  HopStatus: "OK",
  HopAddress: "10.1.1.254",
  DevName: "leaf1",
  IngressIFLAttribute: { IFLList: [ifl("ge-0/0/0.0")] },
  EgressIFLAttribute: {
    L3Ecmp: {
      IFLList: [ifl("xe-0/0/18.0"), ifl("xe-0/0/8.0")],
      NumBuckets: 3,
      L2EcmpList: [{ AE_IFL_NAME: "ae0.0", NumBuckets: 2, IFLList: [ifl("xe-0/0/14.0"), ifl("xe-0/0/16.0")] }],
    },
  },
  EgressIFLName: "xe-0/0/16.0",
};
const silentHop: Hop = { HOP: 2, HopStatus: "NO_RESPONSE", HopAddress: null };
const unmanagedHop: Hop = { HOP: 3, HopStatus: "NO_TELEMETRY", HopAddress: "172.16.9.1", Latency: 0.01 };

describe("path graph", () => {
  it("draws each ECMP member and each LAG with its links, marking the one the flow takes", () => {
    const path: PathObject = { Path: [ecmpHop], ID: "x", Time: 1, DestinationReached: true };
    const g = buildPathGraph(path, "10.1.1.1", "10.1.7.1");
    const members = g.nodes.filter((n) => n.kind === "member");
    assert.deepEqual(
      members.map((m) => [m.label, m.chosen, m.parent ?? null]),
      [
        ["xe-0/0/18.0", false, null],
        ["xe-0/0/8.0", false, null],
        ["xe-0/0/14.0", false, "lag-1-0"],
        ["xe-0/0/16.0", true, "lag-1-0"],
      ],
    );
    const lag = g.nodes.find((n) => n.kind === "lag")!;
    assert.equal(lag.label, "ae0.0");
    assert.equal(lag.chosen, true, "the LAG holding the chosen link is marked");
    for (const m of members) assert.ok(Math.abs(m.y) >= MEMBER_CLEARANCE, "members stay clear of the hops' labels");
    assert.equal(new Set(members.map((m) => m.y)).size, members.length, "no two members overlap");
    // Each member joins the hop to the destination; only the chosen one's edges are on the flow's way.
    const chosenEdges = g.edges.filter((e) => e.chosen).map((e) => `${e.source}>${e.target}`);
    assert.deepEqual(chosenEdges, ["source>hop-1", "hop-1>member-1-3", "member-1-3>destination"]);
    assert.equal(g.edges.length, 1 + 2 * members.length);
    assert.equal(g.nodes.find((n) => n.id === "destination")!.status, "reached");
  });

  it("shows silent hops and an unreached destination as such, with unknown edges around them", () => {
    const path: PathObject = {
      Path: [ecmpHop, silentHop, unmanagedHop],
      ID: "x",
      Time: 1,
      DestinationReached: false,
    };
    const g = buildPathGraph(path, "10.1.1.1", "10.1.7.1");
    assert.deepEqual(
      g.nodes.filter((n) => n.kind === "hop").map((n) => [n.label, n.status]),
      [
        ["1. leaf1", "OK"],
        ["2. no response", "NO_RESPONSE"],
        ["3. 172.16.9.1", "NO_TELEMETRY"],
      ],
    );
    assert.equal(hopLabel(silentHop), "no response");
    assert.ok(
      g.edges.filter((e) => e.target === "hop-2").every((e) => e.unknown),
      "edges into a silent hop",
    );
    assert.ok(g.edges.find((e) => e.source === "hop-2")!.unknown, "the edge out of a silent hop");
    const last = g.edges.find((e) => e.target === "destination")!;
    assert.equal(last.source, "hop-3");
    assert.equal(last.unknown, true);
    assert.equal(g.nodes.find((n) => n.id === "destination")!.status, "not-reached");
    const xs = g.nodes.filter((n) => n.kind !== "member" && n.kind !== "lag").map((n) => n.x);
    assert.deepEqual(
      [...xs].sort((a, b) => a - b),
      xs,
      "source, hops and destination left to right",
    );
  });
});
