/**
 * Two writers of one collector interface share its durable consumer: each writes a part of the records to its own
 * files, and together the files hold every record sent exactly once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { recordStreamSchema, writerConsumeSchema } from "../../src/scale/scale-config.ts";
import { writerDurableName } from "../../src/scale/record-stream-setup.ts";
import { waitFor } from "../helpers/processes.ts";
import { freePort, needsNatsServer } from "./nats-servers.ts";
import { archiveLines, checksum, expectedLines, scaleSuite, sendDatagrams } from "./scale-fixtures.ts";

const skip = needsNatsServer();
const DATAGRAMS = 400;

describe("scale-out: two writers share an interface's records", { skip }, () => {
  const suite = scaleSuite("flowlens-scale-writers-");

  it("split the messages and write every record once", async () => {
    const nats = await suite.natsServer();
    const servers = [nats.url];
    const udp = await freePort();
    const [one, two] = [suite.path("archive-1"), suite.path("archive-2")];
    // small fetch groups, so neither writer can take every message in one fetch
    const w1 = await suite.collector("w1", { role: "writer", udpPort: 0, servers, archive: one, fetchBatch: 4 });
    const w2 = await suite.collector("w2", { role: "writer", udpPort: 0, servers, archive: two, fetchBatch: 4 });
    // both writers must be pulling before the records arrive, or the first one up may take all 40 messages
    const nc = await connect({ servers });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = recordStreamSchema.parse({}).name;
      const durable = writerDurableName(writerConsumeSchema.parse({})["durable-prefix"], "cp-1/0/0");
      // (the writers create the stream and the consumer as they start: "not found" until then)
      const pulling = async () =>
        ((await jsm.consumers.info(stream, durable).catch(() => null))?.num_waiting ?? 0) >= 2;
      await waitFor("both writers pulling", pulling, 20_000, 50);
    } finally {
      await nc.close();
    }
    await suite.collector("rx", { role: "receiver", udpPort: udp, servers, archive: suite.path("unused") });
    await sendDatagrams(udp, 0, DATAGRAMS);
    const total = DATAGRAMS * 30;
    const written = () => [w1, w2].map((w) => w.scaleOut().writers?.[0].records ?? 0);
    await waitFor("every record written", () => written().reduce((a, b) => a + b, 0) >= total, 30_000, 100);
    const [n1, n2] = written();
    assert.ok(n1 > 0 && n2 > 0, `both writers took a share (${n1} + ${n2})`);
    await waitFor(
      "every file shipped",
      () => archiveLines(one).length + archiveLines(two).length >= total,
      20_000,
      200,
    );
    await suite.stopCollectors();
    const lines = [...archiveLines(one), ...archiveLines(two)].sort();
    assert.equal(lines.length, total);
    assert.equal(checksum(lines), checksum(expectedLines(0, DATAGRAMS)));
  });
});
