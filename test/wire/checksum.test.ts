import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  checksumAdjustmentWord,
  finishChecksum,
  holdIpv4UdpChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv4UdpChecksumAdjustmentWord,
  ipv6PseudoHeaderSum,
  onesComplementAdd,
  onesComplementSum,
  transportChecksumIpv4,
  transportChecksumIpv6,
} from "../../src/wire/checksum.ts";
import { WireError } from "../../src/wire/errors.ts";
import { ipv6FromString } from "../../src/wire/ipv6.ts";
import { encodeIpv4UdpPacket } from "../../src/wire/udp-packet.ts";
import { hex } from "./fixtures.ts";

/** Straightforward reference: 32-bit sum of words, folded at the end. */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

function udpChecksumField(packet: Uint8Array): number {
  const ihl = (packet[0] & 0x0f) * 4;
  return (packet[ihl + 6] << 8) | packet[ihl + 7];
}

function udpChecksumVerifies(packet: Uint8Array): boolean {
  const ihl = (packet[0] & 0x0f) * 4;
  const src = packet.subarray(12, 16).reduce((a, b) => a * 256 + b, 0);
  const dst = packet.subarray(16, 20).reduce((a, b) => a * 256 + b, 0);
  return transportChecksumIpv4(src, dst, 17, packet, ihl, packet.length - ihl) === 0;
}

describe("Internet checksum (RFC 1071)", () => {
  it("matches the worked example of RFC 1071 section 3", () => {
    // 00 01 f2 03 f4 f5 f6 f7: the one's complement sum is ddf2, the checksum its complement.
    const bytes = hex("0001f203f4f5f6f7");
    assert.equal(onesComplementSum(bytes), 0xddf2);
    assert.equal(internetChecksum(bytes), 0x220d);
  });

  it("checks a real IPv4 header (checksum b861) to zero", () => {
    const header = hex("450000730000400040110000c0a80001c0a800c7");
    assert.equal(internetChecksum(header), 0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    assert.equal(internetChecksum(header), 0);
  });

  it("pads an odd final byte with zero", () => {
    // 0x0102 + 0xff00 = 0x10002, folded with end-around carry to 0x0003.
    assert.equal(onesComplementSum(hex("0102ff")), 0x0003);
    assert.equal(onesComplementSum(hex("0001ff")), 0xff01);
  });

  it("agrees with a plain reference implementation, and is incremental over even splits", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(150), (bytes, half) => {
        const split = Math.min(bytes.length, half * 2);
        assert.equal(internetChecksum(bytes), referenceChecksum(bytes));
        const first = onesComplementSum(bytes, 0, split);
        assert.equal(
          finishChecksum(onesComplementSum(bytes, split, bytes.length - split, first)),
          referenceChecksum(bytes),
        );
      }),
    );
  });

  it("sums large ranges without losing carries", () => {
    const bytes = new Uint8Array(300_000).fill(0xff);
    assert.equal(internetChecksum(bytes), referenceChecksum(bytes));
    bytes[7] = 0x12;
    assert.equal(internetChecksum(bytes), referenceChecksum(bytes));
  });

  it("onesComplementAdd wraps the carry around", () => {
    assert.equal(onesComplementAdd(0xffff, 0x0001), 0x0001);
    assert.equal(onesComplementAdd(0x8000, 0x8000), 0x0001);
    assert.equal(onesComplementAdd(0x1234, 0x0000), 0x1234);
  });

  it("rejects ranges outside the buffer with a WireError", () => {
    assert.throws(
      () => onesComplementSum(new Uint8Array(4), 2, 4),
      (e) => e instanceof WireError && e.code === "ERR_CHECKSUM_RANGE",
    );
    assert.throws(() => internetChecksum(new Uint8Array(4), -1, 2), WireError);
  });
});

describe("pseudo-headers", () => {
  it("IPv4 pseudo-header sum equals the sum over its 12 bytes", () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(255), fc.nat(0xffff), (src, dst, proto, len) => {
        const ph = new Uint8Array(12);
        const v = new DataView(ph.buffer);
        v.setUint32(0, src);
        v.setUint32(4, dst);
        ph[9] = proto;
        v.setUint16(10, len);
        assert.equal(finishChecksum(ipv4PseudoHeaderSum(src, dst, proto, len)), referenceChecksum(ph));
      }),
    );
  });

  it("IPv6 pseudo-header sum equals the sum over its 40 bytes (RFC 8200 8.1)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(255),
        fc.nat(0x7fffffff),
        (src, dst, nh, len) => {
          const ph = new Uint8Array(40);
          ph.set(src, 0);
          ph.set(dst, 16);
          new DataView(ph.buffer).setUint32(32, len);
          ph[39] = nh;
          assert.equal(finishChecksum(ipv6PseudoHeaderSum(src, dst, nh, len)), referenceChecksum(ph));
        },
      ),
    );
  });

  it("computes an IPv6 UDP checksum that then verifies to zero and catches a flipped bit", () => {
    const src = ipv6FromString("2001:db8::1");
    const dst = ipv6FromString("2001:db8::2");
    const udp = hex("d43100350010000061626364656667ff");
    const c = transportChecksumIpv6(src, dst, 17, udp);
    udp[6] = c >>> 8;
    udp[7] = c & 0xff;
    assert.equal(transportChecksumIpv6(src, dst, 17, udp), 0);
    udp[9] ^= 1;
    assert.notEqual(transportChecksumIpv6(src, dst, 17, udp), 0);
  });
});

describe("holding a UDP checksum constant (Paris traceroute)", () => {
  const base = {
    srcAddr: 0x0a000001,
    dstAddr: 0xc0a80101,
    srcPort: 33434,
    dstPort: 33435,
    ttl: 5,
  };

  it("makes the checksum the wanted value for any payload, port and even/odd offset", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 64 }),
        fc.nat(0xffff),
        fc.integer({ min: 1, max: 0xffff }),
        fc.nat(63),
        (payload, dstPort, wanted, where) => {
          const at = where % (payload.length - 1);
          const packet = encodeIpv4UdpPacket({ ...base, dstPort, payload });
          const word = holdIpv4UdpChecksum(packet, at, wanted);
          assert.equal(udpChecksumField(packet), wanted);
          assert.equal((packet[28 + at] << 8) | packet[29 + at], word);
          assert.ok(udpChecksumVerifies(packet), "checksum field verifies after adjustment");
        },
      ),
    );
  });

  it("keeps the same checksum across different destination ports (flow id constant)", () => {
    const checksums = new Set<number>();
    for (let port = 33434; port < 33440; port++) {
      const packet = encodeIpv4UdpPacket({ ...base, dstPort: port, payload: new Uint8Array(8) });
      holdIpv4UdpChecksum(packet, 0, 0x1234);
      assert.ok(udpChecksumVerifies(packet));
      checksums.add(udpChecksumField(packet));
    }
    assert.deepEqual([...checksums], [0x1234]);
  });

  it("can reach 0xffff (a computed zero) but not 0", () => {
    const packet = encodeIpv4UdpPacket({ ...base, payload: new Uint8Array(4) });
    holdIpv4UdpChecksum(packet, 2, 0xffff);
    assert.equal(udpChecksumField(packet), 0xffff);
    assert.ok(udpChecksumVerifies(packet));
    assert.throws(
      () => ipv4UdpChecksumAdjustmentWord(packet, 0, 0),
      (e) => e instanceof WireError && e.code === "ERR_CHECKSUM_WANTED",
    );
  });

  it("rejects offsets outside the payload and non-UDP packets", () => {
    const packet = encodeIpv4UdpPacket({ ...base, payload: new Uint8Array(4) });
    assert.throws(
      () => ipv4UdpChecksumAdjustmentWord(packet, 3, 0x1111),
      (e) => e instanceof WireError && e.code === "ERR_CHECKSUM_PACKET",
    );
    assert.throws(() => ipv4UdpChecksumAdjustmentWord(packet, -1, 0x1111), WireError);
    const tcpLike = packet.slice();
    tcpLike[9] = 6;
    assert.throws(() => ipv4UdpChecksumAdjustmentWord(tcpLike, 0, 0x1111), WireError);
    assert.throws(() => ipv4UdpChecksumAdjustmentWord(packet.subarray(0, 24), 0, 0x1111), WireError);
  });

  it("works at an offset into a larger buffer", () => {
    const packet = encodeIpv4UdpPacket({ ...base, payload: hex("00112233445566") });
    const buffer = new Uint8Array(packet.length + 10);
    buffer.set(packet, 6);
    holdIpv4UdpChecksum(buffer, 1, 0xbeef, 6);
    const moved = buffer.slice(6, 6 + packet.length);
    assert.equal(udpChecksumField(moved), 0xbeef);
    assert.ok(udpChecksumVerifies(moved));
  });

  it("checksumAdjustmentWord solves the one's complement equation directly", () => {
    fc.assert(
      fc.property(fc.nat(0xffff), fc.integer({ min: 1, max: 0xfffe }), (rest, wanted) => {
        const word = checksumAdjustmentWord(rest, wanted, 0);
        assert.equal(finishChecksum(onesComplementAdd(rest, word)), wanted);
      }),
    );
  });
});
