/**
 * `show analytics flow-path` and `show analytics tunnel-path`: the Path object of data/flow and data/tunnel
 * (compute-agent-api.txt, Tables 6 to 14; docs/api.md, "The Path object") as Junos-style text. Pure functions.
 *
 * - `terse` (default): a heading and one line per hop: hop, device, latency, ingress, egress (the member this flow takes,
 *   with its ECMP group size and LAG), CPU, memory, the flow's packet counter (`Bandwidth_Counter`, with bw-ingress).
 * - `detail`: one block per hop: status, address, serial, latency, CPU, memory, timestamp, ingress, and every ECMP member
 *   and LAG member link, the one this flow takes marked `*`, then the flow counter.
 * - `extensive`: `detail` with every interface's counters and rates (Table 14).
 */
import type {
  AnsweredHop,
  EgressIflAttribute,
  IflObject,
  IflStats,
  PathHop,
  PathObject,
} from "../../agent/path-object.ts";
import { alignColumns, type ColumnSpec, indent } from "../junos/columns.ts";
import { type AnalyticsLevel, milliseconds, percent, utcTime, utcTimeMs } from "./format-units.ts";

const HOP_COLUMNS: readonly ColumnSpec[] = [
  { align: "right", width: 3 },
  { align: "left", width: 6 },
  { align: "right", width: 7 },
  { align: "left", width: 7 },
  { align: "left", width: 6 },
  { align: "right", width: 3 },
  { align: "right", width: 6 },
  { align: "right", width: 9 },
];
const HOP_HEADER = ["Hop", "Device", "Latency", "Ingress", "Egress", "CPU", "Memory", "Flow pkts"];

/** The egress of `hop` in one cell: the member taken, then `[ae0.0 LAG 2, ECMP 3]` when it is part of a group. */
export function egressSummary(egress: EgressIflAttribute, chosen: string | undefined): string {
  if ("IFLList" in egress) return chosen ?? egress.IFLList.map((i) => i.IFLName).join(",");
  const group = egress.L3Ecmp;
  const lag = group.L2EcmpList.find((l) => l.IFLList.some((i) => i.IFLName === chosen));
  const parts: string[] = [];
  if (lag !== undefined) parts.push(`${lag.AE_IFL_NAME} LAG ${lag.NumBuckets}`);
  if (group.NumBuckets > 1) parts.push(`ECMP ${group.NumBuckets}`);
  else if (lag === undefined && group.L2EcmpList.length === 1) {
    const only = group.L2EcmpList[0]!;
    parts.push(`${only.AE_IFL_NAME} LAG ${only.NumBuckets}`);
  }
  const member = chosen ?? "-";
  return parts.length === 0 ? member : `${member} [${parts.join(", ")}]`;
}

function ingressNames(hop: AnsweredHop): string {
  return hop.IngressIFLAttribute.IFLList.map((i) => i.IFLName).join(",");
}

function hopRow(hop: PathHop): string[] {
  if (hop.HopStatus === "NO_RESPONSE") return [String(hop.HOP), "* (no response)", "*", "-", "-", "-", "-", "-"];
  if (hop.HopStatus === "NO_TELEMETRY") {
    return [String(hop.HOP), `${hop.HopAddress} (no telemetry)`, milliseconds(hop.Latency), "-", "-", "-", "-", "-"];
  }
  return [
    String(hop.HOP),
    hop.DevName,
    milliseconds(hop.Latency),
    ingressNames(hop),
    egressSummary(hop.EgressIFLAttribute, hop.EgressIFLName),
    percent(hop.DevCPUUtil),
    percent(hop.DevMEMUtil),
    hop.Bandwidth_Counter === undefined ? "-" : String(hop.Bandwidth_Counter),
  ];
}

/** The first lines: what the Path is of, and its round. */
export function pathHeading(kind: "flow" | "tunnel", path: PathObject): string[] {
  const reached = path.DestinationReached ? "destination reached" : "destination not reached";
  const hops = `${path.Path.length} hop${path.Path.length === 1 ? "" : "s"}`;
  return [`${kind === "flow" ? "Flow" : "Tunnel"}: ${path.ID}`, `Round: ${utcTimeMs(path.Time)}, ${reached}, ${hops}`];
}

/** `terse`: the heading and the hop table. */
export function formatPathTerse(kind: "flow" | "tunnel", path: PathObject): string[] {
  return [...pathHeading(kind, path), ...alignColumns(HOP_COLUMNS, [HOP_HEADER, ...path.Path.map(hopRow)])];
}

function statsLines(s: IflStats): string[] {
  return [
    `Input:  packets: ${s.RX_PKTS}, bytes: ${s.RX_BYTES}, ${s.RX_PPS} pps, ${s.RX_BW} bytes/s`,
    `Output: packets: ${s.TX_PKTS}, bytes: ${s.TX_BYTES}, ${s.TX_PPS} pps, ${s.TX_BW} bytes/s`,
    `Unicast in: ${s.RX_UCPKTS}, out: ${s.TX_UCPKTS}; Broadcast in: ${s.RX_BCPKTS}, out: ${s.TX_BCPKTS}; Multicast in: ${s.RX_MCPKTS}, out: ${s.TX_MCPKTS}`,
    `CRC errors in: ${s.RX_CRCERROR}, out: ${s.TX_CRCERROR}; Drops in: ${s.RX_DROPPKT}, out: ${s.TX_DROPPKT}`,
  ];
}

function interfaceLines(ifl: IflObject, chosen: string | undefined, extensive: boolean): string[] {
  const mark = ifl.IFLName === chosen ? "* " : "  ";
  return [`${mark}${ifl.IFLName}`, ...(extensive ? indent(statsLines(ifl.IFLStats), 4) : [])];
}

function egressLines(egress: EgressIflAttribute, chosen: string | undefined, extensive: boolean): string[] {
  if ("IFLList" in egress) {
    return ["Egress:", ...indent(egress.IFLList.flatMap((i) => interfaceLines(i, chosen, extensive)))];
  }
  const g = egress.L3Ecmp;
  const lags = g.L2EcmpList.flatMap((lag) => [
    `  ${lag.AE_IFL_NAME}: LAG, ${lag.NumBuckets} bucket${lag.NumBuckets === 1 ? "" : "s"}`,
    ...indent(lag.IFLList.flatMap((i) => interfaceLines(i, chosen, extensive))),
  ]);
  return [
    `Egress: ECMP, ${g.NumBuckets} bucket${g.NumBuckets === 1 ? "" : "s"}`,
    ...indent([...g.IFLList.flatMap((i) => interfaceLines(i, chosen, extensive)), ...lags]),
  ];
}

function answeredBlock(hop: AnsweredHop, extensive: boolean): string[] {
  const ts = hop.TIMESTAMP;
  const counter =
    hop.Bandwidth_Counter === undefined
      ? []
      : [`Flow counter: ${hop.Bandwidth_Counter} packets (ID ${hop.Bandwidth_ID ?? "-"})`];
  return [
    `Hop ${hop.HOP}: ${hop.DevName}`,
    ...indent([
      `Status: ${hop.HopStatus}, Address: ${hop.HopAddress}, Serial: ${hop.DevSerialID}`,
      `Latency: ${milliseconds(hop.Latency)}, CPU: ${percent(hop.DevCPUUtil)}, Memory: ${percent(hop.DevMEMUtil)}`,
      `Timestamp: ${utcTime(ts.TimeStamp, ts.TimeStamp_usec)} (${ts.Type})`,
      "Ingress:",
      ...indent(hop.IngressIFLAttribute.IFLList.flatMap((i) => interfaceLines(i, undefined, extensive))),
      ...egressLines(hop.EgressIFLAttribute, hop.EgressIFLName, extensive),
      ...counter,
    ]),
  ];
}

function hopBlock(hop: PathHop, extensive: boolean): string[] {
  if (hop.HopStatus === "NO_RESPONSE") {
    return [`Hop ${hop.HOP}: no response`, "  Status: NO_RESPONSE"];
  }
  if (hop.HopStatus === "NO_TELEMETRY") {
    const ts = hop.TIMESTAMP;
    return [
      `Hop ${hop.HOP}: ${hop.HopAddress}`,
      ...indent([
        `Status: NO_TELEMETRY (the device reported nothing), Address: ${hop.HopAddress}`,
        `Latency: ${milliseconds(hop.Latency)}`,
        `Timestamp: ${utcTime(ts.TimeStamp, ts.TimeStamp_usec)} (${ts.Type})`,
      ]),
    ];
  }
  return answeredBlock(hop, extensive);
}

/** `detail` and `extensive`: the heading, the legend, one block per hop. */
export function formatPathBlocks(kind: "flow" | "tunnel", path: PathObject, extensive: boolean): string[] {
  return [
    ...pathHeading(kind, path),
    "(* the member this flow takes)",
    ...path.Path.flatMap((hop) => hopBlock(hop, extensive)),
  ];
}

/** The whole output for `level` (default `terse`). */
export function formatPath(kind: "flow" | "tunnel", path: PathObject, level: AnalyticsLevel = "terse"): string[] {
  if (level === "terse") return formatPathTerse(kind, path);
  return formatPathBlocks(kind, path, level === "extensive");
}
