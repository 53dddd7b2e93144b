/**
 * Two writers of one collector interface share its durable consumer: each writes a part of the records to its own
 * files, and together the files hold every record sent exactly once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningCollector, startCollector } from "../../src/collector/collector.ts";
import { waitFor } from "../helpers/processes.ts";
import { freePort, type NatsNode, needsNatsServer, startNatsServer } from "./nats-servers.ts";
import {
  archiveLines,
  checksum,
  expectedLines,
  quietLogger,
  scaleCollectorConfig,
  sendDatagrams,
} from "./scale-fixtures.ts";

const skip = needsNatsServer();
const DATAGRAMS = 400;

describe("scale-out: two writers share an interface's records", { skip }, () => {
  let dir: string;
  let nats: NatsNode | undefined;
  const running: RunningCollector[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-scale-writers-"));
  });
  after(async () => {
    for (const c of running) await c.stop().catch(() => undefined);
    await nats?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("split the messages and write every record once", async () => {
    nats = await startNatsServer(dir);
    const servers = [nats.url];
    const udp = await freePort();
    const [one, two] = [join(dir, "archive-1"), join(dir, "archive-2")];
    const start = async (c: Parameters<typeof scaleCollectorConfig>[0]) => {
      const r = await startCollector(scaleCollectorConfig(c), { logger: quietLogger() });
      running.push(r);
      return r;
    };
    // small fetch groups, so neither writer can take every message in one fetch
    const w1 = await start({ dir: join(dir, "w1"), role: "writer", udpPort: 0, servers, archive: one, fetchBatch: 4 });
    const w2 = await start({ dir: join(dir, "w2"), role: "writer", udpPort: 0, servers, archive: two, fetchBatch: 4 });
    await start({ dir: join(dir, "rx"), role: "receiver", udpPort: udp, servers, archive: join(dir, "unused") });
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
    for (const r of running.splice(0)) await r.stop();
    const lines = [...archiveLines(one), ...archiveLines(two)].sort();
    assert.equal(lines.length, total);
    assert.equal(checksum(lines), checksum(expectedLines(0, DATAGRAMS)));
  });
});
