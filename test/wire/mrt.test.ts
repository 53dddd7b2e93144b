import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  asNumberFromString,
  asPathFromString,
  asPathLength,
  asPathOriginAs,
  asPathPeerAs,
  asPathToString,
  summarizeBgpAttributes,
} from "../../src/wire/bgp-as-path.ts";
import {
  AS_CONFED_SEQUENCE,
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  type BgpAttribute,
  decodeBgpAttributes,
  encodeBgpAttributes,
} from "../../src/wire/bgp-attributes.ts";
import { WireError } from "../../src/wire/errors.ts";
import { ipv6FromString } from "../../src/wire/ipv6.ts";
import {
  decodeMrtHeader,
  decodeMrtRecord,
  encodeMrtRecord,
  MRT_HEADER_LENGTH,
  type MrtRecord,
  mrtRecordEncodingLength,
} from "../../src/wire/mrt.ts";
import { MrtReader } from "../../src/wire/mrt-reader.ts";
import { MrtRibCursor } from "../../src/wire/mrt-rib-cursor.ts";
import { concat, hex } from "./fixtures.ts";
import { expectedAfterRoundTrip, plainPath, record, rib, segment } from "./mrt-arbitraries.ts";

/** Four records written by hand from RFC 6396 4.3 and RFC 4271 4.3. */
const PEER_INDEX_TABLE = hex(`
  6553f100 000d 0001 00000030   # 1700000000, TABLE_DUMP_V2, PEER_INDEX_TABLE, 48 bytes
  c0000201                      # collector BGP id 192.0.2.1
  0004 72726330                 # view name "rrc0"
  0002                          # 2 peers
  02 0a000001 c0000202 fa56ea00 # AS4 + IPv4: id 10.0.0.1, 192.0.2.2, AS 4200000000
  01 0a000002 20010db8000000000000000000000001 fde9  # IPv6 + 2-byte AS: 2001:db8::1, AS 65001
`);
const RIB_IPV4 = hex(`
  6553f100 000d 0002 00000066   # RIB_IPV4_UNICAST, 102 bytes
  00000000 10 0a35 0002         # sequence 0, 10.53.0.0/16, 2 entries
  0000 64bb5a80 0034            # peer 0, originated 1690000000, 52 bytes of attributes
    40 01 01 00                 # ORIGIN IGP
    40 02 18 02 03 00001b6a 00000d1c 00002b67 01 02 0000fc00 0000fc01  # AS_PATH 7018 3356 11111 {64512,64513}
    40 03 04 c0a8fff0           # NEXT_HOP 192.168.255.240
    80 04 04 00000005           # MULTI_EXIT_DISC 5 (raw)
    c0 08 04 1b6a0064           # COMMUNITIES 7018:100 (raw)
  0001 64bb5a81 0019            # peer 1, originated 1690000001, 25 bytes
    40 01 01 02                 # ORIGIN INCOMPLETE
    50 02 0006 02 01 0000fde9   # AS_PATH 65001, extended length
    80 0e 05 04 0a000009        # MP_REACH_NLRI (MRT form), next hop 10.0.0.9
    40 06 00                    # ATOMIC_AGGREGATE (raw, empty)
`);
const RIB_IPV6 = hex(`
  6553f100 000d 0004 00000052   # RIB_IPV6_UNICAST, 82 bytes
  00000001 21 20010db880 0001   # sequence 1, 2001:db8:8000::/33, 1 entry
  0001 64bb5a80 003e            # peer 1, 62 bytes
    40 01 01 01                 # ORIGIN EGP
    40 02 0a 02 02 0000fde9 fa56ea00  # AS_PATH 65001 4200000000
    80 0e 21 20 20010db8000000000000000000000001 fe800000000000000000000000000001  # MP_REACH_NLRI global + link-local
    c0 11 06 02 01 0000fde9     # AS4_PATH 65001
`);
const BGP4MP = hex("6553f100 0010 0004 00000004 deadbeef");
const FILE = new Uint8Array([...PEER_INDEX_TABLE, ...RIB_IPV4, ...RIB_IPV6, ...BGP4MP]);

const EXPECTED: MrtRecord[] = [
  {
    kind: "peerIndexTable",
    timestamp: 1700000000,
    collectorBgpId: 0xc0000201,
    viewName: "rrc0",
    peers: [
      { peerType: 2, bgpId: 0x0a000001, address: Uint8Array.of(192, 0, 2, 2), as: 4200000000 },
      { peerType: 1, bgpId: 0x0a000002, address: ipv6FromString("2001:db8::1"), as: 65001 },
    ],
  },
  {
    kind: "rib",
    timestamp: 1700000000,
    subtype: 2,
    sequenceNumber: 0,
    prefixLength: 16,
    prefix: Uint8Array.of(10, 53, 0, 0),
    entries: [
      {
        peerIndex: 0,
        originatedTime: 1690000000,
        attributes: [
          { kind: "origin", flags: 0x40, origin: 0 },
          {
            kind: "asPath",
            flags: 0x40,
            segments: [
              { type: AS_SEQUENCE, asns: [7018, 3356, 11111] },
              { type: AS_SET, asns: [64512, 64513] },
            ],
          },
          { kind: "nextHop", flags: 0x40, nextHop: 0xc0a8fff0 },
          { kind: "other", flags: 0x80, typeCode: 4, value: hex("00000005") },
          { kind: "other", flags: 0xc0, typeCode: 8, value: hex("1b6a0064") },
        ],
      },
      {
        peerIndex: 1,
        originatedTime: 1690000001,
        attributes: [
          { kind: "origin", flags: 0x40, origin: 2 },
          { kind: "asPath", flags: 0x50, segments: [{ type: AS_SEQUENCE, asns: [65001] }] },
          { kind: "mpReachNlri", flags: 0x80, nextHop: Uint8Array.of(10, 0, 0, 9) },
          { kind: "other", flags: 0x40, typeCode: 6, value: new Uint8Array(0) },
        ],
      },
    ],
  },
  {
    kind: "rib",
    timestamp: 1700000000,
    subtype: 4,
    sequenceNumber: 1,
    prefixLength: 33,
    prefix: ipv6FromString("2001:db8:8000::"),
    entries: [
      {
        peerIndex: 1,
        originatedTime: 1690000000,
        attributes: [
          { kind: "origin", flags: 0x40, origin: 1 },
          { kind: "asPath", flags: 0x40, segments: [{ type: AS_SEQUENCE, asns: [65001, 4200000000] }] },
          {
            kind: "mpReachNlri",
            flags: 0x80,
            nextHop: new Uint8Array([...ipv6FromString("2001:db8::1"), ...ipv6FromString("fe80::1")]),
          },
          { kind: "as4Path", flags: 0xc0, segments: [{ type: AS_SEQUENCE, asns: [65001] }] },
        ],
      },
    ],
  },
  { kind: "unsupported", timestamp: 1700000000, type: 16, subtype: 4, body: hex("deadbeef") },
];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return e.code;
  }
}

describe("MRT TABLE_DUMP_V2 fixtures", () => {
  const fixtures = [PEER_INDEX_TABLE, RIB_IPV4, RIB_IPV6, BGP4MP];

  it("decodes each record field by field", () => {
    for (const [i, bytes] of fixtures.entries()) assert.deepEqual(decodeMrtRecord(bytes), EXPECTED[i]);
  });

  it("re-encodes each record byte for byte", () => {
    for (const [i, bytes] of fixtures.entries()) {
      assert.equal(mrtRecordEncodingLength(EXPECTED[i]), bytes.length);
      assert.deepEqual(encodeMrtRecord(EXPECTED[i]), bytes);
      const into = new Uint8Array(bytes.length + 3);
      encodeMrtRecord(EXPECTED[i], into, 3);
      assert.deepEqual(into.subarray(3), bytes);
    }
  });

  it("decodes at an offset and reads the header alone", () => {
    assert.deepEqual(decodeMrtRecord(FILE, PEER_INDEX_TABLE.length), EXPECTED[1]);
    assert.deepEqual(decodeMrtHeader(RIB_IPV6), { timestamp: 1700000000, type: 13, subtype: 4, length: 82 });
  });

  it("summarizes a RIB entry's route attributes", () => {
    const rib = EXPECTED[1];
    assert.equal(rib.kind, "rib");
    if (rib.kind !== "rib") return;
    const s = summarizeBgpAttributes(rib.entries[0].attributes);
    assert.equal(s.origin, 0);
    assert.equal(s.nextHop, 0xc0a8fff0);
    assert.equal(asPathToString(s.asPath ?? []), "7018 3356 11111 {64512,64513}");
    assert.equal(asPathOriginAs(s.asPath ?? []), 64513);
    assert.equal(asPathPeerAs(s.asPath ?? []), 7018);
    assert.equal(asPathLength(s.asPath ?? []), 4);
    assert.deepEqual(summarizeBgpAttributes(rib.entries[1].attributes).mpNextHop, Uint8Array.of(10, 0, 0, 9));
  });

  it("decodes MP_REACH_NLRI in the full RFC 4760 form and writes it back so", () => {
    const value = hex("0002 01 10 20010db8000000000000000000000001 00 20 20010db8");
    const bytes = new Uint8Array([0x80, 0x0e, value.length, ...value]);
    const [a] = decodeBgpAttributes(bytes);
    assert.deepEqual(a, {
      kind: "mpReachNlri",
      flags: 0x80,
      nextHop: ipv6FromString("2001:db8::1"),
      full: { afi: 2, safi: 1, reserved: 0, nlri: hex("20 20010db8") },
    });
    assert.deepEqual(encodeBgpAttributes([a]), bytes);
  });

  it("reads 2-byte AS numbers when asked (classic BGP-4)", () => {
    const bytes = hex("40 02 06 02 02 1b6a 0d1c");
    assert.deepEqual(decodeBgpAttributes(bytes, 0, bytes.length, 2), [
      { kind: "asPath", flags: 0x40, segments: [{ type: AS_SEQUENCE, asns: [7018, 3356] }] },
    ]);
    assert.deepEqual(encodeBgpAttributes(decodeBgpAttributes(bytes, 0, bytes.length, 2), undefined, 0, 2), bytes);
    assert.equal(
      codeOf(() =>
        encodeBgpAttributes([{ kind: "asPath", flags: 0x40, segments: [{ type: 2, asns: [70000] }] }], undefined, 0, 2),
      ),
      "ERR_BGP_ATTRIBUTE",
    );
  });

  it("sets the extended-length flag for a value over 255 bytes", () => {
    const a: BgpAttribute = { kind: "other", flags: 0xc0, typeCode: 32, value: new Uint8Array(300) };
    const bytes = encodeBgpAttributes([a]);
    assert.deepEqual(bytes.subarray(0, 4), hex("d0 20 012c"));
    assert.deepEqual(decodeBgpAttributes(bytes), [{ ...a, flags: 0xd0 }]);
  });
});

describe("MRT errors", () => {
  const withByte = (bytes: Uint8Array, at: number, value: number) => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };

  it("reports framing problems with stable codes and offsets", () => {
    assert.equal(
      codeOf(() => decodeMrtRecord(RIB_IPV4.subarray(0, 11))),
      "ERR_MRT_TRUNCATED",
    );
    assert.equal(
      codeOf(() => decodeMrtRecord(RIB_IPV4.subarray(0, 50))),
      "ERR_MRT_TRUNCATED",
    );
    assert.equal(
      codeOf(() => decodeMrtRecord(withByte(RIB_IPV4, 5, 99))),
      "ERR_MRT_TYPE",
    );
    assert.equal(
      codeOf(() => decodeMrtRecord(RIB_IPV4, 0, 100)),
      "ERR_MRT_LENGTH",
    );
    try {
      decodeMrtRecord(withByte(RIB_IPV4, 5, 99));
    } catch (e) {
      assert.equal((e as WireError).offset, 4);
    }
  });

  it("rejects bad RIB and peer-table fields", () => {
    assert.equal(
      codeOf(() => decodeMrtRecord(withByte(RIB_IPV4, 16, 33))),
      "ERR_MRT_PREFIX",
    );
    // Entry count 3 with bytes for 2: the third entry is cut short.
    assert.equal(
      codeOf(() => decodeMrtRecord(withByte(RIB_IPV4, 20, 3))),
      "ERR_MRT_TRUNCATED",
    );
    // Entry count 1: the second entry's bytes are left over.
    assert.equal(
      codeOf(() => decodeMrtRecord(withByte(RIB_IPV4, 20, 1))),
      "ERR_MRT_LENGTH",
    );
    // Peer count 3 with bytes for 2.
    assert.equal(
      codeOf(() => decodeMrtRecord(withByte(PEER_INDEX_TABLE, 23, 3))),
      "ERR_MRT_TRUNCATED",
    );
  });

  it("rejects malformed attributes with ERR_BGP_ATTRIBUTE", () => {
    const cases = [
      "40 01 02 0000", // ORIGIN of 2 bytes
      "40 01 01 03", // ORIGIN 3
      "40 02 06 05 01 00000001", // segment type 5
      "40 02 02 02 00", // empty segment
      "40 02 06 02 02 00000001", // segment overruns the attribute
      "40 03 05 0102030405", // NEXT_HOP of 5 bytes
      "80 0e 04 07 010203", // MP_REACH_NLRI of neither form
      "40 01 05 00", // value past the block
      "40 01", // header cut short
      "50 01 00", // extended header cut short
    ];
    for (const c of cases)
      assert.equal(
        codeOf(() => decodeBgpAttributes(hex(c))),
        "ERR_BGP_ATTRIBUTE",
        c,
      );
  });

  it("refuses to encode what the fields cannot hold", () => {
    const rib = EXPECTED[1];
    if (rib.kind !== "rib") return;
    assert.equal(
      codeOf(() => encodeMrtRecord({ ...rib, prefixLength: 33 })),
      "ERR_MRT_FIELD",
    );
    assert.equal(
      codeOf(() => encodeMrtRecord({ ...rib, subtype: 3 })),
      "ERR_MRT_FIELD",
    );
    assert.equal(
      codeOf(() => encodeMrtRecord(rib, new Uint8Array(10))),
      "ERR_MRT_TRUNCATED",
    );
    const table = EXPECTED[0];
    if (table.kind !== "peerIndexTable") return;
    const badPeer = { ...table.peers[0], peerType: 1 };
    assert.equal(
      codeOf(() => encodeMrtRecord({ ...table, peers: [badPeer] })),
      "ERR_MRT_FIELD",
    );
    const as2 = { ...table.peers[0], peerType: 0 };
    assert.equal(
      codeOf(() => encodeMrtRecord({ ...table, peers: [as2] })),
      "ERR_MRT_FIELD",
    );
    const longSegment = [
      { kind: "asPath" as const, flags: 0x40, segments: [{ type: 2, asns: new Array(256).fill(1) }] },
    ];
    assert.equal(
      codeOf(() => encodeBgpAttributes(longSegment)),
      "ERR_BGP_ATTRIBUTE",
    );
  });
});

describe("MRT round trips and robustness", () => {
  it("decode(encode(record)) is the record, and re-encodes byte for byte", () => {
    fc.assert(
      fc.property(record, (r) => {
        const bytes = encodeMrtRecord(r);
        assert.equal(bytes.length, mrtRecordEncodingLength(r));
        const decoded = decodeMrtRecord(bytes);
        assert.deepEqual(decoded, expectedAfterRoundTrip(r, decoded));
        assert.deepEqual(encodeMrtRecord(decoded), bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("random bytes raise only WireErrors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        codeOf(() => decodeMrtRecord(bytes));
        codeOf(() => decodeBgpAttributes(bytes));
        // A plausible header in front of random bytes reaches the message decoders.
        for (const subtype of [1, 2, 4]) {
          const framed = new Uint8Array(MRT_HEADER_LENGTH + bytes.length);
          framed.set(hex(`00000000 000d 000${subtype}`), 0);
          new DataView(framed.buffer).setUint32(8, bytes.length);
          framed.set(bytes, MRT_HEADER_LENGTH);
          codeOf(() => decodeMrtRecord(framed));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("mutated records raise only WireErrors, and the RIB cursor agrees with the decoder", () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(rib, mutation, fc.nat(), (r, changes, cut) => {
        const bytes = encodeMrtRecord(r);
        for (const [at, value] of changes) bytes[MRT_HEADER_LENGTH + (at % (bytes.length - MRT_HEADER_LENGTH))] = value;
        const body = bytes.subarray(MRT_HEADER_LENGTH, MRT_HEADER_LENGTH + (cut % (bytes.length - 11)));
        assertCursorAgrees(encodeMrtRecord({ kind: "unsupported", timestamp: 0, type: 13, subtype: r.subtype, body }));
      }),
      { numRuns: 2000 },
    );
  });

  it("the RIB cursor digests what the decoder returns", () => {
    const plainRib = rib.chain((r) =>
      fc
        .array(fc.tuple(plainPath, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean()), { maxLength: 4 })
        .map((routes) => ({
          ...r,
          entries: routes.map(([segments, nextHop, mp], i) => ({
            peerIndex: i,
            originatedTime: 7,
            attributes: [
              { kind: "asPath" as const, flags: 0x40, segments },
              mp
                ? { kind: "mpReachNlri" as const, flags: 0x80, nextHop: Uint8Array.of(1, 2, 3, 4) }
                : { kind: "nextHop" as const, flags: 0x40, nextHop },
            ],
          })),
        })),
    );
    fc.assert(
      fc.property(plainRib, (r) => assertCursorAgrees(encodeMrtRecord(r))),
      { numRuns: 300 },
    );
    for (const bytes of [RIB_IPV4, RIB_IPV6]) assertCursorAgrees(bytes);
  });
});

/** The cursor fails exactly when decodeMrtRecord fails, with the same code; otherwise their digests agree. */
function assertCursorAgrees(framed: Uint8Array): void {
  let decoded: MrtRecord | undefined;
  const decodeCode = codeOf(() => {
    decoded = decodeMrtRecord(framed);
  });
  const header = decodeMrtHeader(framed);
  const cursor = new MrtRibCursor();
  const digests: number[][] = [];
  const cursorCode = codeOf(() => {
    cursor.reset(framed, MRT_HEADER_LENGTH, header.length, header.subtype);
    while (cursor.next()) {
      digests.push([cursor.peerIndex, cursor.originatedTime, cursor.pathLength, cursor.peerAs, cursor.originAs]);
      digests[digests.length - 1].push(cursor.nextHop, cursor.origin, cursor.hasAsPath ? 1 : 0);
    }
  });
  assert.equal(cursorCode, decodeCode);
  if (decoded === undefined || decoded.kind !== "rib") return;
  assert.equal(cursor.prefixLength, decoded.prefixLength);
  assert.equal(cursor.prefixIpv4, new DataView(decoded.prefix.buffer).getUint32(0));
  const expected = decoded.entries.map((e) => {
    const s = summarizeBgpAttributes(e.attributes);
    const path = s.asPath ?? [];
    const mp4 = e.attributes.find((a) => a.kind === "mpReachNlri" && a.nextHop.length === 4);
    const mp = mp4?.kind === "mpReachNlri" ? new DataView(mp4.nextHop.buffer).getUint32(0) : 0;
    return [e.peerIndex, e.originatedTime, asPathLength(path), asPathPeerAs(path), asPathOriginAs(path)].concat([
      s.nextHop ?? mp,
      s.origin ?? -1,
      s.asPath === undefined ? 0 : 1,
    ]);
  });
  assert.deepEqual(digests, expected);
}

describe("MrtReader", () => {
  it("returns the same records however the stream is cut", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: FILE.length }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const reader = new MrtReader();
        const got: MrtRecord[] = [];
        let from = 0;
        for (const to of [...points, FILE.length]) {
          reader.push(FILE.slice(from, to));
          from = to;
          got.push(...reader.drain());
        }
        reader.end();
        got.push(...reader.drain());
        assert.deepEqual(got, EXPECTED);
        assert.equal(reader.offset, FILE.length);
        assert.equal(reader.records, 4);
        assert.equal(reader.peerIndexTable, got[0]);
      }),
    );
  });

  it("gives frames with file offsets for callers that decode themselves", () => {
    const reader = new MrtReader();
    reader.push(FILE);
    reader.end();
    const offsets: number[] = [];
    for (let f = reader.nextFrame(); f !== undefined; f = reader.nextFrame()) {
      offsets.push(f.fileOffset);
      assert.equal(f.bytes[f.offset - 7], f.header.type);
    }
    assert.deepEqual(offsets, [0, 60, 174, 268]);
  });

  it("reports a record cut short at the end, then stays failed", () => {
    const reader = new MrtReader();
    reader.push(FILE.subarray(0, FILE.length - 1));
    assert.equal(reader.next()?.kind, "peerIndexTable");
    assert.equal(reader.next()?.kind, "rib");
    assert.equal(reader.next()?.kind, "rib");
    assert.equal(reader.next(), undefined);
    reader.end();
    assert.equal(
      codeOf(() => reader.next()),
      "ERR_MRT_TRUNCATED",
    );
    assert.equal(reader.failed, true);
    assert.equal(
      codeOf(() => reader.next()),
      "ERR_MRT_TRUNCATED",
    );
    assert.equal(
      codeOf(() => reader.push(FILE)),
      "ERR_MRT_ENDED",
    );
  });

  it("throws a bad message once with its file offset and goes on", () => {
    const bad = RIB_IPV4.slice();
    bad[16] = 40; // prefix length 40
    const reader = new MrtReader();
    reader.push(concat(PEER_INDEX_TABLE, bad, RIB_IPV6));
    reader.end();
    assert.equal(reader.next()?.kind, "peerIndexTable");
    try {
      reader.next();
      assert.fail("expected ERR_MRT_PREFIX");
    } catch (e) {
      assert.equal((e as WireError).code, "ERR_MRT_PREFIX");
      assert.equal((e as WireError).offset, PEER_INDEX_TABLE.length + 16);
    }
    assert.equal(reader.failed, false);
    assert.deepEqual(reader.next(), EXPECTED[2]);
    assert.equal(reader.next(), undefined);
  });

  it("stops at bytes that are not MRT", () => {
    const reader = new MrtReader({ maxRecordLength: 1000 });
    reader.push(new TextEncoder().encode("10.0.0.0/8 192.0.2.1 7018\n"));
    assert.equal(
      codeOf(() => reader.next()),
      "ERR_MRT_TYPE",
    );
    const big = new MrtReader({ maxRecordLength: 50 });
    big.push(RIB_IPV4);
    assert.equal(
      codeOf(() => big.next()),
      "ERR_MRT_LENGTH",
    );
  });

  it("random chunks of random bytes raise only WireErrors", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => {
        const reader = new MrtReader();
        for (const c of chunks) {
          reader.push(c);
          if (codeOf(() => [...reader.drain()]) !== undefined) return;
        }
        reader.end();
        for (let i = 0; i < 10 && !reader.failed; i++) if (codeOf(() => reader.next()) === undefined) break;
      }),
    );
  });
});

describe("AS path text", () => {
  it("formats as bgpdump does and parses back", () => {
    const segments = [
      { type: AS_SEQUENCE, asns: [7018, 3356] },
      { type: AS_SET, asns: [1, 2] },
      { type: AS_CONFED_SEQUENCE, asns: [5, 6] },
      { type: AS_CONFED_SET, asns: [7, 8] },
    ];
    assert.equal(asPathToString(segments), "7018 3356 {1,2} (5 6) [7,8]");
    assert.deepEqual(asPathFromString("7018 3356 {1,2} (5 6) [7,8]"), segments);
    assert.deepEqual(asPathFromString(" 7018\t{1, 2} "), [
      { type: AS_SEQUENCE, asns: [7018] },
      { type: AS_SET, asns: [1, 2] },
    ]);
    assert.deepEqual(asPathFromString(""), []);
    assert.equal(asNumberFromString("1.10"), 65546);
    assert.equal(asNumberFromString("4294967295"), 4294967295);
    for (const bad of ["4294967296", "1.65536", "x", "{}", "{1,2", "1 }", "-1", "1.2.3"]) {
      assert.equal(
        codeOf(() => asPathFromString(bad)),
        "ERR_AS_PATH_TEXT",
        bad,
      );
    }
  });

  it("origin is the last AS, peer the first, confederation segments passed over", () => {
    const path = asPathFromString("(64600) 7018 3356 {11111,11112} [64601]");
    assert.equal(asPathPeerAs(path), 7018);
    assert.equal(asPathOriginAs(path), 11112);
    assert.equal(asPathLength(path), 3);
    assert.equal(asPathOriginAs([]), 0);
    assert.equal(asPathPeerAs([]), 0);
  });

  it("text round trip keeps the ASes and their grouping", () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (segments) => {
        const text = asPathToString(segments);
        assert.equal(asPathToString(asPathFromString(text)), text);
        assert.equal(asPathLength(asPathFromString(text)), asPathLength(segments));
      }),
    );
  });
});
