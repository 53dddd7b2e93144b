/**
 * Shared pieces of the receive-path tests: datagrams built with the wire encoders, a record sink that keeps copies of
 * what it is given (with an optional record budget), input configurations and a seeded PRNG.
 */
import type { CollectorInputConfig } from "../../src/collector/config.ts";
import type { RecordFileSink, RecordSink } from "../../src/collector/contracts.ts";
import type { CollectorFlowFields } from "../../src/wire/collector-record.ts";
import { encodeNetflowV5, type NetflowV5Header, type NetflowV5Record } from "../../src/wire/netflow-v5.ts";
import {
  encodeNetflowV8,
  type NetflowV8Datagram,
  type NetflowV8Header,
  type NetflowV8MaskOrder,
  type NetflowV8Record,
  type NetflowV8Scheme,
  netflowV8Layout,
} from "../../src/wire/netflow-v8.ts";

/** 2023-11-14T22:13:20Z, the export time of every fixture datagram. */
export const EXPORT_SECS = 1_700_000_000;
/** Exporter uptime at export in every fixture datagram, ms. */
export const UPTIME_MS = 3_600_000;

/** An input configuration with the schema's defaults filled in. */
export function inputConfig(c: Partial<CollectorInputConfig> & { exporter: string }): CollectorInputConfig {
  return { "mask-order": "default", channels: [0], ...c };
}

/** A v5 record with every field set; `id` goes into srcAddr (10.0.x.y) and dPkts so records can be told apart. */
export function v5Record(id: number, over: Partial<NetflowV5Record> = {}): NetflowV5Record {
  return {
    srcAddr: (0x0a000000 + id) >>> 0,
    dstAddr: 0xc0a80001,
    nextHop: 0xc0a800fe,
    input: 1,
    output: 2,
    dPkts: id,
    dOctets: 40 * id + 40,
    first: UPTIME_MS - 5000,
    last: UPTIME_MS - 1000,
    srcPort: 1024 + (id % 1000),
    dstPort: 80,
    pad1: 0,
    tcpFlags: 0x1b,
    prot: 6,
    tos: 0,
    srcAs: 64512,
    dstAs: 65001,
    srcMask: 24,
    dstMask: 16,
    pad2: 0,
    ...over,
  };
}

/** A v5 header at the fixture clock. */
export function v5Header(over: Partial<NetflowV5Header> = {}): NetflowV5Header {
  return {
    version: 5,
    count: 0,
    sysUptime: UPTIME_MS,
    unixSecs: EXPORT_SECS,
    unixNsecs: 0,
    flowSequence: 0,
    engineType: 0,
    engineId: 0,
    samplingMode: 0,
    samplingInterval: 0,
    ...over,
  };
}

/** An encoded v5 datagram. */
export function v5Datagram(records: NetflowV5Record[], header: Partial<NetflowV5Header> = {}): Uint8Array {
  return encodeNetflowV5({ header: v5Header(header), records, padding: 0 });
}

/** A v8 header at the fixture clock. */
export function v8Header(scheme: NetflowV8Scheme, over: Partial<NetflowV8Header> = {}): NetflowV8Header {
  return {
    version: 8,
    count: 0,
    sysUptime: UPTIME_MS,
    unixSecs: EXPORT_SECS,
    unixNsecs: 0,
    flowSequence: 0,
    engineType: 0,
    engineId: 0,
    aggregation: scheme,
    aggVersion: 2,
    reserved: 0,
    ...over,
  };
}

/**
 * A record of `scheme` with each field set to a distinct value derived from its name and `id` (so a mapping that reads
 * the wrong field is caught), overridden by `over`.
 */
export function v8Record(scheme: NetflowV8Scheme, id: number, over: Record<string, number> = {}): NetflowV8Record {
  const layout = netflowV8Layout(scheme)!;
  const rec: Record<string, number> = {};
  layout.fields.forEach((f, i) => {
    const max = 2 ** (8 * f.size) - 1;
    rec[f.name] = (id * 131 + (i + 1) * 7919) % max;
  });
  rec.first = UPTIME_MS - 7000;
  rec.last = UPTIME_MS - 2000;
  return { ...rec, ...over } as unknown as NetflowV8Record;
}

/** An encoded v8 datagram of `scheme`. */
export function v8Datagram(
  scheme: NetflowV8Scheme,
  records: NetflowV8Record[],
  header: Partial<NetflowV8Header> = {},
  maskOrder: NetflowV8MaskOrder = "default",
): Uint8Array {
  const datagram = { header: v8Header(scheme, header), records, padding: 0 } as NetflowV8Datagram;
  return encodeNetflowV8(datagram, undefined, 0, { maskOrder });
}

/** One record as a sink received it. */
export interface StoredRecord {
  input: string;
  channel: 0 | 1;
  flow: CollectorFlowFields;
}

/**
 * A RecordFileSink that keeps a copy of every record. `budget` is the number of appends accepted in all (then append
 * returns false); `accepting` is what canAccept answers.
 */
export class CollectingFiles implements RecordFileSink {
  readonly stored: StoredRecord[] = [];
  budget = Number.POSITIVE_INFINITY;
  accepting = true;
  readonly sinkCalls: string[] = [];

  sink(input: string, channel: 0 | 1): RecordSink {
    this.sinkCalls.push(`${input}/${channel}`);
    return {
      append: (flow) => {
        if (this.budget <= 0) return false;
        this.budget--;
        this.stored.push({ input, channel, flow: { ...flow } });
        return true;
      },
    };
  }

  canAccept(_bytes: number): boolean {
    return this.accepting;
  }
}

/** A RecordFileSink that only counts appends (the hot-path measurement's sink). */
export class CountingFiles implements RecordFileSink {
  appended = 0;
  private readonly one: RecordSink = {
    append: () => {
      this.appended++;
      return true;
    },
  };

  sink(_input: string, _channel: 0 | 1): RecordSink {
    return this.one;
  }

  canAccept(_bytes: number): boolean {
    return true;
  }
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
