import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { createSimFabric, parseSimTopology, SimConfigError } from "../../src/sim/index.ts";
import { fakeClock, quietTopology } from "./fixtures.ts";

const YAML = `
devices:
  - { name: leaf1, serial: TA0000000001, timestamp-type: PTP }
  - { name: leaf2, serial: TA0000000002 }
  - { name: spine1, serial: TB0000000001, role: spine }
links:
  - a: { device: leaf1, interface: xe-0/0/1.0, address: 172.16.0.0 }
    b: { device: spine1, interface: xe-0/0/1.0, address: 172.16.0.1 }
  - a: { device: leaf2, interface: xe-0/0/1.0, address: 172.16.0.2 }
    b: { device: spine1, interface: xe-0/0/2.0, address: 172.16.0.3 }
hosts:
  - address: 10.0.1.1
    attach: { device: leaf1, interface: ge-0/0/0.0, gateway: 10.0.1.254 }
  - address: 10.0.2.1
    attach: { device: leaf2, interface: ge-0/0/0.0, gateway: 10.0.2.254 }
flows:
  - { src: 10.0.1.1, dst: 10.0.2.1, proto: tcp, sport: 1234, dport: 80, pps: 50 }
`;

function issues(input: unknown): string[] {
  try {
    parseSimTopology(input);
  } catch (e) {
    assert.ok(e instanceof SimConfigError);
    assert.equal(e.code, "ERR_SIM_CONFIG");
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("expected a SimConfigError");
}

describe("topology configuration", () => {
  it("accepts a YAML document and fills in defaults", () => {
    const topo = parseSimTopology(parse(YAML));
    assert.equal(topo.devices[0]!["timestamp-type"], "PTP");
    assert.equal(topo.devices[1]!["timestamp-type"], "LCPU");
    assert.equal(topo.links[0]!["latency-us"], 5);
    assert.equal(topo.links[0]!.background.pps, 20_000);
    assert.equal(topo.flows[0]!.bytes, 800);
    const fabric = createSimFabric({ topology: parse(YAML), now: fakeClock().now });
    assert.deepEqual(
      fabric.route(topo.flows[0]!).hops.map((h) => h.device),
      ["leaf1", "spine1", "leaf2"],
    );
  });

  it("rejects unknown keys and bad values with their paths", () => {
    const doc = parse(YAML);
    doc.devices[0].colour = "blue";
    doc.hosts[0].address = "10.0.1";
    doc.links[0].a.interface = "eth0";
    const found = issues(doc);
    assert.ok(
      found.some((i) => i.startsWith("devices.0: ") && i.includes("colour")),
      found.join("\n"),
    );
    assert.ok(
      found.some((i) => i.startsWith("hosts.0.address: ")),
      found.join("\n"),
    );
    assert.ok(
      found.some((i) => i.startsWith("links.0.a.interface: ")),
      found.join("\n"),
    );
  });

  it("rejects dangling references and duplicates", () => {
    const topo = quietTopology();
    topo.links[0]!.b.device = "spine-9";
    topo.links[2]!.a.address = "172.31.0.0";
    topo.hosts[1]!.attach.interface = "xe-0/0/1.0";
    topo.devices.push({ name: "leaf-a", serial: "X" });
    topo.flows = [
      { src: "10.0.1.1", dst: "10.7.7.7", sport: 1, dport: 2 },
      { src: "10.0.1.1", dst: "10.0.2.1", sport: 1, dport: 2, overlay: ov() },
      { src: "10.0.1.1", dst: "10.0.2.1", sport: 1, dport: 2, "start-s": 5, "end-s": 1 },
    ];
    assert.deepEqual(issues(topo).sort(), [
      "devices.4.name: duplicate device name leaf-a",
      "flows.0.dst: 10.7.7.7 is not a host",
      "flows.1.dport: an overlay flow's outer tuple is udp to port 4789",
      "flows.2.end-s: end-s is before start-s",
      "hosts.1.attach.interface: interface xe-0/0/1.0 of leaf-b is already in use",
      "links.0.b.device: unknown device spine-9",
      "links.2.a.address: address 172.31.0.0 is already used by links.0.a.address",
    ]);
  });

  it("needs at least one device and one host", () => {
    assert.ok(issues({ devices: [], hosts: [] }).length >= 2);
    assert.deepEqual(
      issues(null).map((i) => i.split(":")[0]),
      ["(root)"],
    );
  });
});

function ov() {
  return {
    vnid: 1,
    appsrc: "10.9.0.1",
    appdst: "10.9.0.2",
    appsmac: "02:00:00:00:00:01",
    appdmac: "02:00:00:00:00:02",
    sport: 1,
    dport: 2,
  };
}
