/**
 * fast-check arbitraries of MRT TABLE_DUMP_V2 records and BGP path attributes, shared by the MRT codec tests, the
 * bgpdump oracle and the route-table loader tests.
 */
import fc from "fast-check";
import {
  AS_SEQUENCE,
  AS_SET,
  type AsPathSegment,
  BGP_ATTR_FLAG_EXTENDED_LENGTH,
  type BgpAttribute,
} from "../../src/wire/bgp-attributes.ts";
import {
  MRT_PEER_TYPE_AS4,
  MRT_PEER_TYPE_IPV6,
  type MrtPeer,
  type MrtPeerIndexTable,
  type MrtRecord,
  type MrtRib,
  type MrtRibEntry,
  type MrtUnsupported,
} from "../../src/wire/mrt.ts";

/** fc.record with ordinary objects (fast-check may build null-prototype ones, which deepStrictEqual tells apart). */
function rec<T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model).map((o) => ({ ...o }) as T);
}

/** An AS number, biased to 2-byte values. */
export const asNumber = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 0xffffffff }));

/** One AS_PATH segment of any of the four types. */
export const segment: fc.Arbitrary<AsPathSegment> = rec({
  type: fc.integer({ min: 1, max: 4 }),
  asns: fc.array(asNumber, { minLength: 1, maxLength: 8 }),
});

/** A path of plain AS_SEQUENCE / AS_SET segments (what route collectors see). */
export const plainPath: fc.Arbitrary<AsPathSegment[]> = fc.array(
  rec({
    type: fc.constantFrom(AS_SEQUENCE, AS_SEQUENCE, AS_SET),
    asns: fc.array(asNumber, { minLength: 1, maxLength: 6 }),
  }),
  { maxLength: 3 },
);

const flags = fc.integer({ min: 0, max: 255 });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

/** Any attribute the codec handles, raw ones with type codes it does not decode. */
export const attribute: fc.Arbitrary<BgpAttribute> = fc.oneof(
  rec({ kind: fc.constant("origin" as const), flags, origin: fc.integer({ min: 0, max: 2 }) }),
  rec({ kind: fc.constant("asPath" as const), flags, segments: fc.array(segment, { maxLength: 4 }) }),
  rec({ kind: fc.constant("nextHop" as const), flags, nextHop: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc
    .record(
      {
        kind: fc.constant("mpReachNlri" as const),
        flags,
        nextHop: fc.oneof(bytes(4, 4), bytes(16, 16), bytes(32, 32)),
        // AFI below 0x800, so the full form can never read as the abbreviated one (first byte + 1 = length).
        full: rec({
          afi: fc.integer({ min: 0, max: 0x7ff }),
          safi: fc.integer({ min: 0, max: 255 }),
          reserved: fc.integer({ min: 0, max: 255 }),
          nlri: bytes(0, 20),
        }),
      },
      { requiredKeys: ["kind", "flags", "nextHop"] },
    )
    .map((a) => ({ ...a })),
  rec({ kind: fc.constant("as4Path" as const), flags, segments: fc.array(segment, { maxLength: 3 }) }),
  rec({
    kind: fc.constant("other" as const),
    flags,
    typeCode: fc.integer({ min: 0, max: 255 }).filter((t) => ![1, 2, 3, 14, 17].includes(t)),
    value: fc.oneof(bytes(0, 12), bytes(250, 300)),
  }),
);

/** A RIB entry with any attributes. */
export const ribEntry: fc.Arbitrary<MrtRibEntry> = rec({
  peerIndex: fc.integer({ min: 0, max: 0xffff }),
  originatedTime: fc.integer({ min: 0, max: 0xffffffff }),
  attributes: fc.array(attribute, { maxLength: 6 }),
});

function prefixOf(bits: number, addressLength: number, raw: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(addressLength);
  prefix.set(raw.subarray(0, (bits + 7) >>> 3));
  return prefix;
}

/** A RIB_IPV4_UNICAST or RIB_IPV6_UNICAST record (stray bits past the prefix length included). */
export const rib: fc.Arbitrary<MrtRib> = fc
  .record({
    timestamp: fc.integer({ min: 0, max: 0xffffffff }),
    v6: fc.boolean(),
    sequenceNumber: fc.integer({ min: 0, max: 0xffffffff }),
    bits: fc.integer({ min: 0, max: 128 }),
    raw: bytes(16, 16),
    entries: fc.array(ribEntry, { maxLength: 4 }),
  })
  .map(({ timestamp, v6, sequenceNumber, bits, raw, entries }) => {
    const prefixLength = v6 ? bits : bits % 33;
    return {
      kind: "rib" as const,
      timestamp,
      subtype: v6 ? 4 : 2,
      sequenceNumber,
      prefixLength,
      prefix: prefixOf(prefixLength, v6 ? 16 : 4, raw),
      entries,
    };
  });

/** A peer of a PEER_INDEX_TABLE, its address and AS sized by its type. */
export const peer: fc.Arbitrary<MrtPeer> = fc
  .record({ peerType: fc.integer({ min: 0, max: 255 }), bgpId: asNumber, raw: bytes(16, 16), as: asNumber })
  .map(({ peerType, bgpId, raw, as }) => ({
    peerType,
    bgpId,
    address: raw.slice(0, (peerType & MRT_PEER_TYPE_IPV6) !== 0 ? 16 : 4),
    as: (peerType & MRT_PEER_TYPE_AS4) !== 0 ? as : as & 0xffff,
  }));

/** A PEER_INDEX_TABLE record. */
export const peerIndexTable: fc.Arbitrary<MrtPeerIndexTable> = rec({
  kind: fc.constant("peerIndexTable" as const),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  collectorBgpId: asNumber,
  viewName: fc.string({ unit: "grapheme", maxLength: 8 }),
  peers: fc.array(peer, { maxLength: 5 }),
});

/** A record of a registered type that the codec does not decode. */
export const unsupported: fc.Arbitrary<MrtUnsupported> = fc
  .record({
    timestamp: fc.integer({ min: 0, max: 0xffffffff }),
    type: fc.constantFrom(11, 12, 13, 16, 17, 32, 33, 48, 49),
    subtype: fc.integer({ min: 0, max: 0xffff }),
    body: bytes(0, 40),
  })
  .map((r) => ({
    kind: "unsupported" as const,
    ...r,
    subtype: r.type === 13 && [1, 2, 4].includes(r.subtype) ? 3 : r.subtype,
  }));

/** Any record. */
export const record: fc.Arbitrary<MrtRecord> = fc.oneof(rib, rib, peerIndexTable, unsupported);

/**
 * `record` as decoding returns it after encoding: attribute flags gain the extended-length bit where the encoder had to
 * set it (values over 255 bytes); taken from `decoded`, checked to be only that difference.
 */
export function expectedAfterRoundTrip(record: MrtRecord, decoded: MrtRecord): MrtRecord {
  if (record.kind !== "rib" || decoded.kind !== "rib") return record;
  const entries = record.entries.map((e, i) => ({
    ...e,
    attributes: e.attributes.map((a, j) => {
      const got = decoded.entries[i]?.attributes[j];
      if (got === undefined || (got.flags !== a.flags && got.flags !== (a.flags | BGP_ATTR_FLAG_EXTENDED_LENGTH))) {
        return a;
      }
      return { ...a, flags: got.flags };
    }),
  }));
  return { ...record, entries };
}
