/**
 * The receive path of one collector interface in the `receiver` role: the same UDP listeners, decoding, input lookup,
 * sequence tracking and drop counters as the single process (src/collector/receive/), but the records go to a
 * {@link RecordBatcher} (and from there to JetStream) instead of record files. It has the shape the interface runtime
 * expects of a receiver (`tick`, `clear`, `snapshot`, `close`), so `show services flow-collector` reports it as usual.
 *
 * With `sharedListen` (a receiver worker of `scale-out.processes`) the worker sees only the datagrams the kernel gave it
 * from the shared socket, so an exporter's sequence numbers have gaps the other workers filled: the per-input sequence
 * figures (in order, lost, out of order, resets) would be false alarms, and are reported as zero (not tracked).
 */
import type { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { CollectorInterfaceConfig } from "../collector/config.ts";
import type { Clock } from "../collector/contracts.ts";
import { DatagramPipeline } from "../collector/receive/datagram-pipeline.ts";
import { InputMap } from "../collector/receive/input-map.ts";
import { ReceiverStatus, type ReceiverStatusSnapshot } from "../collector/receive/receiver-status.ts";
import { UdpListener } from "../collector/receive/udp-listener.ts";
import { datagramIdentity, RecordBatcher } from "./record-batcher.ts";
import type { SpooledMessage } from "./spool-buffer.ts";

/** Options of {@link StreamReceiver.start}. */
export interface StreamReceiverOptions {
  interfaceName: string;
  config: Pick<CollectorInterfaceConfig, "listen" | "receive-buffer" | "inputs">;
  batchRecords: number;
  lingerMs: number;
  publish: (message: SpooledMessage) => void;
  /**
   * Share the UDP sockets with the other node:cluster workers (`scale-out.processes` > 1; default false); the
   * per-input sequence figures are then reported as zero.
   */
  sharedListen?: boolean;
  clock?: Clock;
  log?: RateLimitedLog;
}

/** See the module comment. */
export class StreamReceiver {
  readonly status: ReceiverStatus;
  readonly pipeline: DatagramPipeline;
  readonly batcher: RecordBatcher;
  readonly #listener: UdpListener;
  readonly #sequenceTracked: boolean;

  private constructor(
    status: ReceiverStatus,
    pipeline: DatagramPipeline,
    batcher: RecordBatcher,
    l: UdpListener,
    sequenceTracked: boolean,
  ) {
    this.status = status;
    this.pipeline = pipeline;
    this.batcher = batcher;
    this.#listener = l;
    this.#sequenceTracked = sequenceTracked;
  }

  /**
   * Binds the interface's listen addresses.
   * @throws ListenError `ERR_COLLECTOR_LISTEN` when an address cannot be bound.
   */
  static async start(o: StreamReceiverOptions): Promise<StreamReceiver> {
    const clock = o.clock ?? Date.now;
    const inputs = new InputMap(o.config.inputs);
    const status = new ReceiverStatus(inputs.inputs, clock());
    const batcher = new RecordBatcher({
      interfaceName: o.interfaceName,
      inputs: o.config.inputs,
      batchRecords: o.batchRecords,
      lingerMs: o.lingerMs,
      publish: o.publish,
    });
    const pipeline = new DatagramPipeline({ inputs, files: batcher, status, log: o.log });
    const listener = await UdpListener.open({
      listen: o.config.listen,
      receiveBuffer: o.config["receive-buffer"],
      onDatagram: (d) => {
        batcher.beginDatagram(datagramIdentity(d.bytes, inputs.exporterAddress(d.source.address)));
        pipeline.process(d);
      },
      clock,
      log: o.log,
      exclusive: !(o.sharedListen ?? false),
    });
    status.listeners = listener.listeners.map((l) => ({ ...l }));
    return new StreamReceiver(status, pipeline, batcher, listener, !(o.sharedListen ?? false));
  }

  tick(nowMs: number): void {
    this.status.tick(nowMs);
  }

  clear(nowMs: number): void {
    this.pipeline.clear(nowMs);
  }

  /** The receive figures; sequence figures zero with `sharedListen` (see the module comment). */
  snapshot(): ReceiverStatusSnapshot {
    const s = this.status.snapshot();
    if (this.#sequenceTracked) return s;
    for (const i of s.inputs) i.sequence = { inOrder: 0, lost: 0, outOfOrder: 0, resets: 0 };
    return s;
  }

  /** Closes the sockets and publishes the open batches. */
  async close(): Promise<void> {
    await this.#listener.close();
    this.batcher.flushAll();
  }
}
