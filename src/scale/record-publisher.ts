/**
 * Publishes the receiver's record messages to JetStream, each with its `Nats-Msg-Id`, keeping at most
 * `publish-window` publishes awaiting their acknowledgement. A message goes to the disk buffer ({@link SpoolBuffer})
 * instead when NATS is not connected, when the window is full, when its publish fails or times out, or while the buffer
 * still holds older messages (so the buffer drains in order). A drain loop publishes the buffer's oldest segment while
 * NATS is connected and deletes it once every message of it was acknowledged; a failed segment is tried again whole
 * (its repeats are dropped by the stream as duplicates). When the buffer is full the message's records are dropped and
 * counted ({@link RecordPublisherCounters.droppedRecords}).
 */
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import type { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { NatsLink } from "./nats-link.ts";
import type { SpoolBuffer, SpooledMessage } from "./spool-buffer.ts";

/** Counters of a {@link RecordPublisher} (totals since start). */
export interface RecordPublisherCounters {
  /** Messages and records the stream acknowledged (duplicates included). */
  publishedMessages: number;
  publishedRecords: number;
  /** Acknowledgements that said "duplicate": a retried publish the stream had already stored. */
  duplicateMessages: number;
  /** Messages and records written to the disk buffer. */
  bufferedMessages: number;
  bufferedRecords: number;
  /** Records lost because the disk buffer was full (or could not be written). */
  droppedRecords: number;
  /** Publishes that failed or timed out (their messages went to the buffer). */
  publishFailures: number;
}

/** Options of {@link RecordPublisher}. */
export interface RecordPublisherOptions {
  link: NatsLink;
  spool: SpoolBuffer;
  /** Publishes in flight at most. */
  window: number;
  /** Wait for one acknowledgement, ms. */
  timeoutMs: number;
  /** Resolves when the stream exists (publishing waits for it). */
  streamReady: () => boolean;
  /** Wait before a failed buffer segment is tried again, ms (default 250). */
  retryDelayMs?: number;
  log?: RateLimitedLog;
}

/** See the module comment. */
export class RecordPublisher {
  readonly counters: RecordPublisherCounters = {
    publishedMessages: 0,
    publishedRecords: 0,
    duplicateMessages: 0,
    bufferedMessages: 0,
    bufferedRecords: 0,
    droppedRecords: 0,
    publishFailures: 0,
  };
  readonly #o: RecordPublisherOptions;
  #inflight = 0;
  #settled: (() => void)[] = [];
  #draining: Promise<void> | undefined;
  #js: { nc: unknown; js: JetStreamClient } | undefined;
  #closed = false;

  constructor(options: RecordPublisherOptions) {
    this.#o = options;
    if (!options.spool.empty) this.#kick();
  }

  /** Publishes in flight now. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Bytes waiting in the disk buffer. */
  get bufferedBytes(): number {
    return this.#o.spool.bytes;
  }

  /** Publishes one message, or buffers it; never throws. */
  publish(m: SpooledMessage): void {
    const js = this.#client();
    if (this.#closed || js === undefined || !this.#o.spool.empty || this.#inflight >= this.#o.window) {
      this.#buffer(m);
      return;
    }
    this.#inflight++;
    js.publish(m.subject, m.payload, { msgID: m.id, timeout: this.#o.timeoutMs })
      .then(
        (ack) => this.#acked(m, ack.duplicate),
        (e) => {
          this.#o.log?.warn("ERR_SCALE_NATS", `publish failed, message buffered on disk: ${String(e)}`);
          this.counters.publishFailures++;
          this.#buffer(m);
        },
      )
      .finally(() => {
        this.#inflight--;
        if (this.#inflight === 0) for (const s of this.#settled.splice(0)) s();
      });
  }

  /**
   * Waits for the publishes in flight and, while NATS is connected, for the buffer to drain, at most until `signal`
   * aborts; then stops publishing (what is left stays in the buffer for the next start).
   */
  async close(signal: AbortSignal): Promise<void> {
    const aborted = new Promise<void>((r) => {
      if (signal.aborted) r();
      else signal.addEventListener("abort", () => r(), { once: true });
    });
    const idle = async () => {
      while (this.#inflight > 0) await new Promise<void>((r) => this.#settled.push(r));
      while (!this.#o.spool.empty && this.#o.link.connected && !signal.aborted) {
        this.#kick();
        await this.#draining;
        await new Promise((r) => setTimeout(r, 50)); // let timers run (a drain may end at once, stream not ready)
      }
    };
    await Promise.race([idle(), aborted]);
    this.#closed = true;
    await Promise.race([this.#draining, aborted]);
    this.#o.spool.close();
  }

  #client(): JetStreamClient | undefined {
    const nc = this.#o.link.connection;
    if (nc === undefined || !this.#o.link.connected || !this.#o.streamReady()) return undefined;
    if (this.#js?.nc !== nc) this.#js = { nc, js: jetstream(nc) };
    return this.#js.js;
  }

  #acked(m: SpooledMessage, duplicate: boolean): void {
    this.counters.publishedMessages++;
    this.counters.publishedRecords += m.records;
    if (duplicate) this.counters.duplicateMessages++;
  }

  #buffer(m: SpooledMessage): void {
    let kept = false;
    try {
      kept = this.#o.spool.append(m);
    } catch (e) {
      this.#o.log?.error("ERR_SCALE_SPOOL", String(e));
    }
    if (!kept) {
      this.counters.droppedRecords += m.records;
      this.#o.log?.warn("ERR_SCALE_BUFFER_FULL", `disk buffer full: ${m.records} records dropped`);
      return;
    }
    this.counters.bufferedMessages++;
    this.counters.bufferedRecords += m.records;
    this.#kick();
  }

  #kick(): void {
    this.#draining ??= this.#drain()
      .catch((e: unknown) => this.#o.log?.error("ERR_SCALE_SPOOL", `draining the disk buffer failed: ${String(e)}`))
      .finally(() => {
        this.#draining = undefined;
        if (!this.#closed && !this.#o.spool.empty) setTimeout(() => this.#kick(), this.#o.retryDelayMs ?? 250).unref();
      });
  }

  async #drain(): Promise<void> {
    const spool = this.#o.spool;
    while (!this.#closed && !spool.empty) {
      const js = this.#client();
      if (js === undefined) return; // retried by the timer in #kick
      const segment = spool.take();
      if (segment === undefined) return;
      if (!(await this.#publishAll(js, segment.messages))) return;
      spool.release(segment);
    }
  }

  /** Publishes `messages` with the window; true when every one was acknowledged. */
  async #publishAll(
    js: JetStreamClient,
    messages: readonly { subject: string; id: string; records: number; payload: Uint8Array }[],
  ): Promise<boolean> {
    let next = 0;
    let ok = true;
    const worker = async () => {
      while (ok && next < messages.length) {
        const m = messages[next++];
        try {
          const ack = await js.publish(m.subject, m.payload, { msgID: m.id, timeout: this.#o.timeoutMs });
          this.#acked(m, ack.duplicate);
        } catch (e) {
          ok = false;
          this.counters.publishFailures++;
          this.#o.log?.warn("ERR_SCALE_NATS", `buffered publish failed, retrying: ${String(e)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.window, messages.length) }, worker));
    return ok;
  }
}
