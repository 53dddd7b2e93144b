import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ipv4PseudoHeaderSum } from "../../src/wire/checksum.ts";
import { WireError } from "../../src/wire/errors.ts";
import { ipv6FromString } from "../../src/wire/ipv6.ts";
import {
  decodeTcp,
  encodeTcp,
  fillTcpChecksumIpv4,
  fillTcpChecksumIpv6,
  type TcpHeaderInit,
  type TcpOption,
  tcpChecksumIpv4,
  tcpEncodingLength,
  verifyTcpChecksumIpv4,
  verifyTcpChecksumIpv6,
} from "../../src/wire/tcp.ts";
import { TCP_ACK, TCP_SYN } from "../../src/wire/tcp-flags.ts";
import { hex, onlyWireErrors } from "./fixtures.ts";

// A Linux SYN 10.9.1.1:45001 -> 10.9.2.2:5001 captured at the sender on a veth (checksum offload: the field holds
// the partial pseudo-header sum 0x1743).
const SYN = hex("afc913895cdcaae900000000a002faf017430000020405b40402080a1e5662ae000000000103030a");
const SRC = 0x0a090101;
const DST = 0x0a090202;

describe("TCP header", () => {
  it("decodes a captured Linux SYN with its options and re-encodes it byte for byte", () => {
    const tcp = decodeTcp(SYN);
    assert.equal(tcp.srcPort, 45001);
    assert.equal(tcp.dstPort, 5001);
    assert.equal(tcp.sequenceNumber, 0x5cdcaae9);
    assert.equal(tcp.acknowledgmentNumber, 0);
    assert.equal(tcp.headerLength, 40);
    assert.equal(tcp.flags, TCP_SYN);
    assert.equal(tcp.window, 64240);
    assert.equal(tcp.checksum, 0x1743);
    assert.deepEqual(tcp.options, [
      { type: "mss", mss: 1460 },
      { type: "sackPermitted" },
      { type: "timestamps", tsVal: 0x1e5662ae, tsEcr: 0 },
      { type: "nop" },
      { type: "windowScale", shiftCount: 10 },
    ]);
    assert.deepEqual(encodeTcp(tcp), SYN);
  });

  it("computes the real checksum where the capture holds the offloaded partial sum", () => {
    assert.equal(ipv4PseudoHeaderSum(SRC, DST, 6, 40), 0x1743);
    assert.equal(verifyTcpChecksumIpv4(SYN, 0, 40, SRC, DST), false);
    const fixed = SYN.slice();
    assert.equal(fillTcpChecksumIpv4(fixed, 0, 40, SRC, DST), tcpChecksumIpv4(SYN, 0, 40, SRC, DST));
    assert.equal(verifyTcpChecksumIpv4(fixed, 0, 40, SRC, DST), true);
    fixed[30] ^= 0x40;
    assert.equal(verifyTcpChecksumIpv4(fixed, 0, 40, SRC, DST), false);
    const a = ipv6FromString("2001:db8::1");
    const b = ipv6FromString("2001:db8::2");
    const v6 = SYN.slice();
    fillTcpChecksumIpv6(v6, 0, 40, a, b);
    assert.equal(verifyTcpChecksumIpv6(v6, 0, 40, a, b), true);
    assert.equal(verifyTcpChecksumIpv6(v6, 0, 40, a, a), false);
  });

  it("decodes SACK blocks, unknown kinds kept raw, and stops at end of option list", () => {
    const header: TcpHeaderInit = {
      srcPort: 80,
      dstPort: 40000,
      sequenceNumber: 1,
      acknowledgmentNumber: 2,
      flags: TCP_ACK,
      window: 501,
      options: [
        { type: "nop" },
        { type: "nop" },
        {
          type: "sack",
          blocks: [
            { leftEdge: 1000, rightEdge: 2000 },
            { leftEdge: 0xfffffff0, rightEdge: 5 },
          ],
        },
        { type: "unknown", kind: 30, data: hex("1001") },
        { type: "eol" },
      ],
    };
    const bytes = encodeTcp(header);
    assert.equal(bytes.length, 20 + 28);
    assert.deepEqual(bytes.subarray(20, 24), hex("0101 0512"));
    const tcp = decodeTcp(bytes);
    assert.deepEqual(tcp.options, header.options);
    assert.deepEqual(bytes.subarray(45), hex("000000")); // EOL padding
  });

  it("rejects malformed options and header lengths with codes and offsets", () => {
    const withOptions = (opts: string) => {
      const b = new Uint8Array(20 + opts.length / 2);
      b.set(SYN.subarray(0, 20));
      b[12] = (b.length / 4) << 4;
      b.set(hex(opts), 20);
      return b;
    };
    const code = (c: string, offset: number) => (e: unknown) =>
      e instanceof WireError && e.code === c && e.offset === offset;
    assert.throws(() => decodeTcp(withOptions("02030000")), code("ERR_TCP_OPTION_LENGTH", 20));
    assert.throws(() => decodeTcp(withOptions("01010801")), code("ERR_TCP_OPTION_LENGTH", 22));
    assert.throws(() => decodeTcp(withOptions("0101fe08")), code("ERR_TCP_OPTION_LENGTH", 22));
    assert.throws(() => decodeTcp(withOptions("010101fe")), code("ERR_TCP_OPTION_LENGTH", 23));
    assert.throws(() => decodeTcp(withOptions("050a000000010000000200")), WireError);
    const short = SYN.slice();
    short[12] = 0x40;
    assert.throws(() => decodeTcp(short), code("ERR_TCP_HEADER_LENGTH", 12));
    const buffer = new Uint8Array(50);
    buffer.set(SYN, 3);
    assert.equal(decodeTcp(buffer, 3).options.length, 5);
    assert.throws(() => decodeTcp(buffer.subarray(0, 42), 3), code("ERR_TCP_TRUNCATED", 3));
  });

  it("round-trips any header with any options that fit", () => {
    const u32 = fc.nat(0xffffffff);
    const option: fc.Arbitrary<TcpOption> = fc.oneof(
      fc.constant({ type: "nop" as const }),
      fc.record({ type: fc.constant("mss" as const), mss: fc.nat(0xffff) }),
      fc.record({ type: fc.constant("windowScale" as const), shiftCount: fc.nat(14) }),
      fc.constant({ type: "sackPermitted" as const }),
      fc.record({
        type: fc.constant("sack" as const),
        blocks: fc.array(fc.record({ leftEdge: u32, rightEdge: u32 }), { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ type: fc.constant("timestamps" as const), tsVal: u32, tsEcr: u32 }),
      fc.record({
        type: fc.constant("unknown" as const),
        kind: fc.integer({ min: 6, max: 255 }).filter((k) => k !== 8),
        data: fc.uint8Array({ maxLength: 8 }),
      }),
    );
    const plain = (o: unknown): unknown =>
      JSON.parse(JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));
    fc.assert(
      fc.property(
        fc.record({
          srcPort: fc.nat(0xffff),
          dstPort: fc.nat(0xffff),
          sequenceNumber: u32,
          acknowledgmentNumber: u32,
          reserved: fc.nat(15),
          flags: fc.nat(255),
          window: fc.nat(0xffff),
          checksum: fc.nat(0xffff),
          urgentPointer: fc.nat(0xffff),
        }),
        fc.array(option, { maxLength: 6 }),
        fc.nat(7),
        (fields, options, at) => {
          const header = { ...fields, options };
          fc.pre(tcpEncodingLength(header) <= 60);
          const buffer = new Uint8Array(at + tcpEncodingLength(header));
          encodeTcp(header, buffer, at);
          const tcp = decodeTcp(buffer, at);
          // Zero padding reads back as an end-of-option-list, as on the wire.
          const padded =
            tcpEncodingLength({ ...header, options: [...options, { type: "eol" }] }) === buffer.length - at;
          const expected = padded ? [...options, { type: "eol" }] : options;
          assert.deepEqual(plain(tcp), plain({ ...header, options: expected, headerLength: buffer.length - at }));
          assert.deepEqual(encodeTcp(tcp), buffer.subarray(at));
        },
      ),
    );
  });

  it("raises only WireErrors on random and mutated bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -1, max: 64 }), (bytes, at) => {
        onlyWireErrors(() => decodeTcp(bytes, at));
        onlyWireErrors(() => verifyTcpChecksumIpv4(bytes, at, bytes.length - at, 1, 2));
      }),
    );
    fc.assert(
      fc.property(fc.nat(39), fc.nat(255), fc.nat(40), (i, v, cut) => {
        const bytes = SYN.slice(0, cut);
        if (i < bytes.length) bytes[i] = v;
        onlyWireErrors(() => decodeTcp(bytes));
      }),
    );
  });

  it("rejects bad encoder input", () => {
    const ok = { srcPort: 1, dstPort: 2, flags: TCP_SYN };
    assert.throws(
      () => encodeTcp({ ...ok, flags: 256 }),
      (e) => e instanceof WireError && e.code === "ERR_TCP_FIELD",
    );
    assert.throws(() => encodeTcp({ ...ok, options: [{ type: "mss", mss: 70000 }] }), WireError);
    assert.throws(() => encodeTcp({ ...ok, options: [{ type: "sack", blocks: [] }] }), WireError);
    const tooMany: TcpOption[] = Array.from({ length: 5 }, () => ({ type: "timestamps", tsVal: 1, tsEcr: 2 }));
    assert.throws(() => encodeTcp({ ...ok, options: tooMany }), WireError);
    assert.throws(
      () => encodeTcp(ok, new Uint8Array(20), 4),
      (e) => e instanceof WireError && e.code === "ERR_TCP_BUFFER",
    );
  });
});
