import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import { decodeVxlan, encodeVxlan, VXLAN_UDP_PORT } from "../../src/wire/vxlan.ts";
import { hex } from "./fixtures.ts";

describe("VXLAN header (RFC 7348)", () => {
  it("decodes and re-encodes a header with VNI 5001", () => {
    const bytes = hex("08000000 00138900");
    const h = decodeVxlan(bytes);
    assert.deepEqual(h, { flags: 0x08, vniValid: true, reserved1: 0, vni: 5001, reserved2: 0 });
    assert.deepEqual(encodeVxlan(h), bytes);
    assert.deepEqual(encodeVxlan({ vni: 5001 }), bytes);
    assert.equal(VXLAN_UDP_PORT, 4789);
  });

  it("reports a clear I flag and keeps reserved bits", () => {
    const bytes = hex("00abcdef ffffff7f");
    const h = decodeVxlan(bytes);
    assert.deepEqual(h, { flags: 0, vniValid: false, reserved1: 0xabcdef, vni: 0xffffff, reserved2: 0x7f });
    assert.deepEqual(encodeVxlan(h), bytes);
  });

  it("round-trips at offsets and raises only WireErrors", () => {
    fc.assert(
      fc.property(
        fc.nat(0xffffff),
        fc.nat(255),
        fc.nat(0xffffff),
        fc.nat(255),
        fc.nat(6),
        (vni, flags, reserved1, reserved2, at) => {
          const buffer = new Uint8Array(at + 8);
          encodeVxlan({ vni, flags, reserved1, reserved2 }, buffer, at);
          assert.deepEqual(decodeVxlan(buffer, at), { flags, vniValid: (flags & 8) !== 0, reserved1, vni, reserved2 });
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.integer({ min: -1, max: 12 }), (bytes, at) => {
        try {
          decodeVxlan(bytes, at);
        } catch (e) {
          assert.ok(e instanceof WireError && e.code === "ERR_VXLAN_TRUNCATED");
        }
      }),
    );
    assert.throws(
      () => decodeVxlan(new Uint8Array(10), 3),
      (e) => e instanceof WireError && e.offset === 3,
    );
  });

  it("rejects out-of-range fields", () => {
    assert.throws(
      () => encodeVxlan({ vni: 0x1000000 }),
      (e) => e instanceof WireError && e.code === "ERR_VXLAN_FIELD",
    );
    assert.throws(() => encodeVxlan({ vni: 1, flags: 256 }), WireError);
    assert.throws(
      () => encodeVxlan({ vni: 1 }, new Uint8Array(7)),
      (e) => e instanceof WireError && e.code === "ERR_VXLAN_BUFFER",
    );
  });
});
