/**
 * Creates what the collector's roles need on JetStream when it is missing: the record stream (subjects
 * `flowlens.records.>`, file storage, work-queue retention so an acknowledged message is gone, new messages refused
 * rather than old ones discarded when `max-bytes` is reached, the `Nats-Msg-Id` duplicate window) and, for writers, one durable pull consumer per collector interface that every writer of that
 * interface shares (so several writers on several machines split the interface's messages).
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { ensureStream } from "./ensure-stream.ts";
import type { RecordStreamConfig } from "./scale-config.ts";
import { RECORD_SUBJECT_PREFIX, subjectToken } from "./subject-tokens.ts";

/** Creates the record stream if it does not exist (an existing stream is used as it is). */
export async function ensureRecordStream(jsm: JetStreamManager, config: RecordStreamConfig): Promise<void> {
  await ensureStream(jsm, {
    name: config.name,
    subjects: [`${RECORD_SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Workqueue,
    // Full (max-bytes): refuse new messages (they wait in the receivers' disk buffers) rather than drop unwritten ones.
    discard: DiscardPolicy.New,
    storage: StorageType.File,
    num_replicas: config.replicas,
    duplicate_window: nanos(config["duplicate-window"]),
    max_bytes: config["max-bytes"],
    max_age: nanos(config["max-age"]),
  });
}

/** The durable consumer name of one collector interface's writers (`<prefix>-<interface token>`). */
export function writerDurableName(prefix: string, interfaceName: string): string {
  return `${prefix}-${subjectToken(interfaceName).replaceAll("%", "_")}`;
}

/** Creates the interface's durable writer consumer if missing; returns its name. */
export async function ensureWriterConsumer(
  jsm: JetStreamManager,
  stream: string,
  options: { prefix: string; interfaceName: string; ackWaitMs: number; replicas: number },
): Promise<string> {
  const durable = writerDurableName(options.prefix, options.interfaceName);
  try {
    await jsm.consumers.info(stream, durable);
    return durable;
  } catch {
    // not found: create it
  }
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `${RECORD_SUBJECT_PREFIX}.${subjectToken(options.interfaceName)}.>`,
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: 20_000,
    num_replicas: options.replicas,
  });
  return durable;
}
