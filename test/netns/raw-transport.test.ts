/**
 * The raw probe transport on the real lab: the default leaf-spine lab under a unique prefix, the probe helper run in h1
 * under `ip netns exec`, UDP and TCP flows h1 -> h2 probed at TTLs 1..6. Every hop must be the router that the kernel's
 * own `ip route get … iif …` picks for that 5-tuple, and the destination h2. Root only (gated like lab.test.ts); the
 * lab is torn down in `after`, also when a test fails. The packet-builder checks at the end need no privilege.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { HelperUnavailableError } from "../../src/probe/helper/errors.ts";
import { encodeUdpProbe, udpFlowChecksum } from "../../src/probe/raw/probe-packets.ts";
import { type RawTransport, createRawTransport } from "../../src/probe/raw-transport.ts";
import type { FlowTuple, ProbeReply } from "../../src/probe/transport.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { verifyUdpChecksumIpv4 } from "../../src/wire/udp.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { H1, H2, LAB_SKIP, TestLab, expectedH1H2Trace, fabricPath } from "./lab-fixture.ts";

const SKIP = LAB_SKIP || needsProgram("cc", "gcc");

describe("raw transport on the default lab", { skip: SKIP }, () => {
  const lab = new TestLab("r");
  const ns = lab.ns;
  let transport: RawTransport | null = null;

  before(async () => {
    lab.up();
    transport = await createRawTransport({ wrapper: ["ip", "netns", "exec", ns("h1")] });
  });
  after(async () => {
    try {
      await transport?.close();
    } finally {
      lab.down();
    }
  });

  /** Probes TTLs 1..6 and checks every hop against the routers' own choice for this flow. */
  async function traceAndCheck(flow: FlowTuple): Promise<string> {
    assert.ok(transport);
    const replies = await transport.probe(
      { kind: "flow", flow, checksum: true },
      { ttls: [1, 2, 3, 4, 5, 6], timeoutMs: 1500, attempt: 1 },
    );
    const path = fabricPath(ns, flow); // the spine's address on the leaf1 link, leaf2's on the spine's
    const seen = replies.map((r) => [r.ttl, r.outcome, r.responder]);
    const why = `${flow.proto} sport ${flow.sport}: ${JSON.stringify(seen)}`;
    assert.deepEqual(seen, expectedH1H2Trace(path), why);
    const now = Date.now() / 1000;
    for (const r of replies.slice(0, 4) as (ProbeReply & { rttSeconds: number })[]) {
      assert.ok(r.rttSeconds >= 0 && r.rttSeconds < 1, `rtt ${r.rttSeconds} s (${why})`);
      assert.ok(r.receivedAt && Math.abs(r.receivedAt.sec + r.receivedAt.usec / 1e6 - now) < 5, why);
    }
    return path.spine;
  }

  test("UDP flows: leaf1, the spine ip route get picks, leaf2, then h2; both spines over several ports", async () => {
    const spines = new Set<string>();
    for (let sport = 40000; sport < 40016; sport++) {
      spines.add(await traceAndCheck({ src: H1, dst: H2, proto: "udp", sport, dport: 33434 }));
    }
    assert.deepEqual([...spines].sort(), ["10.0.0.1", "10.0.1.1"]);
  });

  test("TCP flows: ACK probes, the destination answers with RST", async () => {
    const spines = new Set<string>();
    for (let sport = 50000; sport < 50016; sport++) {
      spines.add(await traceAndCheck({ src: H1, dst: H2, proto: "tcp", sport, dport: 8080 }));
    }
    assert.deepEqual([...spines].sort(), ["10.0.0.1", "10.0.1.1"]);
  });

  test("concurrent UDP and TCP flows each get their own answers, matched by IP ID and ports", async () => {
    const flows: FlowTuple[] = [];
    for (let i = 0; i < 6; i++) {
      flows.push({ src: H1, dst: H2, proto: i % 2 ? "tcp" : "udp", sport: 42000 + i, dport: 33434 + (i % 3) });
    }
    await Promise.all(flows.map((f) => traceAndCheck(f)));
  });

  test("UDP without checksum still traces; an aborted batch resolves as timeouts; a tunnel's underlay answers", async () => {
    assert.ok(transport);
    const flow: FlowTuple = { src: H1, dst: H2, proto: "udp", sport: 41000, dport: 33434 };
    const plain = await transport.probe(
      { kind: "flow", flow, checksum: false },
      { ttls: [1, 4], timeoutMs: 1500, attempt: 2 },
    );
    assert.deepEqual(
      plain.map((r) => r.outcome),
      ["time-exceeded", "destination"],
    );
    const aborted = await transport.probe(
      { kind: "flow", flow, checksum: true },
      { ttls: [1, 2], timeoutMs: 1500, attempt: 1, signal: AbortSignal.abort() },
    );
    assert.deepEqual(
      aborted.map((r) => r.outcome),
      ["timeout", "timeout"],
    );
    const tunnel = await transport.probe(
      {
        kind: "tunnel",
        tunnel: {
          src: H1,
          dst: H2,
          sport: 40000,
          vnid: 100,
          appsrc: "10.2.0.1",
          appdst: "10.2.0.2",
          appsmac: "02:00:00:00:00:01",
          appdmac: "02:00:00:00:00:02",
        },
      },
      { ttls: [1, 2], timeoutMs: 1500, attempt: 1 },
    );
    // VXLAN probes (test/netns/tunnel-trace.test.ts traces them fully): the underlay routers answer the outer header.
    assert.deepEqual(
      tunnel.map((r) => r.outcome),
      ["time-exceeded", "time-exceeded"],
    );
  });
});

describe("raw transport without privilege or lab", () => {
  test("a missing helper is reported as unavailable with its clear error", async () => {
    await assert.rejects(
      createRawTransport({ helperPath: "/nonexistent/flowlens-probe" }),
      (e: unknown) =>
        e instanceof HelperUnavailableError &&
        e.code === "ERR_PROBE_HELPER_UNAVAILABLE" &&
        /build-native/.test(e.message),
    );
  });

  test("UDP probes of one flow hold one valid checksum whatever their TTL and identity", () => {
    const src = ipv4FromString(H1);
    const dst = ipv4FromString(H2);
    const held = udpFlowChecksum(src, dst, 40000, 33434);
    for (const [ttl, identification] of [
      [1, 1],
      [2, 777],
      [9, 65535],
    ] as const) {
      const p = encodeUdpProbe({
        srcAddr: src,
        dstAddr: dst,
        srcPort: 40000,
        dstPort: 33434,
        ttl,
        identification,
        attempt: 1,
        checksum: held,
      });
      assert.equal((p[26] << 8) | p[27], held);
      assert.ok(verifyUdpChecksumIpv4(p, 20, src, dst));
      assert.equal((p[4] << 8) | p[5], identification);
      assert.equal(p[8], ttl);
      const zero = encodeUdpProbe({
        srcAddr: src,
        dstAddr: dst,
        srcPort: 40000,
        dstPort: 33434,
        ttl,
        identification,
        attempt: 1,
        checksum: null,
      });
      assert.equal((zero[26] << 8) | zero[27], 0);
    }
  });
});
