/**
 * LAG membership of a bond (the `L2EcmpList` of compute-agent-api.txt Table 12) from the kernel bonding driver: its
 * status file `/proc/net/bonding/<bond>` and the links of `ip -d -j link` (members have `master <bond>` and
 * `info_slave_kind: bond`). The status file is preferred (it has each member's MII status); `ip` is the fallback when
 * the file cannot be read (no bonding module, or procfs not mounted). A LAG's `NumBuckets` is the number of members
 * that carry traffic (MII status up; in 802.3ad mode also in the active aggregator and, when the actor's LACP port
 * state is shown, distributing;
 * in active-backup mode only the currently active one): the count a layer3+4 transmit
 * hash spreads flows over.
 */
import type { LinkInfo } from "./ip-json.ts";

/** A bond and its members. */
export interface BondStatus {
  /** Bonding mode as the driver names it, e.g. `IEEE 802.3ad Dynamic link aggregation`, `802.3ad`. */
  mode: string;
  /** Transmit hash policy, e.g. `layer3+4 (1)`, when shown. */
  hashPolicy?: string;
  /** The one member carrying traffic in active-backup mode (`Currently Active Slave`). */
  activeMember?: string;
  /** Members; `up` when the member carries traffic. */
  members: { name: string; up: boolean }[];
}

/** Parses `/proc/net/bonding/<bond>` (drivers/net/bonding/bond_procfs.c). */
export function parseBondingStatus(text: string): BondStatus {
  const status: BondStatus = { mode: "", members: [] };
  let current: { name: string; up: boolean } | null = null;
  // 802.3ad: only members of the active aggregator carry traffic.
  let activeAggregator: string | undefined;
  const aggregatorOf = new Map<{ name: string; up: boolean }, string>();
  // The member's LACP block being read (`details actor lacp pdu:` / `details partner lacp pdu:`), if any.
  let lacpBlock: "actor" | "partner" | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m === null) continue;
    const key = m[1]!;
    const value = m[2]!;
    if (key === "details actor lacp pdu") lacpBlock = "actor";
    else if (key === "details partner lacp pdu") lacpBlock = "partner";
    else if (key === "Slave Interface") lacpBlock = null;
    // 802.3ad: a member transmits only once its mux machine is collecting and distributing (state bit 0x20).
    if (key === "port state" && lacpBlock === "actor" && current !== null && /^\d+$/.test(value)) {
      if ((Number(value) & 0x20) === 0) current.up = false;
    }
    if (key === "Bonding Mode") status.mode = value;
    else if (key === "Transmit Hash Policy") status.hashPolicy = value;
    else if (key === "Slave Interface") {
      current = { name: value, up: false };
      status.members.push(current);
    } else if (key === "MII Status" && current !== null) current.up = value === "up";
    else if (key === "Currently Active Slave") status.activeMember = value;
    else if (key === "Aggregator ID") {
      if (current === null) activeAggregator = value;
      else aggregatorOf.set(current, value);
    }
  }
  // active-backup: only the currently active member carries traffic.
  if (status.activeMember !== undefined) {
    for (const m of status.members) if (m.name !== status.activeMember) m.up = false;
  }
  if (activeAggregator !== undefined) {
    for (const m of status.members) {
      const agg = aggregatorOf.get(m);
      if (agg !== undefined && agg !== activeAggregator) m.up = false;
    }
  }
  return status;
}

/** Members of `bond` from `ip -d -j link` links: up when the bond sees the member active and its MII up. */
export function bondMembersFromLinks(links: readonly LinkInfo[], bond: string): { name: string; up: boolean }[] {
  return links
    .filter((l) => l.master === bond && (l.slaveKind === undefined || l.slaveKind === "bond"))
    .map((l) => ({
      name: l.ifname,
      up: (l.miiStatus ?? "UP") === "UP" && (l.slaveState ?? "ACTIVE") === "ACTIVE" && l.operstate !== "DOWN",
    }));
}

/** Active members count as buckets; at least 1 when the bond has members at all. */
export function bondBuckets(members: readonly { up: boolean }[]): number {
  const up = members.filter((m) => m.up).length;
  return up > 0 ? up : members.length > 0 ? 1 : 0;
}
