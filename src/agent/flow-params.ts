/**
 * The 5-tuple of start/flow, stop/flow and data/flow (compute-agent-api.txt, Table 5 and "GET stop/flow Resource"):
 * `src` and `dst` required IPv4 addresses, `proto` tcp or udp in any case (default udp), `sport` and `dport` (default
 * 33434 each).
 */
import type { FlowTuple } from "../probe/transport.ts";
import { DEFAULT_PORT, DEFAULT_PROTO } from "./collection-params.ts";
import { parseChoice, parseInteger, parseIpv4, type QueryParams, required } from "./query.ts";

/** Protocols the CA API traces, lower case. */
export const FLOW_PROTOCOLS = ["tcp", "udp"] as const;

/**
 * A port parameter, 1 to 65535.
 * @throws CaError EFAIL naming the parameter.
 */
export function parsePort(name: string, value: string): number {
  return parseInteger(name, value, 1, 65_535);
}

/**
 * The flow 5-tuple of a request, defaults applied.
 * @throws CaError EFAIL naming the first missing or invalid parameter.
 */
export function parseFlowTuple(query: QueryParams): FlowTuple {
  const src = parseIpv4("src", required(query, "src"));
  const dst = parseIpv4("dst", required(query, "dst"));
  const proto = query.raw("proto");
  const sport = query.raw("sport");
  const dport = query.raw("dport");
  return {
    src,
    dst,
    proto: proto === undefined ? DEFAULT_PROTO : parseChoice("proto", proto, FLOW_PROTOCOLS),
    sport: sport === undefined ? DEFAULT_PORT : parsePort("sport", sport),
    dport: dport === undefined ? DEFAULT_PORT : parsePort("dport", dport),
  };
}
