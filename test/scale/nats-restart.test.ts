/**
 * Scale-out through a NATS outage: a receiver and a writer on one JetStream server; the server is stopped in the middle
 * of the ingest and started again later on the same port and store. The receiver buffers on disk meanwhile and drains
 * the buffer when NATS returns: the writer's files hold exactly the records sent (count and checksum), none twice.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "../helpers/processes.ts";
import { freePort, needsNatsServer } from "./nats-servers.ts";
import { archiveLines, checksum, expectedLines, scaleOutStatus, scaleSuite, sendDatagrams } from "./scale-fixtures.ts";

const skip = needsNatsServer();

describe("scale-out: NATS stopped and restarted during ingest", { skip }, () => {
  const suite = scaleSuite("flowlens-scale-restart-");

  it("buffers on disk while NATS is away and delivers every record once", async (t) => {
    const nats = await suite.natsServer();
    const servers = [nats.url];
    const archive = suite.path("archive");
    const udp = await freePort();
    const receiver = await suite.collector("rx", { role: "receiver", udpPort: udp, servers, archive });
    const writer = await suite.collector("wr", { role: "writer", udpPort: 0, servers, archive });
    const written = async () => (await scaleOutStatus(writer)).writers?.[0].records ?? 0;

    await sendDatagrams(udp, 0, 150);
    await waitFor("the first records written", async () => (await written()) >= 150 * 30, 20_000);
    await nats.stop("SIGTERM");
    await sendDatagrams(udp, 150, 350);
    const rx = async () => (await scaleOutStatus(receiver)).publisher;
    await waitFor("records buffered on disk", async () => ((await rx())?.bufferedRecords ?? 0) >= 200 * 30, 20_000);
    assert.ok(((await rx())?.bufferBytes ?? 0) > 0, "the disk buffer holds the records");
    await nats.start();
    await sendDatagrams(udp, 350, 450);
    try {
      await waitFor("every record written", async () => (await written()) >= 450 * 30, 40_000, 200);
    } catch (e) {
      t.diagnostic(suite.logs.slice(-20).join(""));
      throw e;
    }
    const status = await rx();
    assert.equal(status?.droppedRecords, 0);
    assert.equal(status?.bufferBytes, 0, "the buffer drained");
    const expected = expectedLines(0, 450);
    // maximum-age 2s: the last file rotates and ships within a few seconds
    await waitFor("every file shipped", () => archiveLines(archive).length >= expected.length, 20_000, 200);
    await suite.stopCollectors();
    const lines = archiveLines(archive);
    assert.equal(lines.length, expected.length, "records in the files = records sent");
    assert.equal(checksum(lines), checksum(expected));
  });
});
