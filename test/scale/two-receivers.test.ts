/**
 * Two receivers (separate UDP ports) and one writer give the same record files' content as the single process fed the
 * same datagrams: the sorted record lines (linkDir, random per file, cut off) are identical.
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
const HALF = 250;

describe("scale-out: two receivers and one writer", { skip }, () => {
  let dir: string;
  let nats: NatsNode | undefined;
  const running: RunningCollector[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-scale-two-"));
  });
  after(async () => {
    for (const c of running) await c.stop().catch(() => undefined);
    await nats?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("write the same records as the single process", async () => {
    nats = await startNatsServer(dir);
    const servers = [nats.url];
    const scaled = join(dir, "archive-scaled");
    const single = join(dir, "archive-single");
    const [udpA, udpB, udpS] = [await freePort(), await freePort(), await freePort()];
    const start = async (c: Parameters<typeof scaleCollectorConfig>[0]) => {
      const r = await startCollector(scaleCollectorConfig(c), { logger: quietLogger() });
      running.push(r);
      return r;
    };
    const a = await start({ dir: join(dir, "a"), role: "receiver", udpPort: udpA, servers, archive: scaled });
    const b = await start({ dir: join(dir, "b"), role: "receiver", udpPort: udpB, servers, archive: scaled });
    const w = await start({ dir: join(dir, "w"), role: "writer", udpPort: 0, servers, archive: scaled });
    await start({ dir: join(dir, "s"), role: "all", udpPort: udpS, archive: single });

    await Promise.all([sendDatagrams(udpA, 0, HALF), sendDatagrams(udpB, HALF, 2 * HALF)]);
    await sendDatagrams(udpS, 0, 2 * HALF);
    const total = 2 * HALF * 30;
    await waitFor(
      "every record written by the writer",
      async () =>
        ((await adminJson<ScaleOutStatus>(w.adminUrl, "/api/v1/scale-out")).writers?.[0].records ?? 0) >= total,
      30_000,
      200,
    );
    for (const r of [a, b]) {
      const st = await adminJson<ScaleOutStatus>(r.adminUrl, "/api/v1/scale-out");
      assert.equal(st.publisher?.publishedRecords, HALF * 30, "each receiver published its half");
    }
    await waitFor(
      "every file shipped",
      () => archiveLines(scaled).length >= total && archiveLines(single).length >= total,
      20_000,
      200,
    );
    for (const r of running.splice(0)) await r.stop();
    const fromScaled = archiveLines(scaled);
    const fromSingle = archiveLines(single);
    assert.equal(fromScaled.length, total);
    assert.deepEqual(fromScaled, fromSingle);
    assert.equal(checksum(fromSingle), checksum(expectedLines(0, 2 * HALF)));
  });
});
