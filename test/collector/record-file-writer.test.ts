/**
 * RecordFileWriter: records as lines in blocks, one gzip member per block, members in order, temporary names and the
 * rename on rotation (by records and by age, on an injected clock), names per the spec's pattern, linkDir per file,
 * the memory budget (exhaustion refuses records, every block is given back), and disk errors counted, never thrown.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { ClosedRecordFile } from "../../src/collector/contracts.ts";
import type { RecordFileOps } from "../../src/collector/record-files/file-ops.ts";
import { InterfaceMemoryBudget } from "../../src/collector/record-files/memory-budget.ts";
import { RecordFileCounters } from "../../src/collector/record-files/record-file-counters.ts";
import { RecordFileWriter } from "../../src/collector/record-files/record-file-writer.ts";
import { parseCollectorFileName } from "../../src/wire/collector-file-name.ts";
import { encodeCollectorRecordLine } from "../../src/wire/collector-record.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { needsProgram } from "../helpers/requirements.ts";
import {
  faultyOps,
  flow,
  interfaceConfig,
  ManualClock,
  recordingOps,
  systemError,
  tempDir,
  until,
} from "./record-files-fixtures.ts";

// 2003-11-12 01:43:01 UTC, the time of the spec's file name.
const T0 = Date.UTC(2003, 10, 12, 1, 43, 1);
const SPEC_NAME = /^cFlowd-server1-0-(\d{8})_(\d{6})-so_3_0_0_0\.bcp\.bi\.gz$/;

interface Harness {
  writer: RecordFileWriter;
  clock: ManualClock;
  budget: InterfaceMemoryBudget;
  counters: RecordFileCounters;
  closed: ClosedRecordFile[];
  dropped: { records: number };
  log: { code: string; fields?: Record<string, unknown> }[];
}

interface HarnessOptions {
  spec?: Record<string, unknown>;
  memory?: number;
  ops?: RecordFileOps;
  linkDir?: () => bigint;
  retryDelayMs?: number;
}

function harness(dir: string, o: HarnessOptions = {}): Harness {
  const clock = new ManualClock(T0);
  const config = interfaceConfig({ "block-size": "4KiB", ...o.spec });
  const budget = new InterfaceMemoryBudget(o.memory ?? 1024 * 1024);
  const counters = new RecordFileCounters(clock.now());
  const closed: ClosedRecordFile[] = [];
  const dropped = { records: 0 };
  const log: Harness["log"] = [];
  const writer = new RecordFileWriter({
    interfaceName: "cp-6/0/0",
    input: "so-3/0/0.0",
    channel: 0,
    directory: dir,
    analyzerAddress: ipv4FromString("10.10.10.1"),
    analyzerId: "server1",
    ifAlias: "so_3_0_0_0",
    fileSpecification: config["file-specification"],
    budget,
    counters,
    clock: clock.now,
    ops: o.ops,
    linkDir: o.linkDir,
    retryDelayMs: o.retryDelayMs,
    log: { error: (code, _message, fields) => void log.push({ code, fields }) },
    onClosed: (f) => void closed.push(f),
    onDroppedRecords: (n) => {
      dropped.records += n;
    },
  });
  return { writer, clock, budget, counters, closed, dropped, log };
}

function expectedLine(linkDir: bigint, i: number): string {
  return encodeCollectorRecordLine({
    linkDir,
    analyzerAddress: ipv4FromString("10.10.10.1"),
    analyzerId: "server1",
    ifAlias: "so_3_0_0_0",
    ...flow(i),
  });
}

function appendAll(writer: RecordFileWriter, from: number, to: number): void {
  for (let i = from; i < to; i++) assert.equal(writer.append(flow(i)), true, `record ${i} refused`);
}

describe("RecordFileWriter", () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  const fresh = () => join(root.dir, `case-${n++}`);
  before(async () => {
    root = await tempDir();
  });
  after(async () => {
    await root.remove();
  });

  it("writes each block as one gzip member, in order; the file gunzips to every line", async (t) => {
    const dir = fresh();
    const { ops, writes } = recordingOps();
    const linkDir = 11799241612374557782n;
    const h = harness(dir, { ops, linkDir: () => linkDir, spec: { "maximum-records": 100_000 } });
    appendAll(h.writer, 0, 500); // about 60 KiB of lines: fifteen 4 KiB blocks
    await h.writer.close();

    assert.equal(h.closed.length, 1);
    const file = h.closed[0];
    const expected = Array.from({ length: 500 }, (_, i) => expectedLine(linkDir, i)).join("");
    const members = writes.get(`${file.path}.tmp`);
    assert.ok(members !== undefined && members.length > 10, `members: ${members?.length}`);
    // Every member alone is a gzip file of whole lines; together they are the records in order.
    const parts = members.map((m) => gunzipSync(m).toString("latin1"));
    for (const p of parts) assert.ok(p.endsWith("\n") && p.length <= 4096, "a member holds whole lines of one block");
    assert.equal(parts.join(""), expected);
    const bytes = await readFile(file.path);
    assert.deepEqual(bytes, Buffer.concat(members));
    assert.equal(gunzipSync(bytes).toString("latin1"), expected);

    assert.equal(file.records, 500);
    assert.equal(file.uncompressedBytes, expected.length);
    assert.equal(file.compressedBytes, bytes.length);
    assert.equal(file.compressedBlocks, members.length);
    assert.equal(file.input, "so-3/0/0.0");
    assert.equal(file.channel, 0);
    assert.equal(file.interfaceName, "cp-6/0/0");
    assert.deepEqual(await readdir(dir), [file.name], "the temporary name is gone");
    assert.equal(h.counters.compressedBytes.total, bytes.length);
    assert.equal(h.counters.uncompressedBytes.total, expected.length);

    const skip = needsProgram("gunzip", "gzip");
    if (skip) return t.skip(skip);
    const z = spawnSync("gunzip", ["-c", file.path], { encoding: "latin1" });
    assert.equal(z.status, 0, z.stderr);
    assert.equal(z.stdout, expected);
  });

  it("names files per the spec's pattern with the creation time, and writes them under a .tmp name", async () => {
    const dir = fresh();
    const h = harness(dir);
    appendAll(h.writer, 0, 3);
    await h.writer.flush();
    const [status] = h.writer.files();
    assert.equal(status.name, "cFlowd-server1-0-20031112_014301-so_3_0_0_0.bcp.bi.gz");
    assert.equal(status.state, "Active");
    assert.equal(status.records.total, 3);
    assert.equal(status.compressedBlocks, 1);
    assert.equal(status.blockCount, 1);
    assert.deepEqual(await readdir(dir), [`${status.name}.tmp`]);
    // The flushed block is a complete member: the active file is readable as it stands.
    const lines = gunzipSync(await readFile(join(dir, `${status.name}.tmp`))).toString("latin1");
    assert.equal(lines.split("\n").length - 1, 3);
    await h.writer.close();
    assert.deepEqual(await readdir(dir), [status.name]);
    assert.deepEqual(h.writer.files(), []);
  });

  it("rotates at maximum-records; names stay unique within a second; each file draws its own linkDir", async () => {
    const dir = fresh();
    const h = harness(dir, { spec: { "maximum-records": 10 } });
    appendAll(h.writer, 0, 25);
    await h.writer.close();
    assert.deepEqual(
      h.closed.map((f) => f.records),
      [10, 10, 5],
    );
    const names = h.closed.map((f) => f.name);
    for (const name of names) assert.match(name, SPEC_NAME);
    assert.deepEqual(
      names.map((name) => parseCollectorFileName(name).time),
      [T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2],
      "files created within one second are named one second apart",
    );
    assert.deepEqual((await readdir(dir)).sort(), [...names].sort());
    const linkDirs = new Set<string>();
    let line = 0;
    for (const f of h.closed) {
      const text = gunzipSync(await readFile(f.path))
        .toString("latin1")
        .split("\n")
        .slice(0, -1);
      const ids = new Set(text.map((l) => l.split("|")[0]));
      assert.equal(ids.size, 1, "one linkDir per file");
      const [id] = ids;
      assert.match(id, /^\d{1,20}$/);
      assert.ok(BigInt(id) < 2n ** 64n);
      linkDirs.add(id);
      for (const l of text) assert.equal(`${l}\n`, expectedLine(BigInt(id), line++));
    }
    assert.equal(linkDirs.size, 3, "every file has a different random linkDir");
    assert.equal(h.counters.filesCreated.total, 3);
  });

  it("rotates at maximum-age, by tick and on append", async () => {
    const dir = fresh();
    const h = harness(dir, { spec: { "maximum-age": "60s" } });
    appendAll(h.writer, 0, 5);
    h.writer.tick(h.clock.advance(59_999));
    await h.writer.flush();
    assert.equal(h.closed.length, 0, "not yet");
    h.writer.tick(h.clock.advance(1));
    await until(() => h.closed.length === 1);
    assert.equal(h.closed[0].records, 5);
    assert.equal(h.closed[0].closedAtMs - h.closed[0].createdAtMs, 60_000);
    assert.deepEqual(h.writer.files(), []);

    appendAll(h.writer, 5, 8); // a new file, created now
    h.clock.advance(61_000); // no tick: the next append finds the file too old
    appendAll(h.writer, 8, 9);
    await h.writer.close();
    assert.deepEqual(
      h.closed.map((f) => f.records),
      [5, 3, 1],
    );
    const times = h.closed.map((f) => parseCollectorFileName(f.name).time);
    assert.deepEqual(times, [T0 / 1000, T0 / 1000 + 60, T0 / 1000 + 121]);
  });

  it("refuses records when the memory budget is exhausted, and gives every block back once written", async () => {
    const dir = fresh();
    let open: () => void = () => {};
    let gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const ops = faultyOps(
      () => null,
      () => gate,
    );
    const h = harness(dir, { ops, memory: 3 * 4096, spec: { "maximum-records": 1_000_000 } });
    let accepted = 0;
    let i = 0;
    while (h.writer.append(flow(i++))) accepted++;
    assert.equal(h.counters.blocksAllocated.total, 3, "three 4 KiB blocks fit in 12 KiB");
    assert.equal(h.counters.blocksUnavailable.total, 1);
    assert.equal(h.budget.used, 3 * 4096);
    assert.equal(h.budget.free, 0);
    assert.equal(h.writer.append(flow(i)), false, "still full while the disk is stalled");
    assert.equal(h.counters.blocksUnavailable.total, 2);

    open();
    gate = Promise.resolve();
    await h.writer.close();
    assert.equal(h.budget.used, 0, "all reservations released");
    assert.equal(h.counters.blocksFreed.total, h.counters.blocksAllocated.total);
    assert.equal(h.closed[0].records, accepted, "every accepted record is in the file");
    const text = gunzipSync(await readFile(h.closed[0].path)).toString("latin1");
    assert.equal(text.split("\n").length - 1, accepted);
  });

  it("survives a full disk: counts it, keeps the complete members, drops the rest, starts a new file", async () => {
    const dir = fresh();
    let writes = 0;
    let full = true;
    const ops = faultyOps((op) => (op === "write" && ++writes === 3 && full ? "ENOSPC" : null));
    const h = harness(dir, { ops, retryDelayMs: 5000, spec: { "maximum-records": 1_000_000 } });
    let accepted = 0;
    for (let i = 0; i < 600; i++) if (h.writer.append(flow(i))) accepted++;
    await h.writer.flush();
    await until(() => h.closed.length === 1);
    assert.equal(h.counters.diskErrors, 1);
    assert.equal(h.log.length, 1);
    assert.equal(h.log[0].code, "ERR_RECORD_FILE_IO");
    assert.equal(h.log[0].fields?.errno, "ENOSPC");
    assert.equal(h.log[0].fields?.operation, "write");
    assert.match(String(h.log[0].fields?.path), /\.tmp$/, "the file's temporary path");
    const kept = h.closed[0];
    assert.equal(kept.compressedBlocks, 2, "the two members written before the error");
    const bytes = await readFile(kept.path);
    assert.equal(bytes.length, kept.compressedBytes, "the torn third member was cut off");
    assert.equal(gunzipSync(bytes).toString("latin1").split("\n").length - 1, kept.records);
    assert.equal(kept.records + h.dropped.records, accepted, "every accepted record is kept or reported dropped");
    assert.equal(h.counters.droppedRecords, h.dropped.records);
    assert.equal(h.budget.used, 0);

    assert.equal(h.writer.append(flow(9999)), false, "refused during the retry delay");
    full = false;
    h.clock.advance(5000);
    appendAll(h.writer, 10_000, 10_010);
    await h.writer.close();
    assert.equal(h.closed.length, 2);
    assert.equal(h.closed[1].records, 10);
    assert.equal(h.counters.diskErrors, 1);
  });

  it("counts a file that cannot be created, deletes nothing it did not write, and never throws", async () => {
    const dir = fresh();
    let denied = true;
    const ops = faultyOps((op) => (op === "create" && denied ? "EACCES" : null));
    const h = harness(dir, { ops, retryDelayMs: 1000 });
    appendAll(h.writer, 0, 40);
    await h.writer.flush();
    await until(() => h.counters.diskErrors === 1 && h.writer.files().length === 0);
    assert.equal(h.log[0].fields?.errno, "EACCES");
    assert.equal(h.log[0].fields?.operation, "open");
    assert.equal(h.dropped.records, 40);
    assert.equal(h.budget.used, 0);
    assert.deepEqual(await readdir(dir), []);
    denied = false;
    h.clock.advance(1000);
    appendAll(h.writer, 40, 45);
    await h.writer.close();
    assert.deepEqual(
      h.closed.map((f) => f.records),
      [5],
    );
  });

  it("counts a failed rename and leaves the .tmp for spool recovery", async () => {
    const dir = fresh();
    const ops = faultyOps((op) => (op === "rename" ? "EIO" : null));
    const h = harness(dir, { ops });
    appendAll(h.writer, 0, 5);
    await h.writer.close();
    assert.equal(h.counters.diskErrors, 1);
    assert.equal(h.closed.length, 0);
    const [left] = await readdir(dir);
    assert.match(left, /\.bcp\.bi\.gz\.tmp$/);
    assert.equal(
      gunzipSync(await readFile(join(dir, left)))
        .toString("latin1")
        .split("\n").length - 1,
      5,
    );
  });

  it("refuses records after close and reports no error for an empty writer", async () => {
    const dir = fresh();
    const h = harness(dir);
    await h.writer.close();
    assert.equal(h.writer.append(flow(0)), false);
    assert.equal(h.counters.filesCreated.total, 0);
    assert.equal(h.budget.used, 0);
  });

  it("reports a system error thrown by the fs layer as a disk error, not an exception", async () => {
    const dir = fresh();
    const ops = faultyOps((op) => (op === "mkdir" ? "ENOSPC" : null));
    const h = harness(dir, { ops });
    assert.doesNotThrow(() => appendAll(h.writer, 0, 3));
    await h.writer.close();
    assert.equal(h.counters.diskErrors, 1);
    assert.equal(h.dropped.records, 3);
    assert.equal(systemError("X").code, "X");
  });
});
