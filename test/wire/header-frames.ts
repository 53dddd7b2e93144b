/**
 * The frames of headers-tshark.test.ts: one of each header flowlens encodes (Ethernet with VLAN tags, IPv4 with options
 * and fragments, UDP, TCP with options, ICMP Time Exceeded, IPv6 extension headers, VXLAN, GRE, ERSPAN II and III),
 * built only with flowlens's own encoders.
 */
import { type ErspanHeader, encodeErspan } from "../../src/wire/erspan.ts";
import {
  ETHERTYPE_ERSPAN_II,
  ETHERTYPE_ERSPAN_III,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  type EthernetHeaderInit,
  encodeEthernet,
  macFromString,
} from "../../src/wire/ethernet.ts";
import { encodeGre, fillGreChecksum, type GreHeaderInit } from "../../src/wire/gre.ts";
import { encodeIcmp, ICMP_TIME_EXCEEDED } from "../../src/wire/icmp.ts";
import {
  encodeIpv4,
  IPPROTO_GRE,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Ipv4HeaderInit,
  ipv4EncodingLength,
} from "../../src/wire/ipv4.ts";
import { ipv4FromString as addr } from "../../src/wire/ipv4-address.ts";
import {
  encodeIpv6,
  type Ipv6HeaderInit,
  ipv6EncodingLength,
  ipv6FragmentBody,
  ipv6FromString,
} from "../../src/wire/ipv6.ts";
import { encodeTcp, fillTcpChecksumIpv4, type TcpHeaderInit } from "../../src/wire/tcp.ts";
import { encodeUdp, fillUdpChecksumIpv4, fillUdpChecksumIpv6 } from "../../src/wire/udp.ts";
import { encodeEthernetIpv4UdpFrame, encodeIpv4UdpPacket } from "../../src/wire/udp-packet.ts";
import { encodeVxlan, VXLAN_UDP_PORT } from "../../src/wire/vxlan.ts";
import { concat } from "./fixtures.ts";

const MAC_A = "00:1b:21:3c:4d:5e";
const MAC_B = "00:1c:73:aa:bb:cc";
const text = (s: string) => new TextEncoder().encode(s);

function ethernet(etherType: number, payload: Uint8Array, extra: Partial<EthernetHeaderInit> = {}): Uint8Array {
  const header = { dstMac: macFromString(MAC_B), srcMac: macFromString(MAC_A), etherType, ...extra };
  return concat(encodeEthernet(header), payload);
}

/** An IPv4 packet around `payload` (header checksum computed by encodeIpv4). */
function ipv4(init: Omit<Ipv4HeaderInit, "totalLength">, payload: Uint8Array): Uint8Array {
  const length = ipv4EncodingLength({ ...init, totalLength: 0 });
  return concat(encodeIpv4({ ...init, totalLength: length + payload.length }), payload);
}

function udpDatagram(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return concat(encodeUdp({ srcPort, dstPort, length: 8 + payload.length, checksum: 0 }), payload);
}

function tcpFrame(header: TcpHeaderInit, payload: Uint8Array, ip: Omit<Ipv4HeaderInit, "totalLength" | "protocol">) {
  const segment = concat(encodeTcp(header), payload);
  fillTcpChecksumIpv4(segment, 0, segment.length, ip.srcAddr, ip.dstAddr);
  return ipv4({ ...ip, protocol: IPPROTO_TCP }, segment);
}

/** The Ethernet/IPv4/UDP frame that VXLAN, ERSPAN and GRE carry. */
const INNER_FRAME = encodeEthernetIpv4UdpFrame({
  srcAddr: addr("192.168.10.1"),
  dstAddr: addr("192.168.20.2"),
  srcPort: 4567,
  dstPort: 9000,
  payload: text("inner payload"),
  ttl: 63,
  identification: 0x4242,
  srcMac: "02:aa:00:00:00:01",
  dstMac: "02:bb:00:00:00:02",
});

/** GRE (optionally ERSPAN) carried in IPv4 between two mirror endpoints. */
function greFrame(gre: GreHeaderInit, erspan: ErspanHeader | undefined, inner: Uint8Array): Uint8Array {
  const body = concat(encodeGre(gre), erspan === undefined ? new Uint8Array() : encodeErspan(erspan), inner);
  if (gre.checksumPresent) fillGreChecksum(body, 0, body.length);
  const ip = {
    protocol: IPPROTO_GRE,
    srcAddr: addr("10.1.1.1"),
    dstAddr: addr("10.2.2.2"),
    ttl: 255,
    identification: 9,
  };
  return ethernet(ETHERTYPE_IPV4, ipv4(ip, body));
}

/** 802.1Q-tagged IPv4 with options (NOP, Router Alert) and DF, carrying UDP. */
function vlanUdpFrame(): Uint8Array {
  const src = addr("10.0.0.1");
  const dst = addr("10.0.0.2");
  const udp = udpDatagram(5000, 6000, text("hello, tshark"));
  fillUdpChecksumIpv4(udp, 0, src, dst);
  const options = Uint8Array.of(1, 0x94, 4, 0, 0);
  const ip = { tos: 0x28, identification: 0x1111, dontFragment: true, ttl: 17, srcAddr: src, dstAddr: dst, options };
  const packet = ipv4({ ...ip, protocol: IPPROTO_UDP }, udp);
  return ethernet(ETHERTYPE_IPV4, packet, { vlanTags: [{ tpid: 0x8100, pcp: 3, dei: false, vid: 100 }] });
}

/** A UDP datagram in two IPv4 fragments (offsets 0 and 24 bytes). */
function fragmentFrames(): Uint8Array[] {
  const src = addr("10.0.0.3");
  const dst = addr("10.0.0.4");
  const udp = udpDatagram(7000, 8000, text("0123456789abcdefghijklmnopqrstuvwxyzABCD"));
  fillUdpChecksumIpv4(udp, 0, src, dst);
  const common = { identification: 0x2222, ttl: 64, protocol: IPPROTO_UDP, srcAddr: src, dstAddr: dst };
  return [
    ethernet(ETHERTYPE_IPV4, ipv4({ ...common, moreFragments: true }, udp.subarray(0, 24))),
    ethernet(ETHERTYPE_IPV4, ipv4({ ...common, fragmentOffset: 24 }, udp.subarray(24))),
  ];
}

/** TCP SYN with MSS, SACK-permitted, timestamps, NOP, window scale, under Q-in-Q tags 200/300. */
function tcpSynFrame(): Uint8Array {
  const syn: TcpHeaderInit = {
    srcPort: 40000,
    dstPort: 40443,
    sequenceNumber: 0x01020304,
    flags: 0x02,
    window: 64240,
    options: [
      { type: "mss", mss: 1460 },
      { type: "sackPermitted" },
      { type: "timestamps", tsVal: 123456789, tsEcr: 0 },
      { type: "nop" },
      { type: "windowScale", shiftCount: 7 },
    ],
  };
  const ip = { identification: 0x3333, dontFragment: true, srcAddr: addr("10.0.1.1"), dstAddr: addr("10.0.1.2") };
  return ethernet(ETHERTYPE_IPV4, tcpFrame(syn, new Uint8Array(), ip), { vlanIds: [200, 300] });
}

/** TCP ACK+PSH with two SACK blocks and 4 bytes of data. */
function tcpSackFrame(): Uint8Array {
  const blocks = [
    { leftEdge: 0x01020400, rightEdge: 0x01020500 },
    { leftEdge: 0x01020600, rightEdge: 0x01020700 },
  ];
  const ack: TcpHeaderInit = {
    srcPort: 40443,
    dstPort: 40000,
    sequenceNumber: 0xfffffff0,
    acknowledgmentNumber: 0x01020305,
    flags: 0x18,
    window: 501,
    options: [{ type: "nop" }, { type: "nop" }, { type: "sack", blocks }],
  };
  const ip = { identification: 0x4444, srcAddr: addr("10.0.1.2"), dstAddr: addr("10.0.1.1") };
  return ethernet(ETHERTYPE_IPV4, tcpFrame(ack, text("data"), ip));
}

/** ICMP Time Exceeded from a router, quoting a traceroute UDP probe. */
function timeExceededFrame(): Uint8Array {
  const probe = encodeIpv4UdpPacket({
    srcAddr: addr("10.0.2.1"),
    dstAddr: addr("10.9.9.9"),
    srcPort: 33000,
    dstPort: 33434,
    payload: text("probe"),
    ttl: 1,
    identification: 0x5555,
  });
  const icmp = encodeIcmp({ type: ICMP_TIME_EXCEEDED, code: 0, data: probe });
  const ip = { tos: 0xc0, identification: 0x6666, srcAddr: addr("10.0.2.254"), dstAddr: addr("10.0.2.1") };
  return ethernet(ETHERTYPE_IPV4, ipv4({ ...ip, protocol: IPPROTO_ICMP }, icmp));
}

/** IPv6 with hop-by-hop (Router Alert, PadN), destination options (PadN) and a fragment header, carrying UDP. */
function ipv6ExtensionFrame(): Uint8Array {
  const src = ipv6FromString("2001:db8::10");
  const dst = ipv6FromString("2001:db8:0:1::20");
  const udp = udpDatagram(40001, 40002, text("over ipv6"));
  fillUdpChecksumIpv6(udp, 0, src, dst);
  const extensionHeaders = [
    { type: 0, body: Uint8Array.of(5, 2, 0, 0, 1, 0) },
    { type: 60, body: Uint8Array.of(1, 4, 0, 0, 0, 0) },
    { type: 44, body: ipv6FragmentBody({ fragmentOffset: 0, moreFragments: false, identification: 0xabcdef01 }) },
  ];
  const header: Ipv6HeaderInit = {
    trafficClass: 0xb8,
    flowLabel: 0x12345,
    payloadLength: 0,
    hopLimit: 33,
    srcAddr: src,
    dstAddr: dst,
    extensionHeaders,
    upperLayerProtocol: IPPROTO_UDP,
  };
  header.payloadLength = ipv6EncodingLength(header) - 40 + udp.length;
  return ethernet(ETHERTYPE_IPV6, concat(encodeIpv6(header), udp));
}

/** VXLAN (VNI 5001) carrying the inner Ethernet/IPv4/UDP frame. */
function vxlanFrame(): Uint8Array {
  return encodeEthernetIpv4UdpFrame({
    srcAddr: addr("172.16.0.1"),
    dstAddr: addr("172.16.0.2"),
    srcPort: 49152,
    dstPort: VXLAN_UDP_PORT,
    payload: concat(encodeVxlan({ vni: 5001 }), INNER_FRAME),
    srcMac: MAC_A,
    dstMac: MAC_B,
  });
}

/** GRE (sequence number) + ERSPAN type II carrying the inner frame. */
function erspanIIFrame(): Uint8Array {
  const erspan: ErspanHeader = {
    version: 1,
    vlan: 100,
    cos: 5,
    encapType: 0,
    truncated: false,
    sessionId: 42,
    index: 0x12345,
  };
  return greFrame({ protocolType: ETHERTYPE_ERSPAN_II, sequenceNumber: 5 }, erspan, INNER_FRAME);
}

/** GRE + ERSPAN type III with a platform-specific subheader (platform 3) carrying the inner frame. */
function erspanIIIFrame(): Uint8Array {
  const erspan: ErspanHeader = {
    version: 2,
    vlan: 10,
    cos: 1,
    bso: 0,
    truncated: true,
    sessionId: 1023,
    timestamp: 0x01020304,
    sgt: 0xbeef,
    p: true,
    ft: 0,
    hwId: 5,
    d: true,
    gra: 1,
    platform: { platformId: 3, infoHigh: 0x123, infoLow: 0x5f5e1000 },
  };
  return greFrame({ protocolType: ETHERTYPE_ERSPAN_III, sequenceNumber: 6 }, erspan, INNER_FRAME);
}

/** GRE with checksum and key carrying the inner IPv4 packet. */
function greChecksumFrame(): Uint8Array {
  const gre = { protocolType: ETHERTYPE_IPV4, checksumPresent: true, key: 0x01020304 };
  return greFrame(gre, undefined, INNER_FRAME.subarray(14));
}

/** The 11 frames, in the order headers-tshark.test.ts checks them. */
export function buildFrames(): Uint8Array[] {
  return [
    vlanUdpFrame(),
    ...fragmentFrames(),
    tcpSynFrame(),
    tcpSackFrame(),
    timeExceededFrame(),
    ipv6ExtensionFrame(),
    vxlanFrame(),
    erspanIIFrame(),
    erspanIIIFrame(),
    greChecksumFrame(),
  ];
}
