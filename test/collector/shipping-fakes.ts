/**
 * Test doubles for the shipping tests: a scripted destination, an in-memory transfer log, closed record files in a
 * temporary spool, and a polling wait.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClosedRecordFile, TransferResult } from "../../src/collector/contracts.ts";
import type { Destination } from "../../src/collector/shipping/destination.ts";
import type { TransferLogSink } from "../../src/collector/shipping/transfer-log.ts";
import type { TransferLogEntry } from "../../src/wire/transfer-log.ts";

/** One call of a {@link FakeDestination}. */
export interface FakeCall {
  name: string;
  ok: boolean;
  aborted: boolean;
}

/**
 * A destination that accepts files while `up`, refuses them (`rc=0`, `ECONNREFUSED`) while down, and holds an upload
 * open while `hold` is true (until `release()` or the abort signal).
 */
export class FakeDestination implements Destination {
  readonly url: string;
  up = true;
  /** Calls to refuse before the `up` flag counts again. */
  failNext = 0;
  hold = false;
  readonly calls: FakeCall[] = [];
  /** Files received, by name, with their content. */
  readonly received = new Map<string, Buffer>();
  #release: (() => void) | undefined;
  #holding: (() => void) | undefined;

  constructor(url: string) {
    this.url = url;
  }

  /** Resolves when an upload is being held. */
  holding(): Promise<void> {
    return new Promise((resolve) => {
      this.#holding = resolve;
    });
  }

  /** Lets a held upload go on. */
  release(): void {
    this.#release?.();
  }

  async upload(localPath: string, remoteName: string, signal?: AbortSignal): Promise<TransferResult> {
    if (this.hold) {
      await new Promise<void>((resolve) => {
        this.#release = resolve;
        signal?.addEventListener("abort", () => resolve(), { once: true });
        this.#holding?.();
      });
    }
    if (signal?.aborted) {
      this.calls.push({ name: remoteName, ok: false, aborted: true });
      return { ok: false, code: 0, message: "aborted", bytes: 0, ms: 1 };
    }
    if (!this.up || this.failNext > 0) {
      this.failNext = Math.max(0, this.failNext - 1);
      this.calls.push({ name: remoteName, ok: false, aborted: false });
      return { ok: false, code: 0, message: "ECONNREFUSED: connect ECONNREFUSED", bytes: 0, ms: 2 };
    }
    const data = await readFile(localPath);
    this.received.set(remoteName, data);
    this.calls.push({ name: remoteName, ok: true, aborted: false });
    return { ok: true, code: 250, message: "", bytes: data.length, ms: 3 };
  }
}

/** A transfer log kept in memory. */
export class MemoryTransferLog implements TransferLogSink {
  readonly entries: TransferLogEntry[] = [];
  purges = 0;

  append(entry: TransferLogEntry): void {
    this.entries.push(entry);
  }

  async purge(): Promise<number> {
    this.purges++;
    const n = this.entries.length;
    this.entries.length = 0;
    return n;
  }
}

/** Writes a closed record file of `size` bytes into `dir` and describes it. */
export async function closedFile(dir: string, name: string, channel: 0 | 1 = 0, size = 100): Promise<ClosedRecordFile> {
  const path = join(dir, name);
  await writeFile(path, Buffer.alloc(size, name.length));
  return {
    path,
    name,
    interfaceName: "cp-6/0/0",
    input: "mo-7/1/0.0",
    channel,
    records: 10,
    uncompressedBytes: size * 5,
    compressedBytes: size,
    compressedBlocks: 1,
    createdAtMs: 1_700_000_000_000,
    closedAtMs: 1_700_000_060_000,
  };
}

/** Polls `condition` every few milliseconds until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
