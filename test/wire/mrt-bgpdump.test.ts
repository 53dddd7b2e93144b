/**
 * Debian's `bgpdump` as the oracle of the MRT codec: a TABLE_DUMP_V2 file (peer index table, IPv4 and IPv6 unicast
 * RIBs with random peers, AS paths with sets and confederation segments, NEXT_HOP and MP_REACH_NLRI next hops, MED,
 * LOCAL_PREF and communities) is written by flowlens's encoder, printed by `bgpdump -m` (one line per RIB entry), and
 * every line must equal what flowlens's decoder returns for that entry: dump time, peer address and AS, prefix, AS path,
 * origin, next hop, LOCAL_PREF and MED.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { asPathToString, summarizeBgpAttributes } from "../../src/wire/bgp-as-path.ts";
import { AS_CONFED_SEQUENCE, AS_CONFED_SET, type BgpAttribute } from "../../src/wire/bgp-attributes.ts";
import { ipv4FromString, ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { ipv6FromString } from "../../src/wire/ipv6.ts";
import {
  encodeMrtRecord,
  type MrtPeer,
  type MrtPeerIndexTable,
  type MrtRecord,
  type MrtRib,
  type MrtRibEntry,
} from "../../src/wire/mrt.ts";
import { MrtReader } from "../../src/wire/mrt-reader.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { asNumber, peer, plainPath } from "./mrt-arbitraries.ts";

const DUMP_TIME = 1700000000;
const ORIGIN_TEXT = ["IGP", "EGP", "INCOMPLETE"];

function uint32Bytes(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n);
}

/** The attributes of one entry: next hop by family, optional ORIGIN, MED, LOCAL_PREF and communities. */
function entryAttributes(v6: boolean): fc.Arbitrary<BgpAttribute[]> {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const confed = fc.constantFrom(AS_CONFED_SEQUENCE, AS_CONFED_SET);
  const path = fc.tuple(plainPath, fc.option(fc.tuple(confed, fc.array(asNumber, { minLength: 1, maxLength: 3 }))));
  const nextHop: fc.Arbitrary<BgpAttribute> = v6
    ? fc
        .oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
        .map((nh) => ({ kind: "mpReachNlri", flags: 0x80, nextHop: nh }))
    : fc.oneof(
        u32.map((nh) => ({ kind: "nextHop" as const, flags: 0x40, nextHop: nh })),
        u32.map((nh) => ({ kind: "mpReachNlri" as const, flags: 0x80, nextHop: uint32Bytes(nh) })),
      );
  return fc
    .tuple(fc.option(fc.integer({ min: 0, max: 2 })), path, nextHop, fc.option(u32), fc.option(u32), fc.boolean())
    .map(([origin, [segments, confedSegment], nh, med, localPref, community]) => {
      const attributes: BgpAttribute[] = [];
      if (origin !== null) attributes.push({ kind: "origin", flags: 0x40, origin });
      const all = confedSegment === null ? segments : [{ type: confedSegment[0], asns: confedSegment[1] }, ...segments];
      attributes.push({ kind: "asPath", flags: 0x40, segments: all }, nh);
      if (med !== null) attributes.push({ kind: "other", flags: 0x80, typeCode: 4, value: uint32Bytes(med) });
      if (localPref !== null)
        attributes.push({ kind: "other", flags: 0x40, typeCode: 5, value: uint32Bytes(localPref) });
      if (community) attributes.push({ kind: "other", flags: 0xc0, typeCode: 8, value: uint32Bytes(0x1b6a0064) });
      return attributes;
    });
}

function ribArbitrary(peerCount: number, sequenceNumber: number): fc.Arbitrary<MrtRib> {
  return fc.boolean().chain((v6) =>
    fc
      .record({
        bits: fc.integer({ min: 0, max: v6 ? 128 : 32 }),
        raw: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        entries: fc.array(
          fc
            .tuple(
              fc.integer({ min: 0, max: peerCount - 1 }),
              fc.integer({ min: 0, max: DUMP_TIME }),
              entryAttributes(v6),
            )
            .map(([peerIndex, originatedTime, attributes]): MrtRibEntry => ({ peerIndex, originatedTime, attributes })),
          { minLength: 1, maxLength: 5 },
        ),
      })
      .map(({ bits, raw, entries }) => {
        const prefix = new Uint8Array(v6 ? 16 : 4);
        prefix.set(raw.subarray(0, bits >>> 3));
        if (bits % 8 !== 0) prefix[bits >>> 3] = raw[bits >>> 3] & (0xff << (8 - (bits % 8)));
        const subtype = v6 ? 4 : 2;
        return { kind: "rib", timestamp: DUMP_TIME, subtype, sequenceNumber, prefixLength: bits, prefix, entries };
      }),
  );
}

function buildDump(): MrtRecord[] {
  const peers: MrtPeer[] = fc.sample(peer, { seed: 6396, numRuns: 8 });
  const table: MrtPeerIndexTable = {
    kind: "peerIndexTable",
    timestamp: DUMP_TIME,
    collectorBgpId: 0xc0000201,
    viewName: "flowlens",
    peers,
  };
  const ribs = Array.from(
    { length: 300 },
    (_, i) => fc.sample(ribArbitrary(peers.length, i), { seed: i, numRuns: 1 })[0],
  );
  return [table, ...ribs];
}

/** Address text of bgpdump compared as bytes (IPv6 text forms may differ in zero compression). */
function sameAddress(text: string, address: Uint8Array, what: string): void {
  if (address.length === 4)
    assert.equal(ipv4FromString(text), new DataView(address.buffer, address.byteOffset).getUint32(0), what);
  else assert.deepEqual(ipv6FromString(text), address, what);
}

function uint32Of(attributes: BgpAttribute[], typeCode: number): string {
  const a = attributes.find((x) => x.kind === "other" && x.typeCode === typeCode);
  return a === undefined || a.kind !== "other"
    ? "0"
    : String(new DataView(a.value.buffer, a.value.byteOffset).getUint32(0));
}

describe("MRT against bgpdump -m", { skip: needsProgram("bgpdump") }, () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-mrt-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints for every RIB entry what our decoder returns", () => {
    const file = join(dir, "rib.mrt");
    writeFileSync(file, Buffer.concat(buildDump().map((r) => encodeMrtRecord(r))));
    const run = spawnSync("bgpdump", ["-q", "-m", file], { encoding: "utf8", maxBuffer: 64 << 20 });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.split("\n").filter((l) => l !== "");

    const reader = new MrtReader();
    reader.push(new Uint8Array(readFileSync(file)));
    reader.end();
    const decoded = [...reader.drain()];
    const peers = reader.peerIndexTable?.peers ?? [];
    const entries = decoded.flatMap((r) => (r.kind === "rib" ? r.entries.map((e) => ({ rib: r, e })) : []));
    assert.equal(lines.length, entries.length);
    assert.ok(entries.length > 500);

    entries.forEach(({ rib, e }, i) => {
      const f = lines[i].split("|");
      const where = `line ${i + 1}: ${lines[i]}`;
      const p = peers[e.peerIndex];
      const s = summarizeBgpAttributes(e.attributes);
      assert.equal(f[0], "TABLE_DUMP2", where);
      assert.equal(Number(f[1]), rib.timestamp, where);
      sameAddress(f[3], p.address, where);
      assert.equal(Number(f[4]), p.as, where);
      const [prefixText, lengthText] = f[5].split("/");
      sameAddress(prefixText, rib.prefix, where);
      assert.equal(Number(lengthText), rib.prefixLength, where);
      assert.equal(f[6], asPathToString(s.asPath ?? []), where);
      assert.equal(f[7], ORIGIN_TEXT[s.origin ?? 2], where);
      if (s.nextHop !== undefined) assert.equal(f[8], ipv4ToString(s.nextHop), where);
      else sameAddress(f[8], s.mpNextHop!.subarray(0, s.mpNextHop!.length === 4 ? 4 : 16), where);
      assert.equal(f[9], uint32Of(e.attributes, 5), where);
      assert.equal(f[10], uint32Of(e.attributes, 4), where);
    });
  });
});
