/**
 * The default simulated fabric, built after the examples of compute-agent-api.txt: the spec's devices, serial numbers and
 * interface names, so its example URLs (`src=10.1.1.1&dst=10.1.7.1&sport=4567&dport=9000&proto=tcp`, the tunnel
 * `src=10.1.1.1&dst=10.1.7.1&sport=4567&vnid=5`) trace the paths the spec shows: three leaves, three spines, L3 ECMP
 * from every leaf to the spines, and one two-member LAG (`ae0.0`) from leaf 1 to spine 3. docs/sim.md draws it.
 *
 * | device | role | serial | hosts (leaf port, gateway .254) |
 * | --- | --- | --- | --- |
 * | device02-example-01 | leaf 1 | TA3714040533 | 10.1.1.1 (ge-0/0/0.0), 10.1.3.1, 10.10.11.11 |
 * | device02-example-03 | leaf 2 | VB3113350021 | 10.1.7.1 (ge-0/0/12.0), 10.1.8.1, 192.168.5.11 |
 * | device03-example-03 | leaf 3 | TA3714040687 | 10.1.5.1, 10.2.1.1 (the spec's mirror analyzer) |
 * | device02-example-02 | spine 1 | TB3714120508 | links 172.16.1.0/29 |
 * | device03-example-01 | spine 2 | VB3714010003 | links 172.16.2.0/29 |
 * | device03-example-02 | spine 3 | VB3714010017 | links 172.16.3.0/29; `ae0.0` (xe-0/0/14.0, xe-0/0/16.0) from leaf 1 |
 */
import type { SimTopologyInput } from "./config.ts";

const LEAF1 = "device02-example-01";
const LEAF2 = "device02-example-03";
const LEAF3 = "device03-example-03";
const SPINE1 = "device02-example-02";
const SPINE2 = "device03-example-01";
const SPINE3 = "device03-example-02";

function link(
  a: [string, string, string],
  b: [string, string, string],
  drops = 0,
): NonNullable<SimTopologyInput["links"]> {
  return [
    {
      a: { device: a[0], interface: a[1], address: a[2] },
      b: { device: b[0], interface: b[1], address: b[2] },
      background: drops > 0 ? { "drops-per-hour": drops } : {},
    },
  ];
}

function host(address: string, device: string, port: string, vms?: [string, string, number][]) {
  const gateway = address.replace(/\.\d+$/, ".254");
  const vtep = vms === undefined ? undefined : { vms: vms.map(([a, mac, vni]) => ({ address: a, mac, vni })) };
  return { address, attach: { device, interface: port, gateway }, ...(vtep === undefined ? {} : { vtep }) };
}

const DEFAULT_TOPOLOGY: SimTopologyInput = {
  seed: 1,
  devices: [
    {
      name: LEAF1,
      serial: "TA3714040533",
      "timestamp-type": "LCPU",
      // Chosen so the spec's example tuples take the spec's paths (docs/sim.md, "Forwarding hash").
      "hash-seed": 1134,
      "bandwidth-id-base": 612761622,
      "reply-ms": 7.7,
      cpu: { base: 19, swing: 2 },
    },
    {
      name: SPINE1,
      serial: "TB3714120508",
      role: "spine",
      "timestamp-type": "PTP",
      "bandwidth-id-base": 3274244103,
      "reply-ms": 15.8,
      cpu: { base: 12, swing: 3 },
    },
    {
      name: LEAF2,
      serial: "VB3113350021",
      "timestamp-type": "NTP",
      "bandwidth-id-base": 3148349462,
      "reply-ms": 7.7,
      cpu: { base: 11, swing: 2 },
    },
    {
      name: SPINE2,
      serial: "VB3714010003",
      role: "spine",
      "timestamp-type": "NTP",
      "bandwidth-id-base": 361365522,
      "reply-ms": 16.2,
      cpu: { base: 8, swing: 2 },
    },
    { name: SPINE3, serial: "VB3714010017", role: "spine", "timestamp-type": "PTP", "reply-ms": 12.4 },
    { name: LEAF3, serial: "TA3714040687", "timestamp-type": "LCPU", "reply-ms": 8.3, cpu: { base: 10, swing: 4 } },
  ],
  links: [
    ...link([LEAF1, "xe-0/0/18.0", "172.16.1.0"], [SPINE1, "xe-0/0/2.0", "172.16.1.1"]),
    ...link([LEAF1, "xe-0/0/8.0", "172.16.2.0"], [SPINE2, "xe-0/0/44.0", "172.16.2.1"]),
    {
      a: { device: LEAF1, interface: "ae0.0", address: "172.16.3.0" },
      b: { device: SPINE3, interface: "ae0.0", address: "172.16.3.1" },
      members: [
        { a: "xe-0/0/14.0", b: "et-0/0/0.0" },
        { a: "xe-0/0/16.0", b: "et-0/0/1.0" },
      ],
    },
    ...link([LEAF2, "xe-0/0/46.0", "172.16.1.2"], [SPINE1, "xe-0/0/4.0", "172.16.1.3"], 2),
    ...link([LEAF2, "xe-0/0/84.0", "172.16.2.2"], [SPINE2, "xe-0/0/94.0", "172.16.2.3"]),
    ...link([LEAF2, "et-0/0/48.0", "172.16.3.2"], [SPINE3, "et-0/0/2.0", "172.16.3.3"]),
    ...link([LEAF3, "xe-0/0/10.0", "172.16.1.4"], [SPINE1, "xe-0/0/6.0", "172.16.1.5"]),
    ...link([LEAF3, "xe-0/0/11.0", "172.16.2.4"], [SPINE2, "xe-0/0/96.0", "172.16.2.5"]),
    ...link([LEAF3, "et-0/0/49.0", "172.16.3.4"], [SPINE3, "et-0/0/3.0", "172.16.3.5"]),
  ],
  hosts: [
    host("10.1.1.1", LEAF1, "ge-0/0/0.0", [["10.1.2.3", "9c:8e:99:12:88:2e", 5]]),
    host("10.1.3.1", LEAF1, "ge-0/0/1.0"),
    host("10.10.11.11", LEAF1, "ge-0/0/2.0", [["10.0.0.2", "52:54:00:b8:9b:2e", 200]]),
    host("10.1.7.1", LEAF2, "ge-0/0/12.0", [["10.1.2.5", "44:1e:a1:02:25:c0", 5]]),
    host("10.1.8.1", LEAF2, "ge-0/0/13.0"),
    host("192.168.5.11", LEAF2, "ge-0/0/14.0", [["10.0.0.3", "52:54:00:6e:cc:dc", 200]]),
    host("10.1.5.1", LEAF3, "ge-0/0/0.0"),
    host("10.2.1.1", LEAF3, "ge-0/0/1.0"),
  ],
  flows: [
    // The spec's list/flow example: an ssh session (idle for more than 60 s) and three bulk transfers to port 9000.
    {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "tcp",
      sport: 46047,
      dport: 22,
      pps: 20,
      bytes: 200,
      "start-s": -7200,
      "end-s": -95,
    },
    {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "tcp",
      sport: 59010,
      dport: 9000,
      pps: 27_000,
      bytes: 1500,
      "start-s": -40,
    },
    {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "tcp",
      sport: 59011,
      dport: 9000,
      pps: 27_000,
      bytes: 1500,
      "start-s": -39,
    },
    {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "tcp",
      sport: 59012,
      dport: 9000,
      pps: 27_000,
      bytes: 1500,
      "start-s": -39,
    },
    // The spec's start/flow example tuple.
    {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "tcp",
      sport: 4567,
      dport: 9000,
      pps: 800,
      bytes: 1200,
      "start-s": -10,
    },
    {
      src: "10.1.3.1",
      dst: "10.1.8.1",
      proto: "tcp",
      sport: 51234,
      dport: 443,
      pps: 300,
      bytes: 900,
      "start-s": -600,
    },
    { src: "10.1.5.1", dst: "10.1.1.1", proto: "udp", sport: 40000, dport: 53, pps: 5, bytes: 120, "start-s": -300 },
    {
      src: "10.1.8.1",
      dst: "10.1.5.1",
      proto: "tcp",
      sport: 33000,
      dport: 5432,
      pps: 1200,
      bytes: 700,
      "start-s": -50,
    },
    // The spec's overlay list/flow example and its start/tunnel example.
    {
      src: "10.10.11.11",
      dst: "192.168.5.11",
      proto: "udp",
      sport: 53812,
      dport: 4789,
      pps: 500,
      bytes: 1450,
      "start-s": -20,
      overlay: {
        vnid: 200,
        appsrc: "10.0.0.2",
        appdst: "10.0.0.3",
        appsmac: "52:54:00:b8:9b:2e",
        appdmac: "52:54:00:6e:cc:dc",
        proto: "udp",
        sport: 41504,
        dport: 9000,
      },
    },
    {
      src: "10.1.1.1",
      dst: "10.1.7.1",
      proto: "udp",
      sport: 4567,
      dport: 4789,
      pps: 2000,
      bytes: 1450,
      "start-s": -40,
      overlay: {
        vnid: 5,
        appsrc: "10.1.2.3",
        appdst: "10.1.2.5",
        appsmac: "9c:8e:99:12:88:2e",
        appdmac: "44:1e:a1:02:25:c0",
        proto: "tcp",
        sport: 45000,
        dport: 9000,
      },
    },
  ],
};

/** A fresh copy of the default topology (the caller may modify it before passing it to the fabric). */
export function defaultSimTopology(): SimTopologyInput {
  return structuredClone(DEFAULT_TOPOLOGY);
}
