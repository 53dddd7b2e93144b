/**
 * Entry point of a collector render worker (a `node:worker_threads` thread started by render-pool.ts): receives
 * batches of datagrams (render-batch.ts), renders their records as runs of lines, and transfers the buffers back. Holds no
 * state between batches beyond its reusable decoder.
 */
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import type { CollectorRecordPrefix } from "../../wire/collector-record.ts";
import { type BatchBuffers, BatchRenderer, transferList } from "./render-batch.ts";

/** A batch sent to a worker, and the same object sent back once rendered. */
export interface RenderJob extends BatchBuffers {
  /** The pool's job id. */
  id: number;
  /** Datagrams in the batch. */
  datagrams: number;
  /** The constant fields of the runs (`meta` refers to them by index). */
  prefixes: CollectorRecordPrefix[];
  /** Lines rendered (set by the worker). */
  lines?: number;
}

/**
 * Niceness of the worker threads (render and gzip): above the receiving main thread's, so that under CPU contention
 * the socket is drained first and the deferred work waits in the bounded backlog (Linux: per thread).
 */
export const WORKER_NICENESS = 5;

const port = parentPort;
if (port !== null) {
  try {
    setPriority(WORKER_NICENESS); // pid 0: this thread only on Linux
  } catch {
    // not permitted or not supported: run at the process's priority
  }
  const renderer = new BatchRenderer();
  port.on("message", (job: RenderJob) => {
    job.lines = renderer.render(job, job.datagrams, job.prefixes);
    port.postMessage(job, transferList(job));
  });
}
