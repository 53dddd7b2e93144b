/**
 * The receive path of one collector interface, assembled: its inputs (`input-map.ts`), counters
 * (`receiver-status.ts`), datagram processing (`datagram-pipeline.ts`) and UDP sockets (`udp-listener.ts`), as
 * docs/collector.md ("Receiving") describes. The collector creates one per configured interface, hands it the
 * interface's record files, ticks it about once a second and reads its status for `show services flow-collector`.
 */
import { availableParallelism } from "node:os";
import type { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { SequenceTrackerOptions } from "../../wire/sequence-tracker.ts";
import type { CollectorInterfaceConfig } from "../config.ts";
import type { Clock, RecordFileSink } from "../contracts.ts";
import { DatagramPipeline, type ReceivedDatagram } from "./datagram-pipeline.ts";
import { InputMap } from "./input-map.ts";
import { ReceiverStatus, type ReceiverStatusSnapshot } from "./receiver-status.ts";
import type { SequenceStreamStatus } from "./sequence-streams.ts";
import { takesRenderedRecords, ThreadedDatagramPipeline } from "./threaded-pipeline.ts";
import { UdpListener } from "./udp-listener.ts";

/**
 * Render workers of an interface when `workers` is not configured: one per core beyond the first, at most 2 (0 on a
 * single core: everything on the main thread).
 */
export function defaultReceiveWorkers(): number {
  return Math.max(0, Math.min(2, availableParallelism() - 1));
}

/** The per-datagram processing of a receiver: single-threaded or with render workers. */
export interface ReceivePath {
  /** Processes one datagram (counts it, drops it or stores its records); never throws. */
  process(d: ReceivedDatagram): unknown;
  /** Zeroes the counters and forgets the sequence streams. */
  clear(nowMs: number): void;
  /** Every sequence stream with its counters. */
  streams(): SequenceStreamStatus[];
  /** Resolves once every datagram taken so far is in the record files (or dropped). */
  drained(): Promise<void>;
  /** Stops its threads, after {@link drained}. */
  close(): Promise<void>;
}

function singleThreaded(pipeline: DatagramPipeline): ReceivePath {
  return {
    process: (d) => pipeline.process(d),
    clear: (nowMs) => pipeline.clear(nowMs),
    streams: () => pipeline.streams(),
    drained: async () => undefined,
    close: async () => undefined,
  };
}

/** Options of {@link Receiver.start}. */
export interface ReceiverOptions {
  /** The interface's configuration (`listen`, `receive-buffer`, `inputs` are used). */
  readonly config: Pick<CollectorInterfaceConfig, "listen" | "receive-buffer" | "inputs"> &
    Partial<Pick<CollectorInterfaceConfig, "workers">>;
  /** The interface's record files. */
  readonly files: RecordFileSink;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: Clock;
  /** Rate-limited log for drops and socket errors (component `receiver` suggested). */
  readonly log?: RateLimitedLog;
  /** Sequence tracking windows. */
  readonly sequence?: SequenceTrackerOptions;
}

/** A running receive path: sockets bound, datagrams flowing into the record files. */
export class Receiver {
  /** The interface's inputs as resolved from the configuration. */
  readonly inputs: InputMap;
  /** The counters (live objects; use {@link snapshot} for a copy). */
  readonly status: ReceiverStatus;
  /**
   * The per-datagram processing (exposed for in-process feeding, e.g. replays and tests): with render workers when
   * the configuration's `workers` (default {@link defaultReceiveWorkers}) is above 0 and the record files take
   * rendered records, else the single-threaded `DatagramPipeline`.
   */
  readonly pipeline: ReceivePath;
  private readonly listener: UdpListener;

  private constructor(inputs: InputMap, status: ReceiverStatus, pipeline: ReceivePath, listener: UdpListener) {
    this.inputs = inputs;
    this.status = status;
    this.pipeline = pipeline;
    this.listener = listener;
  }

  /**
   * Binds the interface's listen addresses and starts receiving.
   * @throws ListenError `ERR_COLLECTOR_LISTEN` when an address cannot be bound (nothing is left open).
   */
  static async start(options: ReceiverOptions): Promise<Receiver> {
    const clock = options.clock ?? Date.now;
    const inputs = new InputMap(options.config.inputs);
    const status = new ReceiverStatus(inputs.inputs, clock());
    const workers = options.config.workers ?? defaultReceiveWorkers();
    const files = options.files;
    const pipeline: ReceivePath =
      workers > 0 && takesRenderedRecords(files)
        ? new ThreadedDatagramPipeline({
            inputs,
            files,
            status,
            workers,
            clock,
            log: options.log,
            sequence: options.sequence,
          })
        : singleThreaded(new DatagramPipeline({ inputs, files, status, log: options.log, sequence: options.sequence }));
    let listener: UdpListener;
    try {
      listener = await UdpListener.open({
        listen: options.config.listen,
        receiveBuffer: options.config["receive-buffer"],
        onDatagram: (d) => pipeline.process(d),
        clock,
        log: options.log,
      });
    } catch (e) {
      await pipeline.close();
      throw e;
    }
    status.listeners = listener.listeners.map((l) => ({ ...l }));
    return new Receiver(inputs, status, pipeline, listener);
  }

  /** Closes the current rate interval (about once a second). */
  tick(nowMs: number): void {
    this.status.tick(nowMs);
  }

  /** `clear services flow-collector statistics`: zeroes the counters and forgets the sequence streams. */
  clear(nowMs: number): void {
    this.pipeline.clear(nowMs);
  }

  /** The listeners, input, drops and per-input figures of `InterfaceStatus`, as plain data. */
  snapshot(): ReceiverStatusSnapshot {
    return this.status.snapshot();
  }

  /** Every sequence stream (exporter, engine, v5 or v8 scheme) with its counters. */
  streams(): SequenceStreamStatus[] {
    return this.pipeline.streams();
  }

  /** Stops receiving: closes every socket, then waits until every datagram received is in the record files (idempotent). */
  async close(): Promise<void> {
    await this.listener.close();
    await this.pipeline.close();
  }
}
