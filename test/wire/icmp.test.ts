import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { internetChecksum } from "../../src/wire/checksum.ts";
import { WireError } from "../../src/wire/errors.ts";
import {
  decodeIcmp,
  encodeIcmp,
  encodeIcmpExtension,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHO_REPLY,
  ICMP_TIME_EXCEEDED,
} from "../../src/wire/icmp.ts";
import { encodeIpv4 } from "../../src/wire/ipv4.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { encodeTcp, TCP_MIN_HEADER_LENGTH } from "../../src/wire/tcp.ts";
import { TCP_SYN } from "../../src/wire/tcp-flags.ts";
import { hex, onlyWireErrors } from "./fixtures.ts";

// Both sent by Linux in network namespaces answering UDP probes from 10.9.1.1:45000 (the IPv4 headers stripped).
// A router's Time Exceeded for a TTL-1 probe to port 33434:
const TIME_EXCEEDED = hex(
  "0b00cb13000000004500002c1ec94000011143e40a0901010a090202afc8829a0018173e666c6f776c656e732d70726f62652d31",
);
// The destination's Port Unreachable for a TTL-2 probe to port 33435 (the quoted TTL is the 1 left on arrival):
const PORT_UNREACHABLE = hex(
  "0303d30e000000004500002c1ed84000011143d50a0901010a090202afc8829b0018173e666c6f776c656e732d70726f62652d32",
);

/** A quoted original datagram: IPv4 header (totalLength as sent) plus the first bytes of its transport header. */
function quoted(protocol: number, transport: Uint8Array, fragmentOffset = 0): Uint8Array {
  const ip = encodeIpv4({
    totalLength: 60,
    protocol,
    ttl: 1,
    srcAddr: 0xc0000201,
    dstAddr: 0xc6336407,
    fragmentOffset,
  });
  const out = new Uint8Array(20 + transport.length);
  out.set(ip);
  out.set(transport, 20);
  return out;
}

describe("ICMP", () => {
  it("decodes a real traceroute Time Exceeded with its quoted probe, and re-encodes it byte for byte", () => {
    const m = decodeIcmp(TIME_EXCEEDED);
    assert.equal(m.type, ICMP_TIME_EXCEEDED);
    assert.equal(m.code, 0);
    assert.equal(m.checksum, 0xcb13);
    assert.equal(m.checksumValid, true);
    assert.equal(m.length, 0);
    assert.equal(m.extension, undefined);
    const q = m.quote!;
    assert.equal(ipv4ToString(q.ipHeader.srcAddr), "10.9.1.1");
    assert.equal(ipv4ToString(q.ipHeader.dstAddr), "10.9.2.2");
    assert.equal(q.ipHeader.ttl, 1);
    assert.equal(q.ipHeader.identification, 0x1ec9);
    assert.equal(q.ipHeader.totalLength, 44);
    assert.equal(q.ipHeader.checksumValid, true);
    assert.deepEqual(q.transport, { kind: "udp", srcPort: 45000, dstPort: 33434, length: 24, checksum: 0x173e });
    assert.equal(q.bytes.length, TIME_EXCEEDED.length - 8);
    assert.deepEqual(encodeIcmp(m), TIME_EXCEEDED);
  });

  it("decodes a real Port Unreachable", () => {
    const m = decodeIcmp(PORT_UNREACHABLE);
    assert.deepEqual([m.type, m.code, m.checksumValid], [ICMP_DEST_UNREACH, 3, true]);
    assert.equal(m.nextHopMtu, undefined);
    assert.deepEqual(m.quote!.transport, { kind: "udp", srcPort: 45000, dstPort: 33435, length: 24, checksum: 0x173e });
    assert.deepEqual(encodeIcmp(m), PORT_UNREACHABLE);
  });

  it("decodes at an offset with an explicit length, leaving bytes after the message alone", () => {
    const buffer = new Uint8Array(20 + TIME_EXCEEDED.length + 6).fill(0xee);
    buffer.set(TIME_EXCEEDED, 20);
    const m = decodeIcmp(buffer, 20, TIME_EXCEEDED.length);
    assert.equal(m.checksumValid, true);
    assert.equal(m.quote!.bytes.length, TIME_EXCEEDED.length - 8);
    assert.throws(
      () => decodeIcmp(buffer, 20, buffer.length),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_TRUNCATED" && e.offset === 20,
    );
  });

  it("encodes and decodes echo request and reply", () => {
    const request = encodeIcmp({
      type: ICMP_ECHO,
      code: 0,
      identifier: 0x1234,
      sequenceNumber: 7,
      data: hex("6162636465"),
    });
    assert.deepEqual(request.subarray(4, 8), hex("12340007"));
    assert.equal(internetChecksum(request), 0);
    const m = decodeIcmp(request);
    assert.deepEqual([m.identifier, m.sequenceNumber, m.checksumValid], [0x1234, 7, true]);
    assert.deepEqual(m.data, hex("6162636465"));
    assert.equal(m.quote, undefined);
    const reply = decodeIcmp(encodeIcmp({ ...m, type: ICMP_ECHO_REPLY }));
    assert.deepEqual([reply.type, reply.identifier, reply.sequenceNumber, reply.checksumValid], [0, 0x1234, 7, true]);
  });

  it("reports Next-Hop MTU of fragmentation needed and quotes TCP and ICMP headers", () => {
    const syn = encodeTcp({ srcPort: 4567, dstPort: 9000, sequenceNumber: 0xdeadbeef, flags: TCP_SYN });
    const fragNeeded = decodeIcmp(
      encodeIcmp({ type: 3, code: 4, nextHopMtu: 1400, data: quoted(6, syn.subarray(0, 8)) }),
    );
    assert.equal(fragNeeded.nextHopMtu, 1400);
    assert.deepEqual(fragNeeded.quote!.transport, {
      kind: "tcp",
      srcPort: 4567,
      dstPort: 9000,
      sequenceNumber: 0xdeadbeef,
    });
    assert.equal(syn.length, TCP_MIN_HEADER_LENGTH);
    const echo = encodeIcmp({ type: 8, code: 0, identifier: 77, sequenceNumber: 3 });
    const te = decodeIcmp(encodeIcmp({ type: 11, code: 0, data: quoted(1, echo) }));
    assert.deepEqual(te.quote!.transport, {
      kind: "icmp",
      type: 8,
      code: 0,
      checksum: (echo[2] << 8) | echo[3],
      identifier: 77,
      sequenceNumber: 3,
    });
  });

  it("gives no transport for a non-first fragment, a short quote or another protocol", () => {
    const udp = hex("afc8829a0018173e");
    assert.deepEqual(decodeIcmp(encodeIcmp({ type: 11, code: 1, data: quoted(17, udp, 8) })).quote!.transport, {
      kind: "none",
    });
    assert.deepEqual(
      decodeIcmp(encodeIcmp({ type: 11, code: 0, data: quoted(17, udp.subarray(0, 4)) })).quote!.transport,
      {
        kind: "none",
      },
    );
    assert.deepEqual(decodeIcmp(encodeIcmp({ type: 3, code: 2, data: quoted(47, udp) })).quote!.transport, {
      kind: "none",
    });
  });

  it("honours the RFC 4884 length and decodes the extension structure (MPLS label stack, RFC 4950)", () => {
    const original = new Uint8Array(128);
    original.set(quoted(17, hex("afc8829a0018173e")));
    const mpls = hex("0003e1ff"); // label 62, TC 0, S 1, TTL 255
    const extension = encodeIcmpExtension([{ classNum: 1, cType: 1, payload: mpls }]);
    const data = new Uint8Array(128 + extension.length);
    data.set(original);
    data.set(extension, 128);
    const bytes = encodeIcmp({ type: 11, code: 0, length: 32, data });
    assert.equal(bytes[5], 32);
    const m = decodeIcmp(bytes);
    assert.equal(m.length, 32);
    assert.equal(m.quote!.bytes.length, 128);
    assert.equal(m.quote!.transport.kind, "udp");
    assert.equal(m.extension!.version, 2);
    assert.equal(m.extension!.checksumValid, true);
    assert.deepEqual(m.extension!.objects, [{ classNum: 1, cType: 1, payload: mpls }]);
    assert.deepEqual(encodeIcmp(m), bytes);

    const badChecksum = bytes.slice();
    badChecksum[8 + 128 + 2] ^= 0xff;
    assert.equal(decodeIcmp(badChecksum).extension!.checksumValid, false);
    assert.equal(decodeIcmp(badChecksum).checksumValid, false);
    const badObject = bytes.slice();
    badObject[8 + 128 + 5] = 2; // object length 2
    assert.throws(
      () => decodeIcmp(badObject),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_EXTENSION" && e.offset === 140,
    );
    const tooLong = bytes.slice();
    tooLong[5] = 40; // 160 bytes of original datagram, more than present
    assert.throws(
      () => decodeIcmp(tooLong),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_TRUNCATED" && e.offset === 8,
    );
  });

  it("reports a malformed quoted datagram as ERR_ICMP_QUOTE at its offset", () => {
    const bytes = PORT_UNREACHABLE.slice();
    bytes[8] = 0x65;
    assert.throws(
      () => decodeIcmp(bytes),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_QUOTE" && e.offset === 8,
    );
    assert.throws(
      () => decodeIcmp(PORT_UNREACHABLE.subarray(0, 20)),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_QUOTE",
    );
  });

  it("round-trips any echo message", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 8),
        fc.nat(255),
        fc.nat(0xffff),
        fc.nat(0xffff),
        fc.uint8Array({ maxLength: 64 }),
        (type, code, identifier, sequenceNumber, data) => {
          const bytes = encodeIcmp({ type, code, identifier, sequenceNumber, data });
          const m = decodeIcmp(bytes);
          assert.deepEqual(
            [m.type, m.code, m.identifier, m.sequenceNumber, m.checksumValid],
            [type, code, identifier, sequenceNumber, true],
          );
          assert.deepEqual(m.data, data);
          assert.deepEqual(encodeIcmp(m), bytes);
        },
      ),
    );
  });

  it("raises only WireErrors on random and mutated bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: -1, max: 10 }),
        fc.constantFrom(3, 11, 12, 4, 5, 0, 8),
        (bytes, at, type) => {
          if (bytes.length > 0) bytes[0] = type;
          onlyWireErrors(() => decodeIcmp(bytes, at));
          onlyWireErrors(() => decodeIcmp(bytes, 0, at * 13));
        },
      ),
    );
    fc.assert(
      fc.property(fc.nat(TIME_EXCEEDED.length - 1), fc.nat(255), fc.nat(TIME_EXCEEDED.length), (i, v, cut) => {
        const bytes = TIME_EXCEEDED.slice(0, cut);
        if (i < bytes.length) bytes[i] = v;
        onlyWireErrors(() => decodeIcmp(bytes));
      }),
    );
  });

  it("rejects bad encoder input", () => {
    assert.throws(
      () => encodeIcmp({ type: 256, code: 0 }),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_FIELD",
    );
    assert.throws(() => encodeIcmp({ type: 8, code: 0, identifier: 0x10000 }), WireError);
    assert.throws(
      () => encodeIcmp({ type: 8, code: 0 }, new Uint8Array(7)),
      (e) => e instanceof WireError && e.code === "ERR_ICMP_BUFFER",
    );
    assert.throws(() => encodeIcmpExtension([{ classNum: 256, cType: 0, payload: new Uint8Array() }]), WireError);
  });
});
