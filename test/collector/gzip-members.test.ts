/**
 * scanGzipMembers: finds the end of the last complete gzip member (RFC 1952) in a file of concatenated members,
 * whatever the optional header fields, and stops at a torn or corrupt member. The property: for every cut point the
 * valid prefix is the longest whole-member prefix.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { scanGzipMembers } from "../../src/collector/record-files/gzip-members.ts";
import { tempDir } from "./record-files-fixtures.ts";

/** A member of `text` whose header carries FEXTRA, FNAME, FCOMMENT and FHCRC (as `gzip` and other tools may write). */
function memberWithOptionalFields(text: string): Buffer {
  const plain = gzipSync(text);
  const flags = 0x04 | 0x08 | 0x10 | 0x02;
  const header = Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3]);
  const extra = Buffer.from([6, 0, 0x41, 0x42, 2, 0, 0x68, 0x69]); // XLEN 6: subfield "AB", length 2, "hi"
  const name = Buffer.from("records.txt\0", "latin1");
  const comment = Buffer.from("flowlens\0", "latin1");
  const hcrc = Buffer.from([0, 0]); // the header CRC-16: the scanner skips it without checking
  return Buffer.concat([header, extra, name, comment, hcrc, plain.subarray(10)]);
}

describe("scanGzipMembers", () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  const file = async (bytes: Buffer) => {
    const path = join(root.dir, `f-${n++}.gz`);
    await writeFile(path, bytes);
    return path;
  };
  before(async () => {
    root = await tempDir("flowlens-gzip-members-");
  });
  after(async () => {
    await root.remove();
  });

  it("counts members, lines and bytes, and visits each member at its offset", async () => {
    const members = [gzipSync("a\nb\n"), gzipSync("c\n"), gzipSync("")];
    const seen: [string, number, number][] = [];
    const r = await scanGzipMembers(await file(Buffer.concat(members)), (data, offset, length) => {
      seen.push([data.toString(), offset, length]);
    });
    assert.deepEqual(r, {
      members: 3,
      validBytes: r.fileBytes,
      fileBytes: r.fileBytes,
      uncompressedBytes: 6,
      lines: 3,
      torn: null,
    });
    assert.deepEqual(seen, [
      ["a\nb\n", 0, members[0].length],
      ["c\n", members[0].length, members[1].length],
      ["", members[0].length + members[1].length, members[2].length],
    ]);
  });

  it("skips the optional header fields", async () => {
    const m = memberWithOptionalFields("x\ny\n");
    const r = await scanGzipMembers(await file(Buffer.concat([m, gzipSync("z\n")])));
    assert.equal(r.members, 2);
    assert.equal(r.lines, 3);
    assert.equal(r.torn, null);
  });

  it("reports an empty file as complete, and garbage or a bad ISIZE as corrupt", async () => {
    assert.deepEqual(await scanGzipMembers(await file(Buffer.alloc(0))), {
      members: 0,
      validBytes: 0,
      fileBytes: 0,
      uncompressedBytes: 0,
      lines: 0,
      torn: null,
    });
    const garbage = await scanGzipMembers(await file(Buffer.concat([gzipSync("a\n"), Buffer.from("PK\x03\x04 zip")])));
    assert.equal(garbage.members, 1);
    assert.equal(garbage.torn, "corrupt");
    const badSize = gzipSync("abc\n");
    badSize[badSize.length - 1] ^= 1;
    const r = await scanGzipMembers(await file(badSize));
    assert.deepEqual([r.members, r.validBytes, r.torn], [0, 0, "corrupt"]);
  });

  it("keeps exactly the whole members before any cut point", async () => {
    const members = Array.from({ length: 6 }, (_, i) => gzipSync(`${"record line\n".repeat(i * 30 + 1)}`));
    const whole = Buffer.concat(members);
    const ends: number[] = [0];
    for (const m of members) ends.push(ends[ends.length - 1] + m.length);
    const path = join(root.dir, "cut.gz");
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), async (cut) => {
        await writeFile(path, whole.subarray(0, cut));
        const r = await scanGzipMembers(path);
        const expected = ends.filter((e) => e <= cut);
        assert.equal(r.validBytes, expected[expected.length - 1]);
        assert.equal(r.members, expected.length - 1);
        assert.equal(r.torn, cut === r.validBytes ? null : "truncated");
      }),
      { numRuns: 60 },
    );
  });
});
