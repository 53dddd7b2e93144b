import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import {
  decodeIpv6,
  encodeIpv6,
  IPV6_EXT_AH,
  IPV6_EXT_DESTINATION_OPTIONS,
  IPV6_EXT_FRAGMENT,
  IPV6_EXT_HOP_BY_HOP,
  IPV6_EXT_ROUTING,
  type Ipv6ExtensionHeader,
  ipv6EncodingLength,
  ipv6FragmentBody,
  ipv6FromString,
  ipv6ToString,
} from "../../src/wire/ipv6.ts";
import { assertRejectsEach, assertTextRoundTrip, hex, onlyWireErrors } from "./fixtures.ts";

// Captured from Linux in a network namespace: an MLDv2 report (hop-by-hop header with Router Alert and PadN).
const MLD_REPORT = hex(
  "6000000000380001fe80000000000000b82dc1fffe87036cff020000000000000000000000000016" +
    "3a000502000001008f00eed80000000204000000ff0200000000000000000001ff87036c04000000ff0200000000000000000001ff000002",
);
// The second fragment of a 1600-byte UDP datagram (offset 1448, M clear, ident 0x09fe8a43), flow label 0xc270a.
const SECOND_FRAGMENT = hex(
  "600c270a00a82c4020010db800000000000000000000000120010db8000000000000000000000002110005a809fe8a43" + "61".repeat(160),
);

describe("IPv6 header and extension headers", () => {
  it("decodes a captured MLDv2 report through its hop-by-hop header", () => {
    const ip = decodeIpv6(MLD_REPORT);
    assert.equal(ip.version, 6);
    assert.equal(ip.payloadLength, 56);
    assert.equal(ip.nextHeader, IPV6_EXT_HOP_BY_HOP);
    assert.equal(ip.hopLimit, 1);
    assert.equal(ipv6ToString(ip.srcAddr), "fe80::b82d:c1ff:fe87:36c");
    assert.equal(ipv6ToString(ip.dstAddr), "ff02::16");
    assert.equal(ip.extensionHeaders.length, 1);
    assert.deepEqual(ip.extensionHeaders[0].body, hex("050200000100"));
    assert.equal(ip.upperLayerProtocol, 58);
    assert.equal(ip.upperLayerOffset, 48);
    assert.equal(ip.headerLength, 48);
    assert.equal(MLD_REPORT[ip.upperLayerOffset], 143); // MLDv2 report type
    assert.deepEqual(encodeIpv6(ip), MLD_REPORT.subarray(0, 48));
  });

  it("stops at a non-first fragment and reports the fragment fields", () => {
    const ip = decodeIpv6(SECOND_FRAGMENT);
    assert.equal(ip.trafficClass, 0);
    assert.equal(ip.flowLabel, 0xc270a);
    assert.deepEqual(ip.fragment, { fragmentOffset: 1448, moreFragments: false, identification: 0x09fe8a43 });
    assert.equal(ip.upperLayerProtocol, 17);
    assert.equal(ip.upperLayerOffset, 48);
    assert.deepEqual(encodeIpv6(ip), SECOND_FRAGMENT.subarray(0, 48));
  });

  it("walks a first fragment to the UDP header", () => {
    const packet = new Uint8Array(40 + 1456).fill(0x61);
    packet.set(
      hex(
        "600c270a05b02c4020010db800000000000000000000000120010db8000000000000000000000002" +
          "1100000109fe8a43b3b01e6106487587",
      ),
    );
    const ip = decodeIpv6(packet);
    assert.deepEqual(ip.fragment, { fragmentOffset: 0, moreFragments: true, identification: 0x09fe8a43 });
    assert.equal(ip.upperLayerProtocol, 17);
    assert.equal(ip.upperLayerOffset, 48);
    assert.equal((packet[48] << 8) | packet[49], 46000);
  });

  it("walks hop-by-hop, routing, destination options, AH and fragment headers at an offset", () => {
    const src = ipv6FromString("2001:db8::1");
    const dst = ipv6FromString("2001:db8:1::2");
    const extensionHeaders: Ipv6ExtensionHeader[] = [
      { type: IPV6_EXT_HOP_BY_HOP, body: hex("050200000100") },
      { type: IPV6_EXT_ROUTING, body: hex("0400000000000000").subarray(0, 6) },
      { type: IPV6_EXT_DESTINATION_OPTIONS, body: new Uint8Array(14) },
      { type: IPV6_EXT_AH, body: new Uint8Array(22) }, // 24 bytes: length field 4
      {
        type: IPV6_EXT_FRAGMENT,
        body: ipv6FragmentBody({ fragmentOffset: 0, moreFragments: true, identification: 99 }),
      },
    ];
    const header = { payloadLength: 64 + 8, srcAddr: src, dstAddr: dst, extensionHeaders, upperLayerProtocol: 6 };
    assert.equal(ipv6EncodingLength(header), 40 + 64);
    const buffer = new Uint8Array(5 + 40 + 64 + 8);
    encodeIpv6(header, buffer, 5);
    assert.equal(buffer[5 + 40 + 8 + 8 + 16 + 1], 4); // AH length in 4-octet units minus 2
    const ip = decodeIpv6(buffer, 5);
    assert.deepEqual(
      ip.extensionHeaders.map((e) => e.type),
      [0, 43, 60, 51, 44],
    );
    assert.equal(ip.upperLayerProtocol, 6);
    assert.equal(ip.upperLayerOffset, 5 + 40 + 64);
    assert.equal(ip.fragment?.identification, 99);
  });

  it("raises truncation errors at the failing header's offset", () => {
    const cut = SECOND_FRAGMENT.subarray(0, 100);
    assert.throws(
      () => decodeIpv6(cut),
      (e) => e instanceof WireError && e.code === "ERR_IPV6_TRUNCATED" && e.offset === 0,
    );
    const bad = MLD_REPORT.slice();
    bad[41] = 200; // hop-by-hop length now runs past the payload
    assert.throws(
      () => decodeIpv6(bad),
      (e) => e instanceof WireError && e.code === "ERR_IPV6_TRUNCATED" && e.offset === 40,
    );
    const v4 = MLD_REPORT.slice();
    v4[0] = 0x45;
    assert.throws(
      () => decodeIpv6(v4),
      (e) => e instanceof WireError && e.code === "ERR_IPV6_VERSION",
    );
  });

  it("round-trips any header and extension chain", () => {
    const ext = fc.oneof(
      fc.record({
        type: fc.constantFrom(0, 43, 60, 135, 139, 140),
        body: fc.nat(3).chain((n) => fc.uint8Array({ minLength: 6 + 8 * n, maxLength: 6 + 8 * n })),
      }),
      fc.record({
        type: fc.constant(51),
        body: fc.nat(6).chain((n) => fc.uint8Array({ minLength: 6 + 4 * n, maxLength: 6 + 4 * n })),
      }),
    );
    fc.assert(
      fc.property(
        fc.record({
          trafficClass: fc.nat(255),
          flowLabel: fc.nat(0xfffff),
          hopLimit: fc.nat(255),
          srcAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          dstAddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          upperLayerProtocol: fc.constantFrom(6, 17, 58, 47, 59),
        }),
        fc.array(ext, { maxLength: 4 }),
        fc.nat(20),
        (fields, generated, extra) => {
          const extensionHeaders = generated.map((e) => ({ ...e }));
          const length = ipv6EncodingLength({ ...fields, payloadLength: 0, extensionHeaders });
          const header = { ...fields, payloadLength: length - 40 + extra, extensionHeaders };
          const packet = new Uint8Array(length + extra);
          encodeIpv6(header, packet);
          const ip = decodeIpv6(packet);
          assert.equal(ip.upperLayerOffset, length);
          assert.equal(ip.upperLayerProtocol, fields.upperLayerProtocol);
          assert.deepEqual(ip.extensionHeaders, extensionHeaders);
          assert.deepEqual(
            [ip.trafficClass, ip.flowLabel, ip.hopLimit],
            [fields.trafficClass, fields.flowLabel, fields.hopLimit],
          );
          assert.deepEqual(encodeIpv6(ip), packet.subarray(0, length));
        },
      ),
    );
  });

  it("raises only WireErrors on random and mutated bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: -1, max: 8 }), (bytes, at) => {
        if (bytes.length > 0) bytes[0] = 0x60 | (bytes[0] & 0x0f);
        onlyWireErrors(() => decodeIpv6(bytes, at));
      }),
    );
    fc.assert(
      fc.property(fc.nat(103), fc.nat(255), fc.nat(104), (i, v, cut) => {
        const bytes = MLD_REPORT.slice(0, cut);
        if (i < bytes.length) bytes[i] = v;
        onlyWireErrors(() => decodeIpv6(bytes));
      }),
    );
  });

  it("rejects malformed extension headers in the encoder", () => {
    const base = {
      payloadLength: 100,
      srcAddr: new Uint8Array(16),
      dstAddr: new Uint8Array(16),
      upperLayerProtocol: 17,
    };
    const bad = (e: Ipv6ExtensionHeader) => () => encodeIpv6({ ...base, extensionHeaders: [e] });
    assert.throws(
      bad({ type: 0, body: new Uint8Array(5) }),
      (e) => e instanceof WireError && e.code === "ERR_IPV6_FIELD",
    );
    assert.throws(bad({ type: 44, body: new Uint8Array(14) }), WireError);
    assert.throws(bad({ type: 17, body: new Uint8Array(6) }), WireError);
    assert.throws(
      () => encodeIpv6({ ...base, payloadLength: 0, extensionHeaders: [{ type: 0, body: new Uint8Array(6) }] }),
      WireError,
    );
    assert.throws(() => encodeIpv6({ ...base, flowLabel: 0x100000 }), WireError);
  });
});

describe("IPv6 address text (RFC 5952)", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:DB8::AbC", "2001:db8::abc"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::ffff:c000:0201", "::ffff:192.0.2.1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ];
  for (const [input, text] of cases) {
    it(`${input} -> ${text}`, () => assert.equal(ipv6ToString(ipv6FromString(input)), text));
  }

  it("round-trips any address", () => {
    assertTextRoundTrip(16, ipv6FromString, ipv6ToString);
  });

  it("rejects malformed text", () => {
    const bad = [
      "",
      ":",
      ":::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "::g",
      "fe80::1%eth0",
      "::1.2.3.256",
      "1:2:3:4:5:6:7::8",
    ];
    assertRejectsEach(ipv6FromString, bad, "ERR_IPV6_ADDRESS");
  });
});
