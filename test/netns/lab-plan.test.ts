/**
 * The lab's topology file and address plan, as pure data (no root needed).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_TOPOLOGY, LabError, loadTopology, planLab, validatePrefix } from "../../src/netlab/index.ts";

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
});
