/**
 * Builds the Path object of one round (compute-agent-api.txt, Tables 6 to 14) from the probe answers and the hops'
 * telemetry: each hop's device, CPU and memory, latency (the probe's round-trip time), timestamp, ingress and egress
 * logical interfaces with their counters and rates, the ECMP group and LAG members, the flow's counter when
 * `bw_ingress` is on, and the extensions of path-object.ts.
 */
import type { ProbeReply } from "../probe/transport.ts";
import type { EgressAttribute, HopTelemetry, LogicalInterface } from "../telemetry/provider.ts";
import type {
  AnsweredHop,
  EgressIflAttribute,
  IflObject,
  PathHop,
  PathObject,
  TimestampObject,
} from "./path-object.ts";
import type { RoundProbeResult } from "./probe-round.ts";
import type { RateTracker } from "./rate-tracker.ts";

/** What {@link assemblePath} needs. */
export interface PathInput {
  /** The `ID` string (identifiers.ts). */
  id: string;
  /** When the round started, epoch ms. */
  roundStartMs: number;
  probes: RoundProbeResult;
  /** Telemetry per hop TTL (null or absent: the hop's device reported nothing). */
  telemetry: ReadonlyMap<number, HopTelemetry | null>;
  /** Whether the flow asked for `Bandwidth_Counter`/`Bandwidth_ID`. */
  bwIngress: boolean;
  rates: RateTracker;
  /** The agent's time now, epoch ms. */
  now: number;
}

/** One logical interface as Table 13 (counters of Table 14, rates from the tracker). */
function iflObject(device: string, ifl: LogicalInterface, input: PathInput): IflObject {
  const c = ifl.counters;
  const r = input.rates.rates(device, ifl.name, c, input.now);
  return {
    IFLName: ifl.name,
    IFLStats: {
      TX_PKTS: c.txPkts,
      RX_PKTS: c.rxPkts,
      TX_UCPKTS: c.txUcPkts,
      RX_UCPKTS: c.rxUcPkts,
      TX_BCPKTS: c.txBcPkts,
      RX_BCPKTS: c.rxBcPkts,
      TX_MCPKTS: c.txMcPkts,
      RX_MCPKTS: c.rxMcPkts,
      TX_PPS: r.txPps,
      RX_PPS: r.rxPps,
      TX_CRCERROR: c.txCrcError,
      RX_CRCERROR: c.rxCrcError,
      TX_DROPPKT: c.txDropPkt,
      RX_DROPPKT: c.rxDropPkt,
      TX_BYTES: c.txBytes,
      RX_BYTES: c.rxBytes,
      TX_BW: r.txBw,
      RX_BW: r.rxBw,
    },
  };
}

/** Table 10: `{IFLList}` for a single plain next hop, `{L3Ecmp}` for an ECMP group or any LAG. */
function egressAttribute(device: string, egress: EgressAttribute, input: PathInput): EgressIflAttribute {
  const members = egress.members.map((m) => iflObject(device, m, input));
  if (egress.l2Ecmp.length === 0 && egress.members.length <= 1 && egress.numBuckets <= 1) return { IFLList: members };
  return {
    L3Ecmp: {
      IFLList: members,
      NumBuckets: egress.numBuckets,
      L2EcmpList: egress.l2Ecmp.map((lag) => ({
        AE_IFL_NAME: lag.aeName,
        NumBuckets: lag.numBuckets,
        IFLList: lag.members.map((m) => iflObject(device, m, input)),
      })),
    },
  };
}

/**
 * Table 8: when the probe reached the node, estimated as the answer's arrival less half the round-trip time (the
 * agent cannot read the node's own clock through a probe); `Type` is the node's clock synchronisation.
 */
function timestamp(reply: ProbeReply, type: TimestampObject["Type"], now: number): TimestampObject {
  const arrivedUs =
    reply.receivedAt === null ? Math.round(now * 1000) : reply.receivedAt.sec * 1_000_000 + reply.receivedAt.usec;
  const atNodeUs = arrivedUs - Math.round(((reply.rttSeconds ?? 0) * 1_000_000) / 2);
  return { TimeStamp: Math.floor(atNodeUs / 1_000_000), TimeStamp_usec: atNodeUs % 1_000_000, Type: type };
}

function answeredHop(ttl: number, reply: ProbeReply, t: HopTelemetry, input: PathInput): AnsweredHop {
  const device = t.devSerialId === "" ? t.devName : t.devSerialId;
  const hop: AnsweredHop = {
    HOP: ttl,
    DevName: t.devName,
    DevSerialID: t.devSerialId,
    DevCPUUtil: t.cpuUtil,
    DevMEMUtil: t.memUtil,
    Latency: reply.rttSeconds ?? 0,
    TIMESTAMP: timestamp(reply, t.timestampType, input.now),
    IngressIFLAttribute: { IFLList: t.ingress.map((i) => iflObject(device, i, input)) },
    EgressIFLAttribute: egressAttribute(device, t.egress, input),
    HopAddress: reply.responder!,
    HopStatus: "OK",
  };
  if (input.bwIngress && t.bandwidth !== undefined) {
    hop.Bandwidth_Counter = t.bandwidth.counter;
    hop.Bandwidth_ID = t.bandwidth.id;
  }
  if (t.egress.chosen !== undefined) hop.EgressIFLName = t.egress.chosen;
  return hop;
}

function pathHop(ttl: number, input: PathInput): PathHop {
  const reply = input.probes.replies.get(ttl);
  if (reply === undefined || reply.outcome === "timeout" || reply.responder === null) {
    return { HOP: ttl, HopAddress: null, HopStatus: "NO_RESPONSE" };
  }
  const t = input.telemetry.get(ttl) ?? null;
  if (t === null) {
    return {
      HOP: ttl,
      Latency: reply.rttSeconds ?? 0,
      TIMESTAMP: timestamp(reply, "LCPU", input.now),
      HopAddress: reply.responder,
      HopStatus: "NO_TELEMETRY",
    };
  }
  return answeredHop(ttl, reply, t, input);
}

/** The Path object of a round. */
export function assemblePath(input: PathInput): PathObject {
  return {
    Path: input.probes.hopTtls.map((ttl) => pathHop(ttl, input)),
    ID: input.id,
    Time: input.roundStartMs / 1000,
    DestinationReached: input.probes.destinationTtl !== null,
  };
}
