/**
 * `flowlens subscriber -c FILE`: the DLE-side service that streams every agent's path rounds from the JetStream path
 * stream as `POST /api/v1/subscription/subscribeAll` (subscribe-all.ts), with `/metrics`, `/healthz`, `/readyz` (ready
 * while connected to NATS) and `/version`. Configuration ({@link subscriberConfigSchema}):
 *
 * ```yaml
 * log-level: info
 * http: { host: 0.0.0.0, port: 8090 }
 * auth: { token-file: /etc/flowlens/subscriber.token }   # optional bearer token
 * nats: { servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222", "nats://10.0.0.3:4222"] }
 * stream: { name: FLOWLENS_PATHS, replicas: 3 }
 * ```
 */
import { hostname } from "node:os";
import { jetstreamManager } from "@nats-io/jetstream";
import { z } from "zod";
import { bearerCheck } from "../agent/bearer-auth.ts";
import { createHttpServer, httpListenSchema } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import { logLevelSchema } from "../runtime/logger.ts";
import { Metrics } from "../runtime/metrics.ts";
import { secretEnvSchema, secretFileSchema } from "../runtime/secret.ts";
import { NatsLink } from "./nats-link.ts";
import { ensurePathStream, jetStreamRoundSource } from "./path-stream.ts";
import { natsConnectionSchema, pathStreamSchema } from "./scale-config.ts";
import { registerSubscribeAll } from "./subscribe-all-route.ts";

/** Default port of the subscriber. */
export const SUBSCRIBER_DEFAULT_PORT = 8090;

/** The subscriber's configuration schema. */
export const subscriberConfigSchema = z.strictObject({
  "log-level": logLevelSchema,
  http: httpListenSchema(SUBSCRIBER_DEFAULT_PORT).prefault({}),
  auth: z
    .strictObject({ "token-file": secretFileSchema().optional(), "token-env": secretEnvSchema().optional() })
    .refine((a) => (a["token-file"] === undefined) !== (a["token-env"] === undefined), {
      error: "give exactly one of token-file or token-env",
    })
    .optional(),
  nats: natsConnectionSchema.prefault({}),
  stream: pathStreamSchema.prefault({}),
});

/** A validated subscriber configuration. */
export type SubscriberConfig = z.output<typeof subscriberConfigSchema>;

/** A running subscriber. */
export interface RunningSubscriber {
  /** `http://host:port`. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Connects to NATS (in the background), creates the path stream when missing, and serves subscribeAll.
 * @throws when the HTTP address cannot be bound.
 */
export async function startSubscriber(config: SubscriberConfig, logger: Logger): Promise<RunningSubscriber> {
  const link = NatsLink.start({ config: config.nats, name: `flowlens-subscriber@${hostname()}`, logger });
  void link.ready().then(async (nc) => {
    for (let attempt = 0; attempt < 60 && !nc.isClosed(); attempt++) {
      try {
        await ensurePathStream(await jetstreamManager(nc), config.stream);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
  const http = createHttpServer({
    name: "flowlens-subscriber",
    metrics: new Metrics(),
    logger,
    host: config.http.host,
    port: config.http.port,
  });
  const token = config.auth?.["token-file"] ?? config.auth?.["token-env"];
  registerSubscribeAll(http.app, {
    sourceName: "jetstream",
    source: jetStreamRoundSource(link, config.stream.name),
    ...(token === undefined ? {} : { auth: bearerCheck(token.reveal()) }),
  });
  http.addReadinessCheck("nats", () => link.connected);
  let url: string;
  try {
    url = (await http.listen()).url;
  } catch (e) {
    await link.close();
    throw e;
  }
  logger.info({ component: "subscriber", url }, "subscriber started");
  return {
    url,
    stop: async () => {
      await http.close();
      await link.close();
    },
  };
}
