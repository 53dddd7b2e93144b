/** Egress inference from the next responder's address, and the IPv4 prefix helpers it stands on. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatPrefix,
  longestMatch,
  maskLength,
  parsePrefix,
  prefixContains,
} from "../../src/telemetry/address-match.ts";
import { interfaceTowards } from "../../src/telemetry/egress-inference.ts";

test("prefixes parse, clear host bits, and match addresses", () => {
  assert.equal(formatPrefix(parsePrefix("10.1.2.3/24")), "10.1.2.0/24");
  assert.equal(formatPrefix(parsePrefix("10.1.2.3")), "10.1.2.3/32");
  assert.equal(formatPrefix(parsePrefix("1.2.3.4/0")), "0.0.0.0/0");
  assert.ok(prefixContains(parsePrefix("10.0.0.0/31"), "10.0.0.1"));
  assert.ok(!prefixContains(parsePrefix("10.0.0.0/31"), "10.0.0.2"));
  assert.ok(prefixContains(parsePrefix("0.0.0.0/0"), "192.0.2.1"));
  for (const bad of ["10.0.0", "10.0.0.256", "10.0.0.0/33", "a.b.c.d", "10.0.0.0/8/1", ""]) {
    assert.throws(() => parsePrefix(bad), { code: "ERR_TELEMETRY_ADDRESS" }, bad);
  }
  assert.equal(maskLength("255.255.255.254"), 31);
  assert.equal(maskLength("255.0.255.0"), null);
  const items = [{ prefix: parsePrefix("10.0.0.0/8") }, { prefix: parsePrefix("10.1.0.0/16") }];
  assert.equal(longestMatch(items, "10.1.2.3"), items[1]);
  assert.equal(longestMatch(items, "11.0.0.1"), null);
});

test("the egress is the interface whose subnet holds the next responder (longest prefix, never the hop's own address)", () => {
  const subnets = [
    { name: "spine1", address: "10.0.0.0", prefixLength: 31 },
    { name: "spine2", address: "10.0.1.0", prefixLength: 31 },
    { name: "br-hosts", address: "10.1.1.1", prefixLength: 24 },
    { name: "wide", address: "10.1.0.1", prefixLength: 16 },
    { name: "lo", address: "10.255.1.1", prefixLength: 32 },
  ];
  assert.equal(interfaceTowards(subnets, "10.0.0.1"), "spine1");
  assert.equal(interfaceTowards(subnets, "10.0.1.1"), "spine2");
  assert.equal(interfaceTowards(subnets, "10.1.1.11"), "br-hosts");
  assert.equal(interfaceTowards(subnets, "10.1.9.9"), "wide");
  assert.equal(interfaceTowards(subnets, "10.255.1.1"), null);
  assert.equal(interfaceTowards(subnets, "192.0.2.1"), null);
});
