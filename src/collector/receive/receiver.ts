/**
 * The receive path of one collector interface, assembled: its inputs (`input-map.ts`), counters
 * (`receiver-status.ts`), datagram processing (`datagram-pipeline.ts`) and UDP sockets (`udp-listener.ts`), as
 * docs/collector.md ("Receiving") describes. The collector creates one per configured interface, hands it the
 * interface's record files, ticks it about once a second and reads its status for `show services flow-collector`.
 */
import type { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { SequenceTrackerOptions } from "../../wire/sequence-tracker.ts";
import type { CollectorInterfaceConfig } from "../config.ts";
import type { Clock, RecordFileSink } from "../contracts.ts";
import { DatagramPipeline } from "./datagram-pipeline.ts";
import { InputMap } from "./input-map.ts";
import { ReceiverStatus, type ReceiverStatusSnapshot } from "./receiver-status.ts";
import type { SequenceStreamStatus } from "./sequence-streams.ts";
import { UdpListener } from "./udp-listener.ts";

/** Options of {@link Receiver.start}. */
export interface ReceiverOptions {
  /** The interface's configuration (`listen`, `receive-buffer`, `inputs` are used). */
  readonly config: Pick<CollectorInterfaceConfig, "listen" | "receive-buffer" | "inputs">;
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
  /** The per-datagram processing (exposed for in-process feeding, e.g. replays and tests). */
  readonly pipeline: DatagramPipeline;
  private readonly listener: UdpListener;

  private constructor(inputs: InputMap, status: ReceiverStatus, pipeline: DatagramPipeline, listener: UdpListener) {
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
    const pipeline = new DatagramPipeline({
      inputs,
      files: options.files,
      status,
      log: options.log,
      sequence: options.sequence,
    });
    const listener = await UdpListener.open({
      listen: options.config.listen,
      receiveBuffer: options.config["receive-buffer"],
      onDatagram: (d) => pipeline.process(d),
      clock,
      log: options.log,
    });
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

  /** Stops receiving: closes every socket (idempotent). */
  close(): Promise<void> {
    return this.listener.close();
  }
}
