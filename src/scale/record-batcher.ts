/**
 * The receiver role's {@link RecordFileSink}: instead of record files, the decoded records of each (input, exporter
 * stream) are gathered into batches of at most `batch-records` records (record-batch-codec.ts) and handed to the
 * publisher when full, or `linger` after the batch was opened. A record is batched once even when its input files it on
 * two export channels: the writer applies the channels of its own configuration.
 *
 * Each batch's `Nats-Msg-Id` is derived from the data, so publishing the same batch again (a retry, a replay of the disk
 * buffer) is a duplicate the stream drops:
 * `<exporter>/<engine-type>.<engine-id>/<stream>/<unix-secs>/<flow-sequence>/<first>+<count>`, from the header of the
 * batch's first datagram (`stream` is `v5` or `v8.<scheme>`; `unix-secs` tells an exporter's restarted sequence from the
 * old one), `first` the index of the batch's first record within that datagram and `count` the batch's records.
 */
import type { CollectorFlowFields } from "../wire/collector-record.ts";
import type { RecordFileSink, RecordSink } from "../collector/contracts.ts";
import type { CollectorInputConfig } from "../collector/config.ts";
import { RecordBatchBuilder } from "./record-batch-codec.ts";
import type { SpooledMessage } from "./spool-buffer.ts";
import { recordSubject } from "./subject-tokens.ts";

/** The header fields of the datagram being processed that name its records. */
export interface DatagramIdentity {
  /** Normalised exporter address. */
  exporter: string;
  engineType: number;
  engineId: number;
  /** `v5` or `v8.<scheme>`. */
  stream: string;
  unixSecs: number;
  flowSequence: number;
}

/**
 * Reads the identity of a v5 or v8 datagram from its header (both keep the fields at the same offsets), or undefined for
 * bytes too short to be either (the pipeline drops those anyway).
 */
export function datagramIdentity(bytes: Uint8Array, exporter: string): DatagramIdentity | undefined {
  if (bytes.length < 24) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint16(0);
  return {
    exporter,
    engineType: v.getUint8(20),
    engineId: v.getUint8(21),
    stream: version === 8 ? `v8.${v.getUint8(22)}` : `v${version}`,
    unixSecs: v.getUint32(8),
    flowSequence: v.getUint32(16),
  };
}

/** Options of {@link RecordBatcher}. */
export interface RecordBatcherOptions {
  interfaceName: string;
  inputs: Readonly<Record<string, CollectorInputConfig>>;
  /** Records per batch at most. */
  batchRecords: number;
  /** Longest wait of a batch that is not full, ms. */
  lingerMs: number;
  /** Where finished batches go. */
  publish: (message: SpooledMessage) => void;
}

interface OpenBatch {
  readonly subject: string;
  readonly idPrefix: string;
  readonly builder: RecordBatchBuilder;
  readonly openedAt: number;
}

const NO_SINK: RecordSink = { append: () => true };

/** See the module comment. */
export class RecordBatcher implements RecordFileSink {
  readonly #o: RecordBatcherOptions;
  readonly #open = new Map<string, OpenBatch>();
  readonly #sinks = new Map<string, RecordSink>();
  #datagram: DatagramIdentity | undefined;
  #indexInDatagram = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RecordBatcherOptions) {
    this.#o = options;
  }

  /** Names the datagram whose records follow (call before the pipeline processes it). */
  beginDatagram(identity: DatagramIdentity | undefined): void {
    this.#datagram = identity;
    this.#indexInDatagram = 0;
  }

  /** The input's sink for its first channel; its other channel's sink keeps nothing (see the module comment). */
  sink(input: string, channel: 0 | 1): RecordSink {
    const first = this.#o.inputs[input]?.channels[0] ?? 0;
    if (channel !== first) return NO_SINK;
    let s = this.#sinks.get(input);
    if (s === undefined) {
      s = { append: (flow) => this.#append(input, flow) };
      this.#sinks.set(input, s);
    }
    return s;
  }

  /** Always true: the publisher buffers on disk, and counts what its bound refuses. */
  canAccept(): boolean {
    return true;
  }

  /** Publishes every open batch now. */
  flushAll(): void {
    for (const key of [...this.#open.keys()]) this.#finish(key);
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #append(input: string, flow: CollectorFlowFields): boolean {
    const d = this.#datagram;
    const index = this.#indexInDatagram++;
    const streamKey = d === undefined ? "?" : `${d.exporter}/${d.engineType}.${d.engineId}/${d.stream}`;
    const key = `${input}\u0000${streamKey}`;
    let batch = this.#open.get(key);
    if (batch === undefined) {
      const origin = d === undefined ? `${Date.now()}/0` : `${d.unixSecs}/${d.flowSequence}`;
      batch = {
        subject: recordSubject(this.#o.interfaceName, input),
        idPrefix: `${streamKey}/${origin}/${index}+`,
        builder: new RecordBatchBuilder(this.#o.batchRecords),
        openedAt: Date.now(),
      };
      this.#open.set(key, batch);
      this.#arm();
    }
    batch.builder.add(flow);
    if (batch.builder.count >= batch.builder.capacity) this.#finish(key);
    return true;
  }

  #finish(key: string): void {
    const batch = this.#open.get(key);
    if (batch === undefined) return;
    this.#open.delete(key);
    const records = batch.builder.count;
    if (records === 0) return;
    this.#o.publish({
      subject: batch.subject,
      id: `${batch.idPrefix}${records}`,
      records,
      payload: batch.builder.finish(),
    });
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const due = Date.now() - this.#o.lingerMs;
      for (const [key, b] of [...this.#open]) if (b.openedAt <= due) this.#finish(key);
      if (this.#open.size > 0) this.#arm();
    }, this.#o.lingerMs);
    this.#timer.unref();
  }
}
