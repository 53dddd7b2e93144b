/**
 * The failover test: two real vsftpd servers on loopback ports (vsftpd-server.ts: anonymous login, chrooted,
 * upload/mkdir/rename allowed in `/in`) as the primary and secondary of one export channel. Stopping the primary during
 * a run sends the files to the secondary, and the transfer log shows the failed and the successful attempts; stopping
 * both loses nothing, and everything arrives once they return. Retry delays are shortened to 20 ms by the injected
 * sleep; the transfer log's clock is shifted by hand to close and archive it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { ClosedRecordFile } from "../../src/collector/contracts.ts";
import { ExportChannel } from "../../src/collector/shipping/export-channel.ts";
import { realSleep } from "../../src/collector/shipping/sleep.ts";
import { TransferLog } from "../../src/collector/shipping/transfer-log.ts";
import { Secret } from "../../src/runtime/secret.ts";
import { parseTransferLog, type TransferLogEntry } from "../../src/wire/transfer-log.ts";
import { closedFile, waitFor } from "./shipping-fakes.ts";
import { needsVsftpd, VsftpdServer } from "./vsftpd-server.ts";

const PASSWORD = "not-in-any-log-9f2c";
const MINUTE = 60_000;

describe("FTP failover between two vsftpd servers", { skip: needsVsftpd() }, () => {
  let base: string;
  let spool: string;
  let primary: VsftpdServer;
  let secondary: VsftpdServer;
  let channel: ExportChannel;
  let log: TransferLog;
  let clockShift = 0;
  const files: ClosedRecordFile[] = [];
  const contents = new Map<string, Buffer>();

  const url = (s: VsftpdServer, path: string) => `ftp://anonymous@127.0.0.1:${s.port}${path}`;
  const secret = () => new Secret(PASSWORD, { kind: "env", name: "FLOWLENS_TEST_FTP_PASSWORD" });
  const flowsDir = (s: VsftpdServer) => join(s.uploadDir, "flows");
  const listing = async (s: VsftpdServer) => (existsSync(flowsDir(s)) ? (await readdir(flowsDir(s))).sort() : []);

  async function entries(): Promise<TransferLogEntry[]> {
    await log.flush();
    const open = log.openFile;
    return open === undefined ? [] : parseTransferLog(await readFile(open, "utf8"));
  }

  async function enqueue(names: string[]): Promise<void> {
    for (const name of names) {
      const f = await closedFile(spool, name, 1, 4096 + files.length * 1000);
      contents.set(name, await readFile(f.path));
      files.push(f);
      channel.enqueue(f);
    }
  }

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "flowlens-ftp-failover-"));
    spool = join(base, "spool");
    await mkdir(spool);
    primary = await VsftpdServer.create(join(base, "primary"));
    secondary = await VsftpdServer.create(join(base, "secondary"));
    log = new TransferLog({
      config: {
        directory: join(base, "log"),
        "filename-prefix": "flowc",
        "maximum-age": 120 * MINUTE,
        "archive-sites": [{ url: url(primary, "/in/transfer-logs/"), "password-env": secret() }],
        "retry-interval": 30 * MINUTE,
      },
      hostname: "router1",
      clock: () => Date.now() + clockShift,
      destinationOptions: { timeoutMs: 5000 },
    });
    await log.recover();
    channel = new ExportChannel({
      interfaceName: "cp-6/0/0",
      channel: 1,
      config: {
        primary: { url: url(primary, "/in/flows/"), "password-env": secret() },
        secondary: { url: url(secondary, "/in/flows/"), "password-env": secret() },
        "retry-count": 2,
        "retry-delay": 30_000,
      },
      transferLog: log,
      testFileDirectory: join(spool, "test"),
      destinationOptions: { timeoutMs: 5000 },
      sleep: (_ms, signal) => realSleep(20, signal),
    });
    channel.start();
  });

  after(async () => {
    await channel?.drain(AbortSignal.abort());
    await log?.close();
    await primary?.stop();
    await secondary?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it("ships to the primary while it is up", async () => {
    await enqueue(["f1", "f2", "f3"]);
    await waitFor(() => channel.counters.filesExported.total === 3, "three exports");
    assert.deepEqual(await listing(primary), ["f1", "f2", "f3"]);
    assert.deepEqual(channel.status().currentServer, "primary");
    const e = await entries();
    assert.deepEqual(
      e.map((x) => [x.fileName, x.success, x.resultCode, x.url]),
      ["f1", "f2", "f3"].map((n) => [n, true, 250, url(primary, "/in/flows/")]),
    );
  });

  it("fails over to the secondary when the primary stops; the transfer log shows both attempts", async () => {
    await primary.stop();
    await enqueue(["f4", "f5", "f6"]);
    await waitFor(() => channel.counters.filesExported.total === 6, "six exports");
    assert.deepEqual(await listing(secondary), ["f4", "f5", "f6"]);
    assert.deepEqual(await listing(primary), ["f1", "f2", "f3"]);
    const s = channel.status();
    assert.deepEqual([s.currentServer, s.primaryState, s.secondaryState], ["secondary", "Failed", "OK"]);
    const e = (await entries()).slice(3);
    assert.deepEqual(
      e.map((x) => [x.fileName, x.success, x.url]),
      [
        ["f4", false, url(primary, "/in/flows/")],
        ["f4", false, url(primary, "/in/flows/")],
        ["f4", true, url(secondary, "/in/flows/")],
        ["f5", true, url(secondary, "/in/flows/")],
        ["f6", true, url(secondary, "/in/flows/")],
      ],
    );
    assert.equal(e[0].resultCode, 0);
    assert.match(e[0].errorText, /ECONNREFUSED/);
    assert.equal(e[2].resultCode, 250);
    assert.equal(e[2].fileSize, contents.get("f4")!.length);
    assert.equal(channel.counters.ftpFailure, 2);
  });

  it("loses nothing while both servers are down and delivers everything once they return", async () => {
    await secondary.stop();
    await enqueue(["f7", "f8", "f9"]);
    await waitFor(() => (channel.files()[0]?.transferAttempts ?? 0) >= 8, "eight failed attempts");
    const s = channel.status();
    assert.deepEqual([s.primaryState, s.secondaryState, s.queuedFiles], ["Failed", "Failed", 3]);
    for (const n of ["f7", "f8", "f9"]) assert.ok(existsSync(join(spool, n)), `${n} kept in the spool`);
    assert.equal(channel.counters.filesExported.total, 6);
    await primary.start();
    await secondary.start();
    await waitFor(() => channel.counters.filesExported.total === 9, "nine exports", 20_000);
    const p = await listing(primary);
    const q = await listing(secondary);
    for (const f of files) {
      const at = [p.includes(f.name), q.includes(f.name)].filter(Boolean).length;
      assert.equal(at, 1, `${f.name} on exactly one server`);
      const dir = p.includes(f.name) ? flowsDir(primary) : flowsDir(secondary);
      assert.deepEqual(await readFile(join(dir, f.name)), contents.get(f.name));
    }
    assert.equal([...p, ...q].filter((n) => n.endsWith(".part")).length, 0, "no temporary file left");
    assert.deepEqual((await readdir(spool)).sort(), [], "spool emptied only by confirmed transfers");
    const e = await entries();
    assert.equal(e.filter((x) => x.success).length, 9);
    assert.equal(e.filter((x) => !x.success).length, channel.counters.ftpFailure);
  });

  it("runs a test file transfer and logs it", async () => {
    const lines = log.stats().lines;
    const outcome = channel.testFileTransfer("test_file", "primary");
    assert.equal(outcome.message, "Test file transfer successfully scheduled");
    await waitFor(() => log.stats().lines === lines + 1, "the test transfer's log line");
    const last = (await entries()).at(-1)!;
    assert.deepEqual([last.fileName, last.success, last.resultCode, last.recordCount], ["test_file", true, 250, 0]);
    assert.match(await readFile(join(flowsDir(primary), "test_file"), "utf8"), /export channel: 1\nserver: primary/);
  });

  it("archives the transfer log to an FTP archive site, with no password anywhere", async () => {
    await log.flush();
    const name = log.openFile!.split("/").at(-1)!;
    const text = await readFile(log.openFile!, "utf8");
    assert.doesNotMatch(text, new RegExp(PASSWORD));
    clockShift = 120 * MINUTE;
    await log.maintain();
    const archived = join(primary.uploadDir, "transfer-logs", name.replace(/\.tmp$/, ".log.gz"));
    assert.ok(existsSync(archived), "compressed log on the archive site");
    assert.equal(gunzipSync(await readFile(archived)).toString(), text);
    assert.deepEqual(await readdir(join(base, "log", "failed")), []);
  });
});
