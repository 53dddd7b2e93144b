/**
 * The receive path on real sockets (loopback, port 0): listen addresses, the granted receive buffer, 100,000 random
 * and mutated datagrams interleaved with valid traffic, and the device captures of ../shared/testdata/netflow/
 * replayed to the socket. Datagrams are sent in paced batches, each waited for, so that the kernel drops none.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { CollectorInputConfig } from "../../src/collector/config.ts";
import type { RecordFileSink, RecordSink } from "../../src/collector/contracts.ts";
import type { ReceivedDatagram } from "../../src/collector/receive/datagram-pipeline.ts";
import { Receiver } from "../../src/collector/receive/receiver.ts";
import { DROP_REASONS, type DropReason, type ReceiverStatus } from "../../src/collector/receive/receiver-status.ts";
import { ListenError, parseListenAddress, UdpListener } from "../../src/collector/receive/udp-listener.ts";
import { createLogger } from "../../src/runtime/logger.ts";
import { RateLimitedLog } from "../../src/runtime/rate-limited-log.ts";
import type { CollectorFlowFields } from "../../src/wire/collector-record.ts";
import { WireError } from "../../src/wire/errors.ts";
import { ipv4ToString } from "../../src/wire/ipv4-address.ts";
import { decodeNetflow, netflowDatagramLength } from "../../src/wire/netflow.ts";
import { NETFLOW_V8_SCHEMES, type NetflowV8Scheme } from "../../src/wire/netflow-v8.ts";
import { needsTestdata, SHARED_TESTDATA } from "../helpers/requirements.ts";
import {
  CollectingFiles,
  inputConfig,
  seededRandom,
  v5Datagram,
  v5Record,
  v8Datagram,
  v8Record,
} from "./receive-fixtures.ts";

const RECEIVE_BUFFER = 8 * 1024 * 1024;

interface Rig {
  receiver: Receiver;
  status: ReceiverStatus;
  port: number;
  client: Socket;
}

async function openRig(
  files: RecordFileSink,
  inputs: Record<string, CollectorInputConfig>,
  host = "127.0.0.1",
): Promise<Rig> {
  const listen = [host.includes(":") ? `[${host}]:0` : `${host}:0`];
  const receiver = await Receiver.start({ config: { listen, "receive-buffer": RECEIVE_BUFFER, inputs }, files });
  const port = Number(receiver.status.listeners[0].address.split(":").at(-1));
  const client = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve) => client.bind(0, host, resolve));
  return { receiver, status: receiver.status, port, client };
}

async function closeRig(rig: Rig): Promise<void> {
  await new Promise<void>((resolve) => rig.client.close(() => resolve()));
  await rig.receiver.close();
}

function sendOne(rig: Rig, bytes: Uint8Array, host: string): Promise<void> {
  return new Promise((resolve, reject) =>
    rig.client.send(bytes, rig.port, host, (e) => (e === null || e === undefined ? resolve() : reject(e))),
  );
}

/**
 * Sends `datagrams` in batches, waiting after each until the listener has received every datagram sent so far. A batch
 * takes at most a quarter of the granted receive buffer, counting 4 KiB of kernel memory per datagram of up to 1.5 KB.
 */
async function sendPaced(rig: Rig, datagrams: readonly Uint8Array[], host = "127.0.0.1"): Promise<void> {
  const start = rig.status.input.packets.total;
  const batchSize = Math.max(16, Math.min(1000, Math.floor(rig.status.listeners[0].receiveBuffer / 4 / 4096)));
  for (let i = 0; i < datagrams.length; i += batchSize) {
    const batch = datagrams.slice(i, i + batchSize);
    await Promise.all(batch.map((d) => sendOne(rig, d, host)));
    const want = start + i + batch.length;
    const deadline = Date.now() + 10_000;
    while (rig.status.input.packets.total < want) {
      if (Date.now() > deadline) {
        assert.fail(`received ${rig.status.input.packets.total - start} of ${want - start} datagrams (kernel loss?)`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

/** A sink that counts, per record id (the record's packet count), how often it was stored. */
class IdCountingFiles implements RecordFileSink {
  readonly seen = new Uint16Array(1 << 20);
  appended = 0;
  private readonly one: RecordSink = {
    append: (flow: CollectorFlowFields) => {
      this.appended++;
      this.seen[flow.packets]++;
      return true;
    },
  };
  sink(): RecordSink {
    return this.one;
  }
  canAccept(): boolean {
    return true;
  }
}

describe("parseListenAddress", () => {
  it("reads host:port, [ipv6]:port and :port", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:2055"), { host: "127.0.0.1", port: 2055, type: "udp4" });
    assert.deepEqual(parseListenAddress("[::1]:0"), { host: "::1", port: 0, type: "udp6" });
    assert.deepEqual(parseListenAddress(":9995"), { host: "0.0.0.0", port: 9995, type: "udp4" });
    assert.deepEqual(parseListenAddress("localhost:2055"), { host: "localhost", port: 2055, type: "udp4" });
    for (const bad of ["127.0.0.1", "::1:2055", "[nope]:1", "1.2.3.4:70000", "1.2.3.4:x"]) {
      assert.throws(() => parseListenAddress(bad), ListenError, bad);
    }
  });
});

describe("UdpListener", () => {
  it("binds port 0, reports the bound address and the receive buffer the kernel granted", async () => {
    const files = new CollectingFiles();
    const rig = await openRig(files, { lo: inputConfig({ exporter: "127.0.0.1" }) });
    try {
      const [l] = rig.receiver.snapshot().listeners;
      assert.match(l.address, /^127\.0\.0\.1:\d+$/);
      assert.ok(rig.port > 0);
      assert.ok(l.receiveBuffer > 0);
      await sendPaced(rig, [v5Datagram([v5Record(1)])]);
      assert.equal(files.stored.length, 1);
      assert.equal(files.stored[0].input, "lo");
    } finally {
      await closeRig(rig);
    }
  });

  it("hands each datagram on with its source and the clock's receivedAt; a throwing handler is not fatal", async () => {
    const got: ReceivedDatagram[] = [];
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => lines.push(l) } }).child({ component: "rx" });
    const listener = await UdpListener.open({
      listen: ["127.0.0.1:0"],
      receiveBuffer: 1 << 30, // more than any default kernel grants: logged once
      clock: () => 42,
      log: new RateLimitedLog(logger),
      onDatagram: (d) => {
        got.push(d);
        if (d.bytes.length === 1) throw new Error("handler bug");
      },
    });
    const client = createSocket("udp4");
    try {
      await new Promise<void>((resolve) => client.bind(0, "127.0.0.1", resolve));
      const port = Number(listener.listeners[0].address.split(":")[1]);
      for (const b of [Uint8Array.of(1), Uint8Array.of(1, 2), new Uint8Array(0)]) {
        await new Promise((resolve) => client.send(b, port, "127.0.0.1", resolve));
      }
      while (got.length < 3) await new Promise((r) => setTimeout(r, 1));
      assert.deepEqual(
        got.map((d) => [d.source.address, d.source.port, d.receivedAt, d.bytes.length]),
        [1, 2, 0].map((n) => ["127.0.0.1", client.address().port, 42, n]),
      );
      const codes = lines.map((l) => JSON.parse(l).code);
      assert.deepEqual(codes, ["ERR_COLLECTOR_RECEIVE_BUFFER", "ERR_COLLECTOR_RECEIVE"]);
      assert.ok(listener.listeners[0].receiveBuffer < 1 << 30);
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await listener.close();
    }
  });

  it("refuses an address in use with a ListenError and closes what it bound", async () => {
    const first = await UdpListener.open({ listen: ["127.0.0.1:0"], receiveBuffer: 65536, onDatagram: () => {} });
    try {
      const taken = first.listeners[0].address;
      await assert.rejects(
        UdpListener.open({ listen: ["127.0.0.1:0", taken], receiveBuffer: 65536, onDatagram: () => {} }),
        (e: unknown) => e instanceof ListenError && e.code === "ERR_COLLECTOR_LISTEN" && e.address === taken,
      );
    } finally {
      await first.close();
      await first.close(); // idempotent
    }
  });

  it("receives on ::1 and matches the IPv6 exporter", async (t) => {
    const files = new CollectingFiles();
    let rig: Rig;
    try {
      rig = await openRig(files, { v6: inputConfig({ exporter: "0:0::1" }) }, "::1");
    } catch (e) {
      t.skip(`no IPv6 loopback: ${(e as Error).message}`);
      return;
    }
    try {
      assert.match(rig.status.listeners[0].address, /^\[::1\]:\d+$/);
      await sendPaced(rig, [v8Datagram(8, [v8Record(8, 1)])], "::1");
      assert.deepEqual(
        files.stored.map((s) => s.input),
        ["v6"],
      );
    } finally {
      await closeRig(rig);
    }
  });
});

/** What the collector must make of a datagram: null = stored (valid, engine type 0), else the drop reason. */
function oracle(bytes: Uint8Array): DropReason | null {
  try {
    return decodeNetflow(bytes).header.engineType === 0 ? null : "unknown";
  } catch (e) {
    assert.ok(e instanceof WireError);
    return e.code === "ERR_NETFLOW_TRUNCATED" ? "tooSmall" : "notJunosFlow";
  }
}

type Rand = () => number;
const int = (rand: Rand, n: number) => Math.floor(rand() * n);

/** A valid datagram whose records have ids (packet counts) `next()`, `next()`, ... */
function validDatagram(rand: Rand, next: () => number): Uint8Array {
  const seq = int(rand, 0xffffffff);
  if (rand() < 0.5) {
    const records = Array.from({ length: 1 + int(rand, 30) }, () => v5Record(next()));
    return v5Datagram(records, { flowSequence: seq });
  }
  const layout = NETFLOW_V8_SCHEMES[int(rand, 14)];
  const scheme = layout.scheme as NetflowV8Scheme;
  const records = Array.from({ length: 1 + int(rand, layout.maxRecords) }, () => {
    const id = next();
    return v8Record(scheme, id, { dPkts: id });
  });
  return v8Datagram(scheme, records, { flowSequence: seq });
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

/** One random or mutated datagram (not necessarily invalid: the caller checks with the oracle). */
function mutant(rand: Rand, template: Uint8Array): Uint8Array {
  const b = template.slice();
  switch (int(rand, 7)) {
    case 0: // random bytes (xorshift32 seeded from the PRNG)
      return randomBytes(int(rand, 1500), 1 + int(rand, 0xfffffffe));
    case 1: // truncated
      return b.subarray(0, int(rand, b.length));
    case 2: // flipped bytes, mostly in the header
      for (let k = 1 + int(rand, 4); k > 0; k--)
        b[rand() < 0.7 ? int(rand, 28) : int(rand, b.length)] ^= 1 + int(rand, 255);
      return b;
    case 3: // another version
      b[0] = int(rand, 256);
      b[1] = int(rand, 256);
      return b;
    case 4: // a count above the maximum or beyond the bytes
      b[2] = int(rand, 256);
      b[3] = int(rand, 256);
      return b;
    case 5: // an unknown v8 scheme
      b[0] = 0;
      b[1] = 8;
      b[22] = rand() < 0.2 ? 0 : 15 + int(rand, 241);
      return b;
    default: // valid, but from an engine no input takes
      b[20] = 1 + int(rand, 255);
      return b;
  }
}

describe("receive path under fuzzing", () => {
  it("counts 100,000 random and mutated datagrams as drops and stores interleaved valid traffic completely", async () => {
    const files = new IdCountingFiles();
    const rig = await openRig(files, { lo: inputConfig({ exporter: "127.0.0.1", "engine-type": 0 }) });
    try {
      const rand = seededRandom(0x5eed);
      let nextId = 1;
      const next = () => nextId++;
      const expected: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as never;
      const datagrams: Uint8Array[] = [];
      // Mutants start from a pool of valid templates (record id 0: a stored mutant would show).
      const templates = Array.from({ length: 512 }, () => validDatagram(rand, () => 0));
      let invalid = 0;
      while (invalid < 100_000) {
        if (rand() < 0.1) {
          datagrams.push(validDatagram(rand, next));
          continue;
        }
        let m: Uint8Array;
        let reason: DropReason | null;
        do {
          m = mutant(rand, templates[int(rand, templates.length)]);
          reason = oracle(m);
        } while (reason === null);
        expected[reason]++;
        datagrams.push(m);
        invalid++;
      }
      await sendPaced(rig, datagrams);
      const st = rig.status;
      assert.equal(st.input.packets.total, datagrams.length);
      assert.equal(st.dropped, 100_000);
      assert.deepEqual({ ...st.drops }, expected);
      for (const r of ["tooSmall", "notJunosFlow", "unknown"] as const) assert.ok(expected[r] > 1000, r);
      // Every valid record exactly once, nothing else.
      const validRecords = nextId - 1;
      assert.equal(files.appended, validRecords);
      assert.equal(st.input.flowRecords.total, validRecords);
      for (let id = 1; id <= validRecords; id++)
        if (files.seen[id] !== 1) assert.fail(`record ${id} stored ${files.seen[id]} times`);
    } finally {
      await closeRig(rig);
    }
  });
});

describe("device captures replayed to the socket", () => {
  const load = (name: string) => new Uint8Array(readFileSync(`${SHARED_TESTDATA}netflow/${name}`));
  const inputs = { "mo-7/1/0.0": inputConfig({ exporter: "127.0.0.1" }) };
  let files: CollectingFiles;
  let rig: Rig;
  before(async () => {
    files = new CollectingFiles();
    rig = await openRig(files, inputs);
  });
  after(async () => {
    await closeRig(rig);
  });

  it("Juniper MX80: 29 records stored", { skip: needsTestdata("netflow/netflow5_test_juniper_mx80.dat") }, async () => {
    files.stored.length = 0;
    await sendPaced(rig, [load("netflow5_test_juniper_mx80.dat")]);
    assert.equal(files.stored.length, 29);
    const f = files.stored[28].flow;
    assert.deepEqual(
      [ipv4ToString(f.sourceAddress), ipv4ToString(f.destinationAddress), f.packets, f.bytes],
      ["66.249.92.75", "192.168.0.1", 2, 104],
    );
    assert.deepEqual([f.sourcePort, f.destinationPort, f.tcpFlag, f.protocol], [37387, 80, 0x10, 6]);
    assert.deepEqual([f.srcAsNumber, f.dstAsNumber], [15169, 64496]);
    // first = last = 2016-07-21T13:52:33.936Z (see test/wire/netflow-testdata.test.ts)
    assert.deepEqual([f.startTime, f.endTime], [1469109153, 1469109153]);
  });

  it("netflow5.dat: 12 datagrams, 30 records stored", { skip: needsTestdata("netflow/netflow5.dat") }, async () => {
    files.stored.length = 0;
    const bytes = load("netflow5.dat");
    const parts: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = netflowDatagramLength(bytes, at);
      parts.push(bytes.subarray(at, at + n));
      at += n;
    }
    assert.equal(parts.length, 12);
    const before = rig.status.inputs[0].packets;
    await sendPaced(rig, parts);
    assert.equal(files.stored.length, 30);
    assert.equal(rig.status.inputs[0].packets - before, 12);
  });

  it("MikroTik: 30 records stored", { skip: needsTestdata("netflow/netflow5_test_microtik.dat") }, async () => {
    files.stored.length = 0;
    await sendPaced(rig, [load("netflow5_test_microtik.dat")]);
    assert.equal(files.stored.length, 30);
  });

  it("invalid01/02: counted as Not JUNOS flow", {
    skip: needsTestdata("netflow/netflow5_test_invalid01.dat") || needsTestdata("netflow/netflow5_test_invalid02.dat"),
  }, async () => {
    files.stored.length = 0;
    const dropsBefore = rig.status.drops.notJunosFlow;
    await sendPaced(rig, [load("netflow5_test_invalid01.dat"), load("netflow5_test_invalid02.dat")]);
    assert.equal(rig.status.drops.notJunosFlow - dropsBefore, 2);
    assert.equal(files.stored.length, 0);
  });
});
