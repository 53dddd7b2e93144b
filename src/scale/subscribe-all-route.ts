/**
 * Registers `POST /api/v1/subscription/subscribeAll` (subscribe-all.ts) on a fastify app over a {@link RoundSource}: the
 * agent's own feed (src/agent/subscription-routes.ts) or the JetStream path stream (subscriber-server.ts). Refusals are
 * the CA envelope (`{"rc": 2, "code": "EFAIL", "message": ...}`, HTTP 400; a missing or wrong bearer token 401
 * `E_UNAUTHORIZED`; a source that cannot start 503).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { BearerCheck } from "../agent/bearer-auth.ts";
import { CaError, httpStatusOf } from "../agent/return-codes.ts";
import type { PathRoundMessage } from "./path-message.ts";
import { parseSubscribeAllRequest, SseStream, SUBSCRIBE_ALL_PATH, type SubscribeAllRequest } from "./subscribe-all.ts";

/** Delivers one round with its event id. */
export type RoundEmitter = (message: PathRoundMessage, id: string) => void;

/**
 * Starts delivering the rounds a request asks for; resolves with the function that stops it.
 * @throws CaError to refuse the request (before anything is sent).
 */
export type RoundSource = (
  request: SubscribeAllRequest,
  lastEventId: string | undefined,
  emit: RoundEmitter,
) => Promise<() => void>;

/** Options of {@link registerSubscribeAll}. */
export interface SubscribeAllRouteOptions {
  /** `agent` or `jetstream`, reported in the `subscribed` event. */
  sourceName: string;
  source: RoundSource;
  auth?: BearerCheck;
  /** Keepalive comment period, ms (default 15 s). */
  keepaliveMs?: number;
}

function refuse(reply: FastifyReply, e: CaError): FastifyReply {
  if (e.kind === "token") void reply.header("www-authenticate", 'Bearer realm="flowlens"');
  return reply.status(httpStatusOf(e.code, e.kind)).type("application/json").send(e.envelope());
}

/** Adds the route; see the module comment. */
export function registerSubscribeAll(app: FastifyInstance, o: SubscribeAllRouteOptions): void {
  app.post(SUBSCRIBE_ALL_PATH, async (request, reply) => {
    let stop: () => void;
    let sse: SseStream | undefined;
    const pending: [PathRoundMessage, string][] = [];
    try {
      o.auth?.(request.headers.authorization);
      let parsed: SubscribeAllRequest;
      try {
        parsed = parseSubscribeAllRequest(request.body);
      } catch (e) {
        throw new CaError("EFAIL", (e as Error).message, { kind: "invalid" });
      }
      const last = request.headers["last-event-id"];
      stop = await o.source(parsed, Array.isArray(last) ? last[0] : last, (m, id) => {
        if (sse === undefined) pending.push([m, id]);
        else sse.send("path", m, id);
      });
      reply.hijack();
      sse = new SseStream(reply.raw, o.keepaliveMs);
      sse.send("subscribed", { source: o.sourceName, ...parsed });
      for (const [m, id] of pending.splice(0)) sse.send("path", m, id);
      sse.onClose(stop);
    } catch (e) {
      if (e instanceof CaError) return refuse(reply, e);
      request.log.error({ err: e }, "subscribeAll failed");
      return refuse(reply, new CaError("EFAIL", "subscription source unavailable", { kind: "unavailable" }));
    }
  });
}
