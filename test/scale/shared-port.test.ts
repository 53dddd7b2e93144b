/**
 * One receiver with `scale-out.processes: 2` (two node:cluster workers sharing one UDP socket), run as the real
 * `flowlens collector` command, and one writer: the writer's files hold exactly the records sent (count and checksum
 * of the sorted lines), both workers received datagrams (their own interface statistics and publisher counters), and
 * the primary's summed status and its SIGTERM drain (exit 0) work.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { InputsResponse, InterfacesResponse } from "../../src/collector/admin/admin-api.ts";
import type { ReceiverClusterStatus } from "../../src/scale/receiver-cluster.ts";
import { freeUdpPort } from "../helpers/free-port.ts";
import { type Child, startChild, waitFor } from "../helpers/processes.ts";
import { needsNatsServer } from "./nats-servers.ts";
import {
  adminJson,
  archiveLines,
  checksum,
  expectedLines,
  scaleCollectorDocument,
  scaleOutStatus,
  scaleSuite,
  sendDatagrams,
} from "./scale-fixtures.ts";

const skip = needsNatsServer();
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATAGRAMS = 600;

/** The primary's admin URL, from its "receiver workers started" log line. */
function primaryAdminUrl(child: Child): string | undefined {
  for (const line of child.stdout.split("\n")) {
    if (!line.includes("receiver workers started")) continue;
    return (JSON.parse(line) as { admin?: string }).admin;
  }
  return undefined;
}

describe("scale-out: receiver workers sharing one UDP port", { skip }, () => {
  const suite = scaleSuite("flowlens-scale-shared-");

  it("write exactly the records sent, both workers taking a share", async () => {
    const nats = await suite.natsServer();
    const servers = [nats.url];
    const archive = suite.path("archive");
    const udpPort = await freeUdpPort();
    const file = suite.path("receiver.yaml");
    const document = scaleCollectorDocument({
      dir: suite.path("r"),
      role: "receiver",
      udpPort,
      servers,
      archive,
      processes: 2,
      logLevel: "info",
    });
    writeFileSync(file, JSON.stringify(document));
    const receiver = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "collector", "-c", file], {
      cwd: ROOT,
      env: { ...process.env, FLOWLENS_FROM_SOURCE: "1" },
    });
    try {
      const admin = await waitFor(
        "the receiver workers started",
        () => {
          if (receiver.process.exitCode !== null) throw new Error(`receiver exited: ${receiver.stderr}`);
          return primaryAdminUrl(receiver) ?? "";
        },
        40_000,
        200,
      );
      const w = await suite.collector("w", { role: "writer", udpPort: 0, servers, archive });
      const before = await adminJson<ReceiverClusterStatus>(admin, "/api/v1/scale-out");
      assert.equal(before.workers.length, 2);
      assert.notEqual(before.workers[0].pid, before.workers[1].pid, "two worker processes");
      for (const wk of before.workers) {
        assert.equal(wk.state, "running");
        assert.equal(wk.status?.role, "receiver");
        assert.deepEqual(wk.status?.worker, { index: wk.worker, processes: 2 });
      }

      await sendDatagrams(udpPort, 0, DATAGRAMS);
      const total = DATAGRAMS * 30;
      await waitFor(
        "every record written by the writer",
        async () => ((await scaleOutStatus(w)).writers?.[0].records ?? 0) >= total,
        30_000,
        200,
      );
      const st = await adminJson<ReceiverClusterStatus>(admin, "/api/v1/scale-out");
      assert.equal(st.publisher?.publishedRecords, total, "the workers published every record once");
      let datagrams = 0;
      for (const wk of st.workers) {
        assert.ok((wk.status?.publisher?.publishedRecords ?? 0) > 0, `worker ${wk.worker} published records`);
        const url = wk.adminUrl ?? "";
        assert.ok(url !== "" && url !== admin, "each worker has its own admin API");
        const own = await adminJson<InterfacesResponse>(url, "/api/v1/interfaces/all");
        const packets = own.interfaces[0].input.packets.total;
        assert.ok(packets > 0, `worker ${wk.worker} received datagrams`);
        assert.equal(own.interfaces[0].listeners[0].address, `127.0.0.1:${udpPort}`, "the shared port");
        datagrams += packets;
        const inputs = await adminJson<InputsResponse>(url, "/api/v1/interfaces/all/inputs");
        const { sequence } = inputs.interfaces[0].inputs[0];
        assert.deepEqual(sequence, { inOrder: 0, lost: 0, outOfOrder: 0, resets: 0 }, "sequence not tracked");
      }
      assert.equal(datagrams, DATAGRAMS, "every datagram went to exactly one worker");
      const ready = await fetch(`${admin}/readyz`);
      assert.equal(ready.status, 200);

      await waitFor("every file shipped", () => archiveLines(archive).length >= total, 20_000, 200);
      assert.equal(await receiver.stop("SIGTERM", 20_000), 0, "the primary drains its workers and exits 0");
      await suite.stopCollectors();
      const lines = archiveLines(archive);
      assert.equal(lines.length, total);
      assert.equal(checksum(lines), checksum(expectedLines(0, DATAGRAMS)));
    } finally {
      await receiver.stop("SIGKILL");
    }
  });

  it("fails to start, with the worker's one-line reason, when the shared port is taken", async () => {
    const taken = createSocket("udp4");
    await new Promise<void>((resolve) => taken.bind({ port: 0, address: "127.0.0.1", exclusive: true }, resolve));
    const file = suite.path("taken.yaml");
    const document = scaleCollectorDocument({
      dir: suite.path("t"),
      role: "receiver",
      udpPort: taken.address().port,
      servers: ["nats://127.0.0.1:1"],
      archive: suite.path("archive-t"),
      processes: 2,
    });
    writeFileSync(file, JSON.stringify(document));
    const receiver = startChild(process.execPath, [join(ROOT, "bin/flowlens.js"), "collector", "-c", file], {
      cwd: ROOT,
      env: { ...process.env, FLOWLENS_FROM_SOURCE: "1" },
    });
    try {
      const code = await Promise.race([
        receiver.exited,
        new Promise((r) => setTimeout(() => r("still running"), 40_000)),
      ]);
      assert.equal(code, 1, receiver.stderr);
      assert.match(
        receiver.stderr,
        /^flowlens collector: cannot start: receiver worker [01]: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*\(ERR_SCALE_WORKER\)$/m,
      );
    } finally {
      await receiver.stop("SIGKILL");
      taken.close();
    }
  });
});
