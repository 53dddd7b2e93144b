/**
 * Nexthop objects (`ip nexthop`, kernel ≥ 5.3): routes installed with `nhid N` (FRR 8 and later do so by default) name a
 * nexthop or a nexthop group instead of carrying their next hops. With `net.ipv4.nexthop_compat_mode=0` the kernel
 * dumps such routes with `nhid` alone, so the next hops come from `ip -j nexthop show` (iproute2 6.1 JSON): a nexthop
 * has `gateway`/`dev` (or `blackhole`), a group has `group: [{ id, weight? }]` (weight 1 when absent) and an optional
 * `type` (`mpath`, the hash-threshold default, or `resilient` with `resilient_args.buckets`). Groups do not nest.
 * Pure functions over the text; anything unexpected is skipped.
 */
import type { NextHop } from "./ip-json.ts";

/** One entry of `ip -j nexthop show`. */
export interface NexthopObject {
  id: number;
  dev?: string;
  gateway?: string;
  /** A blackhole nexthop drops what is sent to it. */
  blackhole: boolean;
  /** Group members with their weights (groups only). */
  group?: { id: number; weight: number }[];
  /** Group type: `mpath` (hash-threshold) or `resilient`. */
  type?: string;
  /** Bucket count of a resilient group. */
  buckets?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const posInt = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined;

/** Nexthop objects of `ip -j nexthop show`, by id; unparsable text gives an empty table. */
export function parseNexthops(text: string): Map<number, NexthopObject> {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return new Map();
  }
  const out = new Map<number, NexthopObject>();
  if (!Array.isArray(list)) return out;
  for (const n of list) {
    if (!isObject(n)) continue;
    const id = posInt(n.id);
    if (id === undefined) continue;
    // iproute2 prints a blackhole nexthop as `"blackhole": null`.
    const nh: NexthopObject = { id, blackhole: "blackhole" in n };
    if (str(n.dev) !== undefined) nh.dev = str(n.dev)!;
    if (str(n.gateway) !== undefined) nh.gateway = str(n.gateway)!;
    if (Array.isArray(n.group)) {
      nh.group = n.group.flatMap((m) => {
        const mid = isObject(m) ? posInt(m.id) : undefined;
        return mid === undefined ? [] : [{ id: mid, weight: posInt((m as Record<string, unknown>).weight) ?? 1 }];
      });
      nh.type = str(n.type) ?? "mpath";
      const args = isObject(n.resilient_args) ? n.resilient_args : undefined;
      const buckets = args === undefined ? undefined : posInt(args.buckets);
      if (buckets !== undefined) nh.buckets = buckets;
    }
    out.set(id, nh);
  }
  return out;
}

/** The next hops of a route through nexthop object `nhid`, with the group's bucket count. */
export interface ResolvedNexthops {
  nexthops: NextHop[];
  /**
   * Hash buckets: a resilient group's bucket count; else the sum of the members' weights (the hash-threshold split,
   * the member count when every weight is 1); 1 for a single nexthop.
   */
  numBuckets: number;
}

/**
 * Resolves `nhid` through `table`: a single nexthop gives itself, a group its members in the group's order with the
 * group's weights. Blackhole and device-less members are left out. Null when `nhid` is unknown or leaves no next hop.
 */
export function resolveNexthop(table: ReadonlyMap<number, NexthopObject>, nhid: number): ResolvedNexthops | null {
  const top = table.get(nhid);
  if (top === undefined) return null;
  const hopOf = (nh: NexthopObject | undefined, weight: number): NextHop[] => {
    if (nh === undefined || nh.blackhole || nh.dev === undefined || nh.group !== undefined) return [];
    return [{ dev: nh.dev, weight, ...(nh.gateway === undefined ? {} : { gateway: nh.gateway }) }];
  };
  if (top.group === undefined) {
    const one = hopOf(top, 1);
    return one.length === 0 ? null : { nexthops: one, numBuckets: 1 };
  }
  const nexthops = top.group.flatMap((m) => hopOf(table.get(m.id), m.weight));
  if (nexthops.length === 0) return null;
  const numBuckets =
    top.type === "resilient" && top.buckets !== undefined
      ? top.buckets
      : nexthops.reduce((n, h) => n + Math.max(1, h.weight), 0);
  return { nexthops, numBuckets };
}
