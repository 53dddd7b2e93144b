import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { type RouteMatch, type RouteTable, RouteTableBuilder } from "../../src/exporter/route-table.ts";
import { loadRouteTableFile } from "../../src/exporter/route-table-loader.ts";
import { addMrtRecord, addMrtRibFrame, newMrtLoadCounters } from "../../src/exporter/route-table-mrt.ts";
import { RouteTableLoadError } from "../../src/exporter/route-table-text.ts";
import { asPathFromString } from "../../src/wire/bgp-as-path.ts";
import type { BgpAttribute } from "../../src/wire/bgp-attributes.ts";
import { ipv4FromString } from "../../src/wire/ipv4-address.ts";
import { encodeMrtRecord, type MrtRecord, type MrtRib } from "../../src/wire/mrt.ts";
import { MrtReader } from "../../src/wire/mrt-reader.ts";
import { MrtRibCursor } from "../../src/wire/mrt-rib-cursor.ts";
import { plainPath } from "../wire/mrt-arbitraries.ts";

const TEXT = `# test table
10.53.0.0/16 192.168.255.240 7018 3356 11111
10.0.0.0/8 10.0.0.1 701
`;

function attrs(path: string, nextHop?: string, mp?: string): BgpAttribute[] {
  const list: BgpAttribute[] = [
    { kind: "origin", flags: 0x40, origin: 0 },
    { kind: "asPath", flags: 0x40, segments: asPathFromString(path) },
  ];
  if (nextHop !== undefined) list.push({ kind: "nextHop", flags: 0x40, nextHop: ipv4FromString(nextHop) });
  if (mp !== undefined) {
    const n = ipv4FromString(mp);
    list.push({ kind: "mpReachNlri", flags: 0x80, nextHop: Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n) });
  }
  return list;
}

function rib(prefix: string, prefixLength: number, entries: BgpAttribute[][], sequenceNumber = 0): MrtRib {
  const p = ipv4FromString(prefix);
  return {
    kind: "rib",
    timestamp: 1700000000,
    subtype: 2,
    sequenceNumber,
    prefixLength,
    prefix: Uint8Array.of(p >>> 24, p >>> 16, p >>> 8, p),
    entries: entries.map((attributes, peerIndex) => ({ peerIndex, originatedTime: 1690000000, attributes })),
  };
}

const PEERS: MrtRecord = {
  kind: "peerIndexTable",
  timestamp: 1700000000,
  collectorBgpId: 1,
  viewName: "",
  peers: [0, 1, 2].map((i) => ({ peerType: 2, bgpId: i, address: Uint8Array.of(192, 0, 2, i), as: 64500 + i })),
};

const DUMP: MrtRecord[] = [
  PEERS,
  // Shortest path wins: the second entry.
  rib("10.53.0.0", 16, [attrs("3356 1299 11111", "192.0.2.1"), attrs("7018 11111", "192.0.2.2")], 0),
  // A tie: the first entry; NEXT_HOP absent, the MP_REACH_NLRI next hop instead.
  rib("10.0.0.0", 8, [attrs("701 {1,2}", undefined, "192.0.2.9"), attrs("702 3", "192.0.2.1")], 1),
  // An entry without AS_PATH loses to one with a longer path.
  rib("192.0.2.0", 24, [[{ kind: "nextHop", flags: 0x40, nextHop: 5 }], attrs("1 2 3 4 5", "192.0.2.7")], 2),
  {
    kind: "rib",
    timestamp: 1,
    subtype: 4,
    sequenceNumber: 3,
    prefixLength: 0,
    prefix: new Uint8Array(16),
    entries: [],
  },
  { kind: "unsupported", timestamp: 1, type: 16, subtype: 4, body: Uint8Array.of(1, 2, 3) },
];

function mrtBytes(records: MrtRecord[]): Uint8Array {
  return Buffer.concat(records.map((r) => encodeMrtRecord(r)));
}

function at(table: RouteTable, addr: string): RouteMatch | undefined {
  return table.lookup(ipv4FromString(addr));
}

describe("loadRouteTableFile", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-routes-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, data: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };

  it("loads a text table, plain or gzip", async () => {
    for (const path of [write("routes.txt", TEXT), write("routes.txt.gz", gzipSync(TEXT))]) {
      const r = await loadRouteTableFile(path);
      assert.equal(r.format, "text");
      assert.equal(r.gzip, path.endsWith(".gz"));
      assert.equal(r.lines, 3);
      assert.equal(r.table.size, 2);
      assert.equal(r.table.asOf(ipv4FromString("10.53.1.1"), "peer"), 7018);
      assert.equal(r.table.maskLength(ipv4FromString("10.1.1.1")), 8);
    }
  });

  it("reports bad text lines with the file name", async () => {
    const path = write("bad.txt", "10.0.0.0/8 10.0.0.1\nnonsense\n");
    await assert.rejects(loadRouteTableFile(path), (e: unknown) => {
      assert.ok(e instanceof RouteTableLoadError);
      assert.equal(e.code, "ERR_ROUTE_TABLE_SYNTAX");
      assert.deepEqual(
        e.lines.map((l) => l.line),
        [2],
      );
      assert.ok(e.message.startsWith(path));
      return true;
    });
  });

  it("loads an MRT dump by content or by name, plain or gzip, choosing the best entry", async () => {
    const bytes = mrtBytes(DUMP);
    const paths = [write("bview", bytes), write("bview.gz", gzipSync(bytes)), write("rib.mrt", bytes)];
    for (const path of paths) {
      const r = await loadRouteTableFile(path);
      assert.equal(r.format, "mrt");
      assert.deepEqual(r.mrt, {
        records: 6,
        ipv4Prefixes: 3,
        ipv4Entries: 6,
        skipped: { "13/1": 1, "13/4": 1, "16/4": 1 },
        badRecords: {},
      });
      assert.equal(r.table.size, 3);
      assert.deepEqual(at(r.table, "10.53.0.1"), {
        prefix: ipv4FromString("10.53.0.0"),
        prefixLength: 16,
        nextHop: ipv4FromString("192.0.2.2"),
        originAs: 11111,
        peerAs: 7018,
      });
      assert.equal(at(r.table, "10.1.0.1")?.nextHop, ipv4FromString("192.0.2.9"));
      assert.equal(at(r.table, "10.1.0.1")?.originAs, 2);
      assert.equal(at(r.table, "192.0.2.1")?.originAs, 5);
    }
  });

  it("counts a record that fails to decode and goes on", async () => {
    const bad = encodeMrtRecord(DUMP[1]);
    bad[12 + 4] = 40; // prefix length 40
    const path = write("bad-record.mrt", Buffer.concat([encodeMrtRecord(PEERS), bad, encodeMrtRecord(DUMP[2])]));
    const r = await loadRouteTableFile(path);
    assert.deepEqual(r.mrt.badRecords, { ERR_MRT_PREFIX: 1 });
    assert.equal(r.table.size, 1);
  });

  it("fails on a truncated dump, bzip2, bad gzip and forced MRT over text", async () => {
    const cut = mrtBytes(DUMP).subarray(0, 100);
    const cases: [string, string][] = [
      [write("cut.mrt", cut), "ERR_MRT_TRUNCATED"],
      [write("x.bz2", "BZh91AY&SY"), "ERR_ROUTE_TABLE_FORMAT"],
      [write("x.gz", Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)), "ERR_ROUTE_TABLE_FORMAT"],
      [write("text.mrt", TEXT), "ERR_MRT_TYPE"],
    ];
    for (const [path, code] of cases) {
      await assert.rejects(loadRouteTableFile(path), (e: unknown) => {
        assert.ok(e instanceof RouteTableLoadError, String(e));
        assert.equal(e.code, code, path);
        return true;
      });
    }
    await assert.rejects(loadRouteTableFile(join(dir, "missing")), { code: "ENOENT" });
  });

  it("reads an empty file as an empty text table, and honours an explicit format", async () => {
    const r = await loadRouteTableFile(write("empty", ""));
    assert.equal(r.format, "text");
    assert.equal(r.table.size, 0);
    const m = await loadRouteTableFile(write("dump.bin", mrtBytes(DUMP)), { format: "mrt" });
    assert.equal(m.table.size, 3);
  });
});

describe("MRT best-route choice", () => {
  it("the zero-allocation path and the decoded path build the same table", () => {
    const entry = fc.tuple(plainPath, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean());
    const record = fc.record({
      bits: fc.integer({ min: 0, max: 32 }),
      raw: fc.integer({ min: 0, max: 0xffffffff }),
      entries: fc.array(entry, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (records) => {
        const ribs: MrtRecord[] = records.map(({ bits, raw, entries }, i) => ({
          kind: "rib",
          timestamp: 0,
          subtype: 2,
          sequenceNumber: i,
          prefixLength: bits,
          prefix: Uint8Array.of(raw >>> 24, raw >>> 16, raw >>> 8, raw),
          entries: entries.map(([segments, nextHop, withPath], peerIndex) => ({
            peerIndex,
            originatedTime: 0,
            attributes: [
              ...(withPath ? [{ kind: "asPath" as const, flags: 0x40, segments }] : []),
              { kind: "nextHop" as const, flags: 0x40, nextHop },
            ],
          })),
        }));
        const decoded = new RouteTableBuilder();
        const counters = newMrtLoadCounters();
        for (const r of ribs) addMrtRecord(decoded, r, counters);
        const fast = new RouteTableBuilder();
        const reader = new MrtReader();
        reader.push(mrtBytes(ribs));
        reader.end();
        const cursor = new MrtRibCursor();
        for (let f = reader.nextFrame(); f !== undefined; f = reader.nextFrame()) addMrtRibFrame(fast, cursor, f);
        assert.deepEqual([...fast.build().routes()], [...decoded.build().routes()]);
        assert.equal(counters.ipv4Prefixes, ribs.length);
      }),
      { numRuns: 200 },
    );
  });
});
