/**
 * The agent's optional TLS: with `tls.cert-file` and `tls.key-file` the CA API is served over HTTPS only; a client that
 * trusts the certificate gets real answers, a plain-HTTP client gets none.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { startSimulatedAgent } from "../../src/cli/daemon/sim-agent.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { needsProgram } from "../helpers/requirements.ts";

function httpsJson(url: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on("error", reject);
  });
}

describe("agent over HTTPS", { skip: needsProgram("openssl") }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-tls-"));
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the CA API with the configured certificate and refuses plain HTTP", async () => {
    const config = agentConfigSchema.parse({
      http: { port: 0 },
      tls: { "cert-file": join(dir, "cert.pem"), "key-file": join(dir, "key.pem") },
    });
    const agent = await startSimulatedAgent(config, {
      logger: createLogger({ level: "silent" }),
      metrics: new Metrics({ defaultMetrics: false }),
    });
    try {
      assert.match(agent.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(join(dir, "cert.pem"), "utf8");
      const start = await httpsJson(
        `${agent.url}/start/flow?dport=9000&src=10.1.1.1&dst=10.1.7.1&sport=4567&proto=tcp`,
        ca,
      );
      assert.deepEqual(start, { status: 200, body: { rc: 0, code: "EOK" } });
      const version = await httpsJson(`${agent.url}/version`, ca);
      assert.equal((version.body as { simulated: boolean }).simulated, true);
      await assert.rejects(fetch(agent.url.replace("https:", "http:") + "/version"));
    } finally {
      await agent.stop();
    }
  });
});
