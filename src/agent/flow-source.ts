/**
 * Where list/flow's flows come from (compute-agent-api.txt, "GET list/flow Resource"): a {@link FlowSource} reports the
 * flows sniffed on the CA host (the host's sockets, proc-net-flows.ts) or the flows of the simulated fabric, and
 * {@link listFlows} groups them as Table 4 lays them out: one object per `SIP, DIP, PROTO` with `PORTS` tuples of 3
 * values `[timestamp, dport, sport]` (non-overlay) or 11 values (overlay), filtered to the last 60 seconds with
 * `active=True`.
 */

/** The inner (VM) flow of an overlay (VXLAN) flow. */
export interface OverlayFlow {
  vnid: number;
  /** VM MAC addresses, `aa:bb:cc:dd:ee:ff`. */
  vmSmac: string;
  vmDmac: string;
  vmSip: string;
  vmDip: string;
  vmProto: "tcp" | "udp";
  vmSport: number;
  vmDport: number;
}

/** One flow sniffed on the host (outer header for an overlay flow). */
export interface SniffedFlow {
  sip: string;
  dip: string;
  proto: "tcp" | "udp";
  sport: number;
  dport: number;
  /** When the flow was first detected, epoch ms (the PORTS timestamp). */
  firstSeenMs: number;
  /** When the flow was last seen active, epoch ms (what `active=True` filters on). */
  lastSeenMs: number;
  /** Present for a VXLAN flow. */
  overlay?: OverlayFlow;
}

/** Reports the flows of the CA host. */
export interface FlowSource {
  /** `proc`, `sim`... */
  readonly name: string;
  /** Every flow known, active or not; may throw (list/flow then answers EFAIL). */
  flows(): Promise<readonly SniffedFlow[]> | readonly SniffedFlow[];
  /** Stops background sniffing, if any. */
  close?(): void | Promise<void>;
}

/** `active=True` keeps flows seen in this window (60 seconds). */
export const ACTIVE_WINDOW_MS = 60_000;

/** A non-overlay PORTS tuple: timestamp (epoch s), destination port, source port. */
export type PortsTuple3 = [number, number, number];
/** An overlay PORTS tuple of 11 values (Table 4). */
export type PortsTuple11 = [number, number, number, number, string, string, string, string, string, number, number];

/** One element of `FLOWS`. */
export interface ListedFlowGroup {
  SIP: string;
  DIP: string;
  /** `TCP` or `UDP`, upper case as in the spec's examples. */
  PROTO: string;
  PORTS: (PortsTuple3 | PortsTuple11)[];
}

function portsTuple(flow: SniffedFlow): PortsTuple3 | PortsTuple11 {
  const ts = flow.firstSeenMs / 1000;
  const o = flow.overlay;
  if (o === undefined) return [ts, flow.dport, flow.sport];
  return [
    ts,
    flow.dport,
    flow.sport,
    o.vnid,
    o.vmSmac,
    o.vmDmac,
    o.vmSip,
    o.vmDip,
    o.vmProto.toUpperCase(),
    o.vmSport,
    o.vmDport,
  ];
}

/**
 * The `FLOWS` list of list/flow: groups in order of first appearance, tuples ordered by timestamp; with `activeOnly`,
 * only flows whose `lastSeenMs` is within {@link ACTIVE_WINDOW_MS} of `now`.
 */
export function listFlows(flows: readonly SniffedFlow[], activeOnly: boolean, now: number): ListedFlowGroup[] {
  const groups = new Map<
    string,
    { group: ListedFlowGroup; sorted: { at: number; tuple: PortsTuple3 | PortsTuple11 }[] }
  >();
  for (const flow of flows) {
    if (activeOnly && now - flow.lastSeenMs > ACTIVE_WINDOW_MS) continue;
    const proto = flow.proto.toUpperCase();
    const key = `${flow.sip}|${flow.dip}|${proto}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { group: { SIP: flow.sip, DIP: flow.dip, PROTO: proto, PORTS: [] }, sorted: [] };
      groups.set(key, g);
    }
    g.sorted.push({ at: flow.firstSeenMs, tuple: portsTuple(flow) });
  }
  return [...groups.values()].map(({ group, sorted }) => {
    sorted.sort((a, b) => a.at - b.at);
    group.PORTS = sorted.map((s) => s.tuple);
    return group;
  });
}
