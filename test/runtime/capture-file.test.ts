import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CaptureFileError, readCaptureFile } from "../../src/runtime/capture-file.ts";
import { type CapturedPacket, decodeCaptureFile } from "../../src/wire/capture-parser.ts";
import { WireError } from "../../src/wire/errors.ts";
import { encodePcap, encodePcapGlobalHeader, encodePcapRecord } from "../../src/wire/pcap-writer.ts";
import { concat, epb, ethernetIpv4Frame, idb, shb } from "../helpers/capture-fixtures.ts";

async function collect(path: string, chunkSize?: number): Promise<CapturedPacket[]> {
  const out: CapturedPacket[] = [];
  for await (const p of readCaptureFile(path, { chunkSize })) out.push(p);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

const PACKETS = Array.from({ length: 40 }, (_, i) => ({
  timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_123_000n,
  data: ethernetIpv4Frame(42 + ((i * 97) % 1400), i + 1),
}));

describe("readCaptureFile", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-capture-file-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("streams a pcap file as decodeCaptureFile decodes it, whatever the chunk size", async () => {
    const bytes = encodePcap(PACKETS, { nanosecond: true });
    const path = join(dir, "a.pcap");
    writeFileSync(path, bytes);
    const expected = decodeCaptureFile(bytes).packets;
    assert.equal(expected.length, 40);
    for (const chunkSize of [undefined, 1, 7, 100, 4096]) {
      assert.deepEqual(await collect(path, chunkSize), expected, `chunk size ${chunkSize}`);
    }
  });

  it("streams a pcapng file", async () => {
    const bytes = concat(
      shb(false),
      idb(false, { linkType: 1, tsresol: 9 }),
      ...PACKETS.map((p) => epb(false, 0, p.timestampNs, p.data)),
    );
    const path = join(dir, "a.pcapng");
    writeFileSync(path, bytes);
    const got = await collect(path, 333);
    assert.deepEqual(
      got.map((p) => [p.timestampNs, p.data]),
      PACKETS.map((p) => [p.timestampNs, p.data]),
    );
  });

  it("reports a truncated file with its path, code and the record's file offset", async () => {
    const bytes = encodePcap(PACKETS.slice(0, 3));
    const path = join(dir, "cut.pcap");
    writeFileSync(path, bytes.subarray(0, bytes.length - 5));
    const got: CapturedPacket[] = [];
    const e = await rejection(
      (async () => {
        for await (const p of readCaptureFile(path, { chunkSize: 64 })) got.push(p);
      })(),
    );
    assert.equal(got.length, 2);
    assert.ok(e instanceof CaptureFileError);
    assert.ok(e instanceof WireError);
    assert.equal(e.code, "ERR_PCAP_TRUNCATED");
    assert.equal(e.offset, 24 + 2 * 16 + PACKETS[0].data.length + PACKETS[1].data.length);
    assert.equal(e.path, path);
    assert.ok(e.message.startsWith(path));
  });

  it("reports a file that is not a capture", async () => {
    const path = join(dir, "text.pcap");
    writeFileSync(path, "hello, world\n");
    const e = await rejection(collect(path));
    assert.ok(e instanceof CaptureFileError);
    assert.equal(e.code, "ERR_PCAP_MAGIC");
    assert.equal(e.offset, 0);
  });

  it("reports an empty file as truncated", async () => {
    const path = join(dir, "empty.pcap");
    writeFileSync(path, "");
    const e = await rejection(collect(path));
    assert.ok(e instanceof CaptureFileError);
    assert.equal(e.code, "ERR_PCAP_TRUNCATED");
  });

  it("passes I/O errors through", async () => {
    const e = await rejection(collect(join(dir, "missing.pcap")));
    assert.equal((e as NodeJS.ErrnoException).code, "ENOENT");
  });

  it("stops reading when the consumer stops early", async () => {
    const path = join(dir, "early.pcap");
    writeFileSync(path, encodePcap(PACKETS));
    let n = 0;
    for await (const _ of readCaptureFile(path, { chunkSize: 128 })) {
      if (++n === 3) break;
    }
    assert.equal(n, 3);
  });

  it("streams a 200 MB file with bounded memory", async () => {
    const path = join(dir, "big.pcap");
    // One 4 MiB block of 1500-byte records, written 50 times: 200 MiB, 139 800 packets.
    const record = encodePcapRecord({ timestampNs: 1_000_000n, data: ethernetIpv4Frame(1500, 5) });
    const perBlock = Math.floor((4 << 20) / record.length);
    const block = new Uint8Array(perBlock * record.length);
    for (let i = 0; i < perBlock; i++) block.set(record, i * record.length);
    const fd = openSync(path, "w");
    try {
      writeSync(fd, encodePcapGlobalHeader());
      for (let i = 0; i < 50; i++) writeSync(fd, block);
    } finally {
      closeSync(fd);
    }
    const fileSize = 24 + 50 * block.length;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let count = 0;
    let bytes = 0;
    for await (const p of readCaptureFile(path)) {
      count++;
      bytes += p.data.length;
      if (p.timestampNs !== 1_000_000n || p.origLen !== 1500) assert.fail(`packet ${count} differs`);
      if (count % 2000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    assert.equal(count, 50 * perBlock);
    assert.equal(bytes, count * 1500);
    assert.ok(fileSize > 200e6);
    const growth = peak - baseline;
    assert.ok(
      growth < fileSize / 3,
      `rss grew by ${(growth / 1e6).toFixed(1)} MB reading ${(fileSize / 1e6).toFixed(0)} MB`,
    );
  });
});
