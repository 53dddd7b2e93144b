/**
 * Scale-out on a three-node JetStream cluster with the record stream replicated three times (R3): one node is killed
 * (SIGKILL) in the middle of the ingest: the node the receiver and the writer are connected to (their only seed). They
 * reconnect to the surviving nodes they learned from the cluster, publishes that were cut
 * off are retried from the disk buffer (their message ids make the stream drop repeats), acknowledgements lost with the
 * node are redelivered (the writer skips what it already wrote): the writer's files hold exactly the records sent, none
 * missing, none twice (count and checksum over the sorted record lines).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningCollector, startCollector } from "../../src/collector/collector.ts";
import type { ScaleOutStatus } from "../../src/scale/scale-status.ts";
import { waitFor } from "../helpers/processes.ts";
import { freePort, type NatsNode, needsNatsServer, startNatsCluster } from "./nats-servers.ts";
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
const DATAGRAMS = 600;

describe("scale-out: three-node JetStream cluster, R3 stream, one node killed during ingest", { skip }, () => {
  let dir: string;
  let nodes: NatsNode[] = [];
  const running: RunningCollector[] = [];
  const logs: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-scale-cluster-"));
  });
  after(async () => {
    for (const c of running) await c.stop().catch(() => undefined);
    for (const n of nodes) await n.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes every record sent exactly once", async (t) => {
    nodes = await startNatsCluster(dir);
    // Only node 0 as the seed: both connect to it and must fail over to the nodes they learn from the cluster.
    const servers = [nodes[0].url];
    const archive = join(dir, "archive");
    const udp = await freePort();
    const common = { servers, archive, replicas: 3 };
    const receiver = await startCollector(
      scaleCollectorConfig({ ...common, dir: join(dir, "rx"), role: "receiver", udpPort: udp }),
      { logger: quietLogger(logs) },
    );
    running.push(receiver);
    const writer = await startCollector(
      scaleCollectorConfig({ ...common, dir: join(dir, "wr"), role: "writer", udpPort: 0 }),
      { logger: quietLogger(logs) },
    );
    running.push(writer);
    const written = async () =>
      (await adminJson<ScaleOutStatus>(writer.adminUrl, "/api/v1/scale-out")).writers?.[0].records ?? 0;
    try {
      await sendDatagrams(udp, 0, 200);
      await waitFor("records flowing", async () => (await written()) > 0, 30_000, 100);
      await nodes[0].stop("SIGKILL");
      await sendDatagrams(udp, 200, DATAGRAMS);
      await waitFor("every record written", async () => (await written()) >= DATAGRAMS * 30, 40_000, 200);
    } catch (e) {
      t.diagnostic(logs.slice(-20).join(""));
      throw e;
    }
    const expected = expectedLines(0, DATAGRAMS);
    await waitFor("every file shipped", () => archiveLines(archive).length >= expected.length, 20_000, 200);
    await new Promise((r) => setTimeout(r, 500)); // a repeat would show up now
    const rx = await adminJson<ScaleOutStatus>(receiver.adminUrl, "/api/v1/scale-out");
    t.diagnostic(`receiver: ${JSON.stringify(rx.publisher)}`);
    await receiver.stop();
    await writer.stop();
    running.length = 0;
    const lines = archiveLines(archive);
    assert.equal(lines.length, expected.length, "records in the files = records sent");
    assert.equal(new Set(lines).size, lines.length, "no record twice");
    assert.equal(checksum(lines), checksum(expected));
    assert.equal(rx.publisher?.droppedRecords, 0);
  });
});
