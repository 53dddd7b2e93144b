/**
 * Shared pieces of the record-file tests: a collector interface configuration, deterministic flows, a manual clock,
 * and file operations that record or fail on demand (an injected full disk).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CollectorInterfaceConfig, collectorInterfaceSchema } from "../../src/collector/config.ts";
import { nodeRecordFileOps, type RecordFileOps } from "../../src/collector/record-files/file-ops.ts";
import type { CollectorFlowFields } from "../../src/wire/collector-record.ts";

/** A validated interface `cp-6/0/0` with one input `so-3/0/0.0` on channel 0 (and `at-4/0/0.4` on 0 and 1). */
export function interfaceConfig(fileSpecification: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return collectorInterfaceSchema.parse({
    listen: ["127.0.0.1:0"],
    "analyzer-address": "10.10.10.1",
    "analyzer-id": "server1",
    inputs: {
      "so-3/0/0.0": { exporter: "192.0.2.1" },
      "at-4/0/0.4": { exporter: "192.0.2.2", channels: [0, 1] },
    },
    "export-channels": {
      "0": { primary: { url: "file:///tmp/unused0/" } },
      "1": { primary: { url: "file:///tmp/unused1/" } },
    },
    "file-specification": fileSpecification,
    ...extra,
  }) as CollectorInterfaceConfig;
}

/** The i-th test flow: every field varies with i, values stay in range. */
export function flow(i: number): CollectorFlowFields {
  return {
    sourceAddress: (0xc0a80000 + (i % 65536)) >>> 0,
    destinationAddress: (0x0a000000 + ((i * 7) % 16777216)) >>> 0,
    packets: 1 + (i % 1000),
    bytes: 40 + ((i * 1500) % 10_000_000),
    startTime: 1_077_926_402 + i,
    endTime: 1_077_926_402 + i + (i % 60),
    sourcePort: i % 65536,
    destinationPort: (i * 31) % 65536,
    tcpFlag: i % 256,
    protocol: [6, 17, 1][i % 3],
    srcAsNumber: i % 70000,
    dstAsNumber: (i * 3) % 70000,
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

/** A temporary directory under os.tmpdir(), and its removal. */
export async function tempDir(
  prefix = "flowlens-record-files-",
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A Node system error with a code, as fs would raise it. */
export function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** Real file operations, with every write's bytes recorded per path (one write is one gzip member). */
export function recordingOps(): { ops: RecordFileOps; writes: Map<string, Buffer[]> } {
  const writes = new Map<string, Buffer[]>();
  const ops: RecordFileOps = {
    ...nodeRecordFileOps,
    async create(path) {
      const handle = await nodeRecordFileOps.create(path);
      const list: Buffer[] = [];
      writes.set(path, list);
      return {
        write: async (bytes) => {
          list.push(Buffer.from(bytes));
          await handle.write(bytes);
        },
        truncate: (n) => handle.truncate(n),
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  };
  return { ops, writes };
}

/** Decides, per call, whether an operation fails (returns an errno such as `ENOSPC`) or runs (returns null). */
export type FaultPlan = (operation: "create" | "write" | "rename" | "mkdir", path: string) => string | null;

/**
 * Real file operations that fail where `plan` says. A failing write first writes half of its bytes (a full disk
 * takes part of a write), so the file ends in a torn member that the writer must cut.
 */
export function faultyOps(plan: FaultPlan, gate?: () => Promise<void>): RecordFileOps {
  return {
    ...nodeRecordFileOps,
    async mkdir(dir) {
      const code = plan("mkdir", dir);
      if (code !== null) throw systemError(code);
      await nodeRecordFileOps.mkdir(dir);
    },
    async rename(from, to) {
      const code = plan("rename", from);
      if (code !== null) throw systemError(code);
      await nodeRecordFileOps.rename(from, to);
    },
    async create(path) {
      const code = plan("create", path);
      if (code !== null) throw systemError(code);
      const handle = await nodeRecordFileOps.create(path);
      return {
        write: async (bytes) => {
          await gate?.();
          const fault = plan("write", path);
          if (fault === null) return handle.write(bytes);
          await handle.write(bytes.subarray(0, bytes.length >> 1));
          throw systemError(fault);
        },
        truncate: (n) => handle.truncate(n),
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  };
}

/** Lets pending I/O and promise callbacks run until `done()` holds (bounded: a bug fails instead of hanging). */
export async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
