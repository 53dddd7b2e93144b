/**
 * Live capture with tcpdump (src/exporter/live-capture-source.ts): two network namespaces joined by a veth link
 * (10.99.0.1 and 10.99.0.2, inside the namespaces only), the exporter daemon in process capturing on the first
 * namespace's end (`ip netns exec NS tcpdump`), UDP and TCP traffic between the ends from inside the namespaces, and
 * the v5 records received on a loopback UDP socket checked against that traffic. A missing tcpdump is one failed
 * source, not a crash. Needs root and tcpdump; namespaces are deleted in `after`, even on failure.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { exporterConfigSchema } from "../../src/exporter/config.ts";
import { type RunningExporter, startExporter } from "../../src/exporter/exporter.ts";
import { captureLive, tcpdumpArgs } from "../../src/exporter/live-capture-source.ts";
import { loadConfig } from "../../src/runtime/config.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { decodeNetflowV5, type NetflowV5Record } from "../../src/wire/netflow-v5.ts";
import { needsProgram, requirement } from "../helpers/requirements.ts";
import { startChild, waitFor } from "../helpers/processes.ts";
import { type UdpSink, udpSink } from "./exporter-oracles.ts";

const logger = createLogger({ level: "silent" });
const isRoot = process.getuid?.() === 0;
const skip = needsProgram("tcpdump") || needsProgram("ip", "iproute2") || requirement(isRoot, "needs root (netns)");

const NS_A = `flla${process.pid}`;
const NS_B = `fllb${process.pid}`;
const VETH_A = `flva${process.pid}`.slice(0, 15);
const VETH_B = `flvb${process.pid}`.slice(0, 15);

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

function cleanUp(): void {
  for (const ns of [NS_A, NS_B]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
}

const SERVER = `
const dgram = require("node:dgram"), net = require("node:net");
const u = dgram.createSocket("udp4"); u.bind(5000, "10.99.0.1");
net.createServer((c) => { c.resume(); c.on("end", () => c.end()); }).listen(5001, "10.99.0.1", () => console.log("ready"));
`;
const CLIENT = `
const dgram = require("node:dgram"), net = require("node:net");
const u = dgram.createSocket("udp4");
u.bind(40000, "10.99.0.2", async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => u.send(Buffer.alloc(100, i), 5000, "10.99.0.1", r));
  u.close();
  const c = net.connect({ host: "10.99.0.1", port: 5001, localAddress: "10.99.0.2", localPort: 40001 }, () => c.end(Buffer.alloc(1000, 7)));
  c.resume(); c.on("close", () => process.exit(0));
});
`;

describe("exporter live capture (tcpdump in a network namespace)", { skip }, () => {
  let sink: UdpSink | undefined;
  let exporter: RunningExporter | undefined;
  let server: ReturnType<typeof startChild> | undefined;

  before(() => {
    cleanUp();
    ip("netns", "add", NS_A);
    ip("netns", "add", NS_B);
    ip("link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B, "netns", NS_B);
    for (const [ns, dev, addr] of [
      [NS_A, VETH_A, "10.99.0.1/24"],
      [NS_B, VETH_B, "10.99.0.2/24"],
    ]) {
      ip("-n", ns, "addr", "add", addr, "dev", dev);
      ip("-n", ns, "link", "set", dev, "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
  });
  after(async () => {
    await server?.stop();
    await exporter?.stop();
    await sink?.close();
    cleanUp();
  });

  it("builds tcpdump's command line", () => {
    assert.deepEqual(tcpdumpArgs({ interfaceName: "eth0", snaplen: 128, filter: "udp" }), [
      ...["-i", "eth0", "-w", "-", "-U", "-n", "-s", "128", "udp"],
    ]);
  });

  it("exports the traffic between the namespaces as v5 records", async () => {
    sink = await udpSink();
    const text = `
input: { max-packets-per-second: unlimited, snmp-ifindex: { ${VETH_A}: 7 }, interfaces: [{ name: ${VETH_A}, filter: "ip" }] }
admin: { port: 0 }
output: { period: 1s, cflowd: [{ host: 127.0.0.1, port: ${sink.port} }] }
flow-cache: { flow-inactive-timeout: 1h, tcp-close-timeout: 1h }
`;
    const config = loadConfig({ schema: exporterConfigSchema, text, env: {} });
    exporter = await startExporter(config, { logger, captureCommand: ["ip", "netns", "exec", NS_A, "tcpdump"] });
    const x = exporter;
    await waitFor("tcpdump listening", () => x.status().sources[0].state === "reading", 10_000);
    server = startChild("ip", ["netns", "exec", NS_A, process.execPath, "-e", SERVER]);
    await waitFor("server ready", () => server?.stdout.includes("ready"), 10_000);
    const client = startChild("ip", ["netns", "exec", NS_B, process.execPath, "-e", CLIENT]);
    assert.equal(await client.exited, 0, client.stderr);
    // tcpdump hands each packet over as the kernel delivers it (-U): wait until the count stops moving.
    let last = -1;
    await waitFor(
      "packets accounted",
      () => {
        const n = x.status().packets.ipv4;
        const stable = n === last && n >= 5 + 8;
        last = n;
        return stable;
      },
      10_000,
      500,
    );
    const status = x.status();
    assert.equal(status.sources[0].pace, "live");
    await x.stop();
    exporter = undefined;
    await new Promise((r) => setTimeout(r, 50));
    const got: NetflowV5Record[] = sink.datagrams.flatMap((d) => decodeNetflowV5(d).records);
    const find = (src: string, sport: number, prot: number) =>
      got.find((r) => ipv4ToString(r.srcAddr) === src && r.srcPort === sport && r.prot === prot);
    const udp = find("10.99.0.2", 40000, 17);
    assert.ok(udp, `no UDP record in ${JSON.stringify(got)}`);
    assert.equal(ipv4ToString(udp.dstAddr), "10.99.0.1");
    assert.equal(udp.dstPort, 5000);
    assert.equal(udp.dPkts, 5);
    assert.equal(udp.dOctets, 5 * (100 + 28));
    assert.equal(udp.input, 7);
    const tcpOut = find("10.99.0.2", 40001, 6);
    const tcpBack = find("10.99.0.1", 5001, 6);
    assert.ok(tcpOut && tcpBack, "both TCP directions exported");
    assert.equal(tcpOut.dstPort, 5001);
    assert.ok(tcpOut.dPkts >= 4, "SYN, ACK, data, FIN");
    assert.ok(tcpOut.dOctets >= 1000 + 4 * 40, "the payload and headers are counted");
    assert.equal(tcpOut.tcpFlags & 0x13, 0x13, "SYN, FIN and ACK seen");
    assert.equal(tcpBack.tcpFlags & 0x12, 0x12, "SYN-ACK seen");
    // Nothing but the namespaces' traffic was captured.
    for (const r of got) {
      assert.ok(ipv4ToString(r.srcAddr).startsWith("10.99.0.") && ipv4ToString(r.dstAddr).startsWith("10.99.0."));
    }
  });

  it("reports a missing tcpdump in one line and keeps running", async () => {
    const errors = await captureLive(
      { interfaceName: VETH_A, command: ["/nonexistent/tcpdump"] },
      { packet: () => undefined },
    ).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    assert.equal(errors?.code, "ERR_LIVE_CAPTURE_PROGRAM");
    assert.doesNotMatch(errors?.message ?? "", /\n/);
    const s = await udpSink();
    const text = `input: { interfaces: [${VETH_A}] }\nadmin: { port: 0 }\noutput: { cflowd: [{ host: 127.0.0.1, port: ${s.port} }] }\n`;
    const x = await startExporter(loadConfig({ schema: exporterConfigSchema, text, env: {} }), {
      logger,
      captureCommand: ["/nonexistent/tcpdump"],
    });
    try {
      await waitFor("source failed", () => x.status().sources[0].state === "failed", 5000);
      assert.match(x.status().sources[0].error ?? "", /needs tcpdump/);
      const health = await fetch(`${x.adminUrl}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await x.stop();
      await s.close();
    }
  });

  it("reports a capture error (no such interface) as a failed source", async () => {
    const error = await captureLive(
      { interfaceName: "flnosuch0", command: ["ip", "netns", "exec", NS_A, "tcpdump"] },
      { packet: () => undefined },
    ).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    assert.equal(error?.code, "ERR_LIVE_CAPTURE_FAILED");
    assert.match(error?.message ?? "", /flnosuch0/);
  });
});
