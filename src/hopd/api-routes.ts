/**
 * hopd's HTTP/JSON API (docs/hopd.md) on the runtime HTTP base, under `/v1/`, every route behind the bearer token
 * when one is configured (`/healthz`, `/readyz`, `/version` and `/metrics` stay open):
 *
 * - `GET /v1/device`: DevName, DevSerialID, CPU and memory utilisation, TIMESTAMP Type;
 * - `GET /v1/interfaces`: every interface's Table 14 counters;
 * - `POST /v1/hop`: a flow's hop telemetry at this router (ingress, egress ECMP group and LAGs, flow counter, mirror);
 * - `POST /v1/mirror`: starts the flow's ERSPAN mirror; `POST /v1/release`: removes its counter and mirror;
 * - `GET /v1/sessions`: the flow counters and mirror sessions in place.
 * Errors are `{ "error": { "code", "message" } }` with the status of the {@link HopdError}.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HopdError } from "./errors.ts";
import type { HopService } from "./hop-service.ts";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** A check of the `Authorization` header: `Bearer <token>` (scheme in any case), compared in constant time. */
export function hopdBearerCheck(token: string): (authorization: string | undefined) => void {
  if (token === "") throw new TypeError("the bearer token is empty");
  const expected = digest(token);
  return (authorization) => {
    const m = /^bearer +(.+)$/i.exec(authorization ?? "");
    if (m === null || !timingSafeEqual(digest(m[1]!.trim()), expected)) {
      throw new HopdError("ERR_HOPD_UNAUTHORIZED", "missing or wrong bearer token (Authorization: Bearer <token>)");
    }
  };
}

/** Hooks the API calls for metrics. */
export interface ApiEvents {
  request?(route: string, status: number): void;
}

/** Adds the `/v1/` routes to `app`; `token` null means no authentication (`auth: none`). */
export function registerHopdRoutes(
  app: FastifyInstance,
  service: HopService,
  token: string | null,
  events: ApiEvents = {},
): void {
  const check = token === null ? null : hopdBearerCheck(token);
  app.register(
    async (v1) => {
      v1.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
        if (check === null) return;
        try {
          check(request.headers.authorization);
        } catch (e) {
          void reply.header("www-authenticate", "Bearer");
          throw e;
        }
      });
      v1.addHook("onResponse", async (request, reply) => {
        events.request?.(request.routeOptions.url ?? "unknown", reply.statusCode);
      });
      v1.get("/device", () => service.deviceAnswer());
      v1.get("/interfaces", async () => ({ interfaces: await service.interfaceAnswer() }));
      v1.post("/hop", (request) => service.hop(request.body));
      v1.post("/mirror", (request) => service.mirror(request.body));
      v1.post("/release", (request) => service.release(request.body));
      v1.get("/sessions", async () => ({ counters: service.counters.keys(), mirrors: service.mirrors.list() }));
    },
    { prefix: "/v1" },
  );
}
