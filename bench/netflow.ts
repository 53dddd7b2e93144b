/**
 * NetFlow codec micro-benchmarks: v5 decode into objects, the v5 zero-allocation cursor, v5 encode, and v8 decode for
 * each aggregation scheme. Every iteration handles a batch of full datagrams (30 v5 records, or the scheme's maximum)
 * with varied field values, and folds the fields a collector reads into a checksum that is returned, so the JIT cannot
 * drop the work. Both v5 readers fold the same fields, so their figures compare like with like.
 */
import { NetflowV5Cursor } from "../src/wire/netflow-v5-cursor.ts";
import { decodeNetflowV5, encodeNetflowV5, type NetflowV5Datagram } from "../src/wire/netflow-v5.ts";
import {
  decodeNetflowV8,
  encodeNetflowV8,
  NETFLOW_V8_SCHEMES,
  type NetflowV8Datagram,
} from "../src/wire/netflow-v8.ts";
import type { Benchmark } from "./types.ts";

/** Datagrams per iteration. */
const BATCH = 100;

/** A small deterministic generator (xorshift32), so runs see the same data. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function v5Datagram(next: () => number, sequence: number): NetflowV5Datagram {
  const records = Array.from({ length: 30 }, () => {
    const first = next();
    return {
      srcAddr: next(),
      dstAddr: next(),
      nextHop: next(),
      input: next() & 0xffff,
      output: next() & 0xffff,
      dPkts: next() & 0xfffff,
      dOctets: next(),
      first,
      last: (first + (next() & 0xffff)) >>> 0,
      srcPort: next() & 0xffff,
      dstPort: next() & 0xffff,
      pad1: 0,
      tcpFlags: next() & 0x3f,
      prot: [6, 17, 1][next() % 3],
      tos: next() & 0xff,
      srcAs: next() & 0xffff,
      dstAs: next() & 0xffff,
      srcMask: next() % 33,
      dstMask: next() % 33,
      pad2: 0,
    };
  });
  const header = {
    version: 5 as const,
    count: 30,
    sysUptime: next(),
    unixSecs: 1700000000,
    unixNsecs: 0,
    flowSequence: sequence,
    engineType: 0,
    engineId: 0,
    samplingMode: 0,
    samplingInterval: 0,
  };
  return { header, records, padding: 0 };
}

const rng = random(0x5eed);
const v5Values = Array.from({ length: BATCH }, (_, i) => v5Datagram(rng, i * 30));
const v5Bytes = v5Values.map((d) => encodeNetflowV5(d));
/** The same datagrams back to back in one buffer, as a collector's file reader sees them. */
const v5File = new Uint8Array(v5Bytes.reduce((n, b) => n + b.length, 0));
for (let i = 0, at = 0; i < BATCH; at += v5Bytes[i].length, i++) v5File.set(v5Bytes[i], at);
const v5Length = v5Bytes[0].length;

function decodeV5(): number {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) {
    const d = decodeNetflowV5(v5Bytes[i]);
    for (const r of d.records) sum = (sum + r.srcAddr + r.dstAddr + r.dPkts + r.dOctets + r.dstPort) | 0;
  }
  return sum;
}

const cursor = new NetflowV5Cursor();

function visitV5(): number {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) {
    cursor.reset(v5Bytes[i]);
    while (cursor.next())
      sum = (sum + cursor.srcAddr + cursor.dstAddr + cursor.dPkts + cursor.dOctets + cursor.dstPort) | 0;
  }
  return sum;
}

function visitV5File(): number {
  let sum = 0;
  for (let at = 0; at < v5File.length; at += v5Length) {
    cursor.reset(v5File, at, v5Length);
    while (cursor.next())
      sum = (sum + cursor.srcAddr + cursor.dstAddr + cursor.dPkts + cursor.dOctets + cursor.dstPort) | 0;
  }
  return sum;
}

const encodeOut = new Uint8Array(v5Length);

function encodeV5(): number {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum = (sum + encodeNetflowV5(v5Values[i], encodeOut)[100]) | 0;
  return sum;
}

function v8Batch(layout: (typeof NETFLOW_V8_SCHEMES)[number]): Uint8Array[] {
  const next = random(0xbeef + layout.scheme);
  return Array.from({ length: BATCH }, (_, i) => {
    const records = Array.from({ length: layout.maxRecords }, () => {
      const rec: Record<string, number> = {};
      for (const f of layout.fields) rec[f.name] = f.size === 4 ? next() : next() & (f.size === 2 ? 0xffff : 0xff);
      return rec;
    });
    const header = {
      version: 8 as const,
      count: records.length,
      sysUptime: next(),
      unixSecs: 1700000000,
      unixNsecs: 0,
      flowSequence: i * layout.maxRecords,
      engineType: 0,
      engineId: 0,
      aggregation: layout.scheme,
      aggVersion: 2,
      reserved: 0,
    };
    return encodeNetflowV8({ header, records: records as unknown as NetflowV8Datagram["records"], padding: 0 });
  });
}

function decodeV8(batch: Uint8Array[]): () => number {
  return () => {
    let sum = 0;
    for (let i = 0; i < batch.length; i++) {
      const d = decodeNetflowV8(batch[i]);
      for (const r of d.records) sum = (sum + r.dPkts + r.dOctets + r.first) | 0;
    }
    return sum;
  };
}

/** The NetFlow benchmarks, run by bench/index.ts. */
export const benchmarks: Benchmark[] = [
  { group: "NetFlow v5", name: "decode into records", unitsPerIteration: BATCH * 30, unit: "records", fn: decodeV5 },
  { group: "NetFlow v5", name: "zero-allocation cursor", unitsPerIteration: BATCH * 30, unit: "records", fn: visitV5 },
  {
    group: "NetFlow v5",
    name: "zero-allocation cursor, one file buffer",
    unitsPerIteration: BATCH * 30,
    unit: "records",
    fn: visitV5File,
  },
  { group: "NetFlow v5", name: "encode into a buffer", unitsPerIteration: BATCH * 30, unit: "records", fn: encodeV5 },
  ...NETFLOW_V8_SCHEMES.map(
    (layout): Benchmark => ({
      group: "NetFlow v8",
      name: `decode scheme ${layout.scheme} ${layout.name}`,
      unitsPerIteration: BATCH * layout.maxRecords,
      unit: "records",
      fn: decodeV8(v8Batch(layout)),
    }),
  ),
];
