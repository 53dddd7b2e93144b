/**
 * The analytics formatters on hand-made Path objects, for the hop forms the simulated fabric's default routes do not
 * produce: an egress LAG member chosen inside an ECMP group, a lone LAG, an ECMP member the hop could not name, a hop
 * without telemetry, a silent hop, a Path that did not reach its destination, and Bandwidth_Counter. Terse, detail and
 * extensive are compared with golden files (test/cli/golden/analytics-format/).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AnsweredHop, IflObject, PathObject } from "../../src/agent/path-object.ts";
import { egressSummary, formatPath } from "../../src/cli/analytics/format-path.ts";
import { formatFlows } from "../../src/cli/analytics/format-flows.ts";
import {
  milliseconds,
  protocolOfNumber,
  protocolWithNumber,
  utcTime,
  utcTimeMs,
} from "../../src/cli/analytics/format-units.ts";
import { expectGolden } from "./golden/golden-file.ts";

function ifl(name: string, n: number): IflObject {
  return {
    IFLName: name,
    IFLStats: {
      TX_PKTS: n,
      RX_PKTS: 2 * n,
      TX_UCPKTS: n,
      RX_UCPKTS: 2 * n,
      TX_BCPKTS: 1,
      RX_BCPKTS: 2,
      TX_MCPKTS: 3,
      RX_MCPKTS: 4,
      TX_PPS: 10,
      RX_PPS: 20,
      TX_CRCERROR: 0,
      RX_CRCERROR: 5,
      TX_DROPPKT: 6,
      RX_DROPPKT: 7,
      TX_BYTES: 1000 * n,
      RX_BYTES: 2000 * n,
      TX_BW: 10_000,
      RX_BW: 20_000,
    },
  };
}

const TS = { TimeStamp: 1442517373, TimeStamp_usec: 259821, Type: "PTP" as const };

/** Five hops: LAG member in ECMP, lone LAG, unnamed ECMP member, no telemetry, no response. */
const PATH: PathObject = {
  ID: "('10.1.1.1', '10.1.7.1', 17, 33434, 33434)",
  Time: 1442517345.882,
  DestinationReached: false,
  Path: [
    {
      HOP: 1,
      DevName: "leaf-a",
      DevSerialID: "LA0001",
      DevCPUUtil: 19.25,
      DevMEMUtil: 15,
      Latency: 0.00775,
      TIMESTAMP: TS,
      IngressIFLAttribute: { IFLList: [ifl("ge-0/0/0.0", 100)] },
      EgressIFLAttribute: {
        L3Ecmp: {
          IFLList: [ifl("xe-0/0/1.0", 1)],
          NumBuckets: 2,
          L2EcmpList: [{ AE_IFL_NAME: "ae0.0", NumBuckets: 2, IFLList: [ifl("xe-0/0/2.0", 2), ifl("xe-0/0/3.0", 3)] }],
        },
      },
      EgressIFLName: "xe-0/0/3.0",
      Bandwidth_Counter: 798465,
      Bandwidth_ID: 612761622,
      HopAddress: "10.1.1.254",
      HopStatus: "OK",
    },
    {
      HOP: 2,
      DevName: "spine-2",
      DevSerialID: "SP0002",
      DevCPUUtil: 7,
      DevMEMUtil: 30.04,
      Latency: 0.0161,
      TIMESTAMP: { ...TS, Type: "NTP" },
      IngressIFLAttribute: { IFLList: [ifl("et-0/0/3.0", 4)] },
      EgressIFLAttribute: {
        L3Ecmp: {
          IFLList: [],
          NumBuckets: 1,
          L2EcmpList: [{ AE_IFL_NAME: "ae1.0", NumBuckets: 2, IFLList: [ifl("et-0/0/8.0", 5), ifl("et-0/0/9.0", 6)] }],
        },
      },
      EgressIFLName: "et-0/0/9.0",
      HopAddress: "172.31.0.3",
      HopStatus: "OK",
    },
    {
      HOP: 3,
      DevName: "leaf-b",
      DevSerialID: "LB0001",
      DevCPUUtil: 1,
      DevMEMUtil: 2,
      Latency: 0.0201,
      TIMESTAMP: { ...TS, Type: "LCPU" },
      IngressIFLAttribute: { IFLList: [ifl("xe-0/0/2.0", 7)] },
      EgressIFLAttribute: {
        L3Ecmp: { IFLList: [ifl("xe-0/0/5.0", 8), ifl("xe-0/0/6.0", 9)], NumBuckets: 2, L2EcmpList: [] },
      },
      HopAddress: "172.31.1.2",
      HopStatus: "OK",
    },
    { HOP: 4, Latency: 0.0302, TIMESTAMP: { ...TS, Type: "LCPU" }, HopAddress: "192.0.2.4", HopStatus: "NO_TELEMETRY" },
    { HOP: 5, HopAddress: null, HopStatus: "NO_RESPONSE" },
  ],
};

describe("analytics formatters", () => {
  it("the hop table and blocks at every level", (t) => {
    for (const level of ["terse", "detail", "extensive"] as const) {
      expectGolden(t, `analytics-format/path-${level}.txt`, `${formatPath("flow", PATH, level).join("\n")}\n`);
    }
  });

  it("summarises the egress: plain, ECMP member, LAG member in ECMP, lone LAG, unknown member", () => {
    const hop1 = PATH.Path[0] as AnsweredHop;
    assert.equal(egressSummary(hop1.EgressIFLAttribute, hop1.EgressIFLName), "xe-0/0/3.0 [ae0.0 LAG 2, ECMP 2]");
    assert.equal(egressSummary(hop1.EgressIFLAttribute, "xe-0/0/1.0"), "xe-0/0/1.0 [ECMP 2]");
    const hop2 = PATH.Path[1] as AnsweredHop;
    assert.equal(egressSummary(hop2.EgressIFLAttribute, "et-0/0/9.0"), "et-0/0/9.0 [ae1.0 LAG 2]");
    assert.equal(egressSummary(hop2.EgressIFLAttribute, undefined), "- [ae1.0 LAG 2]");
    assert.equal(egressSummary({ IFLList: [ifl("xe-0/0/4.0", 1)] }, undefined), "xe-0/0/4.0");
  });

  it("prints times in UTC, latencies in ms, protocols by name and number", () => {
    assert.equal(utcTime(1442517373, 259821), "2015-09-17 19:16:13.259821 UTC");
    assert.equal(utcTime(1442517373), "2015-09-17 19:16:13 UTC");
    assert.equal(utcTimeMs(1442517345.882), "2015-09-17 19:15:45.882 UTC");
    assert.equal(utcTimeMs(1442517345.9996), "2015-09-17 19:15:46.000 UTC");
    assert.equal(milliseconds(0.00775), "7.750 ms");
    assert.equal(protocolWithNumber("tcp"), "TCP (6)");
    assert.equal(protocolWithNumber("sctp"), "sctp");
    assert.equal(protocolOfNumber(17), "UDP (17)");
    assert.equal(protocolOfNumber(132), "132");
  });

  it("an empty flow list and no active traces", (t) => {
    const view = { flows: [], activeFlows: [], activeTunnels: [], requester: "originator nobody" };
    expectGolden(t, "analytics-format/flows-empty.txt", `${formatFlows(view, "terse").join("\n")}\n`);
    assert.deepEqual(formatFlows(view, "detail"), [
      "Flows seen: 0",
      "Active traces (originator nobody): 0 flows, 0 tunnels",
    ]);
  });

  it("every originator's traces (originator all): owners, states and last rounds of flows and tunnels", () => {
    const view = {
      flows: [],
      activeFlows: [["10.1.7.1", "10.1.1.1", "tcp", 4567, 9000] as [string, string, string, number, number]],
      activeTunnels: [
        ["10.10.11.11", "192.168.5.11", "10.0.0.3", "10.0.0.2", 200, 53812] as [
          string,
          string,
          string,
          string,
          number,
          number,
        ],
      ],
      requester: "all originators",
      owners: {
        flows: [{ originator: null, address: "192.0.2.30", state: "stopping" as const, sfreq: 0.5, pending: false }],
        tunnels: [{ originator: "ops", address: "192.0.2.20", state: "active" as const, sfreq: 2, pending: true }],
      },
    };
    assert.deepEqual(formatFlows(view, "terse"), [
      "Flows seen: 0",
      "Active traces (all originators): 1 flow, 1 tunnel",
      "Kind   Originator Source          Sport Destination     Dport Proto VNI App source App destination State",
      "flow   -          10.1.1.1         4567 10.1.7.1         9000 TCP                                  stopping",
      "tunnel ops        10.10.11.11     53812 192.168.5.11          UDP   200 10.0.0.2   10.0.0.3        active, change pending",
    ]);
    const extensive = {
      ...view,
      flowRounds: [{ kind: "none" as const, reason: "the first round has not completed yet" }],
      tunnelRounds: [{ kind: "path" as const, time: 1442512803.25, hops: 4, reached: false }],
    };
    assert.deepEqual(formatFlows(extensive, "extensive"), [
      "Flows seen: 0",
      "Active traces (all originators): 1 flow, 1 tunnel",
      "Flow trace: 10.1.1.1:4567 -> 10.1.7.1:9000, TCP (6)",
      "  Owner: no originator, address 192.0.2.30",
      "  State: stopping, a round every 0.5 s",
      "  Last round: none (the first round has not completed yet)",
      "Tunnel trace: 10.10.11.11 -> 192.168.5.11, sport 53812, VNI 200, application 10.0.0.2 -> 10.0.0.3",
      "  Owner: originator ops, address 192.0.2.20",
      "  State: active, change pending, a round every 2 s",
      "  Last round: 2015-09-17 18:00:03.250 UTC, destination not reached, 4 hops",
    ]);
  });
});
