/**
 * The probe transport: how the agent sends probes that carry a flow's exact tuple with the TTL walking out hop by hop,
 * and learns who answered (compute-agent-api.txt, "Flow path analytics"). Implemented by the simulated fabric
 * (`src/sim/`) and, with issue 6, by raw packets through the privileged helper (`raw`). The agent depends only on this.
 */

/** A non-overlay application flow (start/flow): the 5-tuple probes must carry. */
export interface FlowTuple {
  /** Source and destination IPv4 addresses, dotted quads. */
  src: string;
  dst: string;
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
}

/** A VXLAN tunnel flow (start/tunnel): outer VTEP addresses and source port, VNI, and the inner application flow. */
export interface TunnelTuple {
  /** VTEP source and destination IPv4 addresses (outer header). */
  src: string;
  dst: string;
  /** Outer UDP source port (the destination port is 4789). */
  sport: number;
  /** VXLAN network identifier, 24 bits. */
  vnid: number;
  /** Inner (application) IPv4 addresses and MAC addresses (`aa:bb:cc:dd:ee:ff`). */
  appsrc: string;
  appdst: string;
  appsmac: string;
  appdmac: string;
}

/** What is probed: a flow (with its UDP checksum policy) or a tunnel. */
export type ProbeTarget =
  | { kind: "flow"; flow: FlowTuple; checksum: boolean }
  | { kind: "tunnel"; tunnel: TunnelTuple };

/** How one TTL's probe ended. */
export type ProbeOutcome =
  /** A router answered ICMP Time Exceeded: `responder` is the hop (its ingress interface address). */
  | "time-exceeded"
  /** The destination answered (ICMP port unreachable, a TCP answer, or the tunnel endpoint). */
  | "destination"
  /**
   * A router (not the destination) answered ICMP Destination Unreachable (network, host, administratively
   * prohibited...): `responder` is that router, `unreachableCode` the ICMP code. Probes go no further than it.
   */
  | "unreachable"
  /** Nothing matched this probe within the timeout. */
  | "timeout";

/** The answer to one probe. */
export interface ProbeReply {
  /** The TTL the probe was sent with (1..255). */
  ttl: number;
  outcome: ProbeOutcome;
  /** Source address of the answer (a router interface, or the destination), null on timeout. */
  responder: string | null;
  /** Round-trip time, seconds (null on timeout). */
  rttSeconds: number | null;
  /** When the answer was received (kernel timestamp where available), epoch seconds and microseconds. */
  receivedAt: { sec: number; usec: number } | null;
  /**
   * For `unreachable` only: the ICMP Destination Unreachable code (RFC 792, RFC 1812: 0 net, 1 host, 9/10 net/host
   * administratively prohibited, 13 communication administratively prohibited...). Absent otherwise.
   */
  unreachableCode?: number;
}

/** RFC 792 / RFC 1812 name of an ICMP Destination Unreachable code (`code-N` for one without a name). */
export function unreachableCodeName(code: number): string {
  return UNREACHABLE_CODE_NAMES[code] ?? `code-${code}`;
}

const UNREACHABLE_CODE_NAMES: Readonly<Record<number, string>> = {
  0: "net-unreachable",
  1: "host-unreachable",
  2: "protocol-unreachable",
  3: "port-unreachable",
  4: "fragmentation-needed",
  5: "source-route-failed",
  6: "net-unknown",
  7: "host-unknown",
  9: "net-prohibited",
  10: "host-prohibited",
  11: "net-unreachable-for-tos",
  12: "host-unreachable-for-tos",
  13: "admin-prohibited",
  14: "host-precedence-violation",
  15: "precedence-cutoff",
};

/** Options of one batch of probes. */
export interface ProbeBatchOptions {
  /** The TTLs to probe in this batch, sent together. */
  ttls: readonly number[];
  /** How long to wait for answers after the last probe is sent, milliseconds. */
  timeoutMs: number;
  /** 1 for the first try, counting up for retries (transports may vary the probe identity). */
  attempt: number;
  /** Aborts the batch (a stop/flow): pending TTLs resolve as timeouts. */
  signal?: AbortSignal;
}

/** Sends probes and matches their answers. */
export interface ProbeTransport {
  /** `sim` or `raw`. */
  readonly name: string;
  /** True when the network is a simulation (reported in `/version` and the dashboard). */
  readonly simulated: boolean;
  /** Sends one probe per TTL of `options.ttls` for `target` and resolves with one reply per TTL, in TTL order. */
  probe(target: ProbeTarget, options: ProbeBatchOptions): Promise<ProbeReply[]>;
  /** Releases sockets / helper processes. */
  close(): Promise<void>;
}
