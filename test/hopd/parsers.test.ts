/**
 * hopd's parsers on recorded outputs (test/hopd/fixtures/): `ip -j addr`, `ip -j route get`, `ip -j route show match`
 * (iproute2 6.1 as in Debian 12; the leaf1 ones recorded in the lab, the bond ones written to the same format),
 * `ip -d -j link` and `/proc/net/bonding/*` of the kernel bonding driver (802.3ad and active-backup), /proc/stat,
 * /proc/meminfo, and linuxptp's pmc.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bondBuckets, bondMembersFromLinks, parseBondingStatus } from "../../src/hopd/bonding.ts";
import { parseAdjtimex, parsePmcTimeStatus, parseTimedatectl } from "../../src/hopd/clock-sync.ts";
import { cpuPercent, parseMeminfoPercent, parseProcStat } from "../../src/hopd/device-info.ts";
import { inSubnet, interfaceToward, ownerOf } from "../../src/hopd/forwarding.ts";
import {
  parseAddresses,
  parseLinks,
  parseNeighbourAddress,
  parseRouteGet,
  parseRoutes,
  selectRoute,
} from "../../src/hopd/ip-json.ts";
import { fixture } from "./fake-system.ts";

describe("ip -j parsers", () => {
  test("addresses of ip -j addr: IPv4 only, with interface and prefix length", () => {
    const a = parseAddresses(fixture("ip-addr-leaf1.json"));
    assert.deepEqual(
      a.map((x) => `${x.ifname} ${x.address}/${x.prefixlen}`),
      ["lo 127.0.0.1/8", "lo 10.255.1.1/32", "spine1 10.0.0.0/31", "spine2 10.0.1.0/31", "br-hosts 10.1.1.1/24"],
    );
    assert.equal(ownerOf(a, "10.1.1.1")?.ifname, "br-hosts");
    assert.equal(ownerOf(a, "10.1.1.2"), undefined);
    assert.equal(interfaceToward(a, "10.0.1.1"), "spine2", "the /31 holding the next hop's address");
    assert.equal(interfaceToward(a, "10.1.1.77"), "br-hosts");
    assert.equal(interfaceToward(a, "10.255.1.1"), undefined, "loopback /32s are not subnets");
    assert.deepEqual(parseAddresses("not json"), []);
  });

  test("inSubnet", () => {
    assert.ok(inSubnet("10.0.0.1", "10.0.0.0", 31));
    assert.ok(!inSubnet("10.0.0.2", "10.0.0.0", 31));
    assert.ok(inSubnet("192.0.2.9", "0.0.0.0", 0));
  });

  test("route get: device, gateway, local type", () => {
    assert.deepEqual(parseRouteGet(fixture("ip-route-get-leaf1.json")), { dev: "spine2", gateway: "10.0.1.1" });
    assert.deepEqual(parseRouteGet(fixture("ip-route-get-local.json")), { dev: "lo", type: "local" });
    assert.equal(parseRouteGet("[]"), null);
  });

  test("route show match: next hops, weights, longest prefix holding the chosen next hop", () => {
    const routes = parseRoutes(fixture("ip-route-show-match-multipath.json"));
    assert.deepEqual(
      routes.map((r) => [r.dst, r.prefixlen, r.nexthops.map((h) => `${h.dev}/${h.gateway}/${h.weight}`)]),
      [
        ["default", 0, ["eth9/192.168.122.1/1"]],
        ["10.1.2.0/24", 24, ["spine1/10.0.0.1/1", "spine2/10.0.1.1/1"]],
        ["10.0.0.0/8", 8, ["spine1/10.0.0.1/1"]],
      ],
    );
    assert.equal(selectRoute(routes, { dev: "spine2", gateway: "10.0.1.1" })?.dst, "10.1.2.0/24");
    assert.equal(selectRoute(routes, { dev: "eth9", gateway: "192.168.122.1" })?.dst, "default");
    const connected = parseRoutes(fixture("ip-route-show-match-connected.json"));
    assert.deepEqual(connected[0]?.nexthops, [{ dev: "br-hosts", weight: 1 }]);
    const bonds = parseRoutes(fixture("ip-route-show-match-bonds.json"));
    assert.deepEqual(
      bonds[0]?.nexthops.map((h) => [h.dev, h.weight]),
      [
        ["bond0", 1],
        ["bond1", 1],
        ["eno1", 2],
      ],
    );
  });

  test("ip -d -j link: bonds, members, their state", () => {
    const links = parseLinks(fixture("ip-d-link-bonds.json"));
    const bond0 = links.find((l) => l.ifname === "bond0");
    assert.equal(bond0?.kind, "bond");
    assert.equal(bond0?.bondMode, "802.3ad");
    assert.equal(bond0?.xmitHashPolicy, "layer3+4");
    assert.deepEqual(bondMembersFromLinks(links, "bond0"), [
      { name: "enp1s0f0", up: true },
      { name: "enp1s0f1", up: true },
      { name: "enp1s0f2", up: false },
    ]);
    assert.deepEqual(bondMembersFromLinks(links, "bond1"), [
      { name: "enp2s0f0", up: true },
      { name: "enp2s0f1", up: false },
    ]);
    assert.deepEqual(bondMembersFromLinks(links, "eno1"), []);
    assert.equal(bond0?.address, "52:54:00:12:34:56");
  });

  test("neighbour address: the lladdr of a resolved entry, none for INCOMPLETE or absent", () => {
    assert.equal(parseNeighbourAddress(fixture("ip-neigh-show-reachable.json")), "00:1c:73:aa:bb:0d");
    assert.equal(parseNeighbourAddress(fixture("ip-neigh-show-incomplete.json")), undefined);
    assert.equal(parseNeighbourAddress("[]"), undefined);
    assert.equal(parseNeighbourAddress("not json"), undefined);
  });
});

describe("bonding driver status", () => {
  test("802.3ad: members outside the active aggregator carry no traffic", () => {
    const s = parseBondingStatus(fixture("proc-net-bonding-bond0.txt"));
    assert.equal(s.mode, "IEEE 802.3ad Dynamic link aggregation");
    assert.equal(s.hashPolicy, "layer3+4 (1)");
    assert.deepEqual(s.members, [
      { name: "enp1s0f0", up: true },
      { name: "enp1s0f1", up: true },
      { name: "enp1s0f2", up: false },
    ]);
    assert.equal(bondBuckets(s.members), 2);
  });

  test("802.3ad: a member of the active aggregator that is not distributing yet carries no traffic", () => {
    // enp1s0f1's actor port state 63 (0x3f) becomes 15 (0x0f: collecting and distributing bits clear).
    const text = fixture("proc-net-bonding-bond0.txt").replace(
      /(Slave Interface: enp1s0f1[\s\S]*?details actor lacp pdu:[\s\S]*?port state: )63/,
      "$115",
    );
    assert.match(text, /port state: 15/);
    assert.deepEqual(
      parseBondingStatus(text).members.map((m) => m.up),
      [true, false, false],
      "the partner's port state (61) does not count",
    );
  });

  test("active-backup: only the currently active member", () => {
    const s = parseBondingStatus(fixture("proc-net-bonding-active-backup.txt"));
    assert.equal(s.activeMember, "eth0");
    assert.deepEqual(s.members, [
      { name: "eth0", up: true },
      { name: "eth1", up: false },
    ]);
    assert.equal(bondBuckets(s.members), 1);
    assert.equal(bondBuckets([]), 0);
    assert.equal(bondBuckets([{ up: false }]), 1, "a LAG with every member down still has one bucket");
  });
});

describe("/proc and clock parsers", () => {
  test("CPU from /proc/stat deltas", () => {
    const t = parseProcStat(fixture("proc-stat.txt"));
    assert.deepEqual(t, { busy: 496967 + 91025 + 1590 + 222, total: 496967 + 91025 + 1590 + 222 + 1129084 + 2956 });
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 150, total: 1200 }), 25);
    assert.equal(cpuPercent({ busy: 100, total: 1000 }, { busy: 100, total: 1000 }), 0);
    assert.equal(parseProcStat("garbage"), null);
  });

  test("memory from /proc/meminfo", () => {
    const m = parseMeminfoPercent(fixture("meminfo.txt"));
    assert.ok(m !== null && Math.abs(m - ((24684084 - 24242180) / 24684084) * 100) < 1e-9);
    const old = parseMeminfoPercent("MemTotal: 1000 kB\nMemFree: 200 kB\nBuffers: 100 kB\nCached: 200 kB\n");
    assert.equal(old, 50, "without MemAvailable: free + buffers + cached");
    assert.equal(parseMeminfoPercent(""), null);
  });

  test("pmc, timedatectl and adjtimex", () => {
    assert.equal(parsePmcTimeStatus(fixture("pmc-time-status-np.txt")), true);
    assert.equal(parsePmcTimeStatus(fixture("pmc-time-status-np-nogm.txt")), false);
    assert.equal(parsePmcTimeStatus(fixture("pmc-time-status-np.txt").replace("-37", "5000000")), false);
    assert.equal(parseTimedatectl("yes\n"), true);
    assert.equal(parseTimedatectl("NTPSynchronized=no\n"), false);
    assert.equal(parseTimedatectl(""), null);
    assert.equal(parseAdjtimex("0 8193\n"), true, "TIME_OK, STA_PLL|STA_NANO");
    assert.equal(parseAdjtimex("5 64\n"), false, "TIME_ERROR, STA_UNSYNC");
    assert.equal(parseAdjtimex("0 64\n"), false, "STA_UNSYNC");
    assert.equal(parseAdjtimex("oops"), null);
  });
});
