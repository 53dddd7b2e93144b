/**
 * Per-hop telemetry: what a hop of the path reports about itself and about the flow (compute-agent-api.txt, Tables 7 to
 * 14): device name, serial, CPU and memory, the timestamp type, ingress and egress logical interfaces with their
 * counters, the ECMP group and LAG members of the egress, and on request a counter of the flow itself (`bw_ingress`)
 * and an ERSPAN mirror of it. Implemented by the simulated fabric (`src/sim/`) and, with issue 7, by hopd and SNMP.
 * Rates (TX_PPS, RX_BW...) are computed by the agent from two successive samples, so providers report counters only.
 */
import type { ProbeTarget } from "../probe/transport.ts";

/** Cumulative counters of one logical interface (Table 14 without the rates), as read at `sampledAtMs`. */
export interface InterfaceCounters {
  txPkts: number;
  rxPkts: number;
  txUcPkts: number;
  rxUcPkts: number;
  txBcPkts: number;
  rxBcPkts: number;
  txMcPkts: number;
  rxMcPkts: number;
  txCrcError: number;
  rxCrcError: number;
  txDropPkt: number;
  rxDropPkt: number;
  txBytes: number;
  rxBytes: number;
  /** When the counters were read, epoch milliseconds. */
  sampledAtMs: number;
}

/** All-zero counters sampled at `sampledAtMs`. */
export function zeroCounters(sampledAtMs: number): InterfaceCounters {
  return {
    txPkts: 0,
    rxPkts: 0,
    txUcPkts: 0,
    rxUcPkts: 0,
    txBcPkts: 0,
    rxBcPkts: 0,
    txMcPkts: 0,
    rxMcPkts: 0,
    txCrcError: 0,
    rxCrcError: 0,
    txDropPkt: 0,
    rxDropPkt: 0,
    txBytes: 0,
    rxBytes: 0,
    sampledAtMs,
  };
}

/** One logical interface (Table 13) with its counters. */
export interface LogicalInterface {
  /** Junos-style name, e.g. `xe-0/0/2.0`, `ae0.0`. */
  name: string;
  counters: InterfaceCounters;
}

/** A LAG in an ECMP group (Table 12). */
export interface L2Ecmp {
  /** Aggregated logical interface, e.g. `ae0.0`. */
  aeName: string;
  /** Member links. */
  members: LogicalInterface[];
  /** Hash buckets of the LAG. */
  numBuckets: number;
}

/** The egress side of a hop (Table 10/11): one interface, or an L3 ECMP group whose members may be LAGs. */
export interface EgressAttribute {
  /** The ECMP group's members (plain next-hop interfaces); a single-path egress has exactly one and no `l2Ecmp`. */
  members: LogicalInterface[];
  /** Hash buckets of the L3 ECMP group (1 for a single path). */
  numBuckets: number;
  /** Members that are LAGs. */
  l2Ecmp: L2Ecmp[];
  /** flowlens extension: the member this flow hashes to (an interface name, the physical member for a LAG). */
  chosen?: string;
}

/** What one hop reports. */
export interface HopTelemetry {
  devName: string;
  devSerialId: string;
  /** Utilisation, percent (0-100, decimals allowed). */
  cpuUtil: number;
  memUtil: number;
  /** How the hop's clock is synchronised (Table 8 `Type`). */
  timestampType: "PTP" | "NTP" | "LCPU";
  /** Ingress logical interface(s) of the flow at this hop (Table 9). */
  ingress: LogicalInterface[];
  egress: EgressAttribute;
  /** The flow's packet counter at this hop when bw_ingress is on (`Bandwidth_Counter`, `Bandwidth_ID`). */
  bandwidth?: { counter: number; id: number };
}

/** What the agent asks of a hop. */
export interface HopQuery {
  /** Address that answered the probe for this hop (its ingress interface address). */
  responder: string;
  /** The next hop's responder address, when known (lets a provider infer the egress interface). */
  nextResponder?: string;
  /** The traced flow or tunnel. */
  target: ProbeTarget;
  /** Whether to read (installing if needed) the flow's counter at this hop. */
  bwIngress: boolean;
}

/** Mirroring request of start/flow (`mirror_type`, `mirror_dir`, `mirror_analyzer`). */
export interface MirrorRequest {
  /** Spec values, e.g. `erspan`. */
  type: string;
  /** `ingress`, `egress` or `both`. */
  direction: string;
  /** Analyzer IPv4 address. */
  analyzer: string;
}

/** Answers telemetry queries for hops. */
export interface TelemetryProvider {
  readonly name: string;
  /** Telemetry of the hop that answered as `query.responder`; null when this provider knows nothing of it. */
  hop(query: HopQuery): Promise<HopTelemetry | null>;
  /** Starts mirroring the flow at every hop the provider controls (idempotent for the same target). */
  startMirror(target: ProbeTarget, mirror: MirrorRequest): Promise<void>;
  /** Removes the flow's counters and mirror sessions (stop/flow, stop/tunnel). */
  release(target: ProbeTarget): Promise<void>;
  close(): Promise<void>;
}
