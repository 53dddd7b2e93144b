/**
 * The raw probe transport on the real lab: the default leaf-spine lab under a unique prefix, the probe helper run in h1
 * under `ip netns exec`, UDP and TCP flows h1 -> h2 probed at TTLs 1..6. Every hop must be the router that the kernel's
 * own `ip route get … iif …` picks for that 5-tuple, and the destination h2. Root only (gated like lab.test.ts); the
 * lab is torn down in `after`, also when a test fails. The packet-builder checks at the end need no privilege.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { labUp } from "../../src/netlab/index.ts";
import { HelperUnavailableError } from "../../src/probe/helper/errors.ts";
import { encodeUdpProbe, udpFlowChecksum } from "../../src/probe/raw/probe-packets.ts";
import { type RawTransport, createRawTransport } from "../../src/probe/raw-transport.ts";
import type { FlowTuple, ProbeReply } from "../../src/probe/transport.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { verifyUdpChecksumIpv4 } from "../../src/wire/udp.ts";
import { needsProgram } from "../helpers/requirements.ts";
import {
  H1,
  H2,
  LAB_SKIP,
  LEAF1_HOST_SIDE,
  destroyLab,
  isolateState,
  routeGetGateway,
  uniquePrefix,
} from "./lab-fixture.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SKIP = LAB_SKIP || needsProgram("cc", "gcc");

describe("raw transport on the default lab", { skip: SKIP }, () => {
  const prefix = uniquePrefix("r");
  const ns = (node: string) => `${prefix}-${node}`;
  let restoreState = () => {};
  let transport: RawTransport | null = null;

  before(async () => {
    restoreState = isolateState();
    const build = spawnSync("bash", ["scripts/build-native.sh"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
    labUp({ prefix });
    transport = await createRawTransport({ wrapper: ["ip", "netns", "exec", ns("h1")] });
  });
  after(async () => {
    try {
      await transport?.close();
    } finally {
      destroyLab(prefix);
      restoreState();
    }
  });

  /** Probes TTLs 1..6 and checks every hop against the routers' own choice for this flow. */
  async function traceAndCheck(flow: FlowTuple): Promise<string> {
    assert.ok(transport);
    const replies = await transport.probe(
      { kind: "flow", flow, checksum: true },
      { ttls: [1, 2, 3, 4, 5, 6], timeoutMs: 1500, attempt: 1 },
    );
    const spine = routeGetGateway(ns("leaf1"), flow, "br-hosts"); // spine's address on the leaf1 link
    const spineName = spine === "10.0.0.1" ? "spine1" : "spine2";
    const leaf2 = routeGetGateway(ns(spineName), flow, "leaf1"); // leaf2's address on that spine's link
    const seen = replies.map((r) => [r.ttl, r.outcome, r.responder]);
    const why = `${flow.proto} sport ${flow.sport}: ${JSON.stringify(seen)}`;
    assert.deepEqual(
      seen,
      [
        [1, "time-exceeded", LEAF1_HOST_SIDE],
        [2, "time-exceeded", spine],
        [3, "time-exceeded", leaf2],
        [4, "destination", H2],
        [5, "timeout", null],
        [6, "timeout", null],
      ],
      why,
    );
    const now = Date.now() / 1000;
    for (const r of replies.slice(0, 4) as (ProbeReply & { rttSeconds: number })[]) {
      assert.ok(r.rttSeconds >= 0 && r.rttSeconds < 1, `rtt ${r.rttSeconds} s (${why})`);
      assert.ok(r.receivedAt && Math.abs(r.receivedAt.sec + r.receivedAt.usec / 1e6 - now) < 5, why);
    }
    return spine;
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
