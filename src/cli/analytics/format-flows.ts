/**
 * `show analytics flows`: what list/flow discovered (compute-agent-api.txt, Table 4; grouped by SIP, DIP, PROTO with
 * one PORTS tuple per flow) and the requester's active traces (active/flow, active/tunnel: Table 25), as Junos-style
 * text. Pure functions.
 *
 * - `terse` (default): one line per flow (overlay flows with their VNI), `Traced` naming the active trace it matches,
 *   then the table of active traces.
 * - `detail`: one block per flow with its first-seen time and, for VXLAN, the inner (VM) addresses, ports and MACs; then
 *   one line per active trace.
 * - `extensive`: `detail` with the last round of every active trace (from data/flow and data/tunnel).
 *
 * With `originator all` the traces are every Originator's (the flowlens extension `GET /api/v1/traces`), and each one
 * also shows its owner and state: an `Originator` and a `State` column in `terse`, `Owner` and `State` lines in
 * `detail` and `extensive`.
 */
import type { ListedFlowGroup, PortsTuple11 } from "../../agent/flow-source.ts";
import { alignColumns, type ColumnSpec, indent } from "../junos/columns.ts";
import { type AnalyticsLevel, protocolWithNumber, utcTime, utcTimeMs } from "./format-units.ts";

/** active/flow's tuple: `[DIP, SIP, PROTO, SPORT, DPORT]`. */
export type ActiveFlowTuple = [string, string, string, number, number];
/** active/tunnel's tuple: `[VTEP src, VTEP dst, VM dst, VM src, VNI, sport]`. */
export type ActiveTunnelTuple = [string, string, string, string, number, number];

/** The last round of an active trace, for `extensive`: its Path's summary, or why there is none. */
export type LastRound =
  | { readonly kind: "path"; readonly time: number; readonly hops: number; readonly reached: boolean }
  | { readonly kind: "none"; readonly reason: string };

/** Who owns a trace and how it runs (`originator all`, from `GET /api/v1/traces`). */
export interface TraceOwner {
  /** The Originator it was started with, or null. */
  readonly originator: string | null;
  /** The client address that started it. */
  readonly address: string;
  readonly state: "active" | "stopping";
  /** Seconds between rounds. */
  readonly sfreq: number;
  /** Whether a modification waits for the next round. */
  readonly pending: boolean;
}

/** What `show analytics flows` shows. */
export interface FlowsView {
  readonly flows: readonly ListedFlowGroup[];
  readonly activeFlows: readonly ActiveFlowTuple[];
  readonly activeTunnels: readonly ActiveTunnelTuple[];
  /** Whose active traces these are, e.g. `originator ops` or `this address, no originator`. */
  readonly requester: string;
  /** Only with `extensive`: the last round of each active flow, then of each active tunnel, in the same order. */
  readonly flowRounds?: readonly LastRound[];
  readonly tunnelRounds?: readonly LastRound[];
  /** Only with `originator all`: the owner of each active flow, then of each active tunnel, in the same order. */
  readonly owners?: { readonly flows: readonly TraceOwner[]; readonly tunnels: readonly TraceOwner[] };
}

/** One flow of list/flow, ungrouped. */
interface SeenFlow {
  sip: string;
  dip: string;
  proto: string;
  sport: number;
  dport: number;
  firstSeen: number;
  overlay?: {
    vni: number;
    smac: string;
    dmac: string;
    sip: string;
    dip: string;
    proto: string;
    sport: number;
    dport: number;
  };
}

function ungroup(groups: readonly ListedFlowGroup[]): SeenFlow[] {
  return groups.flatMap((g) =>
    g.PORTS.map((p): SeenFlow => {
      const base = { sip: g.SIP, dip: g.DIP, proto: g.PROTO, firstSeen: p[0], dport: p[1], sport: p[2] };
      if (p.length === 3) return base;
      const o = p as PortsTuple11;
      const overlay = {
        vni: o[3],
        smac: o[4],
        dmac: o[5],
        sip: o[6],
        dip: o[7],
        proto: o[8],
        sport: o[9],
        dport: o[10],
      };
      return { ...base, overlay };
    }),
  );
}

/** The kind of active trace `f` matches, or undefined. */
function tracedBy(f: SeenFlow, view: FlowsView): "flow" | "tunnel" | undefined {
  const proto = f.proto.toLowerCase();
  if (
    view.activeFlows.some(([dip, sip, p, sport, dport]) => {
      return dip === f.dip && sip === f.sip && p === proto && sport === f.sport && dport === f.dport;
    })
  ) {
    return "flow";
  }
  const o = f.overlay;
  if (
    o !== undefined &&
    view.activeTunnels.some(([src, dst, appdst, appsrc, vni, sport]) => {
      return (
        src === f.sip && dst === f.dip && appdst === o.dip && appsrc === o.sip && vni === o.vni && sport === f.sport
      );
    })
  ) {
    return "tunnel";
  }
  return undefined;
}

/** Source, Sport, Destination, Dport, Proto, VNI: the columns both tables of `terse` print. */
const TUPLE_COLUMNS: readonly ColumnSpec[] = [
  { align: "left", width: 15 },
  { align: "right", width: 5 },
  { align: "left", width: 15 },
  { align: "right", width: 5 },
  { align: "left", width: 5 },
  { align: "right", width: 3 },
];

/** The flow table: the tuple, First seen, Traced. */
const FLOW_COLUMNS: readonly ColumnSpec[] = [
  ...TUPLE_COLUMNS,
  { align: "left", width: 10 },
  { align: "left", width: 6 },
];

/** The active trace table: Kind, the tuple, App source, App destination. */
const ACTIVE_COLUMNS: readonly ColumnSpec[] = [
  { align: "left", width: 6 },
  ...TUPLE_COLUMNS,
  { align: "left", width: 10 },
  { align: "left", width: 15 },
];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function activeHeading(view: FlowsView): string {
  const counts = `${plural(view.activeFlows.length, "flow")}, ${plural(view.activeTunnels.length, "tunnel")}`;
  return `Active traces (${view.requester}): ${counts}`;
}

/** The active trace table with owners: Kind, Originator, the tuple, App source, App destination, State. */
const OWNED_COLUMNS: readonly ColumnSpec[] = [
  { align: "left", width: 6 },
  { align: "left", width: 10 },
  ...ACTIVE_COLUMNS.slice(1),
  { align: "left", width: 5 },
];

function ownerName(owner: TraceOwner | undefined): string {
  return owner?.originator ?? "-";
}

function stateText(owner: TraceOwner): string {
  return owner.pending ? `${owner.state}, change pending` : owner.state;
}

/** `activeRows` with each trace's Originator after its kind and its state last. */
function ownedRows(view: FlowsView, owners: NonNullable<FlowsView["owners"]>): string[][] {
  const all = [...owners.flows, ...owners.tunnels];
  return activeRows(view).map(([kind, ...rest], i) => {
    const owner = all[i];
    return [kind!, ownerName(owner), ...rest, owner === undefined ? "" : stateText(owner)];
  });
}

function activeRows(view: FlowsView): string[][] {
  return [
    ...view.activeFlows.map(([dip, sip, proto, sport, dport]) => [
      "flow",
      sip,
      String(sport),
      dip,
      String(dport),
      proto.toUpperCase(),
      "",
      "",
      "",
    ]),
    ...view.activeTunnels.map(([src, dst, appdst, appsrc, vni, sport]) => [
      "tunnel",
      src,
      String(sport),
      dst,
      "",
      "UDP",
      String(vni),
      appsrc,
      appdst,
    ]),
  ];
}

/** `terse`: the flow table and the active trace table. */
export function formatFlowsTerse(view: FlowsView): string[] {
  const flows = ungroup(view.flows);
  const rows = flows.map((f) => [
    f.sip,
    String(f.sport),
    f.dip,
    String(f.dport),
    f.proto,
    f.overlay === undefined ? "" : String(f.overlay.vni),
    utcTime(f.firstSeen),
    tracedBy(f, view) ?? "",
  ]);
  const header = ["Source", "Sport", "Destination", "Dport", "Proto", "VNI", "First seen", "Traced"];
  const activeHeader = [
    "Kind",
    "Source",
    "Sport",
    "Destination",
    "Dport",
    "Proto",
    "VNI",
    "App source",
    "App destination",
  ];
  const none = view.activeFlows.length + view.activeTunnels.length === 0;
  const owners = view.owners;
  let active: string[];
  if (none) active = [];
  else if (owners === undefined) active = alignColumns(ACTIVE_COLUMNS, [activeHeader, ...activeRows(view)]);
  else {
    const ownedHeader = [activeHeader[0]!, "Originator", ...activeHeader.slice(1), "State"];
    active = alignColumns(OWNED_COLUMNS, [ownedHeader, ...ownedRows(view, owners)]);
  }
  return [
    `Flows seen: ${flows.length}`,
    ...(flows.length === 0 ? [] : alignColumns(FLOW_COLUMNS, [header, ...rows])),
    activeHeading(view),
    ...active,
  ];
}

function flowBlock(f: SeenFlow, view: FlowsView): string[] {
  const o = f.overlay;
  const traced = tracedBy(f, view);
  return [
    `Flow: ${f.sip}:${f.sport} -> ${f.dip}:${f.dport}, ${protocolWithNumber(f.proto)}${o === undefined ? "" : `, VXLAN VNI ${o.vni}`}`,
    ...indent([
      `First seen: ${utcTime(f.firstSeen)}`,
      ...(o === undefined
        ? []
        : [
            `Overlay: ${o.sip}:${o.sport} -> ${o.dip}:${o.dport}, ${protocolWithNumber(o.proto)}`,
            `Overlay MAC: ${o.smac} -> ${o.dmac}`,
          ]),
      `Traced: ${traced === undefined ? "no" : `yes (${traced})`}`,
    ]),
  ];
}

function roundLine(round: LastRound | undefined): string[] {
  if (round === undefined) return [];
  if (round.kind === "none") return [`  Last round: none (${round.reason})`];
  const reached = round.reached ? "destination reached" : "destination not reached";
  return [`  Last round: ${utcTimeMs(round.time)}, ${reached}, ${plural(round.hops, "hop")}`];
}

/** The `Owner` and `State` lines of a trace (only with `originator all`). */
function ownerLines(owner: TraceOwner | undefined): string[] {
  if (owner === undefined) return [];
  const who =
    owner.originator === null
      ? `no originator, address ${owner.address}`
      : `originator ${owner.originator}, address ${owner.address}`;
  return [`  Owner: ${who}`, `  State: ${stateText(owner)}, a round every ${owner.sfreq} s`];
}

function activeBlocks(view: FlowsView): string[] {
  return [
    activeHeading(view),
    ...view.activeFlows.flatMap(([dip, sip, proto, sport, dport], i) => [
      `Flow trace: ${sip}:${sport} -> ${dip}:${dport}, ${protocolWithNumber(proto)}`,
      ...ownerLines(view.owners?.flows[i]),
      ...roundLine(view.flowRounds?.[i]),
    ]),
    ...view.activeTunnels.flatMap(([src, dst, appdst, appsrc, vni, sport], i) => [
      `Tunnel trace: ${src} -> ${dst}, sport ${sport}, VNI ${vni}, application ${appsrc} -> ${appdst}`,
      ...ownerLines(view.owners?.tunnels[i]),
      ...roundLine(view.tunnelRounds?.[i]),
    ]),
  ];
}

/** `detail` and `extensive` (the latter when the view carries the last rounds). */
export function formatFlowsBlocks(view: FlowsView): string[] {
  const flows = ungroup(view.flows);
  return [`Flows seen: ${flows.length}`, ...flows.flatMap((f) => flowBlock(f, view)), ...activeBlocks(view)];
}

/** The whole output for `level` (default `terse`). */
export function formatFlows(view: FlowsView, level: AnalyticsLevel = "terse"): string[] {
  return level === "terse" ? formatFlowsTerse(view) : formatFlowsBlocks(view);
}
