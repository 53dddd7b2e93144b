import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ipv4PseudoHeaderSum } from "../../src/wire/checksum.ts";
import { WireError } from "../../src/wire/errors.ts";
import { ipv6FromString } from "../../src/wire/ipv6.ts";
import {
  decodeUdp,
  encodeUdp,
  fillUdpChecksumIpv4,
  fillUdpChecksumIpv6,
  udpChecksumIpv4,
  verifyUdpChecksumIpv4,
  verifyUdpChecksumIpv6,
} from "../../src/wire/udp.ts";
import { hex, onlyWireErrors } from "./fixtures.ts";

// A traceroute-style probe 10.9.1.1:45000 -> 10.9.2.2:33434 captured at the sender on a veth: Linux leaves the
// checksum field holding the partial pseudo-header sum (checksum offload), so it does not verify as sent.
const PROBE = hex("afc8829a0018173e666c6f776c656e732d70726f62652d31");
const SRC = 0x0a090101;
const DST = 0x0a090202;

describe("UDP header", () => {
  it("decodes a captured header and re-encodes it byte for byte", () => {
    const udp = decodeUdp(PROBE);
    assert.deepEqual(udp, { srcPort: 45000, dstPort: 33434, length: 24, checksum: 0x173e });
    assert.deepEqual(encodeUdp(udp), PROBE.subarray(0, 8));
  });

  it("sees the offloaded partial checksum for what it is and computes the final one", () => {
    assert.equal(ipv4PseudoHeaderSum(SRC, DST, 17, 24), 0x173e);
    assert.equal(verifyUdpChecksumIpv4(PROBE, 0, SRC, DST), false);
    const fixed = PROBE.slice();
    const c = fillUdpChecksumIpv4(fixed, 0, SRC, DST);
    assert.equal(c, udpChecksumIpv4(PROBE, 0, SRC, DST));
    assert.equal(verifyUdpChecksumIpv4(fixed, 0, SRC, DST), true);
    assert.equal(verifyUdpChecksumIpv4(fixed, 0, SRC, DST + 1), false);
    assert.deepEqual(PROBE.subarray(6, 8), hex("173e")); // computing never touched the input
  });

  it("treats 0 as no checksum over IPv4 but as invalid over IPv6", () => {
    const bytes = PROBE.slice();
    bytes[6] = 0;
    bytes[7] = 0;
    assert.equal(verifyUdpChecksumIpv4(bytes, 0, SRC, DST), true);
    const a = ipv6FromString("2001:db8::1");
    const b = ipv6FromString("2001:db8::2");
    assert.equal(verifyUdpChecksumIpv6(bytes, 0, a, b), false);
    fillUdpChecksumIpv6(bytes, 0, a, b);
    assert.equal(verifyUdpChecksumIpv6(bytes, 0, a, b), true);
    assert.equal(verifyUdpChecksumIpv6(bytes, 0, b, a), true); // the pseudo-header sum is symmetric in the addresses
    assert.equal(verifyUdpChecksumIpv6(bytes, 0, a, a), false);
  });

  it("transmits a computed zero checksum as 0xffff", () => {
    // With a zero payload word the checksum is ~R (R: the rest of the sum); writing ~R as that word makes the sum
    // 0xffff, so the computed checksum is 0 and must go out as 0xffff.
    const bytes = hex("00010002000a0000 0000");
    const word = udpChecksumIpv4(bytes, 0, 0, 0);
    assert.equal(word, ~(1 + 2 + 10 + 17 + 10) & 0xffff);
    bytes[8] = word >>> 8;
    bytes[9] = word & 0xff;
    assert.equal(udpChecksumIpv4(bytes, 0, 0, 0), 0xffff);
    fillUdpChecksumIpv4(bytes, 0, 0, 0);
    assert.equal(verifyUdpChecksumIpv4(bytes, 0, 0, 0), true);
  });

  it("checks the length field against 8 and the bytes present, with offsets", () => {
    const buffer = new Uint8Array(40);
    buffer.set(PROBE, 10);
    assert.equal(decodeUdp(buffer, 10).dstPort, 33434);
    assert.throws(
      () => decodeUdp(buffer.subarray(0, 33), 10),
      (e) => e instanceof WireError && e.code === "ERR_UDP_TRUNCATED" && e.offset === 10,
    );
    buffer[15] = 7;
    assert.throws(
      () => decodeUdp(buffer, 10),
      (e) => e instanceof WireError && e.code === "ERR_UDP_LENGTH" && e.offset === 14,
    );
    assert.throws(
      () => decodeUdp(PROBE, 20),
      (e) => e instanceof WireError && e.code === "ERR_UDP_TRUNCATED",
    );
    assert.throws(() => udpChecksumIpv4(PROBE.subarray(0, 20), 0, SRC, DST), WireError);
  });

  it("round-trips any header", () => {
    fc.assert(
      fc.property(
        fc.nat(0xffff),
        fc.nat(0xffff),
        fc.nat(40),
        fc.nat(0xffff),
        fc.nat(5),
        (srcPort, dstPort, payload, checksum, at) => {
          const header = { srcPort, dstPort, length: 8 + payload, checksum };
          const buffer = new Uint8Array(at + 8 + payload);
          encodeUdp(header, buffer, at);
          assert.deepEqual(decodeUdp(buffer, at), header);
        },
      ),
    );
  });

  it("raises only WireErrors on random bytes and rejects bad encoder input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.integer({ min: -1, max: 30 }), (bytes, at) => {
        onlyWireErrors(() => decodeUdp(bytes, at));
        onlyWireErrors(() => verifyUdpChecksumIpv4(bytes, at, 1, 2));
      }),
    );
    assert.throws(
      () => encodeUdp({ srcPort: 1, dstPort: 2, length: 7, checksum: 0 }),
      (e) => e instanceof WireError && e.code === "ERR_UDP_FIELD",
    );
    assert.throws(() => encodeUdp({ srcPort: 65536, dstPort: 2, length: 8, checksum: 0 }), WireError);
    assert.throws(() => encodeUdp({ srcPort: 1, dstPort: 2, length: 8, checksum: 0 }, new Uint8Array(8), 1), WireError);
  });
});
