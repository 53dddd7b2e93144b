/**
 * A receiver whose NATS never answers buffers its records on disk up to `buffer-limit`, then drops and counts what does
 * not fit: the count is on `GET /api/v1/scale-out`, on `/metrics` and in `scaleOut()`, and buffered + dropped records
 * equal the records received. Needs no nats-server (nothing listens on the configured NATS port).
 */
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { waitFor } from "../helpers/processes.ts";
import { freePort } from "./nats-servers.ts";
import { scaleOutStatus, scaleSuite, sendDatagrams } from "./scale-fixtures.ts";

describe("receiver disk buffer bound", () => {
  const suite = scaleSuite("flowlens-scale-bound-");

  it("drops and counts records beyond buffer-limit while NATS is unreachable", async () => {
    const udp = await freePort();
    const deadNats = await freePort();
    const receiver = await suite.collector("rx", {
      role: "receiver",
      udpPort: udp,
      servers: [`nats://127.0.0.1:${deadNats}`],
      archive: suite.path("archive"),
      bufferLimit: "64KiB",
    });
    await sendDatagrams(udp, 0, 100); // 3000 records, about 140 KB of batches
    const st = async () => (await scaleOutStatus(receiver)).publisher;
    await waitFor("every record buffered or dropped", async () => {
      const p = await st();
      return p !== undefined && p.bufferedRecords + p.droppedRecords === 3000;
    });
    const p = await st();
    assert.ok(p !== undefined);
    assert.equal(p.publishedRecords, 0);
    assert.ok(p.droppedRecords > 0, "the bound was hit");
    assert.ok(p.bufferedRecords > 0, "what fitted was buffered");
    assert.ok(p.bufferBytes <= 64 * 1024);
    const buffer = join(suite.path("rx"), "spool", "jetstream-buffer");
    const onDisk = readdirSync(buffer).reduce((a, f) => a + statSync(join(buffer, f)).size, 0);
    assert.equal(onDisk, p.bufferBytes);
    const metrics = await (await fetch(`${receiver.adminUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`^flowlens_collector_jetstream_dropped_records_total ${p.droppedRecords}$`, "m"));
    assert.match(metrics, /^flowlens_collector_jetstream_connected 0$/m);
    assert.equal(receiver.scaleOut().publisher?.droppedRecords, p.droppedRecords);
  });
});
