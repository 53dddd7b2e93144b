import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type CapturedPacket, CaptureParser, decodeCaptureFile } from "../../src/wire/capture-parser.ts";
import { WireError } from "../../src/wire/errors.ts";
import { encodePcap, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_RAW } from "../../src/wire/pcap-writer.ts";
import {
  decodePcapngInterface,
  decodePcapngSectionHeader,
  PCAPNG_BLOCK_TYPE_DSB,
  PCAPNG_BLOCK_TYPE_ISB,
  PCAPNG_BLOCK_TYPE_NRB,
  pcapngTimestampToNs,
} from "../../src/wire/pcapng-reader.ts";
import { concat, epb, ethernetIpv4Frame, idb, pcapngBlock, shb, spb } from "../helpers/capture-fixtures.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { hex, parseInChunks, thrown } from "./fixtures.ts";

/** A little-endian pcapng file written out byte by byte: SHB, IDB (Ethernet, snaplen 65535), one EPB. */
const HEX_LE =
  "0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000" + // SHB, 28 bytes, version 1.0
  "01000000 14000000 0100 0000 ffff0000 14000000" + // IDB, 20 bytes, no options: microseconds
  "06000000 24000000 00000000 240a0600 40222018 03000000 3c000000 aabbcc00 24000000"; // EPB, 36 bytes

const T0 = 1_700_000_000n; // seconds

/** A file in either byte order with two interfaces, unknown blocks, an SPB-free section: the main fixture. */
function mainFixture(le: boolean): Uint8Array {
  return concat(
    shb(le, -1n, [{ code: 3, value: new TextEncoder().encode("x86_64") }]),
    idb(le, { linkType: LINKTYPE_ETHERNET, snapLen: 65535, name: "eth0" }),
    pcapngBlock(PCAPNG_BLOCK_TYPE_NRB, hex("0100 0800 0a000001 6100 0000 00000000"), le),
    idb(le, { linkType: LINKTYPE_RAW, snapLen: 0, tsresol: 9, tsoffset: 10n }),
    epb(le, 0, T0 * 1_000_000n + 123_456n, ethernetIpv4Frame(60, 1)),
    epb(le, 1, 5_000_000_007n, Uint8Array.of(0x45, 0, 0, 20, 1), 20, [{ code: 1, value: hex("00000001") }]),
    pcapngBlock(PCAPNG_BLOCK_TYPE_ISB, new Uint8Array(20), le),
    pcapngBlock(PCAPNG_BLOCK_TYPE_DSB, new Uint8Array(9), le),
    pcapngBlock(0x00000bad, hex("0000a9e2 ffeeddcc"), le), // custom block, copyable
    pcapngBlock(0x40000bad, hex("0000a9e2"), le), // custom block, not copyable
    pcapngBlock(0x12345678, new Uint8Array(0), le), // a type nobody defined
    epb(le, 0, T0 * 1_000_000n + 999_999n, ethernetIpv4Frame(1514, 2), 1514),
  );
}

describe("pcapng reader: fixed fixture", () => {
  it("decodes a hand-written little-endian file", () => {
    const file = decodeCaptureFile(hex(HEX_LE));
    assert.equal(file.format, "pcapng");
    assert.deepEqual(file.packets, [
      {
        // 0x00060a24_18202240 microseconds
        timestampNs: 1_700_000_000_123_456_000n,
        linkType: 1,
        data: hex("aabbcc"),
        origLen: 60,
        interfaceId: 0,
        fileOffset: 48,
      },
    ]);
  });

  for (const le of [true, false]) {
    it(`reads a ${le ? "little" : "big"}-endian file with two interfaces and unknown blocks`, () => {
      const parser = new CaptureParser();
      parser.push(mainFixture(le));
      parser.end();
      const packets = [...parser.drain()];
      assert.deepEqual(
        packets.map((p) => [p.interfaceId, p.linkType, p.timestampNs, p.origLen, p.data.length]),
        [
          [0, 1, 1_700_000_000_123_456_000n, 60, 60],
          [1, 101, 15_000_000_007n, 20, 5],
          [0, 1, 1_700_000_000_999_999_000n, 1514, 1514],
        ],
      );
      assert.deepEqual(packets[2].data, ethernetIpv4Frame(1514, 2));
      assert.deepEqual(packets[1].data, Uint8Array.of(0x45, 0, 0, 20, 1));
      assert.deepEqual(
        parser.interfaces.map((i) => [i.linkType, i.snapLen, i.tsResol, i.tsOffset, i.name]),
        [
          [1, 65535, 6, 0n, "eth0"],
          [101, 0, 9, 10n, undefined],
        ],
      );
    });
  }

  it("reports each packet's block offset", () => {
    const bytes = mainFixture(true);
    for (const p of decodeCaptureFile(bytes).packets) {
      assert.equal(new DataView(bytes.buffer).getUint32(p.fileOffset, true), 6); // an EPB starts there
    }
  });
});

describe("pcapng reader: timestamps", () => {
  const cases: Array<[string, number, bigint, bigint]> = [
    ["milliseconds (10^-3)", 3, 1_700_000_000_123n, 1_700_000_000_123_000_000n],
    ["microseconds (default 10^-6)", 6, 1_700_000_000_123_456n, 1_700_000_000_123_456_000n],
    ["nanoseconds (10^-9)", 9, 1_700_000_000_123_456_789n, 1_700_000_000_123_456_789n],
    ["picoseconds (10^-12, truncated)", 12, 9_000_000_000_123_456_789n, 9_000_000_000_123_456n],
    ["2^-10 s", 0x80 | 10, 1024n * 3n + 512n, 3_500_000_000n],
    ["2^-20 s", 0x80 | 20, (1n << 20n) + 1n, 1_000_000_000n + 953n], // 1e9 / 2^20 = 953.67 ns
    ["2^-30 s", 0x80 | 30, 1n << 29n, 500_000_000n],
    ["seconds (10^0)", 0, 42n, 42_000_000_000n],
  ];
  for (const [name, tsresol, units, expected] of cases) {
    it(`converts if_tsresol ${name}`, () => {
      assert.equal(pcapngTimestampToNs(units, tsresol), expected);
      for (const le of [true, false]) {
        const file = concat(shb(le), idb(le, { linkType: 1, tsresol }), epb(le, 0, units, new Uint8Array(4)));
        assert.equal(decodeCaptureFile(file).packets[0].timestampNs, expected);
      }
    });
  }

  it("adds if_tsoffset seconds, negative ones too", () => {
    assert.equal(pcapngTimestampToNs(1_000_000n, 6, -3n), -2_000_000_000n);
    const file = concat(
      shb(false),
      idb(false, { linkType: 1, tsoffset: 1_600_000_000n }),
      idb(false, { linkType: 1, tsoffset: -1n, tsresol: 9 }),
      epb(false, 0, 250_000n, new Uint8Array(1)),
      epb(false, 1, 1_500_000_000n, new Uint8Array(1)),
    );
    assert.deepEqual(
      decodeCaptureFile(file).packets.map((p) => p.timestampNs),
      [1_600_000_000_250_000_000n, 500_000_000n],
    );
  });

  it("keeps timestamps whose high word exceeds 2^21 exact", () => {
    const units = (0xfedcba98n << 32n) | 0x76543210n;
    const file = concat(shb(true), idb(true, { linkType: 1, tsresol: 9 }), epb(true, 0, units, new Uint8Array(1)));
    assert.equal(decodeCaptureFile(file).packets[0].timestampNs, units);
  });
});

describe("pcapng reader: simple packets, obsolete packets, sections", () => {
  it("sizes Simple Packet Blocks by IDB 0's snaplen and the original length", () => {
    for (const le of [true, false]) {
      const file = concat(
        shb(le),
        idb(le, { linkType: LINKTYPE_LINUX_SLL, snapLen: 8 }),
        idb(le, { linkType: LINKTYPE_RAW, snapLen: 1000 }),
        spb(le, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 1500), // cut at snaplen 8
        spb(le, Uint8Array.of(9, 8, 7), 3), // padded to 4 in the block: origLen bounds it
      );
      const packets = decodeCaptureFile(file).packets;
      assert.deepEqual(
        packets.map((p) => [p.timestampNs, p.linkType, p.interfaceId, p.origLen, [...p.data]]),
        [
          [0n, 113, 0, 1500, [1, 2, 3, 4, 5, 6, 7, 8]],
          [0n, 113, 0, 3, [9, 8, 7]],
        ],
      );
    }
  });

  it("treats snaplen 0 of IDB 0 as unlimited for Simple Packet Blocks", () => {
    const file = concat(shb(true), idb(true, { linkType: 1, snapLen: 0 }), spb(true, new Uint8Array(100), 100));
    assert.equal(decodeCaptureFile(file).packets[0].data.length, 100);
  });

  it("reads the obsolete Packet Block (16-bit interface id)", () => {
    for (const le of [true, false]) {
      const body = new Uint8Array(24);
      const v = new DataView(body.buffer);
      v.setUint16(0, 1, le); // interface id
      v.setUint16(2, 7, le); // drops count
      v.setUint32(4, 0, le);
      v.setUint32(8, 2_000_001, le);
      v.setUint32(12, 3, le);
      v.setUint32(16, 64, le);
      body.set([0xde, 0xad, 0xbe], 20);
      const file = concat(shb(le), idb(le, { linkType: 1 }), idb(le, { linkType: 101 }), pcapngBlock(2, body, le));
      const [p] = decodeCaptureFile(file).packets;
      assert.deepEqual(
        [p.interfaceId, p.linkType, p.timestampNs, p.origLen, [...p.data]],
        [1, 101, 2_000_001_000n, 64, [0xde, 0xad, 0xbe]],
      );
    }
  });

  it("starts afresh at each section: byte order and interfaces", () => {
    const file = concat(
      shb(true, 68n), // the section length is informational
      idb(true, { linkType: 1 }),
      idb(true, { linkType: 101 }),
      epb(true, 1, 1n, Uint8Array.of(0x45)),
      shb(false),
      idb(false, { linkType: 113, tsresol: 9 }),
      epb(false, 0, 2n, Uint8Array.of(0x60)),
    );
    const parser = new CaptureParser();
    parser.push(file);
    parser.end();
    const packets = [...parser.drain()];
    assert.deepEqual(
      packets.map((p) => [p.interfaceId, p.linkType, p.timestampNs]),
      [
        [1, 101, 1000n],
        [0, 113, 2n],
      ],
    );
    assert.equal(parser.interfaces.length, 1);
    // An EPB of the second section may not refer to the first section's interface 1.
    const bad = concat(file, epb(false, 1, 3n, Uint8Array.of(0x60)));
    const e = thrown(() => decodeCaptureFile(bad));
    assert.equal(e.code, "ERR_PCAPNG_INTERFACE");
    assert.equal(e.offset, file.length + 8);
  });

  it("decodes SHB and IDB on their own", () => {
    assert.deepEqual(decodePcapngSectionHeader(shb(false, 4096n)), {
      littleEndian: false,
      versionMajor: 1,
      versionMinor: 0,
      sectionLength: 4096n,
    });
    assert.equal(decodePcapngSectionHeader(shb(true)).sectionLength, -1n);
    const block = idb(false, { linkType: 276, snapLen: 9000, tsresol: 0x83, name: "lo" });
    assert.deepEqual(decodePcapngInterface(concat(new Uint8Array(4), block), 4, false), {
      linkType: 276,
      snapLen: 9000,
      tsResol: 0x83,
      tsOffset: 0n,
      name: "lo",
      fcsLength: undefined,
    });
    assert.equal(thrown(() => decodePcapngInterface(shb(true), 0, true)).code, "ERR_PCAPNG_BLOCK_TYPE");
    assert.equal(thrown(() => decodePcapngSectionHeader(block)).code, "ERR_PCAPNG_BLOCK_TYPE");
  });
});

describe("pcapng reader: errors", () => {
  const good = concat(shb(true), idb(true, { linkType: 1 }), epb(true, 0, 1n, new Uint8Array(10)));
  const epbAt = 28 + 20;

  function mutated(at: number, value: number, le = true): Uint8Array {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, value, le);
    return b;
  }

  it("checks the trailing block length against the leading one", () => {
    const e = thrown(() => decodeCaptureFile(mutated(good.length - 4, 48)));
    assert.equal(e.code, "ERR_PCAPNG_BLOCK_LENGTH");
    assert.equal(e.offset, good.length - 4);
  });

  it("rejects block lengths that are too small, unaligned or above the limit", () => {
    for (const len of [0, 8, 12, 31, 46]) {
      const e = thrown(() => decodeCaptureFile(mutated(epbAt + 4, len)));
      assert.equal(e.code, "ERR_PCAPNG_BLOCK_LENGTH", `length ${len}`);
      assert.equal(e.offset, epbAt + 4);
    }
    const e = thrown(() => decodeCaptureFile(good, { maxBlockLength: 40 }));
    assert.equal(e.code, "ERR_PCAPNG_BLOCK_LENGTH");
    assert.equal(e.offset, epbAt + 4);
  });

  it("checks a huge declared length before buffering the block", () => {
    const parser = new CaptureParser();
    parser.push(mutated(epbAt + 4, 0xfffffff0).subarray(0, epbAt + 8));
    assert.equal(thrown(() => parser.next()).code, "ERR_PCAPNG_BLOCK_LENGTH");
  });

  it("rejects a bad byte-order magic and an unsupported version", () => {
    const bom = thrown(() => decodeCaptureFile(mutated(8, 0x11223344)));
    assert.equal(bom.code, "ERR_PCAPNG_BYTE_ORDER");
    assert.equal(bom.offset, 8);
    const b = good.slice();
    new DataView(b.buffer).setUint16(12, 2, true);
    const version = thrown(() => decodeCaptureFile(b));
    assert.equal(version.code, "ERR_PCAPNG_VERSION");
    assert.equal(version.offset, 12);
  });

  it("rejects packets of undescribed interfaces", () => {
    const e = thrown(() => decodeCaptureFile(mutated(epbAt + 8, 1)));
    assert.equal(e.code, "ERR_PCAPNG_INTERFACE");
    assert.equal(e.offset, epbAt + 8);
    const noIdb = concat(shb(true), spb(true, new Uint8Array(4)));
    assert.equal(thrown(() => decodeCaptureFile(noIdb)).code, "ERR_PCAPNG_INTERFACE");
  });

  it("rejects a captured length beyond its block or the limit", () => {
    const e = thrown(() => decodeCaptureFile(mutated(epbAt + 20, 13)));
    assert.equal(e.code, "ERR_PCAPNG_CAPTURE_LENGTH");
    assert.equal(e.offset, epbAt + 20);
    assert.equal(thrown(() => decodeCaptureFile(good, { maxCaptureLength: 9 })).code, "ERR_PCAPNG_CAPTURE_LENGTH");
  });

  it("rejects malformed interface options", () => {
    const overrun = concat(shb(true), idb(true, { linkType: 1, name: "eth0" }));
    new DataView(overrun.buffer).setUint16(28 + 18, 200, true); // if_name length past the block
    const e = thrown(() => decodeCaptureFile(overrun));
    assert.equal(e.code, "ERR_PCAPNG_OPTION");
    assert.equal(e.offset, 28 + 16);
    const wide = concat(shb(true), pcapngBlock(1, concat(hex("0100 0000 00000000"), hex("0900 0200 0609 0000")), true));
    assert.equal(thrown(() => decodeCaptureFile(wide)).code, "ERR_PCAPNG_OPTION");
  });

  it("reports a cut block at its start offset, for every cut", () => {
    for (let cut = 1; cut < good.length; cut++) {
      if (cut === 28 || cut === epbAt) continue; // block boundaries: a clean end
      const e = thrown(() => decodeCaptureFile(good.subarray(0, cut)));
      const expectedCode = cut < 4 ? "ERR_PCAP_TRUNCATED" : "ERR_PCAPNG_TRUNCATED";
      assert.equal(e.code, expectedCode, `cut at ${cut}`);
      assert.equal(e.offset, cut < 28 ? 0 : cut < epbAt ? 28 : epbAt, `cut at ${cut}`);
    }
  });
});

describe("pcapng reader: incremental parsing and hostile input", () => {
  it("gives the same packets for every chunk size from 1 to the file length, both byte orders", () => {
    for (const le of [true, false]) {
      const bytes = concat(
        shb(le),
        idb(le, { linkType: 1, name: "a" }),
        pcapngBlock(PCAPNG_BLOCK_TYPE_NRB, new Uint8Array(6), le),
        epb(le, 0, 9n, new Uint8Array(33).fill(3)),
        shb(!le),
        idb(!le, { linkType: 1, snapLen: 16 }),
        spb(!le, new Uint8Array(16).fill(7), 40),
        epb(!le, 0, 10n, new Uint8Array(2)),
      );
      const whole = decodeCaptureFile(bytes).packets;
      assert.equal(whole.length, 3);
      for (let size = 1; size <= bytes.length; size++) {
        assert.deepEqual(parseInChunks(bytes, size), whole, `chunk size ${size}`);
      }
    }
  });

  it("raises only WireErrors on random bytes after a section header", () => {
    const prefixes = [shb(true), shb(false), concat(shb(true), idb(true, { linkType: 1 }))];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 300 }), (prefix, tail) => {
        try {
          decodeCaptureFile(concat(prefix, tail), { maxBlockLength: 4096 });
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("raises only WireErrors on mutated and cut files, in whole and in chunks", () => {
    const base = concat(
      shb(true),
      idb(true, { linkType: 1, tsresol: 0x85, tsoffset: 3n, name: "x" }),
      epb(true, 0, 77n, new Uint8Array(9)),
      spb(true, new Uint8Array(5)),
      pcapngBlock(PCAPNG_BLOCK_TYPE_ISB, new Uint8Array(8), true),
    );
    const mutation = fc.record({
      at: fc.nat({ max: base.length - 1 }),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.nat({ max: base.length }),
        fc.integer({ min: 1, max: 40 }),
        (mutations, cut, chunk) => {
          const bytes = base.slice();
          for (const m of mutations) bytes[m.at] = m.value;
          for (const run of [() => decodeCaptureFile(bytes.subarray(0, cut)), () => parseInChunks(bytes, chunk)]) {
            try {
              run();
            } catch (e) {
              assert.ok(e instanceof WireError, String(e));
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function tool(program: string, args: string[]): void {
  const r = spawnSync(program, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${program} ${args.join(" ")}: ${r.stderr}`);
}

describe("pcapng reader: Wireshark's tools as oracle", { skip: needsProgram("editcap", "wireshark-common") }, () => {
  const packets = Array.from({ length: 7 }, (_, i) => ({
    timestampNs: 1_650_000_000_000_000_000n + BigInt(i) * 987_654_321_123n + BigInt(i * 7),
    data: ethernetIpv4Frame(42 + i * 211, i + 1),
    origLen: 42 + i * 211 + (i % 2) * 100,
  }));

  function simplify(ps: CapturedPacket[]) {
    return ps.map((p) => ({ timestampNs: p.timestampNs, data: p.data, origLen: p.origLen, linkType: p.linkType }));
  }

  for (const nanosecond of [false, true]) {
    it(`reads editcap's and tshark's pcapng of our ${nanosecond ? "nanosecond" : "microsecond"} pcap identically`, () => {
      const dir = mkdtempSync(join(tmpdir(), "flowlens-pcapng-"));
      try {
        const src = join(dir, "in.pcap");
        const pcap = encodePcap(packets, { nanosecond });
        writeFileSync(src, pcap);
        tool("editcap", ["-F", "pcapng", src, join(dir, "editcap.pcapng")]);
        tool("tshark", ["-r", src, "-w", join(dir, "tshark.pcapng"), "-F", "pcapng"]);
        const fromPcap = simplify(decodeCaptureFile(pcap).packets);
        assert.equal(fromPcap.length, packets.length);
        for (const name of ["editcap.pcapng", "tshark.pcapng"]) {
          const bytes = new Uint8Array(readFileSync(join(dir, name)));
          const parser = new CaptureParser();
          parser.push(bytes);
          parser.end();
          const got = [...parser.drain()];
          assert.equal(parser.format, "pcapng");
          assert.equal(parser.interfaces[0].tsResol, nanosecond ? 9 : 6, name);
          assert.deepEqual(simplify(got), fromPcap, name);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("reads mergecap's pcapng of two link types as two interfaces", () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-pcapng-"));
    try {
      const raw = packets.map((p, i) => ({
        ...p,
        timestampNs: p.timestampNs + 1000n,
        data: p.data.subarray(14),
        origLen: i + 20,
      }));
      writeFileSync(join(dir, "eth.pcap"), encodePcap(packets, { nanosecond: true }));
      writeFileSync(join(dir, "raw.pcap"), encodePcap(raw, { nanosecond: true, linkType: LINKTYPE_RAW }));
      const out = join(dir, "merged.pcapng");
      tool("mergecap", ["-F", "pcapng", "-w", out, join(dir, "eth.pcap"), join(dir, "raw.pcap")]);
      const parser = new CaptureParser();
      parser.push(new Uint8Array(readFileSync(out)));
      parser.end();
      const got = [...parser.drain()];
      assert.deepEqual(parser.interfaces.map((i) => i.linkType).sort(), [LINKTYPE_ETHERNET, LINKTYPE_RAW]);
      const expected = [
        ...simplify(decodeCaptureFile(encodePcap(packets, { nanosecond: true })).packets),
        ...simplify(decodeCaptureFile(encodePcap(raw, { nanosecond: true, linkType: LINKTYPE_RAW })).packets),
      ].sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : 1));
      assert.deepEqual(simplify(got), expected);
      for (const p of got) assert.equal(parser.interfaces[p.interfaceId].linkType, p.linkType);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
