/**
 * Inferring a hop's egress interface from the next hop's ICMP source address (issue 7, "Provider selection"): with
 * `icmp_errors_use_inbound_ifaddr` (or any router that answers from its ingress interface), the next hop answers from
 * the address at its end of the link, and the link's subnet is configured on exactly one interface of this hop.
 */
import type { EgressAttribute, HopTelemetry } from "./provider.ts";
import { parsePrefix, prefixContains } from "./address-match.ts";

/** An interface address of a hop with its subnet. */
export interface InterfaceSubnet {
  /** Interface name (Table 13 `IFLName`). */
  readonly name: string;
  /** The interface's address and prefix length. */
  readonly address: string;
  readonly prefixLength: number;
}

/**
 * The interface of `subnets` whose subnet holds `nextResponder` (the longest prefix wins; an address of the hop itself
 * never matches), or null when none does.
 */
export function interfaceTowards(subnets: readonly InterfaceSubnet[], nextResponder: string): string | null {
  let best: InterfaceSubnet | null = null;
  for (const s of subnets) {
    if (s.address === nextResponder || s.prefixLength >= 32) continue;
    const prefix = parsePrefix(`${s.address}/${s.prefixLength}`);
    if (!prefixContains(prefix, nextResponder)) continue;
    if (best === null || s.prefixLength > best.prefixLength) best = s;
  }
  return best?.name ?? null;
}

/**
 * Fills `egress.chosen` where a provider left it out but the answer is unambiguous: a single-path egress (one member,
 * no LAG) is the member the flow takes. Returns the same object, changed in place.
 */
export function completeEgress(telemetry: HopTelemetry): HopTelemetry {
  const e: EgressAttribute = telemetry.egress;
  if (e.chosen === undefined && e.members.length === 1 && e.l2Ecmp.length === 0) e.chosen = e.members[0]!.name;
  return telemetry;
}
