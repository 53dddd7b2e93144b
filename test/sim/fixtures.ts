/**
 * Shared fixtures of the simulated-fabric tests: a settable clock and a small topology without background traffic,
 * where every counted packet belongs to a flow, a probe or a mirror copy.
 */
import type { FlowTuple, ProbeTarget, TunnelTuple } from "../../src/probe/transport.ts";
import type { SimTopologyInput } from "../../src/sim/index.ts";

/** A clock the test moves by hand (epoch milliseconds). */
export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
  t: number;
}

/** A clock starting at `start` (default 2023-11-14T22:13:20Z). */
export function fakeClock(start = 1_700_000_000_000): FakeClock {
  const clock: FakeClock = {
    t: start,
    now: () => clock.t,
    advance(ms: number) {
      clock.t += ms;
    },
  };
  return clock;
}

const QUIET = { pps: 0, "multicast-pps": 0, "broadcast-pps": 0 };

/**
 * Two leaves and two spines without background traffic: leaf-a reaches spine-1 on a plain link and spine-2 on a
 * two-member LAG; hosts 10.0.1.1 (leaf-a), 10.0.2.1 (leaf-b) and the analyzer 10.0.9.9 (leaf-b).
 */
export function quietTopology(): SimTopologyInput & { links: NonNullable<SimTopologyInput["links"]> } {
  const ep = (device: string, iface: string, address: string) => ({ device, interface: iface, address });
  return {
    devices: [
      { name: "leaf-a", serial: "LA0001", "reply-ms": 2, "jitter-ms": 0 },
      { name: "leaf-b", serial: "LB0001", "reply-ms": 2, "jitter-ms": 0, "timestamp-type": "NTP" },
      { name: "spine-1", serial: "SP0001", role: "spine", "reply-ms": 4, "jitter-ms": 0, "timestamp-type": "PTP" },
      { name: "spine-2", serial: "SP0002", role: "spine", "reply-ms": 4, "jitter-ms": 0 },
    ],
    links: [
      { a: ep("leaf-a", "xe-0/0/1.0", "172.31.0.0"), b: ep("spine-1", "xe-0/0/1.0", "172.31.0.1"), background: QUIET },
      {
        a: ep("leaf-a", "ae0.0", "172.31.0.2"),
        b: ep("spine-2", "ae0.0", "172.31.0.3"),
        members: [
          { a: "xe-0/0/2.0", b: "et-0/0/2.0" },
          { a: "xe-0/0/3.0", b: "et-0/0/3.0" },
        ],
        background: QUIET,
      },
      { a: ep("leaf-b", "xe-0/0/1.0", "172.31.1.0"), b: ep("spine-1", "xe-0/0/2.0", "172.31.1.1"), background: QUIET },
      { a: ep("leaf-b", "xe-0/0/2.0", "172.31.1.2"), b: ep("spine-2", "xe-0/0/2.0", "172.31.1.3"), background: QUIET },
    ],
    hosts: [
      {
        address: "10.0.1.1",
        attach: { device: "leaf-a", interface: "ge-0/0/0.0", gateway: "10.0.1.254" },
        background: QUIET,
      },
      {
        address: "10.0.2.1",
        attach: { device: "leaf-b", interface: "ge-0/0/0.0", gateway: "10.0.2.254" },
        background: QUIET,
      },
      {
        address: "10.0.9.9",
        attach: { device: "leaf-b", interface: "ge-0/0/9.0", gateway: "10.0.9.254" },
        background: QUIET,
      },
    ],
  };
}

/** A flow target with checksums on. */
export function flowTarget(flow: FlowTuple): ProbeTarget {
  return { kind: "flow", flow, checksum: true };
}

/** The spec's start/flow example tuple (compute-agent-api.txt, "Flow Data Compute Agent API Example"). */
export const SPEC_FLOW: FlowTuple = { src: "10.1.1.1", dst: "10.1.7.1", proto: "tcp", sport: 4567, dport: 9000 };

/** The spec's start/tunnel example tuple (compute-agent-api.txt, start/tunnel). */
export const SPEC_TUNNEL_TUPLE: TunnelTuple = {
  src: "10.1.1.1",
  dst: "10.1.7.1",
  sport: 4567,
  vnid: 5,
  appsrc: "10.1.2.3",
  appdst: "10.1.2.5",
  appsmac: "9c:8e:99:12:88:2e",
  appdmac: "44:1e:a1:02:25:c0",
};

/** The spec's start/tunnel example. */
export const SPEC_TUNNEL: ProbeTarget = { kind: "tunnel", tunnel: SPEC_TUNNEL_TUPLE };

/** TTLs 1..n. */
export function ttlsUpTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
