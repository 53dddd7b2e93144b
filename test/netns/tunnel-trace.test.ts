/**
 * VXLAN tunnel tracing and routers' Destination Unreachable with the raw transport on the real lab (issue 6): the default
 * lab under a unique prefix, the probe helper in h1 (VTEP 10.1.1.11, overlay 10.2.0.1, VNI 100).
 *
 * - Real overlay traffic h1 -> h2 is sent through h1's `vxlan0`; `tcpdump` on h1's eth0 names the outer source port the
 *   kernel chose for it; the tunnel probes with that outer tuple must answer, TTL by TTL, from leaf1, the spine that
 *   leaf1's `ip route get … iif br-hosts ipproto udp sport S dport 4789` picks, the leaf2 address that spine picks, and
 *   then the tunnel endpoint h2 (its stack's port unreachable to the inner probe, back through the tunnel); and that
 *   spine's own interface counters must show the real encapsulated packets went through it.
 * - A spine with an `unreachable` route, or an nftables `reject` in its prerouting chain, answers Destination Unreachable;
 *   the transport reports it as an `unreachable` hop with the ICMP code, and a round ends there.
 * Root only (gated like the other netns suites); the lab is removed in `after`, also when a test fails.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { ProbeLimiter } from "../../src/agent/probe-limiter.ts";
import { probeRound } from "../../src/agent/probe-round.ts";
import { systemClock } from "../../src/agent/clock.ts";
import { type RawTransport, createRawTransport } from "../../src/probe/raw-transport.ts";
import type { FlowTuple, TunnelTuple } from "../../src/probe/transport.ts";
import { needsProgram } from "../helpers/requirements.ts";
import {
  H1,
  H2,
  LAB_SKIP,
  LEAF1_HOST_SIDE,
  TestLab,
  expectedH1H2Trace,
  fabricPath,
  inNs,
  routeGetGateway,
  vxlanMacs,
} from "./lab-fixture.ts";

const SKIP = LAB_SKIP || needsProgram("cc", "gcc") || needsProgram("tcpdump") || needsProgram("nft", "nftables");
const VNI = 100;
const VXLAN = 4789;

describe("VXLAN tunnel probes and Destination Unreachable on the default lab", { skip: SKIP }, () => {
  const lab = new TestLab("v");
  const ns = lab.ns;
  let transport: RawTransport | null = null;
  let macs = { h1: "", h2: "" };

  before(async () => {
    lab.up();
    macs = vxlanMacs(ns);
    transport = await createRawTransport({ wrapper: ["ip", "netns", "exec", ns("h1")] });
    // Warm up the hosts' neighbour tables (the first packets of a fresh lab wait for ARP).
    await transport.probe(
      { kind: "flow", flow: { src: H1, dst: H2, proto: "udp", sport: 39999, dport: 33434 }, checksum: true },
      { ttls: [4], timeoutMs: 2000, attempt: 1 },
    );
  });
  after(async () => {
    try {
      await transport?.close();
    } finally {
      lab.down();
    }
  });

  const tunnelOf = (sport: number, vnid = VNI): TunnelTuple => ({
    src: H1,
    dst: H2,
    sport,
    vnid,
    appsrc: "10.2.0.1",
    appdst: "10.2.0.2",
    appsmac: macs.h1,
    appdmac: macs.h2,
  });
  /** The outer flow of a tunnel as the routers hash it. */
  const outerFlow = (sport: number): FlowTuple => ({ src: H1, dst: H2, proto: "udp", sport, dport: VXLAN });

  /** Traces the tunnel with outer source port `sport` at TTLs 1..6 and checks every hop against the routers. */
  async function traceTunnel(sport: number): Promise<string> {
    assert.ok(transport);
    const replies = await transport.probe(
      { kind: "tunnel", tunnel: tunnelOf(sport) },
      { ttls: [1, 2, 3, 4, 5, 6], timeoutMs: 1500, attempt: 1 },
    );
    const path = fabricPath(ns, outerFlow(sport));
    const seen = replies.map((r) => [r.ttl, r.outcome, r.responder]);
    assert.deepEqual(seen, expectedH1H2Trace(path), `outer sport ${sport}: ${JSON.stringify(seen)}`);
    for (const r of replies.slice(0, 4)) assert.ok(r.rttSeconds !== null && r.rttSeconds >= 0 && r.rttSeconds < 1);
    return path.spine;
  }

  /** Packets received by `spine` on its link from leaf1. */
  function spineRx(spine: string): number {
    const r = spawnSync("ip", ["-n", ns(spine), "-j", "-s", "link", "show", "leaf1"], { encoding: "utf8" });
    return (JSON.parse(r.stdout) as { stats64: { rx: { packets: number } } }[])[0]!.stats64.rx.packets;
  }

  test("a real overlay flow's tunnel is traced over the underlay path its encapsulated packets take", async () => {
    // Static neighbours on the overlay, so every captured VXLAN packet is the UDP flow (no ARP through the tunnel).
    assert.equal(inNs(ns("h1"), ["ip", "neigh", "replace", "10.2.0.2", "lladdr", macs.h2, "dev", "vxlan0"]).status, 0);
    assert.equal(inNs(ns("h2"), ["ip", "neigh", "replace", "10.2.0.1", "lladdr", macs.h1, "dev", "vxlan0"]).status, 0);
    // The oracle: tcpdump on h1's underlay, outer and inner headers of every VXLAN packet (the overlay also carries
    // IPv6 neighbour discovery and MLD of vxlan0, with other outer ports: only the UDP flow's packets count).
    const dump = spawn(
      "ip",
      ["netns", "exec", ns("h1"), "tcpdump", "-i", "eth0", "-nn", "-l", "udp", "dst", "port", String(VXLAN)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    dump.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<void>((resolve) => dump.on("close", () => resolve()));
    let dumpErr = "";
    dump.stderr.on("data", (d: Buffer) => {
      dumpErr += d.toString();
    });
    try {
      for (let i = 0; i < 50 && !/listening on/.test(dumpErr); i++) await new Promise((r) => setTimeout(r, 100));
      const before = { spine1: spineRx("spine1"), spine2: spineRx("spine2") };
      const count = 300;
      const send = inNs(ns("h1"), [
        "python3",
        "-c",
        `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('10.2.0.1',41504));[s.sendto(b'overlay',('10.2.0.2',9000)) for i in range(${count})]`,
      ]);
      assert.equal(send.status, 0, send.stderr);
      await new Promise((r) => setTimeout(r, 500));
      const delta = { spine1: spineRx("spine1") - before.spine1, spine2: spineRx("spine2") - before.spine2 };
      process.kill(dump.pid!, "SIGTERM");
      await exited;
      const re =
        /IP 10\.1\.1\.11\.(\d+) > 10\.1\.2\.11\.4789: VXLAN[^\n]*\s+IP 10\.2\.0\.1\.41504 > 10\.2\.0\.2\.9000: UDP/g;
      const ports = [...out.matchAll(re)].map((m) => Number(m[1]));
      assert.equal(
        ports.length,
        count,
        `tcpdump saw ${ports.length} packets of the flow: ${out.slice(0, 1500)} ${dumpErr}`,
      );
      assert.equal(new Set(ports).size, 1, "one outer source port for one inner flow");
      const sport = ports[0]!;
      const spine = await traceTunnel(sport);
      const [used, other] = spine === "10.0.0.1" ? ["spine1", "spine2"] : ["spine2", "spine1"];
      const why = `outer sport ${sport}, traced via ${used}, counters ${JSON.stringify(delta)}`;
      assert.ok(delta[used as "spine1"] >= count, why);
      assert.ok(delta[other as "spine1"] < count / 10, why);
    } finally {
      if (dump.exitCode === null && dump.signalCode === null && dump.pid !== undefined)
        process.kill(dump.pid, "SIGTERM");
      await exited;
    }
  });

  test("tunnels with 16 outer source ports: every hop is the routers' choice for the outer tuple; both spines", async () => {
    const spines = new Set<string>();
    for (let sport = 50000; sport < 50016; sport++) spines.add(await traceTunnel(sport));
    assert.deepEqual([...spines].sort(), ["10.0.0.1", "10.0.1.1"]);
  });

  test("a VNI the remote VTEP does not serve: the underlay still answers, the endpoint stays silent", async () => {
    assert.ok(transport);
    const replies = await transport.probe(
      { kind: "tunnel", tunnel: tunnelOf(50100, VNI + 1) },
      { ttls: [1, 2, 3, 4], timeoutMs: 500, attempt: 1 },
    );
    assert.deepEqual(
      replies.map((r) => r.outcome),
      ["time-exceeded", "time-exceeded", "time-exceeded", "timeout"],
    );
  });

  test("an unreachable route on the spine: that spine answers host unreachable as the flow's hop 2", async () => {
    assert.ok(transport);
    const dst = "10.1.2.99";
    for (const s of ["spine1", "spine2"]) {
      assert.equal(inNs(ns(s), ["ip", "route", "add", "unreachable", `${dst}/32`]).status, 0);
    }
    // Linux sends a route's unreachable (ip_error) at most once a second per source, and not within a second of any
    // other ICMP error to that source (the two limiters share the peer's tokens): let the earlier tests' answers age.
    await new Promise((r) => setTimeout(r, 1500));
    const flow: FlowTuple = { src: H1, dst, proto: "udp", sport: 40500, dport: 33434 };
    const replies = await transport.probe(
      { kind: "flow", flow, checksum: true },
      { ttls: [1, 2], timeoutMs: 1500, attempt: 1 },
    );
    const spine = routeGetGateway(ns("leaf1"), flow, "br-hosts");
    assert.deepEqual(
      replies.map((r) => [r.ttl, r.outcome, r.responder, r.unreachableCode]),
      [
        [1, "time-exceeded", LEAF1_HOST_SIDE, undefined],
        [2, "unreachable", spine, 1],
      ],
    );
  });

  test("an nftables reject on the spine: admin-prohibited at hop 2; a round ends there, not reached", async () => {
    assert.ok(transport);
    const flow: FlowTuple = { src: H1, dst: H2, proto: "udp", sport: 40600, dport: 7777 };
    const { spine, spineName } = fabricPath(ns, flow);
    const rules = [
      "add table ip fltun",
      "add chain ip fltun pre { type filter hook prerouting priority 0 ; }",
      "add rule ip fltun pre udp dport 7777 reject with icmp type admin-prohibited",
    ].join("\n");
    const nft = spawnSync("ip", ["netns", "exec", ns(spineName), "nft", "-f", "-"], {
      input: rules,
      encoding: "utf8",
    });
    assert.equal(nft.status, 0, nft.stderr);
    const r = await probeRound({
      transport,
      target: { kind: "flow", flow, checksum: true },
      nhops: 6,
      ntry: 2,
      timeoutMs: 1000,
      knownDestinationTtl: null,
      limiter: new ProbeLimiter(systemClock, 1000),
      signal: new AbortController().signal,
    });
    assert.equal(r.destinationTtl, null);
    assert.equal(r.unreachableTtl, 2);
    assert.deepEqual(r.hopTtls, [1, 2]);
    assert.deepEqual(
      [1, 2].map((t) => [r.replies.get(t)?.outcome, r.replies.get(t)?.responder, r.replies.get(t)?.unreachableCode]),
      [
        ["time-exceeded", LEAF1_HOST_SIDE, undefined],
        ["unreachable", spine, 13],
      ],
    );
    // The same flow to another port still reaches h2 through that spine.
    const open = await transport.probe(
      { kind: "flow", flow: { ...flow, dport: 7778 }, checksum: true },
      { ttls: [2, 4], timeoutMs: 1500, attempt: 1 },
    );
    assert.deepEqual(
      open.map((x) => x.outcome),
      ["time-exceeded", "destination"],
    );
  });
});
