/**
 * The path graph's model, computed from one Path object (no DOM, no cytoscape): the source, one node per hop, the
 * egress of each hop drawn with every ECMP member and every LAG with its member links (the member this flow takes
 * marked `chosen`, from `EgressIFLName`), the destination, and the edges between them, with fixed positions (hops left
 * to right, members spread vertically between two hops).
 */
import type { Hop, Ifl, PathObject } from "./types.ts";

/** Horizontal distance between two hops, pixels of the graph's model space. */
export const HOP_SPACING = 260;
/** Vertical distance between two members of a fan-out. */
export const MEMBER_SPACING = 44;
/** Members stay this far above or below the hops' line, clear of the hops' labels. */
export const MEMBER_CLEARANCE = 68;
/** Horizontal distance from a hop to its egress members (their labels go right, short of the next hop). */
export const MEMBER_OFFSET = 110;

/** What a node stands for. */
export type NodeKind = "source" | "hop" | "member" | "lag" | "destination";

/** One node. */
export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** For hops: its `HOP`; for members and LAGs: the hop they leave. */
  hop?: number;
  /** For hops: `OK`, `NO_TELEMETRY` or `NO_RESPONSE`; for the destination: `reached` or `not-reached`. */
  status?: string;
  /** Members and LAGs: whether this flow takes it. */
  chosen?: boolean;
  /** Members: the interface with its counters. */
  ifl?: Ifl;
  /** LAG members: the LAG node's id. */
  parent?: string;
  /** Position (LAG nodes are placed around their members). */
  x: number;
  y: number;
}

/** One edge. */
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  /** On this flow's way. */
  chosen: boolean;
  /** Nothing is known of it (a silent hop on either end). */
  unknown: boolean;
}

/** The whole graph. */
export interface PathGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

interface Member {
  ifl: Ifl;
  lag?: string;
}

function membersOf(hop: Hop): Member[] | undefined {
  const egress = hop.EgressIFLAttribute;
  if (egress === undefined) return undefined;
  if ("L3Ecmp" in egress) {
    const plain = egress.L3Ecmp.IFLList.map((ifl) => ({ ifl }));
    const lags = egress.L3Ecmp.L2EcmpList.flatMap((lag) => lag.IFLList.map((ifl) => ({ ifl, lag: lag.AE_IFL_NAME })));
    return [...plain, ...lags];
  }
  return egress.IFLList.map((ifl) => ({ ifl }));
}

/** The label of a hop: its device name, else the address that answered, else "no response". */
export function hopLabel(hop: Hop): string {
  if (hop.DevName !== undefined) return hop.DevName;
  if (hop.HopAddress !== null) return hop.HopAddress;
  return "no response";
}

/** Builds the graph of `path` for a trace from `source` to `destination` (addresses, shown at the ends). */
export function buildPathGraph(path: PathObject, source: string, destination: string): PathGraph {
  const nodes: GraphNode[] = [{ id: "source", kind: "source", label: source, x: 0, y: 0 }];
  const edges: GraphEdge[] = [];
  let previous = "source";
  let previousUnknown = false;
  let pending: { from: string; members: Member[] | undefined; hop: Hop } | undefined;

  const connect = (target: string, targetUnknown: boolean) => {
    if (pending === undefined) {
      edges.push({
        id: `e-${previous}-${target}`,
        source: previous,
        target,
        chosen: true,
        unknown: previousUnknown || targetUnknown,
      });
      return;
    }
    const { from, members, hop } = pending;
    const unknown = hop.HopStatus !== "OK" || targetUnknown;
    if (members === undefined || members.length === 0) {
      edges.push({ id: `e-${from}-${target}`, source: from, target, chosen: true, unknown });
    } else if (members.length === 1 && members[0]!.lag === undefined) {
      const only = members[0]!;
      edges.push({ id: `e-${from}-${target}`, source: from, target, label: only.ifl.IFLName, chosen: true, unknown });
    } else {
      addFanOut(nodes, edges, hop, from, target, members, unknown);
    }
  };

  path.Path.forEach((hop, index) => {
    const id = `hop-${hop.HOP}`;
    nodes.push({
      id,
      kind: "hop",
      label: `${hop.HOP}. ${hopLabel(hop)}`,
      hop: hop.HOP,
      status: hop.HopStatus,
      x: (index + 1) * HOP_SPACING,
      y: 0,
    });
    connect(id, hop.HopStatus === "NO_RESPONSE");
    previous = id;
    previousUnknown = hop.HopStatus === "NO_RESPONSE";
    pending = { from: id, members: membersOf(hop), hop };
  });
  nodes.push({
    id: "destination",
    kind: "destination",
    label: destination,
    status: path.DestinationReached ? "reached" : "not-reached",
    x: (path.Path.length + 1) * HOP_SPACING,
    y: 0,
  });
  connect("destination", !path.DestinationReached);
  return { nodes, edges };
}

function addFanOut(
  nodes: GraphNode[],
  edges: GraphEdge[],
  hop: Hop,
  from: string,
  to: string,
  members: Member[],
  unknown: boolean,
): void {
  const fromNode = nodes.find((n) => n.id === from)!;
  const x = fromNode.x + MEMBER_OFFSET;
  const lags = new Map<string, string>();
  // Slots: one per member, plus one before each LAG for its label; the first half above the hops' line, the rest below.
  const slots: number[] = [];
  let count = 0;
  members.forEach((member, i) => {
    if (member.lag !== undefined && member.lag !== members[i - 1]?.lag) count++;
    slots.push(count++);
  });
  const above = Math.ceil(count / 2);
  const yOf = (s: number) =>
    s < above
      ? -(MEMBER_CLEARANCE + (above - 1 - s) * MEMBER_SPACING)
      : MEMBER_CLEARANCE + (s - above) * MEMBER_SPACING;
  members.forEach((member, i) => {
    const y = yOf(slots[i]!);
    const chosen = hop.EgressIFLName === member.ifl.IFLName;
    let parent: string | undefined;
    if (member.lag !== undefined) {
      parent = lags.get(member.lag);
      if (parent === undefined) {
        parent = `lag-${hop.HOP}-${lags.size}`;
        lags.set(member.lag, parent);
        nodes.push({ id: parent, kind: "lag", label: member.lag, hop: hop.HOP, chosen: false, x, y });
      }
      if (chosen) nodes.find((n) => n.id === parent)!.chosen = true;
    }
    const id = `member-${hop.HOP}-${i}`;
    nodes.push({
      id,
      kind: "member",
      label: member.ifl.IFLName,
      hop: hop.HOP,
      chosen,
      ifl: member.ifl,
      ...(parent === undefined ? {} : { parent }),
      x,
      y,
    });
    edges.push({ id: `e-${from}-${id}`, source: from, target: id, chosen, unknown: false });
    edges.push({ id: `e-${id}-${to}`, source: id, target: to, chosen, unknown });
  });
}
