/**
 * AS_PATH helpers (RFC 4271 5.1.2, 9.1.2.2; RFC 5065 confederation segments): path length for best-path choice, the
 * origin and peer AS a flow exporter reports (cflowd `autonomous-system-type origin | peer`), a digest of the attributes a
 * route table needs, and the text form `7018 3356 {64512,64513}` (the form `bgpdump -m` prints: sequences space-separated,
 * `{a,b}` AS_SET, `(a b)` AS_CONFED_SEQUENCE, `[a,b]` AS_CONFED_SET).
 */
import {
  AS_CONFED_SEQUENCE,
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  type AsPathSegment,
  type BgpAttribute,
} from "./bgp-attributes.ts";
import { InvalidFieldError } from "./errors.ts";

/** Most AS numbers in one segment (the count is one octet). */
export const AS_PATH_SEGMENT_MAX = 255;

/**
 * Path length as the BGP decision process counts it (RFC 4271 9.1.2.2 a; RFC 5065 5.3): each AS of an AS_SEQUENCE
 * counts 1, a whole AS_SET counts 1, confederation segments count 0.
 */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AS_SET) n += 1;
  }
  return n;
}

/**
 * The origin AS: the last AS of the last AS_SEQUENCE or AS_SET segment (for a trailing AS_SET, its last listed
 * member). Confederation segments are passed over. 0 for an empty path (a route originated in the local AS).
 */
export function asPathOriginAs(segments: readonly AsPathSegment[]): number {
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i];
    if (s.type === AS_SEQUENCE || s.type === AS_SET) return s.asns[s.asns.length - 1];
  }
  return 0;
}

/**
 * The peer AS: the first AS of the first AS_SEQUENCE or AS_SET segment, i.e. the neighbouring AS the route was
 * learned from. Confederation segments (member ASes inside the local confederation) are passed over. 0 for an empty path.
 */
export function asPathPeerAs(segments: readonly AsPathSegment[]): number {
  for (const s of segments) {
    if (s.type === AS_SEQUENCE || s.type === AS_SET) return s.asns[0];
  }
  return 0;
}

/** Formats segments as `bgpdump -m` does: `1 2 3 {4,5} (6 7) [8,9]`; "" for an empty path. */
export function asPathToString(segments: readonly AsPathSegment[]): string {
  const parts: string[] = [];
  for (const s of segments) {
    if (s.type === AS_SEQUENCE) parts.push(s.asns.join(" "));
    else if (s.type === AS_SET) parts.push(`{${s.asns.join(",")}}`);
    else if (s.type === AS_CONFED_SEQUENCE) parts.push(`(${s.asns.join(" ")})`);
    else parts.push(`[${s.asns.join(",")}]`);
  }
  return parts.join(" ");
}

const TOKEN = /\{[^}]*\}|\([^)]*\)|\[[^\]]*\]|[^\s{}()[\]]+|\S/g;
const ASPLAIN = /^\d{1,10}$/;
const ASDOT = /^(\d{1,5})\.(\d{1,5})$/;

/**
 * Parses one AS number: asplain `4200000000` or asdot `64086.59904` (RFC 5396), 0..4294967295.
 * @throws InvalidFieldError `ERR_AS_PATH_TEXT` otherwise.
 */
export function asNumberFromString(text: string): number {
  let n = Number.NaN;
  if (ASPLAIN.test(text)) n = Number(text);
  else {
    const m = ASDOT.exec(text);
    if (m !== null && Number(m[1]) <= 0xffff && Number(m[2]) <= 0xffff) n = Number(m[1]) * 65536 + Number(m[2]);
  }
  if (!(n <= 0xffffffff)) throw new InvalidFieldError("ERR_AS_PATH_TEXT", `not an AS number: ${text}`, 0);
  return n;
}

function bracketed(token: string, type: number, separator: RegExp): AsPathSegment {
  const inner = token.slice(1, -1).trim();
  const asns = inner === "" ? [] : inner.split(separator).map((t) => asNumberFromString(t.trim()));
  if (asns.length === 0 || asns.length > AS_PATH_SEGMENT_MAX) {
    throw new InvalidFieldError("ERR_AS_PATH_TEXT", `segment ${token} must hold 1..255 AS numbers`, 0);
  }
  return { type, asns };
}

/**
 * Parses the text form of {@link asPathToString} (whitespace-separated; sets may also contain spaces after commas).
 * Runs of plain AS numbers become AS_SEQUENCE segments of at most 255 ASes.
 * @throws InvalidFieldError `ERR_AS_PATH_TEXT` for anything else.
 */
export function asPathFromString(text: string): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  let run: AsPathSegment | undefined;
  for (const [token] of text.matchAll(TOKEN)) {
    const c = token[0];
    if (c === "{" || c === "(" || c === "[") {
      run = undefined;
      if (c === "{") segments.push(bracketed(token, AS_SET, /,/));
      else if (c === "(") segments.push(bracketed(token, AS_CONFED_SEQUENCE, /\s+/));
      else segments.push(bracketed(token, AS_CONFED_SET, /,/));
      continue;
    }
    const as = asNumberFromString(token);
    if (run === undefined || run.asns.length === AS_PATH_SEGMENT_MAX) {
      run = { type: AS_SEQUENCE, asns: [] };
      segments.push(run);
    }
    run.asns.push(as);
  }
  return segments;
}

/** The attributes of a RIB entry that a route table uses; absent attributes are undefined. */
export interface BgpRouteSummary {
  /** ORIGIN value (0 IGP, 1 EGP, 2 INCOMPLETE). */
  origin: number | undefined;
  /** AS_PATH segments. */
  asPath: AsPathSegment[] | undefined;
  /** AS4_PATH segments (only meaningful beside a 2-byte AS_PATH). */
  as4Path: AsPathSegment[] | undefined;
  /** NEXT_HOP, an IPv4 address as uint32. */
  nextHop: number | undefined;
  /** MP_REACH_NLRI next-hop bytes (4, 16 or 32). */
  mpNextHop: Uint8Array | undefined;
}

/** Picks ORIGIN, AS_PATH, AS4_PATH, NEXT_HOP and the MP_REACH_NLRI next hop out of a list (the first of each kind). */
export function summarizeBgpAttributes(attributes: readonly BgpAttribute[]): BgpRouteSummary {
  const s: BgpRouteSummary = {
    origin: undefined,
    asPath: undefined,
    as4Path: undefined,
    nextHop: undefined,
    mpNextHop: undefined,
  };
  for (const a of attributes) {
    if (a.kind === "origin") s.origin ??= a.origin;
    else if (a.kind === "asPath") s.asPath ??= a.segments;
    else if (a.kind === "as4Path") s.as4Path ??= a.segments;
    else if (a.kind === "nextHop") s.nextHop ??= a.nextHop;
    else if (a.kind === "mpReachNlri") s.mpNextHop ??= a.nextHop;
  }
  return s;
}
