/**
 * Scale-out configuration stays compatible: the embedded default and configurations without `scale-out` are the single
 * process; the section's defaults, and refusals as `path: message` lines (collector, agent, subscriber).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { collectorConfigSchema } from "../../src/collector/config.ts";
import { defaultCollectorConfigText } from "../../src/collector/default-config.ts";
import { createScaleRole } from "../../src/collector/scale-role.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { subscriberConfigSchema } from "../../src/scale/subscriber-server.ts";
import { quietLogger } from "./scale-fixtures.ts";

const MINIMAL = `interfaces:
  cp-0/0/0:
    listen: ["127.0.0.1:0"]
    analyzer-address: 127.0.0.1
    analyzer-id: x
    inputs: { all: { exporter: any } }
    export-channels: { "0": { primary: { url: "file:///tmp/x/" } } }
`;

const load = (text: string) => loadConfig({ schema: collectorConfigSchema, text, file: "collector.yaml", env: {} });

describe("scale-out configuration", () => {
  it("the embedded default and a configuration without the section are the single process", () => {
    const def = loadConfig({ schema: collectorConfigSchema, text: defaultCollectorConfigText("/tmp/fl"), env: {} });
    assert.equal(def["scale-out"], undefined);
    const role = createScaleRole(def, quietLogger(), Date.now);
    assert.deepEqual(role.status(), { role: "all", connected: false });
    assert.equal(role.receiverFor("cp-0/0/0"), undefined);
    assert.equal(load(MINIMAL)["scale-out"], undefined);
  });

  it("fills the section's defaults", () => {
    const c = load(`${MINIMAL}scale-out: {}\n`)["scale-out"];
    assert.equal(c?.role, "all");
    assert.deepEqual(c?.nats.servers, ["nats://127.0.0.1:4222"]);
    assert.equal(c?.stream.name, "FLOWLENS_RECORDS");
    assert.equal(c?.stream["duplicate-window"], 120_000);
    assert.equal(c?.receiver["buffer-limit"], 1024 ** 3);
    assert.equal(c?.writer["ack-wait"], 30_000);
    assert.equal(c?.processes, 1);
  });

  it("takes receiver processes only with role receiver", () => {
    assert.equal(load(`${MINIMAL}scale-out: { role: receiver, processes: 4 }\n`)["scale-out"]?.processes, 4);
    const refused = (section: string, line: RegExp) =>
      assert.throws(
        () => load(`${MINIMAL}scale-out: ${section}\n`),
        (e: Error) => line.test(e.message),
      );
    refused("{ role: writer, processes: 2 }", /^scale-out\.processes: more than one process only with role receiver/m);
    refused(
      "{ processes: 2 }",
      /^scale-out\.processes: more than one process only with role receiver \(role is all\)$/m,
    );
    refused("{ role: receiver, processes: 0 }", /^scale-out\.processes: /m);
    refused("{ role: receiver, processes: 65 }", /^scale-out\.processes: /m);
  });

  it("refuses bad values and unknown keys with path: message lines", () => {
    const refused = (section: string, line: RegExp) =>
      assert.throws(
        () => load(`${MINIMAL}scale-out: ${section}\n`),
        (e: Error) => line.test(e.message),
      );
    refused("{ role: both }", /^scale-out\.role: expected one of "all", "receiver", "writer"$/m);
    refused(
      '{ nats: { servers: ["nats://u:p@h:4222"] } }',
      /^scale-out\.nats\.servers\[0\]: expected nats:\/\/host:port/m,
    );
    refused("{ extra: 1 }", /^scale-out\.extra: unknown key$/m);
    refused("{ receiver: { buffer-limit: 10 } }", /^scale-out\.receiver\.buffer-limit: /m);
  });

  it("agent and subscriber sections", () => {
    const a = agentConfigSchema.parse({ "scale-out": { "agent-name": "host-a" } });
    assert.equal(a["scale-out"]?.["agent-name"], "host-a");
    assert.equal(a["scale-out"]?.stream.name, "FLOWLENS_PATHS");
    assert.equal(agentConfigSchema.parse({})["scale-out"], undefined);
    assert.equal(agentConfigSchema.safeParse({ "scale-out": { publish: true } }).success, false);
    const s = subscriberConfigSchema.parse({});
    assert.equal(s.http.port, 8090);
    assert.equal(s.stream.name, "FLOWLENS_PATHS");
  });
});
