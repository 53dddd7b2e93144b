import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { TransferLogArchiveConfig } from "../../src/collector/config.ts";
import type { Destination } from "../../src/collector/shipping/destination.ts";
import { FileDestination } from "../../src/collector/shipping/file-destination.ts";
import { TransferLog, transferLogEntry } from "../../src/collector/shipping/transfer-log.ts";
import { parseTransferLog, type TransferLogEntry } from "../../src/wire/transfer-log.ts";
import { FakeDestination } from "./shipping-fakes.ts";

const T0 = Date.UTC(2004, 1, 27, 23, 4, 38); // 2004-02-27 23:04:38 UTC
const MINUTE = 60_000;
let root: string;
let serial = 0;
const logs: TransferLog[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "flowlens-transfer-log-"));
});
after(async () => {
  await Promise.all(logs.map((l) => l.close()));
  await rm(root, { recursive: true, force: true });
});

function entry(name: string, ok = true): TransferLogEntry {
  return transferLogEntry({ name, size: 552_569, records: 20_000 }, T0, "ftp://10.63.152.1/tmp/server1/", {
    ok,
    code: ok ? 250 : 0,
    message: ok ? "" : "ECONNREFUSED: connect ECONNREFUSED",
    bytes: ok ? 552_569 : 0,
    ms: 3280,
  });
}

interface Rig {
  log: TransferLog;
  dir: string;
  clock: { now: number };
  archive: string;
}

async function rig(sites: (dir: string) => Destination[], prepare?: (dir: string) => Promise<void>): Promise<Rig> {
  const base = await mkdtemp(join(root, `case-${serial++}-`));
  const dir = join(base, "log", "flowc");
  const archive = join(base, "archive");
  await mkdir(dir, { recursive: true });
  await prepare?.(dir);
  const clock = { now: T0 };
  const config: TransferLogArchiveConfig = {
    directory: dir,
    "filename-prefix": "flowc",
    "maximum-age": 120 * MINUTE,
    "archive-sites": [],
    "retry-interval": 30 * MINUTE,
  };
  const log = new TransferLog({ config, hostname: "router1", clock: () => clock.now, sites: sites(archive) });
  logs.push(log);
  await log.recover();
  return { log, dir, clock, archive };
}

const fileSite = (dir: string) => new FileDestination(pathToFileURL(`${dir}/`).href);

describe("TransferLog", () => {
  it("appends one spec line per attempt to <hostname>_<prefix>_YYYYMMDD_hhmmss.tmp", async () => {
    const r = await rig(() => []);
    r.log.append(entry("a.bcp.bi.gz"));
    r.clock.now += 5000;
    r.log.append(entry("b.bcp.bi.gz", false));
    await r.log.flush();
    assert.deepEqual(await readdir(r.dir), ["failed", "router1_flowc_20040227_230438.tmp"]);
    const text = await readFile(join(r.dir, "router1_flowc_20040227_230438.tmp"), "utf8");
    assert.equal(
      text.split("\n")[0],
      'fn="a.bcp.bi.gz":sz=552569:nr=20000:ts="20040227230438":sf=1:ul="ftp://10.63.152.1/tmp/server1/":rc=250:er="":tt=3280',
    );
    assert.deepEqual(parseTransferLog(text), [entry("a.bcp.bi.gz"), entry("b.bcp.bi.gz", false)]);
    assert.equal(r.log.stats().lines, 2);
  });

  it("after maximum-age closes the log, compresses it and sends it to the first site that accepts it", async () => {
    const down = new FakeDestination("ftp://archive1.example/logs/");
    down.up = false;
    const also = new FakeDestination("ftp://archive3.example/logs/");
    const r = await rig((archive) => [down, fileSite(archive), also]);
    r.log.append(entry("a"));
    await r.log.maintain();
    assert.ok(existsSync(join(r.dir, "router1_flowc_20040227_230438.tmp")), "not due yet");
    r.clock.now += 120 * MINUTE;
    await r.log.maintain();
    assert.deepEqual(await readdir(r.dir), ["failed"], "sent and deleted");
    assert.deepEqual(
      down.calls.map((c) => c.name),
      ["router1_flowc_20040227_230438.log.gz"],
    );
    assert.equal(also.calls.length, 0, "no site after the first that accepted");
    const shipped = await readFile(join(r.archive, "router1_flowc_20040227_230438.log.gz"));
    assert.deepEqual(parseTransferLog(gunzipSync(shipped).toString()), [entry("a")]);
    r.log.append(entry("b"));
    await r.log.flush();
    assert.equal(r.log.openFile, join(r.dir, "router1_flowc_20040228_010438.tmp"));
  });

  it("moves a log no site accepts to failed/ and resends it every retry-interval", async () => {
    const a = new FakeDestination("ftp://a.example/");
    const b = new FakeDestination("ftp://b.example/");
    a.up = false;
    b.up = false;
    const r = await rig(() => [a, b]);
    r.log.append(entry("x"));
    r.clock.now += 120 * MINUTE;
    await r.log.maintain();
    const name = "router1_flowc_20040227_230438.log.gz";
    assert.deepEqual(await readdir(join(r.dir, "failed")), [name]);
    assert.deepEqual([a.calls.length, b.calls.length], [1, 1], "each site tried once, in order");
    r.clock.now += 29 * MINUTE;
    await r.log.maintain();
    assert.deepEqual([a.calls.length, b.calls.length], [1, 1], "not yet due");
    r.clock.now += MINUTE;
    await r.log.maintain();
    assert.deepEqual([a.calls.length, b.calls.length], [2, 2], "retried after 30 minutes");
    assert.equal(r.log.stats().failedLogs, 1);
    b.up = true;
    r.clock.now += 30 * MINUTE;
    await r.log.maintain();
    assert.deepEqual([a.calls.length, b.calls.length], [3, 3]);
    assert.ok(b.received.has(name));
    assert.deepEqual(await readdir(join(r.dir, "failed")), []);
    assert.equal(r.log.stats().failedLogs, 0);
    assert.equal(r.log.stats().archived, 1);
  });

  it("picks up the logs of a previous run", async () => {
    const young = "router1_flowc_20040227_220438.tmp"; // one hour old at T0
    const old = "router1_flowc_20040227_200000.tmp"; // older than maximum-age
    const r = await rig(
      (archive) => [fileSite(archive)],
      async (dir) => {
        await writeFile(join(dir, young), 'fn="y":sz=1:nr=1:ts="20040227220438":sf=1:ul="u":rc=250:er="":tt=1\n');
        await writeFile(join(dir, old), 'fn="o":sz=1:nr=1:ts="20040227200000":sf=1:ul="u":rc=250:er="":tt=1\n');
        await writeFile(join(dir, "router1_flowc_20040227_190000.log"), "closed\n");
        await writeFile(join(dir, "router1_flowc_20040227_180000.log.gz"), gzipSync("compressed\n"));
        await writeFile(join(dir, "router1_flowc_20040227_170000.log.gz.part"), "partial");
        await mkdir(join(dir, "failed"));
        await writeFile(join(dir, "failed", "router1_flowc_20040227_160000.log.gz"), gzipSync("failed\n"));
        await writeFile(join(dir, "notes.txt"), "not a transfer log");
      },
    );
    assert.equal(r.log.openFile, join(r.dir, young), "the young .tmp is written again");
    r.log.append(entry("z"));
    await r.log.maintain();
    assert.deepEqual((await readdir(r.dir)).sort(), ["failed", "notes.txt", young]);
    assert.deepEqual((await readdir(r.archive)).sort(), [
      "router1_flowc_20040227_160000.log.gz",
      "router1_flowc_20040227_180000.log.gz",
      "router1_flowc_20040227_190000.log.gz",
      "router1_flowc_20040227_200000.log.gz",
    ]);
    const reopened = parseTransferLog(await readFile(join(r.dir, young), "utf8"));
    assert.deepEqual(
      reopened.map((e) => e.fileName),
      ["y", "z"],
    );
    const closed = await readFile(join(r.archive, "router1_flowc_20040227_190000.log.gz"));
    assert.equal(gunzipSync(closed).toString(), "closed\n");
  });

  it("closes a due log on the next line even without a maintenance pass", async () => {
    const r = await rig(() => []);
    r.log.append(entry("a"));
    r.clock.now += 120 * MINUTE + 1000;
    r.log.append(entry("b"));
    await r.log.flush();
    assert.deepEqual((await readdir(r.dir)).sort(), [
      "failed",
      "router1_flowc_20040227_230438.log",
      "router1_flowc_20040228_010439.tmp",
    ]);
    await r.log.maintain();
    assert.deepEqual(await readdir(join(r.dir, "failed")), ["router1_flowc_20040227_230438.log.gz"]);
  });

  it("purge deletes every transfer log", async () => {
    const down = new FakeDestination("ftp://down.example/");
    down.up = false;
    const r = await rig(() => [down]);
    r.log.append(entry("a"));
    r.clock.now += 120 * MINUTE;
    await r.log.maintain();
    r.log.append(entry("b"));
    await r.log.flush();
    await writeFile(join(r.dir, "keep.txt"), "x");
    assert.equal(await r.log.purge(), 2);
    assert.deepEqual((await readdir(r.dir)).sort(), ["failed", "keep.txt"]);
    assert.deepEqual(await readdir(join(r.dir, "failed")), []);
    assert.equal(r.log.openFile, undefined);
    r.log.append(entry("c"));
    await r.log.flush();
    assert.equal((await readdir(r.dir)).filter((n) => n.endsWith(".tmp")).length, 1);
  });

  it("keeps underscores out of the hostname part of the name", async () => {
    const base = await mkdtemp(join(root, "host-"));
    const log = new TransferLog({
      config: {
        directory: base,
        "filename-prefix": "flow_c",
        "maximum-age": MINUTE,
        "archive-sites": [],
        "retry-interval": MINUTE,
      },
      hostname: "edge_router/1",
      clock: () => T0,
    });
    logs.push(log);
    await log.recover();
    log.append(entry("a"));
    await log.flush();
    assert.equal(log.openFile, join(base, "edge-router-1_flow_c_20040227_230438.tmp"));
  });
});
