/**
 * The SNMP provider against real snmpd in the lab's router namespaces (`lab up` with snmpd): sysName, interface names
 * and counters against the kernel's own (`ip -j link`, /sys/class/net/IF/statistics), the ingress interface of every
 * router address (ipAddressIfIndex), the route table's next hops against `ip route`, and the ECMP member inferred for
 * a flow against the kernel's route lookup. Also: v3 with authentication and privacy, the analyzer host, and `lab
 * down` stopping the services by PID. Root only (gated).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  LAB_SNMP_COMMUNITY,
  LAB_SNMP_USER,
  type LabState,
  labDown,
  labUp,
  processRunning,
} from "../../src/netlab/index.ts";
import { hasProgram, requirement } from "../helpers/requirements.ts";
import {
  destroyLab,
  inNs,
  isolateState,
  LAB_SKIP,
  nexthops,
  probe,
  routeGetGateway,
  uniquePrefix,
} from "./lab-fixture.ts";

const SKIP = LAB_SKIP || requirement(hasProgram("snmpd"), "snmpd not installed (apt-get install snmpd)");
const QUERY = fileURLToPath(new URL("./snmp-lab-query.ts", import.meta.url));
const V2 = { version: "2c", community: LAB_SNMP_COMMUNITY } as const;

/** Runs provider ops from inside namespace `ns` (see snmp-lab-query.ts). */
function query(ns: string, ops: readonly object[]): Record<string, unknown>[] {
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", QUERY, JSON.stringify(ops)], {
    encoding: "utf8",
    timeout: 40_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

interface Counters {
  rxPkts: number;
  txPkts: number;
  rxBytes: number;
  txBytes: number;
}
interface Tables {
  identity: { name: string; serial: string };
  interfaces: { ifIndex: number; name: string; counters: Counters }[];
  addresses: { address: string; ifIndex: number; prefixLength?: number }[];
  routes: { prefix: string; nextHop: string; ifIndex: number }[];
}

function sysStats(ns: string, ifname: string): Counters {
  const read = (f: string) => Number(inNs(ns, ["cat", `/sys/class/net/${ifname}/statistics/${f}`]).stdout);
  return {
    rxPkts: read("rx_packets"),
    txPkts: read("tx_packets"),
    rxBytes: read("rx_bytes"),
    txBytes: read("tx_bytes"),
  };
}

describe("SNMP provider against snmpd in the lab", { skip: SKIP }, () => {
  const prefix = uniquePrefix("s");
  const ns = (node: string) => `${prefix}-${node}`;
  let restoreState = () => {};
  let state: LabState;
  const routers = ["leaf1", "leaf2", "spine1", "spine2"];
  const routerId: Record<string, string> = {
    leaf1: "10.255.1.1",
    leaf2: "10.255.1.2",
    spine1: "10.255.2.1",
    spine2: "10.255.2.2",
  };

  before(() => {
    restoreState = isolateState();
    state = labUp({ prefix, analyzer: true, services: { snmpd: true } });
  });
  after(() => {
    destroyLab(prefix);
    restoreState();
  });

  test("up starts one snmpd per router, bound to the router id, recorded by PID", () => {
    const snmpd = (state.services ?? []).filter((s) => s.kind === "snmpd");
    assert.deepEqual(snmpd.map((s) => s.node).sort(), routers);
    for (const s of snmpd) {
      assert.equal(s.address, routerId[s.node]);
      assert.match(readFileSync(`/proc/${s.pid}/cmdline`, "utf8"), /snmpd/);
      const sockets = inNs(ns(s.node), ["cat", "/proc/net/udp"]).stdout;
      const hex = s.address
        .split(".")
        .reverse()
        .map((b) => Number(b).toString(16).padStart(2, "0"))
        .join("")
        .toUpperCase();
      assert.ok(sockets.includes(`${hex}:00A1`), `${s.node}: nothing on ${s.address}:161`);
    }
    assert.equal(state.warnings.filter((w) => w.includes("snmpd")).length, 0, state.warnings.join("; "));
  });

  test("the analyzer host an1 is on leaf1's host subnet and reachable across the fabric", () => {
    assert.ok(state.nodes.some((n) => n.name === "an1" && n.role === "analyzer" && n.address === "10.1.1.250"));
    assert.equal(probe(ns("h2"), ["echo", "10.1.1.250"]), "echo-reply 10.1.1.250");
  });

  test("sysName, interface names and counters match the kernel of every router", () => {
    const answers = query(
      ns("h1"),
      routers.map((r) => ({ op: "tables", host: routerId[r], credentials: V2 })),
    ) as unknown as Tables[];
    routers.forEach((r, i) => {
      const t = answers[i]!;
      assert.equal(t.identity.name, r);
      assert.match(t.identity.serial, /^engine:[0-9a-f]+$/);
      const links = JSON.parse(inNs(ns(r), ["ip", "-j", "link", "show"]).stdout) as { ifname: string }[];
      assert.deepEqual(t.interfaces.map((x) => x.name).sort(), links.map((l) => l.ifname).sort());
    });
    // Counters of leaf2's spine-facing interfaces bracketed by /sys reads. snmpd serves ifTable/ifXTable from a cache
    // it reloads at most every 3 s, so the first read is made more than 3 s before the query: snmpd's snapshot is
    // then taken after it.
    const beforeSys = Object.fromEntries(["spine1", "spine2"].map((i) => [i, sysStats(ns("leaf2"), i)]));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3500);
    const [t] = query(ns("h1"), [{ op: "tables", host: routerId.leaf2, credentials: V2 }]) as unknown as Tables[];
    const afterSys = Object.fromEntries(["spine1", "spine2"].map((i) => [i, sysStats(ns("leaf2"), i)]));
    for (const ifname of ["spine1", "spine2"]) {
      const snmp = t!.interfaces.find((x) => x.name === ifname)!.counters;
      for (const k of ["rxPkts", "txPkts", "rxBytes", "txBytes"] as const) {
        assert.ok(
          snmp[k] >= beforeSys[ifname]![k] && snmp[k] <= afterSys[ifname]![k],
          `${ifname} ${k}: SNMP ${snmp[k]}, /sys ${beforeSys[ifname]![k]}..${afterSys[ifname]![k]}`,
        );
      }
    }
  });

  test("every router address maps to the interface holding it (ipAddressIfIndex), and the provider reports it as ingress", () => {
    const ops: object[] = [];
    const expected: { router: string; address: string; ifname: string }[] = [];
    for (const r of routers) {
      const links = JSON.parse(inNs(ns(r), ["ip", "-j", "-4", "addr", "show"]).stdout) as {
        ifname: string;
        addr_info: { local: string }[];
      }[];
      for (const l of links) {
        for (const a of l.addr_info) {
          if (a.local.startsWith("127.")) continue;
          expected.push({ router: r, address: a.local, ifname: l.ifname });
          ops.push({ op: "hop", host: routerId[r], credentials: V2, responder: a.local, dst: "10.1.2.11" });
        }
      }
    }
    assert.ok(expected.length >= 12);
    const answers = query(ns("h1"), ops) as unknown as { devName: string; ingress: { name: string }[] }[];
    expected.forEach((e, i) => {
      assert.equal(answers[i]?.devName, e.router, JSON.stringify(answers[i]));
      assert.deepEqual(
        answers[i]?.ingress.map((x) => x.name),
        [e.ifname],
        `${e.router} ${e.address}`,
      );
    });
  });

  test("route table next hops are among the kernel's ECMP next hops (Linux snmpd lists only the first)", () => {
    const [t] = query(ns("h1"), [{ op: "tables", host: routerId.leaf1, credentials: V2 }]) as unknown as Tables[];
    const kernel = nexthops(ns("leaf1"), "10.1.2.0/24");
    assert.equal(kernel.length, 2);
    const listed = t!.routes.filter((r) => r.prefix === "10.1.2.0/24").map((r) => r.nextHop);
    assert.ok(listed.length >= 1 && listed.length <= kernel.length, `listed ${listed}`);
    for (const hop of listed) assert.ok(kernel.includes(hop), `${hop} not in ${kernel}`);
  });

  test("the ECMP member the provider reports for a flow is the one the kernel's route lookup picks", () => {
    const flows = [40000, 40001, 40002, 40003, 40004, 40005].map((sport) => ({
      src: "10.1.1.11",
      dst: "10.1.2.11",
      proto: "udp" as const,
      sport,
      dport: 33434,
    }));
    const gateways = flows.map((f) => routeGetGateway(ns("leaf1"), f, "br-hosts"));
    assert.ok(new Set(gateways).size === 2, `the sample should use both spines: ${gateways}`);
    const answers = query(
      ns("h1"),
      gateways.map((g) => ({
        op: "hop",
        host: routerId.leaf1,
        credentials: V2,
        responder: "10.1.1.1",
        nextResponder: g,
        dst: "10.1.2.11",
      })),
    ) as unknown as { egress: { chosen?: string; members: { name: string }[] } }[];
    gateways.forEach((g, i) => {
      const dev = g === "10.0.0.1" ? "spine1" : "spine2";
      assert.equal(answers[i]?.egress.chosen, dev);
      assert.ok(answers[i]?.egress.members.some((m) => m.name === dev));
    });
  });

  test("SNMPv3 with authentication and privacy works with the lab's user; wrong keys fail with ERR_SNMP_REQUEST", () => {
    const files = state.serviceFiles!;
    const auth = readFileSync(files.snmpAuthKey!, "utf8").trim();
    const priv = readFileSync(files.snmpPrivKey!, "utf8").trim();
    const v3 = (a: string) => ({
      version: "3",
      user: { name: LAB_SNMP_USER, auth: { protocol: "sha", key: a }, priv: { protocol: "aes", key: priv } },
    });
    const [good, bad] = query(ns("h1"), [
      { op: "hop", host: routerId.spine2, credentials: v3(auth), responder: "10.0.1.1", dst: "10.1.2.11" },
      {
        op: "hop",
        host: routerId.spine2,
        credentials: v3("wrong-passphrase"),
        responder: "10.0.1.1",
        dst: "10.1.2.11",
      },
    ]) as unknown as { devName?: string; code?: string }[];
    assert.equal(good?.devName, "spine2");
    assert.equal(bad?.code, "ERR_SNMP_REQUEST");
  });

  test("lab show lists each router's snmpd with its PID, running, and the analyzer", () => {
    const bin = fileURLToPath(new URL("../../bin/flowlens.js", import.meta.url));
    const r = spawnSync(process.execPath, [bin, "lab", "show", "--name", prefix, "--json"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const nodes = JSON.parse(r.stdout) as {
      name: string;
      role: string;
      services: { kind: string; pid: number; listen: string; running: boolean }[];
    }[];
    for (const router of routers) {
      const services = nodes.find((n) => n.name === router)!.services;
      assert.deepEqual(
        services.map((x) => [x.kind, x.listen, x.running]),
        [["snmpd", `udp ${routerId[router]}:161`, true]],
      );
      assert.equal(services[0]!.pid, state.services!.find((x) => x.node === router)!.pid);
    }
    assert.equal(nodes.find((n) => n.name === "an1")?.role, "analyzer");
  });

  test("down stops every snmpd by PID and removes the service files", () => {
    const pids = (state.services ?? []).map((s) => s.pid);
    labDown(prefix);
    for (const pid of pids) assert.equal(processRunning(pid), false, `pid ${pid} still running`);
    assert.throws(() => readFileSync(state.serviceFiles!.agentConfig));
  });
});
