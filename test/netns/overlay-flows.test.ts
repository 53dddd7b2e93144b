/**
 * Overlay sniffing for list/flow on the real lab (issue 6): the agent on the raw transport in h1 (its helper under
 * `ip netns exec`, capturing VXLAN on h1's underlay), real overlay traffic between the h1 and h2 VTEPs (a UDP flow and a
 * TCP connection through `vxlan0`), then list/flow must report each as an 11-value PORTS tuple: outer destination port
 * 4789 and the outer source port `tcpdump` saw for that inner flow, VNI 100, the VMs' MACs (the `vxlan0` addresses),
 * addresses, protocol and ports, in both directions for TCP. The UDP flow's tunnel is then traced with start/tunnel
 * and data/tunnel over the routers `ip route get` names for its outer tuple. Root only; the agent, the traffic
 * programs and the lab are removed in `after`, also when a test fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningRawAgent } from "../../src/cli/daemon/raw-agent.ts";
import { waitFor } from "../helpers/processes.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { fabricPath, H1, H2, inNs, LAB_SKIP, LEAF1_HOST_SIDE, TestLab, vxlanMacs } from "./lab-fixture.ts";
import {
  agentGetter,
  type Json,
  type NsChild,
  pollUntil,
  spawnInNs,
  startLabRawAgent,
  stopChild,
} from "./raw-agent-fixture.ts";

const SKIP = LAB_SKIP || needsProgram("cc", "gcc") || needsProgram("tcpdump");

describe("overlay flows in list/flow on the default lab", { skip: SKIP }, () => {
  const lab = new TestLab("o");
  const ns = lab.ns;
  let agent: RunningRawAgent | null = null;
  const children: NsChild[] = [];
  let macs = { h1: "", h2: "" };
  /** Outer source port of each inner flow, `proto vmsip:vmsport>vmdip:vmdport`, as tcpdump saw it on h1's eth0. */
  const outerPorts = new Map<string, number>();
  const get = agentGetter(() => agent);

  before(async () => {
    lab.up();
    macs = vxlanMacs(ns);
    agent = await startLabRawAgent(ns("h1"));
    assert.ok(agent.transport.helper.ready.capture, "the helper opened no AF_PACKET socket");
    // The oracle: every VXLAN packet on h1's underlay, outer and inner headers, as tcpdump decodes them.
    const dump = spawnInNs(ns("h1"), ["tcpdump", "-i", "eth0", "-nn", "-l", "-c", "400", "udp", "port", "4789"]);
    children.push(dump);
    await waitFor("tcpdump listening", () => /listening on/.test(dump.out()), 20_000);
    const server = spawnInNs(ns("h2"), [
      "python3",
      "-c",
      "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('10.2.0.2',9001));s.listen(1);print('ready',flush=True);c,_=s.accept();n=0\nwhile True:\n  d=c.recv(65536)\n  if not d: break\n  n+=len(d)\nprint(n)",
    ]);
    children.push(server);
    await waitFor("the TCP server listening", () => server.out().startsWith("ready"), 20_000);
    const traffic = inNs(ns("h1"), [
      "python3",
      "-c",
      [
        "import socket,time",
        "u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);u.bind(('10.2.0.1',41504))",
        "for i in range(20): u.sendto(b'overlay',('10.2.0.2',9000)); time.sleep(0.01)",
        "t=socket.create_connection(('10.2.0.2',9001),timeout=5,source_address=('10.2.0.1',45001))",
        "for i in range(20): t.sendall(b'x'*100); time.sleep(0.01)",
        "t.close()",
      ].join("\n"),
    ]);
    assert.equal(traffic.status, 0, traffic.stderr);
    assert.equal((await server.done).trim().split("\n").at(-1), "2000");
    await new Promise((r) => setTimeout(r, 500));
    stopChild(dump);
    const out = await dump.done;
    // "IP 10.1.1.11.54321 > 10.1.2.11.4789: VXLAN, flags [I] (0x08), vni 100\nIP 10.2.0.1.41504 > 10.2.0.2.9000: UDP"
    const re = /IP (\S+)\.(\d+) > (\S+)\.4789: VXLAN[^\n]*vni (\d+)\s+IP (\S+)\.(\d+) > (\S+)\.(\d+): (UDP|Flags)/g;
    for (const m of out.matchAll(re)) {
      const proto = m[9] === "UDP" ? "udp" : "tcp";
      outerPorts.set(`${proto} ${m[5]}:${m[6]}>${m[7]}:${m[8]}`, Number(m[2]));
    }
    assert.ok(outerPorts.size >= 3, `tcpdump output not understood:\n${out.slice(0, 2000)}`);
  });
  after(async () => {
    try {
      await agent?.stop();
    } finally {
      for (const c of children) stopChild(c);
      lab.down();
    }
  });

  /** The PORTS tuples of the list/flow group `sip -> dip` UDP. */
  async function overlayTuples(sip: string, dip: string): Promise<Json[]> {
    const body = await get("/list/flow?active=True");
    const group = (body.FLOWS as Json[]).find((g) => g.SIP === sip && g.DIP === dip && g.PROTO === "UDP");
    return (group?.PORTS ?? []) as Json[];
  }

  test("a UDP flow between the VMs is listed with its 11-value tuple and the outer port the kernel chose", async () => {
    const tuples = await overlayTuples(H1, H2);
    const mine = tuples.filter((t) => t.length === 11 && t[6] === "10.2.0.1" && t[9] === 41504);
    assert.equal(mine.length, 1, JSON.stringify(tuples));
    const t = mine[0]!;
    const outer = outerPorts.get("udp 10.2.0.1:41504>10.2.0.2:9000");
    assert.ok(outer !== undefined);
    assert.deepEqual(t.slice(1), [4789, outer, 100, macs.h1, macs.h2, "10.2.0.1", "10.2.0.2", "UDP", 41504, 9000]);
    assert.ok(Math.abs(t[0] - Date.now() / 1000) < 60, `timestamp ${t[0]}`);
  });

  test("a TCP connection between the VMs is listed in both directions", async () => {
    const out = (await overlayTuples(H1, H2)).filter((t) => t[8] === "TCP");
    const back = (await overlayTuples(H2, H1)).filter((t) => t[8] === "TCP");
    const forward = outerPorts.get("tcp 10.2.0.1:45001>10.2.0.2:9001");
    const reverse = outerPorts.get("tcp 10.2.0.2:9001>10.2.0.1:45001");
    assert.deepEqual(
      out.map((t) => t.slice(1)),
      [[4789, forward, 100, macs.h1, macs.h2, "10.2.0.1", "10.2.0.2", "TCP", 45001, 9001]],
    );
    assert.deepEqual(
      back.map((t) => t.slice(1)),
      [[4789, reverse, 100, macs.h2, macs.h1, "10.2.0.2", "10.2.0.1", "TCP", 9001, 45001]],
    );
  });

  test("the listed UDP flow's tunnel traced with start/tunnel: the routers ip route get picks for its outer tuple", async () => {
    const t = (await overlayTuples(H1, H2)).find((x) => x[9] === 41504)!;
    const q = `src=${H1}&dst=${H2}&sport=${t[2]}&vnid=${t[3]}&appsrc=${t[6]}&appdst=${t[7]}`;
    const started = await get(`/start/tunnel?${q}&appsmac=${t[4]}&appdmac=${t[5]}&nhops=8&timeout=2`);
    assert.equal(started.code, "EOK", JSON.stringify(started));
    try {
      const path = await pollUntil(get, `/data/tunnel?${q}`, (b) => b.DestinationReached === true);
      const outer = { src: H1, dst: H2, proto: "udp" as const, sport: t[2] as number, dport: 4789 };
      const { spine, leaf2 } = fabricPath(ns, outer);
      const why = JSON.stringify(path);
      assert.equal(path.DestinationReached, true, why);
      assert.deepEqual(
        (path.Path as Json[]).map((h) => [h.HOP, h.HopAddress]),
        [
          [1, LEAF1_HOST_SIDE],
          [2, spine],
          [3, leaf2],
        ],
        why,
      );
      // The agent's own tunnel probes are not overlay flows of list/flow.
      const probes = (await overlayTuples(H1, H2)).filter((x) => x[10] === 33434);
      assert.deepEqual(probes, []);
    } finally {
      assert.equal((await get(`/stop/tunnel?${q}`)).code, "EOK");
    }
  });
});
