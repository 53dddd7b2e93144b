/**
 * The shapes the dashboard reads, mirroring the agent's Path object (src/agent/path-object.ts, docs/api.md) and the
 * collector admin API's bodies (src/collector/status.ts, docs/collector.md). Browser code may import only src/wire
 * (DESIGN.md), so these are declared here; keep them in step with those files.
 */

/** Table 14: the counters of one logical interface; `*_PPS` packets/s, `*_BW` bytes/s. */
export interface IflStats {
  TX_PKTS: number;
  RX_PKTS: number;
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
  [counter: string]: number;
}

/** Table 13. */
export interface Ifl {
  IFLName: string;
  IFLStats: IflStats;
}

/** Table 12: a LAG. */
export interface L2Ecmp {
  AE_IFL_NAME: string;
  NumBuckets: number;
  IFLList: Ifl[];
}

/** Table 10: `{L3Ecmp}` (ECMP group or LAG) or `{IFLList}` (one plain interface). */
export type Egress = { L3Ecmp: { IFLList: Ifl[]; NumBuckets: number; L2EcmpList: L2Ecmp[] } } | { IFLList: Ifl[] };

/** One element of `Path`: answered with telemetry (`OK`), answered without (`NO_TELEMETRY`), or silent. */
export interface Hop {
  HOP: number;
  HopStatus: "OK" | "NO_TELEMETRY" | "NO_RESPONSE";
  HopAddress: string | null;
  DevName?: string;
  DevSerialID?: string;
  DevCPUUtil?: number;
  DevMEMUtil?: number;
  /** Round-trip time, seconds. */
  Latency?: number;
  TIMESTAMP?: { TimeStamp: number; TimeStamp_usec: number; Type: string };
  IngressIFLAttribute?: { IFLList: Ifl[] };
  EgressIFLAttribute?: Egress;
  Bandwidth_Counter?: number;
  Bandwidth_ID?: number;
  /** The egress member this flow hashes to (the physical link for a LAG). */
  EgressIFLName?: string;
}

/** Table 6. */
export interface PathObject {
  Path: Hop[];
  ID: string;
  /** Epoch seconds. */
  Time: number;
  DestinationReached: boolean;
}

/** A flow 5-tuple as the agent publishes it. */
export interface FlowTuple {
  src: string;
  dst: string;
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
}

/** A tunnel tuple as the agent publishes it. */
export interface TunnelTuple {
  src: string;
  dst: string;
  sport: number;
  vnid: number;
  appsrc: string;
  appdst: string;
  appsmac: string;
  appdmac: string;
}

/** One SSE `round` event of `/api/ui/events`. */
export interface RoundEvent {
  key: string;
  kind: "flow" | "tunnel";
  id: string;
  tuple: FlowTuple | TunnelTuple;
  outcome: "complete" | "incomplete";
  path: PathObject;
}

/** One group of list/flow. */
export interface ListedFlowGroup {
  SIP: string;
  DIP: string;
  PROTO: string;
  PORTS: (string | number)[][];
}

/** A collector figure with its rates. */
export interface RateValue {
  total: number;
  perSecond: number;
  peakPerSecond: number;
}

/** One export channel. */
export interface ChannelStatus {
  channel: 0 | 1;
  currentServer: "primary" | "secondary";
  primaryState: string;
  secondaryState: string;
  primaryUrl: string;
  secondaryUrl: string | null;
  queuedFiles: number;
}

/** One collector input. */
export interface InputStatus {
  name: string;
  exporter: string;
  packets: number;
  bytes: number;
  flows: number;
  sequence: { inOrder: number; lost: number; outOfOrder: number; resets: number };
}

/** One record file. */
export interface FileStatus {
  name: string;
  input: string;
  channel: 0 | 1;
  state: string;
  records: RateValue;
  uncompressedBytes: RateValue;
  compressedBytes: RateValue;
  compressedBlocks: number;
  blockCount: number;
  transferAttempts: number;
}

/** One collector interface (`GET /api/v1/interfaces`). */
export interface InterfaceStatus {
  name: string;
  state: string;
  listeners: { address: string; receiveBuffer: number }[];
  memory: { used: number; free: number };
  input: { packets: RateValue; bytes: RateValue; flowRecords: RateValue };
  files: { created: RateValue; exported: RateValue; destroyed: RateValue };
  throughput: { uncompressedBytes: RateValue; compressedBytes: RateValue };
  drops: Record<string, number>;
  fileTransfer: { ftpBytes: RateValue; ftpFiles: RateValue; ftpFailure: number };
  diskErrors: number;
  exportChannels: ChannelStatus[];
  inputs: InputStatus[];
}
