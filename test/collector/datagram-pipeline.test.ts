import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CollectorInputConfig } from "../../src/collector/config.ts";
import type { RecordFileSink } from "../../src/collector/contracts.ts";
import { DatagramPipeline, type ReceivedDatagram } from "../../src/collector/receive/datagram-pipeline.ts";
import { InputMap } from "../../src/collector/receive/input-map.ts";
import { DROP_REASONS, ReceiverStatus } from "../../src/collector/receive/receiver-status.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { RateLimitedLog } from "../../src/runtime/rate-limited-log.ts";
import { CollectingFiles, inputConfig, v5Datagram, v5Record, v8Datagram, v8Record } from "./receive-fixtures.ts";

const EXPORTER = "192.0.2.1";

function setup(
  inputs: Record<string, CollectorInputConfig> = { "mo-7/1/0.0": inputConfig({ exporter: EXPORTER }) },
  files: RecordFileSink = new CollectingFiles(),
  log?: RateLimitedLog,
) {
  const map = new InputMap(inputs);
  const status = new ReceiverStatus(map.inputs, 0);
  const pipeline = new DatagramPipeline({ inputs: map, files, status, log });
  return { pipeline, status, files: files as CollectingFiles };
}

function datagram(bytes: Uint8Array, address = EXPORTER): ReceivedDatagram {
  return { source: { address, port: 2055 }, receivedAt: 1_700_000_000_000, bytes };
}

function records(n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => v5Record(from + i));
}

function onlyDrop(status: ReceiverStatus, reason: string, n = 1): void {
  for (const r of DROP_REASONS) assert.equal(status.drops[r], r === reason ? n : 0, r);
}

describe("DatagramPipeline: storing", () => {
  it("appends each record of a valid datagram to its input's sink and counts it", () => {
    const { pipeline, status, files } = setup();
    const bytes = v5Datagram(records(3, 1));
    assert.equal(pipeline.process(datagram(bytes)), "stored");
    assert.deepEqual(
      files.stored.map((s) => [s.input, s.channel, s.flow.packets]),
      [
        ["mo-7/1/0.0", 0, 1],
        ["mo-7/1/0.0", 0, 2],
        ["mo-7/1/0.0", 0, 3],
      ],
    );
    const snap = status.snapshot();
    assert.deepEqual([snap.input.packets.total, snap.input.bytes.total, snap.input.flowRecords.total], [1, 168, 3]);
    assert.deepEqual([snap.inputs[0].packets, snap.inputs[0].bytes, snap.inputs[0].flows], [1, 168, 3]);
    assert.equal(status.dropped, 0);
  });

  it("appends to every channel of the input, and v8 like v5", () => {
    const { pipeline, files } = setup({ a: inputConfig({ exporter: EXPORTER, channels: [0, 1] }) });
    assert.equal(pipeline.process(datagram(v8Datagram(5, [v8Record(5, 1), v8Record(5, 2)]))), "stored");
    assert.deepEqual(
      files.stored.map((s) => s.channel),
      [0, 1, 0, 1],
    );
  });

  it("stores a datagram of zero records without opening a sink", () => {
    const { pipeline, status, files } = setup();
    assert.equal(pipeline.process(datagram(v5Datagram([]))), "stored");
    assert.deepEqual(files.sinkCalls, []);
    assert.equal(status.inputs[0].packets, 1);
  });

  it("routes by exporter and engine to the matching input", () => {
    const { pipeline, files } = setup({
      plain: inputConfig({ exporter: EXPORTER }),
      engine1: inputConfig({ exporter: EXPORTER, "engine-type": 1 }),
      others: inputConfig({ exporter: "any" }),
    });
    pipeline.process(datagram(v5Datagram(records(1), { engineType: 1 })));
    pipeline.process(datagram(v5Datagram(records(1))));
    pipeline.process(datagram(v5Datagram(records(1)), "::ffff:192.0.2.1"));
    pipeline.process(datagram(v5Datagram(records(1)), "198.51.100.1"));
    assert.deepEqual(
      files.stored.map((s) => s.input),
      ["engine1", "plain", "plain", "others"],
    );
  });
});

describe("DatagramPipeline: drop reasons", () => {
  it("noMemory: the record files cannot take the datagram", () => {
    const { pipeline, status, files } = setup();
    files.accepting = false;
    assert.equal(pipeline.process(datagram(v5Datagram(records(2)))), "noMemory");
    onlyDrop(status, "noMemory");
    assert.equal(files.stored.length, 0);
    assert.equal(status.input.packets.total, 1); // received, then dropped
  });

  it("tooSmall: truncated inside the version, the header or the declared records", () => {
    const { pipeline, status } = setup();
    const full = v5Datagram(records(2));
    for (const len of [0, 1, 2, 23, 24, 71, full.length - 1]) {
      assert.equal(pipeline.process(datagram(full.subarray(0, len))), "tooSmall", `length ${len}`);
    }
    const v8 = v8Datagram(14, [v8Record(14, 1)]);
    assert.equal(pipeline.process(datagram(v8.subarray(0, 27))), "tooSmall");
    assert.equal(pipeline.process(datagram(v8.subarray(0, v8.length - 1))), "tooSmall");
    onlyDrop(status, "tooSmall", 9);
  });

  it("notJunosFlow: another version, a count above the maximum, an unknown v8 aggregation", () => {
    const { pipeline, status } = setup();
    const v5 = v5Datagram(records(1));
    for (const version of [0, 1, 7, 9, 10, 0x0500]) {
      const b = v5.slice();
      b[0] = version >> 8;
      b[1] = version & 0xff;
      assert.equal(pipeline.process(datagram(b)), "notJunosFlow", `version ${version}`);
    }
    const tooMany = v5Datagram(records(30));
    tooMany[3] = 31;
    assert.equal(pipeline.process(datagram(tooMany)), "notJunosFlow");
    const v8 = v8Datagram(1, [v8Record(1, 1)]);
    v8[3] = 52; // scheme 1 carries at most 51
    assert.equal(pipeline.process(datagram(v8)), "notJunosFlow");
    for (const scheme of [0, 15, 255]) {
      const b = v8Datagram(2, [v8Record(2, 1)]);
      b[22] = scheme;
      assert.equal(pipeline.process(datagram(b)), "notJunosFlow", `scheme ${scheme}`);
    }
    onlyDrop(status, "notJunosFlow", 11);
  });

  it("unknown: a valid export no input takes (exporter or engine)", () => {
    const { pipeline, status, files } = setup({ a: inputConfig({ exporter: EXPORTER, "engine-id": 4 }) });
    assert.equal(pipeline.process(datagram(v5Datagram(records(1)), "198.51.100.1")), "unknown");
    assert.equal(pipeline.process(datagram(v5Datagram(records(1), { engineId: 5 }))), "unknown");
    assert.equal(pipeline.process(datagram(v5Datagram(records(1), { engineId: 4 }))), "stored");
    onlyDrop(status, "unknown", 2);
    assert.equal(files.stored.length, 1);
    assert.equal(pipeline.streams().length, 1); // unknown exporters are not tracked
  });

  it("never throws, even when a sink does; the collector goes on", () => {
    const broken: RecordFileSink = {
      canAccept: () => true,
      sink: () => ({
        append: () => {
          throw new Error("disk on fire");
        },
      }),
    };
    const { pipeline, status } = setup(undefined, broken);
    assert.equal(pipeline.process(datagram(v5Datagram(records(2)))), "noMemory");
    assert.equal(pipeline.process(datagram(v5Datagram([]))), "stored");
    onlyDrop(status, "noMemory");
  });

  it("logs drops rate-limited: a flood of garbage gives one line per code", () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => lines.push(l) } }).child({ component: "rx" });
    const { pipeline, status } = setup(undefined, undefined, new RateLimitedLog(logger));
    for (let i = 0; i < 1000; i++) pipeline.process(datagram(Uint8Array.of(0, 9, 0, 0)));
    for (let i = 0; i < 1000; i++) pipeline.process(datagram(Uint8Array.of(0)));
    assert.equal(status.dropped, 2000);
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).code),
      ["ERR_NETFLOW_VERSION", "ERR_NETFLOW_TRUNCATED"],
    );
  });
});

describe("DatagramPipeline: memory exhausted mid-datagram", () => {
  it("keeps the records appended, drops the rest, counts the datagram once and never stores twice", () => {
    const { pipeline, status, files } = setup();
    files.budget = 4;
    assert.equal(pipeline.process(datagram(v5Datagram(records(10, 100)))), "noMemory");
    assert.deepEqual(
      files.stored.map((s) => s.flow.packets),
      [100, 101, 102, 103],
    );
    onlyDrop(status, "noMemory");
    assert.equal(status.input.flowRecords.total, 4);
    assert.deepEqual([status.inputs[0].packets, status.inputs[0].bytes, status.inputs[0].flows], [0, 0, 4]);
    files.budget = Number.POSITIVE_INFINITY;
    assert.equal(pipeline.process(datagram(v5Datagram(records(2, 200)))), "stored");
    assert.deepEqual(
      files.stored.map((s) => s.flow.packets),
      [100, 101, 102, 103, 200, 201],
    );
  });

  it("with two channels the first may hold the one record the second refused", () => {
    const { pipeline, status, files } = setup({ a: inputConfig({ exporter: EXPORTER, channels: [0, 1] }) });
    files.budget = 5;
    assert.equal(pipeline.process(datagram(v5Datagram(records(4, 1)))), "noMemory");
    assert.deepEqual(
      files.stored.map((s) => `${s.channel}:${s.flow.packets}`),
      ["0:1", "1:1", "0:2", "1:2", "0:3"],
    );
    assert.equal(status.input.flowRecords.total, 2);
  });
});

describe("DatagramPipeline: sequence state", () => {
  function v5At(seq: number, count: number, header: Record<string, number> = {}, address = EXPORTER) {
    return datagram(v5Datagram(records(count), { flowSequence: seq, ...header }), address);
  }

  it("counts in order, lost, out of order and reset per input", () => {
    const { pipeline, status } = setup();
    pipeline.process(v5At(1000, 2)); // first: in order
    pipeline.process(v5At(1002, 3)); // in order
    pipeline.process(v5At(1010, 1)); // 5 flows lost (1005..1009)
    pipeline.process(v5At(1005, 2)); // late: fills 2 of them
    pipeline.process(v5At(1011, 1)); // in order
    pipeline.process(v5At(900_000_000, 1)); // jump: reset
    pipeline.process(v5At(900_000_001, 1)); // in order again
    assert.deepEqual(status.inputs[0].sequence, { inOrder: 4, lost: 3, outOfOrder: 1, resets: 1 });
  });

  it("treats the uptime going back as an exporter restart", () => {
    const { pipeline, status } = setup();
    pipeline.process(v5At(5000, 1, { sysUptime: 10_000_000 }));
    pipeline.process(v5At(0, 1, { sysUptime: 1000 }));
    assert.equal(status.inputs[0].sequence.resets, 1);
    assert.equal(pipeline.streams()[0].counters.restarts, 1);
  });

  it("keeps one stream per exporter, engine and v8 scheme, across the 2^32 wrap", () => {
    const { pipeline, status } = setup({ a: inputConfig({ exporter: "any" }) });
    const wrap = 0xffffffff;
    pipeline.process(v5At(wrap, 2)); // v5, engine 0/0
    pipeline.process(v5At(1, 1)); // 0xffffffff + 2 wraps to 1: in order
    pipeline.process(v5At(50, 1, { engineId: 1 })); // another engine: its own first
    pipeline.process(datagram(v8Datagram(1, [v8Record(1, 1)], { flowSequence: 7 })));
    pipeline.process(datagram(v8Datagram(2, [v8Record(2, 1)], { flowSequence: 90 })));
    pipeline.process(datagram(v8Datagram(1, [v8Record(1, 2)], { flowSequence: 8 })));
    pipeline.process(v5At(60, 1, { engineId: 1 }, "198.51.100.9"));
    assert.deepEqual(status.inputs[0].sequence, { inOrder: 7, lost: 0, outOfOrder: 0, resets: 0 });
    const streams = pipeline.streams().map((s) => `${s.exporter}|${s.engineType}|${s.engineId}|${s.stream}`);
    assert.deepEqual(streams.sort(), [
      "192.0.2.1|0|0|v5",
      "192.0.2.1|0|0|v8/1",
      "192.0.2.1|0|0|v8/2",
      "192.0.2.1|0|1|v5",
      "198.51.100.9|0|1|v5",
    ]);
  });

  it("clear zeroes the counters and forgets the streams", () => {
    const { pipeline, status } = setup();
    pipeline.process(v5At(10, 1));
    pipeline.process(v5At(20, 1));
    pipeline.process(datagram(Uint8Array.of(1)));
    status.tick(1000);
    pipeline.clear(2000);
    const snap = status.snapshot();
    assert.equal(status.dropped, 0);
    assert.deepEqual(snap.inputs[0].sequence, { inOrder: 0, lost: 0, outOfOrder: 0, resets: 0 });
    assert.deepEqual(snap.input.packets, { total: 0, perSecond: 0, peakPerSecond: 0 });
    assert.equal(pipeline.streams().length, 0);
  });
});

describe("ReceiverStatus", () => {
  it("computes per-second and peak rates on tick", () => {
    const { pipeline, status } = setup();
    for (let i = 0; i < 5; i++) pipeline.process(datagram(v5Datagram(records(2))));
    status.tick(1000);
    pipeline.process(datagram(v5Datagram(records(2))));
    status.tick(2000);
    const snap = status.snapshot();
    assert.deepEqual(snap.input.packets, { total: 6, perSecond: 1, peakPerSecond: 5 });
    assert.deepEqual(snap.input.flowRecords, { total: 12, perSecond: 2, peakPerSecond: 10 });
    snap.inputs[0].sequence.inOrder = 99; // a copy
    assert.notEqual(status.inputs[0].sequence.inOrder, 99);
  });
});
