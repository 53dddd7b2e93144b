import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isWireError } from "../../src/wire/errors.ts";
import {
  IANA_PROTOCOLS,
  ianaProtocol,
  parseProtocol,
  protocolName,
  protocolNumber,
} from "../../src/wire/iana-protocols.ts";

describe("IANA protocol numbers", () => {
  it("names the common protocols as the registry and /etc/protocols do", () => {
    const expected: [number, string][] = [
      [0, "hopopt"],
      [1, "icmp"],
      [2, "igmp"],
      [4, "ipv4"],
      [6, "tcp"],
      [17, "udp"],
      [41, "ipv6"],
      [47, "gre"],
      [50, "esp"],
      [51, "ah"],
      [58, "ipv6-icmp"],
      [89, "ospf"],
      [103, "pim"],
      [112, "vrrp"],
      [124, "isis"],
      [132, "sctp"],
      [135, "mobility-header"],
      [143, "ethernet"],
      [144, "aggfrag"],
      [145, "nsh"],
      [255, "reserved"],
    ];
    for (const [n, name] of expected) {
      assert.equal(protocolName(n), name, `protocol ${n}`);
      assert.equal(protocolNumber(name), n, `keyword ${name}`);
    }
  });

  it("covers every number 0-145 and 253-255, and nothing in 147-252", () => {
    const numbers = new Set(IANA_PROTOCOLS.map((p) => p.number));
    for (let n = 0; n <= 145; n++) assert.ok(numbers.has(n), `row ${n}`);
    for (const n of [253, 254, 255]) assert.ok(numbers.has(n), `row ${n}`);
    for (let n = 147; n <= 252; n++) assert.equal(ianaProtocol(n), undefined, `unassigned ${n}`);
    assert.equal(ianaProtocol(253)?.description, "Use for experimentation and testing");
    const sorted = IANA_PROTOCOLS.map((p) => p.number);
    assert.deepEqual(
      sorted,
      [...sorted].sort((a, b) => a - b),
    );
    assert.equal(new Set(sorted).size, sorted.length, "one row per number");
  });

  it("falls back to the number as text where there is no keyword", () => {
    for (const n of [61, 63, 68, 99, 114, 150, 200, 253, 254]) assert.equal(protocolName(n), String(n));
    assert.equal(protocolName(256), "256");
    assert.equal(protocolName(-1), "-1");
    assert.equal(protocolName(6.5), "6.5");
  });

  it("reads names case-insensitively, aliases and digits", () => {
    assert.equal(protocolNumber("TCP"), 6);
    assert.equal(protocolNumber("Ipv6-Icmp"), 58);
    assert.equal(protocolNumber("OSPFIGP"), 89);
    assert.equal(protocolNumber("ipencap"), 4);
    assert.equal(protocolNumber("ipsec-esp"), 50);
    assert.equal(protocolNumber("ip"), 0);
    assert.equal(protocolNumber("iptm"), 84);
    assert.equal(protocolNumber("17"), 17);
    assert.equal(protocolNumber("255"), 255);
    assert.equal(protocolNumber("256"), undefined);
    assert.equal(protocolNumber("nosuch"), undefined);
    assert.equal(protocolNumber(""), undefined);
    assert.equal(protocolNumber(" tcp"), undefined);
  });

  it("keywords are unique, lower case and single tokens", () => {
    const seen = new Set<string>();
    for (const p of IANA_PROTOCOLS) {
      for (const name of [p.keyword, ...p.aliases]) {
        if (name === undefined) continue;
        assert.match(name, /^[a-z0-9][a-z0-9.+/-]*$/, name);
        assert.ok(!seen.has(name), `duplicate ${name}`);
        seen.add(name);
      }
    }
  });

  it("name and number round-trip for every byte value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (n) => {
        assert.equal(protocolNumber(protocolName(n)), n);
        assert.equal(protocolNumber(protocolName(n).toUpperCase()), n);
      }),
    );
  });

  it("parseProtocol throws a typed error for unknown names", () => {
    assert.equal(parseProtocol("udp"), 17);
    assert.throws(
      () => parseProtocol("bogus", 12),
      (e: unknown) => isWireError(e) && e.code === "ERR_PROTOCOL_UNKNOWN" && e.offset === 12,
    );
    assert.throws(
      () => parseProtocol("300"),
      (e: unknown) => isWireError(e),
    );
  });

  it("agrees with /etc/protocols wherever the names are the same", {
    skip: !existsSync("/etc/protocols") && "no /etc/protocols",
  }, () => {
    let compared = 0;
    for (const raw of readFileSync("/etc/protocols", "utf8").split("\n")) {
      const fields = raw.replace(/#.*/, "").trim().split(/\s+/);
      if (fields.length < 2 || !/^\d+$/.test(fields[1])) continue;
      const number = Number(fields[1]);
      if (number > 255) continue;
      for (const name of [fields[0], ...fields.slice(2)]) {
        const ours = protocolNumber(name);
        if (ours === undefined) continue;
        assert.equal(ours, number, `${name} is ${number} in /etc/protocols`);
        compared++;
      }
    }
    assert.ok(compared > 0, "no name of /etc/protocols is known here");
  });
});
