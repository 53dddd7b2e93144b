import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { internetChecksum } from "../../src/wire/checksum.ts";
import { WireError } from "../../src/wire/errors.ts";
import { decodeEthernet, ETHERTYPE_IPV4, macToString } from "../../src/wire/ethernet.ts";
import { decodeIpv4 } from "../../src/wire/ipv4.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { decodeUdp, verifyUdpChecksumIpv4 } from "../../src/wire/udp.ts";
import { encodeEthernetIpv4UdpFrame, encodeIpv4UdpPacket } from "../../src/wire/udp-packet.ts";
import { hex } from "./fixtures.ts";

describe("encodeIpv4UdpPacket", () => {
  it("reproduces a real kernel-sent traceroute probe byte for byte (bar the offloaded UDP checksum)", () => {
    // 10.9.1.1:45000 -> 10.9.2.2:33434, TTL 1, DF, id 0x1ec9, captured in a network namespace. Linux left the UDP
    // checksum as the partial pseudo-header sum 0x173e (checksum offload); ours is the finished one.
    const captured = hex("4500002c1ec94000011143e40a0901010a090202afc8829a0018173e666c6f776c656e732d70726f62652d31");
    const built = encodeIpv4UdpPacket({
      srcAddr: ipv4FromString("10.9.1.1"),
      dstAddr: ipv4FromString("10.9.2.2"),
      srcPort: 45000,
      dstPort: 33434,
      payload: new TextEncoder().encode("flowlens-probe-1"),
      ttl: 1,
      identification: 0x1ec9,
      dontFragment: true,
    });
    assert.deepEqual(built.subarray(0, 26), captured.subarray(0, 26));
    assert.deepEqual(built.subarray(28), captured.subarray(28));
    const withoutDf = encodeIpv4UdpPacket({
      srcAddr: 0x0a090101,
      dstAddr: 0x0a090202,
      srcPort: 1,
      dstPort: 2,
      payload: hex(""),
    });
    assert.equal(withoutDf[6], 0);
    assert.equal(internetChecksum(built, 0, 20), 0);
    assert.ok(verifyUdpChecksumIpv4(built, 20, 0x0a090101, 0x0a090202));
    assert.notEqual((built[26] << 8) | built[27], 0);
  });

  it("writes correct headers and checksums for any input", () => {
    fc.assert(
      fc.property(
        fc.record({
          srcAddr: fc.nat(0xffffffff),
          dstAddr: fc.nat(0xffffffff),
          srcPort: fc.nat(0xffff),
          dstPort: fc.nat(0xffff),
          payload: fc.uint8Array({ maxLength: 200 }),
          ttl: fc.nat(255),
          identification: fc.nat(0xffff),
          tos: fc.nat(255),
        }),
        (opts) => {
          const packet = encodeIpv4UdpPacket(opts);
          const ip = decodeIpv4(packet);
          assert.equal(packet.length, 28 + opts.payload.length);
          assert.equal(ip.checksumValid, true);
          assert.equal(ip.totalLength, packet.length);
          assert.deepEqual(
            [ip.srcAddr, ip.dstAddr, ip.ttl, ip.identification, ip.tos, ip.protocol, ip.dontFragment],
            [opts.srcAddr, opts.dstAddr, opts.ttl, opts.identification, opts.tos, 17, false],
          );
          const udp = decodeUdp(packet, 20);
          assert.deepEqual(
            [udp.srcPort, udp.dstPort, udp.length],
            [opts.srcPort, opts.dstPort, 8 + opts.payload.length],
          );
          assert.notEqual(udp.checksum, 0);
          assert.ok(verifyUdpChecksumIpv4(packet, 20, opts.srcAddr, opts.dstAddr));
          assert.deepEqual(packet.subarray(28), opts.payload);
        },
      ),
    );
  });

  it("uses TTL 64 by default and writes 0 when udpChecksum is false", () => {
    const packet = encodeIpv4UdpPacket({
      srcAddr: 1,
      dstAddr: 2,
      srcPort: 3,
      dstPort: 4,
      payload: hex("ff"),
      udpChecksum: false,
    });
    assert.equal(packet[8], 64);
    assert.equal(decodeUdp(packet, 20).checksum, 0);
  });

  it("rejects out-of-range fields and oversized payloads with WireErrors", () => {
    const ok = { srcAddr: 1, dstAddr: 2, srcPort: 3, dstPort: 4, payload: new Uint8Array(1) };
    assert.throws(() => encodeIpv4UdpPacket({ ...ok, srcPort: 70000 }), WireError);
    assert.throws(() => encodeIpv4UdpPacket({ ...ok, ttl: 256 }), WireError);
    assert.throws(() => encodeIpv4UdpPacket({ ...ok, srcAddr: -1 }), WireError);
    assert.throws(() => encodeIpv4UdpPacket({ ...ok, payload: new Uint8Array(65508) }), WireError);
  });
});

describe("encodeEthernetIpv4UdpFrame", () => {
  it("puts the same packet behind an Ethernet II header with the given MACs", () => {
    const opts = {
      srcAddr: ipv4FromString("192.0.2.1"),
      dstAddr: ipv4FromString("198.51.100.7"),
      srcPort: 4567,
      dstPort: 9000,
      payload: hex("0102030405"),
      srcMac: "AA:bb:cc:00:11:22",
      dstMac: "de:ad:be:ef:00:01",
    };
    const frame = encodeEthernetIpv4UdpFrame(opts);
    const eth = decodeEthernet(frame);
    assert.equal(macToString(eth.srcMac), "aa:bb:cc:00:11:22");
    assert.equal(macToString(eth.dstMac), "de:ad:be:ef:00:01");
    assert.equal(eth.etherType, ETHERTYPE_IPV4);
    assert.deepEqual(frame.subarray(14), encodeIpv4UdpPacket(opts));
  });

  it("has default MACs and rejects a malformed one", () => {
    const opts = { srcAddr: 1, dstAddr: 2, srcPort: 3, dstPort: 4, payload: new Uint8Array() };
    const eth = decodeEthernet(encodeEthernetIpv4UdpFrame(opts));
    assert.equal(macToString(eth.srcMac), "02:00:00:00:00:01");
    assert.equal(macToString(eth.dstMac), "02:00:00:00:00:02");
    assert.throws(() => encodeEthernetIpv4UdpFrame({ ...opts, srcMac: "02:00:00:00:00" }), WireError);
  });
});
