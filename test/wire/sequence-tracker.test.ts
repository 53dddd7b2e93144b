import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type SequenceObservation, SequenceTracker, sequenceStreamKey } from "../../src/wire/sequence-tracker.ts";

const BASE = { exporter: "192.0.2.1:2055", engineType: 0, engineId: 0 };
const KEY = sequenceStreamKey(BASE);

function obs(flowSequence: number, count = 30, extra: Partial<SequenceObservation> = {}): SequenceObservation {
  return { ...BASE, flowSequence, count, ...extra };
}

describe("NetFlow sequence tracker", () => {
  it("classifies first, in-order and lost datagrams", () => {
    const t = new SequenceTracker();
    assert.equal(t.observe(obs(1000)).kind, "first");
    assert.deepEqual(t.observe(obs(1030)), { kind: "in-order", lost: 0, late: 0, expected: 1030 });
    const v = t.observe(obs(1120, 10)); // 1060..1119 missing
    assert.equal(v.kind, "lost");
    assert.equal(v.lost, 60);
    assert.equal(t.expected(KEY), 1130);
    assert.equal(t.observe(obs(1130)).kind, "in-order");
    const c = t.counters(KEY)!;
    assert.equal(c.datagrams, 4);
    assert.equal(c.records, 100);
    assert.equal(c.inOrder, 3);
    assert.equal(c.lossEvents, 1);
    assert.equal(c.lostRecords, 60);
    assert.equal(c.netLostRecords, 60);
  });

  it("counts a late datagram as out-of-order, not as billions lost, and credits it against the gap", () => {
    const t = new SequenceTracker();
    t.observe(obs(0));
    assert.equal(t.observe(obs(60)).lost, 30); // datagram 30..59 delayed
    const late = t.observe(obs(30));
    assert.equal(late.kind, "out-of-order");
    assert.equal(late.late, 60);
    assert.equal(late.lost, 0);
    assert.equal(t.expected(KEY), 90); // unchanged by the late one
    assert.equal(t.observe(obs(90)).kind, "in-order");
    const c = t.counters(KEY)!;
    assert.equal(c.outOfOrder, 1);
    assert.equal(c.lateRecords, 30);
    assert.equal(c.lostRecords, 30);
    assert.equal(c.netLostRecords, 0);
  });

  it("handles the 32-bit sequence wrap as in order", () => {
    const t = new SequenceTracker();
    t.observe(obs(4294967280, 30)); // next expected 14 after the wrap
    assert.equal(t.expected(KEY), 14);
    assert.equal(t.observe(obs(14)).kind, "in-order");
    const lost = t.observe(obs(54)); // 44..53 lost
    assert.deepEqual([lost.kind, lost.lost], ["lost", 10]);
    const late = t.observe(obs(4294967290, 5)); // a straggler from before the wrap
    assert.equal(late.kind, "out-of-order");
    assert.equal(t.counters(KEY)!.lostRecords, 10);
  });

  it("resets on far jumps either way instead of counting them as loss", () => {
    const t = new SequenceTracker({ maxGap: 1000, reorderWindow: 100 });
    t.observe(obs(5000));
    const ahead = t.observe(obs(5030 + 1001));
    assert.deepEqual([ahead.kind, ahead.reason, ahead.lost], ["reset", "jump", 0]);
    const back = t.observe(obs(10));
    assert.deepEqual([back.kind, back.reason], ["reset", "jump"]);
    assert.equal(t.observe(obs(40)).kind, "in-order");
    const c = t.counters(KEY)!;
    assert.equal(c.resets, 2);
    assert.equal(c.lostRecords, 0);
  });

  it("recognises an exporter restart from the uptime going backwards, but not from the uptime wrap", () => {
    const t = new SequenceTracker();
    t.observe(obs(900, 30, { sysUptime: 5_000_000 }));
    const restart = t.observe(obs(0, 30, { sysUptime: 1_000 }));
    assert.deepEqual([restart.kind, restart.reason], ["reset", "restart"]);
    assert.equal(t.observe(obs(30, 30, { sysUptime: 2_000 })).kind, "in-order");
    const w = new SequenceTracker();
    w.observe(obs(0, 30, { sysUptime: 4294967000 }));
    assert.equal(w.observe(obs(30, 30, { sysUptime: 300 })).kind, "in-order");
    // A late datagram carries a slightly older uptime: not a restart.
    w.observe(obs(90, 30, { sysUptime: 900 }));
    assert.equal(w.observe(obs(60, 30, { sysUptime: 600 })).kind, "out-of-order");
    assert.equal(t.counters(KEY)!.restarts, 1);
  });

  it("keeps streams apart by exporter, engine and tag, and forgets the least recently seen beyond maxStreams", () => {
    const t = new SequenceTracker({ maxStreams: 3 });
    t.observe(obs(0));
    assert.equal(t.observe(obs(500, 30, { engineId: 1 })).kind, "first");
    assert.equal(t.observe(obs(700, 30, { stream: "v8/5" })).kind, "first");
    assert.equal(t.observe(obs(30)).kind, "in-order"); // the first stream is now the most recent
    assert.equal(t.observe(obs(0, 30, { exporter: "192.0.2.2:2055" })).kind, "first");
    assert.equal(t.size, 3);
    assert.deepEqual(
      [...t.entries()].map(([k]) => k),
      [sequenceStreamKey({ ...BASE, stream: "v8/5" }), KEY, sequenceStreamKey({ ...BASE, exporter: "192.0.2.2:2055" })],
    );
    assert.equal(t.counters(sequenceStreamKey({ ...BASE, engineId: 1 })), undefined);
    assert.ok(t.forget(KEY));
    assert.equal(t.observe(obs(999)).kind, "first");
    t.clear();
    assert.equal(t.size, 0);
  });

  it("never reports more loss than the gaps really hold under reordering and wrap (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 2, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        (start, counts, swaps, drops) => {
          let seq = start;
          const sent = counts.map((count) => {
            const d = { flowSequence: seq, count };
            seq = (seq + count) >>> 0;
            return d;
          });
          const kept = sent.filter((_, i) => i === 0 || !drops[i]);
          const dropped = sent.length - kept.length;
          const droppedRecords = sent.filter((d) => !kept.includes(d)).reduce((n, d) => n + d.count, 0);
          const order = kept.slice(1);
          for (const s of swaps) {
            const i = s % Math.max(1, order.length - 1);
            if (i + 1 < order.length) [order[i], order[i + 1]] = [order[i + 1], order[i]];
          }
          const t = new SequenceTracker();
          t.observe(obs(kept[0].flowSequence, kept[0].count));
          for (const d of order) {
            const v = t.observe(obs(d.flowSequence, d.count));
            assert.notEqual(v.kind, "reset");
            assert.ok(v.lost <= 30 * 60);
          }
          const c = t.counters(KEY)!;
          assert.equal(c.datagrams, kept.length);
          assert.equal(c.resets, 0);
          // Only whole dropped datagrams at the tail may go unnoticed; nothing is invented.
          assert.ok(c.netLostRecords <= droppedRecords, `net ${c.netLostRecords} > dropped ${droppedRecords}`);
          if (dropped === 0) assert.equal(c.netLostRecords, 0);
        },
      ),
    );
  });
});
