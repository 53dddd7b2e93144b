import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import {
  decodeErspan,
  decodeGreErspan,
  type ErspanHeader,
  type ErspanIIIHeader,
  encodeErspan,
  erspanEncodingLength,
} from "../../src/wire/erspan.ts";
import { hex } from "./fixtures.ts";

// Type II: Ver 1 | VLAN 100 ; COS 5 | En 2 | T 1 | Session 42 ; Reserved 0 | Index 0x12345.
const TYPE_II = hex("1064 b42a 00012345");
// Type III: Ver 2 | VLAN 10 ; COS 0 | BSO 1 | T 0 | Session 1023 ; Timestamp ; SGT 0xbeef |
// P 1 | FT 0 | Hw ID 5 | D 1 | Gra 3 | O 1 ; Platf ID 3 | 0x1234 ; 0xcafebabe.
const TYPE_III = hex("200a 0bff 01020304 beef 805f 0c001234 cafebabe");

describe("ERSPAN headers", () => {
  it("decodes and re-encodes a type II header", () => {
    const h = decodeErspan(TYPE_II);
    assert.deepEqual(h, {
      version: 1,
      vlan: 100,
      cos: 5,
      truncated: true,
      sessionId: 42,
      encapType: 2,
      reserved: 0,
      index: 0x12345,
    });
    assert.equal(erspanEncodingLength(h), 8);
    assert.deepEqual(encodeErspan(h), TYPE_II);
  });

  it("decodes and re-encodes a type III header with its platform-specific subheader", () => {
    const h = decodeErspan(TYPE_III);
    assert.deepEqual(h, {
      version: 2,
      vlan: 10,
      cos: 0,
      truncated: false,
      sessionId: 1023,
      bso: 1,
      timestamp: 0x01020304,
      sgt: 0xbeef,
      p: true,
      ft: 0,
      hwId: 5,
      d: true,
      gra: 3,
      platform: { platformId: 3, infoHigh: 0x1234, infoLow: 0xcafebabe },
    });
    assert.equal(erspanEncodingLength(h), 20);
    assert.deepEqual(encodeErspan(h), TYPE_III);
    const { platform: _, ...withoutPlatform } = h as ErspanIIIHeader;
    const short = encodeErspan(withoutPlatform);
    assert.equal(short.length, 12);
    assert.equal(short[11] & 1, 0); // O clear
  });

  it("decodes GRE + ERSPAN down to the mirrored frame for types I, II and III", () => {
    const typeII = new Uint8Array([...hex("100088be 00000007"), ...TYPE_II, 0xaa]);
    const ii = decodeGreErspan(typeII);
    assert.equal(ii.gre.sequenceNumber, 7);
    assert.equal(ii.erspan?.version, 1);
    assert.equal(ii.frameOffset, 16);
    const typeI = decodeGreErspan(hex("000088be aa"));
    assert.equal(typeI.erspan, undefined);
    assert.equal(typeI.frameOffset, 4);
    const buffer = new Uint8Array([0, 0, ...hex("000022eb"), ...TYPE_III]);
    const iii = decodeGreErspan(buffer, 2);
    assert.equal(iii.erspan?.version, 2);
    assert.equal(iii.frameOffset, 2 + 4 + 20);
  });

  it("rejects mismatched versions, other protocols, unknown versions and truncation", () => {
    const code = (c: string, offset?: number) => (e: unknown) =>
      e instanceof WireError && e.code === c && (offset === undefined || e.offset === offset);
    assert.throws(
      () => decodeGreErspan(new Uint8Array([...hex("000022eb"), ...TYPE_II])),
      code("ERR_ERSPAN_VERSION", 4),
    );
    assert.throws(() => decodeGreErspan(hex("00000800 45000000")), code("ERR_ERSPAN_PROTOCOL", 2));
    assert.throws(() => decodeErspan(hex("3000000000000000")), code("ERR_ERSPAN_VERSION", 0));
    assert.throws(() => decodeErspan(TYPE_III.subarray(0, 16)), code("ERR_ERSPAN_TRUNCATED", 0));
    assert.throws(() => decodeErspan(TYPE_III.subarray(0, 10)), code("ERR_ERSPAN_TRUNCATED"));
    const buffer = new Uint8Array(10);
    buffer.set(TYPE_II.subarray(0, 6), 4);
    assert.throws(() => decodeErspan(buffer, 4), code("ERR_ERSPAN_TRUNCATED", 4));
  });

  it("round-trips any header of either type", () => {
    const common = { vlan: fc.nat(0xfff), cos: fc.nat(7), truncated: fc.boolean(), sessionId: fc.nat(0x3ff) };
    const typeII = fc.record({
      version: fc.constant(1 as const),
      ...common,
      encapType: fc.nat(3),
      reserved: fc.nat(0xfff),
      index: fc.nat(0xfffff),
    });
    const platform = fc.record({ platformId: fc.nat(63), infoHigh: fc.nat(0x3ffffff), infoLow: fc.nat(0xffffffff) });
    const typeIII = fc.record(
      {
        version: fc.constant(2 as const),
        ...common,
        bso: fc.nat(3),
        timestamp: fc.nat(0xffffffff),
        sgt: fc.nat(0xffff),
        p: fc.boolean(),
        ft: fc.nat(31),
        hwId: fc.nat(63),
        d: fc.boolean(),
        gra: fc.nat(3),
        platform,
      },
      {
        requiredKeys: [
          "version",
          "vlan",
          "cos",
          "truncated",
          "sessionId",
          "bso",
          "timestamp",
          "sgt",
          "p",
          "ft",
          "hwId",
          "d",
          "gra",
        ],
      },
    );
    fc.assert(
      fc.property(fc.oneof(typeII, typeIII), fc.nat(5), (generated, at) => {
        const header = JSON.parse(JSON.stringify(generated)) as ErspanHeader;
        const buffer = new Uint8Array(at + erspanEncodingLength(header));
        encodeErspan(header, buffer, at);
        assert.deepEqual(decodeErspan(buffer, at), header);
      }),
    );
  });

  it("raises only WireErrors on random bytes and rejects bad encoder input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.integer({ min: -1, max: 30 }), (bytes, at) => {
        for (const fn of [() => decodeErspan(bytes, at), () => decodeGreErspan(bytes, at)]) {
          try {
            fn();
          } catch (e) {
            assert.ok(e instanceof WireError, String(e));
          }
        }
      }),
    );
    const ok = decodeErspan(TYPE_II);
    assert.throws(
      () => encodeErspan({ ...ok, sessionId: 1024 }),
      (e) => e instanceof WireError && e.code === "ERR_ERSPAN_FIELD",
    );
    assert.throws(() => encodeErspan({ ...ok, version: 3 } as unknown as ErspanHeader), WireError);
    assert.throws(
      () => encodeErspan(ok, new Uint8Array(8), 1),
      (e) => e instanceof WireError && e.code === "ERR_ERSPAN_BUFFER",
    );
  });
});
