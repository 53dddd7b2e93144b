/**
 * The collector's scale-out role (`scale-out.role`, docs/scale-out.md), wired around the interface runtimes:
 *
 * - `all` (the default, and what a configuration without `scale-out` means): today's single process; nothing here runs.
 * - `receiver`: every interface's UDP listeners feed a stream receiver (src/scale/stream-receiver.ts) whose records are
 *   published to JetStream by one process-wide publisher with its disk buffer; no record files are written. With
 *   `processes` above 1 this runs in each node:cluster worker (src/scale/receiver-cluster.ts), whose listeners then
 *   share the primary's UDP sockets instead of binding exclusively.
 * - `writer`: no UDP sockets; every interface consumes its records from JetStream (src/scale/stream-writer.ts) into its
 *   record files, which rotate and ship as usual.
 *
 * Either role adds `GET /api/v1/scale-out` and `flowlens_collector_jetstream_*` metrics (src/scale/scale-status.ts).
 */
import cluster from "node:cluster";
import { hostname } from "node:os";
import { join } from "node:path";
import type { HttpServer } from "../runtime/http.ts";
import type { Logger } from "../runtime/logger.ts";
import type { Metrics } from "../runtime/metrics.ts";
import { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsLink } from "../scale/nats-link.ts";
import { RecordPublisher } from "../scale/record-publisher.ts";
import { ensureRecordStream } from "../scale/record-stream-setup.ts";
import { collectorScaleOutSchema, type CollectorScaleOutConfig } from "../scale/scale-config.ts";
import { receiverWorkerIdentity } from "../scale/receiver-worker.ts";
import { registerScaleOutStatus, type ScaleOutStatus } from "../scale/scale-status.ts";
import { SpoolBuffer } from "../scale/spool-buffer.ts";
import { StreamReceiver } from "../scale/stream-receiver.ts";
import { StreamWriter } from "../scale/stream-writer.ts";
import type { CollectorConfig } from "./config.ts";
import type { Clock } from "./contracts.ts";
import type { InterfaceRuntime, ReceiverPart, StartReceiver } from "./interface-runtime.ts";

/** The role's hooks into the collector's start and stop. */
export interface ScaleRole {
  readonly role: CollectorScaleOutConfig["role"];
  /** The receiver to start for interface `name` (undefined: the single-process receiver). */
  receiverFor(name: string): StartReceiver | undefined;
  /** After the interfaces started: writers begin consuming; status route and metrics are added. */
  started(runtimes: ReadonlyMap<string, InterfaceRuntime>, http: HttpServer, metrics: Metrics): void;
  /** After the interfaces stopped: the publisher drains (until `signal`), the NATS connection closes. */
  close(signal: AbortSignal): Promise<void>;
  status(): ScaleOutStatus;
}

const SINGLE: ScaleRole = {
  role: "all",
  receiverFor: () => undefined,
  started: () => undefined,
  close: async () => undefined,
  status: () => ({ role: "all", connected: false }),
};

/** Builds the role of `config` (nothing connects before an interface starts). */
export function createScaleRole(config: CollectorConfig, logger: Logger, clock: Clock): ScaleRole {
  const scale = config["scale-out"] ?? collectorScaleOutSchema.parse({});
  if (scale.role === "all") return SINGLE;
  const log = new RateLimitedLog(logger.child({ component: "scale-out" }));
  const connect = () => NatsLink.start({ config: scale.nats, name: `flowlens-${scale.role}@${hostname()}`, logger });
  return scale.role === "receiver"
    ? receiverRole(config, scale, connect, log)
    : writerRole(config, scale, connect(), logger, log, clock);
}

function receiverRole(
  config: CollectorConfig,
  scale: CollectorScaleOutConfig,
  connect: () => NatsLink,
  log: RateLimitedLog,
): ScaleRole {
  const r = scale.receiver;
  const sharedListen = scale.processes > 1 && cluster.isWorker;
  const worker = sharedListen ? receiverWorkerIdentity() : undefined;
  const spool = SpoolBuffer.open({
    directory: r["buffer-directory"] ?? join(config["spool-directory"], "jetstream-buffer"),
    maxBytes: r["buffer-limit"],
  });
  const link = connect(); // after the buffer opened: a bad buffer directory leaves nothing running
  let streamReady = false;
  void link.ready().then(async (nc) => {
    while (!streamReady) {
      try {
        await ensureRecordStream(await jetstreamManager(nc), scale.stream);
        streamReady = true;
      } catch (e) {
        log.warn("ERR_SCALE_NATS", `cannot create the record stream: ${String(e)}`);
        await new Promise((res) => setTimeout(res, 500));
        if (nc.isClosed()) return;
      }
    }
  });
  const publisher = new RecordPublisher({
    link,
    spool,
    window: r["publish-window"],
    timeoutMs: r["publish-timeout"],
    streamReady: () => streamReady,
    log,
  });
  const status = (): ScaleOutStatus => ({
    role: "receiver",
    connected: link.connected,
    ...(worker === undefined ? {} : { worker: { index: worker.index, processes: scale.processes } }),
    publisher: {
      ...publisher.counters,
      bufferBytes: publisher.bufferedBytes,
      bufferLimit: spool.maxBytes,
      inflight: publisher.inflight,
    },
  });
  return {
    role: "receiver" as const,
    receiverFor:
      (name: string): StartReceiver =>
      async (o) =>
        StreamReceiver.start({
          interfaceName: name,
          config: o.config,
          batchRecords: r["batch-records"],
          lingerMs: r.linger,
          publish: (m) => publisher.publish(m),
          sharedListen,
          clock: o.clock,
          log: o.log,
        }),
    started: (_runtimes: ReadonlyMap<string, InterfaceRuntime>, http: HttpServer, metrics: Metrics) =>
      registerScaleOutStatus(http, metrics, status),
    close: async (signal: AbortSignal) => {
      await publisher.close(signal);
      await link.close();
    },
    status,
  };
}

function writerRole(
  config: CollectorConfig,
  scale: CollectorScaleOutConfig,
  link: NatsLink,
  logger: Logger,
  log: RateLimitedLog,
  clock: Clock,
): ScaleRole {
  const writers = new Map<string, StreamWriter>();
  for (const [name, ifc] of Object.entries(config.interfaces)) {
    writers.set(name, new StreamWriter({ interfaceName: name, config: ifc, scale, link, clock, logger, log }));
  }
  const status = (): ScaleOutStatus => ({
    role: "writer",
    connected: link.connected,
    writers: [...writers].map(([name, w]) => ({ interface: name, ...w.counters })),
  });
  return {
    role: "writer",
    receiverFor: (name) => {
      const w = writers.get(name);
      return w === undefined ? undefined : async (): Promise<ReceiverPart> => w;
    },
    started: (runtimes, http, metrics) => {
      for (const [name, w] of writers) {
        const runtime = runtimes.get(name);
        if (runtime !== undefined) w.run(runtime.files);
      }
      registerScaleOutStatus(http, metrics, status);
    },
    close: async () => {
      await Promise.all([...writers.values()].map((w) => w.close()));
      await link.close();
    },
    status,
  };
}
