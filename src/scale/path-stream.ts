/**
 * The agents' path stream on JetStream: {@link ensurePathStream} creates it when missing (subjects `flowlens.paths.>`,
 * limits retention so any number of subscribers read it, file storage, duplicate window 2 minutes), and
 * {@link jetStreamRoundSource} serves subscribeAll from it with an ordered (ephemeral) consumer per subscriber.
 */
import { DeliverPolicy, type JetStreamManager, jetstream, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { CaError } from "../agent/return-codes.ts";
import { ensureStream } from "./ensure-stream.ts";
import type { NatsLink } from "./nats-link.ts";
import type { PathRoundMessage } from "./path-message.ts";
import type { PathStreamConfig } from "./scale-config.ts";
import type { RoundSource } from "./subscribe-all-route.ts";
import { wanted } from "./subscribe-all.ts";
import { PATH_SUBJECT_PREFIX, subjectToken } from "./subject-tokens.ts";

/** Creates the path stream if it does not exist (an existing one is used as it is). */
export async function ensurePathStream(jsm: JetStreamManager, config: PathStreamConfig): Promise<void> {
  await ensureStream(jsm, {
    name: config.name,
    subjects: [`${PATH_SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: config.replicas,
    duplicate_window: nanos(120_000),
    max_age: nanos(config["max-age"]),
    max_bytes: config["max-bytes"],
  });
}

/**
 * subscribeAll over the path stream named `stream`: event ids are stream sequences; `Last-Event-ID: N` resumes at N+1,
 * `deliver: all` starts at the oldest message kept, else only rounds published from now on. One agent is filtered by
 * the server (its subject); several agents are filtered here (nats-server 2.9 has one filter subject per consumer).
 */
export function jetStreamRoundSource(link: NatsLink, stream: string): RoundSource {
  return async (request, lastEventId, emit) => {
    const nc = link.connection;
    if (nc === undefined || !link.connected) {
      throw new CaError("EFAIL", "NATS is not reachable", { kind: "unavailable", retryAfterSeconds: 5 });
    }
    const resume = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) + 1 : undefined;
    const agents = request.agents;
    let consumer: Awaited<ReturnType<ReturnType<typeof jetstream>["consumers"]["get"]>>;
    try {
      consumer = await jetstream(nc).consumers.get(stream, {
        filter_subjects:
          agents?.length === 1 ? `${PATH_SUBJECT_PREFIX}.${subjectToken(agents[0])}.>` : `${PATH_SUBJECT_PREFIX}.>`,
        ...(resume !== undefined
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resume }
          : { deliver_policy: request.deliver === "all" ? DeliverPolicy.All : DeliverPolicy.New }),
      });
    } catch (e) {
      throw new CaError("EFAIL", `path stream ${stream} unavailable: ${String(e)}`, { kind: "unavailable" });
    }
    const messages = await consumer.consume();
    void (async () => {
      try {
        for await (const m of messages) {
          let body: PathRoundMessage;
          try {
            body = m.json<PathRoundMessage>();
          } catch {
            continue; // not a path message: skipped
          }
          if (wanted(request, body)) emit(body, String(m.seq));
        }
      } catch {
        // the consumer ended (connection closed): the subscriber reconnects with Last-Event-ID
      }
    })();
    return () => void messages.close();
  };
}
