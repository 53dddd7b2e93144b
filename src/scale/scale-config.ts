/**
 * Configuration of scale-out on NATS JetStream (docs/scale-out.md): the `scale-out` section of the collector
 * configuration ({@link collectorScaleOutSchema}) and of the agent configuration ({@link agentScaleOutSchema}), and the
 * NATS connection both use ({@link natsConnectionSchema}). Without the section nothing changes: the collector runs
 * today's single process (`role: all`) and the agent publishes nothing.
 */
import { z } from "zod";
import { durationSchema } from "../runtime/duration.ts";
import { secretFileSchema } from "../runtime/secret.ts";
import { sizeSchema } from "../runtime/size.ts";

const natsUrl = z
  .string()
  .regex(/^(nats|tls):\/\/[^/\s@]+(:\d{1,5})?$/, { error: "expected nats://host:port (no credentials in the URL)" });

/** How to reach NATS: seed servers (the client learns the rest of a cluster), optional token from a file. */
export const natsConnectionSchema = z.strictObject({
  /** Seed servers, tried in order; reconnects go to any server of the cluster. */
  servers: z.array(natsUrl).min(1).default(["nats://127.0.0.1:4222"]),
  /** Client connection name shown by the server (default: the process's role and host). */
  name: z.string().min(1).max(200).optional(),
  /** Authentication token, read from a file. */
  "token-file": secretFileSchema().optional(),
  /** Wait between reconnect attempts (default 500ms). */
  "reconnect-wait": durationSchema({ min: "10ms", max: "1m" }).default(500),
});

/** A JetStream stream name (letters, digits, `_` and `-`, 1 to 64 of them), `fallback` when not given. */
function streamNameSchema(fallback: string) {
  return z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "letters, digits, _ and - (at most 64)" })
    .default(fallback);
}

/** Replicas of a stream: 1, or 3 on a three-node cluster; at most 5 (default 1). */
const replicasSchema = z.number().int().min(1).max(5).default(1);

/** The record stream: name, replicas, de-duplication window, retention limits. */
export const recordStreamSchema = z.strictObject({
  /** JetStream stream name (created when missing, with the subjects `flowlens.records.>`). */
  name: streamNameSchema("FLOWLENS_RECORDS"),
  /** Replicas of the stream (1, or 3 on a three-node cluster; at most 5). */
  replicas: replicasSchema,
  /** Messages whose `Nats-Msg-Id` the stream saw within this window are dropped as duplicates (default 2m). */
  "duplicate-window": durationSchema({ min: "1s", max: "1d" }).default(120_000),
  /** Bytes the stream keeps at most; when full, new publishes are refused (and go to the receivers' disk buffers). */
  "max-bytes": sizeSchema({ min: "1MiB", max: "16TiB" }).default(8 * 1024 ** 3),
  /** Age after which an undelivered message is removed (default 7d). */
  "max-age": durationSchema({ min: "1m", max: "365d" }).default(7 * 86_400_000),
});

/** The receiver role's publishing: batches, window, disk buffer. */
export const receiverPublishSchema = z.strictObject({
  /** Records per message at most (one message carries one exporter stream's consecutive records). */
  "batch-records": z.number().int().min(1).max(10_000).default(1000),
  /** A batch that is not full is published after this wait (default 20ms). */
  linger: durationSchema({ min: "1ms", max: "10s" }).default(20),
  /** Publishes awaiting their acknowledgement at most; beyond it messages go to the disk buffer (default 64). */
  "publish-window": z.number().int().min(1).max(10_000).default(64),
  /** Wait for a publish acknowledgement before the message goes to the disk buffer (default 5s). */
  "publish-timeout": durationSchema({ min: "100ms", max: "5m" }).default(5000),
  /** Disk buffer directory (default `<spool-directory>/jetstream-buffer`). */
  "buffer-directory": z.string().min(1).optional(),
  /** Disk buffer bound; records beyond it are dropped and counted (default 1GiB). */
  "buffer-limit": sizeSchema({ min: "1KiB", max: "16TiB" }).default(1024 ** 3),
});

/** The writer role's consuming. */
export const writerConsumeSchema = z.strictObject({
  /** Durable consumer name prefix; writers with the same prefix share an interface's records (default flowlens-writer). */
  "durable-prefix": z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, { error: "letters, digits, _ and - (at most 40)" })
    .default("flowlens-writer"),
  /** Messages fetched (and acknowledged) together (default 256). */
  "fetch-batch": z.number().int().min(1).max(10_000).default(256),
  /** Unacknowledged messages are delivered again after this wait (default 30s). */
  "ack-wait": durationSchema({ min: "1s", max: "1h" }).default(30_000),
});

/** Most receiver worker processes one collector may run (`scale-out.processes`). */
export const MAX_RECEIVER_PROCESSES = 64;

/** The collector's `scale-out` section. */
export const collectorScaleOutSchema = z
  .strictObject({
    /** `all`: today's single process (NATS not used); `receiver`: UDP → stream; `writer`: stream → record files → FTP. */
    role: z.enum(["all", "receiver", "writer"]).default("all"),
    /**
     * Receiver processes sharing the interfaces' UDP sockets (node:cluster workers, src/scale/receiver-cluster.ts),
     * 1 to {@link MAX_RECEIVER_PROCESSES}; more than 1 only with `role: receiver` (default 1: no workers).
     */
    processes: z.number().int().min(1).max(MAX_RECEIVER_PROCESSES).default(1),
    nats: natsConnectionSchema.prefault({}),
    stream: recordStreamSchema.prefault({}),
    receiver: receiverPublishSchema.prefault({}),
    writer: writerConsumeSchema.prefault({}),
  })
  .superRefine((s, ctx) => {
    if (s.processes > 1 && s.role !== "receiver") {
      ctx.addIssue({
        code: "custom",
        path: ["processes"],
        message: `more than one process only with role receiver (role is ${s.role})`,
      });
    }
  });

/** The path stream of the agents. */
export const pathStreamSchema = z.strictObject({
  name: streamNameSchema("FLOWLENS_PATHS"),
  replicas: replicasSchema,
  "max-age": durationSchema({ min: "1m", max: "365d" }).default(86_400_000),
  "max-bytes": sizeSchema({ min: "1MiB", max: "16TiB" }).default(1024 ** 3),
});

/** The agent's `scale-out` section: publish every completed round's Path to JetStream. */
export const agentScaleOutSchema = z.strictObject({
  /** This agent's name in subjects and messages (default: the host name). */
  "agent-name": z.string().min(1).max(100).optional(),
  nats: natsConnectionSchema.prefault({}),
  stream: pathStreamSchema.prefault({}),
  /** Rounds kept in memory while NATS is away; older ones are dropped and counted (default 10000). */
  "pending-limit": z.number().int().min(1).max(10_000_000).default(10_000),
});

/** The validated NATS connection settings. */
export type NatsConnectionConfig = z.output<typeof natsConnectionSchema>;
/** The validated collector `scale-out` section. */
export type CollectorScaleOutConfig = z.output<typeof collectorScaleOutSchema>;
/** The validated record stream settings. */
export type RecordStreamConfig = z.output<typeof recordStreamSchema>;
/** The validated agent `scale-out` section. */
export type AgentScaleOutConfig = z.output<typeof agentScaleOutSchema>;
/** The validated path stream settings. */
export type PathStreamConfig = z.output<typeof pathStreamSchema>;
