/**
 * The path proof of issue 6 ("Tests"): for 20 random 5-tuples from h1 to h2 in the default lab (10 TCP, 10 UDP, random
 * source and destination ports), the hop sequence the agent reports (start/flow + data/flow, raw transport, helper in
 * h1) equals, independently of flowlens:
 * (a) the path real packets of that tuple take: python3 in h1 sends 3 UDP datagrams / 3 TCP SYNs with the exact tuple,
 *     and per-tuple nftables counters (one per ingress interface, forward hook, a table of our own in every router)
 *     show which routers they crossed and where they came in; every counter on the path moved by at least 3, none
 *     elsewhere;
 * (b) the routers' own forwarding decisions, `ip route get H2 from H1 iif IN ipproto P sport S dport D` walked from
 *     leaf1 to the leaf with the connected route;
 * (c) for the UDP tuples, scamper's `trace -P udp-paris -s SPORT -d DPORT`, whose probes are shown to carry the exact
 *     tuple by the same counters (they moved again on the path, and only there).
 * The agent's own probes are checked by the counters the same way (carrying the tuple, they cross the same routers),
 * and the 20 paths must use both spines. The tuples are in the test names so a failure can be replayed. Root only; the
 * agent and the lab (namespaces and every process in them, by PID) are removed in `after`, also when a test fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningRawAgent } from "../../src/cli/daemon/raw-agent.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { H1, H2, LAB_SKIP, TestLab, labNamespaces } from "./lab-fixture.ts";
import {
  type CounterSnapshot,
  type ProofTuple,
  type RouterPort,
  chainPath,
  installCounters,
  movedPorts,
  randomTuples,
  routeGetPath,
  routerAddresses,
  routerInterfaces,
  scamperPath,
  sendRealPackets,
  snapshotCounters,
} from "./path-proof-fixture.ts";
import { type Json, agentGetter, h1h2Query, startLabRawAgent } from "./raw-agent-fixture.ts";

const SKIP =
  LAB_SKIP || needsProgram("cc", "gcc") || needsProgram("nft", "nftables") || needsProgram("scamper", "scamper");
const ROUTERS = ["leaf1", "leaf2", "spine1", "spine2"] as const;
/** Real packets sent per tuple. */
const REAL_PACKETS = 3;
/** Where every h1 -> h2 packet enters the fabric: leaf1's bridge of h1's segment. */
const ENTRY: RouterPort = { router: "leaf1", ifname: "br-hosts" };

const taken = new Set<string>();
const TUPLES: ProofTuple[] = [...randomTuples("tcp", 10, taken), ...randomTuples("udp", 10, taken)];

const describeTuple = (t: ProofTuple) => `${t.proto} ${H1}:${t.sport} -> ${H2}:${t.dport}`;
const query = h1h2Query;

describe("path proof: the agent's hops are the path real packets take (20 random tuples)", { skip: SKIP }, () => {
  const lab = new TestLab("p");
  const prefix = lab.prefix;
  let agent: RunningRawAgent | null = null;
  let addresses = new Map<string, RouterPort>();
  let beforeReal: CounterSnapshot = new Map();
  let afterReal: CounterSnapshot = new Map();
  let afterAgent: CounterSnapshot = new Map();
  const agentPaths = new Map<number, Json>();
  const get = agentGetter(() => agent);

  /** Starts every tuple's trace and waits until each has a round that reached h2 with every hop answering (15 s). */
  async function traceAll(): Promise<void> {
    for (const t of TUPLES) {
      const started = await get(`/start/flow?${query(t)}&nhops=8&ntry=3&timeout=1000`);
      assert.equal(started.code, "EOK", JSON.stringify(started));
    }
    const deadline = Date.now() + 15_000;
    while (agentPaths.size < TUPLES.length && Date.now() < deadline) {
      for (const [i, t] of TUPLES.entries()) {
        if (agentPaths.has(i)) continue;
        const body = await get(`/data/flow?${query(t)}`);
        // A round where every hop answered (under load a single answer may miss its 1 s timeout; rounds repeat).
        const answered = ((body.Path ?? []) as Json[]).every((h) => typeof h.HopAddress === "string");
        if (body.DestinationReached === true && answered) agentPaths.set(i, body);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const t of TUPLES) await get(`/stop/flow?${query(t)}`);
  }

  before(async () => {
    lab.up();
    addresses = routerAddresses(prefix, ROUTERS);
    for (const r of ROUTERS) installCounters(`${prefix}-${r}`, routerInterfaces(addresses, r), H1, H2, TUPLES);
    beforeReal = snapshotCounters(prefix, ROUTERS);
    sendRealPackets(`${prefix}-h1`, H1, H2, TUPLES, REAL_PACKETS);
    afterReal = snapshotCounters(prefix, ROUTERS);
    agent = await startLabRawAgent(`${prefix}-h1`);
    await traceAll();
    afterAgent = snapshotCounters(prefix, ROUTERS);
  });

  after(async () => {
    try {
      await agent?.stop();
    } finally {
      lab.down();
    }
    assert.deepEqual(labNamespaces(prefix), [], "lab namespaces left behind");
  });

  /** The agent's hop addresses for tuple `i`, from a round that reached h2 with every hop answering. */
  function agentHops(i: number): (string | null)[] {
    const path = agentPaths.get(i);
    assert.ok(path, `no round of ${describeTuple(TUPLES[i]!)} reached ${H2} with every hop answering within 15 s`);
    return ((path.Path ?? []) as Json[]).map((h) => (typeof h.HopAddress === "string" ? h.HopAddress : null));
  }

  /** The path tuple `i`'s real packets took, from the counters. */
  function countedPath(i: number): string[] {
    const { moved, partial } = movedPorts(beforeReal, afterReal, addresses, i, REAL_PACKETS);
    const where = JSON.stringify({ moved, partial });
    assert.deepEqual(partial, [], `counters that saw only some of the ${REAL_PACKETS} packets: ${where}`);
    const path = chainPath(moved, addresses, ENTRY.ifname);
    assert.ok(path !== null, `the moved counters do not form one path from leaf1: ${where}`);
    return path;
  }

  for (const [i, tuple] of TUPLES.entries()) {
    const oracles = `nftables counters = ip route get${tuple.proto === "udp" ? " = scamper udp-paris" : ""}`;
    test(`${describeTuple(tuple)}: agent = ${oracles}`, () => {
      const counted = countedPath(i);
      const routed = routeGetPath(prefix, addresses, ENTRY, H1, H2, tuple);
      assert.equal(counted.length, 3, `a leaf, a spine, a leaf: ${counted}`);
      assert.deepEqual(counted, routed, "counters against ip route get");
      assert.deepEqual(agentHops(i), counted, "agent against the counters");
      // The agent's own probes (TTL >= 2) moved this tuple's counters on the same routers, and nowhere else.
      const byAgent = movedPorts(afterReal, afterAgent, addresses, i, 1);
      const agentProbed = chainPath([...byAgent.moved, ...byAgent.partial], addresses, ENTRY.ifname);
      assert.deepEqual(agentProbed, counted, "the agent's probes by the counters");
      if (tuple.proto !== "udp") return;
      const beforeScamper = snapshotCounters(prefix, ROUTERS);
      const traced = scamperPath(`${prefix}-h1`, H2, tuple);
      const afterScamper = snapshotCounters(prefix, ROUTERS);
      assert.equal(traced.reached, true, `scamper did not reach ${H2}: ${JSON.stringify(traced)}`);
      assert.deepEqual(traced.hops, counted, "scamper against the counters");
      // scamper's probes carried this exact tuple: its counters moved on the same routers (TTL >= 2), nowhere else.
      const byScamper = movedPorts(beforeScamper, afterScamper, addresses, i, 1);
      const scamperProbed = chainPath([...byScamper.moved, ...byScamper.partial], addresses, ENTRY.ifname);
      assert.deepEqual(scamperProbed, counted, "scamper's probes by the counters");
    });
  }

  test("the 20 tuples spread over both spines (ECMP really chose)", () => {
    const spines = new Set(TUPLES.map((_, i) => agentHops(i)[1]));
    assert.equal(spines.size, 2, `second hops: ${[...spines]}`);
  });
});
