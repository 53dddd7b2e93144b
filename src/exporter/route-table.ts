/**
 * The exporter's route record (spec/cflowd-flow-aggregation.txt, `route-record`): an IPv4 routing table that gives, by
 * longest-prefix match, the mask length, next hop and the origin or peer AS of an address, for the `srcMask`/`dstMask`
 * and `srcAs`/`dstAs` of v5 records and v8 aggregation keys (`autonomous-system-type origin | peer`).
 *
 * Build with {@link RouteTableBuilder}, then query the immutable {@link RouteTable}. The table flattens the prefixes
 * into the disjoint address ranges they induce (at most 2n + 1 for n prefixes), each labelled with its most specific
 * covering route, and indexes the ranges by the top 16 address bits; a lookup is one index read and a binary search
 * over the few ranges of that /16. Storage is columnar typed arrays: about 17 bytes per route plus 8 per range, so a
 * full Internet table of ~1M prefixes takes some 35 MB, and lookups allocate nothing (except {@link RouteTable.lookup},
 * which returns a fresh object).
 */

import { asPathLength, asPathOriginAs, asPathPeerAs } from "../wire/bgp-as-path.ts";
import type { AsPathSegment } from "../wire/bgp-attributes.ts";

/** What a route carries for the exporter. */
export interface RouteInfo {
  /** IPv4 next hop, uint32 (0 when unknown). */
  nextHop: number;
  /** Origin AS: the last AS of the AS path (0 for an empty path). */
  originAs: number;
  /** Peer AS: the first AS of the AS path (0 for an empty path). */
  peerAs: number;
  /** AS path length as BGP counts it (RFC 4271 9.1.2.2 a), for choosing among duplicates; shorter wins. */
  pathLength: number;
}

/** The {@link RouteInfo} of a next hop and AS path: origin = last AS, peer = first AS, RFC 4271 path length. */
export function routeInfoFromAsPath(nextHop: number, asPath: readonly AsPathSegment[]): RouteInfo {
  return {
    nextHop,
    originAs: asPathOriginAs(asPath),
    peerAs: asPathPeerAs(asPath),
    pathLength: asPathLength(asPath),
  };
}

/** The route that matched an address. */
export interface RouteMatch {
  /** The matched prefix, uint32 with host bits zero. */
  prefix: number;
  /** Its length, 0..32: the mask length a flow record carries. */
  prefixLength: number;
  /** IPv4 next hop, uint32 (0 when unknown). */
  nextHop: number;
  /** Origin AS (last of the path), uint32. */
  originAs: number;
  /** Peer AS (first of the path), uint32. */
  peerAs: number;
}

/** Which AS a flow record reports (Junos `autonomous-system-type`; the same union as `v5-batcher.ts`). */
export type AutonomousSystemType = "origin" | "peer";

/** Network mask of a prefix length (0..32) as uint32. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

const INITIAL_CAPACITY = 1024;

function grow<T extends Uint32Array | Uint8Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as { new (n: number): T })(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Collects routes and builds a {@link RouteTable}. A prefix added more than once keeps the route with the shortest
 * `pathLength`, the first added on a tie (so for an MRT RIB: the shortest AS path, then the first RIB entry). Prefixes
 * are masked to their length (host bits dropped).
 */
export class RouteTableBuilder {
  #n = 0;
  #prefix = new Uint32Array(INITIAL_CAPACITY);
  #length = new Uint8Array(INITIAL_CAPACITY);
  #nextHop = new Uint32Array(INITIAL_CAPACITY);
  #origin = new Uint32Array(INITIAL_CAPACITY);
  #peer = new Uint32Array(INITIAL_CAPACITY);
  #pathLength = new Uint32Array(INITIAL_CAPACITY);

  /** Routes added so far, duplicates included. */
  get added(): number {
    return this.#n;
  }

  /**
   * Adds a route for `prefix/prefixLength` (prefix as uint32).
   * @throws RangeError for a prefix length outside 0..32.
   */
  add(prefix: number, prefixLength: number, route: RouteInfo): void {
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
      throw new RangeError(`prefix length ${prefixLength} outside 0..32`);
    }
    const i = this.#n++;
    if (i === this.#prefix.length) {
      this.#prefix = grow(this.#prefix, i + 1);
      this.#length = grow(this.#length, i + 1);
      this.#nextHop = grow(this.#nextHop, i + 1);
      this.#origin = grow(this.#origin, i + 1);
      this.#peer = grow(this.#peer, i + 1);
      this.#pathLength = grow(this.#pathLength, i + 1);
    }
    this.#prefix[i] = (prefix & prefixMask(prefixLength)) >>> 0;
    this.#length[i] = prefixLength;
    this.#nextHop[i] = route.nextHop;
    this.#origin[i] = route.originAs;
    this.#peer[i] = route.peerAs;
    this.#pathLength[i] = Math.min(route.pathLength, 0xffffffff);
  }

  /** Builds the table (the builder can go on collecting and build again). */
  build(): RouteTable {
    const order = sortRouteOrder(this.#prefix, this.#length, this.#n);
    const keep = this.#pickBest(order);
    const m = keep.length;
    const columns = {
      prefix: new Uint32Array(m),
      length: new Uint8Array(m),
      nextHop: new Uint32Array(m),
      originAs: new Uint32Array(m),
      peerAs: new Uint32Array(m),
    };
    for (let j = 0; j < m; j++) {
      const i = keep[j];
      columns.prefix[j] = this.#prefix[i];
      columns.length[j] = this.#length[i];
      columns.nextHop[j] = this.#nextHop[i];
      columns.originAs[j] = this.#origin[i];
      columns.peerAs[j] = this.#peer[i];
    }
    return new RouteTable(columns);
  }

  /** From routes sorted by (prefix, length, insertion), the best of each prefix. */
  #pickBest(order: Uint32Array): Uint32Array {
    const keep = new Uint32Array(order.length);
    let m = 0;
    for (let k = 0; k < order.length; ) {
      const first = order[k];
      let best = first;
      let j = k + 1;
      while (
        j < order.length &&
        this.#prefix[order[j]] === this.#prefix[first] &&
        this.#length[order[j]] === this.#length[first]
      ) {
        if (this.#pathLength[order[j]] < this.#pathLength[best]) best = order[j];
        j++;
      }
      keep[m++] = best;
      k = j;
    }
    return keep.subarray(0, m);
  }
}

/** One stable counting-sort pass of `src` into `dst` by `key(i)` in 0..buckets-1. */
function countingPass(src: Uint32Array, dst: Uint32Array, buckets: number, key: (i: number) => number): void {
  const count = new Uint32Array(buckets + 1);
  for (let k = 0; k < src.length; k++) count[key(src[k]) + 1]++;
  for (let b = 0; b < buckets; b++) count[b + 1] += count[b];
  for (let k = 0; k < src.length; k++) dst[count[key(src[k])]++] = src[k];
}

/** Route indices 0..n-1 sorted by prefix, then length, then insertion (LSD radix sort, linear time). */
function sortRouteOrder(prefix: Uint32Array, length: Uint8Array, n: number): Uint32Array {
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  countingPass(a, b, 33, (i) => length[i]);
  [a, b] = [b, a];
  countingPass(a, b, 65536, (i) => prefix[i] & 0xffff);
  [a, b] = [b, a];
  countingPass(a, b, 65536, (i) => prefix[i] >>> 16);
  return b;
}

/** Route columns, sorted by (prefix, length), one route per prefix. */
interface RouteColumns {
  prefix: Uint32Array;
  length: Uint8Array;
  nextHop: Uint32Array;
  originAs: Uint32Array;
  peerAs: Uint32Array;
}

const INDEX_BUCKETS = 65536;

/**
 * An immutable IPv4 longest-prefix-match table (see the module comment). Addresses are uint32 (10.0.0.1 is
 * 0x0a000001); any number is taken modulo 2^32. Built by {@link RouteTableBuilder}.
 */
export class RouteTable {
  readonly #routes: RouteColumns;
  /** Start address of each range, ascending; #starts[0] is 0. */
  readonly #starts: Uint32Array;
  /** Route index of each range, -1 for no route. */
  readonly #rangeRoute: Int32Array;
  /** For each /16 h, the last range starting at or before h << 16; entry 65536 is the last range. */
  readonly #index: Uint32Array;

  /** Use {@link RouteTableBuilder.build}. */
  constructor(routes: RouteColumns) {
    this.#routes = routes;
    const { starts, rangeRoute } = flattenRanges(routes);
    this.#starts = starts;
    this.#rangeRoute = rangeRoute;
    this.#index = new Uint32Array(INDEX_BUCKETS + 1);
    let r = 0;
    for (let h = 0; h < INDEX_BUCKETS; h++) {
      const base = h * 65536;
      while (r + 1 < starts.length && starts[r + 1] <= base) r++;
      this.#index[h] = r;
    }
    this.#index[INDEX_BUCKETS] = starts.length - 1;
  }

  /** Number of distinct prefixes. */
  get size(): number {
    return this.#routes.prefix.length;
  }

  /** Number of disjoint address ranges the prefixes induce (a measure of the lookup structure). */
  get rangeCount(): number {
    return this.#starts.length;
  }

  /** Index (0..size-1, in prefix order) of the longest prefix containing `addr`, or -1 when none does. */
  indexOf(addr: number): number {
    const a = addr >>> 0;
    const starts = this.#starts;
    const h = a >>> 16;
    let lo = this.#index[h];
    let hi = this.#index[h + 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= a) lo = mid;
      else hi = mid - 1;
    }
    return this.#rangeRoute[lo];
  }

  /** The longest-prefix match of `addr`, or undefined when no prefix contains it. Allocates the result. */
  lookup(addr: number): RouteMatch | undefined {
    const i = this.indexOf(addr);
    return i < 0 ? undefined : this.route(i);
  }

  /** Mask length of the match of `addr`, 0..32; 0 when nothing matches (as a flow record reports it). */
  maskLength(addr: number): number {
    const i = this.indexOf(addr);
    return i < 0 ? 0 : this.#routes.length[i];
  }

  /** Origin or peer AS of the match of `addr` (uint32), 0 when nothing matches. */
  asOf(addr: number, type: AutonomousSystemType = "origin"): number {
    const i = this.indexOf(addr);
    if (i < 0) return 0;
    return type === "origin" ? this.#routes.originAs[i] : this.#routes.peerAs[i];
  }

  /** Next hop of the match of `addr`, 0 when nothing matches. */
  nextHopOf(addr: number): number {
    const i = this.indexOf(addr);
    return i < 0 ? 0 : this.#routes.nextHop[i];
  }

  /** The route at index `i` (0..size-1) as a new object. */
  route(i: number): RouteMatch {
    const r = this.#routes;
    return {
      prefix: r.prefix[i],
      prefixLength: r.length[i],
      nextHop: r.nextHop[i],
      originAs: r.originAs[i],
      peerAs: r.peerAs[i],
    };
  }

  /** Every route in (prefix, length) order. */
  *routes(): Generator<RouteMatch, void, undefined> {
    for (let i = 0; i < this.size; i++) yield this.route(i);
  }
}

/**
 * Turns sorted, distinct prefixes into disjoint ranges labelled with their most specific route: a sweep with a stack
 * of the prefixes enclosing the current address (at most 33 deep, since nested prefixes have distinct lengths).
 */
function flattenRanges(routes: RouteColumns): { starts: Uint32Array; rangeRoute: Int32Array } {
  const n = routes.prefix.length;
  const starts = new Uint32Array(2 * n + 1);
  const rangeRoute = new Int32Array(2 * n + 1);
  let count = 0;
  // Each emitted range is non-empty and starts where the previous ends; equal neighbours merge.
  const emit = (start: number, route: number) => {
    if (count > 0 && rangeRoute[count - 1] === route) return;
    starts[count] = start;
    rangeRoute[count++] = route;
  };
  const stack: number[] = [];
  const endOf = (i: number) => routes.prefix[i] + 2 ** (32 - routes.length[i]); // exclusive, up to 2^32
  let cursor = 0; // first address not yet labelled
  const closeUntil = (limit: number) => {
    while (stack.length > 0 && endOf(stack[stack.length - 1]) <= limit) {
      const top = stack.pop()!;
      const end = endOf(top);
      if (cursor < end) {
        emit(cursor, top);
        cursor = end;
      }
    }
  };
  for (let i = 0; i < n; i++) {
    const start = routes.prefix[i];
    closeUntil(start);
    if (cursor < start) {
      emit(cursor, stack.length > 0 ? stack[stack.length - 1] : -1);
      cursor = start;
    }
    stack.push(i);
  }
  closeUntil(2 ** 32);
  if (cursor < 2 ** 32) emit(cursor, -1);
  return { starts: starts.slice(0, count), rangeRoute: rangeRoute.slice(0, count) };
}
