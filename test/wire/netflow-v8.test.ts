import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import { decodeNetflow, isNetflowV5, isNetflowV8, netflowDatagramLength } from "../../src/wire/netflow.ts";
import { encodeNetflowV5 } from "../../src/wire/netflow-v5.ts";
import {
  decodeNetflowV8,
  encodeNetflowV8,
  isNetflowV8Datagram,
  NETFLOW_V8_HEADER_LENGTH,
  NETFLOW_V8_SCHEMES,
  type NetflowV8Datagram,
  type NetflowV8Header,
  type NetflowV8MaskOrder,
  type NetflowV8Scheme,
  type NetflowV8SchemeLayout,
  netflowV8EncodingLength,
  netflowV8Layout,
} from "../../src/wire/netflow-v8.ts";
import { codeOf, concat, hex, NETFLOW_HEADER_FIELDS, u8, u32 } from "./fixtures.ts";

function errorOf(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
  throw new Error("no error");
}

/** The 28-byte header of every fixture: one record, uptime 10000, 2023-11-14T22:13:20Z, sequence 100, engine 0/1. */
function headerHex(scheme: number, count = 1): Uint8Array {
  const h = hex("0008 0000 00002710 6553f100 00000000 00000064 00 01 00 02 00000000");
  h[3] = count;
  h[22] = scheme;
  return h;
}

function expectedHeader(scheme: NetflowV8Scheme, count = 1): NetflowV8Header {
  return {
    version: 8,
    count,
    sysUptime: 10000,
    unixSecs: 1700000000,
    unixNsecs: 0,
    flowSequence: 100,
    engineType: 0,
    engineId: 1,
    aggregation: scheme,
    aggVersion: 2,
    reserved: 0,
  };
}

// dFlows 3, dPkts 16, dOctets 4096, first 8000, last 9000.
const COUNTERS_HEX = "00000003 00000010 00001000 00001f40 00002328";
const COUNTERS = { dFlows: 3, dPkts: 16, dOctets: 4096, first: 8000, last: 9000 };
const CATALYST = { dPkts: 16, dOctets: 4096, first: 8000, last: 9000 };
const CATALYST_TAIL_HEX = "00000002 ac100001"; // extraPkts 2, routerSc 172.16.0.1
const CATALYST_TAIL = { extraPkts: 2, routerSc: 0xac100001 };
const SRC_PREFIX = 0xc0a80000; // 192.168.0.0
const DST_PREFIX = 0x0a010200; // 10.1.2.0

/** One hand-written record per scheme (default mask order) and the values it holds. */
const FIXTURES: Record<NetflowV8Scheme, { hex: string; record: Record<string, number> }> = {
  1: {
    hex: `${COUNTERS_HEX} fde8 3b41 0005 0006`,
    record: { ...COUNTERS, srcAs: 65000, dstAs: 15169, input: 5, output: 6 },
  },
  2: {
    hex: `${COUNTERS_HEX} 11 00 0000 0035 d431`,
    record: { ...COUNTERS, prot: 17, pad: 0, reserved: 0, srcPort: 53, dstPort: 54321 },
  },
  3: {
    hex: `${COUNTERS_HEX} c0a80000 10 00 fde8 0007 0000`,
    record: { ...COUNTERS, srcPrefix: SRC_PREFIX, srcMask: 16, pad: 0, srcAs: 65000, input: 7, reserved: 0 },
  },
  4: {
    hex: `${COUNTERS_HEX} 0a010200 18 00 3b41 0008 0000`,
    record: { ...COUNTERS, dstPrefix: DST_PREFIX, dstMask: 24, pad: 0, dstAs: 15169, output: 8, reserved: 0 },
  },
  5: {
    hex: `${COUNTERS_HEX} c0a80000 0a010200 10 18 0000 fde8 3b41 0007 0008`,
    record: {
      ...COUNTERS,
      srcPrefix: SRC_PREFIX,
      dstPrefix: DST_PREFIX,
      srcMask: 16,
      dstMask: 24,
      reserved: 0,
      srcAs: 65000,
      dstAs: 15169,
      input: 7,
      output: 8,
    },
  },
  6: {
    hex: `0a010203 00000010 00001000 00001f40 00002328 0009 20 40 ${CATALYST_TAIL_HEX}`,
    record: { dstAddr: 0x0a010203, ...CATALYST, output: 9, tos: 0x20, markedTos: 0x40, ...CATALYST_TAIL },
  },
  7: {
    hex: `0a010203 c0a80a01 00000010 00001000 00001f40 00002328 0009 000a 20 40 0000 ${CATALYST_TAIL_HEX}`,
    record: {
      dstAddr: 0x0a010203,
      srcAddr: 0xc0a80a01,
      ...CATALYST,
      output: 9,
      input: 10,
      tos: 0x20,
      markedTos: 0x40,
      reserved: 0,
      ...CATALYST_TAIL,
    },
  },
  8: {
    hex: `0a010203 c0a80a01 0050 c350 00000010 00001000 00001f40 00002328 0009 000a 20 06 40 00 ${CATALYST_TAIL_HEX}`,
    record: {
      dstAddr: 0x0a010203,
      srcAddr: 0xc0a80a01,
      dstPort: 80,
      srcPort: 50000,
      ...CATALYST,
      output: 9,
      input: 10,
      tos: 0x20,
      prot: 6,
      markedTos: 0x40,
      reserved: 0,
      ...CATALYST_TAIL,
    },
  },
  9: {
    hex: `${COUNTERS_HEX} fde8 3b41 0005 0006 b8 00 0000`,
    record: { ...COUNTERS, srcAs: 65000, dstAs: 15169, input: 5, output: 6, tos: 0xb8, pad: 0, reserved: 0 },
  },
  10: {
    hex: `${COUNTERS_HEX} 06 b8 0000 c350 0050 0005 0006`,
    record: { ...COUNTERS, prot: 6, tos: 0xb8, reserved: 0, srcPort: 50000, dstPort: 80, input: 5, output: 6 },
  },
  11: {
    hex: `${COUNTERS_HEX} c0a80000 10 b8 fde8 0007 0000`,
    record: { ...COUNTERS, srcPrefix: SRC_PREFIX, srcMask: 16, tos: 0xb8, srcAs: 65000, input: 7, reserved: 0 },
  },
  12: {
    hex: `${COUNTERS_HEX} 0a010200 18 b8 3b41 0008 0000`,
    record: { ...COUNTERS, dstPrefix: DST_PREFIX, dstMask: 24, tos: 0xb8, dstAs: 15169, output: 8, reserved: 0 },
  },
  13: {
    hex: `${COUNTERS_HEX} c0a80000 0a010200 10 18 b8 00 fde8 3b41 0007 0008`,
    record: {
      ...COUNTERS,
      srcPrefix: SRC_PREFIX,
      dstPrefix: DST_PREFIX,
      srcMask: 16,
      dstMask: 24,
      tos: 0xb8,
      pad: 0,
      srcAs: 65000,
      dstAs: 15169,
      input: 7,
      output: 8,
    },
  },
  14: {
    hex: `${COUNTERS_HEX} c0a80000 0a010200 10 18 b8 06 c350 0050 0007 0008`,
    record: {
      ...COUNTERS,
      srcPrefix: SRC_PREFIX,
      dstPrefix: DST_PREFIX,
      srcMask: 16,
      dstMask: 24,
      tos: 0xb8,
      prot: 6,
      srcPort: 50000,
      dstPort: 80,
      input: 7,
      output: 8,
    },
  },
};

const SCHEMES = NETFLOW_V8_SCHEMES.map((l) => l.scheme);

function fixtureBytes(scheme: NetflowV8Scheme): Uint8Array {
  return concat(headerHex(scheme), hex(FIXTURES[scheme].hex));
}

function fixtureDatagram(scheme: NetflowV8Scheme): NetflowV8Datagram {
  return {
    header: expectedHeader(scheme),
    records: [FIXTURES[scheme].record] as unknown as NetflowV8Datagram["records"],
    padding: 0,
  };
}

function recordArb(layout: NetflowV8SchemeLayout): fc.Arbitrary<Record<string, number>> {
  const shape: Record<string, fc.Arbitrary<number>> = {};
  for (const f of layout.fields) shape[f.name] = fc.integer({ min: 0, max: 2 ** (8 * f.size) - 1 });
  return fc.record(shape).map((r) => ({ ...r }));
}

function datagramArb(layout: NetflowV8SchemeLayout): fc.Arbitrary<NetflowV8Datagram> {
  return fc
    .record({
      ...NETFLOW_HEADER_FIELDS,
      aggVersion: u8,
      reserved: u32,
      records: fc.array(recordArb(layout), { maxLength: layout.maxRecords }),
      padding: fc.integer({ min: 0, max: 40 }),
    })
    .map(({ records, padding, ...h }) => ({
      header: { version: 8 as const, count: records.length, aggregation: layout.scheme, ...h },
      records: records as unknown as NetflowV8Datagram["records"],
      padding,
    }));
}

describe("NetFlow v8 scheme layouts", () => {
  it("lists the 14 schemes with their record lengths and maxima", () => {
    const table = NETFLOW_V8_SCHEMES.map((l) => [l.scheme, l.name, l.recordLength, l.maxRecords]);
    assert.deepEqual(table, [
      [1, "as", 28, 51],
      [2, "protocol-port", 28, 51],
      [3, "source-prefix", 32, 44],
      [4, "destination-prefix", 32, 44],
      [5, "prefix", 40, 35],
      [6, "destination-only", 32, 44],
      [7, "source-destination", 40, 35],
      [8, "full-flow", 44, 32],
      [9, "as-tos", 32, 44],
      [10, "protocol-port-tos", 32, 44],
      [11, "source-prefix-tos", 32, 44],
      [12, "destination-prefix-tos", 32, 44],
      [13, "prefix-tos", 40, 35],
      [14, "prefix-port", 40, 35],
    ]);
    assert.equal(netflowV8Layout(0), undefined);
    assert.equal(netflowV8Layout(15), undefined);
  });

  it("tiles every record exactly, in both mask orders", () => {
    for (const layout of NETFLOW_V8_SCHEMES) {
      for (const fields of [layout.fields, layout.caidaFields]) {
        const owner = new Array<string | undefined>(layout.recordLength).fill(undefined);
        for (const f of fields) {
          for (let i = f.offset; i < f.offset + f.size; i++) {
            assert.equal(owner[i], undefined, `scheme ${layout.scheme}: byte ${i} in ${owner[i]} and ${f.name}`);
            owner[i] = f.name;
          }
        }
        assert.ok(
          owner.every((o) => o !== undefined),
          `scheme ${layout.scheme} leaves a byte uncovered`,
        );
      }
    }
  });

  it("swaps only the two mask bytes of schemes 5, 13 and 14 in the caida order", () => {
    for (const layout of NETFLOW_V8_SCHEMES) {
      assert.equal(layout.hasMaskOrder, [5, 13, 14].includes(layout.scheme), `scheme ${layout.scheme}`);
      const moved = layout.fields.filter((f, i) => f.offset !== layout.caidaFields[i].offset).map((f) => f.name);
      assert.deepEqual(moved, layout.hasMaskOrder ? ["srcMask", "dstMask"] : []);
    }
    const prefix = netflowV8Layout(5)!;
    const at = (fields: typeof prefix.fields, name: string) => fields.find((f) => f.name === name)?.offset;
    assert.deepEqual([at(prefix.fields, "srcMask"), at(prefix.fields, "dstMask")], [28, 29]);
    assert.deepEqual([at(prefix.caidaFields, "srcMask"), at(prefix.caidaFields, "dstMask")], [29, 28]);
  });
});

/** Reads a record straight from the layout table: the reference the specialised readers must match. */
function readByTable(bytes: Uint8Array, at: number, layout: NetflowV8SchemeLayout, order: NetflowV8MaskOrder) {
  const rec: Record<string, number> = {};
  for (const f of order === "caida" ? layout.caidaFields : layout.fields) {
    let n = 0;
    for (let i = 0; i < f.size; i++) n = n * 256 + bytes[at + f.offset + i];
    rec[f.name] = n;
  }
  return rec;
}

describe("NetFlow v8 specialised record readers", () => {
  it("agree with the layout tables on random bytes for every scheme and mask order (property)", () => {
    const arb = fc.record({
      layout: fc.constantFrom(...NETFLOW_V8_SCHEMES),
      order: fc.constantFrom<NetflowV8MaskOrder>("default", "caida"),
      seed: fc.uint8Array({ minLength: 44 * 3, maxLength: 44 * 3 }),
      count: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(arb, ({ layout, order, seed, count }) => {
        const bytes = concat(headerHex(layout.scheme, count), seed.subarray(0, count * layout.recordLength));
        const d = decodeNetflowV8(bytes, 0, bytes.length, { maskOrder: order });
        const want = Array.from({ length: count }, (_, i) =>
          readByTable(bytes, 28 + i * layout.recordLength, layout, order),
        );
        assert.deepEqual(d.records, want);
        assert.deepEqual(
          Object.keys(d.records[0]),
          layout.fields.map((f) => f.name),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe("NetFlow v8 codec", () => {
  for (const scheme of SCHEMES) {
    it(`decodes and re-encodes the scheme ${scheme} fixture byte for byte`, () => {
      const bytes = fixtureBytes(scheme);
      assert.equal(bytes.length, NETFLOW_V8_HEADER_LENGTH + netflowV8Layout(scheme)!.recordLength);
      const d = decodeNetflowV8(bytes);
      assert.deepEqual(d, fixtureDatagram(scheme));
      assert.ok(isNetflowV8Datagram(d, scheme));
      assert.equal(netflowV8EncodingLength(d), bytes.length);
      assert.deepEqual(encodeNetflowV8(d), bytes);
      assert.deepEqual(encodeNetflowV8(fixtureDatagram(scheme)), bytes);
    });
  }

  it("reads the destination mask first in the caida order (schemes 5, 13, 14)", () => {
    for (const scheme of [5, 13, 14] as const) {
      const bytes = fixtureBytes(scheme);
      const d = decodeNetflowV8(bytes, 0, bytes.length, { maskOrder: "caida" });
      const rec = d.records[0] as { srcMask: number; dstMask: number };
      assert.deepEqual([rec.srcMask, rec.dstMask], [24, 16], `scheme ${scheme}`);
      assert.deepEqual(encodeNetflowV8(d, undefined, 0, { maskOrder: "caida" }), bytes);
      // The same values written in the default order swap the two bytes on the wire.
      const swapped = encodeNetflowV8(d);
      assert.deepEqual([swapped[28 + 28], swapped[28 + 29]], [24, 16]);
    }
    // Other schemes ignore the option.
    const as = fixtureBytes(1);
    assert.deepEqual(decodeNetflowV8(as, 0, as.length, { maskOrder: "caida" }), fixtureDatagram(1));
    const bad = { maskOrder: "cisco" as NetflowV8MaskOrder };
    assert.equal(
      codeOf(() => decodeNetflowV8(as, 0, as.length, bad)),
      "ERR_NETFLOW_OPTION",
    );
  });

  it("decodes at an offset inside a larger buffer and reports trailing padding", () => {
    const bytes = fixtureBytes(8);
    const big = concat(new Uint8Array(9).fill(0xff), bytes, new Uint8Array(6).fill(0xff));
    assert.deepEqual(decodeNetflowV8(big, 9, bytes.length), fixtureDatagram(8));
    const padded = decodeNetflowV8(big.subarray(2), 7);
    assert.equal(padded.padding, 6);
    assert.deepEqual(padded.records, fixtureDatagram(8).records);
    const reencoded = encodeNetflowV8(padded);
    assert.deepEqual(reencoded, concat(bytes, new Uint8Array(6)));
  });

  it("enforces each scheme's maximum record count", () => {
    for (const layout of NETFLOW_V8_SCHEMES) {
      const rec = FIXTURES[layout.scheme].record;
      const full = { ...fixtureDatagram(layout.scheme), records: new Array(layout.maxRecords).fill(rec) };
      const bytes = encodeNetflowV8(full as NetflowV8Datagram);
      assert.equal(decodeNetflowV8(bytes).records.length, layout.maxRecords);
      const over = { ...full, records: [...full.records, rec] } as NetflowV8Datagram;
      assert.equal(
        codeOf(() => encodeNetflowV8(over)),
        "ERR_NETFLOW_COUNT",
      );
      // A header claiming one record too many, with the bytes for it present.
      const claim = concat(bytes, hex(FIXTURES[layout.scheme].hex));
      claim[3] = layout.maxRecords + 1;
      const e = errorOf(() => decodeNetflowV8(claim));
      assert.equal(e.code, "ERR_NETFLOW_COUNT");
      assert.equal(e.offset, 2);
      assert.match(e.message, new RegExp(`maximum of ${layout.maxRecords} records`));
    }
  });

  it("rejects bad versions, unknown schemes and truncation with codes and offsets", () => {
    const bytes = fixtureBytes(5);
    const big = concat(new Uint8Array(4), bytes);
    for (const scheme of [0, 15, 255]) {
      const b = big.slice();
      b[4 + 22] = scheme;
      const e = errorOf(() => decodeNetflowV8(b, 4));
      assert.equal(e.code, "ERR_NETFLOW_AGGREGATION");
      assert.equal(e.offset, 4 + 22);
    }
    const v5 = bytes.slice();
    v5[1] = 5;
    assert.equal(
      codeOf(() => decodeNetflowV8(v5)),
      "ERR_NETFLOW_VERSION",
    );
    assert.equal(
      codeOf(() => decodeNetflowV8(bytes, 0, 27)),
      "ERR_NETFLOW_TRUNCATED",
    );
    const cut = errorOf(() => decodeNetflowV8(big, 4, bytes.length - 1));
    assert.equal(cut.code, "ERR_NETFLOW_TRUNCATED");
    assert.equal(cut.offset, 4);
    assert.equal(
      codeOf(() => decodeNetflowV8(bytes, 0, bytes.length + 1)),
      "ERR_NETFLOW_TRUNCATED",
    );
  });

  it("rejects unknown schemes, missing fields and out-of-range values when encoding", () => {
    const d = fixtureDatagram(3);
    const unknown = { ...d, header: { ...d.header, aggregation: 15 } } as unknown as NetflowV8Datagram;
    assert.equal(
      codeOf(() => encodeNetflowV8(unknown)),
      "ERR_NETFLOW_AGGREGATION",
    );
    const { srcAs: _dropped, ...missing } = FIXTURES[3].record;
    const e = errorOf(() => encodeNetflowV8({ ...d, records: [missing] } as unknown as NetflowV8Datagram));
    assert.equal(e.code, "ERR_NETFLOW_FIELD");
    assert.equal(e.offset, 28 + 26);
    const wide = { ...FIXTURES[3].record, srcMask: 256 };
    assert.equal(
      codeOf(() => encodeNetflowV8({ ...d, records: [wide] } as unknown as NetflowV8Datagram)),
      "ERR_NETFLOW_FIELD",
    );
    assert.equal(
      codeOf(() => encodeNetflowV8(d, new Uint8Array(59))),
      "ERR_NETFLOW_BUFFER",
    );
  });

  for (const layout of NETFLOW_V8_SCHEMES) {
    it(`round-trips arbitrary scheme ${layout.scheme} datagrams in both mask orders (property)`, () => {
      fc.assert(
        fc.property(datagramArb(layout), fc.constantFrom<NetflowV8MaskOrder>("default", "caida"), (d, maskOrder) => {
          const bytes = encodeNetflowV8(d, undefined, 0, { maskOrder });
          assert.equal(bytes.length, netflowV8EncodingLength(d));
          assert.deepEqual(decodeNetflowV8(bytes, 0, bytes.length, { maskOrder }), d);
        }),
        { numRuns: 50 },
      );
    });
  }

  it("raises only WireErrors on random and mutated bytes (property)", () => {
    const check = (bytes: Uint8Array) => {
      try {
        decodeNetflowV8(bytes);
      } catch (e) {
        assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
      }
      try {
        decodeNetflow(bytes);
        netflowDatagramLength(bytes);
      } catch (e) {
        assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), check));
    const anyDatagram = fc.constantFrom(...NETFLOW_V8_SCHEMES).chain((l) => datagramArb(l));
    fc.assert(
      fc.property(anyDatagram, fc.array(fc.tuple(fc.nat(), fc.nat(255))), fc.nat(), (d, flips, cut) => {
        const bytes = encodeNetflowV8(d);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        check(bytes.subarray(0, cut % (bytes.length + 1)));
      }),
    );
  });
});

describe("NetFlow version dispatch and declared lengths", () => {
  const v5 = encodeNetflowV5({
    header: {
      version: 5,
      count: 0,
      sysUptime: 1,
      unixSecs: 2,
      unixNsecs: 3,
      flowSequence: 4,
      engineType: 5,
      engineId: 6,
      samplingMode: 0,
      samplingInterval: 0,
    },
    records: [],
    padding: 0,
  });

  it("decodes by version and narrows the union", () => {
    const a = decodeNetflow(v5);
    assert.ok(isNetflowV5(a) && !isNetflowV8(a));
    assert.equal(a.header.engineId, 6);
    const b = decodeNetflow(fixtureBytes(13), 0, undefined, { maskOrder: "caida" });
    assert.ok(isNetflowV8(b) && !isNetflowV5(b));
    assert.ok(isNetflowV8Datagram(b, 13));
    assert.equal(b.records[0].srcMask, 24);
    for (const version of [1, 7, 9, 10, 0x0500]) {
      const x = v5.slice();
      x[0] = version >>> 8;
      x[1] = version & 0xff;
      const e = errorOf(() => decodeNetflow(x));
      assert.equal(e.code, "ERR_NETFLOW_VERSION");
      assert.match(e.message, new RegExp(`version ${version}\\b`));
    }
    assert.equal(
      codeOf(() => decodeNetflow(new Uint8Array(1))),
      "ERR_NETFLOW_TRUNCATED",
    );
  });

  it("gives the length each header declares, without needing the records", () => {
    const v5header = v5.slice();
    v5header[3] = 30;
    assert.equal(netflowDatagramLength(v5header), 24 + 30 * 48);
    for (const layout of NETFLOW_V8_SCHEMES) {
      const h = headerHex(layout.scheme, 7);
      assert.equal(netflowDatagramLength(concat(new Uint8Array(3), h), 3), 28 + 7 * layout.recordLength);
    }
    assert.equal(
      codeOf(() => netflowDatagramLength(v5.subarray(0, 23))),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(
      codeOf(() => netflowDatagramLength(headerHex(1).subarray(0, 27))),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(
      codeOf(() => netflowDatagramLength(headerHex(16))),
      "ERR_NETFLOW_AGGREGATION",
    );
    assert.equal(
      codeOf(() => netflowDatagramLength(hex("0009 0001"))),
      "ERR_NETFLOW_VERSION",
    );
    assert.equal(
      codeOf(() => netflowDatagramLength(v5, v5.length)),
      "ERR_NETFLOW_TRUNCATED",
    );
  });

  it("splits datagrams laid end to end by their declared lengths", () => {
    const parts = [fixtureBytes(1), v5, fixtureBytes(8), fixtureBytes(14)];
    const file = concat(...parts);
    const versions: number[] = [];
    for (let at = 0; at < file.length; ) {
      const n = netflowDatagramLength(file, at);
      versions.push(decodeNetflow(file, at, n).header.version);
      at += n;
    }
    assert.deepEqual(versions, [8, 5, 8, 8]);
  });
});
