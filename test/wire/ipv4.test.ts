import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import {
  decodeIpv4,
  decodeIpv4Header,
  encodeIpv4,
  type Ipv4HeaderInit,
  ipv4EncodingLength,
} from "../../src/wire/ipv4.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { hex, onlyWireErrors } from "./fixtures.ts";

// ICMP Time Exceeded sent by a Linux router (10.9.1.2), captured in a network namespace: TOS 0xc0 (CS6), TTL 64.
const ROUTER_ICMP = hex(
  "45c00048f26100004001717f0a0901020a0901010b00cb13000000004500002c1ec94000011143e40a0901010a090202afc8829a0018173e" +
    "666c6f776c656e732d70726f62652d31",
);

describe("IPv4 header", () => {
  it("decodes a captured header and re-encodes it byte for byte", () => {
    const ip = decodeIpv4(ROUTER_ICMP);
    assert.equal(ip.version, 4);
    assert.equal(ip.headerLength, 20);
    assert.equal(ip.tos, 0xc0);
    assert.equal(ip.totalLength, 72);
    assert.equal(ip.identification, 0xf261);
    assert.equal(ip.dontFragment, false);
    assert.equal(ip.moreFragments, false);
    assert.equal(ip.fragmentOffset, 0);
    assert.equal(ip.ttl, 64);
    assert.equal(ip.protocol, 1);
    assert.equal(ip.headerChecksum, 0x717f);
    assert.equal(ip.checksumValid, true);
    assert.equal(ipv4ToString(ip.srcAddr), "10.9.1.2");
    assert.equal(ipv4ToString(ip.dstAddr), "10.9.1.1");
    assert.equal(ip.options.length, 0);
    assert.deepEqual(encodeIpv4(ip), ROUTER_ICMP.subarray(0, 20));
  });

  it("decodes the well-known example header with checksum b861", () => {
    const bytes = new Uint8Array(0x73);
    bytes.set(hex("450000730000400040110000c0a80001c0a800c7"));
    bytes.set([0xb8, 0x61], 10);
    const ip = decodeIpv4(bytes);
    assert.equal(ip.checksumValid, true);
    assert.equal(ip.dontFragment, true);
    assert.equal(ipv4ToString(ip.dstAddr), "192.168.0.199");
    assert.deepEqual(encodeIpv4(ip), bytes.subarray(0, 20));
  });

  it("keeps options and their padding (Router Alert, RFC 2113)", () => {
    const header = encodeIpv4({
      tos: 0xc0,
      totalLength: 32,
      ttl: 1,
      protocol: 2,
      srcAddr: 0x0a000001,
      dstAddr: 0xe0000016,
      dontFragment: true,
      options: hex("94040000"),
    });
    assert.equal(header[0], 0x46);
    const packet = new Uint8Array(32);
    packet.set(header);
    const ip = decodeIpv4(packet);
    assert.equal(ip.headerLength, 24);
    assert.deepEqual(ip.options, hex("94040000"));
    assert.equal(ip.checksumValid, true);
    // Options that are not a multiple of 4 are padded with zeros (end of option list).
    const padded = encodeIpv4({ totalLength: 28, protocol: 17, srcAddr: 1, dstAddr: 2, options: hex("0701") });
    assert.equal(padded.length, 24);
    assert.deepEqual(padded.subarray(20), hex("07010000"));
  });

  it("reports fragment fields with the offset in bytes", () => {
    const header = encodeIpv4({
      totalLength: 100,
      protocol: 17,
      srcAddr: 1,
      dstAddr: 2,
      identification: 7,
      moreFragments: true,
      fragmentOffset: 1480,
    });
    assert.deepEqual([header[6], header[7]], [0x20, 0xb9]); // MF | 185 (x 8 = 1480)
    const ip = decodeIpv4Header(header);
    assert.equal(ip.moreFragments, true);
    assert.equal(ip.fragmentOffset, 1480);
    assert.throws(
      () => encodeIpv4({ totalLength: 20, protocol: 1, srcAddr: 1, dstAddr: 2, fragmentOffset: 12 }),
      WireError,
    );
  });

  it("reports a wrong header checksum instead of throwing", () => {
    const bytes = ROUTER_ICMP.slice();
    bytes[8] = 63; // TTL changed without updating the checksum
    const ip = decodeIpv4(bytes);
    assert.equal(ip.checksumValid, false);
    assert.equal(ip.ttl, 63);
    assert.equal(decodeIpv4(encodeIpv4(ip, bytes)).checksumValid, true);
  });

  it("checks totalLength against the bytes present", () => {
    const cut = ROUTER_ICMP.subarray(0, 50);
    assert.throws(
      () => decodeIpv4(cut),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_TRUNCATED" && e.offset === 0,
    );
    assert.equal(decodeIpv4Header(cut).totalLength, 72);
    const padded = new Uint8Array(80);
    padded.set(ROUTER_ICMP);
    assert.equal(decodeIpv4(padded).totalLength, 72); // Ethernet padding after the datagram is fine
  });

  it("rejects bad versions and lengths with codes and offsets into the caller's buffer", () => {
    const buffer = new Uint8Array(100);
    buffer.set(ROUTER_ICMP, 10);
    assert.equal(decodeIpv4(buffer, 10).identification, 0xf261);
    buffer[10] = 0x65;
    assert.throws(
      () => decodeIpv4(buffer, 10),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_VERSION" && e.offset === 10,
    );
    buffer[10] = 0x44;
    assert.throws(
      () => decodeIpv4(buffer, 10),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_HEADER_LENGTH",
    );
    buffer[10] = 0x45;
    buffer[12] = 0;
    buffer[13] = 19;
    assert.throws(
      () => decodeIpv4(buffer, 10),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_HEADER_LENGTH" && e.offset === 12,
    );
    assert.throws(
      () => decodeIpv4Header(hex("4f00003c")),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_TRUNCATED",
    );
  });

  it("round-trips any header", () => {
    const init = fc.record({
      tos: fc.nat(255),
      payload: fc.nat(100),
      identification: fc.nat(0xffff),
      reservedFlag: fc.boolean(),
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.nat(8191).map((n) => n * 8),
      ttl: fc.nat(255),
      protocol: fc.nat(255),
      srcAddr: fc.nat(0xffffffff),
      dstAddr: fc.nat(0xffffffff),
      options: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(init, fc.nat(9), ({ payload, ...rest }, at) => {
        const length = ipv4EncodingLength({ ...rest, totalLength: 0 });
        const header: Ipv4HeaderInit = { ...rest, totalLength: length + payload };
        const buffer = new Uint8Array(at + length + payload);
        encodeIpv4(header, buffer, at);
        const ip = decodeIpv4(buffer, at);
        assert.equal(ip.checksumValid, true);
        assert.equal(ip.headerLength, length);
        const { options, ...fields } = header;
        for (const [k, v] of Object.entries(fields)) assert.equal(ip[k as keyof typeof ip], v, k);
        assert.deepEqual(ip.options.subarray(0, options?.length), options);
        assert.deepEqual(encodeIpv4(ip), buffer.subarray(at, at + length));
      }),
    );
  });

  it("raises only WireErrors on random and mutated bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -1, max: 90 }), (bytes, at) => {
        onlyWireErrors(() => decodeIpv4(bytes, at));
        onlyWireErrors(() => decodeIpv4Header(bytes, at));
      }),
    );
    fc.assert(
      fc.property(fc.nat(71), fc.nat(255), fc.nat(72), (i, v, cut) => {
        const bytes = ROUTER_ICMP.slice(0, cut);
        if (i < bytes.length) bytes[i] = v;
        onlyWireErrors(() => decodeIpv4(bytes));
      }),
    );
  });

  it("rejects out-of-range fields and small buffers in the encoder", () => {
    const ok = { totalLength: 20, protocol: 1, srcAddr: 1, dstAddr: 2 };
    assert.throws(
      () => encodeIpv4({ ...ok, totalLength: 19 }),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_FIELD",
    );
    assert.throws(() => encodeIpv4({ ...ok, totalLength: 70000 }), WireError);
    assert.throws(() => encodeIpv4({ ...ok, ttl: -1 }), WireError);
    assert.throws(() => encodeIpv4({ ...ok, totalLength: 80, options: new Uint8Array(41) }), WireError);
    assert.throws(
      () => encodeIpv4(ok, new Uint8Array(25), 6),
      (e) => e instanceof WireError && e.code === "ERR_IPV4_BUFFER",
    );
  });
});
