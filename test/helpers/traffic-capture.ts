/**
 * Synthetic application traffic as a pcap: TCP conversations (handshake, data both ways, FIN), UDP request/response
 * pairs and ICMP echo, between a handful of hosts, with increasing timestamps. Used where a peer program (softflowd,
 * tshark) must read a real capture file. Deterministic for a given seed.
 */
import { ETHERTYPE_IPV4, encodeEthernet, macFromString } from "../../src/wire/ethernet.ts";
import { encodeIcmp } from "../../src/wire/icmp.ts";
import { encodeIpv4, IPPROTO_ICMP, IPPROTO_TCP } from "../../src/wire/ipv4.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { encodePcap, type PcapPacket } from "../../src/wire/pcap-writer.ts";
import { encodeTcp, fillTcpChecksumIpv4 } from "../../src/wire/tcp.ts";
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from "../../src/wire/tcp-flags.ts";
import { encodeEthernetIpv4UdpFrame } from "../../src/wire/udp-packet.ts";

const MAC_A = "02:00:00:00:00:0a";
const MAC_B = "02:00:00:00:00:0b";

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ethernet(ipPacket: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + ipPacket.length);
  encodeEthernet({ dstMac: macFromString(MAC_B), srcMac: macFromString(MAC_A), etherType: ETHERTYPE_IPV4 }, out, 0);
  out.set(ipPacket, 14);
  return out;
}

function tcpFrame(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  flags: number,
  seq: number,
  payload: number,
): Uint8Array {
  const tcp = encodeTcp({
    srcPort: sport,
    dstPort: dport,
    flags,
    sequenceNumber: seq,
    acknowledgmentNumber: 1,
    window: 65535,
  });
  const ip = new Uint8Array(20 + tcp.length + payload);
  encodeIpv4(
    { totalLength: ip.length, protocol: IPPROTO_TCP, srcAddr: src, dstAddr: dst, identification: seq & 0xffff },
    ip,
    0,
  );
  ip.set(tcp, 20);
  fillTcpChecksumIpv4(ip, 20, tcp.length + payload, src, dst);
  return ethernet(ip);
}

function icmpFrame(src: number, dst: number, type: number, id: number, seq: number): Uint8Array {
  const icmp = encodeIcmp({ type, code: 0, identifier: id, sequenceNumber: seq, data: new Uint8Array(56) });
  const ip = new Uint8Array(20 + icmp.length);
  encodeIpv4({ totalLength: ip.length, protocol: IPPROTO_ICMP, srcAddr: src, dstAddr: dst }, ip, 0);
  ip.set(icmp, 20);
  return ethernet(ip);
}

/** Options of {@link trafficCapture}. */
export interface TrafficOptions {
  /** TCP conversations (default 40), UDP exchanges (default 30), ICMP echo exchanges (default 10). */
  tcp?: number;
  udp?: number;
  icmp?: number;
  /** First packet's time, UNIX seconds (default 1_795_000_000). */
  startSecs?: number;
  seed?: number;
  /** Time between consecutive packets, ms (default 1). */
  gapMs?: number;
  /**
   * Pad frames shorter than Ethernet's 60-byte minimum (without FCS) with zero bytes after the IP datagram, as a NIC
   * does on the wire (default false: frames end with the IP datagram).
   */
  ethernetPadding?: boolean;
}

/** Shortest Ethernet frame without its FCS, bytes. */
const ETHERNET_MIN_FRAME = 60;

/** Builds the capture; every packet is Ethernet/IPv4, timestamps `gapMs` (default 1 ms) apart. */
export function trafficCapture(options: TrafficOptions = {}): Uint8Array {
  const rnd = prng(options.seed ?? 7);
  const packets: PcapPacket[] = [];
  let t = BigInt(options.startSecs ?? 1_795_000_000) * 1_000_000_000n;
  const gapNs = BigInt(Math.round((options.gapMs ?? 1) * 1_000_000));
  const push = (frame: Uint8Array) => {
    let data = frame;
    if (options.ethernetPadding === true && frame.length < ETHERNET_MIN_FRAME) {
      data = new Uint8Array(ETHERNET_MIN_FRAME);
      data.set(frame);
    }
    packets.push({ timestampNs: t, data });
    t += gapNs;
  };
  const host = (net: string) => ipv4FromString(net) + 1 + Math.floor(rnd() * 200);
  for (let i = 0; i < (options.tcp ?? 40); i++) {
    const c = host("10.1.0.0");
    const s = host("10.2.0.0");
    const cport = 32768 + Math.floor(rnd() * 28000);
    const sport = [80, 443, 22, 179][i % 4];
    push(tcpFrame(c, s, cport, sport, TCP_SYN, 1000, 0));
    push(tcpFrame(s, c, sport, cport, TCP_SYN | TCP_ACK, 5000, 0));
    const exchanges = 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < exchanges; k++) {
      push(tcpFrame(c, s, cport, sport, TCP_ACK | TCP_PSH, 1001 + k * 100, 100 + Math.floor(rnd() * 400)));
      push(tcpFrame(s, c, sport, cport, TCP_ACK | TCP_PSH, 5001 + k * 1400, 200 + Math.floor(rnd() * 1200)));
    }
    push(tcpFrame(c, s, cport, sport, TCP_FIN | TCP_ACK, 9000, 0));
    push(tcpFrame(s, c, sport, cport, TCP_FIN | TCP_ACK, 9999, 0));
    push(tcpFrame(c, s, cport, sport, TCP_ACK, 9001, 0));
  }
  for (let i = 0; i < (options.udp ?? 30); i++) {
    const c = host("10.3.0.0");
    const s = host("10.4.0.0");
    const cport = 1024 + Math.floor(rnd() * 60000);
    const sport = [53, 123, 514][i % 3];
    const n = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < n; k++) {
      push(
        encodeEthernetIpv4UdpFrame({
          srcAddr: c,
          dstAddr: s,
          srcPort: cport,
          dstPort: sport,
          payload: new Uint8Array(40 + k),
          srcMac: MAC_A,
          dstMac: MAC_B,
        }),
      );
      push(
        encodeEthernetIpv4UdpFrame({
          srcAddr: s,
          dstAddr: c,
          srcPort: sport,
          dstPort: cport,
          payload: new Uint8Array(120 + k),
          srcMac: MAC_A,
          dstMac: MAC_B,
        }),
      );
    }
  }
  for (let i = 0; i < (options.icmp ?? 10); i++) {
    const a = host("10.5.0.0");
    const b = host("10.6.0.0");
    for (let k = 0; k < 3; k++) {
      push(icmpFrame(a, b, 8, i + 1, k));
      push(icmpFrame(b, a, 0, i + 1, k));
    }
  }
  return encodePcap(packets);
}
