/**
 * The data collection parameters shared by start/flow and start/tunnel (compute-agent-api.txt, Tables 5 and 15):
 * `sfreq` (seconds, default 1), `nhops` (default 255, at most 255), `ntry` (default 1), `timeout` (ms, default 30000),
 * `chksum` (default true), `bw_ingress` (also spelled `bw-ingress`, default false) and the mirror parameters
 * (`mirror_type` ERSPAN, `mirror_dir`, `mirror_analyzer`; the last two required with the first). A start on an active
 * flow changes only the parameters it gives (docs/api.md, "Modifying an active flow").
 */
import type { MirrorRequest } from "../telemetry/provider.ts";
import { parseBoolean, parseChoice, parseDecimal, parseInteger, parseIpv4, type QueryParams } from "./query.ts";
import { invalidParameter } from "./return-codes.ts";

/** How a flow or tunnel is probed and what is collected. */
export interface CollectionParams {
  /** Time between the starts of two rounds, milliseconds (`sfreq` is given in seconds). */
  sfreqMs: number;
  /** Highest TTL probed (1..255). */
  nhops: number;
  /** Tries per hop (1 = no retry). */
  ntry: number;
  /** Time to wait for the answers of one batch of probes, milliseconds. */
  timeoutMs: number;
  /** UDP checksum computed in the probes. */
  chksum: boolean;
  /** Read the flow's packet counter at every hop ingress (`Bandwidth_Counter`, `Bandwidth_ID`). */
  bwIngress: boolean;
  /** Mirroring installed for the flow, or null. */
  mirror: MirrorRequest | null;
}

/** The spec's defaults. */
export const DEFAULT_COLLECTION: Readonly<CollectionParams> = Object.freeze({
  sfreqMs: 1000,
  nhops: 255,
  ntry: 1,
  timeoutMs: 30_000,
  chksum: true,
  bwIngress: false,
  mirror: null,
});

/** The spec's default transport protocol and ports of start/flow, stop/flow and data/flow. */
export const DEFAULT_PROTO = "udp";
/** Default source and destination port (33434, the traceroute base port). */
export const DEFAULT_PORT = 33_434;

/** Bounds the operator sets on what clients may ask (agent configuration `limits`). */
export interface ParameterLimits {
  /** Smallest `sfreq` accepted, milliseconds. */
  minSfreqMs: number;
  /** Largest `sfreq` accepted, milliseconds. */
  maxSfreqMs: number;
  /** Largest `ntry` accepted. */
  maxNtry: number;
  /** Largest `timeout` accepted, milliseconds. */
  maxTimeoutMs: number;
}

/** Limits used when none are configured: sfreq 0.1 s to 1 day, ntry up to 10, timeout up to 5 minutes. */
export const DEFAULT_LIMITS: Readonly<ParameterLimits> = Object.freeze({
  minSfreqMs: 100,
  maxSfreqMs: 86_400_000,
  maxNtry: 10,
  maxTimeoutMs: 300_000,
});

/** Mirror types accepted (the spec supports ERSPAN), lower case. */
export const MIRROR_TYPES = ["erspan"] as const;
/** Mirror directions accepted: the spec's `ingress`, and the provider contract's `egress` and `both`. */
export const MIRROR_DIRECTIONS = ["ingress", "egress", "both"] as const;

function parseMirror(query: QueryParams): MirrorRequest | undefined {
  const type = query.raw("mirror_type");
  const dir = query.raw("mirror_dir");
  const analyzer = query.raw("mirror_analyzer");
  if (type === undefined) {
    if (dir !== undefined) throw invalidParameter("mirror_dir", "only valid with mirror_type");
    if (analyzer !== undefined) throw invalidParameter("mirror_analyzer", "only valid with mirror_type");
    return undefined;
  }
  const parsedType = parseChoice("mirror_type", type, MIRROR_TYPES);
  if (dir === undefined || dir === "") throw invalidParameter("mirror_dir", "required with mirror_type");
  if (analyzer === undefined || analyzer === "") throw invalidParameter("mirror_analyzer", "required with mirror_type");
  return {
    type: parsedType,
    direction: parseChoice("mirror_dir", dir, MIRROR_DIRECTIONS),
    analyzer: parseIpv4("mirror_analyzer", analyzer),
  };
}

/**
 * The collection parameters a start request gives (absent ones are absent from the result).
 * @throws CaError EFAIL naming the first invalid parameter.
 */
export function parseCollectionUpdate(query: QueryParams, limits: ParameterLimits): Partial<CollectionParams> {
  const out: Partial<CollectionParams> = {};
  const sfreq = query.raw("sfreq");
  if (sfreq !== undefined) {
    const seconds = parseDecimal("sfreq", sfreq, limits.minSfreqMs / 1000, limits.maxSfreqMs / 1000);
    out.sfreqMs = Math.round(seconds * 1000);
  }
  const nhops = query.raw("nhops");
  if (nhops !== undefined) out.nhops = parseInteger("nhops", nhops, 1, 255);
  const ntry = query.raw("ntry");
  if (ntry !== undefined) out.ntry = parseInteger("ntry", ntry, 1, limits.maxNtry);
  const timeout = query.raw("timeout");
  if (timeout !== undefined) out.timeoutMs = parseInteger("timeout", timeout, 1, limits.maxTimeoutMs);
  const chksum = query.raw("chksum");
  if (chksum !== undefined) out.chksum = parseBoolean("chksum", chksum);
  const bw = query.raw("bw_ingress", "bw-ingress");
  if (bw !== undefined) out.bwIngress = parseBoolean(query.has("bw_ingress") ? "bw_ingress" : "bw-ingress", bw);
  const mirror = parseMirror(query);
  if (mirror !== undefined) out.mirror = mirror;
  return out;
}

/** `base` with the given parameters of `update` replacing its own. */
export function applyCollectionUpdate(base: CollectionParams, update: Partial<CollectionParams>): CollectionParams {
  return { ...base, ...update };
}
