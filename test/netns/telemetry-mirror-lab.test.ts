/**
 * Issue 7's "Done when", in the lab: with hopd and snmpd in every router and the analyzer host an1, the agent (in h1,
 * configured with the chain `lab up` writes) traces a UDP flow h1 -> h2 started with `bw_ingress=true&mirror_type=ERSPAN
 * &mirror_dir=ingress&mirror_analyzer=10.1.1.250`. Real packets of the flow sent from h1 then show up (a) in every hop's
 * `Bandwidth_Counter`, exactly, (b) as ERSPAN II copies that tshark decodes in an1's namespace, one per packet and
 * router; every hop of the Path is filled by the router's hopd; after stop/flow no nftables state of hopd is left in any
 * router and no more mirrored packets arrive. Root only (gated); no timing assertions, only generous waits.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ANALYZER_ADDRESS, type LabState } from "../../src/netlab/index.ts";
import { stderrSays } from "../helpers/processes.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { tsharkFields } from "../helpers/tshark-fields.ts";
import {
  H1,
  H2,
  inNs,
  interfaceOf,
  LAB_ROUTERS,
  LEAF1_HOST_SIDE,
  probe,
  routeGetDevice,
  routerOf,
  routerServicesSkip,
  sendUdp,
  TestLab,
} from "./lab-fixture.ts";
import { endChild, h1h2Query, type Json, LabAgentProcess, type NsChild, spawnInNs } from "./raw-agent-fixture.ts";

const SKIP =
  routerServicesSkip() || needsProgram("nft", "nftables") || needsProgram("tcpdump") || needsProgram("tshark");

/** Packets of the flow sent between the two compared rounds, and after stop/flow. */
const N = 20;
const AFTER_STOP = 5;
/** Rounds every 15 s: room for the test to read counters and send between two rounds (checked, retried if not). */
const SFREQ = 15;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe("issue 7 done: bw_ingress and ERSPAN mirroring of a traced flow on the lab's routers", { skip: SKIP }, () => {
  const lab = new TestLab("tm");
  const ns = lab.ns;
  const flow = { proto: "udp", sport: 40321, dport: 33434 } as const;
  const tuple = h1h2Query(flow);
  /** The agent in h1, asked from inside h1 (it listens on h1's loopback). */
  const agent = new LabAgentProcess(ns("h1"));
  let state: LabState;
  let tshark: NsChild | null = null;
  let pcap = "";

  /** Sends one UDP datagram of the flow per payload from h1 (TTL 64). */
  const sendFromH1 = (payloads: string[]) => sendUdp(ns("h1"), { src: H1, dst: H2, ...flow }, payloads);

  /**
   * Test-owned counters in h1's output hook: every packet of the flow leaving h1 with TTL >= i (the packets that reach
   * the i-th router of the path: each router before it decrements the TTL once), and the test's own datagrams (TTL
   * 64; the agent's probes use TTLs up to nhops = 8). The probe helper's raw socket goes through this hook too.
   */
  const H1_TABLE = "flowlens_mirror_test";
  function installH1Counters(): void {
    const match = `ip saddr ${H1} ip daddr ${H2} udp sport ${flow.sport} udp dport ${flow.dport}`;
    const script = [
      `add table inet ${H1_TABLE}`,
      `add chain inet ${H1_TABLE} out { type filter hook output priority 0 ; policy accept ; }`,
      `add counter inet ${H1_TABLE} sent`,
      `add rule inet ${H1_TABLE} out ${match} ip ttl 64 counter name "sent"`,
      ...[1, 2, 3].flatMap((i) => [
        `add counter inet ${H1_TABLE} ttl${i}`,
        `add rule inet ${H1_TABLE} out ${match} ip ttl >= ${i} counter name "ttl${i}"`,
      ]),
    ].join("\n");
    const r = inNs(ns("h1"), ["nft", script]);
    assert.equal(r.status, 0, r.stderr);
  }
  function h1Counters(): { sent: number; ttl: number[] } {
    const out = JSON.parse(inNs(ns("h1"), ["nft", "-j", "list", "counters", "table", "inet", H1_TABLE]).stdout) as {
      nftables: { counter?: { name: string; packets: number } }[];
    };
    const get = (name: string) => out.nftables.find((e) => e.counter?.name === name)?.counter?.packets ?? Number.NaN;
    return { sent: get("sent"), ttl: [get("ttl1"), get("ttl2"), get("ttl3")] };
  }

  /** Polls data/flow until `ready(body)` holds; fails with the last answer after `ms`. */
  async function waitForPath(ready: (body: Json) => boolean, ms: number): Promise<Json> {
    const body = await agent.dataFlow(tuple, ready, ms);
    assert.ok(ready(body), `data/flow never ready: ${JSON.stringify(body).slice(0, 3000)}`);
    return body;
  }
  const complete = (b: Json) =>
    b.DestinationReached === true &&
    (b.Path ?? []).length === 3 &&
    b.Path.every((h: Json) => h.HopStatus === "OK" && typeof h.Bandwidth_Counter === "number");

  /** The nftables ruleset of a router. */
  const ruleset = (node: string) => inNs(ns(node), ["nft", "list", "ruleset"]).stdout;

  before(async () => {
    state = lab.up({ services: { snmpd: true, hopd: true }, analyzer: true });
    assert.equal((state.services ?? []).length, 8, state.warnings.join("; "));
    // ARP along the path and toward the analyzer first: a fresh lab's first datagrams wait on neighbour resolution.
    for (const [from, to] of [
      ["h1", H2],
      ["an1", H2],
      ["h1", ANALYZER_ADDRESS],
    ] as const) {
      assert.match(probe(ns(from), ["echo", to]), /echo-reply/, `${from} -> ${to}`);
    }
    installH1Counters();
    // The lab's agent configuration, with waits generous enough for a loaded machine: a hopd answer that comes late
    // (its first mirror request starts tcpdump) must not send the hop to SNMP, which has no flow counter.
    const dir = state.serviceFiles!.dir;
    const config = readFileSync(state.serviceFiles!.agentConfig, "utf8")
      .replace(/^telemetry:\n/m, "telemetry:\n  hopd-timeout: 30s\n  snmp-timeout: 5s\n")
      .concat("limits: { telemetry-timeout: 1m }\n");
    const agentConfig = join(dir, "agent-mirror-test.yaml");
    writeFileSync(agentConfig, config, { mode: 0o600 });
    pcap = join(dir, "mirror.pcapng");
    tshark = spawnInNs(ns("an1"), ["tshark", "-i", "eth0", "-f", "ip proto 47", "-w", pcap]);
    await stderrSays(tshark.proc, /Capturing on/, "tshark", 30_000);
    await agent.start(agentConfig);
  });

  after(async () => {
    try {
      await agent.stop();
      await endChild(tshark);
    } finally {
      lab.down();
    }
  });

  test("start/flow with bw_ingress and an ERSPAN mirror: Path, exact counters, mirror, clean stop", async (t) => {
    const start = await agent.get(
      `/start/flow?${tuple}&sfreq=${SFREQ}&nhops=8&timeout=3000&bw_ingress=true&mirror_type=ERSPAN&mirror_dir=ingress` +
        `&mirror_analyzer=${ANALYZER_ADDRESS}`,
    );
    assert.equal(start.code, "EOK", JSON.stringify(start));

    // Round r: every hop answered by hopd, counters and mirrors installed (the mirror starts with each hop's query).
    let first = await waitForPath(complete, 60_000);
    const why = JSON.stringify(first).slice(0, 4000);
    const hops = first.Path as Json[];
    assert.equal(hops[0].HopAddress, LEAF1_HOST_SIDE, why);
    const routers = hops.map((h) => routerOf(ns, h.HopAddress));
    hops.forEach((h, i) => {
      const router = routers[i]!;
      assert.notEqual(router, "", `no router owns ${h.HopAddress}`);
      assert.equal(h.DevName, ns(router), why);
      assert.doesNotMatch(h.DevSerialID, /^engine:/, "hopd answered, not SNMP");
      assert.ok(h.DevCPUUtil >= 0 && h.DevCPUUtil <= 100 && h.DevMEMUtil > 0 && h.DevMEMUtil <= 100, why);
      assert.ok(["PTP", "NTP", "LCPU"].includes(h.TIMESTAMP.Type), why);
      const ingress = h.IngressIFLAttribute.IFLList.map((x: Json) => x.IFLName);
      assert.deepEqual(ingress, [interfaceOf(ns(router), h.HopAddress)], why);
      const dev = routeGetDevice(ns(router), H2, H1, ingress[0], flow.sport, flow.dport);
      assert.equal(h.EgressIFLName, dev, why);
      const members = (h.EgressIFLAttribute.L3Ecmp?.IFLList ?? h.EgressIFLAttribute.IFLList).map(
        (x: Json) => x.IFLName,
      );
      assert.ok(members.includes(dev), why);
      assert.equal(Object.keys(h.IngressIFLAttribute.IFLList[0].IFLStats).length, 18, why);
    });
    assert.equal(new Set(routers).size, 3, why);

    // Between round r's counter reads and round r+1's, h1 sends N datagrams of the flow and, in round r+1, the agent's
    // probes (the flow's tuple with TTLs 1..k; the i-th router counts those with TTL >= i). Rounds are SFREQ apart
    // and a round's telemetry is read after all its probes, so everything that reaches router i between the two reads
    // left h1 between the two readings of h1's own counters below: hopd's delta must equal that exactly, N of it ours.
    // The next round starts SFREQ after this one started at the earliest (`Time` is a round's start, on the same
    // clock): when reading and sending ended later than that (a very slow machine), try again with the next round.
    let h1First = h1Counters();
    let payloads: string[] = [];
    for (let attempt = 0; ; attempt++) {
      payloads = Array.from({ length: N }, (_, i) => `mirror-lab-${attempt}-${i}`);
      sendFromH1(payloads);
      if (Date.now() < (first.Time + SFREQ) * 1000 - 500) break;
      assert.ok(attempt < 2, "three times the test could not send between two rounds");
      t.diagnostic(`attempt ${attempt}: the next round may have started while sending; again with the next round`);
      const previous = first.Time;
      first = await waitForPath((b) => complete(b) && b.Time !== previous, 60_000);
      h1First = h1Counters();
    }
    const second = await waitForPath((b) => complete(b) && b.Time !== first.Time, 60_000);
    const h1Second = h1Counters();
    assert.equal(h1Second.sent - h1First.sent, N, "h1 sent the datagrams");
    const why2 = JSON.stringify(second).slice(0, 4000);
    assert.deepEqual(
      second.Path.map((h: Json) => h.HopAddress),
      hops.map((h) => h.HopAddress),
      why2,
    );
    second.Path.forEach((h: Json, i: number) => {
      const base = first.Path[i];
      assert.equal(h.Bandwidth_ID, base.Bandwidth_ID, `${routers[i]}: the same counter (${why2})`);
      const reached = h1Second.ttl[i]! - h1First.ttl[i]!;
      const probes = reached - N;
      assert.ok(probes >= 1, `round r+1 probed router ${i + 1}`);
      assert.equal(h.Bandwidth_Counter - base.Bandwidth_Counter, N + probes, `${routers[i]} counted the flow`);
      t.diagnostic(
        `${routers[i]}: Bandwidth_Counter ${base.Bandwidth_Counter} -> ${h.Bandwidth_Counter} (${probes} probes)`,
      );
    });

    // stop/flow: hopd releases counters and mirrors; poll until no router has any nftables state of hopd left.
    assert.equal((await agent.get(`/stop/flow?${tuple}`)).code, "EOK");
    const deadline = Date.now() + 30_000;
    const leftovers = () => LAB_ROUTERS.filter((r) => /counter f\d+|counter name|comment "udp:/.test(ruleset(r)));
    while (leftovers().length > 0 && Date.now() < deadline) await sleep(250);
    assert.deepEqual(leftovers(), [], LAB_ROUTERS.map(ruleset).join("\n"));
    for (const r of LAB_ROUTERS) {
      const table = inNs(ns(r), ["nft", "-j", "list", "table", "inet", "flowlens_hopd"]);
      const objects = (JSON.parse(table.stdout || '{"nftables":[]}').nftables as Json[]).filter(
        (e) => e.rule !== undefined || e.counter !== undefined,
      );
      assert.deepEqual(objects, [], `${r}: ${table.stdout}`);
    }
    // Mirroring stopped: datagrams sent now are not mirrored by any router.
    sendFromH1(Array.from({ length: AFTER_STOP }, (_, i) => `after-stop-${i}`));
    await sleep(1500);
    await endChild(tshark, "SIGINT", 30_000);

    const fields = ["erspan.version", "erspan.spanid", "gre.sequence_number", "ip.src", "ip.dst", "ip.proto"];
    const rows = tsharkFields(pcap, fields.concat("udp.srcport", "udp.dstport", "data.data")).map(
      ([version, spanid, seq, src, dst, proto, sport, dport, data]) => {
        const [outerSrc, innerSrc] = (src ?? "").split(",");
        const [outerDst, innerDst] = (dst ?? "").split(",");
        const payload = Buffer.from(data ?? "", "hex").toString();
        return { version, spanid, seq, outerSrc, innerSrc, outerDst, innerDst, proto, sport, dport, payload };
      },
    );
    assert.ok(rows.length > 0, "the analyzer received ERSPAN packets");
    t.diagnostic(`${rows.length} ERSPAN packets at the analyzer`);
    for (const r of rows) {
      assert.equal(r.version, "1", `ERSPAN type II (version 1): ${JSON.stringify(r)}`);
      assert.equal(r.outerDst, ANALYZER_ADDRESS);
      assert.deepEqual(
        [r.innerSrc, r.innerDst, r.proto, r.sport, r.dport],
        [H1, H2, "47,17", String(flow.sport), String(flow.dport)],
        `inner packet is the flow's: ${JSON.stringify(r)}`,
      );
    }
    // Each router on the path mirrored each of the N datagrams exactly once (its ingress copy); nothing after stop.
    const routerIds = new Map(state.services!.filter((s) => s.kind === "hopd").map((s) => [s.node, s.address]));
    routers.forEach((router, i) => {
      // The counter and the mirror were both installed by the same hop query, with no packet of the flow in between,
      // and neither runs after stop/flow: the router mirrored exactly the packets it counted (probes included).
      const all = rows.filter((r) => r.outerSrc === routerIds.get(router));
      assert.equal(all.length, second.Path[i].Bandwidth_Counter, `${router}: one mirror copy per counted packet`);
      const mine = all.filter((r) => payloads.includes(r.payload));
      assert.deepEqual(
        mine.map((r) => r.payload).sort(),
        [...payloads].sort(),
        `${router} mirrored the flow's packets`,
      );
    });
    assert.deepEqual(
      rows.filter((r) => r.payload.startsWith("after-stop-")),
      [],
      "no mirror after stop/flow",
    );
    const offPath = LAB_ROUTERS.filter((r) => !routers.includes(r)).map((r) => routerIds.get(r));
    assert.deepEqual(
      rows.filter((r) => offPath.includes(r.outerSrc)),
      [],
      "routers off the path mirror nothing",
    );
  });
});
