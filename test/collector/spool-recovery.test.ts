/**
 * Spool recovery after a SIGKILL: temporary files are cut after their last complete gzip member (a torn or corrupt
 * last member is dropped), their records counted, and renamed; closed files never shipped are queued again; foreign
 * files are left alone. The crash test kills a real writer process mid-write and checks what recovery keeps.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { recoverSpool } from "../../src/collector/record-files/spool-recovery.ts";
import { encodeCollectorRecordLine, parseCollectorRecordLine } from "../../src/wire/collector-record.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { hasProgram, needsProgram } from "../helpers/requirements.ts";
import { flow, interfaceConfig, tempDir } from "./record-files-fixtures.ts";

const CHILD = fileURLToPath(new URL("./fixtures/record-files-crash-child.ts", import.meta.url));
const NAME_0 = "cFlowd-server1-0-20040227_230438-so_3_0_0_0.bcp.bi.gz";
const NAME_1 = "cFlowd-server1-1-20040227_230515-at_4_0_0_4.bcp.bi.gz";
const PREFIX = { linkDir: 42n, analyzerAddress: ipv4FromString("10.10.10.1"), analyzerId: "server1" };

/** One gzip member holding records `from` to `to - 1`. */
function member(from: number, to: number, ifAlias = "so_3_0_0_0"): Buffer {
  let text = "";
  for (let i = from; i < to; i++) text += encodeCollectorRecordLine({ ...PREFIX, ifAlias, ...flow(i) });
  return gzipSync(text);
}

function gunzipTest(path: string): boolean {
  return spawnSync("gunzip", ["-t", path]).status === 0;
}

/** Rejects after `ms` (the timer does not keep the process alive). */
function deadline(ms: number, what: () => string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error(what())), ms).unref());
}

/**
 * Runs the crash fixture until it has closed three files and holds written members in its active files, then sends
 * `signal` by PID; resolves with the signal it died of (null after a clean exit) and its last stdout line. A child
 * that fails to get there, or to exit, is killed (SIGKILL by PID) before the error is raised.
 */
async function runUntil(
  spoolDirectory: string,
  signal: NodeJS.Signals,
): Promise<{ signal: string | null; last: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, spoolDirectory], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let last = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const closed = new Promise<string | null>((resolve) => child.on("close", (_code, sig) => resolve(sig)));
  const progressed = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      last = line;
      const p = JSON.parse(line) as { closed?: number; activeMembers?: number };
      if ((p.closed ?? 0) >= 3 && (p.activeMembers ?? 0) >= 2) resolve();
    });
    child.on("exit", () => reject(new Error(`child exited early: ${stderr}`)));
  });
  try {
    await Promise.race([progressed, deadline(30_000, () => `child made no progress: ${stderr}`)]);
    process.kill(child.pid!, signal);
    const died = await Promise.race([closed, deadline(30_000, () => `child did not exit on ${signal}: ${stderr}`)]);
    return { signal: died, last };
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
  }
}

/** The file passes `gunzip -t` and holds `records` whole, unaltered record lines of the crash fixture. */
async function assertWholeRecords(path: string, records: number): Promise<void> {
  assert.ok(gunzipTest(path), `gunzip -t ${path}`);
  const text = gunzipSync(await readFile(path)).toString("latin1");
  assert.ok(text.endsWith("\n"));
  const lines = text.split("\n").slice(0, -1);
  assert.equal(lines.length, records);
  const shape = /^\d{1,20}\|10\.10\.10\.1\|server1\|(so_3_0_0_0|at_4_0_0_4)\|[\d.|]+$/;
  for (const l of lines) {
    assert.match(l, shape);
    assert.equal(l.split("|").length, 16);
    const rec = parseCollectorRecordLine(l);
    const i = rec.startTime - flow(0).startTime;
    assert.equal(`${l}\n`, encodeCollectorRecordLine({ ...rec, ...flow(i) }), "a whole, unaltered record");
  }
}

describe("recoverSpool", () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  const interfaces = { "cp-6/0/0": interfaceConfig() };
  async function spool(): Promise<{ spoolDirectory: string; dir: string }> {
    const spoolDirectory = join(root.dir, `spool-${n++}`);
    const dir = join(spoolDirectory, "cp_6_0_0");
    await mkdir(dir, { recursive: true });
    return { spoolDirectory, dir };
  }
  before(async () => {
    root = await tempDir("flowlens-spool-recovery-");
  });
  after(async () => {
    await root.remove();
  });

  it("keeps N complete members of a .tmp, cuts the torn last one, counts the records, renames it", async () => {
    const { spoolDirectory, dir } = await spool();
    const members = [member(0, 40), member(40, 80), member(80, 120)];
    const torn = member(120, 160);
    const whole = Buffer.concat(members);
    await writeFile(join(dir, `${NAME_0}.tmp`), Buffer.concat([whole, torn.subarray(0, torn.length - 5)]));
    const r = await recoverSpool({ spoolDirectory, interfaces, clock: () => 1_700_000_000_000 });
    assert.deepEqual(r.failures, []);
    assert.equal(r.files.length, 1);
    const f = r.files[0];
    assert.equal(f.name, NAME_0);
    assert.equal(f.path, join(dir, NAME_0));
    assert.equal(f.records, 120);
    assert.equal(f.compressedBlocks, 3);
    assert.equal(f.compressedBytes, whole.length);
    assert.equal(f.uncompressedBytes, gunzipSync(whole).length);
    assert.equal(f.input, "so-3/0/0.0");
    assert.equal(f.channel, 0);
    assert.equal(f.interfaceName, "cp-6/0/0");
    assert.equal(f.createdAtMs, Date.UTC(2004, 1, 27, 23, 4, 38));
    assert.equal(f.closedAtMs, 1_700_000_000_000);
    assert.deepEqual(await readdir(dir), [NAME_0]);
    assert.deepEqual(await readFile(f.path), whole, "exactly the complete members are left");
    assert.deepEqual(r.recovered, [
      {
        temporaryPath: join(dir, `${NAME_0}.tmp`),
        path: f.path,
        members: 3,
        cutBytes: torn.length - 5,
        records: 120,
        torn: "truncated",
      },
    ]);
    if (hasProgram("gunzip")) assert.ok(gunzipTest(f.path));
  });

  it("cuts a last member whose CRC-32 does not match, and deletes a .tmp with no complete member", async () => {
    const { spoolDirectory, dir } = await spool();
    const bad = member(10, 20);
    bad[bad.length - 6] ^= 0xff; // a trailer CRC byte
    await writeFile(join(dir, `${NAME_0}.tmp`), Buffer.concat([member(0, 10), bad]));
    const half = member(0, 5);
    await writeFile(join(dir, `${NAME_1}.tmp`), half.subarray(0, 9));
    const r = await recoverSpool({ spoolDirectory, interfaces });
    assert.deepEqual(
      r.files.map((f) => [f.name, f.records]),
      [[NAME_0, 10]],
    );
    assert.equal(r.recovered[0].torn, "corrupt");
    assert.deepEqual(r.deleted, [join(dir, `${NAME_1}.tmp`)]);
    assert.deepEqual(await readdir(dir), [NAME_0]);
  });

  it("queues closed files again, leaves foreign files alone, and maps ifAlias and channel to the input", async () => {
    const { spoolDirectory, dir } = await spool();
    const closedBytes = Buffer.concat([member(0, 7, "at_4_0_0_4"), member(7, 9, "at_4_0_0_4")]);
    await writeFile(join(dir, NAME_1), closedBytes);
    await writeFile(join(dir, `${NAME_0}.tmp`), member(0, 3));
    await writeFile(join(dir, "notes.txt"), "not a record file");
    await writeFile(join(dir, "scratch.tmp"), "neither");
    const r = await recoverSpool({ spoolDirectory, interfaces });
    assert.deepEqual(
      r.files.map((f) => [f.name, f.input, f.channel, f.records, f.compressedBlocks]),
      [
        [NAME_0, "so-3/0/0.0", 0, 3, 1],
        [NAME_1, "at-4/0/0.4", 1, 9, 2],
      ],
      "oldest first",
    );
    const closed = r.files[1];
    assert.equal(closed.closedAtMs, (await stat(join(dir, NAME_1))).mtimeMs);
    assert.deepEqual(await readFile(join(dir, NAME_1)), closedBytes, "an intact closed file is not touched");
    assert.deepEqual(r.ignored.sort(), [join(dir, "notes.txt"), join(dir, "scratch.tmp")]);
    assert.equal(r.recovered.length, 1);
  });

  it("gives a recovered file the next free second when its final name is taken", async () => {
    const { spoolDirectory, dir } = await spool();
    await writeFile(join(dir, NAME_0), member(0, 2));
    await writeFile(join(dir, `${NAME_0}.tmp`), member(2, 5));
    const r = await recoverSpool({ spoolDirectory, interfaces });
    const names = r.files.map((f) => f.name).sort();
    assert.deepEqual(names, [NAME_0, "cFlowd-server1-0-20040227_230439-so_3_0_0_0.bcp.bi.gz"]);
    assert.equal(r.files.find((f) => f.name !== NAME_0)?.records, 3);
  });

  it("walks members larger than its read chunk, and a spool without the interface directory", async () => {
    const { spoolDirectory, dir } = await spool();
    // Incompressible hex lines: one member of about 3 MiB, then a torn one.
    const big = gzipSync(
      `${randomBytes(2 * 1024 * 1024)
        .toString("hex")
        .replace(/(.{100})/g, "$1\n")}\n`,
      {
        level: 1,
      },
    );
    assert.ok(big.length > 2 * 1024 * 1024);
    await writeFile(join(dir, `${NAME_0}.tmp`), Buffer.concat([big, big.subarray(0, big.length >> 1)]));
    const r = await recoverSpool({ spoolDirectory, interfaces: { ...interfaces, "cp-7/0/0": interfaceConfig() } });
    assert.deepEqual(r.failures, []);
    assert.equal(r.files.length, 1);
    assert.equal(r.files[0].compressedBytes, big.length);
    assert.equal(r.files[0].records, gunzipSync(big).toString("latin1").split("\n").length - 1);
  });

  it("after a SIGKILL mid-write, keeps only complete record lines that gunzip -t accepts", async (t) => {
    const skip = needsProgram("gunzip", "gzip");
    if (skip) return t.skip(skip);
    const spoolDirectory = join(root.dir, `crash-${n++}`);
    assert.equal((await runUntil(spoolDirectory, "SIGKILL")).signal, "SIGKILL");

    const dir = join(spoolDirectory, "cp_6_0_0");
    const before = await readdir(dir);
    assert.ok(
      before.some((name) => name.endsWith(".tmp")),
      "the killed process left active files",
    );
    const r = await recoverSpool({ spoolDirectory, interfaces });
    assert.deepEqual(r.failures, []);
    assert.ok(r.recovered.length >= 1);
    const left = await readdir(dir);
    assert.ok(
      left.every((name) => !name.endsWith(".tmp")),
      "no temporary file is left",
    );
    assert.equal(left.length, r.files.length);
    for (const f of r.files) await assertWholeRecords(f.path, f.records);
  });

  it("after a SIGTERM, every accepted record is in a closed, renamed file and nothing is left to recover", async (t) => {
    const skip = needsProgram("gunzip", "gzip");
    if (skip) return t.skip(skip);
    const spoolDirectory = join(root.dir, `drain-${n++}`);
    const { signal, last } = await runUntil(spoolDirectory, "SIGTERM");
    assert.equal(signal, null, "a clean exit");
    const drained = JSON.parse(last) as { drained: boolean; accepted: number; closed: number };
    assert.equal(drained.drained, true);
    const dir = join(spoolDirectory, "cp_6_0_0");
    const names = await readdir(dir);
    assert.equal(names.length, drained.closed, "every file was closed and renamed");
    assert.ok(names.every((name) => !name.endsWith(".tmp")));
    const r = await recoverSpool({ spoolDirectory, interfaces });
    assert.deepEqual([r.recovered.length, r.deleted.length, r.failures.length], [0, 0, 0]);
    let records = 0;
    for (const f of r.files) {
      await assertWholeRecords(f.path, f.records);
      records += f.records;
    }
    assert.equal(records, drained.accepted, "no accepted record was lost");
  });
});
