import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import {
  decodeEthernet,
  ETHERTYPE_IPV4,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  encodeEthernet,
  ethernetEncodingLength,
  macFromString,
  macToString,
  type VlanTag,
} from "../../src/wire/ethernet.ts";
import { assertRejectsEach, assertTextRoundTrip, hex, onlyWireErrors } from "./fixtures.ts";

describe("Ethernet II", () => {
  it("decodes and re-encodes a captured untagged header", () => {
    const bytes = hex("de211abcea82 ae7aded2fc8f 0800 45c0");
    const eth = decodeEthernet(bytes);
    assert.equal(macToString(eth.dstMac), "de:21:1a:bc:ea:82");
    assert.equal(macToString(eth.srcMac), "ae:7a:de:d2:fc:8f");
    assert.deepEqual(eth.vlanIds, []);
    assert.equal(eth.etherType, ETHERTYPE_IPV4);
    assert.equal(eth.headerLength, 14);
    assert.deepEqual(encodeEthernet(eth), bytes.subarray(0, 14));
  });

  it("walks 802.1ad + 802.1Q tags (Q-in-Q) and keeps PCP/DEI/TPID", () => {
    const bytes = hex("ffffffffffff 020000000001 88a8 0064 8100 30c8 86dd");
    const eth = decodeEthernet(bytes);
    assert.deepEqual(eth.vlanIds, [100, 200]);
    assert.deepEqual(eth.vlanTags, [
      { tpid: ETHERTYPE_QINQ, pcp: 0, dei: false, vid: 100 },
      { tpid: ETHERTYPE_VLAN, pcp: 1, dei: true, vid: 200 },
    ]);
    assert.equal(eth.etherType, 0x86dd);
    assert.equal(eth.headerLength, 22);
    assert.deepEqual(encodeEthernet(eth), bytes);
    // From ids alone: outer tags 0x88a8, the innermost 0x8100, priority 0.
    const fromIds = encodeEthernet({ dstMac: eth.dstMac, srcMac: eth.srcMac, etherType: 0x86dd, vlanIds: [100, 200] });
    assert.deepEqual(fromIds, hex("ffffffffffff 020000000001 88a8 0064 8100 00c8 86dd"));
  });

  it("decodes at an offset into a larger buffer and reports offsets of truncation there", () => {
    const frame = hex("010203040506 0a0b0c0d0e0f 8100 0005 0800");
    const buffer = new Uint8Array(40);
    buffer.set(frame, 7);
    const eth = decodeEthernet(buffer, 7);
    assert.deepEqual(eth.vlanIds, [5]);
    assert.equal(eth.headerLength, 18);
    const cut = buffer.subarray(0, 7 + 15);
    assert.throws(
      () => decodeEthernet(cut, 7),
      (e) => e instanceof WireError && e.code === "ERR_ETHERNET_TRUNCATED" && e.offset === 19,
    );
    assert.throws(
      () => decodeEthernet(frame.subarray(0, 13)),
      (e) => e instanceof WireError && e.offset === 0,
    );
  });

  it("round-trips any header with any tags", () => {
    const tag = fc.record({
      tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100),
      pcp: fc.nat(7),
      dei: fc.boolean(),
      vid: fc.nat(4095),
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.array(tag, { maxLength: 4 }),
        fc.nat(0xffff).filter((t) => t !== 0x8100 && t !== 0x88a8 && t !== 0x9100),
        fc.nat(8),
        (dstMac, srcMac, generated: VlanTag[], etherType, at) => {
          const vlanTags = generated.map((t) => ({ ...t })); // plain objects (fast-check's have no prototype)
          const header = { dstMac, srcMac, vlanTags, etherType };
          const out = new Uint8Array(at + ethernetEncodingLength(header) + 3);
          encodeEthernet(header, out, at);
          const back = decodeEthernet(out, at);
          assert.deepEqual(back, {
            ...header,
            vlanIds: vlanTags.map((t) => t.vid),
            headerLength: 14 + 4 * vlanTags.length,
          });
        },
      ),
    );
  });

  it("raises only WireErrors on random and truncated bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -2, max: 45 }), (bytes, at) => {
        onlyWireErrors(() => decodeEthernet(bytes, at));
      }),
    );
    const tagged = hex("ffffffffffff 020000000001 8100 0064 8100 00c8 8100");
    for (let n = 0; n <= tagged.length; n++) onlyWireErrors(() => decodeEthernet(tagged.subarray(0, n)));
    assert.throws(() => decodeEthernet(tagged), WireError);
  });

  it("rejects bad input to the encoder", () => {
    const mac = new Uint8Array(6);
    assert.throws(() => encodeEthernet({ dstMac: new Uint8Array(5), srcMac: mac, etherType: 0x800 }), WireError);
    assert.throws(() => encodeEthernet({ dstMac: mac, srcMac: mac, etherType: 0x10000 }), WireError);
    assert.throws(() => encodeEthernet({ dstMac: mac, srcMac: mac, etherType: 0x800, vlanIds: [4096] }), WireError);
    assert.throws(() => encodeEthernet({ dstMac: mac, srcMac: mac, etherType: 0x800 }, new Uint8Array(13)), WireError);
  });
});

describe("MAC address text", () => {
  it("formats and parses", () => {
    assert.equal(macToString(macFromString("AA-BB-cc-00-01-ff")), "aa:bb:cc:00:01:ff");
    assertTextRoundTrip(6, macFromString, macToString);
  });

  it("rejects malformed text", () => {
    const bad = ["", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa:bb:cc:dd:ee:fg", "aabb.ccdd.eeff", "a:b:c:d:e:f"];
    assertRejectsEach(macFromString, bad, "ERR_MAC_ADDRESS");
  });
});
