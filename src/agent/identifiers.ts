/**
 * How flows and tunnels are named: registry keys, the `ID` element of the Path object (a string holding a Python tuple
 * repr, compute-agent-api.txt Table 6: `"('10.1.1.1', '10.1.7.1', 6, 4567, 9000)"`), and the tuples of active/flow
 * (`[DIP, SIP, PROTO, SPORT, DPORT]`) and active/tunnel (`[VTEP src IP, VTEP dst IP, VM dst IP, VM src IP, VXLAN ID,
 * outer source port]`, Table 25).
 */
import type { FlowTuple, TunnelTuple } from "../probe/transport.ts";

/** IANA protocol numbers of the traced protocols (the ID tuple carries the number: TCP = 6, UDP = 17). */
export const IANA_PROTOCOL = { tcp: 6, udp: 17 } as const;

/** One element of a Python tuple repr: a string (quoted) or a number. */
export type TupleElement = string | number;

/** Python's `repr` of a str: single quotes, unless the text holds `'` and no `"`; backslash escapes otherwise. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch === "\\" || ch === quote) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch < " " || ch === "\x7f") out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr` of a tuple of strings and integers: `('a', 1)`; one element keeps its trailing comma: `('a',)`. */
export function pythonTupleRepr(elements: readonly TupleElement[]): string {
  const parts = elements.map((e) => (typeof e === "string" ? pythonStringRepr(e) : String(e)));
  return `(${parts.join(", ")}${parts.length === 1 ? "," : ""})`;
}

/** The `ID` of a data/flow Path: (source IP, destination IP, protocol number, source port, destination port). */
export function flowIdString(flow: FlowTuple): string {
  return pythonTupleRepr([flow.src, flow.dst, IANA_PROTOCOL[flow.proto], flow.sport, flow.dport]);
}

/**
 * The `ID` of a data/tunnel Path, as Table 16 orders it: (VTEP source IP, VTEP destination IP, VXLAN ID, application
 * source IP, application destination IP). The spec's example shows another order; docs/api.md explains the choice.
 */
export function tunnelIdString(tunnel: TunnelTuple): string {
  return pythonTupleRepr([tunnel.src, tunnel.dst, tunnel.vnid, tunnel.appsrc, tunnel.appdst]);
}

/** active/flow's tuple of one flow: `[DIP, SIP, PROTO, SPORT, DPORT]`, PROTO lower case as in the spec's example. */
export function activeFlowTuple(flow: FlowTuple): [string, string, string, number, number] {
  return [flow.dst, flow.src, flow.proto, flow.sport, flow.dport];
}

/** active/tunnel's tuple of one tunnel: `[VTEP src IP, VTEP dst IP, VM dst IP, VM src IP, VXLAN ID, outer sport]`. */
export function activeTunnelTuple(tunnel: TunnelTuple): [string, string, string, string, number, number] {
  return [tunnel.src, tunnel.dst, tunnel.appdst, tunnel.appsrc, tunnel.vnid, tunnel.sport];
}

/** The registry key of a flow (its 5-tuple). */
export function flowKey(flow: FlowTuple): string {
  return `flow|${flow.src}|${flow.dst}|${flow.proto}|${flow.sport}|${flow.dport}`;
}

/** The registry key of a tunnel without its outer source port (what stop/data may leave out). */
export function tunnelBaseKey(t: { src: string; dst: string; vnid: number; appsrc: string; appdst: string }): string {
  return `tunnel|${t.src}|${t.dst}|${t.vnid}|${t.appsrc}|${t.appdst}`;
}

/** The registry key of a tunnel (its 6-tuple: the base key and the outer source port). */
export function tunnelKey(t: TunnelTuple): string {
  return `${tunnelBaseKey(t)}|${t.sport}`;
}
