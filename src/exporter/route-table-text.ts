/**
 * The text form of the exporter's route record (docs/exporter.md "Route record"): one route per line, fields
 * separated by spaces or tabs, `#` to end of line a comment, blank lines ignored:
 *
 *     PREFIX/LEN  NEXTHOP  [AS_PATH...]
 *     10.53.0.0/16 192.168.255.240 7018 3356 11111
 *
 * PREFIX is a dotted quad with no bits set past LEN (0..32); NEXTHOP a dotted quad (0.0.0.0 when unknown); AS_PATH zero
 * or more AS numbers (asplain or asdot `1.10`), nearest AS first, with `{a,b}` for an AS_SET (and `(a b)`, `[a,b]` for
 * confederation segments), as `bgpdump -m` prints paths. The peer AS is the first AS of the path, the origin AS the last;
 * an empty path (a local route) gives AS 0. A prefix listed twice keeps the shorter AS path, the earlier line on a tie.
 * Any bad line rejects the table, every bad line reported by number.
 */
import { asPathFromString } from "../wire/bgp-as-path.ts";
import type { AsPathSegment } from "../wire/bgp-attributes.ts";
import { WireError } from "../wire/errors.ts";
import { ipv4FromString } from "../wire/ipv4-address.ts";
import { prefixMask, type RouteTable, RouteTableBuilder, routeInfoFromAsPath } from "./route-table.ts";

/** A failure to load a route table: a stable `code` and, for text tables, the bad lines. */
export class RouteTableLoadError extends Error {
  /** `ERR_ROUTE_TABLE_SYNTAX` (bad text lines), `ERR_ROUTE_TABLE_FORMAT` (bz2, unreadable), or an `ERR_MRT_*` code. */
  readonly code: string;
  /** The bad lines of a text table (the first 100), 1-based. */
  readonly lines: readonly RouteLineError[];

  constructor(code: string, message: string, lines: readonly RouteLineError[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RouteTableLoadError";
    this.code = code;
    this.lines = lines;
  }
}

/** One rejected line of a text table. */
export interface RouteLineError {
  /** Line number, 1-based. */
  line: number;
  /** What is wrong. */
  message: string;
}

/** A parsed text-table line. */
export interface RouteLine {
  /** Prefix, uint32 (host bits zero). */
  prefix: number;
  /** Prefix length, 0..32. */
  prefixLength: number;
  /** Next hop, uint32 (0 when unknown). */
  nextHop: number;
  /** AS path segments, nearest AS first (empty for a local route). */
  asPath: AsPathSegment[];
}

const PREFIX = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/**
 * Parses one line of a text table; undefined for a blank or comment-only line.
 * @throws Error with the reason for a bad line.
 */
export function parseRouteLine(text: string): RouteLine | undefined {
  const hash = text.indexOf("#");
  const body = (hash < 0 ? text : text.slice(0, hash)).trim();
  if (body === "") return undefined;
  const fields = body.split(/[ \t]+/);
  if (fields.length < 2) throw new Error("expected PREFIX/LEN NEXTHOP [AS_PATH...]");
  const m = PREFIX.exec(fields[0]);
  if (m === null) throw new Error(`bad prefix ${JSON.stringify(fields[0])}: expected a.b.c.d/len`);
  const prefixLength = Number(m[2]);
  if (prefixLength > 32) throw new Error(`prefix length ${prefixLength} exceeds 32`);
  const prefix = wireValue(() => ipv4FromString(m[1]), `bad prefix address ${m[1]}`);
  if ((prefix & ~prefixMask(prefixLength)) !== 0) throw new Error(`${fields[0]} has bits set past /${prefixLength}`);
  const nextHop = wireValue(() => ipv4FromString(fields[1]), `bad next hop ${JSON.stringify(fields[1])}`);
  const rest = fields.slice(2).join(" ");
  const asPath = wireValue(() => asPathFromString(rest), `bad AS path ${JSON.stringify(rest)}`);
  return { prefix, prefixLength, nextHop, asPath };
}

function wireValue<T>(f: () => T, message: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WireError) throw new Error(message);
    throw e;
  }
}

const MAX_REPORTED_LINES = 100;

/** Feeds text-table lines into a builder, collecting bad lines; {@link finish} throws if there were any. */
export class RouteTextReader {
  readonly #builder: RouteTableBuilder;
  readonly #errors: RouteLineError[] = [];
  #bad = 0;
  #line = 0;
  #routes = 0;

  constructor(builder: RouteTableBuilder) {
    this.#builder = builder;
  }

  /** Lines read so far. */
  get lines(): number {
    return this.#line;
  }

  /** Routes added so far. */
  get routes(): number {
    return this.#routes;
  }

  /** Reads the next line (without its line terminator). */
  line(text: string): void {
    this.#line++;
    try {
      const r = parseRouteLine(text);
      if (r === undefined) return;
      this.#builder.add(r.prefix, r.prefixLength, routeInfoFromAsPath(r.nextHop, r.asPath));
      this.#routes++;
    } catch (e) {
      this.#bad++;
      const message = e instanceof Error ? e.message : String(e);
      if (this.#errors.length < MAX_REPORTED_LINES) this.#errors.push({ line: this.#line, message });
    }
  }

  /**
   * Ends the input.
   * @throws RouteTableLoadError `ERR_ROUTE_TABLE_SYNTAX` listing the bad lines, if any.
   */
  finish(source = "route table"): void {
    if (this.#bad === 0) return;
    const shown = this.#errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`);
    const more = this.#bad > shown.length ? `; ${this.#bad - shown.length} more bad lines` : "";
    const message = `${source}: ${this.#bad} bad line(s): ${shown.join("; ")}${more}`;
    throw new RouteTableLoadError("ERR_ROUTE_TABLE_SYNTAX", message, this.#errors);
  }
}

/** Parses a whole text table into a new table. Throws as {@link RouteTextReader.finish}. */
export function parseRouteTableText(text: string): RouteTable {
  const builder = new RouteTableBuilder();
  const reader = new RouteTextReader(builder);
  for (const line of text.split(/\r?\n/)) reader.line(line);
  reader.finish();
  return builder.build();
}
