/**
 * Two receivers (separate UDP ports) and one writer give the same record files' content as the single process fed the
 * same datagrams: the sorted record lines (linkDir, random per file, cut off) are identical.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "../helpers/processes.ts";
import { freePort, needsNatsServer } from "./nats-servers.ts";
import { archiveLines, checksum, expectedLines, scaleOutStatus, scaleSuite, sendDatagrams } from "./scale-fixtures.ts";

const skip = needsNatsServer();
const HALF = 250;

describe("scale-out: two receivers and one writer", { skip }, () => {
  const suite = scaleSuite("flowlens-scale-two-");

  it("write the same records as the single process", async () => {
    const nats = await suite.natsServer();
    const servers = [nats.url];
    const scaled = suite.path("archive-scaled");
    const single = suite.path("archive-single");
    const [udpA, udpB, udpS] = [await freePort(), await freePort(), await freePort()];
    const a = await suite.collector("a", { role: "receiver", udpPort: udpA, servers, archive: scaled });
    const b = await suite.collector("b", { role: "receiver", udpPort: udpB, servers, archive: scaled });
    const w = await suite.collector("w", { role: "writer", udpPort: 0, servers, archive: scaled });
    await suite.collector("s", { role: "all", udpPort: udpS, archive: single });

    await Promise.all([sendDatagrams(udpA, 0, HALF), sendDatagrams(udpB, HALF, 2 * HALF)]);
    await sendDatagrams(udpS, 0, 2 * HALF);
    const total = 2 * HALF * 30;
    await waitFor(
      "every record written by the writer",
      async () => ((await scaleOutStatus(w)).writers?.[0].records ?? 0) >= total,
      30_000,
      200,
    );
    for (const r of [a, b]) {
      const st = await scaleOutStatus(r);
      assert.equal(st.publisher?.publishedRecords, HALF * 30, "each receiver published its half");
    }
    await waitFor(
      "every file shipped",
      () => archiveLines(scaled).length >= total && archiveLines(single).length >= total,
      20_000,
      200,
    );
    await suite.stopCollectors();
    const fromScaled = archiveLines(scaled);
    const fromSingle = archiveLines(single);
    assert.equal(fromScaled.length, total);
    assert.deepEqual(fromScaled, fromSingle);
    assert.equal(checksum(fromSingle), checksum(expectedLines(0, 2 * HALF)));
  });
});
