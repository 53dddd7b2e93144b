/**
 * `GET /api/v1/traces` (a flowlens extension; compute-agent-api.txt has no such resource): a read-only listing of every
 * trace the agent holds, flows and tunnel flows, of every Originator (active/flow and active/tunnel list only the
 * caller's own), for operators, `show analytics flows originator all` and the dashboard. Behind the bearer token when
 * one is configured, like the CA resources; the Originator header is ignored. Answers `{ "traces": [TraceInfo...] }`
 * in creation order (docs/api.md, "Every trace").
 */
import type { FastifyInstance } from "fastify";
import type { FlowTuple, TunnelTuple } from "../probe/transport.ts";
import type { AgentMetrics } from "./agent-metrics.ts";
import { sendError } from "./api-routes.ts";
import type { BearerCheck } from "./bearer-auth.ts";
import type { CollectionParams } from "./collection-params.ts";
import type { TraceRegistry } from "./registry.ts";
import { CaError, type ReturnCodeName } from "./return-codes.ts";
import type { TraceEntry, TraceKind } from "./trace-entry.ts";

/** The URL of the listing. */
export const TRACES_PATH = "/api/v1/traces";

/** Collection parameters under their API names and units (Tables 5 and 15). */
export interface TraceParamsInfo {
  /** Seconds between round starts. */
  sfreq: number;
  nhops: number;
  ntry: number;
  /** Probe timeout, milliseconds. */
  timeout: number;
  chksum: boolean;
  bw_ingress: boolean;
  /** The mirror installed, or null. */
  mirror: { type: string; dir: string; analyzer: string } | null;
}

/** One trace of the listing. */
export interface TraceInfo {
  kind: TraceKind;
  /** The `ID` of its Path object. */
  id: string;
  /** The registry key (stable while the trace lives). */
  key: string;
  /** The flow 5-tuple, or the tunnel tuple (with the application `dport` when start/tunnel gave one). */
  tuple: FlowTuple | (TunnelTuple & { dport?: number });
  /** The Originator header it was started with, or null (then `address` owns it). */
  originator: string | null;
  /** The client address that started it. */
  address: string;
  /** The parameters of the current round. */
  params: TraceParamsInfo;
  /** A modification waiting for the next round, or null. */
  pendingParams: TraceParamsInfo | null;
  /** `stopping` between a stop request and the trace's removal. */
  state: "active" | "stopping";
  /** When it was started, epoch seconds (millisecond precision, like the Path's `Time`). */
  createdAt: number;
  /** The `Time` of its last completed round's Path, epoch seconds, or null before the first one. */
  lastRoundAt: number | null;
  /** Why its last round failed, or null. */
  lastError: string | null;
  /** The last Path's `DestinationReached`, or null before the first round. */
  destinationReached: boolean | null;
  /** Hops in the last Path, or null before the first round. */
  hops: number | null;
}

/** The API form of `params`. */
export function paramsInfo(params: CollectionParams): TraceParamsInfo {
  const m = params.mirror;
  return {
    sfreq: params.sfreqMs / 1000,
    nhops: params.nhops,
    ntry: params.ntry,
    timeout: params.timeoutMs,
    chksum: params.chksum,
    bw_ingress: params.bwIngress,
    mirror: m === null ? null : { type: m.type, dir: m.direction, analyzer: m.analyzer },
  };
}

/** The listing form of one trace. */
export function traceInfo(entry: TraceEntry): TraceInfo {
  const path = entry.path?.object ?? null;
  const tuple =
    entry.kind === "tunnel" && entry.appDport !== null ? { ...entry.tuple, dport: entry.appDport } : entry.tuple;
  return {
    kind: entry.kind,
    id: entry.id,
    key: entry.key,
    tuple: { ...tuple },
    originator: entry.owner.originator,
    address: entry.owner.address,
    params: paramsInfo(entry.settings.params),
    pendingParams: entry.pending === null ? null : paramsInfo(entry.pending.params),
    state: entry.state,
    createdAt: entry.createdAtMs / 1000,
    lastRoundAt: path === null ? null : path.Time,
    lastError: entry.lastError,
    destinationReached: path === null ? null : path.DestinationReached,
    hops: path === null ? null : path.Path.length,
  };
}

/** What the route uses. */
export interface TracesRouteDeps {
  registry: TraceRegistry;
  metrics: AgentMetrics;
  /** Present when a bearer token is configured. */
  auth?: BearerCheck;
}

/** Adds `GET /api/v1/traces` to `app`. */
export function registerTracesRoute(app: FastifyInstance, deps: TracesRouteDeps): void {
  app.get(TRACES_PATH, async (request, reply) => {
    let code: ReturnCodeName = "EOK";
    try {
      deps.auth?.(request.headers.authorization);
      return reply.type("application/json").send({ traces: deps.registry.entries().map(traceInfo) });
    } catch (e) {
      if (e instanceof CaError) {
        code = e.code;
        return sendError(reply, e);
      }
      code = "EFAIL";
      request.log.error({ err: e }, "trace listing failed");
      return reply.status(500).type("application/json").send({ rc: 2, code: "EFAIL", message: "internal error" });
    } finally {
      deps.metrics.apiCall("api/v1/traces", code);
    }
  });
}
