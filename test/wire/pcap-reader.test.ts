import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type CapturedPacket, CaptureParser, decodeCaptureFile } from "../../src/wire/capture-parser.ts";
import { WireError } from "../../src/wire/errors.ts";
import { decodePcapFileHeader, PCAP_MAX_CAPTURE_LENGTH } from "../../src/wire/pcap-reader.ts";
import { encodePcap, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from "../../src/wire/pcap-writer.ts";
import { ethernetIpv4Frame, type PcapFixtureRecord, pcapFixture } from "../helpers/capture-fixtures.ts";
import { needsProgram } from "../helpers/requirements.ts";
import { hex, parseInChunks, thrown } from "./fixtures.ts";

/** A little-endian microsecond pcap, written out byte by byte: one 4-byte raw packet. */
const HEX_LE_MICROS =
  "d4c3b2a1 0200 0400 00000000 00000000 ffff0000 65000000" + // file header: snaplen 65535, link type 101
  "00f15365 40e20100 04000000 3c000000" + // 1700000000 s, 123456 us, capLen 4, origLen 60
  "45000014";

const RECORDS: PcapFixtureRecord[] = [
  { seconds: 1_700_000_000, fraction: 1, data: ethernetIpv4Frame(60, 1) },
  { seconds: 1_700_000_001, fraction: 999_999, data: ethernetIpv4Frame(1514, 2), origLen: 9000 },
  { seconds: 0, fraction: 0, data: new Uint8Array(0), origLen: 0 },
  { seconds: 4_294_967_295, fraction: 500_000, data: ethernetIpv4Frame(42, 3) },
];

describe("pcap reader: fixed fixture", () => {
  it("decodes a hand-written little-endian microsecond file", () => {
    const bytes = hex(HEX_LE_MICROS);
    const file = decodeCaptureFile(bytes);
    assert.equal(file.format, "pcap");
    assert.equal(file.packets.length, 1);
    const p = file.packets[0];
    assert.equal(p.timestampNs, 1_700_000_000_123_456_000n);
    assert.equal(p.linkType, LINKTYPE_RAW);
    assert.deepEqual(p.data, Uint8Array.of(0x45, 0, 0, 0x14));
    assert.equal(p.origLen, 60);
    assert.equal(p.interfaceId, 0);
    assert.equal(p.fileOffset, 24);
  });

  it("returns packet bytes as views of the input, not copies", () => {
    const bytes = hex(HEX_LE_MICROS);
    const p = decodeCaptureFile(bytes).packets[0];
    assert.equal(p.data.buffer, bytes.buffer);
    assert.equal(p.data.byteOffset, 40);
  });

  it("decodes the file header fields", () => {
    const h = decodePcapFileHeader(pcapFixture([], { littleEndian: false, nanosecond: true, snapLen: 1234 }));
    assert.deepEqual(h, {
      littleEndian: false,
      nanosecond: true,
      versionMajor: 2,
      versionMinor: 4,
      thisZone: 0,
      sigFigs: 0,
      snapLen: 1234,
      linkType: 1,
      fcsLength: undefined,
    });
  });

  it("separates the FCS bits from the link type", () => {
    // F bit (26) set, FCS length 2 (16-bit words) in bits 28-31: 4 bytes of FCS on Ethernet.
    const h = decodePcapFileHeader(pcapFixture([], { linkType: 0x24000001 }));
    assert.equal(h.linkType, 1);
    assert.equal(h.fcsLength, 4);
  });
});

describe("pcap reader: byte orders and resolutions", () => {
  for (const littleEndian of [true, false]) {
    it(`reads ${littleEndian ? "little" : "big"}-endian microsecond and nanosecond files alike`, () => {
      const micros = decodeCaptureFile(pcapFixture(RECORDS, { littleEndian, linkType: LINKTYPE_LINUX_SLL2 }));
      const nanoRecords = RECORDS.map((r) => ({ ...r, fraction: r.fraction * 1000 }));
      const nanos = decodeCaptureFile(pcapFixture(nanoRecords, { littleEndian, nanosecond: true, linkType: 276 }));
      assert.deepEqual(micros, nanos);
      assert.deepEqual(
        micros.packets.map((p) => p.timestampNs),
        [1_700_000_000_000_001_000n, 1_700_000_001_999_999_000n, 0n, 4_294_967_295_500_000_000n],
      );
      assert.deepEqual(
        micros.packets.map((p) => [p.linkType, p.origLen, p.data.length]),
        [
          [276, 60, 60],
          [276, 9000, 1514],
          [276, 0, 0],
          [276, 42, 42],
        ],
      );
      assert.deepEqual(micros.packets[1].data, RECORDS[1].data);
      assert.deepEqual(
        micros.packets.map((p) => p.fileOffset),
        [24, 24 + 16 + 60, 24 + 32 + 60 + 1514, 24 + 48 + 60 + 1514],
      );
    });
  }

  it("keeps full nanosecond precision", () => {
    const file = pcapFixture([{ seconds: 4_000_000_000, fraction: 999_999_999, data: new Uint8Array(1) }], {
      nanosecond: true,
      littleEndian: false,
    });
    assert.equal(decodeCaptureFile(file).packets[0].timestampNs, 4_000_000_000_999_999_999n);
  });

  it("tolerates a captured length above the declared snapLen, as libpcap does", () => {
    const file = pcapFixture([{ seconds: 1, fraction: 0, data: new Uint8Array(100) }], { snapLen: 64 });
    assert.equal(decodeCaptureFile(file).packets[0].data.length, 100);
  });
});

describe("pcap reader: errors", () => {
  it("rejects an unknown magic with ERR_PCAP_MAGIC at offset 0", () => {
    const e = thrown(() => decodeCaptureFile(hex("0102030405060708")));
    assert.equal(e.code, "ERR_PCAP_MAGIC");
    assert.equal(e.offset, 0);
    assert.equal(thrown(() => decodePcapFileHeader(new Uint8Array(24))).code, "ERR_PCAP_MAGIC");
  });

  it("rejects a major version other than 2", () => {
    const e = thrown(() => decodeCaptureFile(pcapFixture([], { versionMajor: 3 })));
    assert.equal(e.code, "ERR_PCAP_VERSION");
    assert.equal(e.offset, 4);
  });

  it("reports an empty file and a cut file header as truncated", () => {
    for (const n of [0, 2, 4, 23]) {
      const e = thrown(() => decodeCaptureFile(pcapFixture([]).subarray(0, n)));
      assert.equal(e.code, "ERR_PCAP_TRUNCATED", `length ${n}`);
      assert.equal(e.offset, 0);
    }
    assert.equal(thrown(() => decodePcapFileHeader(new Uint8Array(10))).code, "ERR_PCAP_TRUNCATED");
  });

  it("reports a cut record at the record's offset, after the complete ones", () => {
    const whole = pcapFixture(RECORDS);
    const lastStart = whole.length - 16 - 42;
    for (const cut of [1, 10, 16, 17, 57]) {
      const parser = new CaptureParser();
      parser.push(whole.subarray(0, lastStart + cut));
      assert.equal([...parser.drain()].length, 3);
      const e = thrown(() => parser.end());
      assert.equal(e.code, "ERR_PCAP_TRUNCATED");
      assert.equal(e.offset, lastStart);
      assert.ok(e.message.includes("pcap record"));
    }
  });

  it("rejects a captured length above the sanity bound before buffering it", () => {
    const file = pcapFixture([{ seconds: 0, fraction: 0, data: new Uint8Array(8) }]);
    new DataView(file.buffer).setUint32(24 + 8, PCAP_MAX_CAPTURE_LENGTH + 1, true);
    const parser = new CaptureParser();
    parser.push(file.subarray(0, 24 + 16)); // only the record header: the bound is checked at once
    const e = thrown(() => parser.next());
    assert.equal(e.code, "ERR_PCAP_CAPTURE_LENGTH");
    assert.equal(e.offset, 32);
    assert.equal(parser.buffered, 16);
    // The failure sticks.
    assert.equal(
      thrown(() => parser.next()),
      e,
    );
  });

  it("honours a smaller maxCaptureLength", () => {
    const file = pcapFixture([{ seconds: 0, fraction: 0, data: new Uint8Array(100) }]);
    assert.equal(thrown(() => decodeCaptureFile(file, { maxCaptureLength: 99 })).code, "ERR_PCAP_CAPTURE_LENGTH");
    assert.equal(decodeCaptureFile(file, { maxCaptureLength: 100 }).packets.length, 1);
  });

  it("refuses input after end()", () => {
    const parser = new CaptureParser();
    parser.push(pcapFixture([]));
    parser.end();
    assert.equal(thrown(() => parser.push(new Uint8Array(1))).code, "ERR_CAPTURE_ENDED");
  });
});

describe("pcap reader: incremental parsing", () => {
  it("gives the same packets for every chunk size from 1 to the file length", () => {
    const file = pcapFixture(RECORDS.map((r) => ({ ...r, data: r.data.subarray(0, 70) })));
    const whole = decodeCaptureFile(file).packets;
    for (let size = 1; size <= file.length; size++) {
      assert.deepEqual(parseInChunks(file, size), whole, `chunk size ${size}`);
    }
  });

  it("returns nothing until a record is complete, then exactly that record", () => {
    const file = pcapFixture(RECORDS.slice(0, 2));
    const parser = new CaptureParser();
    parser.push(file.subarray(0, 30));
    assert.equal(parser.next(), undefined);
    assert.equal(parser.format, "pcap");
    assert.equal(parser.pcapHeader?.snapLen, 65535);
    parser.push(file.subarray(30, 24 + 16 + 60));
    assert.equal(parser.next()?.fileOffset, 24);
    assert.equal(parser.next(), undefined);
    assert.equal(parser.offset, 100);
    parser.push(file.subarray(100));
    assert.equal(parser.next()?.origLen, 9000);
    parser.end();
    assert.equal(parser.next(), undefined);
    assert.equal(parser.buffered, 0);
  });

  it("copies only records that span chunks", () => {
    const file = pcapFixture(RECORDS.slice(0, 2));
    const first = file.subarray(0, 120);
    const parser = new CaptureParser();
    parser.push(first);
    parser.push(file.subarray(120));
    const [a, b] = [...parser.drain()];
    assert.equal(a.data.buffer, file.buffer); // inside the first chunk
    assert.notEqual(b.data.buffer, file.buffer); // spanned both
    assert.deepEqual(b.data, RECORDS[1].data);
  });

  it("round-trips pcap-writer files for any packets (property)", () => {
    const packet = fc.record({
      timestampNs: fc.bigInt({ min: 0n, max: 4294967296n * 1_000_000_000n - 1n }),
      data: fc.uint8Array({ maxLength: 300 }),
      extra: fc.nat({ max: 100_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 20 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 64 }),
        (packets, nanosecond, linkType, chunk) => {
          const input = packets.map((p) => ({ ...p, origLen: p.data.length + p.extra }));
          const file = encodePcap(input, { nanosecond, linkType });
          const expected = input.map((p) => ({
            timestampNs: nanosecond ? p.timestampNs : (p.timestampNs / 1000n) * 1000n,
            data: p.data,
            origLen: p.origLen,
            linkType,
          }));
          const simplify = (ps: CapturedPacket[]) =>
            ps.map((p) => ({ timestampNs: p.timestampNs, data: p.data, origLen: p.origLen, linkType: p.linkType }));
          assert.deepEqual(simplify(decodeCaptureFile(file).packets), expected);
          assert.deepEqual(simplify(parseInChunks(file, chunk)), expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("pcap reader: hostile input", () => {
  it("raises only WireErrors on random bytes, alone or after a valid file header", () => {
    const headers: Uint8Array[] = [new Uint8Array(0)];
    for (const littleEndian of [true, false]) {
      for (const nanosecond of [true, false]) headers.push(pcapFixture([], { littleEndian, nanosecond }));
    }
    fc.assert(
      fc.property(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 200 }), (header, tail) => {
        const bytes = new Uint8Array(header.length + tail.length);
        bytes.set(header);
        bytes.set(tail, header.length);
        try {
          decodeCaptureFile(bytes, { maxCaptureLength: 100 });
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("raises only WireErrors on mutated and cut files, in whole and in chunks", () => {
    const base = pcapFixture(RECORDS.map((r) => ({ ...r, data: r.data.subarray(0, 40) })));
    const mutation = fc.record({
      at: fc.nat({ max: base.length - 1 }),
      value: fc.integer({ min: 0, max: 255 }),
      cut: fc.nat({ max: base.length }),
      chunk: fc.integer({ min: 1, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const bytes = base.slice();
        for (const m of mutations) bytes[m.at] = m.value;
        const cut = bytes.subarray(0, mutations[0].cut);
        for (const run of [() => decodeCaptureFile(cut), () => parseInChunks(cut, mutations[0].chunk)]) {
          try {
            run();
          } catch (e) {
            assert.ok(e instanceof WireError, String(e));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/** Timestamps (ns), captured and original lengths of every frame, as tshark reads them. */
function tsharkFrames(path: string): Array<[bigint, number, number]> {
  const r = spawnSync(
    "tshark",
    ["-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const [epoch, capLen, len] = line.split("\t");
      const [s, frac = ""] = epoch.split(".");
      return [BigInt(s) * 1_000_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9)), Number(capLen), Number(len)];
    });
}

describe("pcap reader: tshark agrees", { skip: needsProgram("tshark") }, () => {
  it("reads the same timestamps and lengths as tshark in both byte orders and resolutions", () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-pcap-"));
    try {
      const records = RECORDS.slice(0, 2).concat([
        { seconds: 1_234_567_890, fraction: 654_321, data: ethernetIpv4Frame(100, 9), origLen: 100 },
      ]);
      for (const littleEndian of [true, false]) {
        for (const nanosecond of [false, true]) {
          const rs = nanosecond ? records.map((r) => ({ ...r, fraction: r.fraction * 1000 + 789 })) : records;
          const bytes = pcapFixture(rs, { littleEndian, nanosecond, snapLen: 65535 });
          const path = join(dir, `f-${littleEndian}-${nanosecond}.pcap`);
          writeFileSync(path, bytes);
          const ours = decodeCaptureFile(bytes).packets.map((p) => [p.timestampNs, p.data.length, p.origLen]);
          assert.deepEqual(ours, tsharkFrames(path), `le=${littleEndian} ns=${nanosecond}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads what tshark writes as pcap from our file", () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-pcap-"));
    try {
      const packets = Array.from({ length: 5 }, (_, i) => ({
        timestampNs: 1_600_000_000_000_000_000n + BigInt(i) * 1_234_567_891n,
        data: ethernetIpv4Frame(60 + i * 100, i + 1),
      }));
      const src = join(dir, "in.pcap");
      writeFileSync(src, encodePcap(packets, { nanosecond: true }));
      const out = join(dir, "out.pcap");
      const r = spawnSync("tshark", ["-r", src, "-w", out, "-F", "pcap"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const theirs = decodeCaptureFile(new Uint8Array(readFileSync(out))).packets;
      assert.deepEqual(
        theirs.map((p) => [p.timestampNs, p.data]),
        packets.map((p) => [(p.timestampNs / 1000n) * 1000n, p.data]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
