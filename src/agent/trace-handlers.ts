/**
 * The handlers of start/*, stop/*, data/* and active/* for flows and tunnel flows (compute-agent-api.txt, chapters
 * "Starting and Stopping...", "Requesting Collected...", "Retrieving Active..."): parameters first (EFAIL), then the
 * registry (E_AoF, E_UNAUTHORIZED, EAGAIN), then the data (EFAIL while no round has completed).
 */
import type { FlowTuple, TunnelTuple } from "../probe/transport.ts";
import type { CaAnswer, CaApiDeps, CaHandler } from "./api-routes.ts";
import {
  applyCollectionUpdate,
  type CollectionParams,
  DEFAULT_COLLECTION,
  parseCollectionUpdate,
} from "./collection-params.ts";
import { parseFlowTuple } from "./flow-params.ts";
import {
  activeFlowTuple,
  activeTunnelTuple,
  flowIdString,
  flowKey,
  tunnelBaseKey,
  tunnelIdString,
  tunnelKey,
} from "./identifiers.ts";
import type { QueryParams } from "./query.ts";
import { ownedBy, type TraceIdentity } from "./registry.ts";
import { CaError } from "./return-codes.ts";
import { type Requester, TraceEntry, type TraceKind, type TraceSettings } from "./trace-entry.ts";
import { parseTunnelSelector, parseTunnelStart, type TunnelSelector } from "./tunnel-params.ts";

type Verb = "start" | "stop" | "data" | "active";

function identity(
  kind: TraceKind,
  key: string,
  id: string,
  tuple: FlowTuple | TunnelTuple,
  appDport: number | null,
): TraceIdentity {
  return {
    key,
    kind,
    create: (owner: Requester, settings: TraceSettings, now: number) => {
      const entry = new TraceEntry({ key, kind, id, owner, tuple, settings, createdAtMs: now });
      entry.appDport = appDport;
      return entry;
    },
  };
}

/** data/*: the stored Path, or EFAIL while none exists. */
function dataAnswer(entry: TraceEntry): CaAnswer {
  if (entry.path === null) {
    const why =
      entry.lastError === null ? "the first round has not completed yet" : `last round failed: ${entry.lastError}`;
    throw new CaError("EFAIL", `no data is present for this ${entry.kind} (${why})`, {
      kind: "no-data",
      retryAfterSeconds: Math.max(1, Math.ceil(entry.settings.params.sfreqMs / 1000)),
    });
  }
  return { kind: "text", json: entry.path.json };
}

function merged(current: TraceSettings | null, update: Partial<CollectionParams>): CollectionParams {
  return applyCollectionUpdate(current?.params ?? { ...DEFAULT_COLLECTION }, update);
}

/** The handlers of start/flow, stop/flow, data/flow and active/flow. */
export const flowHandlers: Record<Verb, CaHandler> = {
  start(query: QueryParams, requester: Requester, deps: CaApiDeps): CaAnswer {
    const flow = parseFlowTuple(query);
    const update = parseCollectionUpdate(query, deps.limits);
    const key = flowKey(flow);
    deps.registry.start(identity("flow", key, flowIdString(flow), flow, null), requester, (current) => {
      const params = merged(current, update);
      return { target: { kind: "flow", flow, checksum: params.chksum }, params };
    });
    return { kind: "ok" };
  },
  stop(query, requester, deps) {
    const key = flowKey(parseFlowTuple(query));
    deps.registry.stop("flow", key, requester).catch(() => undefined);
    return { kind: "ok" };
  },
  data(query, requester, deps) {
    return dataAnswer(deps.registry.lookup("flow", flowKey(parseFlowTuple(query)), requester));
  },
  active(_query, requester, deps) {
    const mine = deps.registry.find("flow", (e) => ownedBy(e, requester));
    return { kind: "json", body: { flows: mine.map((e) => activeFlowTuple(e.tuple as FlowTuple)) } };
  },
};

/** The tunnel a stop/data request names: by its full key with `sport`, else the only one matching the rest. */
function selectTunnel(selector: TunnelSelector, requester: Requester, deps: CaApiDeps): TraceEntry {
  const base = tunnelBaseKey(selector);
  if (selector.sport !== null) return deps.registry.lookup("tunnel", `${base}|${selector.sport}`, requester);
  const matches = deps.registry.find("tunnel", (e) => tunnelBaseKey(e.tuple as TunnelTuple) === base);
  if (matches.length === 0) throw new CaError("E_AoF", "no such tunnel");
  if (matches.length > 1) {
    throw new CaError("EFAIL", `sport: ${matches.length} tunnels match the other parameters; give sport to choose`, {
      kind: "invalid",
    });
  }
  return deps.registry.lookup("tunnel", matches[0]!.key, requester);
}

/** The handlers of start/tunnel, stop/tunnel, data/tunnel and active/tunnel. */
export const tunnelHandlers: Record<Verb, CaHandler> = {
  start(query, requester, deps) {
    const { tunnel, appDport } = parseTunnelStart(query);
    const update = parseCollectionUpdate(query, deps.limits);
    const key = tunnelKey(tunnel);
    deps.registry.start(identity("tunnel", key, tunnelIdString(tunnel), tunnel, appDport), requester, (current) => ({
      target: { kind: "tunnel", tunnel },
      params: merged(current, update),
    }));
    return { kind: "ok" };
  },
  stop(query, requester, deps) {
    const entry = selectTunnel(parseTunnelSelector(query), requester, deps);
    deps.registry.stop("tunnel", entry.key, requester).catch(() => undefined);
    return { kind: "ok" };
  },
  data(query, requester, deps) {
    return dataAnswer(selectTunnel(parseTunnelSelector(query), requester, deps));
  },
  active(_query, requester, deps) {
    const mine = deps.registry.find("tunnel", (e) => ownedBy(e, requester));
    return { kind: "json", body: { flows: mine.map((e) => activeTunnelTuple(e.tuple as TunnelTuple)) } };
  },
};
