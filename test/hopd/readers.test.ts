/**
 * hopd's readers on a fake system: device identity and load, the timestamp type, Table 14 counters from /sys, a flow's
 * forwarding (ECMP group with LAGs, fallbacks), and the nftables flow counters (the commands sent and Bandwidth_ID).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClockSyncReader } from "../../src/hopd/clock-sync.ts";
import { DeviceReader } from "../../src/hopd/device-info.ts";
import { FlowCounters, counterRule, parseCounterPackets, parseRuleHandles } from "../../src/hopd/flow-counters.ts";
import { ForwardingReader } from "../../src/hopd/forwarding.ts";
import { InterfaceCounterReader, countersFromLinux } from "../../src/hopd/interface-counters.ts";
import { FakeSystem, failed, fixture, ok } from "./fake-system.ts";

const STATS = {
  rx_packets: 1000,
  tx_packets: 900,
  rx_bytes: 150_000,
  tx_bytes: 120_000,
  multicast: 40,
  rx_crc_errors: 3,
  rx_frame_errors: 2,
  rx_dropped: 7,
  rx_missed_errors: 4,
  tx_dropped: 5,
};

describe("device and clock", () => {
  test("name from the named network namespace, else the host name; serial from DMI, else machine-id", async () => {
    const sys = new FakeSystem((p, a) => (p === "ip" && a[1] === "identify" ? ok("lab-leaf1\n") : undefined));
    sys.files.set("/etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
    sys.files.set("/sys/class/dmi/id/product_serial", "Not Specified\n");
    assert.deepEqual(await new DeviceReader(sys).identity(), {
      name: "lab-leaf1",
      serial: "3d1219c7c4c5404aaa1f6d2a48adfda4:lab-leaf1",
    });
    const plain = new FakeSystem((p) => (p === "ip" ? ok("") : undefined));
    plain.files.set("/sys/class/dmi/id/product_serial", "CZ2D12345X\n");
    assert.deepEqual(await new DeviceReader(plain).identity(), { name: "router-host", serial: "CZ2D12345X" });
    assert.deepEqual(await new DeviceReader(plain, { name: "edge1", serial: "S1" }).identity(), {
      name: "edge1",
      serial: "S1",
    });
    assert.equal((await new DeviceReader(new FakeSystem()).identity()).serial, "unknown");
  });

  test("CPU over at least a second, memory now", async () => {
    const sys = new FakeSystem(() => ok(""));
    sys.files.set("/proc/meminfo", fixture("meminfo.txt"));
    sys.files.set("/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\n");
    const reader = new DeviceReader(sys);
    const first = await reader.read();
    assert.equal(first.cpuUtil, 20, "first reading: the average since boot");
    assert.equal(first.memUtil, 1.79);
    sys.files.set("/proc/stat", "cpu  400 0 100 900 0 0 0 0 0 0\n");
    sys.clock += 500;
    assert.equal((await reader.read()).cpuUtil, 20, "half a second later: the last figure is kept");
    sys.clock += 600;
    assert.equal((await reader.read()).cpuUtil, 75, "300 busy of 400 jiffies");
  });

  test("timestamp type: PTP with a synchronised PHC, NTP from timedatectl or adjtimex, else LCPU", async () => {
    const answer = (pmc: string | null, timedatectl: string | null, adjtimex: string | null) =>
      new FakeSystem((p) => {
        const text = p === "pmc" ? pmc : p === "timedatectl" ? timedatectl : p === "python3" ? adjtimex : null;
        return text === null ? failed("not here") : ok(text);
      });
    const ptp = answer(fixture("pmc-time-status-np.txt"), "yes", null);
    ptp.files.set("/sys/class/ptp/ptp0/clock_name", "ice\n");
    assert.equal(await new ClockSyncReader(ptp).read(), "PTP");
    const noGm = answer(fixture("pmc-time-status-np-nogm.txt"), "yes", null);
    noGm.files.set("/sys/class/ptp/ptp0/clock_name", "ice\n");
    assert.equal(await new ClockSyncReader(noGm).read(), "NTP");
    assert.equal(await new ClockSyncReader(answer(null, "no", "0 8193")).read(), "LCPU", "timedatectl decides");
    assert.equal(await new ClockSyncReader(answer(null, null, "0 8193")).read(), "NTP");
    assert.equal(await new ClockSyncReader(answer(null, null, "5 64")).read(), "LCPU");
    assert.equal(await new ClockSyncReader(answer(null, null, null)).read(), "LCPU");
  });
});

describe("interface counters", () => {
  test("Linux statistics map to Table 14", () => {
    assert.deepEqual(countersFromLinux(STATS, 42), {
      txPkts: 900,
      rxPkts: 1000,
      txUcPkts: 900,
      rxUcPkts: 960,
      txBcPkts: 0,
      rxBcPkts: 0,
      txMcPkts: 0,
      rxMcPkts: 40,
      txCrcError: 0,
      rxCrcError: 5,
      txDropPkt: 5,
      rxDropPkt: 11,
      txBytes: 120_000,
      rxBytes: 150_000,
      sampledAtMs: 42,
    });
  });

  test("every interface under /sys/class/net; missing files read 0; unknown names null", async () => {
    const sys = new FakeSystem();
    sys.addInterface("eth0", STATS);
    sys.addInterface("lo", { rx_packets: 5, tx_packets: 5 });
    const reader = new InterfaceCounterReader(sys);
    const all = await reader.all();
    assert.deepEqual([...all.keys()], ["eth0", "lo"]);
    assert.equal(all.get("lo")?.rxBytes, 0);
    assert.equal(all.get("eth0")?.sampledAtMs, sys.clock);
    assert.equal(await reader.counters("nope"), null);
    assert.equal(await reader.counters("../etc"), null);
  });
});

/** A router with two bonds and a plain interface in its ECMP group (fixtures *-bonds.*). */
function bondRouter(
  options: { procBonding?: boolean; routeGet?: boolean; proc?: string; neighbour?: string } = {},
): FakeSystem {
  const sys = new FakeSystem((p, a) => {
    if (p !== "ip") return undefined;
    const cmd = a.join(" ");
    if (cmd === "-j addr show") return ok(fixture("ip-addr-bonds.json"));
    if (cmd === "-d -j link show") return ok(fixture("ip-d-link-bonds.json"));
    if (cmd.startsWith("-j route get 10.20.5.9 from 10.40.0.7 iif eno1 ipproto tcp sport 5000 dport 443")) {
      return options.routeGet === false
        ? failed("RTNETLINK answers: Invalid argument")
        : ok(fixture("ip-route-get-bonds.json"));
    }
    if (cmd === "-j route show match 10.20.5.9") return ok(fixture("ip-route-show-match-bonds.json"));
    if (cmd === "-j neigh show to 10.30.0.1 dev bond0")
      return ok(fixture(options.neighbour ?? "ip-neigh-show-reachable.json"));
    return failed(`unexpected: ip ${cmd}`);
  });
  for (const n of ["enp1s0f0", "enp1s0f1", "enp1s0f2", "enp2s0f0", "enp2s0f1", "bond0", "bond1", "eno1"]) {
    sys.addInterface(n, { ...STATS, rx_packets: n.length * 100 });
  }
  if (options.procBonding !== false) {
    sys.files.set("/proc/net/bonding/bond0", options.proc ?? fixture("proc-net-bonding-bond0.txt"));
  }
  return sys;
}

const TUPLE = { src: "10.40.0.7", dst: "10.20.5.9", proto: "tcp" as const, sport: 5000, dport: 443 };

describe("forwarding", () => {
  test("the kernel's choice, its ECMP group, bonds as LAGs with their members", async () => {
    const sys = bondRouter();
    const reader = new ForwardingReader(sys, new InterfaceCounterReader(sys));
    const f = await reader.forwarding(TUPLE, "10.40.0.1");
    assert.equal(f.ingress, "eno1");
    assert.deepEqual(f.route, { dev: "bond0", gateway: "10.30.0.1" });
    assert.deepEqual(
      f.egress.members.map((m) => m.name),
      ["eno1"],
    );
    assert.equal(f.egress.numBuckets, 4, "weights 1 + 1 + 2");
    // layer3+4 over the active aggregator's enp1s0f0, enp1s0f1: hash 0x5ad8828b (bond-hash.test.ts, vector A) is odd.
    assert.equal(f.egress.chosen, "enp1s0f1");
    const lags = f.egress.l2Ecmp.map((l) => [l.aeName, l.numBuckets, l.members.map((m) => m.name)]);
    assert.deepEqual(lags, [
      ["bond0", 2, ["enp1s0f0", "enp1s0f1", "enp1s0f2"]],
      ["bond1", 1, ["enp2s0f0", "enp2s0f1"]],
    ]);
    assert.equal(f.egress.l2Ecmp[0]?.members[0]?.counters.rxPkts, "enp1s0f0".length * 100);
  });

  test("no /proc/net/bonding: members from ip -d -j link; the bond itself is chosen", async () => {
    const sys = bondRouter({ procBonding: false });
    const f = await new ForwardingReader(sys, new InterfaceCounterReader(sys)).forwarding(TUPLE, "10.40.0.1");
    assert.deepEqual(
      f.egress.l2Ecmp.map((l) => l.numBuckets),
      [2, 1],
    );
    assert.equal(f.egress.chosen, "bond0", "without the status file the slave order is unknown");
  });

  test("layer2+3: the bond's MAC and the gateway's neighbour entry; no neighbour, no member", async () => {
    const proc = fixture("proc-net-bonding-bond0.txt").replace("layer3+4 (1)", "layer2+3 (2)");
    const sys = bondRouter({ proc });
    const f = await new ForwardingReader(sys, new InterfaceCounterReader(sys)).forwarding(TUPLE, "10.40.0.1");
    // bond0 52:54:00:12:34:56, gateway 00:1c:73:aa:bb:0d: hash 0x0e0b3f64 (bond-hash.test.ts, vector C) is even.
    assert.equal(f.egress.chosen, "enp1s0f0");
    assert.ok(sys.calls.some((c) => c.args.join(" ") === "-j neigh show to 10.30.0.1 dev bond0"));
    const unresolved = bondRouter({ proc, neighbour: "ip-neigh-show-incomplete.json" });
    const g = await new ForwardingReader(unresolved, new InterfaceCounterReader(unresolved)).forwarding(
      TUPLE,
      "10.40.0.1",
    );
    assert.equal(g.egress.chosen, "bond0");
  });

  test("active-backup: the currently active member", async () => {
    const sys = bondRouter({ proc: fixture("proc-net-bonding-active-backup.txt") });
    const f = await new ForwardingReader(sys, new InterfaceCounterReader(sys)).forwarding(TUPLE, "10.40.0.1");
    assert.equal(f.egress.chosen, "eth0");
  });

  test("the kernel cannot say: the egress is the interface toward the next responder", async () => {
    const sys = bondRouter({ routeGet: false });
    const reader = new ForwardingReader(sys, new InterfaceCounterReader(sys));
    const f = await reader.forwarding(TUPLE, "10.40.0.1", "10.30.0.3");
    assert.equal(f.route, null);
    assert.equal(f.egress.chosen, "bond1");
    assert.deepEqual(
      f.egress.l2Ecmp.map((l) => l.aeName),
      ["bond1"],
    );
    const none = await reader.forwarding(TUPLE, "10.40.0.1");
    assert.deepEqual(none.egress, { members: [], numBuckets: 0, l2Ecmp: [] });
  });

  test("responder on the loopback: the interface toward the source; unknown responder refused", async () => {
    const sys = bondRouter();
    const inner = sys.handler;
    sys.handler = (p, a, i) =>
      a.join(" ") === "-j route get 10.40.0.7"
        ? ok('[{"dst":"10.40.0.7","dev":"eno1","prefsrc":"10.40.0.1","flags":[],"uid":0,"cache":[]}]')
        : inner(p, a, i);
    const reader = new ForwardingReader(sys, new InterfaceCounterReader(sys));
    assert.equal(await reader.ingress("10.255.9.1", TUPLE), "eno1");
    await assert.rejects(reader.ingress("10.9.9.9", TUPLE), { code: "ERR_HOPD_UNKNOWN_ADDRESS" });
  });
});

describe("nftables flow counters", () => {
  test("rule text, counter and handle parsing", () => {
    assert.equal(
      counterRule(TUPLE, "eno1", "f1", "tcp:10.40.0.7:5000>10.20.5.9:443"),
      'iifname "eno1" ip saddr 10.40.0.7 ip daddr 10.20.5.9 tcp sport 5000 tcp dport 443 counter name "f1"' +
        ' comment "tcp:10.40.0.7:5000>10.20.5.9:443"',
    );
    assert.throws(() => counterRule(TUPLE, 'eth0" accept', "f1", "x"), { code: "ERR_HOPD_BAD_REQUEST" });
    const list =
      '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, ' +
      '{"counter": {"family": "inet", "name": "f1", "table": "flowlens_hopd", "handle": 2, "packets": 25, "bytes": 1050}}]}';
    assert.equal(parseCounterPackets(list, "f1"), 25);
    assert.equal(parseCounterPackets(list, "f2"), null);
    const chain =
      '{"nftables": [{"rule": {"family": "inet", "table": "flowlens_hopd", "chain": "ingress", "handle": 3, "expr": ' +
      '[{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "br-hosts"}}, {"counter": "f1"}]}}, ' +
      '{"rule": {"family": "inet", "table": "flowlens_hopd", "chain": "ingress", "handle": 4, "expr": [{"counter": "f2"}]}}]}';
    assert.deepEqual(parseRuleHandles(chain, "f2"), [4]);
  });

  test("install, read, reset detection, reinstall and release through nft", async () => {
    let packets = 0;
    let present = true;
    const sys = new FakeSystem((p, a) => {
      if (p !== "nft") return undefined;
      if (a[0] === "-j" && a[1] === "list" && a[2] === "counter") {
        return present
          ? ok(
              `{"nftables": [{"counter": {"family": "inet", "name": "${a[5]}", "table": "t", "handle": 2, "packets": ${packets}, "bytes": 0}}]}`,
            )
          : failed("Error: No such file or directory");
      }
      if (a[1] === "-a" && a[2] === "list")
        return ok(
          '{"nftables": [{"rule": {"handle": 8, "expr": [{"counter": "f1"}]}}, {"rule": {"handle": 9, "expr": [{"counter": "f2"}]}}]}',
        );
      return ok("");
    });
    const counters = new FlowCounters(sys, "t");
    await counters.reset();
    assert.match(
      sys.calls[0]!.input!,
      /delete table inet t\ntable inet t \{\n {2}chain ingress \{ type filter hook prerouting/,
    );
    const first = await counters.read("k", TUPLE, "eno1");
    assert.equal(first.counter, 0);
    assert.match(sys.calls.at(-1)!.input!, /^add counter inet t f1\nadd rule inet t ingress iifname "eno1" /);
    packets = 10;
    assert.deepEqual(await counters.read("k", TUPLE, "eno1"), { counter: 10, id: first.id });
    packets = 3;
    const reset = await counters.read("k", TUPLE, "eno1");
    assert.equal(reset.counter, 3);
    assert.notEqual(reset.id, first.id, "a counter found reset gets a new id");
    present = false;
    const reinstalled = await counters.read("k", TUPLE, "eno1");
    assert.equal(reinstalled.counter, 0);
    assert.notEqual(reinstalled.id, reset.id);
    present = true;
    await counters.release("k");
    assert.equal(sys.calls.at(-1)!.input, "delete rule inet t ingress handle 9\ndelete counter inet t f2\n");
    assert.equal(counters.size, 0);
    await counters.destroy();
    assert.equal(sys.calls.at(-1)!.input, "table inet t\ndelete table inet t\n");
  });

  test("nft failures are typed errors; the limit is enforced", async () => {
    const sys = new FakeSystem((p) =>
      p === "nft" ? failed("Error: Could not process rule: Operation not permitted") : undefined,
    );
    await assert.rejects(new FlowCounters(sys).reset(), {
      code: "ERR_HOPD_COMMAND",
      message: /Operation not permitted/,
    });
    const fine = new FakeSystem(() => ok(""));
    const counters = new FlowCounters(fine, "t", 1);
    await counters.read("a", TUPLE, "eno1");
    await assert.rejects(counters.read("b", TUPLE, "eno1"), { code: "ERR_HOPD_LIMIT" });
  });
});
