/**
 * gzip compression of record blocks on worker threads. node:zlib's async `gzip` already runs on libuv's thread pool, but
 * it sets up a new deflate stream on the main thread for every call (about 0.2 ms for a 128 KiB block: a third of the
 * collector's main-thread time at 1 M records/s). Here each block's bytes are transferred (not copied) to a worker that
 * runs `gzipSync`, and the finished member is transferred back, so the main thread only posts messages.
 *
 * One pool per process, created on first use; a worker keeps the process alive only while it has jobs in flight. The
 * workers run at niceness 5 (as the render workers, receive/render-worker.ts), so that under CPU contention the main
 * thread drains the sockets first and blocks wait, within the memory budget, for compression.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { gzipSync } = require("node:zlib");
try {
  require("node:os").setPriority(5); // this thread only (Linux): the receiving main thread goes first
} catch {}
parentPort.on("message", (job) => {
  try {
    const out = gzipSync(new Uint8Array(job.buffer, job.offset, job.length), { level: job.level });
    const member = new Uint8Array(out); // own ArrayBuffer: zlib's output may share a pooled one
    parentPort.postMessage({ id: job.id, member, block: job.buffer }, [member.buffer, job.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: String(e && e.message ? e.message : e) });
  }
});
`;

interface Pending {
  resolve: (member: Uint8Array) => void;
  reject: (e: Error) => void;
  reuse: ((block: ArrayBuffer) => void) | undefined;
}

interface PoolWorker {
  worker: Worker;
  inFlight: number;
}

/** A fixed set of compression workers. */
export class GzipPool {
  readonly #workers: PoolWorker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  /** `size` workers (default: one per core beyond the first, at least 1, at most 4). */
  constructor(size = Math.max(1, Math.min(4, availableParallelism() - 1))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      const entry = { worker, inFlight: 0 };
      worker.on("message", (m: { id: number; member?: Uint8Array; block?: ArrayBuffer; error?: string }) => {
        if (--entry.inFlight === 0) worker.unref();
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (p === undefined) return;
        if (m.block !== undefined) p.reuse?.(m.block);
        if (m.member !== undefined) p.resolve(m.member);
        else p.reject(new Error(`gzip failed: ${m.error}`));
      });
      worker.on("error", (e) => this.#failAll(e));
      worker.unref(); // after the listeners (adding one refs the port again); ref'd only while jobs are in flight
      this.#workers.push(entry);
    }
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  /**
   * Compresses `length` bytes at `offset` of `buffer` into one gzip member at `level` (0-9). The buffer is transferred
   * to the worker: it is unusable (detached) afterwards; once compressed it is handed back to `reuse`, if given.
   */
  gzip(
    buffer: ArrayBuffer,
    offset: number,
    length: number,
    level: number,
    reuse?: (block: ArrayBuffer) => void,
  ): Promise<Uint8Array> {
    let best = this.#workers[0];
    for (const w of this.#workers) if (w.inFlight < best.inFlight) best = w;
    const id = this.#nextId++;
    if (best.inFlight++ === 0) best.worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, reuse });
      best.worker.postMessage({ id, buffer, offset, length, level }, [buffer]);
    });
  }

  /** Stops the workers (pending jobs fail). */
  async close(): Promise<void> {
    this.#failAll(new Error("gzip pool closed"));
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

let shared: GzipPool | undefined;

/** The process's pool, created on first use. */
export function sharedGzipPool(): GzipPool {
  shared ??= new GzipPool();
  return shared;
}

/** Spare blocks kept per block size (their memory is not in any budget: at most this many times block-size). */
const SPARE_BLOCKS = 16;
const spareBlocks = new Map<number, ArrayBuffer[]>();

/**
 * A block buffer of `size` bytes with its own ArrayBuffer (transferable), reused from {@link returnBlock} when one is
 * spare: recycling the blocks spares the garbage collector 128 KiB of external memory per block.
 */
export function takeBlock(size: number): Buffer {
  const spare = spareBlocks.get(size)?.pop();
  return spare === undefined ? Buffer.allocUnsafeSlow(size) : Buffer.from(spare, 0, size);
}

/** Gives a block's ArrayBuffer back for reuse by {@link takeBlock} (kept only while few are spare). */
export function returnBlock(block: ArrayBuffer): void {
  if (block.byteLength === 0) return; // detached
  let list = spareBlocks.get(block.byteLength);
  if (list === undefined) {
    list = [];
    spareBlocks.set(block.byteLength, list);
  }
  if (list.length < SPARE_BLOCKS) list.push(block);
}
