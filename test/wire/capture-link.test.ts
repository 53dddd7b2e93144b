import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { locateNetworkLayer } from "../../src/wire/capture-link.ts";
import { encodePcap } from "../../src/wire/pcap-writer.ts";
import { concat } from "../helpers/capture-fixtures.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { hex } from "./fixtures.ts";

/** A 28-byte IPv4/UDP packet from 192.0.2.`host` to 198.51.100.1. */
function ipv4(host: number): Uint8Array {
  return concat(
    hex("4500001c 00000000 4011 0000"),
    Uint8Array.of(192, 0, 2, host),
    hex("c6336401 3039 0035 0008 0000"),
  );
}

/** A 40-byte IPv6 header (no next header) from 2001:db8::`host` to 2001:db8::1. */
function ipv6(host: number): Uint8Array {
  const src = concat(hex("20010db8 00000000 00000000 0000"), Uint8Array.of(0, host));
  return concat(hex("60000000 0000 3b 40"), src, hex("20010db8 00000000 00000000 00000001"));
}

const MACS = hex("020000000001 020000000002");
const SLL_V1 = (protocol: string) => hex(`0000 0001 0006 020000000002 0000 ${protocol}`);
const SLL_V2 = (protocol: string) => hex(`${protocol} 0000 00000002 0001 00 06 020000000002 0000`);

/** [name, link type, frame, expected location] */
const CASES: Array<[string, number, Uint8Array, { etherType: number; offset: number } | null]> = [
  ["Ethernet IPv4", 1, concat(MACS, hex("0800"), ipv4(1)), { etherType: 0x0800, offset: 14 }],
  ["Ethernet IPv6", 1, concat(MACS, hex("86dd"), ipv6(2)), { etherType: 0x86dd, offset: 14 }],
  ["Ethernet 802.1Q", 1, concat(MACS, hex("8100 0064 0800"), ipv4(3)), { etherType: 0x0800, offset: 18 }],
  ["Ethernet Q-in-Q", 1, concat(MACS, hex("88a8 00c8 8100 0064 86dd"), ipv6(4)), { etherType: 0x86dd, offset: 22 }],
  ["Ethernet ARP", 1, concat(MACS, hex("0806 0001 0800 0604 0001")), null],
  ["raw IPv4", 101, ipv4(5), { etherType: 0x0800, offset: 0 }],
  ["raw IPv6", 101, ipv6(6), { etherType: 0x86dd, offset: 0 }],
  ["DLT_RAW 12", 12, ipv4(7), { etherType: 0x0800, offset: 0 }],
  ["DLT_RAW 14", 14, ipv6(8), { etherType: 0x86dd, offset: 0 }],
  ["LINKTYPE_IPV4", 228, ipv4(9), { etherType: 0x0800, offset: 0 }],
  ["LINKTYPE_IPV6", 229, ipv6(10), { etherType: 0x86dd, offset: 0 }],
  ["Linux cooked v1 IPv4", 113, concat(SLL_V1("0800"), ipv4(11)), { etherType: 0x0800, offset: 16 }],
  ["Linux cooked v1 IPv6", 113, concat(SLL_V1("86dd"), ipv6(12)), { etherType: 0x86dd, offset: 16 }],
  ["Linux cooked v1 VLAN", 113, concat(SLL_V1("8100"), hex("0064 0800"), ipv4(13)), { etherType: 0x0800, offset: 20 }],
  ["Linux cooked v2 IPv4", 276, concat(SLL_V2("0800"), ipv4(14)), { etherType: 0x0800, offset: 20 }],
  ["Linux cooked v2 IPv6", 276, concat(SLL_V2("86dd"), ipv6(15)), { etherType: 0x86dd, offset: 20 }],
  ["BSD loopback IPv4 (little-endian family)", 0, concat(hex("02000000"), ipv4(16)), { etherType: 0x0800, offset: 4 }],
  ["BSD loopback IPv6 (big-endian family)", 0, concat(hex("0000001e"), ipv6(17)), { etherType: 0x86dd, offset: 4 }],
  ["OpenBSD loopback IPv4", 108, concat(hex("00000002"), ipv4(18)), { etherType: 0x0800, offset: 4 }],
  ["OpenBSD loopback IPv6", 108, concat(hex("00000018"), ipv6(19)), { etherType: 0x86dd, offset: 4 }],
];

describe("capture link layers: locateNetworkLayer", () => {
  for (const [name, linkType, frame, expected] of CASES) {
    it(`locates ${name}`, () => {
      assert.deepEqual(locateNetworkLayer(linkType, frame), expected);
    });
  }

  it("returns null for non-IP payloads", () => {
    assert.equal(locateNetworkLayer(101, hex("5500")), null); // version 5
    assert.equal(locateNetworkLayer(113, concat(SLL_V1("0806"), new Uint8Array(28))), null);
    assert.equal(locateNetworkLayer(276, concat(SLL_V2("0004"), new Uint8Array(28))), null); // 802.2 LLC
    assert.equal(locateNetworkLayer(0, concat(hex("07000000"), ipv4(1))), null); // AF 7
    assert.equal(locateNetworkLayer(1, concat(MACS, hex("0040"), ipv4(1))), null); // 802.3 length field
  });

  it("returns null for link types it does not know", () => {
    assert.equal(locateNetworkLayer(105, ipv4(1)), null); // IEEE 802.11
    assert.equal(locateNetworkLayer(-1, ipv4(1)), null);
  });

  it("returns null when the frame ends before the network header starts", () => {
    assert.equal(locateNetworkLayer(1, MACS), null);
    assert.equal(locateNetworkLayer(1, concat(MACS, hex("0800"))), null); // no IP byte
    assert.equal(locateNetworkLayer(1, concat(MACS, hex("8100 00"))), null); // cut VLAN tag
    assert.equal(locateNetworkLayer(101, new Uint8Array(0)), null);
    assert.equal(locateNetworkLayer(113, SLL_V1("0800").subarray(0, 15)), null);
    assert.equal(locateNetworkLayer(113, concat(SLL_V1("8100"), hex("0064"))), null);
    assert.equal(locateNetworkLayer(276, SLL_V2("0800")), null);
    assert.equal(locateNetworkLayer(0, hex("020000")), null);
  });

  it("never throws and stays within the frame, whatever the bytes (property)", () => {
    const linkType = fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999);
    fc.assert(
      fc.property(linkType, fc.uint8Array({ maxLength: 64 }), (lt, data) => {
        const loc = locateNetworkLayer(lt, data);
        if (loc !== null) {
          assert.ok(loc.offset >= 0 && loc.offset < data.length);
          assert.ok(loc.etherType === 0x0800 || loc.etherType === 0x86dd);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("capture link layers: tshark finds the same IP header", { skip: needsProgram("tshark") }, () => {
  it("agrees on the source address at the located offset for every link type", () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-link-"));
    try {
      for (const [name, linkType, frame, expected] of CASES) {
        if (expected === null) continue;
        const path = join(dir, `${linkType}.pcap`);
        writeFileSync(path, encodePcap([{ data: frame }], { linkType }));
        const r = spawnSync("tshark", ["-r", path, "-T", "fields", "-e", "ip.src", "-e", "ipv6.src"], {
          encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        const theirs = r.stdout.trim();
        const loc = locateNetworkLayer(linkType, frame);
        assert.ok(loc !== null, name);
        const ours =
          loc.etherType === 0x0800
            ? frame.subarray(loc.offset + 12, loc.offset + 16).join(".")
            : ipv6Text(frame.subarray(loc.offset + 8, loc.offset + 24));
        assert.equal(theirs, ours, name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Compressed IPv6 text for the addresses used here (2001:db8::N). */
function ipv6Text(a: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((a[2 * i] << 8) | a[2 * i + 1]).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}
