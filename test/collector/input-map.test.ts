import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputMap, normalizeExporterAddress } from "../../src/collector/receive/input-map.ts";
import { inputConfig } from "./receive-fixtures.ts";

describe("normalizeExporterAddress", () => {
  it("keeps IPv4, canonicalises IPv6 and unwraps IPv4-mapped addresses", () => {
    assert.equal(normalizeExporterAddress("192.0.2.1"), "192.0.2.1");
    assert.equal(normalizeExporterAddress("2001:DB8:0:0:0::1"), "2001:db8::1");
    assert.equal(normalizeExporterAddress("::ffff:192.0.2.1"), "192.0.2.1");
    assert.equal(normalizeExporterAddress("::FFFF:c000:0201"), "192.0.2.1");
    assert.equal(normalizeExporterAddress("fe80::1%eth0"), "fe80::1");
    assert.equal(normalizeExporterAddress("::1"), "::1");
    assert.equal(normalizeExporterAddress("not-an-address"), "not-an-address");
  });
});

describe("InputMap", () => {
  const map = new InputMap({
    "mo-7/1/0.0": inputConfig({ exporter: "192.0.2.1" }),
    "mo-7/2/0.0": inputConfig({ exporter: "192.0.2.1", "engine-type": 1 }),
    "mo-7/3/0.0": inputConfig({ exporter: "192.0.2.1", "engine-type": 1, "engine-id": 3, "if-alias": "core" }),
    "mo-7/4/0.0": inputConfig({ exporter: "192.0.2.1", "engine-id": 3 }),
    v6: inputConfig({ exporter: "2001:db8::a", "mask-order": "caida", channels: [0, 1] }),
    "any-engine-9": inputConfig({ exporter: "any", "engine-type": 9 }),
    anything: inputConfig({ exporter: "any" }),
  });
  const name = (addr: string, t: number, i: number) => map.resolve(addr, t, i)?.name;

  it("matches the exporter address, most specific engine match first", () => {
    assert.equal(name("192.0.2.1", 1, 3), "mo-7/3/0.0"); // type and id
    assert.equal(name("192.0.2.1", 1, 4), "mo-7/2/0.0"); // type only
    assert.equal(name("192.0.2.1", 0, 3), "mo-7/4/0.0"); // id only
    assert.equal(name("192.0.2.1", 0, 0), "mo-7/1/0.0"); // neither
  });

  it("takes equally specific inputs in configuration order", () => {
    const m = new InputMap({
      a: inputConfig({ exporter: "192.0.2.1", "engine-id": 3 }),
      b: inputConfig({ exporter: "192.0.2.1", "engine-type": 1 }),
    });
    assert.equal(m.resolve("192.0.2.1", 1, 3)?.name, "a");
  });

  it("normalises IPv4-mapped and differently written IPv6 source addresses", () => {
    assert.equal(name("::ffff:192.0.2.1", 1, 3), "mo-7/3/0.0");
    assert.equal(name("2001:DB8:0::A", 0, 0), "v6");
    assert.equal(map.exporterAddress("::ffff:192.0.2.1"), "192.0.2.1");
  });

  it("falls back to the any inputs, with their own engine rules", () => {
    assert.equal(name("198.51.100.7", 9, 0), "any-engine-9");
    assert.equal(name("198.51.100.7", 0, 0), "anything");
    // A known exporter whose engine none of its inputs takes also falls back.
    const strict = new InputMap({
      a: inputConfig({ exporter: "192.0.2.1", "engine-type": 1 }),
      b: inputConfig({ exporter: "any" }),
    });
    assert.equal(strict.resolve("192.0.2.1", 2, 0)?.name, "b");
  });

  it("returns undefined when no input takes the datagram", () => {
    const m = new InputMap({ a: inputConfig({ exporter: "192.0.2.1", "engine-type": 1 }) });
    assert.equal(m.resolve("192.0.2.1", 2, 0), undefined);
    assert.equal(m.resolve("192.0.2.2", 1, 0), undefined);
  });

  it("resolves ifAlias, mask order, channels and index", () => {
    const v6 = map.byName("v6")!;
    assert.deepEqual(
      [v6.ifAlias, v6.maskOrder, v6.channels, v6.index, v6.exporter],
      ["v6", "caida", [0, 1], 4, "2001:db8::a"],
    );
    assert.equal(map.byName("mo-7/1/0.0")!.ifAlias, "mo_7_1_0_0");
    assert.equal(map.byName("mo-7/3/0.0")!.ifAlias, "core");
    assert.equal(map.inputs.length, 7);
  });

  it("keeps answering correctly past the cache limit", () => {
    for (let i = 0; i < 5000; i++) assert.equal(name(`10.${i >> 8}.${i & 255}.1`, 0, 0), "anything");
    assert.equal(name("192.0.2.1", 1, 3), "mo-7/3/0.0");
  });
});
