/**
 * The worker side of `scale-out.processes` (docs/scale-out.md, "Several receivers on one machine"): how a forked
 * process knows it is receiver worker N, the configuration it runs (its own spool, disk buffer, transfer-log directory
 * and admin port, derived from the shared file), and the IPC messages between the workers and the primary
 * (src/scale/receiver-cluster.ts).
 */
import cluster from "node:cluster";
import { join } from "node:path";
import type { CollectorConfig } from "../collector/config.ts";

/** Environment variable set on a forked receiver worker: its index, 0 to `processes - 1`. */
export const RECEIVER_WORKER_ENV = "FLOWLENS_RECEIVER_WORKER";
/** Environment variable set on a forked receiver worker: the TCP port of its admin API (1 to 65535). */
export const RECEIVER_WORKER_ADMIN_ENV = "FLOWLENS_RECEIVER_WORKER_ADMIN_PORT";

/** Which receiver worker this process is. */
export interface ReceiverWorkerIdentity {
  /** 0 to `processes - 1`; a restarted worker keeps its index (and so its directories). */
  readonly index: number;
  /** TCP port of the worker's admin API. */
  readonly adminPort: number;
}

/** A worker's report to the primary: started (with its admin URL) or failed to start (one-line message). */
export type ReceiverWorkerMessage =
  | { readonly flowlens: "receiver-worker"; readonly index: number; readonly adminUrl: string }
  | { readonly flowlens: "receiver-worker"; readonly index: number; readonly error: string };

/** The primary's request to a worker: drain and exit (as SIGTERM does). */
export const DRAIN_MESSAGE = { flowlens: "receiver-drain" } as const;

/** This process's identity when it is a node:cluster worker forked as a receiver worker; otherwise undefined. */
export function receiverWorkerIdentity(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReceiverWorkerIdentity | undefined {
  const index = env[RECEIVER_WORKER_ENV];
  const port = env[RECEIVER_WORKER_ADMIN_ENV];
  if (!cluster.isWorker || index === undefined || port === undefined) return undefined;
  return { index: Number(index), adminPort: Number(port) };
}

/** The directory of worker `index` below `directory` (`<directory>/receiver-<index>`). */
export function receiverWorkerDirectory(directory: string, index: number): string {
  return join(directory, `receiver-${index}`);
}

/**
 * The configuration worker `identity` runs: `config` with the spool directory, the disk buffer directory (when set)
 * and the transfer-log directory each moved to its `receiver-<index>` subdirectory (two processes never share one),
 * and the admin port replaced by the worker's.
 */
export function receiverWorkerConfig(config: CollectorConfig, identity: ReceiverWorkerIdentity): CollectorConfig {
  const scale = config["scale-out"];
  const sub = (dir: string) => receiverWorkerDirectory(dir, identity.index);
  const bufferDirectory = scale?.receiver["buffer-directory"];
  return {
    ...config,
    "spool-directory": sub(config["spool-directory"]),
    admin: { ...config.admin, port: identity.adminPort },
    "transfer-log-archive": {
      ...config["transfer-log-archive"],
      directory: sub(config["transfer-log-archive"].directory),
    },
    ...(scale === undefined
      ? {}
      : {
          "scale-out": {
            ...scale,
            receiver: {
              ...scale.receiver,
              ...(bufferDirectory === undefined ? {} : { "buffer-directory": sub(bufferDirectory) }),
            },
          },
        }),
  };
}

/** Sends `message` to the primary (nothing outside a cluster worker). */
export function reportToPrimary(message: ReceiverWorkerMessage): void {
  process.send?.(message);
}

/** Calls `drain` when the primary asks this worker to drain; returns the function that stops listening. */
export function onDrainRequest(drain: () => void): () => void {
  const listener = (m: unknown) => {
    if (typeof m === "object" && m !== null && (m as { flowlens?: unknown }).flowlens === DRAIN_MESSAGE.flowlens)
      drain();
  };
  process.on("message", listener);
  return () => process.off("message", listener);
}

/** Whether an IPC message is a {@link ReceiverWorkerMessage}. */
export function isReceiverWorkerMessage(m: unknown): m is ReceiverWorkerMessage {
  return (
    typeof m === "object" &&
    m !== null &&
    (m as { flowlens?: unknown }).flowlens === "receiver-worker" &&
    typeof (m as { index?: unknown }).index === "number"
  );
}
