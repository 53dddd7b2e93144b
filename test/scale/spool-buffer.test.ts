/**
 * The receiver's disk buffer: append order kept across segments and restarts, the byte bound refuses (nothing written),
 * a torn last frame is ignored, released segments are deleted.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { SpoolBuffer, type SpooledMessage } from "../../src/scale/spool-buffer.ts";

const msg = (i: number, size = 100): SpooledMessage => ({
  subject: `flowlens.records.cp.in${i % 3}`,
  id: `id-${i}`,
  records: i,
  payload: new Uint8Array(size).fill(i & 0xff),
});

describe("SpoolBuffer", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "flowlens-spool-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function drain(spool: SpoolBuffer): SpooledMessage[] {
    const out: SpooledMessage[] = [];
    for (let s = spool.take(); s !== undefined; s = spool.take()) {
      out.push(...s.messages);
      spool.release(s);
    }
    return out;
  }

  it("gives messages back in append order across segments and deletes drained segments", () => {
    const spool = SpoolBuffer.open({ directory: dir, maxBytes: 1 << 20, segmentBytes: 1000 });
    for (let i = 0; i < 50; i++) assert.ok(spool.append(msg(i)));
    assert.ok(readdirSync(dir).length > 3, "several segments");
    const got = drain(spool);
    assert.deepEqual(
      got.map((m) => m.id),
      Array.from({ length: 50 }, (_, i) => `id-${i}`),
    );
    assert.deepEqual(Buffer.from(got[7].payload), Buffer.from(msg(7).payload));
    assert.equal(got[7].subject, msg(7).subject);
    assert.equal(got[7].records, 7);
    assert.ok(spool.empty);
    assert.equal(spool.bytes, 0);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("refuses an append past the bound and writes nothing for it", () => {
    const spool = SpoolBuffer.open({ directory: dir, maxBytes: 500 });
    let kept = 0;
    for (let i = 0; i < 10; i++) if (spool.append(msg(i))) kept++;
    assert.equal(kept, 3, "three frames of ~136 bytes fit in 500");
    assert.ok(spool.bytes <= 500);
    assert.equal(drain(spool).length, 3);
    assert.ok(spool.append(msg(99)), "room again once drained");
  });

  it("keeps what a previous run left, in order, and ignores a torn last frame", () => {
    const first = SpoolBuffer.open({ directory: dir, maxBytes: 1 << 20, segmentBytes: 600 });
    for (let i = 0; i < 10; i++) first.append(msg(i));
    first.close();
    const last = readdirSync(dir).sort().at(-1) ?? "";
    appendFileSync(join(dir, last), Buffer.from([0, 0, 1, 0, 9, 9])); // a frame cut short by a crash
    const second = SpoolBuffer.open({ directory: dir, maxBytes: 1 << 20 });
    assert.ok(!second.empty);
    second.append(msg(10));
    assert.deepEqual(
      drain(second).map((m) => m.id),
      Array.from({ length: 11 }, (_, i) => `id-${i}`),
    );
  });
});
