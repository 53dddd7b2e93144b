/**
 * The probe helper end to end, inside network namespaces this suite creates: src (10.98.0.1/30) -- rtr (10.98.0.2/30,
 * 10.98.0.5/30) -- dst (10.98.0.6/30). The helper runs in src under `ip netns exec`; every probe goes only to addresses
 * inside these namespaces, and `after` deletes them even when a test fails. Needs root, `cc` and `ip`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { HelperCaptureError, HelperUnavailableError } from "../../src/probe/helper/errors.ts";
import {
  type CapturedPacket,
  PACKET_HOST,
  PACKET_OUTGOING,
  type ReceivedPacket,
} from "../../src/probe/helper/framing.ts";
import { DEFAULT_HELPER_PATH, ProbeHelper } from "../../src/probe/helper/probe-helper.ts";
import { ICMP_DEST_UNREACH, ICMP_EXC_TTL, ICMP_TIME_EXCEEDED, decodeIcmp } from "../../src/wire/icmp.ts";
import { IPPROTO_ICMP, IPPROTO_TCP, decodeIpv4Header, encodeIpv4 } from "../../src/wire/ipv4.ts";
import { ipv4FromString, ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { TCP_ACK, TCP_RST, TCP_SYN } from "../../src/wire/tcp-flags.ts";
import { decodeTcp, encodeTcp, fillTcpChecksumIpv4 } from "../../src/wire/tcp.ts";
import { encodeIpv4UdpPacket } from "../../src/wire/udp-packet.ts";
import { hasProgram, needsProgram, requirement } from "../helpers/requirements.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
const skip =
  requirement(isRoot, "needs root (network namespaces, CAP_NET_RAW)") ||
  needsProgram("cc", "gcc") ||
  needsProgram("ip", "iproute2");

const tag = `${process.pid}`;
const NS = { src: `fl-ps-${tag}`, rtr: `fl-pr-${tag}`, dst: `fl-pd-${tag}` };
const SRC = ipv4FromString("10.98.0.1");
const RTR_IN = ipv4FromString("10.98.0.2");
const DST = ipv4FromString("10.98.0.6");

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

function sysctl(ns: string, key: string, value: string): void {
  ip("netns", "exec", ns, "sysctl", "-qw", `${key}=${value}`);
}

function buildLab(): void {
  for (const ns of Object.values(NS)) ip("netns", "add", ns);
  ip("link", "add", `fla${tag}`, "netns", NS.src, "type", "veth", "peer", "name", `flb${tag}`, "netns", NS.rtr);
  ip("link", "add", `flc${tag}`, "netns", NS.rtr, "type", "veth", "peer", "name", `fld${tag}`, "netns", NS.dst);
  const addr = (ns: string, dev: string, cidr: string) => {
    ip("-n", ns, "addr", "add", cidr, "dev", dev);
    ip("-n", ns, "link", "set", dev, "up");
    ip("-n", ns, "link", "set", "lo", "up");
  };
  addr(NS.src, `fla${tag}`, "10.98.0.1/30");
  addr(NS.rtr, `flb${tag}`, "10.98.0.2/30");
  addr(NS.rtr, `flc${tag}`, "10.98.0.5/30");
  addr(NS.dst, `fld${tag}`, "10.98.0.6/30");
  ip("-n", NS.src, "route", "add", "default", "via", "10.98.0.2");
  ip("-n", NS.dst, "route", "add", "default", "via", "10.98.0.5");
  sysctl(NS.rtr, "net.ipv4.ip_forward", "1");
  for (const ns of [NS.rtr, NS.dst]) sysctl(ns, "net.ipv4.icmp_ratelimit", "0");
}

/** Next received packet that `match` accepts, or a timeout error. */
async function nextMatching(
  it: AsyncIterator<ReceivedPacket>,
  match: (p: ReceivedPacket) => boolean,
  timeoutMs = 3000,
): Promise<ReceivedPacket> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no matching packet received")), timeoutMs);
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) throw new Error("helper ended");
      if (match(r.value)) return r.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

describe("probe helper in network namespaces", { skip }, () => {
  let helper: ProbeHelper | undefined;
  let packets: AsyncIterator<ReceivedPacket>;
  const errorLines: string[] = [];

  before(async () => {
    const built = spawnSync("bash", [`${ROOT}scripts/build-native.sh`], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    assert.ok(existsSync(DEFAULT_HELPER_PATH), "helper binary built");
    buildLab();
    helper = await ProbeHelper.start({ wrapper: ["ip", "netns", "exec", NS.src], onError: (l) => errorLines.push(l) });
    packets = helper[Symbol.asyncIterator]();
  });

  after(async () => {
    try {
      if (helper) await helper.close();
    } finally {
      for (const ns of Object.values(NS)) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    }
  });

  it("announces READY with protocol version 1, TCP answers and capture", () => {
    assert.equal(helper?.ready.version, 1);
    assert.equal(helper?.ready.tcpAnswers, true);
    assert.equal(helper?.ready.capture, true);
  });

  it("UDP to a closed port with TTL 64: ICMP Port Unreachable quoting the probe, kernel timestamp near now", async () => {
    const before = nowNs();
    const probe = { srcAddr: SRC, dstAddr: DST, srcPort: 40001, dstPort: 33434, payload: new Uint8Array(12), ttl: 64 };
    helper!.send(encodeIpv4UdpPacket({ ...probe, identification: 0x1234 }));
    const got = await nextMatching(packets, (p) => decodeIpv4Header(p.bytes).protocol === IPPROTO_ICMP);
    const ipHeader = decodeIpv4Header(got.bytes);
    assert.equal(ipv4ToString(ipHeader.srcAddr), "10.98.0.6");
    const icmp = decodeIcmp(got.bytes, ipHeader.headerLength);
    assert.equal(icmp.type, ICMP_DEST_UNREACH);
    assert.equal(icmp.code, 3, "port unreachable");
    assert.equal(icmp.quote?.transport.kind, "udp");
    if (icmp.quote?.transport.kind !== "udp") return;
    assert.equal(icmp.quote.transport.srcPort, 40001);
    assert.equal(icmp.quote.transport.dstPort, 33434);
    assert.equal(icmp.quote.ipHeader.identification, 0x1234);
    assert.ok(got.receivedAtNs >= before - 50_000_000n, `timestamp ${got.receivedAtNs} not before the send`);
    assert.ok(got.receivedAtNs <= nowNs() + 50_000_000n, "timestamp not in the future");
  });

  it("UDP with TTL 1: ICMP Time Exceeded from the router's ingress address", async () => {
    helper!.send(
      encodeIpv4UdpPacket({
        srcAddr: SRC,
        dstAddr: DST,
        srcPort: 40002,
        dstPort: 33435,
        payload: new Uint8Array(4),
        ttl: 1,
      }),
    );
    const got = await nextMatching(packets, (p) => decodeIpv4Header(p.bytes).protocol === IPPROTO_ICMP);
    const ipHeader = decodeIpv4Header(got.bytes);
    assert.equal(ipHeader.srcAddr, RTR_IN);
    const icmp = decodeIcmp(got.bytes, ipHeader.headerLength);
    assert.equal(icmp.type, ICMP_TIME_EXCEEDED);
    assert.equal(icmp.code, ICMP_EXC_TTL);
    assert.deepEqual(
      icmp.quote?.transport.kind === "udp" && [icmp.quote.transport.srcPort, icmp.quote.transport.dstPort],
      [40002, 33435],
    );
  });

  it("TCP SYN to a closed port: the destination's RST arrives on the raw TCP socket", async () => {
    const tcp = encodeTcp({ srcPort: 40003, dstPort: 9, sequenceNumber: 1000, flags: TCP_SYN, window: 1024 });
    const packet = new Uint8Array(20 + tcp.length);
    encodeIpv4(
      { totalLength: packet.length, identification: 7, ttl: 64, protocol: IPPROTO_TCP, srcAddr: SRC, dstAddr: DST },
      packet,
      0,
    );
    packet.set(tcp, 20);
    fillTcpChecksumIpv4(packet, 20, tcp.length, SRC, DST);
    helper!.send(packet);
    const got = await nextMatching(packets, (p) => {
      const h = decodeIpv4Header(p.bytes);
      return h.protocol === IPPROTO_TCP && h.srcAddr === DST;
    });
    const seg = decodeTcp(got.bytes, 20);
    assert.equal(seg.srcPort, 9);
    assert.equal(seg.dstPort, 40003);
    assert.equal(seg.flags & (TCP_RST | TCP_ACK), TCP_RST | TCP_ACK);
    assert.equal(seg.acknowledgmentNumber, 1001);
  });

  it("reports a malformed packet as a non-fatal ERROR and keeps running", async () => {
    const bad = encodeIpv4UdpPacket({ srcAddr: SRC, dstAddr: DST, srcPort: 1, dstPort: 2, payload: new Uint8Array(0) });
    bad[3] += 1; // total length no longer matches the bytes
    const before = helper!.errors;
    helper!.send(bad);
    const deadline = Date.now() + 3000;
    while (helper!.errors === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.match(errorLines.at(-1) ?? "", /^send EINVAL: /);
    helper!.send(
      encodeIpv4UdpPacket({ srcAddr: SRC, dstAddr: DST, srcPort: 40004, dstPort: 33436, payload: new Uint8Array(1) }),
    );
    await nextMatching(packets, (p) => decodeIpv4Header(p.bytes).protocol === IPPROTO_ICMP);
  });

  /** Takes the destination's port unreachables to the capture tests' probes off the received queue. */
  async function drainUnreachables(sports: number[]): Promise<void> {
    for (const sport of sports) {
      await nextMatching(packets, (p) => {
        const ip = decodeIpv4Header(p.bytes, 0);
        if (ip.protocol !== IPPROTO_ICMP) return false;
        const q = decodeIcmp(p.bytes, ip.headerLength, p.bytes.length - ip.headerLength).quote?.transport;
        return q?.kind === "udp" && q.srcPort === sport;
      });
    }
  }

  it("captures UDP to one port in both directions with kernel time, interface and packet type, cut at the snap length", async () => {
    assert.ok(helper?.ready.capture, "READY flag bit 1: AF_PACKET socket");
    const got: CapturedPacket[] = [];
    await helper.startCapture({ udpDstPort: 4789, snapLength: 64 }, (p) => got.push(p));
    const payload = new Uint8Array(200);
    helper.send(encodeIpv4UdpPacket({ srcAddr: SRC, dstAddr: DST, srcPort: 40001, dstPort: 4789, payload }));
    helper.send(encodeIpv4UdpPacket({ srcAddr: SRC, dstAddr: DST, srcPort: 40002, dstPort: 4790, payload }));
    const back = spawnSync("ip", [
      "netns",
      "exec",
      NS.dst,
      "python3",
      "-c",
      "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('10.98.0.6',40003));s.sendto(b'x'*30,('10.98.0.1',4789))",
    ]);
    assert.equal(back.status, 0, String(back.stderr));
    for (let i = 0; i < 30 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const ifindex = Number(
      spawnSync("ip", ["netns", "exec", NS.src, "cat", `/sys/class/net/fla${tag}/ifindex`], { encoding: "utf8" })
        .stdout,
    );
    const seen = got.map((p) => {
      const h = decodeIpv4Header(p.bytes, 0);
      return [
        ipv4ToString(h.srcAddr),
        (p.bytes[20]! << 8) | p.bytes[21]!,
        p.packetType,
        p.ifindex,
        p.bytes.length,
        p.originalLength,
      ];
    });
    assert.deepEqual(seen, [
      ["10.98.0.1", 40001, PACKET_OUTGOING, ifindex, 64, 228],
      ["10.98.0.6", 40003, PACKET_HOST, ifindex, 58, 58],
    ]);
    for (const p of got) assert.ok(p.capturedAtNs > nowNs() - 5_000_000_000n && p.capturedAtNs <= nowNs() + 1_000_000n);
    assert.equal(helper.captured, 2);
    await drainUnreachables([40001, 40002]);
  });

  it("refuses an unknown interface with ERR_PROBE_HELPER_CAPTURE; after stop nothing more is delivered", async () => {
    assert.ok(helper);
    await assert.rejects(
      helper.startCapture({ udpDstPort: 4789, ifname: "nosuch0" }, () => {}),
      (e: unknown) =>
        e instanceof HelperCaptureError && e.code === "ERR_PROBE_HELPER_CAPTURE" && /ENODEV/.test(e.message),
    );
    const got: CapturedPacket[] = [];
    await helper.startCapture({ udpDstPort: 0, ifname: `fla${tag}` }, (p) => got.push(p));
    helper.send(
      encodeIpv4UdpPacket({ srcAddr: SRC, dstAddr: DST, srcPort: 40004, dstPort: 5555, payload: new Uint8Array(4) }),
    );
    for (let i = 0; i < 30 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.length, 1, "port 0 captures any UDP");
    await helper.stopCapture();
    helper.send(
      encodeIpv4UdpPacket({ srcAddr: SRC, dstAddr: DST, srcPort: 40005, dstPort: 5555, payload: new Uint8Array(4) }),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got.length, 1);
    await drainUnreachables([40004, 40005]);
  });

  it("exits with status 0 when its stdin closes", async () => {
    const h = helper!;
    helper = undefined;
    assert.equal(await h.close(), 0);
    assert.equal((await packets.next()).done, true);
    assert.throws(() => h.send(new Uint8Array(20)), { code: "ERR_PROBE_HELPER_CLOSED" });
  });
});

describe("probe helper unavailable", () => {
  it("a missing binary is HelperUnavailableError reason missing", async () => {
    await assert.rejects(ProbeHelper.start({ helperPath: `${ROOT}native/build/no-such-helper` }), (e: unknown) => {
      assert.ok(e instanceof HelperUnavailableError);
      assert.equal(e.code, "ERR_PROBE_HELPER_UNAVAILABLE");
      assert.equal(e.reason, "missing");
      assert.match(e.message, /build-native\.sh/);
      return true;
    });
  });

  const noPriv = skip || requirement(hasProgram("setpriv"), "setpriv not installed (apt-get install util-linux)");
  it("without CAP_NET_RAW it is HelperUnavailableError reason privilege", { skip: noPriv }, async () => {
    spawnSync("bash", [`${ROOT}scripts/build-native.sh`], { stdio: "ignore" });
    const wrapper = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"];
    await assert.rejects(ProbeHelper.start({ wrapper }), (e: unknown) => {
      assert.ok(e instanceof HelperUnavailableError);
      assert.equal(e.reason, "privilege");
      assert.match(e.message, /EPERM.*CAP_NET_RAW/);
      return true;
    });
  });
});
