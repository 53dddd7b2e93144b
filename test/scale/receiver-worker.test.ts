/**
 * A receiver worker's configuration: its own `receiver-<index>` spool, disk buffer and transfer-log directories and its
 * admin port, everything else as the shared file says; and the identity is only taken inside a cluster worker.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  RECEIVER_WORKER_ADMIN_ENV,
  RECEIVER_WORKER_ENV,
  receiverWorkerConfig,
  receiverWorkerIdentity,
} from "../../src/scale/receiver-worker.ts";
import { scaleCollectorConfig } from "./scale-fixtures.ts";

const base = (bufferDirectory?: string) => {
  const c = scaleCollectorConfig({
    dir: "/srv/fl",
    role: "receiver",
    udpPort: 2055,
    archive: "/srv/a",
    processes: 3,
    servers: ["nats://127.0.0.1:4222"],
  });
  const scale = c["scale-out"];
  assert.ok(scale !== undefined);
  if (bufferDirectory !== undefined) scale.receiver["buffer-directory"] = bufferDirectory;
  return c;
};

describe("receiver worker configuration", () => {
  it("moves every directory a process owns below receiver-<index> and sets the admin port", () => {
    const c = base("/srv/buffer");
    const w = receiverWorkerConfig(c, { index: 2, adminPort: 8085 });
    assert.equal(w["spool-directory"], "/srv/fl/spool/receiver-2");
    assert.equal(w["transfer-log-archive"].directory, "/srv/fl/log/receiver-2");
    assert.equal(w["scale-out"]?.receiver["buffer-directory"], "/srv/buffer/receiver-2");
    assert.deepEqual(w.admin, { host: "127.0.0.1", port: 8085 });
    assert.deepEqual(w.interfaces, c.interfaces, "the listen addresses are the shared ones");
    assert.equal(c["spool-directory"], "/srv/fl/spool", "the shared configuration is left as it was");
    assert.equal(c["scale-out"]?.receiver["buffer-directory"], "/srv/buffer");
  });

  it("leaves the default disk buffer to follow the worker's spool", () => {
    const w = receiverWorkerConfig(base(), { index: 0, adminPort: 9000 });
    assert.equal(w["scale-out"]?.receiver["buffer-directory"], undefined);
    assert.equal(w["spool-directory"], "/srv/fl/spool/receiver-0");
  });

  it("is no worker outside a node:cluster worker, whatever the environment says", () => {
    assert.equal(
      receiverWorkerIdentity({ [RECEIVER_WORKER_ENV]: "1", [RECEIVER_WORKER_ADMIN_ENV]: "8084" }),
      undefined,
    );
  });
});
