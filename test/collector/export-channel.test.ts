import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ExportChannelConfig } from "../../src/collector/config.ts";
import { ExportChannel } from "../../src/collector/shipping/export-channel.ts";
import type { Sleep } from "../../src/collector/shipping/sleep.ts";
import { closedFile, FakeDestination, MemoryTransferLog, waitFor } from "./shipping-fakes.ts";

let root: string;
let serial = 0;
const channels: ExportChannel[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "flowlens-export-channel-"));
});
after(async () => {
  await Promise.all(channels.map((c) => c.drain(AbortSignal.abort())));
  await rm(root, { recursive: true, force: true });
});

interface Rig {
  channel: ExportChannel;
  primary: FakeDestination;
  secondary: FakeDestination | undefined;
  log: MemoryTransferLog;
  spool: string;
  sleeps: number[];
  /** Every call on either server in order, as `P:name` / `S:name`. */
  order: string[];
}

interface RigOptions {
  secondary?: boolean;
  retryCount?: number;
  start?: boolean;
  onDestroyed?: (name: string) => void;
}

async function rig(opts: RigOptions = {}): Promise<Rig> {
  const spool = await mkdtemp(join(root, `spool-${serial++}-`));
  const order: string[] = [];
  const track = (tag: string, d: FakeDestination) => {
    const upload = d.upload.bind(d);
    d.upload = async (p, n, s) => {
      order.push(`${tag}:${n}`);
      return upload(p, n, s);
    };
    return d;
  };
  const primary = track("P", new FakeDestination("ftp://flow@192.0.2.1/primary/"));
  const secondary =
    opts.secondary === false ? undefined : track("S", new FakeDestination("ftp://flow@192.0.2.2/secondary/"));
  const config: ExportChannelConfig = {
    primary: { url: primary.url },
    ...(secondary ? { secondary: { url: secondary.url } } : {}),
    "retry-count": opts.retryCount ?? 2,
    "retry-delay": 30_000,
  };
  const sleeps: number[] = [];
  const sleep: Sleep = (ms, signal) => {
    sleeps.push(ms);
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1);
      const stop = () => {
        clearTimeout(t);
        resolve();
      };
      signal?.addEventListener("abort", stop, { once: true });
    });
  };
  const log = new MemoryTransferLog();
  const channel = new ExportChannel({
    interfaceName: "cp-6/0/0",
    channel: 0,
    config,
    transferLog: log,
    testFileDirectory: join(spool, "test"),
    primary,
    secondary,
    sleep,
    clock: () => 1_077_923_335_000, // 2004-02-27 23:08:55 UTC
    onDestroyed: (f) => opts.onDestroyed?.(f.name),
  });
  channels.push(channel);
  if (opts.start !== false) channel.start();
  return { channel, primary, secondary, log, spool, sleeps, order };
}

describe("ExportChannel", () => {
  it("ships a file to the primary, logs the attempt, deletes the local copy and counts it", async () => {
    const r = await rig();
    const file = await closedFile(r.spool, "cFlowd-a.bcp.bi.gz", 0, 321);
    r.channel.enqueue(file);
    await waitFor(() => r.channel.counters.filesExported.total === 1, "export");
    assert.equal(existsSync(file.path), false);
    assert.equal(r.primary.received.get(file.name)?.length, 321);
    assert.deepEqual(r.log.entries, [
      {
        fileName: file.name,
        fileSize: 321,
        recordCount: 10,
        timestamp: 1_077_923_335,
        success: true,
        url: "ftp://flow@192.0.2.1/primary/",
        resultCode: 250,
        errorText: "",
        transferTimeMs: 3,
      },
    ]);
    assert.equal(r.channel.counters.ftpBytes.total, 321);
    assert.equal(r.channel.counters.ftpFiles.total, 1);
    assert.equal(r.channel.counters.ftpFailure, 0);
    assert.deepEqual(r.channel.status(), {
      channel: 0,
      currentServer: "primary",
      primaryState: "OK",
      secondaryState: "OK",
      primaryUrl: "ftp://flow@192.0.2.1/primary/",
      secondaryUrl: "ftp://flow@192.0.2.2/secondary/",
      queuedFiles: 0,
    });
  });

  it("retries on the current server retry-count times, retry-delay apart, before failing over", async () => {
    const r = await rig({ retryCount: 3 });
    r.primary.failNext = 2; // the third attempt succeeds: no failover
    r.channel.enqueue(await closedFile(r.spool, "f1"));
    await waitFor(() => r.channel.counters.filesExported.total === 1, "export");
    assert.deepEqual(r.order, ["P:f1", "P:f1", "P:f1"]);
    assert.deepEqual(r.sleeps, [30_000, 30_000]);
    assert.equal(r.channel.counters.ftpFailure, 2);
    assert.equal(r.channel.status().primaryState, "OK");
    assert.deepEqual(
      r.log.entries.map((e) => [e.success, e.resultCode]),
      [
        [false, 0],
        [false, 0],
        [true, 250],
      ],
    );
  });

  it("fails over to the secondary, marks the primary Failed and keeps the secondary current", async () => {
    const r = await rig({ retryCount: 2 });
    r.primary.up = false;
    r.channel.enqueue(await closedFile(r.spool, "f1"));
    r.channel.enqueue(await closedFile(r.spool, "f2"));
    await waitFor(() => r.channel.counters.filesExported.total === 2, "exports");
    assert.deepEqual(r.order, ["P:f1", "P:f1", "S:f1", "S:f2"]);
    assert.deepEqual(r.sleeps, [30_000], "one retry-delay between the primary attempts, none before failing over");
    const s = r.channel.status();
    assert.equal(s.currentServer, "secondary");
    assert.equal(s.primaryState, "Failed");
    assert.equal(s.secondaryState, "OK");
    assert.deepEqual(
      r.log.entries.map((e) => [e.fileName, e.url, e.success]),
      [
        ["f1", r.primary.url, false],
        ["f1", r.primary.url, false],
        ["f1", r.secondary!.url, true],
        ["f2", r.secondary!.url, true],
      ],
    );
  });

  it("loses nothing while both servers are down and ships everything, in order, when one returns", async () => {
    const r = await rig({ retryCount: 2 });
    r.primary.up = false;
    r.secondary!.up = false;
    const files = [];
    for (const n of ["f1", "f2", "f3"]) files.push(await closedFile(r.spool, n));
    for (const f of files) r.channel.enqueue(f);
    await waitFor(() => r.order.length >= 10, "ten failed attempts");
    assert.deepEqual(
      r.order.slice(0, 10),
      ["P", "P", "S", "S", "P", "P", "S", "S", "P", "P"].map((t) => `${t}:f1`),
    );
    const s = r.channel.status();
    assert.equal(s.primaryState, "Failed");
    assert.equal(s.secondaryState, "Failed");
    assert.equal(s.queuedFiles, 3);
    for (const f of files) assert.ok(existsSync(f.path), `${f.name} still in the spool`);
    const view = r.channel.files();
    assert.deepEqual(
      view.map((v) => v.file.name),
      ["f1", "f2", "f3"],
    );
    assert.ok(view[0].transferAttempts >= 10);
    assert.ok(view[0].state === "Failed" || view[0].state === "Transferring");
    assert.equal(view[1].state, "Queued");
    assert.equal(view[1].transferAttempts, 0);
    r.secondary!.up = true;
    await waitFor(() => r.channel.counters.filesExported.total === 3, "all exported");
    assert.deepEqual([...r.secondary!.received.keys()], ["f1", "f2", "f3"]);
    assert.deepEqual(await readdir(r.spool), []);
    assert.equal(r.channel.status().secondaryState, "OK");
    assert.equal(r.channel.status().currentServer, "secondary");
    assert.equal(r.channel.counters.ftpFailure, r.log.entries.filter((e) => !e.success).length);
  });

  it("with only a primary configured, retries it forever after retry-delay", async () => {
    const r = await rig({ secondary: false, retryCount: 1 });
    r.primary.up = false;
    r.channel.enqueue(await closedFile(r.spool, "f1"));
    await waitFor(() => r.primary.calls.length >= 4, "four attempts");
    assert.equal(r.channel.status().secondaryState, "Not configured");
    assert.equal(r.channel.status().secondaryUrl, null);
    assert.equal(r.channel.status().primaryState, "Failed");
    r.primary.up = true;
    await waitFor(() => r.channel.counters.filesExported.total === 1, "export");
    assert.equal(r.channel.status().primaryState, "OK");
  });

  it("answers change-destination with the spec's messages", async () => {
    const only = await rig({ secondary: false, start: false });
    assert.deepEqual(only.channel.changeDestination("primary"), {
      message: "Destination change not needed",
      refused: true,
    });
    assert.deepEqual(only.channel.changeDestination("secondary", { immediately: true }), {
      message: "Destination not configured",
      refused: true,
    });
    assert.equal(only.channel.currentServer, "primary");
    const both = await rig();
    assert.deepEqual(both.channel.changeDestination("secondary"), {
      message: "Destination change successful",
      refused: false,
    });
    assert.equal(both.channel.status().currentServer, "secondary");
    both.channel.enqueue(await closedFile(both.spool, "f1"));
    await waitFor(() => both.channel.counters.filesExported.total === 1, "export");
    assert.deepEqual(both.order, ["S:f1"]);
    assert.deepEqual(both.channel.changeDestination("primary"), {
      message: "Destination change successful",
      refused: false,
    });
    assert.equal(both.channel.currentServer, "primary");
  });

  it("gracefully lets the transfer in progress finish on the old server", async () => {
    const r = await rig();
    r.primary.hold = true;
    const held = r.primary.holding();
    r.channel.enqueue(await closedFile(r.spool, "f1"));
    r.channel.enqueue(await closedFile(r.spool, "f2"));
    await held;
    assert.equal(r.channel.files()[0].state, "Transferring");
    r.channel.changeDestination("secondary", { immediately: false });
    r.primary.hold = false;
    r.primary.release();
    await waitFor(() => r.channel.counters.filesExported.total === 2, "exports");
    assert.deepEqual(r.order, ["P:f1", "S:f2"]);
  });

  it("immediately aborts the transfer in progress and resends the file to the new server", async () => {
    const r = await rig();
    r.primary.hold = true;
    const held = r.primary.holding();
    r.channel.enqueue(await closedFile(r.spool, "f1"));
    await held;
    r.channel.changeDestination("secondary", { immediately: true });
    await waitFor(() => r.channel.counters.filesExported.total === 1, "export");
    assert.deepEqual(r.order, ["P:f1", "S:f1"]);
    assert.deepEqual(
      r.log.entries.map((e) => [e.url, e.success, e.errorText]),
      [
        [r.primary.url, false, "aborted"],
        [r.secondary!.url, true, ""],
      ],
    );
    assert.equal(r.channel.counters.ftpFailure, 0, "an abort is not a server failure");
    assert.equal(r.channel.status().primaryState, "OK");
  });

  it("clear-files destroys the queued files, clear-logs purges the transfer log", async () => {
    const destroyed: string[] = [];
    const r = await rig({ retryCount: 1, onDestroyed: (n) => destroyed.push(n) });
    r.primary.up = false;
    r.secondary!.up = false;
    const files = [];
    for (const n of ["f1", "f2", "f3"]) files.push(await closedFile(r.spool, n));
    for (const f of files) r.channel.enqueue(f);
    await waitFor(() => r.order.length >= 3, "failed attempts");
    const outcome = r.channel.changeDestination("primary", { clearFiles: true, clearLogs: true });
    assert.equal(outcome.message, "Destination change successful");
    await waitFor(() => r.channel.counters.filesDestroyed.total === 3, "destroyed");
    assert.deepEqual(destroyed.sort(), ["f1", "f2", "f3"]);
    assert.equal(r.channel.status().queuedFiles, 0);
    for (const f of files) assert.equal(existsSync(f.path), false);
    assert.equal(r.log.purges, 1);
    assert.equal(r.channel.counters.filesExported.total, 0);
  });

  it("drops a file that vanished from the spool and counts it destroyed", async () => {
    const destroyed: string[] = [];
    const r = await rig({ start: false, onDestroyed: (n) => destroyed.push(n) });
    const f = await closedFile(r.spool, "gone");
    r.channel.enqueue(f);
    r.channel.enqueue(f); // a duplicate path is ignored
    assert.equal(r.channel.status().queuedFiles, 1);
    await unlink(f.path);
    r.channel.enqueue(await closedFile(r.spool, "kept"));
    r.channel.start();
    await waitFor(() => r.channel.counters.filesExported.total === 1, "export");
    assert.equal(r.channel.counters.filesDestroyed.total, 1);
    assert.deepEqual(r.order, ["P:kept"]);
    assert.deepEqual(destroyed, ["gone"]);
  });

  it("schedules a test file transfer whose result lands in the transfer log", async () => {
    const r = await rig();
    assert.deepEqual(r.channel.testFileTransfer("test_file", "secondary"), {
      message: "Test file transfer successfully scheduled",
      refused: false,
    });
    await waitFor(() => r.log.entries.length === 1, "test transfer logged");
    const e = r.log.entries[0];
    assert.equal(e.fileName, "test_file");
    assert.equal(e.recordCount, 0);
    assert.equal(e.success, true);
    assert.equal(e.url, r.secondary!.url);
    const content = r.secondary!.received.get("test_file")!.toString();
    assert.match(content, /interface: cp-6\/0\/0\nexport channel: 0\nserver: secondary\n/);
    assert.equal(e.fileSize, Buffer.byteLength(content));
    const left = await readdir(join(r.spool, "test"));
    assert.deepEqual(left, [], "the local test file is removed");
    assert.equal(r.channel.counters.ftpFiles.total, 0, "test files are not counted as FTP files");
    const only = await rig({ secondary: false, start: false });
    assert.equal(only.channel.testFileTransfer("x", "secondary").message, "Destination not configured");
    assert.equal(r.channel.testFileTransfer("../x", "primary").message, "Invalid test file name");
    r.primary.up = false;
    r.channel.testFileTransfer("t2", "primary");
    await waitFor(() => r.log.entries.length === 2, "failed test logged");
    assert.deepEqual([r.log.entries[1].fileName, r.log.entries[1].success], ["t2", false]);
    assert.equal(r.channel.status().primaryState, "OK", "a test transfer does not change server states");
  });

  it("drain finishes the transfer in progress, or aborts it at the deadline leaving the file queued", async () => {
    const a = await rig();
    a.primary.hold = true;
    let held = a.primary.holding();
    a.channel.enqueue(await closedFile(a.spool, "f1"));
    a.channel.enqueue(await closedFile(a.spool, "f2"));
    await held;
    const drained = a.channel.drain();
    a.primary.hold = false;
    a.primary.release();
    await drained;
    assert.deepEqual(a.order, ["P:f1"], "no new transfer after drain");
    assert.equal(a.channel.status().queuedFiles, 1);
    assert.ok(existsSync(join(a.spool, "f2")));

    const b = await rig();
    b.primary.hold = true;
    held = b.primary.holding();
    const f = await closedFile(b.spool, "f1");
    b.channel.enqueue(f);
    await held;
    const deadline = new AbortController();
    const drainedB = b.channel.drain(deadline.signal);
    deadline.abort();
    await drainedB;
    assert.equal(b.channel.status().queuedFiles, 1);
    assert.equal(b.channel.files()[0].state, "Queued");
    assert.ok(existsSync(f.path), "the aborted file stays in the spool");
    assert.equal(b.channel.counters.ftpFailure, 0);
  });

  it("clears its counters", async () => {
    const r = await rig();
    r.channel.enqueue(await closedFile(r.spool, "f1"));
    await waitFor(() => r.channel.counters.filesExported.total === 1, "export");
    r.channel.tick(1_077_923_336_000);
    assert.equal(r.channel.counters.ftpFiles.perSecond, 1);
    r.channel.clearStatistics(1_077_923_337_000);
    assert.deepEqual(r.channel.counters.ftpBytes.snapshot(), { total: 0, perSecond: 0, peakPerSecond: 0 });
    assert.equal(r.channel.counters.ftpFailure, 0);
  });
});
