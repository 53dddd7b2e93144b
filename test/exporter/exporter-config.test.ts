import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import YAML from "yaml";
import {
  AGGREGATION_NEEDS_V8,
  CFLOWD_WITH_PORT_MIRRORING,
  exporterConfigSchema,
  LIVE_CAPTURE_UNAVAILABLE,
} from "../../src/exporter/config.ts";
import { localDumpPathOf, schemesOf } from "../../src/exporter/exporter-setup.ts";
import { checkConfig, dumpConfig, loadConfig } from "../../src/runtime/config.ts";
import { ConfigError } from "../../src/runtime/errors.ts";

const load = (text: string) => loadConfig({ schema: exporterConfigSchema, text, env: {} });

/** The `path: message` issues of a refused configuration. */
function refusal(text: string): string[] {
  try {
    load(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("the configuration was accepted");
}

const EXAMPLE = `
log-level: warn
input:
  rate: 100
  run-length: 2
  max-packets-per-second: 5000
  snmp-ifindex: { ge-0/0/0: 5, ge-0/0/1: 3 }
  pcap:
    - { file: /var/lib/flowlens/trace.pcap, pace: recorded, input-interface: ge-0/0/0, output-interface: ge-0/0/1 }
    - { file: /var/lib/flowlens/two.pcapng, input-interface: [ge-0/0/0, 7] }
output:
  period: 60s
  cflowd:
    - { host: 192.0.2.10, port: 2055, version: 5, source-address: 192.0.2.1, local-dump: true }
    - host: collector.example.net
      port: 2056
      version: 8
      autonomous-system-type: peer
      engine-type: 3
      engine-id: 1
      aggregation:
        autonomous-system: true
        protocol-port: true
        source-destination-prefix: { caida-compliant: true }
flow-cache: { max-flows: 100000, flow-active-timeout: 10m, flow-inactive-timeout: 15s }
route-record: { file: /var/lib/flowlens/rib.mrt.gz }
traceoptions: { directory: /var/log/flowlens }
admin: { port: 9083 }
`;

describe("exporter configuration", () => {
  it("accepts the documented example and applies the defaults", () => {
    const c = load(EXAMPLE);
    assert.equal(c.input.rate, 100);
    assert.equal(c.input.pcap[0].pace, "recorded");
    assert.equal(c.input.pcap[1].pace, "as-fast-as-possible");
    assert.equal(c.output.period, 60_000);
    assert.equal(c.output.cflowd[0]["autonomous-system-type"], "origin");
    assert.equal(c.output.cflowd[1]["engine-type"], 3);
    assert.equal(c["flow-cache"]["flow-inactive-timeout"], 15_000);
    assert.equal(c["flow-cache"]["tcp-close-timeout"], 5000);
    assert.equal(c["route-record"]?.format, "auto");
    assert.deepEqual(c.admin, { host: "127.0.0.1", port: 9083 });
    assert.equal(localDumpPathOf(c), "/var/log/flowlens/sampled");
    assert.deepEqual(schemesOf(c.output.cflowd[1]), { schemes: [1, 2, 5], caidaCompliant: true });
  });

  it("accepts the example of docs/exporter.md", () => {
    const doc = readFileSync(new URL("../../docs/exporter.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## Configuration"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(yaml !== undefined);
    const c = load(yaml);
    assert.equal(c.output.cflowd.length, 2);
    assert.deepEqual(schemesOf(c.output.cflowd[1]), { schemes: [1, 2, 3, 4, 5], caidaCompliant: true });
    assert.equal(c.input.pcap[0]["input-interface"], "ge-0/0/0");
  });

  it("defaults: Junos sampling figures, one-minute period, admin on 127.0.0.1:8083, dump in var/log/sampled", () => {
    const c = load("");
    assert.equal(c.input.rate, 1);
    assert.equal(c.input["max-packets-per-second"], 1000);
    assert.equal(c.output.period, 60_000);
    assert.deepEqual(c.output.cflowd, []);
    assert.deepEqual(c.admin, { host: "127.0.0.1", port: 8083 });
    assert.equal(localDumpPathOf(c), "var/log/sampled");
    assert.equal(localDumpPathOf(load("traceoptions: { file: /tmp/dump }")), "/tmp/dump");
  });

  it("refuses aggregation on a version 5 host with the spec's reason", () => {
    const issues = refusal(
      "output: { cflowd: [{ host: 127.0.0.1, port: 2055, aggregation: { protocol-port: true } }] }",
    );
    assert.deepEqual(issues, [`output.cflowd[0].aggregation: ${AGGREGATION_NEEDS_V8}`]);
    assert.equal(AGGREGATION_NEEDS_V8, "Aggregation is valid only if cflowd version 8 is specified");
  });

  it("refuses protocol-port without the host's port, and any host without a port", () => {
    assert.deepEqual(
      refusal("output: { cflowd: [{ host: 127.0.0.1, version: 8, aggregation: { protocol-port: true } }] }"),
      ["output.cflowd[0].port: protocol-port aggregation requires setting the separate cflowd port statement"],
    );
    assert.deepEqual(refusal("output: { cflowd: [{ host: 127.0.0.1 }] }"), [
      "output.cflowd[0].port: missing: you must include the UDP port number on the cflowd host",
    ]);
  });

  it("refuses cflowd hosts together with port mirroring with the spec's reason", () => {
    const text = `output: { cflowd: [{ host: 127.0.0.1, port: 2055 }] }
port-mirroring: { input: { rate: 1 }, output: { interface: ge-0/0/2, next-hop: 192.0.2.9 } }`;
    assert.deepEqual(refusal(text), [`port-mirroring: ${CFLOWD_WITH_PORT_MIRRORING}`]);
    assert.equal(
      CFLOWD_WITH_PORT_MIRRORING,
      "You cannot specify both host (cflowd) sampling and port mirroring in the same configuration",
    );
    // Port mirroring alone is a valid configuration.
    assert.equal(load("port-mirroring: { output: { interface: ge-0/0/2 } }")["port-mirroring"]?.input.rate, 1);
  });

  it("accepts live capture interfaces (tcpdump), checking their interface names", () => {
    const c = load("input: { interfaces: [eth0, { name: eth1, filter: udp, snaplen: 128 }], simulation: true }");
    assert.deepEqual(c.input.interfaces, ["eth0", { name: "eth1", filter: "udp", snaplen: 128 }]);
    assert.equal(c.input.simulation, true);
    assert.deepEqual(refusal("input: { interfaces: [{ name: eth0, input-interface: ge-9 }] }"), [
      'input.interfaces[0].input-interface: interface "ge-9" is not in input.snmp-ifindex',
    ]);
    assert.match(LIVE_CAPTURE_UNAVAILABLE, /tcpdump/);
  });

  it("refuses version 8 without aggregation, unknown interfaces, duplicates, bad values and unknown keys", () => {
    const issues = refusal(`
input:
  rate: 0
  pcap: [{ file: a.pcap, input-interface: [ge-0/0/9], output-interface: xe-1/0/0 }]
output:
  period: 10ms
  cflowd:
    - { host: 127.0.0.1, port: 2055, version: 8 }
    - { host: 127.0.0.1, port: 2055, version: 7, source-address: "::1", colour: red }
    - { host: 127.0.0.1, port: 2056, version: 8, aggregation: { source-prefix: true, as: true } }
`);
    assert.deepEqual(issues.sort(), [
      "input.rate: value must be at least 1",
      "output.cflowd[1].colour: unknown key",
      "output.cflowd[1].source-address: expected an IPv4 address",
      "output.cflowd[1].version: does not match any of the allowed forms",
      "output.cflowd[2].aggregation.as: unknown key",
      'output.period: duration "10ms" must be at least 100ms',
    ]);
    const second = refusal(`
input:
  pcap: [{ file: a.pcap, input-interface: [ge-0/0/9], output-interface: xe-1/0/0 }]
output:
  cflowd:
    - { host: 127.0.0.1, port: 2055, version: 8 }
    - { host: 127.0.0.1, port: 2055 }
`);
    assert.deepEqual(second.sort(), [
      'input.pcap[0].input-interface[0]: interface "ge-0/0/9" is not in input.snmp-ifindex',
      'input.pcap[0].output-interface: interface "xe-1/0/0" is not in input.snmp-ifindex',
      "output.cflowd[0].aggregation: version 8 exports aggregates: configure at least one aggregation type",
      "output.cflowd[1]: sends to the same host and port as output.cflowd[0]",
    ]);
  });

  it("--check and --dump", () => {
    const ok = checkConfig({ schema: exporterConfigSchema, text: EXAMPLE, env: {} });
    assert.deepEqual(ok, { exitCode: 0, text: "configuration OK\n", stream: "stdout" });
    const dumped = dumpConfig({ schema: exporterConfigSchema, text: EXAMPLE, env: {} });
    assert.equal(dumped.exitCode, 0);
    const doc = YAML.parse(dumped.text);
    assert.equal(doc.output.period, "1m");
    assert.equal(doc["flow-cache"]["flow-active-timeout"], "10m");
    // The dump loads back to the same configuration.
    assert.deepEqual(load(dumped.text), load(EXAMPLE));
    const bad = checkConfig({ schema: exporterConfigSchema, text: "input: { interfaces: [{ snaplen: 1 }] }", env: {} });
    assert.equal(bad.exitCode, 1);
    assert.match(bad.text, /^input\.interfaces\[0\]/);
  });

  it("takes environment overrides", () => {
    const c = loadConfig({
      schema: exporterConfigSchema,
      text: EXAMPLE,
      env: { FLOWLENS_INPUT_RATE: "10", FLOWLENS_OUTPUT_PERIOD: "5s" },
    });
    assert.equal(c.input.rate, 10);
    assert.equal(c.output.period, 5000);
  });
});
