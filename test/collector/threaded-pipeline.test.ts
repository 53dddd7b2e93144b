/**
 * The receive path with render workers (threaded-pipeline.ts) against the single-threaded DatagramPipeline: the same
 * datagrams (v5, every v8 scheme, garbage, truncated, unknown exporters, lost and late sequence numbers, an input on two
 * channels) fed to both, each into its own record files, give byte-identical files (records in the same order, same
 * names, blocks and rotation by maximum-records) and identical statistics. Also: the backlog toward the workers is
 * bounded by the memory budget, datagrams beyond it count as "No memory", and every datagram is accounted for.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { DatagramPipeline, type ReceivedDatagram } from "../../src/collector/receive/datagram-pipeline.ts";
import { InputMap } from "../../src/collector/receive/input-map.ts";
import { Receiver } from "../../src/collector/receive/receiver.ts";
import { ReceiverStatus } from "../../src/collector/receive/receiver-status.ts";
import {
  type BatchLimits,
  BatchRenderer,
  batchLimitsFor,
  DEFAULT_BATCH_LIMITS,
  LARGE_BATCH_LIMITS,
  META_FIELDS,
  NO_RUN,
  newBatchBuffers,
  RENDER_FAILED,
} from "../../src/collector/receive/render-batch.ts";
import { takesRenderedRecords, ThreadedDatagramPipeline } from "../../src/collector/receive/threaded-pipeline.ts";
import { InterfaceMemoryBudget } from "../../src/collector/record-files/memory-budget.ts";
import { RecordFileSet } from "../../src/collector/record-files/record-file-set.ts";
import { NETFLOW_V8_SCHEMES, type NetflowV8Scheme } from "../../src/wire/netflow-v8.ts";
import { seededRandom, v5Datagram, v5Record, v8Datagram, v8Record } from "./receive-fixtures.ts";
import { interfaceConfig, ManualClock, tempDir } from "./record-files-fixtures.ts";

const NOW = 1_700_000_000_000;
/** Many small batches. */
const SMALL_BATCHES: BatchLimits = { inputBytes: 4096, datagrams: 16, lines: 128, outputBytes: 16_384 };
const A = "192.0.2.1"; // input so-3/0/0.0, channel 0
const B = "192.0.2.2"; // input at-4/0/0.4, channels 0 and 1

function dg(bytes: Uint8Array, address: string): ReceivedDatagram {
  return { source: { address, port: 2055 }, receivedAt: NOW, bytes };
}

/** A mixed stream of datagrams; `n` rounds of about a dozen. */
function traffic(n: number): ReceivedDatagram[] {
  const rnd = seededRandom(7);
  const out: ReceivedDatagram[] = [];
  let seqA = 0;
  let seqB = 0;
  let id = 1;
  const schemes = NETFLOW_V8_SCHEMES.map((l) => l.scheme as NetflowV8Scheme);
  for (let round = 0; round < n; round++) {
    const countA = 1 + (round % 30);
    const recs = Array.from({ length: countA }, () => v5Record(id++));
    out.push(dg(v5Datagram(recs, { flowSequence: seqA }), A));
    seqA += countA;
    if (round % 7 === 3) seqA += 5; // a gap: lost flows
    if (round % 11 === 5) out.push(dg(v5Datagram([v5Record(id++)], { flowSequence: (seqA - 40) >>> 0 }), A)); // late
    const scheme = schemes[round % schemes.length];
    const v8 = Array.from({ length: 1 + (round % 4) }, () => v8Record(scheme, id++));
    out.push(dg(v8Datagram(scheme, v8, { flowSequence: seqB }), B));
    seqB += v8.length;
    out.push(dg(v5Datagram([v5Record(id++), v5Record(id++)], { flowSequence: round * 2 }), "198.51.100.9")); // unknown
    const junk = new Uint8Array(1 + Math.floor(rnd() * 100));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
    out.push(dg(junk, A)); // mostly "Not JUNOS flow", some "Too small"
    out.push(dg(v5Datagram([v5Record(id++)]).subarray(0, 60), A)); // truncated: "Too small"
    out.push(dg(v5Datagram([], { flowSequence: seqA }), A)); // no records, stored
  }
  return out;
}

interface Side {
  files: RecordFileSet;
  status: ReceiverStatus;
  dir: string;
  streams: () => unknown;
}

async function side(
  dir: string,
  clock: ManualClock,
  threaded: boolean,
  limit = 64 * 1024 * 1024,
  limits: BatchLimits | null = SMALL_BATCHES,
): Promise<Side & { feed: (d: ReceivedDatagram) => void; done: () => Promise<void> }> {
  const config = interfaceConfig({ "block-size": "4KiB", "maximum-records": 300 });
  const files = new RecordFileSet({
    interfaceName: "cp-6/0/0",
    config,
    spoolDirectory: dir,
    clock: clock.now,
    linkDir: () => 1234567890123456789n,
    budget: new InterfaceMemoryBudget(limit),
  });
  const inputs = new InputMap(config.inputs);
  const status = new ReceiverStatus(inputs.inputs, NOW);
  if (!threaded) {
    const p = new DatagramPipeline({ inputs, files, status });
    return { files, status, dir, streams: () => p.streams(), feed: (d) => p.process(d), done: async () => {} };
  }
  assert.ok(takesRenderedRecords(files));
  const p = new ThreadedDatagramPipeline({
    inputs,
    files,
    status,
    workers: 2,
    clock: clock.now,
    batchLimits: limits ?? undefined,
  });
  return { files, status, dir, streams: () => p.streams(), feed: (d) => p.process(d), done: () => p.close() };
}

/** Every file of the spool directory (all closed) with its decompressed lines. */
async function contents(dir: string): Promise<Map<string, string>> {
  const sub = join(dir, "cp_6_0_0");
  const out = new Map<string, string>();
  for (const name of (await readdir(sub)).sort()) {
    out.set(name, gunzipSync(await readFile(join(sub, name))).toString("latin1"));
  }
  return out;
}

function figures(s: Side) {
  const snap = s.status.snapshot();
  const f = s.files.stats();
  return {
    input: snap.input,
    drops: snap.drops,
    inputs: snap.inputs,
    streams: s.streams(),
    files: { ...f, memory: 0 },
  };
}

describe("ThreadedDatagramPipeline", () => {
  const dirs: (() => Promise<void>)[] = [];
  after(async () => {
    for (const remove of dirs) await remove();
  });

  async function compared(n: number, limit?: number, limits: BatchLimits | null = SMALL_BATCHES) {
    const input = traffic(n);
    const results: { side: Side; files: Map<string, string> }[] = [];
    for (const threaded of [false, true]) {
      const t = await tempDir();
      dirs.push(t.remove);
      const clock = new ManualClock(NOW);
      const s = await side(t.dir, clock, threaded, limit, limits);
      for (let i = 0; i < input.length; i++) {
        s.feed(input[i]);
        if (i % 50 === 49) await new Promise((r) => setImmediate(r)); // let batches go out and come back
      }
      await s.done();
      await s.files.close();
      results.push({ side: s, files: await contents(t.dir) });
    }
    return results;
  }

  it("stores the same files, in the same order, with the same statistics as the single-threaded pipeline", async () => {
    const [single, threaded] = await compared(120);
    const a = figures(single.side);
    assert.ok(a.input.flowRecords.total > 1500, "the traffic stores records");
    assert.ok(a.drops.unknown > 0 && a.drops.notJunosFlow > 0 && a.drops.tooSmall > 0, "and drops some");
    assert.ok(a.inputs[0].sequence.lost > 0 && a.inputs[0].sequence.outOfOrder > 0, "with gaps and late datagrams");
    assert.ok(single.files.size > 6, "several files per channel (maximum-records 300)");
    assert.deepEqual(figures(threaded.side), a);
    assert.deepEqual([...threaded.files.keys()], [...single.files.keys()]);
    for (const [name, text] of single.files) assert.equal(threaded.files.get(name), text, name);
  });

  it("takes large batches unless the memory limit is small, and stores the same files with either", async () => {
    assert.equal(batchLimitsFor(512 * 1024 * 1024), LARGE_BATCH_LIMITS);
    assert.equal(batchLimitsFor(4 * 1024 * 1024), DEFAULT_BATCH_LIMITS);
    for (const limit of [64 * 1024 * 1024, 4 * 1024 * 1024]) {
      const [single, threaded] = await compared(60, limit, null); // the limits the pipeline picks
      const a = figures(single.side);
      assert.ok(a.input.flowRecords.total > 500, "the traffic stores records");
      assert.equal(a.drops.noMemory, 0);
      assert.deepEqual(figures(threaded.side), a);
      assert.deepEqual([...threaded.files.keys()], [...single.files.keys()]);
      for (const [name, text] of single.files) assert.equal(threaded.files.get(name), text, name);
    }
  });

  it("bounds the backlog by the memory budget: datagrams beyond it count as No memory, all are accounted for", async () => {
    const t = await tempDir();
    dirs.push(t.remove);
    const clock = new ManualClock(NOW);
    // Room for the backlog of about two batches besides the record blocks.
    const s = await side(t.dir, clock, true, 200 * 1024);
    const input: ReceivedDatagram[] = [];
    for (let i = 0; i < 400; i++) input.push(dg(v5Datagram([v5Record(i + 1), v5Record(i + 1)]), A));
    for (const d of input) s.feed(d); // in one turn of the event loop: no batch can come back meanwhile
    await s.done();
    await s.files.close();
    const snap = s.status.snapshot();
    assert.equal(snap.input.packets.total, 400);
    assert.ok(snap.drops.noMemory > 0, "the backlog filled up");
    assert.ok(snap.inputs[0].packets > 0, "what fitted was stored");
    assert.equal(snap.inputs[0].packets + snap.drops.noMemory, 400);
    assert.equal(snap.input.flowRecords.total, snap.inputs[0].packets * 2);
    assert.equal(s.files.budget.used, 0, "every batch and block was given back");
    const lines = [...(await contents(t.dir)).values()].join("").split("\n").slice(0, -1);
    assert.equal(lines.length, snap.input.flowRecords.total);
    const packets = lines.map((l) => Number(l.split("|")[6]));
    assert.deepEqual(
      packets,
      [...packets].sort((x, y) => x - y),
      "records in arrival order",
    );
  });

  it("is what Receiver.start uses for record files when workers > 0 (and DatagramPipeline for workers: 0)", async () => {
    const t = await tempDir();
    dirs.push(t.remove);
    const config = interfaceConfig({ "block-size": "4KiB" }, { inputs: { all: { exporter: "any" } } });
    const stored: string[] = [];
    for (const workers of [1, 0]) {
      const files = new RecordFileSet({
        interfaceName: "cp-6/0/0",
        config,
        spoolDirectory: join(t.dir, `w${workers}`),
      });
      const receiver = await Receiver.start({ config: { ...config, workers }, files });
      assert.equal(receiver.pipeline instanceof ThreadedDatagramPipeline, workers > 0);
      const port = Number(receiver.status.listeners[0].address.split(":").at(-1));
      const client = createSocket("udp4");
      await new Promise<void>((resolve) => client.bind(0, "127.0.0.1", resolve));
      const bytes = v5Datagram([v5Record(1), v5Record(2), v5Record(3)]);
      await new Promise<void>((resolve, reject) =>
        client.send(bytes, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
      );
      const deadline = Date.now() + 10_000;
      while (receiver.status.input.packets.total < 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await receiver.close(); // waits for the batch to be applied
      await files.close();
      assert.equal(receiver.status.input.flowRecords.total, 3);
      assert.equal(receiver.status.inputs[0].packets, 1);
      const text = [...(await contents(join(t.dir, `w${workers}`))).values()].join("");
      stored.push(text.replace(/^\d+\|/gm, "")); // the linkDir differs
    }
    assert.equal(stored[0].split("\n").length - 1, 3);
    assert.equal(stored[0], stored[1]);
  });

  it("renders a batch without throwing: a datagram that cannot be decoded is marked, the others rendered", () => {
    const b = newBatchBuffers({ inputBytes: 4096, datagrams: 4, lines: 64, outputBytes: 8192 });
    const good = v5Datagram([v5Record(1), v5Record(2)]);
    const bad = new Uint8Array([0, 9, 0, 0]);
    b.input.set(good, 0);
    b.input.set(bad, good.length);
    b.input.set(good, good.length + bad.length);
    const at = [0, good.length, good.length + bad.length];
    b.meta.set([at[0], good.length, 2, 0, 0, NO_RUN]);
    b.meta.set([at[1], bad.length, 0, 0, 0, NO_RUN], META_FIELDS);
    b.meta.set([at[2], good.length, 2, 0, 1, 0], 2 * META_FIELDS); // two runs: prefix 1, then prefix 0
    const prefixes = [
      { linkDir: 7n, analyzerAddress: 0x01020304, analyzerId: "a", ifAlias: "b" },
      { linkDir: 8n, analyzerAddress: 0x01020304, analyzerId: "a", ifAlias: "c" },
    ];
    const lines = new BatchRenderer().render(b, 3, prefixes);
    assert.equal(lines, 6);
    assert.deepEqual([b.meta[2], b.meta[META_FIELDS + 2], b.meta[2 * META_FIELDS + 2]], [2, RENDER_FAILED, 2]);
    const text = Buffer.from(b.output.subarray(0, b.ends[5])).toString("latin1").split("\n");
    assert.deepEqual(
      text.map((l) => l.split("|").slice(0, 7).join("|")),
      [
        "7|1.2.3.4|a|b|10.0.0.1|192.168.0.1|1",
        "7|1.2.3.4|a|b|10.0.0.2|192.168.0.1|2",
        "8|1.2.3.4|a|c|10.0.0.1|192.168.0.1|1",
        "8|1.2.3.4|a|c|10.0.0.2|192.168.0.1|2",
        "7|1.2.3.4|a|b|10.0.0.1|192.168.0.1|1",
        "7|1.2.3.4|a|b|10.0.0.2|192.168.0.1|2",
        "",
      ],
    );
  });
});
