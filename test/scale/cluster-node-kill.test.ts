/**
 * Scale-out on a three-node JetStream cluster with the record stream replicated three times (R3): one node is killed
 * (SIGKILL) in the middle of the ingest: the node the receiver and the writer are connected to (their only seed). They
 * reconnect to the surviving nodes they learned from the cluster, publishes that were cut
 * off are retried from the disk buffer (their message ids make the stream drop repeats), acknowledgements lost with the
 * node are redelivered (the writer skips what it already wrote): the writer's files hold exactly the records sent, none
 * missing, none twice (count and checksum over the sorted record lines).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "../helpers/processes.ts";
import { freePort, needsNatsServer } from "./nats-servers.ts";
import { archiveLines, checksum, expectedLines, scaleOutStatus, scaleSuite, sendDatagrams } from "./scale-fixtures.ts";

const skip = needsNatsServer();
const DATAGRAMS = 600;

describe("scale-out: three-node JetStream cluster, R3 stream, one node killed during ingest", { skip }, () => {
  const suite = scaleSuite("flowlens-scale-cluster-");

  it("writes every record sent exactly once", async (t) => {
    const nodes = await suite.natsCluster();
    // Only node 0 as the seed: both connect to it and must fail over to the nodes they learn from the cluster.
    const servers = [nodes[0].url];
    const archive = suite.path("archive");
    const udp = await freePort();
    const common = { servers, archive, replicas: 3 };
    const receiver = await suite.collector("rx", { ...common, role: "receiver", udpPort: udp });
    const writer = await suite.collector("wr", { ...common, role: "writer", udpPort: 0 });
    const written = async () => (await scaleOutStatus(writer)).writers?.[0].records ?? 0;
    try {
      await sendDatagrams(udp, 0, 200);
      await waitFor("records flowing", async () => (await written()) > 0, 30_000, 100);
      await nodes[0].stop("SIGKILL");
      await sendDatagrams(udp, 200, DATAGRAMS);
      await waitFor("every record written", async () => (await written()) >= DATAGRAMS * 30, 40_000, 200);
    } catch (e) {
      t.diagnostic(suite.logs.slice(-20).join(""));
      throw e;
    }
    const expected = expectedLines(0, DATAGRAMS);
    await waitFor("every file shipped", () => archiveLines(archive).length >= expected.length, 20_000, 200);
    await new Promise((r) => setTimeout(r, 500)); // a repeat would show up now
    const rx = await scaleOutStatus(receiver);
    t.diagnostic(`receiver: ${JSON.stringify(rx.publisher)}`);
    await suite.stopCollectors();
    const lines = archiveLines(archive);
    assert.equal(lines.length, expected.length, "records in the files = records sent");
    assert.equal(new Set(lines).size, lines.length, "no record twice");
    assert.equal(checksum(lines), checksum(expected));
    assert.equal(rx.publisher?.droppedRecords, 0);
  });
});
