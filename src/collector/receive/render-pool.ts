/**
 * A fixed set of render workers (render-worker.ts) for one collector interface: each batch of datagrams goes to the
 * worker with the fewest batches in flight, its buffers transferred both ways. Batches may finish out of order across
 * workers; the caller re-orders them (threaded-pipeline.ts). A worker keeps the process alive only while it has work.
 *
 * Loading the worker: from the TypeScript sources (tests, `npm start` before a build) the worker registers tsx's
 * loader itself before importing render-worker.ts (a loader registered on the main thread, or `--import tsx`, does
 * not reach worker threads on Node 20). From the esbuild bundle (dist/), `dist/render-worker.js` is used when the
 * build made one, else the sources through tsx as well.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { transferList } from "./render-batch.ts";
import type { RenderJob } from "./render-worker.ts";

/** Something failed in a render worker (`ERR_COLLECTOR_RENDER_WORKER`): its batches are lost and counted by the caller. */
export class RenderWorkerError extends Error {
  readonly code = "ERR_COLLECTOR_RENDER_WORKER";
  constructor(message: string, cause?: unknown) {
    super(`render worker: ${message}`, { cause });
    this.name = "RenderWorkerError";
  }
}

function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) {
    const bundled = new URL("./render-worker.js", here);
    if (existsSync(fileURLToPath(bundled))) return new Worker(bundled);
  }
  const source = here.endsWith(".ts")
    ? new URL("./render-worker.ts", here)
    : new URL("../src/collector/receive/render-worker.ts", here);
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(boot, { eval: true });
}

interface Pending {
  resolve: (job: RenderJob) => void;
  reject: (e: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: Map<number, Pending>;
}

/** The render workers of one collector interface. */
export class RenderPool {
  /** Number of workers. */
  readonly size: number;
  readonly #workers: PoolWorker[] = [];
  #nextId = 0;
  #closed = false;

  /** Starts `size` workers (at least 1). */
  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
    for (let i = 0; i < this.size; i++) this.#workers.push(this.#start());
  }

  #start(): PoolWorker {
    const worker = startWorker();
    const entry: PoolWorker = { worker, inFlight: new Map() };
    worker.on("message", (job: RenderJob) => {
      const p = entry.inFlight.get(job.id);
      entry.inFlight.delete(job.id);
      if (entry.inFlight.size === 0) worker.unref();
      p?.resolve(job);
    });
    const fail = (e: Error) => {
      const pending = [...entry.inFlight.values()];
      entry.inFlight.clear();
      for (const p of pending) p.reject(new RenderWorkerError(e.message, e));
      const i = this.#workers.indexOf(entry);
      if (i >= 0 && !this.#closed) this.#workers[i] = this.#start(); // a fresh worker takes the next batches
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!this.#closed) fail(new Error(`exited with code ${code}`));
    });
    worker.unref(); // ref'd only while batches are in flight
    return entry;
  }

  /**
   * Renders `job` on a worker; resolves with the job (its buffers transferred back, `lines` and `meta` filled in).
   * The job's buffers are detached until then.
   * @throws RenderWorkerError (rejection) when the worker fails or the pool is closed.
   */
  render(job: Omit<RenderJob, "id">): Promise<RenderJob> {
    if (this.#closed) return Promise.reject(new RenderWorkerError("pool closed"));
    let best = this.#workers[0];
    for (const w of this.#workers) if (w.inFlight.size < best.inFlight.size) best = w;
    const id = this.#nextId++;
    const full = job as RenderJob;
    full.id = id;
    return new Promise((resolve, reject) => {
      if (best.inFlight.size === 0) best.worker.ref();
      best.inFlight.set(id, { resolve, reject });
      best.worker.postMessage(full, transferList(full));
    });
  }

  /** Whether some worker has no batch in flight. */
  get hasIdleWorker(): boolean {
    return this.#workers.some((w) => w.inFlight.size === 0);
  }

  /** Stops the workers; batches still in flight are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = this.#workers.map(async (w) => {
      const pending = [...w.inFlight.values()];
      w.inFlight.clear();
      for (const p of pending) p.reject(new RenderWorkerError("pool closed"));
      await w.worker.terminate();
    });
    await Promise.all(all);
  }
}
