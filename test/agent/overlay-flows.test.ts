/**
 * Overlay sniffing (src/agent/overlay-flows.ts) without privilege: VXLAN packets built from the wire encoders are
 * decoded into the outer VTEP tuple and the inner VM flow (TCP and UDP, VLAN-tagged inner frames), other inner
 * payloads are skipped with their reason, random and mutated bytes never throw; the source keeps first/last seen times
 * from its clock, forgets flows after the retention and beyond its size, starts and stops the capture, and list/flow's
 * grouping gives the 11-value PORTS tuples of Table 4. Several sources combine, tolerating one that fails.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { OverlayMetrics } from "../../src/agent/agent-metrics.ts";
import { combineFlowSources } from "../../src/agent/combined-flow-source.ts";
import { agentConfigSchema } from "../../src/agent/config.ts";
import { type SniffedFlow, listFlows } from "../../src/agent/flow-source.ts";
import { startHostFlowSource } from "../../src/agent/host-flow-source.ts";
import { LOOPBACK_IFINDEX, OverlayFlowSource, decodeOverlayPacket } from "../../src/agent/overlay-flows.ts";
import {
  type CaptureRequest,
  type CapturedPacket,
  PACKET_HOST,
  PACKET_OUTGOING,
} from "../../src/probe/helper/framing.ts";
import type { PacketCapture } from "../../src/probe/helper/probe-helper.ts";
import { TUNNEL_PROBE_MAGIC } from "../../src/probe/raw/probe-packets.ts";
import { Metrics } from "../../src/runtime/metrics.ts";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, encodeEthernet, macFromString } from "../../src/wire/ethernet.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { IPPROTO_TCP, encodeIpv4 } from "../../src/wire/ipv4.ts";
import { encodeTcp } from "../../src/wire/tcp.ts";
import { TCP_ACK } from "../../src/wire/tcp-flags.ts";
import { encodeEthernetIpv4UdpFrame, encodeIpv4UdpPacket } from "../../src/wire/udp-packet.ts";
import { encodeVxlan } from "../../src/wire/vxlan.ts";
import { ManualClock } from "./fakes.ts";

const SMAC = "52:54:00:b8:9b:2e";
const DMAC = "52:54:00:6e:cc:dc";

/** An outer IPv4/UDP packet to `dport` carrying VXLAN `vni` and `frame`. */
function vxlanPacket(frame: Uint8Array, opts: { sport?: number; dport?: number; vni?: number } = {}): Uint8Array {
  const payload = new Uint8Array(8 + frame.length);
  encodeVxlan({ vni: opts.vni ?? 200 }, payload, 0);
  payload.set(frame, 8);
  return encodeIpv4UdpPacket({
    srcAddr: ipv4FromString("10.10.11.11"),
    dstAddr: ipv4FromString("192.168.5.11"),
    srcPort: opts.sport ?? 53812,
    dstPort: opts.dport ?? 4789,
    payload,
    udpChecksum: false,
  });
}

const udpFrame = (sport = 41504, dport = 9000) =>
  encodeEthernetIpv4UdpFrame({
    srcAddr: ipv4FromString("10.0.0.2"),
    dstAddr: ipv4FromString("10.0.0.3"),
    srcPort: sport,
    dstPort: dport,
    payload: new Uint8Array(10),
    srcMac: SMAC,
    dstMac: DMAC,
  });

/** An inner Ethernet (optionally 802.1Q-tagged) IPv4/TCP frame. */
function tcpFrame(vlanIds: number[] = []): Uint8Array {
  const eth = encodeEthernet({
    dstMac: macFromString(DMAC),
    srcMac: macFromString(SMAC),
    etherType: ETHERTYPE_IPV4,
    vlanIds,
  });
  const ip = encodeIpv4({
    totalLength: 40,
    ttl: 64,
    protocol: IPPROTO_TCP,
    srcAddr: ipv4FromString("10.0.0.2"),
    dstAddr: ipv4FromString("10.0.0.3"),
  });
  const tcp = encodeTcp({ srcPort: 45001, dstPort: 22, flags: TCP_ACK });
  const out = new Uint8Array(eth.length + 40);
  out.set(eth, 0);
  out.set(ip, eth.length);
  out.set(tcp, eth.length + 20);
  return out;
}

/** A capture double: records start/stop and lets the test push packets. */
class FakeCapture implements PacketCapture {
  requests: Partial<CaptureRequest>[] = [];
  stopped = 0;
  deliver: ((p: CapturedPacket) => void) | null = null;
  async startCapture(request: Partial<CaptureRequest>, onPacket: (p: CapturedPacket) => void): Promise<void> {
    this.requests.push(request);
    this.deliver = onPacket;
  }
  async stopCapture(): Promise<void> {
    this.stopped++;
    this.deliver = null;
  }
  push(bytes: Uint8Array, ifindex = 2, packetType = PACKET_HOST): void {
    this.deliver?.({ bytes, originalLength: bytes.length, capturedAtNs: 0n, ifindex, packetType });
  }
}

describe("decodeOverlayPacket", () => {
  it("decodes the outer VTEP tuple and the inner UDP flow", () => {
    assert.deepEqual(decodeOverlayPacket(vxlanPacket(udpFrame())), {
      sip: "10.10.11.11",
      dip: "192.168.5.11",
      sport: 53812,
      dport: 4789,
      overlay: {
        vnid: 200,
        vmSmac: SMAC,
        vmDmac: DMAC,
        vmSip: "10.0.0.2",
        vmDip: "10.0.0.3",
        vmProto: "udp",
        vmSport: 41504,
        vmDport: 9000,
      },
    });
  });

  it("decodes inner TCP behind VLAN tags; cut packets decode while the inner ports are present", () => {
    const p = vxlanPacket(tcpFrame([10, 20]));
    const d = decodeOverlayPacket(p);
    assert.ok(typeof d !== "string");
    assert.deepEqual([d.overlay.vmProto, d.overlay.vmSport, d.overlay.vmDport], ["tcp", 45001, 22]);
    const innerPortsEnd = 20 + 8 + 8 + 22 + 20 + 4;
    assert.ok(typeof decodeOverlayPacket(p.subarray(0, innerPortsEnd)) !== "string");
    assert.equal(decodeOverlayPacket(p.subarray(0, innerPortsEnd - 1)), "malformed");
  });

  it("skips what is not an overlay TCP/UDP flow, with the reason", () => {
    const arp = new Uint8Array(42);
    encodeEthernet(
      { dstMac: macFromString("ff:ff:ff:ff:ff:ff"), srcMac: macFromString(SMAC), etherType: ETHERTYPE_ARP },
      arp,
      0,
    );
    assert.equal(decodeOverlayPacket(vxlanPacket(arp)), "inner-not-ip");
    assert.equal(decodeOverlayPacket(vxlanPacket(udpFrame(), { dport: 4790 })), "not-vxlan");
    assert.equal(decodeOverlayPacket(vxlanPacket(udpFrame(), { dport: 4790 }), 4790) !== "not-vxlan", true);
    const icmpInner = udpFrame();
    icmpInner[14 + 9] = 1;
    assert.equal(decodeOverlayPacket(vxlanPacket(icmpInner)), "inner-not-tcp-udp");
    assert.equal(decodeOverlayPacket(new Uint8Array(10)), "malformed");
  });

  it("never throws on random or mutated bytes", () => {
    const base = vxlanPacket(tcpFrame([7]));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodeOverlayPacket(bytes);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(base.length),
        (edits, cut) => {
          const p = base.slice(0, cut);
          for (const [i, v] of edits) if (i < p.length) p[i] = v;
          decodeOverlayPacket(p);
        },
      ),
    );
  });
});

describe("OverlayFlowSource", () => {
  it("captures VXLAN, keeps first and last seen, and list/flow gives 11-value tuples", async () => {
    const clock = new ManualClock(1_442_623_012_239);
    const capture = new FakeCapture();
    const source = new OverlayFlowSource({ capture, clock });
    await source.start();
    assert.deepEqual(capture.requests, [{ udpDstPort: 4789, snapLength: 256, ifname: "" }]);
    capture.push(vxlanPacket(udpFrame()));
    await clock.advance(5000);
    capture.push(vxlanPacket(udpFrame()));
    capture.push(vxlanPacket(tcpFrame()));
    const flows = source.flows();
    assert.equal(flows.length, 2);
    assert.equal(source.decoded, 3);
    const groups = listFlows(flows, true, clock.now());
    assert.deepEqual(groups, [
      {
        SIP: "10.10.11.11",
        DIP: "192.168.5.11",
        PROTO: "UDP",
        PORTS: [
          [1442623012.239, 4789, 53812, 200, SMAC, DMAC, "10.0.0.2", "10.0.0.3", "UDP", 41504, 9000],
          [flows[1]!.firstSeenMs / 1000, 4789, 53812, 200, SMAC, DMAC, "10.0.0.2", "10.0.0.3", "TCP", 45001, 22],
        ],
      },
    ]);
    await source.close();
    assert.equal(capture.stopped, 1);
  });

  it("counts a datagram on the loopback once (its sent copy is left out), and sent ones elsewhere", async () => {
    const clock = new ManualClock();
    const capture = new FakeCapture();
    const source = new OverlayFlowSource({ capture, clock });
    await source.start();
    capture.push(vxlanPacket(udpFrame()), LOOPBACK_IFINDEX, PACKET_OUTGOING);
    assert.equal(source.decoded, 0);
    assert.equal(source.flows().length, 0);
    capture.push(vxlanPacket(udpFrame()), LOOPBACK_IFINDEX, PACKET_HOST);
    capture.push(vxlanPacket(tcpFrame()), 2, PACKET_OUTGOING);
    assert.equal(source.decoded, 2);
    assert.equal(source.flows().length, 2);
    await source.close();
  });

  it("forgets flows after the retention and the least recently seen beyond maxFlows; counts skips", async () => {
    const clock = new ManualClock();
    const capture = new FakeCapture();
    const source = new OverlayFlowSource({ capture, clock, retentionMs: 10_000, maxFlows: 2 });
    await source.start();
    capture.push(vxlanPacket(udpFrame(1000)));
    capture.push(vxlanPacket(udpFrame(1001)));
    capture.push(vxlanPacket(udpFrame(1000))); // 1000 seen again: 1001 is now the least recent
    capture.push(vxlanPacket(udpFrame(1002)));
    assert.deepEqual(
      source.flows().map((f) => f.overlay?.vmSport),
      [1000, 1002],
    );
    assert.equal(source.evicted, 1);
    capture.push(new Uint8Array(3));
    assert.equal(source.skipped.get("malformed"), 1);
    await clock.advance(10_001);
    assert.deepEqual(source.flows(), []);
  });
});

/** The value of the series `name{labels}` in Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("overlay sniffer metrics (OverlayMetrics)", () => {
  it("counts decoded datagrams, skips by reason and evictions, and follows the capture state", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const clock = new ManualClock();
    const capture = new FakeCapture();
    const source = new OverlayFlowSource({ capture, clock, maxFlows: 2, events: new OverlayMetrics(metrics) });
    const m = async (series: string) => sample(await metrics.text(), `flowlens_${series}`);
    assert.equal(await m('agent_overlay_capture_state{state="stopped"}'), 1);
    assert.equal(await m('agent_overlay_capture_state{state="running"}'), 0);
    assert.equal(await m('agent_overlay_datagrams_skipped_total{reason="probe"}'), 0, "every reason from 0");
    await source.start();
    assert.equal(await m('agent_overlay_capture_state{state="running"}'), 1);
    assert.equal(await m('agent_overlay_capture_state{state="stopped"}'), 0);

    for (const sport of [1000, 1001, 1000, 1002, 1003]) capture.push(vxlanPacket(udpFrame(sport)));
    const arp = new Uint8Array(42);
    encodeEthernet({ dstMac: macFromString(DMAC), srcMac: macFromString(SMAC), etherType: ETHERTYPE_ARP }, arp, 0);
    capture.push(vxlanPacket(arp));
    capture.push(vxlanPacket(arp));
    capture.push(new Uint8Array(7));
    capture.push(vxlanPacket(udpFrame(), { dport: 4790 }));
    const probe = encodeEthernetIpv4UdpFrame({
      srcAddr: ipv4FromString("10.0.0.2"),
      dstAddr: ipv4FromString("10.0.0.3"),
      srcPort: 41504,
      dstPort: 9000,
      payload: Uint8Array.of(...TUNNEL_PROBE_MAGIC, 0, 1, 3, 1),
      srcMac: SMAC,
      dstMac: DMAC,
    });
    capture.push(vxlanPacket(probe));

    assert.equal(await m("agent_overlay_datagrams_decoded_total"), 5);
    assert.equal(await m('agent_overlay_datagrams_skipped_total{reason="inner-not-ip"}'), 2);
    assert.equal(await m('agent_overlay_datagrams_skipped_total{reason="malformed"}'), 1);
    assert.equal(await m('agent_overlay_datagrams_skipped_total{reason="not-vxlan"}'), 1);
    assert.equal(await m('agent_overlay_datagrams_skipped_total{reason="probe"}'), 1);
    assert.equal(await m('agent_overlay_datagrams_skipped_total{reason="inner-not-tcp-udp"}'), 0);
    assert.equal(await m("agent_overlay_flows_evicted_total"), 2, "four flows through a table of two");
    assert.equal(await m("agent_overlay_flows"), 2);
    assert.equal(source.decoded, 5, "the source's own counts agree");
    assert.equal(source.evicted, 2);
    await clock.advance(600_001);
    source.flows();
    assert.equal(await m("agent_overlay_flows"), 0, "expired flows leave the gauge");

    await source.close();
    assert.equal(await m('agent_overlay_capture_state{state="stopped"}'), 1);
    assert.equal(await m('agent_overlay_capture_state{state="running"}'), 0);
    assert.doesNotMatch(await metrics.text(), /10\.0\.0\.2|vm|sport=/, "no per-flow labels");
  });

  it("reports a capture the helper refuses as failed, and no capture at all as unavailable", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const events = new OverlayMetrics(metrics);
    const refusing: PacketCapture = {
      startCapture: async () => {
        throw new Error("capture refused");
      },
      stopCapture: async () => {},
    };
    const config = agentConfigSchema.parse({ network: "raw", "list-flow": { "sniff-interval": "0s" } });
    const clock = new ManualClock();
    let reported: unknown;
    const sockets = await startHostFlowSource({
      config,
      clock,
      capture: refusing,
      overlayEvents: events,
      onCaptureError: (e) => {
        reported = e;
      },
    });
    assert.match(String(reported), /capture refused/);
    assert.equal(sample(await metrics.text(), 'flowlens_agent_overlay_capture_state{state="failed"}'), 1);
    await sockets.close?.();
    const none = await startHostFlowSource({ config, clock, capture: null, overlayEvents: events });
    const text = await metrics.text();
    assert.equal(sample(text, 'flowlens_agent_overlay_capture_state{state="unavailable"}'), 1);
    assert.equal(sample(text, 'flowlens_agent_overlay_capture_state{state="failed"}'), 0);
    await none.close?.();
  });
});

describe("combineFlowSources", () => {
  const flow = (sport: number): SniffedFlow => ({
    sip: "10.1.1.11",
    dip: "10.1.2.11",
    proto: "tcp",
    sport,
    dport: 22,
    firstSeenMs: 0,
    lastSeenMs: 0,
  });
  it("unites the sources in order, tolerates one failing, fails when all fail, closes all", async () => {
    let closed = 0;
    const a = { name: "a", flows: () => [flow(1)], close: () => void closed++ };
    const b = { name: "b", flows: async () => [flow(2)], close: async () => void closed++ };
    const bad = {
      name: "bad",
      flows: (): SniffedFlow[] => {
        throw new Error("no tables");
      },
    };
    const all = combineFlowSources([a, bad, b]);
    assert.equal(all.name, "a+bad+b");
    assert.deepEqual(
      (await all.flows()).map((f) => f.sport),
      [1, 2],
    );
    await assert.rejects(async () => combineFlowSources([bad, bad]).flows(), /no tables/);
    await all.close?.();
    assert.equal(closed, 2);
  });
});
