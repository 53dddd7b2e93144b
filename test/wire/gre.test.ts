import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { internetChecksum } from "../../src/wire/checksum.ts";
import { WireError } from "../../src/wire/errors.ts";
import { decodeGre, encodeGre, fillGreChecksum, greEncodingLength } from "../../src/wire/gre.ts";
import { hex } from "./fixtures.ts";

describe("GRE header (RFC 2784, RFC 2890)", () => {
  it("decodes a plain header carrying IPv4", () => {
    const h = decodeGre(hex("00000800"));
    assert.equal(h.protocolType, 0x0800);
    assert.equal(h.headerLength, 4);
    assert.deepEqual([h.checksumPresent, h.keyPresent, h.sequencePresent], [false, false, false]);
    assert.deepEqual(encodeGre(h), hex("00000800"));
  });

  it("decodes ERSPAN type II's header with a sequence number", () => {
    const bytes = hex("100088be 0000002a");
    const h = decodeGre(bytes);
    assert.equal(h.sequencePresent, true);
    assert.equal(h.sequenceNumber, 42);
    assert.equal(h.protocolType, 0x88be);
    assert.equal(h.headerLength, 8);
    assert.deepEqual(encodeGre(h), bytes);
  });

  it("decodes checksum, key and sequence in order and verifies the checksum over header and payload", () => {
    const payload = hex("4500001c000000004011");
    const header = { protocolType: 0x0800, checksumPresent: true, key: 0x01020304, sequenceNumber: 0xfffffffe };
    const length = greEncodingLength(header);
    assert.equal(length, 16);
    const packet = new Uint8Array(length + payload.length);
    encodeGre(header, packet);
    packet.set(payload, length);
    const c = fillGreChecksum(packet, 0, packet.length);
    assert.equal(internetChecksum(packet), 0);
    assert.deepEqual(packet.subarray(0, 4), hex("b0000800"));
    const h = decodeGre(packet, 0, packet.length);
    assert.deepEqual(
      [h.checksum, h.checksumValid, h.reserved1, h.key, h.sequenceNumber],
      [c, true, 0, 0x01020304, 0xfffffffe],
    );
    packet[packet.length - 1] ^= 1;
    assert.equal(decodeGre(packet, 0, packet.length).checksumValid, false);
    assert.equal(decodeGre(packet).checksumValid, undefined);
  });

  it("rejects other versions and RFC 1701 routing; reports truncation at the caller's offset", () => {
    assert.throws(
      () => decodeGre(hex("0001880b")),
      (e) => e instanceof WireError && e.code === "ERR_GRE_VERSION",
    );
    assert.throws(
      () => decodeGre(hex("40000800 00000000")),
      (e) => e instanceof WireError && e.code === "ERR_GRE_ROUTING",
    );
    const buffer = new Uint8Array(12);
    buffer.set(hex("b0000800"), 4);
    assert.throws(
      () => decodeGre(buffer, 4),
      (e) => e instanceof WireError && e.code === "ERR_GRE_TRUNCATED" && e.offset === 4,
    );
  });

  it("round-trips any header and raises only WireErrors on random bytes", () => {
    const opt = (max: number) => fc.option(fc.nat(max), { nil: undefined });
    fc.assert(
      fc.property(
        fc.nat(0xffff),
        fc.boolean(),
        fc.nat(0xffff),
        opt(0xffffffff),
        opt(0xffffffff),
        fc.nat(0x1ff),
        fc.nat(5),
        (protocolType, checksumPresent, checksum, key, sequenceNumber, r0, at) => {
          const header = {
            protocolType,
            checksumPresent,
            checksum,
            reserved1: 7,
            key,
            sequenceNumber,
            reserved0: r0 << 3,
          };
          const buffer = new Uint8Array(at + greEncodingLength(header));
          encodeGre(header, buffer, at);
          const h = decodeGre(buffer, at);
          assert.deepEqual(
            [h.protocolType, h.checksumPresent, h.keyPresent, h.sequencePresent, h.key, h.sequenceNumber, h.reserved0],
            [
              protocolType,
              checksumPresent,
              key !== undefined,
              sequenceNumber !== undefined,
              key,
              sequenceNumber,
              r0 << 3,
            ],
          );
          if (checksumPresent) assert.deepEqual([h.checksum, h.reserved1], [checksum, 7]);
          assert.deepEqual(encodeGre(h), buffer.subarray(at));
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.integer({ min: -1, max: 24 }), (bytes, at) => {
        try {
          decodeGre(bytes, at, bytes.length - at);
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      }),
    );
  });

  it("rejects bad encoder input", () => {
    assert.throws(
      () => encodeGre({ protocolType: 0x10000 }),
      (e) => e instanceof WireError && e.code === "ERR_GRE_FIELD",
    );
    assert.throws(() => encodeGre({ protocolType: 1, reserved0: 0x8000 }), WireError);
    assert.throws(
      () => fillGreChecksum(encodeGre({ protocolType: 1, key: 1 }), 0, 8),
      (e) => e instanceof WireError && e.code === "ERR_GRE_FIELD",
    );
    assert.throws(() => encodeGre({ protocolType: 1, key: 1 }, new Uint8Array(7)), WireError);
  });
});
