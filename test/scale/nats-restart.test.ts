/**
 * Scale-out through a NATS outage: a receiver and a writer on one JetStream server; the server is stopped in the middle
 * of the ingest and started again later on the same port and store. The receiver buffers on disk meanwhile and drains
 * the buffer when NATS returns: the writer's files hold exactly the records sent (count and checksum), none twice.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningCollector, startCollector } from "../../src/collector/collector.ts";
import type { ScaleOutStatus } from "../../src/scale/scale-status.ts";
import { waitFor } from "../helpers/processes.ts";
import { freePort, type NatsNode, needsNatsServer, startNatsServer } from "./nats-servers.ts";
import {
  adminJson,
  archiveLines,
  checksum,
  expectedLines,
  quietLogger,
  scaleCollectorConfig,
  sendDatagrams,
} from "./scale-fixtures.ts";

const skip = needsNatsServer();

describe("scale-out: NATS stopped and restarted during ingest", { skip }, () => {
  let dir: string;
  let nats: NatsNode | undefined;
  const running: RunningCollector[] = [];
  const logs: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-scale-restart-"));
  });
  after(async () => {
    for (const c of running) await c.stop().catch(() => undefined);
    await nats?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("buffers on disk while NATS is away and delivers every record once", async (t) => {
    nats = await startNatsServer(dir);
    const servers = [nats.url];
    const archive = join(dir, "archive");
    const udp = await freePort();
    const receiver = await startCollector(
      scaleCollectorConfig({ dir: join(dir, "rx"), role: "receiver", udpPort: udp, servers, archive }),
      { logger: quietLogger(logs) },
    );
    running.push(receiver);
    const writer = await startCollector(
      scaleCollectorConfig({ dir: join(dir, "wr"), role: "writer", udpPort: 0, servers, archive }),
      { logger: quietLogger(logs) },
    );
    running.push(writer);
    const written = async () =>
      (await adminJson<ScaleOutStatus>(writer.adminUrl, "/api/v1/scale-out")).writers?.[0].records ?? 0;

    await sendDatagrams(udp, 0, 150);
    await waitFor("the first records written", async () => (await written()) >= 150 * 30, 20_000);
    await nats.stop("SIGTERM");
    await sendDatagrams(udp, 150, 350);
    const rx = async () => (await adminJson<ScaleOutStatus>(receiver.adminUrl, "/api/v1/scale-out")).publisher;
    await waitFor("records buffered on disk", async () => ((await rx())?.bufferedRecords ?? 0) >= 200 * 30, 20_000);
    assert.ok(((await rx())?.bufferBytes ?? 0) > 0, "the disk buffer holds the records");
    await nats.start();
    await sendDatagrams(udp, 350, 450);
    try {
      await waitFor("every record written", async () => (await written()) >= 450 * 30, 40_000, 200);
    } catch (e) {
      t.diagnostic(logs.slice(-20).join(""));
      throw e;
    }
    const status = await rx();
    assert.equal(status?.droppedRecords, 0);
    assert.equal(status?.bufferBytes, 0, "the buffer drained");
    const expected = expectedLines(0, 450);
    // maximum-age 2s: the last file rotates and ships within a few seconds
    await waitFor("every file shipped", () => archiveLines(archive).length >= expected.length, 20_000, 200);
    await receiver.stop();
    await writer.stop();
    running.length = 0;
    const lines = archiveLines(archive);
    assert.equal(lines.length, expected.length, "records in the files = records sent");
    assert.equal(checksum(lines), checksum(expected));
  });
});
