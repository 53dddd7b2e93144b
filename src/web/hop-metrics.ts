/**
 * Figures derived from hops for colouring the path graph and for the time series: latency in milliseconds, the egress
 * interface the flow takes, drop counts, and rates from two consecutive rounds (flow bandwidth from the per-hop
 * `Bandwidth_Counter`).
 */
import type { Hop, Ifl, PathObject } from "./types.ts";

/** What the path graph colours hops by. */
export type ColourMode = "latency" | "utilisation" | "drops";

/** The round-trip time of a hop in milliseconds, undefined for a silent hop. */
export function latencyMs(hop: Hop): number | undefined {
  return hop.Latency === undefined ? undefined : hop.Latency * 1000;
}

/** The egress interface this flow takes at `hop`: the `EgressIFLName` member, or the only plain interface. */
export function chosenEgress(hop: Hop): Ifl | undefined {
  const egress = hop.EgressIFLAttribute;
  if (egress === undefined) return undefined;
  const all =
    "L3Ecmp" in egress
      ? [...egress.L3Ecmp.IFLList, ...egress.L3Ecmp.L2EcmpList.flatMap((l) => l.IFLList)]
      : egress.IFLList;
  if (hop.EgressIFLName !== undefined) return all.find((i) => i.IFLName === hop.EgressIFLName);
  return all.length === 1 ? all[0] : undefined;
}

/** Drop and CRC-error counters of the hop's ingress and chosen egress interfaces, summed (packets, since start). */
export function dropCount(hop: Hop): number | undefined {
  const ifls = [...(hop.IngressIFLAttribute?.IFLList ?? []), ...[chosenEgress(hop)].filter((i) => i !== undefined)];
  if (ifls.length === 0) return undefined;
  let sum = 0;
  for (const { IFLStats: s } of ifls) sum += s.TX_DROPPKT + s.RX_DROPPKT + s.TX_CRCERROR + s.RX_CRCERROR;
  return sum;
}

/** The same hop (same `HOP` and device) in an earlier round, if any. */
export function sameHop(previous: PathObject | undefined, hop: Hop): Hop | undefined {
  const before = previous?.Path.find((h) => h.HOP === hop.HOP);
  return before !== undefined && before.DevName === hop.DevName ? before : undefined;
}

/** Drops since the previous round (or since start without one). */
export function dropsSince(hop: Hop, previousHop: Hop | undefined): number | undefined {
  const now = dropCount(hop);
  if (now === undefined) return undefined;
  const before = previousHop === undefined ? undefined : dropCount(previousHop);
  return before === undefined || before > now ? now : now - before;
}

/** The flow's rate at a hop from two rounds' `Bandwidth_Counter`, per second; undefined without both counters. */
export function flowRate(
  hop: Hop,
  time: number,
  previousHop: Hop | undefined,
  previousTime: number,
): number | undefined {
  const now = hop.Bandwidth_Counter;
  const before = previousHop?.Bandwidth_Counter;
  if (now === undefined || before === undefined || time <= previousTime || now < before) return undefined;
  return (now - before) / (time - previousTime);
}

/** The figure a hop is coloured by, with the thresholds of amber and red. */
export function colourFigure(
  mode: ColourMode,
  hop: Hop,
  previousHop: Hop | undefined,
): { value: number | undefined; amber: number; red: number; unit: string } {
  switch (mode) {
    case "latency":
      return { value: latencyMs(hop), amber: 20, red: 50, unit: "ms" };
    case "utilisation":
      return {
        value: hop.DevCPUUtil === undefined ? undefined : Math.max(hop.DevCPUUtil, hop.DevMEMUtil ?? 0),
        amber: 60,
        red: 85,
        unit: "%",
      };
    case "drops":
      return { value: dropsSince(hop, previousHop), amber: 1, red: 100, unit: "packets" };
  }
}

/** `ok`, `warn`, `bad` or `none` for a figure and its thresholds. */
export function level(figure: {
  value: number | undefined;
  amber: number;
  red: number;
}): "ok" | "warn" | "bad" | "none" {
  if (figure.value === undefined) return "none";
  if (figure.value >= figure.red) return "bad";
  if (figure.value >= figure.amber) return "warn";
  return "ok";
}
