/**
 * hopd on the real lab: the default leaf-spine lab under a unique prefix, `flowlens hopd` started in leaf1's namespace
 * with the exact command line the lab uses (`node bin/flowlens.js hopd --host <router-id> --port 9090 --token-file F`),
 * asked from h1 (the test process cannot reach lab addresses, so requests run in h1 through test/hopd/lab-client.ts).
 * Checks hopd's figures against /sys and `ip route get` in leaf1, the flow counter against N real packets sent from
 * h1, ERSPAN mirroring against tshark in h2's namespace (an extra analyzer address there), the HopdProvider against the
 * running hopd, and that no nftables state is left after release and after hopd stops. Root only.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stderrSays } from "../helpers/processes.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { tsharkFields } from "../helpers/tshark-fields.ts";
import { H1, H2, inNs, LAB_SKIP, LEAF1_HOST_SIDE, probe, routeGetDevice, TestLab } from "./lab-fixture.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLIENT = new URL("../hopd/lab-client.ts", import.meta.url).pathname;
const SKIP =
  LAB_SKIP ||
  needsProgram("nft", "nftables") ||
  needsProgram("tcpdump") ||
  needsProgram("tshark") ||
  needsProgram("cc", "gcc");

const TOKEN = "lab-token-0123456789";
const LEAF1_ID = "10.255.1.1";
const HOPD = `http://${LEAF1_ID}:9090`;
const ANALYZER = "10.1.2.200";

type Flow = { src: string; dst: string; proto: "udp"; sport: number; dport: number };
const flowOf = (sport: number): Flow => ({ src: H1, dst: H2, proto: "udp", sport, dport: 33434 });
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies are walked dynamically by the assertions.
type Json = any;

const targetOf = (flow: Flow) => ({ kind: "flow", flow, checksum: true });

describe("hopd in a lab router", { skip: SKIP }, () => {
  const lab = new TestLab("hd");
  const ns = lab.ns;
  let dir = "";
  let hopd: ChildProcess | null = null;
  let hopdExit: Promise<number | null> | null = null;

  /** Runs lab-client steps inside h1. */
  function client(steps: unknown[]): { status?: number; body?: Json; value?: Json; error?: Json }[] {
    const r = spawnSync(
      "ip",
      ["netns", "exec", ns("h1"), process.execPath, "--import", "tsx", CLIENT, JSON.stringify(steps)],
      { cwd: ROOT, encoding: "utf8", timeout: 30_000 },
    );
    assert.equal(r.status, 0, `lab client failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  }
  const http = (method: string, path: string, body?: unknown, token: string | null = TOKEN) => ({
    http: {
      url: `${HOPD}${path}`,
      method,
      ...(token === null ? {} : { token }),
      ...(body === undefined ? {} : { body }),
    },
  });

  /** Sends `payloads` as UDP datagrams of `flow` from h1. */
  function sendFromH1(flow: Flow, payloads: string[]): void {
    const py = [
      "import socket,sys,json,time",
      "f=json.loads(sys.argv[1]); p=json.loads(sys.argv[2])",
      "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((f['src'],f['sport']))",
      "for x in p:",
      "  s.sendto(x.encode(),(f['dst'],f['dport'])); time.sleep(0.002)",
    ].join("\n");
    const r = inNs(ns("h1"), ["python3", "-c", py, JSON.stringify(flow), JSON.stringify(payloads)]);
    assert.equal(r.status, 0, r.stderr);
  }

  const nftRuleset = () => inNs(ns("leaf1"), ["nft", "list", "ruleset"]).stdout;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-hopd-lab-"));
    lab.up();
    // Resolve ARP along the path first, so every test datagram goes out at once.
    assert.match(probe(ns("h1"), ["echo", H2]), /echo-reply/);
    // Stale state of an earlier run, which hopd must clear at start.
    const stale = inNs(ns("leaf1"), ["nft", "add table inet flowlens_hopd; add counter inet flowlens_hopd stale"]);
    assert.equal(stale.status, 0, stale.stderr);
    writeFileSync(join(dir, "token"), `${TOKEN}\n`);
    const child = spawn(
      "ip",
      ["netns", "exec", ns("leaf1"), process.execPath, join(ROOT, "bin/flowlens.js"), "hopd"].concat([
        "--host",
        LEAF1_ID,
        "--port",
        "9090",
        "--token-file",
        join(dir, "token"),
      ]),
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FLOWLENS_FROM_SOURCE: "1" } },
    );
    hopd = child;
    hopdExit = new Promise((resolve) => child.on("close", (code) => resolve(code)));
    child.stdout?.resume();
    await stderrSays(child, /API on /, "hopd", 30_000);
  });

  after(async () => {
    try {
      if (hopd?.pid !== undefined && hopd.exitCode === null) {
        process.kill(hopd.pid, "SIGTERM");
        await hopdExit;
      }
    } finally {
      lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("stale nftables state is cleared at start; requests need the token", () => {
    assert.doesNotMatch(nftRuleset(), /stale/);
    const [noToken, wrong, ok] = client([
      http("GET", "/v1/device", undefined, null),
      http("GET", "/v1/device", undefined, "wrong"),
      http("GET", "/v1/device"),
    ]);
    assert.equal(noToken!.status, 401);
    assert.equal(noToken!.body.error.code, "ERR_HOPD_UNAUTHORIZED");
    assert.equal(wrong!.status, 401);
    assert.equal(ok!.status, 200);
  });

  test("device and interface figures match the router's /proc, /sys and namespace", () => {
    const readSys = (ifname: string, file: string) =>
      Number(inNs(ns("leaf1"), ["cat", `/sys/class/net/${ifname}/statistics/${file}`]).stdout);
    const before = { rx: readSys("spine1", "rx_packets"), tx: readSys("spine1", "tx_bytes") };
    const [device, interfaces] = client([http("GET", "/v1/device"), http("GET", "/v1/interfaces")]);
    const afterSys = { rx: readSys("spine1", "rx_packets"), tx: readSys("spine1", "tx_bytes") };
    assert.equal(device!.body.devName, ns("leaf1"));
    const machineId = inNs(ns("leaf1"), ["cat", "/etc/machine-id"]).stdout;
    assert.equal(device!.body.devSerialId, `${machineId}:${ns("leaf1")}`);
    assert.ok(device!.body.cpuUtil >= 0 && device!.body.cpuUtil <= 100);
    assert.ok(device!.body.memUtil > 0 && device!.body.memUtil <= 100);
    assert.ok(["PTP", "NTP", "LCPU"].includes(device!.body.timestampType));
    const names = interfaces!.body.interfaces.map((i: { name: string }) => i.name).sort();
    assert.deepEqual(names, ["br-hosts", "h1", "lo", "spine1", "spine2"]);
    const spine1 = interfaces!.body.interfaces.find((i: { name: string }) => i.name === "spine1").counters;
    assert.ok(before.rx <= spine1.rxPkts && spine1.rxPkts <= afterSys.rx, `rx ${JSON.stringify(spine1)}`);
    assert.ok(before.tx <= spine1.txBytes && spine1.txBytes <= afterSys.tx);
  });

  test("a flow's ingress, egress and ECMP group are the kernel's", () => {
    const sports = [40001, 40002, 40003, 40004, 40005, 40006];
    const answers = client(
      sports.map((sport) => http("POST", "/v1/hop", { target: targetOf(flowOf(sport)), responder: LEAF1_HOST_SIDE })),
    );
    const chosen = new Set<string>();
    answers.forEach((a, i) => {
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const truth = routeGetDevice(ns("leaf1"), H2, H1, "br-hosts", sports[i]!, 33434);
      assert.equal(a.body.egress.chosen, truth, `sport ${sports[i]}`);
      assert.equal(a.body.ingress[0].name, "br-hosts");
      assert.deepEqual(a.body.egress.members.map((m: { name: string }) => m.name).sort(), ["spine1", "spine2"]);
      assert.equal(a.body.egress.numBuckets, 2);
      assert.deepEqual(a.body.egress.l2Ecmp, []);
      chosen.add(a.body.egress.chosen);
    });
    const [unknown] = client([http("POST", "/v1/hop", { target: targetOf(flowOf(40001)), responder: "10.9.9.9" })]);
    assert.equal(unknown!.status, 404);
    assert.equal(unknown!.body.error.code, "ERR_HOPD_UNKNOWN_ADDRESS");
    const [bad] = client([http("POST", "/v1/hop", { target: { kind: "flow" }, responder: LEAF1_HOST_SIDE })]);
    assert.equal(bad!.status, 400);
  });

  test("bw_ingress counts exactly the flow's packets and release leaves no nftables state", () => {
    const flow = flowOf(41000);
    const ask = http("POST", "/v1/hop", { target: targetOf(flow), responder: LEAF1_HOST_SIDE, bwIngress: true });
    const [first] = client([ask]);
    assert.equal(first!.status, 200, JSON.stringify(first!.body));
    assert.equal(first!.body.bandwidth.counter, 0);
    sendFromH1(
      flow,
      Array.from({ length: 25 }, (_, i) => `bw-${i}`),
    );
    sendFromH1(flowOf(41001), ["other flow"]); // another flow: not counted
    const [second] = client([ask]);
    assert.equal(second!.body.bandwidth.counter, 25);
    assert.equal(second!.body.bandwidth.id, first!.body.bandwidth.id);
    assert.match(nftRuleset(), /counter name "f\d+"/);
    const [released, again] = client([http("POST", "/v1/release", { target: targetOf(flow) }), ask]);
    assert.equal(released!.status, 200);
    assert.equal(again!.body.bandwidth.counter, 0);
    assert.notEqual(again!.body.bandwidth.id, first!.body.bandwidth.id, "a reinstalled counter has a new id");
    client([http("POST", "/v1/release", { target: targetOf(flow) })]);
    const left = nftRuleset();
    assert.doesNotMatch(left, /counter f\d+|counter name/, left);
  });

  test("ERSPAN mirror: tshark at the analyzer decodes exactly the flow's packets", async () => {
    assert.equal(inNs(ns("h2"), ["ip", "addr", "add", `${ANALYZER}/24`, "dev", "eth0"]).status, 0);
    const pcap = join(dir, "mirror.pcapng");
    const tshark = spawn("ip", ["netns", "exec", ns("h2"), "tshark", "-i", "eth0", "-f", "ip proto 47", "-w", pcap], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const tsharkExit = new Promise((resolve) => tshark.on("close", resolve));
    await stderrSays(tshark, /Capturing on/, "tshark", 20_000);
    const ingressFlow = flowOf(42000);
    const bothFlow = flowOf(42002);
    const mirrorOf = (direction: string) => ({ type: "ERSPAN", direction, analyzer: ANALYZER });
    const [ingress, both] = client([
      http("POST", "/v1/mirror", {
        target: targetOf(ingressFlow),
        responder: LEAF1_HOST_SIDE,
        mirror: mirrorOf("ingress"),
      }),
      http("POST", "/v1/mirror", { target: targetOf(bothFlow), responder: LEAF1_HOST_SIDE, mirror: mirrorOf("both") }),
    ]);
    assert.equal(ingress!.status, 200, JSON.stringify(ingress!.body));
    assert.equal(both!.status, 200, JSON.stringify(both!.body));
    assert.notEqual(ingress!.body.sessionId, both!.body.sessionId);
    const egressDev = routeGetDevice(ns("leaf1"), H2, H1, "br-hosts", bothFlow.sport, bothFlow.dport);
    assert.deepEqual(both!.body.interfaces, ["br-hosts:in", `${egressDev}:out`]);
    const payloads = Array.from({ length: 12 }, (_, i) => `mirror-${i}`);
    const bothPayloads = Array.from({ length: 5 }, (_, i) => `both-${i}`);
    sendFromH1(ingressFlow, payloads);
    sendFromH1(bothFlow, bothPayloads);
    sendFromH1(flowOf(42001), ["not mirrored"]);
    const expected = [2 * bothPayloads.length, payloads.length];
    let packets: number[] = [];
    for (let i = 0; i < 100 && packets.join() !== expected.join(); i++) {
      await new Promise((r) => setTimeout(r, 100));
      const [sessions] = client([http("GET", "/v1/sessions")]);
      packets = sessions!.body.mirrors.map((m: { packets: number }) => m.packets).sort((a: number, b: number) => a - b);
    }
    assert.deepEqual(packets, expected);
    client([
      http("POST", "/v1/release", { target: targetOf(ingressFlow) }),
      http("POST", "/v1/release", { target: targetOf(bothFlow) }),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(tshark.pid!, "SIGINT");
    await tsharkExit;
    const fields = ["erspan.version", "erspan.spanid", "erspan.index", "gre.sequence_number", "ip.src", "ip.dst"];
    const rows = tsharkFields(pcap, fields.concat("udp.srcport", "udp.dstport", "data.data")).map(
      ([version, spanid, index, seq, src, dst, sport, dport, data]) => ({
        version,
        spanid: Number(spanid),
        index: Number(index),
        seq: Number(seq),
        src,
        dst,
        sport,
        dport,
        data,
      }),
    );
    const ifindex = (name: string) =>
      (JSON.parse(inNs(ns("leaf1"), ["ip", "-j", "link", "show", name]).stdout) as { ifindex: number }[])[0]!.ifindex;
    for (const r of rows) {
      assert.equal(r.version, "1", "ERSPAN type II (version 1)");
      assert.equal(r.src, `${LEAF1_ID},${H1}`);
      assert.equal(r.dst, `${ANALYZER},${H2}`);
      assert.equal(r.dport, "33434");
    }
    const ingressRows = rows.filter((r) => r.sport === String(ingressFlow.sport));
    assert.deepEqual(
      ingressRows.map((r) => [r.spanid, r.index, r.seq, Buffer.from(r.data!, "hex").toString()]),
      payloads.map((p, i) => [ingress!.body.sessionId, ifindex("br-hosts"), i, p]),
      "the flow's packets, in order, sequence numbers from 0",
    );
    const bothRows = rows.filter((r) => r.sport === String(bothFlow.sport));
    assert.equal(bothRows.length, 2 * bothPayloads.length, JSON.stringify(rows));
    assert.deepEqual(
      bothRows.map((r) => r.seq).sort((a, b) => a - b),
      Array.from({ length: 2 * bothPayloads.length }, (_, i) => i),
    );
    for (const [index, name] of [
      [ifindex("br-hosts"), "ingress"],
      [ifindex(egressDev), "egress"],
    ] as const) {
      const seen = bothRows.filter((r) => r.index === index).map((r) => Buffer.from(r.data!, "hex").toString());
      assert.deepEqual(seen, bothPayloads, `${name} copies`);
    }
    assert.equal(rows.length, ingressRows.length + bothRows.length, "nothing else was mirrored");
    const pids = inNs(ns("leaf1"), [
      "sh",
      "-c",
      "ps -o comm= -p $(ip netns pids $(ip netns identify $$) | tr '\\n' ' ')",
    ]);
    assert.match(pids.stdout, /node/, "hopd itself is listed");
    assert.doesNotMatch(pids.stdout, /tcpdump/, "the captures are gone after release");
  });

  test("HopdProvider against the lab's hopd", () => {
    const routers = [{ match: LEAF1_HOST_SIDE, url: HOPD, token: TOKEN }];
    const flow = flowOf(43000);
    const target = targetOf(flow);
    const query = { responder: LEAF1_HOST_SIDE, target, bwIngress: true };
    const [hop, unmatched, mirror, sessions, release, afterRelease, unreachable] = client([
      { provider: { routers, call: "hop", args: [query] } },
      { provider: { routers, keep: true, call: "hop", args: [{ ...query, responder: "10.0.0.1" }] } },
      {
        provider: {
          routers,
          keep: true,
          call: "startMirror",
          args: [target, { type: "ERSPAN", direction: "both", analyzer: ANALYZER }],
        },
      },
      http("GET", "/v1/sessions"),
      { provider: { routers, keep: true, call: "release", args: [target] } },
      http("GET", "/v1/sessions"),
      {
        provider: {
          routers: [{ match: "10.1.1.0/24", url: `http://${LEAF1_ID}:9091`, token: TOKEN }],
          timeoutMs: 2000,
          call: "hop",
          args: [query],
        },
      },
    ]);
    const truth = routeGetDevice(ns("leaf1"), H2, H1, "br-hosts", flow.sport, flow.dport);
    assert.equal(hop!.value.egress.chosen, truth);
    assert.equal(hop!.value.ingress[0].name, "br-hosts");
    assert.equal(hop!.value.devName, ns("leaf1"));
    assert.equal(hop!.value.bandwidth.counter, 0);
    assert.equal(unmatched!.value, null);
    assert.equal(mirror!.error, undefined, JSON.stringify(mirror));
    const m = sessions!.body.mirrors.find((s: { key: string }) => s.key.includes(":43000>"));
    assert.deepEqual(m.interfaces, ["br-hosts:in", `${truth}:out`]);
    assert.ok(sessions!.body.counters.some((k: string) => k.includes(":43000>")));
    assert.equal(release!.error, undefined);
    assert.deepEqual(afterRelease!.body, { counters: [], mirrors: [] });
    assert.equal(unreachable!.error.code, "ERR_TELEMETRY_HOPD_UNREACHABLE");
  });

  test("hopd stops on SIGTERM and deletes its table", async () => {
    assert.ok(hopd?.pid);
    process.kill(hopd.pid, "SIGTERM");
    assert.equal(await hopdExit, 0);
    assert.doesNotMatch(nftRuleset(), /flowlens_hopd/);
  });
});
