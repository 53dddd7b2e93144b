/**
 * A brute-force longest-prefix-match table standing in for `src/exporter/route-table.ts` in the exporter tests, and a
 * finished-flow builder.
 */
import type { FlowRecord } from "../../src/exporter/flow-cache.ts";
import type { RouteLookupMatch, RouteLookup } from "../../src/exporter/v5-batcher.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";

/** One route: `prefix/length` with its next hop and AS numbers. */
export interface FixtureRoute extends RouteLookupMatch {
  prefix: number;
}

/** Linear-scan LPM over `routes`. */
export class FixtureRoutes implements RouteLookup {
  constructor(readonly routes: readonly FixtureRoute[]) {}

  lookup(addr: number): RouteLookupMatch | undefined {
    let best: FixtureRoute | undefined;
    for (const r of this.routes) {
      const mask = r.prefixLength === 0 ? 0 : (0xffffffff << (32 - r.prefixLength)) >>> 0;
      if ((addr & mask) >>> 0 === r.prefix && (best === undefined || r.prefixLength > best.prefixLength)) best = r;
    }
    return best;
  }
}

/** `a.b.c.d/len` with next hop and AS numbers. */
export function route(cidr: string, nextHop: string, originAs: number, peerAs: number): FixtureRoute {
  const [text, len] = cidr.split("/");
  return {
    prefix: ipv4FromString(text),
    prefixLength: Number(len),
    nextHop: ipv4FromString(nextHop),
    originAs,
    peerAs,
  };
}

/** A finished flow with defaults. */
export function flow(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    srcAddr: ipv4FromString("10.1.2.3"),
    dstAddr: ipv4FromString("192.0.2.9"),
    prot: 6,
    srcPort: 40000,
    dstPort: 443,
    tos: 0,
    input: 1,
    output: 2,
    dPkts: 10,
    dOctets: 5000,
    firstMs: 1_000,
    lastMs: 2_000,
    tcpFlags: 0x1b,
    reason: "inactive",
    ...over,
  };
}
