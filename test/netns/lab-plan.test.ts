/**
 * The lab's topology file and address plan, as pure data (no root needed).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  agentConfigYaml,
  DEFAULT_TOPOLOGY,
  LabError,
  loadTopology,
  planLab,
  routerAddresses,
  snmpdConfig,
  validatePrefix,
} from "../../src/netlab/index.ts";
import { loadConfig } from "../../src/runtime/index.ts";
import { agentConfigSchema } from "../../src/agent/config.ts";

describe("lab topology and address plan", () => {
  test("an empty topology file is the default lab", () => {
    assert.deepEqual(loadTopology({ text: "" }), DEFAULT_TOPOLOGY);
    assert.deepEqual(loadTopology({ text: "spines: 4\n" }), { ...DEFAULT_TOPOLOGY, spines: 4 });
  });

  test("bad topologies fail with ERR_LAB_TOPOLOGY and a one-line path: message", () => {
    for (const text of [
      "spine: 2\n",
      "leaves: 0\n",
      "leaves: 20\nspines: 20\n",
      "vxlan: { vni: 0 }\n",
      "leaves: [\n",
    ]) {
      assert.throws(
        () => loadTopology({ file: "t.yaml", text }),
        (e: unknown) => e instanceof LabError && e.code === "ERR_LAB_TOPOLOGY" && !e.message.includes("\n"),
        text,
      );
    }
  });

  test("lab names are checked", () => {
    assert.equal(validatePrefix("fllab"), "fllab");
    for (const bad of ["", "Lab", "1lab", "a-b", "abcdefghijklm"]) {
      assert.throws(
        () => validatePrefix(bad),
        (e: unknown) => e instanceof LabError && e.code === "ERR_LAB_NAME",
      );
    }
  });

  test("the plan follows the documented address plan", () => {
    const plan = planLab("p", { leaves: 2, spines: 3, hostsPerLeaf: 2, vxlan: { vni: 7, port: 4789 } });
    const names = plan.nodes.map((n) => n.name);
    assert.deepEqual(names, ["h1", "h2", "h3", "h4", "leaf1", "leaf2", "spine1", "spine2", "spine3"]);
    assert.equal(plan.links.length, 4 + 6);
    const node = (name: string) => plan.nodes.find((n) => n.name === name)!;
    assert.equal(node("h3").address, "10.1.2.11");
    assert.equal(node("h3").namespace, "p-h3");
    assert.ok(node("leaf2").ipBatch.includes("addr add 10.0.3.0/31 dev spine1"));
    assert.ok(node("spine1").ipBatch.includes("addr add 10.0.3.1/31 dev leaf2"));
    assert.ok(
      node("leaf1").ipBatch.includes(
        "route add 10.1.2.0/24 nexthop via 10.0.0.1 dev spine1 nexthop via 10.0.1.1 dev spine2 nexthop via 10.0.2.1 dev spine3",
      ),
    );
    assert.ok(node("h1").ipBatch.some((l) => l.startsWith("link add vxlan0 type vxlan id 7 local 10.1.1.11")));
    assert.equal(node("h1").bridgeBatch.length, 3);
    const noVxlan = planLab("p", { ...DEFAULT_TOPOLOGY, vxlan: false });
    assert.ok(noVxlan.nodes.every((n) => n.bridgeBatch.length === 0 && !n.ipBatch.some((l) => l.includes("vxlan"))));
  });

  test("the analyzer host an1 hangs off leaf1's bridge at 10.1.1.250 when asked for, and only then", () => {
    assert.ok(!planLab("p", DEFAULT_TOPOLOGY).nodes.some((n) => n.role === "analyzer"));
    const plan = planLab("p", DEFAULT_TOPOLOGY, { analyzer: true });
    const an1 = plan.nodes.find((n) => n.name === "an1")!;
    assert.equal(an1.role, "analyzer");
    assert.equal(an1.namespace, "p-an1");
    assert.equal(an1.address, "10.1.1.250");
    assert.ok(an1.ipBatch.includes("addr add 10.1.1.250/24 dev eth0"));
    assert.ok(an1.ipBatch.includes("route add default via 10.1.1.1"));
    assert.ok(plan.links.some((l) => l.a.node === "leaf1" && l.a.ifname === "an1" && l.b.node === "an1"));
    assert.ok(plan.nodes.find((n) => n.name === "leaf1")!.ipBatch.includes("link set an1 master br-hosts"));
  });

  test("router services: snmpd.conf per router and an agent configuration the agent's schema accepts", () => {
    const plan = planLab("p", DEFAULT_TOPOLOGY);
    const leaf1 = plan.nodes.find((n) => n.name === "leaf1")!;
    assert.deepEqual(routerAddresses(leaf1), ["10.255.1.1", "10.1.1.1", "10.0.0.0", "10.0.1.0"]);
    const conf = snmpdConfig("p", leaf1, { auth: "authpass123", priv: "privpass123" });
    assert.match(conf, /^sysName leaf1$/m);
    assert.match(conf, /^rocommunity flowlens-lab default$/m);
    assert.match(conf, /^createUser flowlens SHA "authpass123" AES "privpass123"$/m);
    assert.match(conf, /^engineID p-leaf1$/m);
    const routers = plan.nodes.filter((n) => n.role === "leaf" || n.role === "spine");
    const dir = mkdtempSync(join(tmpdir(), "flowlens-lab-plan-"));
    try {
      const token = join(dir, "hopd.token");
      const community = join(dir, "community");
      writeFileSync(token, "t0ken\n");
      writeFileSync(community, "flowlens-lab\n");
      const config = loadConfig({
        schema: agentConfigSchema,
        text: agentConfigYaml(routers, { hopdToken: token, community }),
        env: {},
      });
      assert.equal(config.network, "raw");
      assert.equal(config.telemetry.routers.length, 4);
      const spine2 = config.telemetry.routers[3]!;
      assert.deepEqual(spine2.match, ["10.255.2.2", "10.0.1.1", "10.0.3.1"]);
      assert.equal(spine2.hopd?.url, "http://10.255.2.2:9090");
      assert.equal(spine2.snmp?.host, "10.255.2.2");
      const none = loadConfig({ schema: agentConfigSchema, text: agentConfigYaml(routers, {}), env: {} }).telemetry;
      assert.equal(none.routers.length, 4);
      assert.ok(none.routers.every((r) => r.hopd === undefined && r.snmp === undefined));
      assert.deepEqual(
        loadConfig({ schema: agentConfigSchema, text: agentConfigYaml([], {}), env: {} }).telemetry.routers,
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
