/**
 * The per-interface processing of received datagrams (docs/collector.md, "Receiving"): memory check, decode, input
 * lookup, sequence tracking, counters, and each record as one line's fields appended to the record files of its input
 * on each of the input's export channels. A datagram that cannot be stored is counted once under one of the spec's
 * "Packet drops" reasons (flow-collector.txt, `show services flow-collector interface X extensive`) and never stops the
 * collector: {@link DatagramPipeline.process} does not throw.
 *
 * Drop reasons, checked in this order:
 * - `noMemory`: the record files cannot buffer about {@link RECORD_TEXT_EXPANSION} times the datagram's bytes
 *   (`RecordFileSink.canAccept`), or an append was refused mid-datagram;
 * - `tooSmall`: shorter than its version field, its header or the records its count declares (`ERR_NETFLOW_TRUNCATED`);
 * - `notJunosFlow`: not a valid v5/v8 export (other version, count above the maximum, unknown v8 aggregation);
 * - `unknown`: valid, but from an exporter (or engine) no configured input takes.
 *
 * When an append is refused mid-datagram (the memory budget ran out), the records already appended stay in their
 * files and are counted as stored (interface "Flow records", the input's flows); the rest of the datagram is
 * discarded, and the datagram counts once as `noMemory` and not in the input's packets and bytes. Nothing is retried,
 * so no record is ever stored twice. With two channels, the first channel may hold the one record the second refused.
 *
 * Nothing is allocated per record: one reused {@link CollectorFlowFields} object is filled for each record and passed to
 * every `RecordSink.append`, which must copy (encode) what it keeps before returning.
 */
import type { CollectorFlowFields } from "../../wire/collector-record.ts";
import { type SequenceObservation, SequenceTracker, type SequenceTrackerOptions } from "../../wire/sequence-tracker.ts";
import type { RateLimitedLog } from "../../runtime/rate-limited-log.ts";
import type { RecordFileSink, RecordSink } from "../contracts.ts";
import { NetflowFlowReader } from "./flow-reader.ts";
import type { InputMap, ResolvedInput } from "./input-map.ts";
import type { DropReason, ReceiverStatus } from "./receiver-status.ts";
import { newCollectorFlowFields } from "./record-mapping.ts";
import {
  newSequenceObservation,
  type SequenceStreamStatus,
  sequenceStreamsOf,
  trackSequence,
  V8_STREAM_TAGS,
} from "./sequence-streams.ts";

/** Where a datagram came from (a `dgram` `RemoteInfo` fits). */
export interface DatagramSource {
  /** Sender address as the socket reports it (`192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`). */
  readonly address: string;
  /** Sender UDP port. */
  readonly port: number;
}

/** A received datagram with its metadata; the pipeline never sees sockets or clocks. */
export interface ReceivedDatagram {
  readonly source: DatagramSource;
  /** Time of reception, epoch milliseconds. */
  readonly receivedAt: number;
  /** The UDP payload. */
  readonly bytes: Uint8Array;
}

/** What became of a datagram: stored (all its records appended), or the reason it was dropped. */
export type DatagramOutcome = "stored" | DropReason;

/**
 * Bytes asked of `RecordFileSink.canAccept` per datagram byte: a record line (about 110-130 bytes with its file
 * prefix) is 2.5 times a 48-byte v5 record and up to 4 times a 28-byte v8 record.
 */
export const RECORD_TEXT_EXPANSION = 4;

/** Options of {@link DatagramPipeline}. */
export interface DatagramPipelineOptions {
  /** The interface's inputs. */
  readonly inputs: InputMap;
  /** The interface's record files. */
  readonly files: RecordFileSink;
  /** Where the counters go (built for the same inputs). */
  readonly status: ReceiverStatus;
  /** Sequence tracking windows (defaults of `SequenceTracker`). */
  readonly sequence?: SequenceTrackerOptions;
  /** Rate-limited log of drops (warn, by error code) and unexpected failures (error); none by default. */
  readonly log?: RateLimitedLog;
}

/** The drop log's text for each decoding error code. */
export const DATAGRAM_PROBLEMS: Readonly<Record<string, string>> = {
  ERR_NETFLOW_TRUNCATED: "shorter than its NetFlow header or the records its count declares",
  ERR_NETFLOW_VERSION: "not NetFlow version 5 or 8",
  ERR_NETFLOW_COUNT: "record count above the maximum of its version or v8 scheme",
  ERR_NETFLOW_AGGREGATION: "unknown NetFlow v8 aggregation scheme",
};

/** The drop reason of a decoding error code: `ERR_NETFLOW_TRUNCATED` is "Too small", any other "Not JUNOS flow". */
export function dropReasonOfCode(code: string): DropReason {
  return code === "ERR_NETFLOW_TRUNCATED" ? "tooSmall" : "notJunosFlow";
}

/** Processes the datagrams of one collector interface; see the module comment. */
export class DatagramPipeline {
  /** Sequence state per exporter address, engine type/id and stream (`v8/<scheme>` for v8). */
  readonly tracker: SequenceTracker;
  private readonly inputs: InputMap;
  private readonly files: RecordFileSink;
  private readonly status: ReceiverStatus;
  private readonly log: RateLimitedLog | undefined;
  private readonly reader = new NetflowFlowReader();
  private readonly flow: CollectorFlowFields = newCollectorFlowFields();
  private readonly observation: SequenceObservation = newSequenceObservation();

  constructor(options: DatagramPipelineOptions) {
    this.inputs = options.inputs;
    this.files = options.files;
    this.status = options.status;
    this.log = options.log;
    this.tracker = new SequenceTracker(options.sequence);
  }

  /** Processes one datagram: stores its records or counts its drop. Never throws. */
  process(d: ReceivedDatagram): DatagramOutcome {
    try {
      return this.run(d);
    } catch (e) {
      // A sink or tracker failure the contracts do not foresee: the datagram is lost, the collector goes on.
      const message = e instanceof Error ? e.message : String(e);
      this.log?.error("ERR_COLLECTOR_RECEIVE", `datagram from ${d.source.address} not stored: ${message}`);
      this.status.drop("noMemory");
      return "noMemory";
    }
  }

  /** Every tracked sequence stream with its counters, least recently seen first. */
  streams(): SequenceStreamStatus[] {
    return sequenceStreamsOf(this.tracker);
  }

  /** Zeroes the counters (`clear services flow-collector statistics`) and forgets the sequence streams. */
  clear(nowMs: number): void {
    this.status.clear(nowMs);
    this.tracker.clear();
  }

  private run(d: ReceivedDatagram): DatagramOutcome {
    const st = this.status;
    const length = d.bytes.length;
    st.input.packets.add(1);
    st.input.bytes.add(length);
    if (!this.files.canAccept(length * RECORD_TEXT_EXPANSION)) {
      return this.dropped("noMemory", d, "ERR_COLLECTOR_NO_MEMORY", "memory limit reached");
    }
    const r = this.reader;
    if (r.tryReset(d.bytes) < 0) {
      const code = r.problem as string;
      return this.dropped(
        dropReasonOfCode(code),
        d,
        code,
        DATAGRAM_PROBLEMS[code] ?? "not a valid NetFlow v5/v8 export",
      );
    }
    const input = this.inputs.resolve(d.source.address, r.engineType, r.engineId);
    if (input === undefined) {
      const what = `engine ${r.engineType}/${r.engineId}`;
      return this.dropped("unknown", d, "ERR_COLLECTOR_UNKNOWN_INPUT", `no input takes this exporter (${what})`);
    }
    this.observeSequence(input, d.source.address);
    return this.store(input, d);
  }

  private observeSequence(input: ResolvedInput, sourceAddress: string): void {
    const r = this.reader;
    const o = this.observation;
    o.exporter = this.inputs.exporterAddress(sourceAddress);
    o.engineType = r.engineType;
    o.engineId = r.engineId;
    o.stream = r.version === 8 ? V8_STREAM_TAGS[r.aggregation] : undefined;
    o.flowSequence = r.flowSequence;
    o.count = r.count;
    o.sysUptime = r.sysUptime;
    trackSequence(this.tracker, o, this.status.inputs[input.index].sequence);
  }

  private store(input: ResolvedInput, d: ReceivedDatagram): DatagramOutcome {
    const r = this.reader;
    const st = this.status;
    const counters = st.inputs[input.index];
    let stored = 0;
    if (r.count > 0) {
      const channels = input.channels;
      const first: RecordSink = this.files.sink(input.name, channels[0]);
      const second: RecordSink | undefined = channels.length > 1 ? this.files.sink(input.name, channels[1]) : undefined;
      const flow = this.flow;
      while (r.next(flow)) {
        if (!first.append(flow) || (second !== undefined && !second.append(flow))) {
          st.input.flowRecords.add(stored);
          counters.flows += stored;
          return this.dropped("noMemory", d, "ERR_COLLECTOR_NO_MEMORY", `memory limit reached after ${stored} records`);
        }
        stored++;
      }
    }
    st.input.flowRecords.add(stored);
    counters.packets++;
    counters.bytes += d.bytes.length;
    counters.flows += stored;
    return "stored";
  }

  private dropped(reason: DropReason, d: ReceivedDatagram, code: string, message: string): DropReason {
    this.status.drop(reason);
    if (this.log !== undefined) {
      const exporter = `${d.source.address}:${d.source.port}`;
      this.log.warn(code, `datagram from ${exporter} dropped: ${message}`, { reason, exporter, bytes: d.bytes.length });
    }
    return reason;
  }
}
