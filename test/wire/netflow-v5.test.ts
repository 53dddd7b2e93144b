import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError } from "../../src/wire/errors.ts";
import {
  decodeNetflowV5,
  encodeNetflowV5,
  NETFLOW_V5_HEADER_LENGTH,
  NETFLOW_V5_MAX_RECORDS,
  NETFLOW_V5_RECORD_LENGTH,
  type NetflowV5Datagram,
  type NetflowV5Record,
  netflowV5EncodingLength,
} from "../../src/wire/netflow-v5.ts";
import { forEachNetflowV5Record, NetflowV5Cursor } from "../../src/wire/netflow-v5-cursor.ts";
import { codeOf, hex, NETFLOW_HEADER_FIELDS, NETFLOW_V5_FLOW_FIELDS, u8, u16 } from "./fixtures.ts";

/** Two records and two bytes of padding, written by hand from the Cisco v5 layout. */
const FIXTURE = hex(`
  0005 0002            # version 5, count 2
  000f4240             # sysUptime 1000000
  6553f100 1dcd6500    # unixSecs 1700000000, unixNsecs 500000000
  00001234             # flowSequence 4660
  01 02 4064           # engineType 1, engineId 2, sampling mode 1 interval 100
  c0a80a01 0a000002 ac100001  0003 0004  0000000a 000005dc  000f3e58 000f4240
  c350 01bb 00 1b 06 28  fde8 3b41 18 10 0000
  08080808 ffffffff 00000000  ffff 0000  ffffffff 80000000  fffffc18 000003e8
  0000 0800 00 00 01 00  0000 ffff 20 00 0000
  0000                 # padding
`);

const EXPECTED: NetflowV5Datagram = {
  header: {
    version: 5,
    count: 2,
    sysUptime: 1000000,
    unixSecs: 1700000000,
    unixNsecs: 500000000,
    flowSequence: 4660,
    engineType: 1,
    engineId: 2,
    samplingMode: 1,
    samplingInterval: 100,
  },
  records: [
    {
      srcAddr: 0xc0a80a01,
      dstAddr: 0x0a000002,
      nextHop: 0xac100001,
      input: 3,
      output: 4,
      dPkts: 10,
      dOctets: 1500,
      first: 999000,
      last: 1000000,
      srcPort: 50000,
      dstPort: 443,
      pad1: 0,
      tcpFlags: 0x1b,
      prot: 6,
      tos: 0x28,
      srcAs: 65000,
      dstAs: 15169,
      srcMask: 24,
      dstMask: 16,
      pad2: 0,
    },
    {
      srcAddr: 0x08080808,
      dstAddr: 4294967295,
      nextHop: 0,
      input: 65535,
      output: 0,
      dPkts: 4294967295,
      dOctets: 2147483648,
      first: 4294966296,
      last: 1000,
      srcPort: 0,
      dstPort: 0x0800,
      pad1: 0,
      tcpFlags: 0,
      prot: 1,
      tos: 0,
      srcAs: 0,
      dstAs: 65535,
      srcMask: 32,
      dstMask: 0,
      pad2: 0,
    },
  ],
  padding: 2,
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return "no error";
}

function offsetOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e.offset;
  }
  return -1;
}

// fc.record builds null-prototype objects; spread them into plain ones so deepEqual compares like with like.
const recordArb: fc.Arbitrary<NetflowV5Record> = fc
  .record({ ...NETFLOW_V5_FLOW_FIELDS, pad1: u8, pad2: u16 })
  .map((r) => ({ ...r }));

const datagramArb: fc.Arbitrary<NetflowV5Datagram> = fc
  .record({
    ...NETFLOW_HEADER_FIELDS,
    samplingMode: fc.integer({ min: 0, max: 3 }),
    samplingInterval: fc.integer({ min: 0, max: 0x3fff }),
    records: fc.array(recordArb, { maxLength: NETFLOW_V5_MAX_RECORDS }),
    padding: fc.integer({ min: 0, max: 64 }),
  })
  .map(({ records, padding, ...h }) => ({ header: { version: 5, count: records.length, ...h }, records, padding }));

describe("NetFlow v5 codec", () => {
  it("decodes the hand-written fixture field by field", () => {
    assert.deepEqual(decodeNetflowV5(FIXTURE), EXPECTED);
  });

  it("re-encodes the fixture byte for byte", () => {
    assert.equal(netflowV5EncodingLength(EXPECTED), FIXTURE.length);
    assert.deepEqual(encodeNetflowV5(EXPECTED), FIXTURE);
    assert.deepEqual(encodeNetflowV5(decodeNetflowV5(FIXTURE)), FIXTURE);
  });

  it("decodes at an offset inside a larger buffer and inside a subarray", () => {
    const big = new Uint8Array(7 + FIXTURE.length + 5).fill(0xee);
    big.set(FIXTURE, 7);
    assert.deepEqual(decodeNetflowV5(big, 7, FIXTURE.length), EXPECTED);
    const sub = big.subarray(3);
    assert.deepEqual(decodeNetflowV5(sub, 4, FIXTURE.length), EXPECTED);
    // Without a length the trailing 0xee bytes count as padding.
    assert.equal(decodeNetflowV5(big, 7).padding, 2 + 5);
  });

  it("reports errors with codes and offsets relative to the caller's buffer", () => {
    const big = new Uint8Array(10 + FIXTURE.length);
    big.set(FIXTURE, 10);
    assert.equal(
      codeOf(() => decodeNetflowV5(FIXTURE, 0, 23)),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(
      codeOf(() => decodeNetflowV5(new Uint8Array(0))),
      "ERR_NETFLOW_TRUNCATED",
    );
    // Header present, second record cut short.
    assert.equal(
      codeOf(() => decodeNetflowV5(big, 10, 24 + 48 + 47)),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(
      offsetOf(() => decodeNetflowV5(big, 10, 24 + 48 + 47)),
      10,
    );
    const v9 = FIXTURE.slice();
    v9[1] = 9;
    assert.equal(
      codeOf(() => decodeNetflowV5(v9)),
      "ERR_NETFLOW_VERSION",
    );
    const tooMany = FIXTURE.slice();
    tooMany[3] = 31;
    big.set(tooMany, 10);
    assert.equal(
      codeOf(() => decodeNetflowV5(big, 10)),
      "ERR_NETFLOW_COUNT",
    );
    assert.equal(
      offsetOf(() => decodeNetflowV5(big, 10)),
      12,
    );
    assert.match(
      messageOf(() => decodeNetflowV5(big, 10)),
      /count 31 exceeds the maximum of 30/,
    );
    assert.equal(
      codeOf(() => decodeNetflowV5(FIXTURE, 0, FIXTURE.length + 1)),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(
      codeOf(() => decodeNetflowV5(FIXTURE, FIXTURE.length + 4)),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(
      codeOf(() => decodeNetflowV5(FIXTURE, -1)),
      "ERR_NETFLOW_RANGE",
    );
    assert.equal(
      codeOf(() => decodeNetflowV5(FIXTURE, 0.5)),
      "ERR_NETFLOW_RANGE",
    );
  });

  it("accepts a zero-record datagram and exactly 30 records", () => {
    const empty: NetflowV5Datagram = { header: { ...EXPECTED.header, count: 0 }, records: [], padding: 0 };
    const bytes = encodeNetflowV5(empty);
    assert.equal(bytes.length, NETFLOW_V5_HEADER_LENGTH);
    assert.deepEqual(decodeNetflowV5(bytes), empty);
    const full: NetflowV5Datagram = {
      header: { ...EXPECTED.header, count: 30 },
      records: Array.from({ length: 30 }, (_, i) => ({ ...EXPECTED.records[0], input: i })),
      padding: 0,
    };
    const fullBytes = encodeNetflowV5(full);
    assert.equal(fullBytes.length, 24 + 30 * 48);
    assert.deepEqual(decodeNetflowV5(fullBytes), full);
    assert.equal(
      codeOf(() => encodeNetflowV5({ ...full, records: [...full.records, full.records[0]] })),
      "ERR_NETFLOW_COUNT",
    );
  });

  it("takes the count from the records and writes zero padding when encoding", () => {
    const d: NetflowV5Datagram = { ...EXPECTED, header: { ...EXPECTED.header, count: 99 }, padding: 3 };
    const bytes = encodeNetflowV5(d);
    assert.equal(bytes[3], 2);
    assert.deepEqual([...bytes.subarray(bytes.length - 3)], [0, 0, 0]);
  });

  it("encodes into a caller's buffer at an offset without touching the bytes around it", () => {
    const into = new Uint8Array(FIXTURE.length + 8).fill(0xaa);
    const out = encodeNetflowV5(EXPECTED, into, 4);
    assert.equal(out, into);
    assert.deepEqual(into.subarray(4, 4 + FIXTURE.length), FIXTURE);
    assert.deepEqual([...into.subarray(0, 4), ...into.subarray(4 + FIXTURE.length)], new Array(8).fill(0xaa));
    assert.equal(
      codeOf(() => encodeNetflowV5(EXPECTED, new Uint8Array(FIXTURE.length - 1))),
      "ERR_NETFLOW_BUFFER",
    );
    assert.equal(
      codeOf(() => encodeNetflowV5(EXPECTED, into, 9)),
      "ERR_NETFLOW_BUFFER",
    );
  });

  it("rejects field values outside their wire range when encoding", () => {
    const bad = (patch: Partial<NetflowV5Record>) => ({ ...EXPECTED, records: [{ ...EXPECTED.records[0], ...patch }] });
    assert.equal(
      codeOf(() => encodeNetflowV5(bad({ srcPort: 70000 }))),
      "ERR_NETFLOW_FIELD",
    );
    assert.equal(
      offsetOf(() => encodeNetflowV5(bad({ srcPort: 70000 }))),
      24 + 32,
    );
    assert.equal(
      codeOf(() => encodeNetflowV5(bad({ dOctets: 2 ** 32 }))),
      "ERR_NETFLOW_FIELD",
    );
    assert.equal(
      codeOf(() => encodeNetflowV5(bad({ prot: -1 }))),
      "ERR_NETFLOW_FIELD",
    );
    assert.equal(
      codeOf(() => encodeNetflowV5(bad({ tos: 1.5 }))),
      "ERR_NETFLOW_FIELD",
    );
    assert.equal(
      codeOf(() => encodeNetflowV5(bad({ srcAddr: Number.NaN }))),
      "ERR_NETFLOW_FIELD",
    );
    const h = { ...EXPECTED.header, samplingInterval: 0x4000 };
    assert.equal(
      codeOf(() => encodeNetflowV5({ ...EXPECTED, header: h })),
      "ERR_NETFLOW_FIELD",
    );
  });

  it("round-trips arbitrary datagrams (property)", () => {
    fc.assert(
      fc.property(datagramArb, (d) => {
        const bytes = encodeNetflowV5(d);
        assert.equal(bytes.length, netflowV5EncodingLength(d));
        assert.deepEqual(decodeNetflowV5(bytes), d);
      }),
    );
  });

  it("raises only WireErrors on random and mutated bytes (property)", () => {
    const check = (bytes: Uint8Array, offset: number) => {
      try {
        decodeNetflowV5(bytes, offset);
      } catch (e) {
        assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
      }
      try {
        new NetflowV5Cursor().reset(bytes, offset);
      } catch (e) {
        assert.ok(e instanceof WireError, `not a WireError: ${String(e)}`);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), fc.nat(40), (bytes, offset) => check(bytes, offset)));
    fc.assert(
      fc.property(datagramArb, fc.array(fc.tuple(fc.nat(), u8)), fc.nat(), (d, flips, cut) => {
        const bytes = encodeNetflowV5(d);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        check(bytes.subarray(0, cut % (bytes.length + 1)), 0);
      }),
    );
  });
});

describe("NetFlow v5 zero-allocation cursor", () => {
  it("reads the same fields as the decoder", () => {
    const c = new NetflowV5Cursor();
    assert.equal(c.reset(FIXTURE), 2);
    assert.equal(c.sysUptime, 1000000);
    assert.equal(c.unixSecs, 1700000000);
    assert.equal(c.unixNsecs, 500000000);
    assert.equal(c.flowSequence, 4660);
    assert.equal(c.engineType, 1);
    assert.equal(c.engineId, 2);
    assert.equal(c.samplingMode, 1);
    assert.equal(c.samplingInterval, 100);
    assert.deepEqual(c.header(), EXPECTED.header);
    const seen: NetflowV5Record[] = [];
    while (c.next()) {
      const r = EXPECTED.records[c.index];
      for (const key of Object.keys(r) as (keyof NetflowV5Record)[]) assert.equal(c[key], r[key], key);
      seen.push(c.toRecord());
    }
    assert.deepEqual(seen, EXPECTED.records);
    assert.equal(c.next(), false);
    c.rewind();
    assert.ok(c.next());
    assert.equal(c.srcAddr, 0xc0a80a01);
  });

  it("walks datagrams at offsets of one buffer and of different buffers", () => {
    const big = new Uint8Array(5 + 2 * FIXTURE.length);
    big.set(FIXTURE, 5);
    big.set(FIXTURE, 5 + FIXTURE.length);
    big[5 + FIXTURE.length + 24 + 38] = 17; // second copy, first record: prot 17
    const sub = big.subarray(1);
    const c = new NetflowV5Cursor();
    const prots: number[] = [];
    for (const at of [4, 4 + FIXTURE.length]) {
      forEachNetflowV5Record(sub, at, FIXTURE.length, (r) => prots.push(r.prot), c);
    }
    assert.deepEqual(prots, [6, 1, 17, 1]);
    assert.equal(
      forEachNetflowV5Record(FIXTURE.slice(), 0, FIXTURE.length, () => {}, c),
      2,
    );
  });

  it("validates the header once, before visiting, and is empty after a failed reset", () => {
    const bad = FIXTURE.slice();
    bad[3] = 3; // count 3 does not fit
    let visits = 0;
    assert.equal(
      codeOf(() => forEachNetflowV5Record(bad, 0, bad.length, () => visits++)),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(visits, 0);
    const c = new NetflowV5Cursor();
    c.reset(FIXTURE);
    assert.equal(
      codeOf(() => c.reset(bad)),
      "ERR_NETFLOW_TRUNCATED",
    );
    assert.equal(c.count, 0);
    assert.equal(c.next(), false);
  });

  it("agrees with the decoder on arbitrary datagrams (property)", () => {
    const c = new NetflowV5Cursor();
    fc.assert(
      fc.property(datagramArb, fc.nat(9), (d, pre) => {
        const bytes = new Uint8Array(pre + netflowV5EncodingLength(d));
        encodeNetflowV5(d, bytes, pre);
        const got: NetflowV5Record[] = [];
        forEachNetflowV5Record(bytes, pre, bytes.length - pre, (r) => got.push(r.toRecord()), c);
        assert.deepEqual(got, d.records);
        assert.deepEqual(c.header(), d.header);
        assert.equal(got.length * NETFLOW_V5_RECORD_LENGTH + NETFLOW_V5_HEADER_LENGTH + d.padding, bytes.length - pre);
      }),
    );
  });
});
