/**
 * RecordFileSet: the record files of one collector interface: lazy writers per (input, channel), files under
 * `<spool>/<interface>/`, the shared memory budget behind canAccept, rotation by age on tick, flushAll and close
 * (SIGTERM), the active files' status, interface-level figures, and disk errors logged once (rate-limited).
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { ClosedRecordFile } from "../../src/collector/contracts.ts";
import { RecordFileSet, type RecordFileSetOptions } from "../../src/collector/record-files/record-file-set.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { faultyOps, flow, interfaceConfig, ManualClock, tempDir, until } from "./record-files-fixtures.ts";

const T0 = Date.UTC(2004, 1, 27, 23, 4, 38);

function makeSet(spool: string, extra: Partial<RecordFileSetOptions> = {}, spec: Record<string, unknown> = {}) {
  const clock = new ManualClock(T0);
  const closed: ClosedRecordFile[] = [];
  const set = new RecordFileSet({
    interfaceName: "cp-6/0/0",
    config: interfaceConfig({ "block-size": "4KiB", ...spec }, { "memory-limit": "1MiB" }),
    spoolDirectory: spool,
    clock: clock.now,
    onClosed: (f) => void closed.push(f),
    ...extra,
  });
  return { set, clock, closed };
}

function lines(bytes: Buffer): string[] {
  return gunzipSync(bytes).toString("latin1").split("\n").slice(0, -1);
}

describe("RecordFileSet", () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  const fresh = () => join(root.dir, `spool-${n++}`);
  before(async () => {
    root = await tempDir();
  });
  after(async () => {
    await root.remove();
  });

  it("opens one file per (input, channel) lazily, under <spool>/<interface as a directory>", async () => {
    const spool = fresh();
    const { set, closed } = makeSet(spool);
    assert.equal(set.directory, join(spool, "cp_6_0_0"));
    assert.deepEqual(set.files(), [], "no file before the first record");
    const a = set.sink("so-3/0/0.0", 0);
    assert.equal(set.sink("so-3/0/0.0", 0), a, "the same sink each time");
    for (let i = 0; i < 3; i++) a.append(flow(i));
    for (let i = 0; i < 4; i++) set.sink("at-4/0/0.4", 0).append(flow(i));
    for (let i = 0; i < 5; i++) set.sink("at-4/0/0.4", 1).append(flow(i));
    const active = set.files();
    assert.deepEqual(active.map((f) => [f.name, f.input, f.channel, f.state, f.records.total]).sort(), [
      ["cFlowd-server1-0-20040227_230438-at_4_0_0_4.bcp.bi.gz", "at-4/0/0.4", 0, "Active", 4],
      ["cFlowd-server1-0-20040227_230438-so_3_0_0_0.bcp.bi.gz", "so-3/0/0.0", 0, "Active", 3],
      ["cFlowd-server1-1-20040227_230438-at_4_0_0_4.bcp.bi.gz", "at-4/0/0.4", 1, "Active", 5],
    ]);
    const stats = set.stats();
    assert.deepEqual(stats.memory, { used: 3 * 4096, free: 1024 * 1024 - 3 * 4096 });
    assert.equal(stats.allocation.blocksAllocated.total, 3);
    assert.equal(stats.files.created.total, 3);

    await set.flushAll();
    const tmp = (await readdir(set.directory)).sort();
    assert.equal(tmp.length, 3);
    for (const name of tmp) assert.match(name, /\.tmp$/);
    assert.deepEqual(
      set.files().map((f) => f.compressedBlocks),
      [1, 1, 1],
    );

    await set.close();
    assert.equal(closed.length, 3);
    assert.deepEqual((await readdir(set.directory)).sort(), closed.map((f) => f.name).sort());
    const byName = new Map(closed.map((f) => [f.name, f]));
    const so = byName.get("cFlowd-server1-0-20040227_230438-so_3_0_0_0.bcp.bi.gz")!;
    const soLines = lines(await readFile(so.path));
    assert.equal(soLines.length, 3);
    assert.match(soLines[0], /^\d+\|10\.10\.10\.1\|server1\|so_3_0_0_0\|192\.168\.0\.0\|10\.0\.0\.0\|1\|40\|/);
    assert.equal(set.stats().memory.used, 0);
    assert.equal(a.append(flow(9)), false, "closed: records are refused");
    assert.equal(set.sink("so-3/0/0.0", 1).append(flow(9)), false, "a sink made after close refuses too");
  });

  it("rejects an unknown input with ERR_RECORD_FILE_INPUT and uses a configured if-alias", async () => {
    const spool = fresh();
    const clock = new ManualClock(T0);
    const config = interfaceConfig({}, { inputs: { "mo-7/1/0.0": { exporter: "any", "if-alias": "at_4_0_0_4" } } });
    const set = new RecordFileSet({ interfaceName: "cp-7/0/0", config, spoolDirectory: spool, clock: clock.now });
    assert.throws(() => set.sink("so-3/0/0.0", 0), { code: "ERR_RECORD_FILE_INPUT" });
    assert.throws(() => set.sink("toString", 0), { code: "ERR_RECORD_FILE_INPUT" });
    set.sink("mo-7/1/0.0", 0).append(flow(1));
    assert.equal(set.files()[0].name, "cFlowd-server1-0-20040227_230438-at_4_0_0_4.bcp.bi.gz");
    await set.close();
  });

  it("canAccept follows the shared memory budget", async () => {
    const spool = fresh();
    const { set } = makeSet(spool);
    assert.equal(set.canAccept(1024 * 1024), true);
    assert.equal(set.canAccept(1024 * 1024 + 1), false);
    const so = set.sink("so-3/0/0.0", 0);
    so.append(flow(0));
    assert.equal(set.canAccept(1024 * 1024), false, "one block is reserved");
    assert.equal(set.canAccept(1024 * 1024 - 4096), true);
    await set.close();
    assert.equal(set.canAccept(1024 * 1024), true);
  });

  it("tick rotates every file past maximum-age and computes rates", async () => {
    const spool = fresh();
    const { set, clock, closed } = makeSet(spool, {}, { "maximum-age": "2m" });
    for (let i = 0; i < 50; i++) set.sink("so-3/0/0.0", 0).append(flow(i));
    set.tick(clock.advance(1000));
    assert.equal(set.files()[0].records.perSecond, 50);
    assert.equal(set.stats().throughput.uncompressedBytes.perSecond > 0, true);
    set.sink("at-4/0/0.4", 1).append(flow(0));
    set.tick(clock.advance(119_000));
    await until(() => closed.length === 1);
    assert.equal(closed[0].input, "so-3/0/0.0");
    assert.equal(set.files().length, 1, "the at-4/0/0.4 file is younger");
    set.tick(clock.advance(1000));
    await until(() => closed.length === 2);
    assert.deepEqual(set.files(), []);
    set.clearStatistics(clock.nowMs);
    assert.equal(set.stats().files.created.total, 0);
    await set.close();
  });

  it("logs disk errors once per interval under component record-files, and counts every one", async () => {
    const spool = fresh();
    const logged: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (l: string) => void logged.push(JSON.parse(l)) } });
    const dropped: number[] = [];
    const { set, clock } = makeSet(spool, {
      logger,
      ops: faultyOps((op) => (op === "create" ? "ENOSPC" : null)),
      retryDelayMs: 10,
      onDroppedRecords: (k) => void dropped.push(k),
    });
    for (let round = 0; round < 3; round++) {
      set.sink("so-3/0/0.0", 0).append(flow(round));
      await set.flushAll();
      await until(() => set.files().length === 0);
      clock.advance(10);
    }
    await set.close();
    assert.equal(set.stats().diskErrors, 3);
    assert.equal(set.stats().droppedRecords, 3);
    assert.deepEqual(dropped, [1, 1, 1]);
    const errors = logged.filter((l) => l.code === "ERR_RECORD_FILE_IO");
    assert.equal(errors.length, 1, "rate-limited to one line");
    assert.equal(errors[0].component, "record-files");
    assert.equal(errors[0].errno, "ENOSPC");
  });
});
