/**
 * The Path object data/flow and data/tunnel return (compute-agent-api.txt, Tables 6 to 14 and 16 to 24), element names
 * exactly as the tables spell them, plus the flowlens extensions documented in docs/api.md ("Extensions"): `HopStatus`,
 * `HopAddress` and `EgressIFLName` on each hop, `DestinationReached` on the object.
 */

/** Table 14: counters of one logical interface; rates (`*_PPS` packets/s, `*_BW` bytes/s) from the previous sample. */
export interface IflStats {
  TX_PKTS: number;
  RX_PKTS: number;
  TX_UCPKTS: number;
  RX_UCPKTS: number;
  TX_BCPKTS: number;
  RX_BCPKTS: number;
  TX_MCPKTS: number;
  RX_MCPKTS: number;
  TX_PPS: number;
  RX_PPS: number;
  TX_CRCERROR: number;
  RX_CRCERROR: number;
  TX_DROPPKT: number;
  RX_DROPPKT: number;
  TX_BYTES: number;
  RX_BYTES: number;
  TX_BW: number;
  RX_BW: number;
}

/** Table 13: one logical interface. */
export interface IflObject {
  IFLName: string;
  IFLStats: IflStats;
}

/** Table 12: one LAG in an ECMP group. */
export interface L2EcmpObject {
  AE_IFL_NAME: string;
  NumBuckets: number;
  IFLList: IflObject[];
}

/** Table 11: an L3 ECMP group. */
export interface L3EcmpObject {
  IFLList: IflObject[];
  NumBuckets: number;
  L2EcmpList: L2EcmpObject[];
}

/** Table 9: the ingress side of a hop. */
export interface IngressIflAttribute {
  IFLList: IflObject[];
}

/**
 * Table 10: the egress side of a hop, `{L3Ecmp}` for an ECMP group or LAG, or `{IFLList}` for one plain interface (the
 * form the spec's examples show for single-path hops).
 */
export type EgressIflAttribute = { L3Ecmp: L3EcmpObject } | { IFLList: IflObject[] };

/** Table 8: when the flow's probe reached the node, seconds and microseconds, and the node's clock type. */
export interface TimestampObject {
  TimeStamp: number;
  TimeStamp_usec: number;
  Type: "PTP" | "NTP" | "LCPU";
}

/** How a hop answered (extension `HopStatus`). */
export type HopStatus = "OK" | "NO_TELEMETRY" | "NO_RESPONSE";

/** Table 7: a hop that answered and whose device reported its telemetry (`HopStatus` "OK"). */
export interface AnsweredHop {
  HOP: number;
  DevName: string;
  DevSerialID: string;
  DevCPUUtil: number;
  DevMEMUtil: number;
  /** Round-trip time from the agent, seconds. */
  Latency: number;
  TIMESTAMP: TimestampObject;
  IngressIFLAttribute: IngressIflAttribute;
  EgressIFLAttribute: EgressIflAttribute;
  /** Only when the flow was started with bw_ingress=true and the hop counts the flow. */
  Bandwidth_Counter?: number;
  Bandwidth_ID?: number;
  /** Extension: the egress member this flow hashes to (the physical member for a LAG), when the hop knows it. */
  EgressIFLName?: string;
  /** Extension: the address that answered the probe. */
  HopAddress: string;
  /** Extension. */
  HopStatus: "OK";
}

/** A hop that answered but whose device reported no telemetry: the Table 7 elements the agent measured itself. */
export interface UnmanagedHop {
  HOP: number;
  Latency: number;
  TIMESTAMP: TimestampObject;
  HopAddress: string;
  HopStatus: "NO_TELEMETRY";
}

/** A hop that did not answer after `ntry` tries. */
export interface SilentHop {
  HOP: number;
  HopAddress: null;
  HopStatus: "NO_RESPONSE";
}

/** One element of `Path`. */
export type PathHop = AnsweredHop | UnmanagedHop | SilentHop;

/** Table 6: the body of a successful data/flow or data/tunnel. */
export interface PathObject {
  /** The hops in order (HOP 1 first), up to the hop before the destination. */
  Path: PathHop[];
  /** The flow or tunnel as a Python tuple repr (identifiers.ts). */
  ID: string;
  /** When the round that produced this Path started, epoch seconds. */
  Time: number;
  /** Extension: whether the destination answered in this round (false: the Path ends where the probes went dark). */
  DestinationReached: boolean;
}
