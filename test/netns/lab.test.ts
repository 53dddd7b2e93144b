/**
 * The network-namespace lab for real: the default leaf-spine lab forwards, balances UDP 5-tuples over both spines,
 * answers a TTL-limited probe from the leaf's ingress address, and leaves nothing behind after `down`; a YAML topology
 * with three spines does the same over three paths. Root only (gated); every namespace is removed in `after`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { LabError, labDown, labUp, loadTopology, type LabState } from "../../src/netlab/index.ts";
import {
  destroyLab,
  inNs,
  isolateState,
  LAB_SKIP,
  labNamespaces,
  nexthops,
  probe,
  routeGetDevice,
  sysctl,
  uniquePrefix,
} from "./lab-fixture.ts";

const BIN = fileURLToPath(new URL("../../bin/flowlens.js", import.meta.url));

/** The devices leaf `ns` picks for 64 UDP source ports from `src` (arriving on br-hosts) to `dst`. */
function devicesUsed(ns: string, src: string, dst: string): Set<string> {
  const seen = new Set<string>();
  for (let sport = 40000; sport < 40064; sport++) seen.add(routeGetDevice(ns, dst, src, "br-hosts", sport, 33434));
  return seen;
}

describe("default lab (h1, h2, leaf1, leaf2, spine1, spine2)", { skip: LAB_SKIP }, () => {
  const prefix = uniquePrefix("d");
  const ns = (node: string) => `${prefix}-${node}`;
  let restoreState = () => {};
  let state: LabState;

  before(() => {
    restoreState = isolateState();
    state = labUp({ prefix });
  });
  after(() => {
    destroyLab(prefix);
    restoreState();
  });

  test("up records six nodes in their own namespaces", () => {
    assert.deepEqual(state.nodes.map((n) => n.name).sort(), ["h1", "h2", "leaf1", "leaf2", "spine1", "spine2"]);
    assert.deepEqual(labNamespaces(prefix).sort(), state.namespaces.slice().sort());
  });

  test("a second up of the same lab is refused and changes nothing", () => {
    assert.throws(
      () => labUp({ prefix }),
      (e: unknown) => e instanceof LabError && e.code === "ERR_LAB_EXISTS",
    );
    assert.equal(labNamespaces(prefix).length, 6);
  });

  test("every veth is up at both ends when up returns (no first packet is lost to a link coming up)", () => {
    let veths = 0;
    for (const n of state.namespaces) {
      const links = JSON.parse(inNs(n, ["ip", "-d", "-j", "link", "show"]).stdout) as {
        ifname: string;
        operstate: string;
        linkinfo?: { info_kind?: string };
      }[];
      for (const l of links.filter((x) => x.linkinfo?.info_kind === "veth")) {
        veths++;
        assert.equal(l.operstate, "UP", `${n}/${l.ifname}`);
      }
    }
    assert.equal(veths, 2 * (2 + 4), "two host links and four leaf-spine links, two ends each");
    assert.deepEqual(
      state.warnings.filter((w) => w.startsWith("links not up")),
      [],
    );
  });

  test("h1 pings h2 across the fabric, and over the VXLAN overlay", () => {
    assert.equal(probe(ns("h1"), ["echo", "10.1.2.11"]), "echo-reply 10.1.2.11");
    assert.equal(probe(ns("h1"), ["echo", "10.2.0.2"]), "echo-reply 10.2.0.2");
  });

  test("each leaf has a two-nexthop ECMP route to the other leaf's hosts", () => {
    assert.deepEqual(nexthops(ns("leaf1"), "10.1.2.0/24").sort(), ["10.0.0.1", "10.0.1.1"]);
    assert.deepEqual(nexthops(ns("leaf2"), "10.1.1.0/24").sort(), ["10.0.2.1", "10.0.3.1"]);
  });

  test("routers have forwarding, the 5-tuple hash and the ICMP sysctls", () => {
    for (const router of ["leaf1", "leaf2", "spine1", "spine2"]) {
      assert.equal(sysctl(ns(router), "net.ipv4.ip_forward"), "1", router);
      assert.equal(sysctl(ns(router), "net.ipv4.fib_multipath_hash_policy"), state.warnings.length ? "1" : "3", router);
      if (state.warnings.length === 0) assert.equal(sysctl(ns(router), "net.ipv4.fib_multipath_hash_fields"), "55");
      assert.equal(sysctl(ns(router), "net.ipv4.icmp_errors_use_inbound_ifaddr"), "1", router);
      assert.equal(sysctl(ns(router), "net.ipv4.icmp_ratelimit"), "0", router);
      assert.equal(sysctl(ns(router), "net.ipv4.icmp_msgs_per_sec"), "1000000", router);
    }
    assert.match(inNs(ns("leaf1"), ["ip", "addr", "show", "dev", "lo"]).stdout, /10\.255\.1\.1\/32/);
  });

  test("a TTL 1 UDP probe from h1 gets Time Exceeded from leaf1's ingress address; TTL 2 from a spine", () => {
    assert.equal(probe(ns("h1"), ["udp", "10.1.2.11", 1, 41000, 33434]), "11 0 10.1.1.1");
    assert.match(probe(ns("h1"), ["udp", "10.1.2.11", 2, 41000, 33434]), /^11 0 10\.0\.[01]\.1$/);
    assert.equal(probe(ns("h1"), ["udp", "10.1.2.11", 8, 41000, 33434]), "3 3 10.1.2.11");
  });

  test("different UDP 5-tuples take both spines", () => {
    assert.deepEqual([...devicesUsed(ns("leaf1"), "10.1.1.11", "10.1.2.11")].sort(), ["spine1", "spine2"]);
  });

  test("the CLI shows the lab and runs commands in a node", () => {
    const env = { ...process.env, FLOWLENS_FROM_SOURCE: "1" };
    const show = spawnSync(process.execPath, [BIN, "lab", "show", "--json", "--name", prefix], {
      encoding: "utf8",
      env,
    });
    assert.equal(show.status, 0, show.stderr);
    const nodes = JSON.parse(show.stdout) as { name: string; interfaces: { name: string; addresses: string[] }[] }[];
    const h1 = nodes.find((n) => n.name === "h1");
    assert.deepEqual(h1?.interfaces.find((i) => i.name === "eth0")?.addresses, ["10.1.1.11/24"]);
    const exec = spawnSync(process.execPath, [BIN, "lab", "exec", "--name", prefix, "h2", "--", "sh", "-c", "exit 7"], {
      encoding: "utf8",
      env,
    });
    assert.equal(exec.status, 7, exec.stderr);
  });

  test("down removes every namespace", () => {
    assert.equal(labDown(prefix).length, 6);
    assert.deepEqual(labNamespaces(prefix), []);
  });
});

describe("YAML topology with three spines and two hosts per leaf", { skip: LAB_SKIP }, () => {
  const prefix = uniquePrefix("y");
  const ns = (node: string) => `${prefix}-${node}`;
  let restoreState = () => {};

  before(() => {
    restoreState = isolateState();
    const topology = loadTopology({ text: "leaves: 2\nspines: 3\nhostsPerLeaf: 2\nvxlan:\n  vni: 5001\n" });
    labUp({ prefix, topology });
  });
  after(() => {
    destroyLab(prefix);
    restoreState();
  });

  test("leaf1 has a three-nexthop route to leaf2's hosts and uses all three spines", () => {
    assert.deepEqual(nexthops(ns("leaf1"), "10.1.2.0/24").sort(), ["10.0.0.1", "10.0.1.1", "10.0.2.1"]);
    assert.deepEqual([...devicesUsed(ns("leaf1"), "10.1.1.12", "10.1.2.11")].sort(), ["spine1", "spine2", "spine3"]);
  });

  test("hosts reach each other on the same leaf, across the fabric and over VNI 5001", () => {
    assert.equal(probe(ns("h1"), ["echo", "10.1.1.12"]), "echo-reply 10.1.1.12");
    assert.equal(probe(ns("h2"), ["echo", "10.1.2.12"]), "echo-reply 10.1.2.12");
    assert.equal(probe(ns("h1"), ["echo", "10.2.0.4"]), "echo-reply 10.2.0.4");
    assert.match(inNs(ns("h3"), ["ip", "-d", "link", "show", "vxlan0"]).stdout, /vxlan id 5001/);
  });

  test("down leaves no namespace behind", () => {
    labDown(prefix);
    assert.deepEqual(labNamespaces(prefix), []);
  });
});
