import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IfIndexError, PacketParser, PacketVerdict } from "../../src/exporter/packet-parser.ts";
import { locateNetworkLayer } from "../../src/wire/capture-link.ts";
import type { CapturedPacket } from "../../src/wire/capture-parser.ts";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  encodeEthernet,
  macFromString,
} from "../../src/wire/ethernet.ts";
import { encodeIcmp } from "../../src/wire/icmp.ts";
import { encodeIpv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, type Ipv4HeaderInit } from "../../src/wire/ipv4.ts";
import { ipv4FromString as addr } from "../../src/wire/ipv4-address.ts";
import { encodeIpv6 } from "../../src/wire/ipv6.ts";
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_RAW } from "../../src/wire/pcap-writer.ts";
import { encodeTcp } from "../../src/wire/tcp.ts";
import { encodeUdp } from "../../src/wire/udp.ts";
import { concat } from "../helpers/capture-fixtures.ts";

function ip(init: Omit<Ipv4HeaderInit, "totalLength">, payload: Uint8Array, totalLength?: number): Uint8Array {
  return concat(encodeIpv4({ ...init, totalLength: totalLength ?? 20 + payload.length }), payload);
}

function eth(etherType: number, payload: Uint8Array, vlanIds: number[] = []): Uint8Array {
  const header = { dstMac: macFromString("02:00:00:00:00:02"), srcMac: macFromString("02:00:00:00:00:01") };
  return concat(encodeEthernet({ ...header, etherType, vlanIds }), payload);
}

const SRC = addr("10.1.2.3");
const DST = addr("192.0.2.77");

function tcp(flags: number, payload = 10): Uint8Array {
  const segment = concat(encodeTcp({ srcPort: 40000, dstPort: 443, flags }), new Uint8Array(payload));
  return ip({ protocol: IPPROTO_TCP, srcAddr: SRC, dstAddr: DST, tos: 0xb8 }, segment);
}

function udp(srcPort: number, dstPort: number, payload = 4): Uint8Array {
  const datagram = concat(encodeUdp({ srcPort, dstPort, length: 8 + payload, checksum: 0 }), new Uint8Array(payload));
  return ip({ protocol: IPPROTO_UDP, srcAddr: SRC, dstAddr: DST }, datagram);
}

function packet(data: Uint8Array, linkType = LINKTYPE_ETHERNET, extra: Partial<CapturedPacket> = {}): CapturedPacket {
  return {
    timestampNs: 1_700_000_000_123_456_789n,
    linkType,
    data,
    origLen: data.length,
    interfaceId: 0,
    fileOffset: 0,
    ...extra,
  };
}

describe("PacketParser", () => {
  it("reads a TCP segment: key fields, flags, ToS, IP total length, time in ms", () => {
    const p = new PacketParser({ defaultInput: 7, output: 9 });
    assert.equal(p.parse(packet(eth(ETHERTYPE_IPV4, tcp(0x12)))), PacketVerdict.IPV4);
    const i = p.info;
    assert.equal(i.srcAddr, SRC);
    assert.equal(i.dstAddr, DST);
    assert.equal(i.prot, IPPROTO_TCP);
    assert.equal(i.srcPort, 40000);
    assert.equal(i.dstPort, 443);
    assert.equal(i.tcpFlags, 0x12);
    assert.equal(i.tos, 0xb8);
    assert.equal(i.ipLength, 50);
    assert.equal(i.timestampMs, 1_700_000_000_123);
    assert.equal(i.input, 7);
    assert.equal(i.output, 9);
    assert.equal(i.fragment, false);
    assert.equal(p.counters.ipv4, 1);
  });

  it("counts the IP total length, not Ethernet padding or the wire length", () => {
    // A bare 40-byte ACK padded to the 60-byte Ethernet minimum: softflowd would count 46.
    const frame = concat(eth(ETHERTYPE_IPV4, tcp(0x10, 0)), new Uint8Array(6));
    const p = new PacketParser();
    assert.equal(p.parse(packet(frame, LINKTYPE_ETHERNET, { origLen: 64 })), PacketVerdict.IPV4);
    assert.equal(p.info.ipLength, 40);
  });

  it("falls back to the wire length when the total length is 0 (segmentation offload)", () => {
    const frame = eth(ETHERTYPE_IPV4, tcp(0x10, 100));
    frame[14 + 2] = 0;
    frame[14 + 3] = 0;
    const p = new PacketParser();
    assert.equal(p.parse(packet(frame, LINKTYPE_ETHERNET, { origLen: 9014 })), PacketVerdict.IPV4);
    assert.equal(p.info.ipLength, 9000);
  });

  it("reads UDP ports under 802.1Q and Q-in-Q tags, and from raw IP", () => {
    const p = new PacketParser();
    for (const [data, link] of [
      [eth(ETHERTYPE_IPV4, udp(53, 5353), [100]), LINKTYPE_ETHERNET],
      [eth(ETHERTYPE_IPV4, udp(53, 5353), [200, 300]), LINKTYPE_ETHERNET],
      [udp(53, 5353), LINKTYPE_RAW],
    ] as const) {
      assert.equal(p.parse(packet(data, link)), PacketVerdict.IPV4);
      assert.equal(p.info.prot, IPPROTO_UDP);
      assert.equal(p.info.srcPort, 53);
      assert.equal(p.info.dstPort, 5353);
      assert.equal(p.info.tcpFlags, 0);
      assert.equal(p.info.ipLength, 32);
    }
  });

  it("puts the ICMP type in the high byte and the code in the low byte of the destination port", () => {
    const icmp = encodeIcmp({ type: 3, code: 4, nextHopMtu: 1400, data: new Uint8Array(28) });
    const p = new PacketParser();
    assert.equal(p.parse(packet(ip({ protocol: IPPROTO_ICMP, srcAddr: SRC, dstAddr: DST }, icmp), LINKTYPE_RAW)), 0);
    assert.equal(p.info.srcPort, 0);
    assert.equal(p.info.dstPort, 0x0304);
    const echo = encodeIcmp({ type: 8, code: 0, identifier: 1, sequenceNumber: 1 });
    p.parse(packet(ip({ protocol: IPPROTO_ICMP, srcAddr: SRC, dstAddr: DST }, echo), LINKTYPE_RAW));
    assert.equal(p.info.dstPort, 0x0800);
  });

  it("keys the first fragment by its ports and later fragments with ports 0", () => {
    const body = concat(encodeUdp({ srcPort: 7000, dstPort: 8000, length: 48, checksum: 0 }), new Uint8Array(40));
    const common = { protocol: IPPROTO_UDP, srcAddr: SRC, dstAddr: DST, identification: 7 };
    const first = ip({ ...common, moreFragments: true }, body.subarray(0, 24));
    const later = ip({ ...common, fragmentOffset: 24 }, body.subarray(24));
    const p = new PacketParser();
    assert.equal(p.parse(packet(first, LINKTYPE_RAW)), PacketVerdict.IPV4);
    assert.deepEqual([p.info.srcPort, p.info.dstPort, p.info.fragment, p.info.ipLength], [7000, 8000, true, 44]);
    assert.equal(p.parse(packet(later, LINKTYPE_RAW)), PacketVerdict.IPV4);
    assert.deepEqual([p.info.srcPort, p.info.dstPort, p.info.fragment, p.info.ipLength], [0, 0, true, 44]);
    assert.equal(p.counters.fragments, 2);
    assert.equal(p.counters.truncatedTransport, 0);
  });

  it("counts IPv6, non-IP and malformed packets without throwing", () => {
    const p = new PacketParser();
    const v6 = encodeIpv6({
      payloadLength: 0,
      upperLayerProtocol: 59,
      srcAddr: new Uint8Array(16),
      dstAddr: new Uint8Array(16),
    });
    assert.equal(p.parse(packet(eth(ETHERTYPE_IPV6, v6))), PacketVerdict.IPV6);
    assert.equal(p.parse(packet(v6, LINKTYPE_RAW)), PacketVerdict.IPV6);
    assert.equal(p.parse(packet(eth(ETHERTYPE_ARP, new Uint8Array(28)))), PacketVerdict.NON_IP);
    assert.equal(p.parse(packet(new Uint8Array(10))), PacketVerdict.NON_IP);
    assert.equal(p.parse(packet(new Uint8Array(40), 147)), PacketVerdict.NON_IP);
    const cut = eth(ETHERTYPE_IPV4, tcp(0x02)).subarray(0, 14 + 12);
    assert.equal(p.parse(packet(cut)), PacketVerdict.MALFORMED);
    const badIhl = tcp(0x02);
    badIhl[0] = 0x44;
    assert.equal(p.parse(packet(badIhl, LINKTYPE_RAW)), PacketVerdict.MALFORMED);
    const short = tcp(0x02);
    short[2] = 0;
    short[3] = 10;
    assert.equal(p.parse(packet(short, LINKTYPE_RAW)), PacketVerdict.MALFORMED);
    assert.deepEqual(
      { ...p.counters },
      { packets: 8, ipv4: 0, ipv6: 2, nonIp: 3, malformed: 3, fragments: 0, truncatedTransport: 0 },
    );
  });

  it("accounts a transport header cut by the snapshot length with what is present", () => {
    const p = new PacketParser();
    const cut = tcp(0x18).subarray(0, 20 + 8);
    assert.equal(p.parse(packet(cut, LINKTYPE_RAW)), PacketVerdict.IPV4);
    assert.deepEqual([p.info.srcPort, p.info.dstPort, p.info.tcpFlags, p.info.ipLength], [40000, 443, 0, 50]);
    assert.equal(p.counters.truncatedTransport, 1);
  });

  it("maps capture interfaces to input ifIndex values and rejects bad ones", () => {
    const p = new PacketParser({ inputIfIndex: [11, 12], defaultInput: 99 });
    const data = eth(ETHERTYPE_IPV4, udp(1, 2));
    for (const [id, want] of [
      [0, 11],
      [1, 12],
      [5, 99],
    ]) {
      p.parse(packet(data, LINKTYPE_ETHERNET, { interfaceId: id }));
      assert.equal(p.info.input, want);
    }
    assert.throws(() => new PacketParser({ output: 70000 }), IfIndexError);
    assert.throws(() => new PacketParser({ inputIfIndex: [1.5] }), { code: "ERR_EXPORTER_IFINDEX" });
  });

  it("reads Linux cooked captures through the shared locator", () => {
    const sll = new Uint8Array(16);
    sll[14] = 0x08;
    const p = new PacketParser();
    assert.equal(p.parse(packet(concat(sll, udp(9, 10)), LINKTYPE_LINUX_SLL)), PacketVerdict.IPV4);
    assert.equal(p.info.dstPort, 10);
  });

  it("finds the IP layer where the shared locator does, and never throws on random bytes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, 0, 228, 229),
        fc.uint8Array({ maxLength: 80 }),
        (link, bytes) => {
          const p = new PacketParser();
          const verdict = p.parse(packet(bytes, link));
          const where = locateNetworkLayer(link, bytes);
          if (where === null) assert.ok(verdict === PacketVerdict.NON_IP || verdict === PacketVerdict.MALFORMED);
          else if (where.etherType === ETHERTYPE_IPV6) assert.equal(verdict, PacketVerdict.IPV6);
          else assert.notEqual(verdict, PacketVerdict.IPV6);
        },
      ),
    );
  });
});
