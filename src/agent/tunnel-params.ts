/**
 * The tunnel identifiers of start/tunnel, stop/tunnel and data/tunnel (compute-agent-api.txt, Table 15 and the
 * stop/data resource pages). start/tunnel needs all of `src, dst, sport, vnid, appsrc, appdst, appsmac, appdmac`
 * (Table 15 marks none of them optional); `appmac` is read as `appdmac` (the spec's first start/tunnel example spells it
 * so) and `dport`, present in the spec's example URL but in no table, is accepted as the application's destination port.
 * stop/tunnel and data/tunnel select a tunnel by `src, dst, vnid, appsrc, appdst` and, optionally, `sport`.
 */
import type { TunnelTuple } from "../probe/transport.ts";
import { parsePort } from "./flow-params.ts";
import { parseInteger, parseIpv4, parseMac, type QueryParams, required } from "./query.ts";
import { invalidParameter } from "./return-codes.ts";

/** Largest VXLAN network identifier (24 bits). */
export const MAX_VNID = 0xff_ffff;

/** What start/tunnel identifies: the probe tuple and the optional application destination port. */
export interface TunnelStart {
  tunnel: TunnelTuple;
  /** `dport` of the request (the application's destination port), or null when not given. */
  appDport: number | null;
}

/** What stop/tunnel and data/tunnel name: every identifier but the MAC addresses, `sport` optional. */
export interface TunnelSelector {
  src: string;
  dst: string;
  vnid: number;
  appsrc: string;
  appdst: string;
  /** Outer source port, or null to select the only tunnel matching the others. */
  sport: number | null;
}

/**
 * The selector of stop/tunnel or data/tunnel.
 * @throws CaError EFAIL naming the first missing or invalid parameter.
 */
export function parseTunnelSelector(query: QueryParams): TunnelSelector {
  const src = parseIpv4("src", required(query, "src"));
  const dst = parseIpv4("dst", required(query, "dst"));
  const vnid = parseInteger("vnid", required(query, "vnid"), 0, MAX_VNID);
  const appsrc = parseIpv4("appsrc", required(query, "appsrc"));
  const appdst = parseIpv4("appdst", required(query, "appdst"));
  const sport = query.raw("sport");
  return { src, dst, vnid, appsrc, appdst, sport: sport === undefined ? null : parsePort("sport", sport) };
}

/**
 * The tunnel of start/tunnel.
 * @throws CaError EFAIL naming the first missing or invalid parameter.
 */
export function parseTunnelStart(query: QueryParams): TunnelStart {
  const selector = parseTunnelSelector(query);
  if (selector.sport === null) throw invalidParameter("sport", "missing (required parameter)");
  const appsmac = parseMac("appsmac", required(query, "appsmac"));
  const appdmac = parseMac("appdmac", required(query, "appdmac", "appmac"));
  const dport = query.raw("dport");
  return {
    tunnel: {
      src: selector.src,
      dst: selector.dst,
      sport: selector.sport,
      vnid: selector.vnid,
      appsrc: selector.appsrc,
      appdst: selector.appdst,
      appsmac,
      appdmac,
    },
    appDport: dport === undefined ? null : parsePort("dport", dport),
  };
}
