/**
 * The `writer` role's intake for one collector interface: a durable pull consumer on the record stream (shared by every
 * writer of the interface, so writers on several machines split its messages) feeding the interface's record files,
 * which rotate and ship over FTP exactly as in the single process.
 *
 * Acknowledgement guarantee: a fetched group of messages (at most `fetch-batch`) is appended to the record files, then
 * every open block is compressed and written as a complete gzip member (`flushAll`), and only then are the messages
 * acknowledged. So an acknowledged record is in a complete member of a record file on disk (active `.tmp` files are
 * recovered by spool recovery after a crash; no fsync, so a power loss may still lose the page cache). A message whose
 * acknowledgement is lost (a NATS node dies) is delivered again after `ack-wait`; this writer remembers the stream
 * sequences it wrote (the last million) and acknowledges such a repeat without writing it again. Only a writer that dies
 * between writing and acknowledging leaves repeats that another writer writes again: at-least-once, at most one
 * fetch group per crash. While a group is being written its messages are marked in progress every third of `ack-wait`,
 * so a slow disk never lets `ack-wait` pass and hand them to another writer. A message the interface's `memory-limit` has no room for, even after the blocks in hand were
 * written, is not acknowledged but negatively acknowledged (delivered again a second later); nothing is dropped for
 * memory as long as one message fits.
 */
import { type Consumer, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Logger } from "../runtime/logger.ts";
import type { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { CollectorInterfaceConfig } from "../collector/config.ts";
import type { Clock, RecordFileSink } from "../collector/contracts.ts";
import { InputMap } from "../collector/receive/input-map.ts";
import { ReceiverStatus, type ReceiverStatusSnapshot } from "../collector/receive/receiver-status.ts";
import type { NatsLink } from "./nats-link.ts";
import { forEachBatchRecord } from "./record-batch-codec.ts";
import { ensureRecordStream, ensureWriterConsumer } from "./record-stream-setup.ts";
import type { CollectorScaleOutConfig } from "./scale-config.ts";
import { parseRecordSubject } from "./subject-tokens.ts";

/** Stream sequences remembered as written, for repeats after a lost acknowledgement. */
const REMEMBERED = 1_000_000;

/** Counters of a {@link StreamWriter}. */
export interface StreamWriterCounters {
  messages: number;
  records: number;
  /** Messages delivered again that this writer had already written (acknowledged, not written twice). */
  repeats: number;
  /** Messages that were not record batches or named an input this interface lacks (acknowledged and dropped). */
  rejected: number;
}

/** The record files the writer fills: a sink with `flushAll`. */
export interface WriterFiles extends RecordFileSink {
  flushAll(): Promise<void>;
}

/** Options of {@link StreamWriter}. */
export interface StreamWriterOptions {
  interfaceName: string;
  config: CollectorInterfaceConfig;
  scale: CollectorScaleOutConfig;
  link: NatsLink;
  clock?: Clock;
  logger: Logger;
  log?: RateLimitedLog;
}

/** See the module comment. Created before the record files exist; {@link StreamWriter.run} starts it. */
export class StreamWriter {
  readonly status: ReceiverStatus;
  readonly counters: StreamWriterCounters = { messages: 0, records: 0, repeats: 0, rejected: 0 };
  readonly #o: StreamWriterOptions;
  readonly #inputs: InputMap;
  readonly #written = new Set<number>();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: StreamWriterOptions) {
    this.#o = options;
    this.#inputs = new InputMap(options.config.inputs);
    this.status = new ReceiverStatus(this.#inputs.inputs, (options.clock ?? Date.now)());
  }

  /** Starts consuming into `files` (connects, creates the stream and the durable consumer when missing). */
  run(files: WriterFiles): void {
    this.#loop ??= this.#consumeForever(files);
  }

  tick(nowMs: number): void {
    this.status.tick(nowMs);
  }

  clear(nowMs: number): void {
    this.status.clear(nowMs);
  }

  snapshot(): ReceiverStatusSnapshot {
    return this.status.snapshot();
  }

  /** Stops fetching; the group in hand is written and acknowledged first. */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      this.#wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  async #consumer(): Promise<Consumer | undefined> {
    const s = this.#o.scale;
    while (!this.#stopped) {
      const nc = this.#o.link.connection;
      if (nc === undefined || !this.#o.link.connected) {
        await this.#sleep(200);
        continue;
      }
      try {
        const jsm = await jetstreamManager(nc);
        await ensureRecordStream(jsm, s.stream);
        const durable = await ensureWriterConsumer(jsm, s.stream.name, {
          prefix: s.writer["durable-prefix"],
          interfaceName: this.#o.interfaceName,
          ackWaitMs: s.writer["ack-wait"],
          replicas: s.stream.replicas,
        });
        return await jetstream(nc).consumers.get(s.stream.name, durable);
      } catch (e) {
        this.#o.log?.warn("ERR_SCALE_NATS", `cannot set up the writer consumer: ${String(e)}`);
        await this.#sleep(500);
      }
    }
    return undefined;
  }

  /** {@link #consume}, started again after an unexpected failure (a writer never stops on its own). */
  async #consumeForever(files: WriterFiles): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#consume(files);
      } catch (e) {
        this.#o.log?.error("ERR_SCALE_NATS", `writer failed, restarting: ${String(e)}`);
        await this.#sleep(500);
      }
    }
  }

  async #consume(files: WriterFiles): Promise<void> {
    let consumer: Consumer | undefined;
    while (!this.#stopped) {
      consumer ??= await this.#consumer();
      if (consumer === undefined) return;
      const messages: JsMsg[] = [];
      try {
        const it = await consumer.fetch({ max_messages: this.#o.scale.writer["fetch-batch"], expires: 1000 });
        for await (const m of it) messages.push(m);
      } catch (e) {
        this.#o.log?.warn("ERR_SCALE_NATS", `fetch failed: ${String(e)}`);
        if (messages.length === 0) {
          consumer = undefined;
          await this.#sleep(250);
          continue;
        }
      }
      if (messages.length > 0) await this.#write(files, messages);
    }
  }

  async #write(files: WriterFiles, messages: JsMsg[]): Promise<void> {
    // Tell the server the group is still being worked on, so a slow disk never lets ack-wait pass and hand the
    // messages to another writer.
    const working = setInterval(
      () => {
        try {
          for (const m of messages) m.working();
        } catch {
          // connection gone: nothing to extend
        }
      },
      Math.max(250, this.#o.scale.writer["ack-wait"] / 3),
    );
    try {
      await this.#writeGroup(files, messages);
    } finally {
      clearInterval(working);
    }
  }

  async #writeGroup(files: WriterFiles, messages: JsMsg[]): Promise<void> {
    const fresh = messages.filter((m) => !this.#written.has(m.seq));
    this.counters.repeats += messages.length - fresh.length;
    const later = new Set<JsMsg>();
    for (const m of fresh) {
      // A record line takes up to about 3 times its 46 bytes in the batch: wait for the blocks in hand to be written
      // rather than drop records; still no room (memory-limit too small) → delivered again in a second.
      const need = m.data.length * 3;
      if (!files.canAccept(need)) await files.flushAll();
      if (files.canAccept(need)) this.#append(files, m);
      else later.add(m);
    }
    await files.flushAll();
    for (const m of messages) {
      try {
        if (later.has(m)) {
          m.nak(1000);
          continue;
        }
        this.#remember(m.seq);
        m.ack();
      } catch {
        // connection gone: the message comes again after ack-wait and is recognised as written
      }
    }
  }

  #append(files: WriterFiles, m: JsMsg): void {
    const st = this.status;
    const where = parseRecordSubject(m.subject);
    const input = where === undefined ? undefined : this.#inputs.byName(where.input);
    if (input === undefined) {
      this.counters.rejected++;
      st.drop("unknown");
      this.#o.log?.warn("ERR_SCALE_BATCH", `message on ${m.subject}: no such input on this interface`);
      return;
    }
    st.input.packets.add(1);
    st.input.bytes.add(m.data.length);
    const sinks = input.channels.map((ch) => files.sink(input.name, ch));
    let stored = 0;
    let refused = false;
    try {
      forEachBatchRecord(m.data, (f) => {
        if (refused) return;
        for (const s of sinks) if (!s.append(f)) refused = true;
        if (!refused) stored++;
      });
    } catch (e) {
      this.counters.rejected++;
      st.drop("notJunosFlow");
      this.#o.log?.warn("ERR_SCALE_BATCH", `message on ${m.subject}: ${String(e)}`);
      return;
    }
    if (refused) st.drop("noMemory");
    const counters = st.inputs[input.index];
    counters.packets++;
    counters.bytes += m.data.length;
    counters.flows += stored;
    st.input.flowRecords.add(stored);
    this.counters.messages++;
    this.counters.records += stored;
  }

  #remember(seq: number): void {
    this.#written.add(seq);
    if (this.#written.size > REMEMBERED) {
      const oldest = this.#written.values().next().value;
      if (oldest !== undefined) this.#written.delete(oldest);
    }
  }
}
