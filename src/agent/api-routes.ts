/**
 * The nine resources of the CA Web API (compute-agent-api.txt, Table 3), all GET: list/flow, start/flow, stop/flow,
 * data/flow, active/flow, start/tunnel, stop/tunnel, data/tunnel, active/tunnel. Control calls (start/*, stop/*) answer
 * the envelope of return-codes.ts; data/* answer the Path object itself; list/flow and active/* their spec bodies
 * (`{"FLOWS": [...]}`, `{"flows": [...]}`); every refusal is the envelope with its HTTP status (docs/api.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AgentMetrics, CaResource } from "./agent-metrics.ts";
import type { BearerCheck } from "./bearer-auth.ts";
import type { AgentClock } from "./clock.ts";
import type { ParameterLimits } from "./collection-params.ts";
import { type FlowSource, listFlows } from "./flow-source.ts";
import { CaError, httpStatusOf, okEnvelope, type ReturnCodeName } from "./return-codes.ts";
import { QueryParams, parseBoolean } from "./query.ts";
import type { TraceRegistry } from "./registry.ts";
import type { Requester } from "./trace-entry.ts";
import { flowHandlers, tunnelHandlers } from "./trace-handlers.ts";

/** What the routes use. */
export interface CaApiDeps {
  registry: TraceRegistry;
  flowSource: FlowSource;
  limits: ParameterLimits;
  metrics: AgentMetrics;
  clock: AgentClock;
  /** Present when a bearer token is configured. */
  auth?: BearerCheck;
}

/** What a handler answers on success: the EOK envelope, a JSON value, or JSON text already serialised. */
export type CaAnswer = { kind: "ok" } | { kind: "json"; body: unknown } | { kind: "text"; json: string };

/** One resource's handler. */
export type CaHandler = (query: QueryParams, requester: Requester, deps: CaApiDeps) => CaAnswer | Promise<CaAnswer>;

/** The requester of a request: its `Originator` header (trimmed; empty counts as none) and its client address. */
export function requesterOf(request: FastifyRequest): Requester {
  const header = request.headers.originator;
  const value = (Array.isArray(header) ? header.join(", ") : (header ?? "")).trim();
  return { originator: value === "" ? null : value, address: request.ip };
}

/** Answers `error` as the envelope with its HTTP status (and `Retry-After`, `WWW-Authenticate` where they apply). */
export function sendError(reply: FastifyReply, error: CaError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) void reply.header("retry-after", String(error.retryAfterSeconds));
  if (error.kind === "token") void reply.header("www-authenticate", 'Bearer realm="flowlens-agent"');
  return reply.status(httpStatusOf(error.code, error.kind)).type("application/json").send(error.envelope());
}

function register(app: FastifyInstance, resource: CaResource, handler: CaHandler, deps: CaApiDeps): void {
  app.get(`/${resource}`, async (request, reply) => {
    let code: ReturnCodeName = "EOK";
    try {
      deps.auth?.(request.headers.authorization);
      const answer = await handler(new QueryParams(request.url), requesterOf(request), deps);
      reply.type("application/json");
      if (answer.kind === "ok") return reply.send(okEnvelope());
      if (answer.kind === "text") return reply.send(answer.json);
      return reply.send(answer.body);
    } catch (e) {
      if (e instanceof CaError) {
        code = e.code;
        return sendError(reply, e);
      }
      code = "EFAIL";
      request.log.error({ err: e, resource }, "CA request failed");
      return reply.status(500).type("application/json").send({ rc: 2, code: "EFAIL", message: "internal error" });
    } finally {
      deps.metrics.apiCall(resource, code);
    }
  });
}

async function listFlowHandler(query: QueryParams, _requester: Requester, deps: CaApiDeps): Promise<CaAnswer> {
  const active = query.raw("active");
  const activeOnly = active === undefined ? false : parseBoolean("active", active);
  let flows: Awaited<ReturnType<FlowSource["flows"]>>;
  try {
    flows = await deps.flowSource.flows();
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n", 1)[0] : String(e);
    throw new CaError("EFAIL", `failed to fetch the flows: ${why}`, { kind: "unavailable" });
  }
  return { kind: "json", body: { FLOWS: listFlows(flows, activeOnly, deps.clock.now()) } };
}

/** Adds the nine CA resources to `app`. */
export function registerCaRoutes(app: FastifyInstance, deps: CaApiDeps): void {
  register(app, "list/flow", listFlowHandler, deps);
  for (const [verb, handler] of Object.entries(flowHandlers)) {
    register(app, `${verb}/flow` as CaResource, handler, deps);
  }
  for (const [verb, handler] of Object.entries(tunnelHandlers)) {
    register(app, `${verb}/tunnel` as CaResource, handler, deps);
  }
}
