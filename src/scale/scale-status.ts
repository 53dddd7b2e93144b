/**
 * The scale-out figures of a collector process, served as `GET /api/v1/scale-out` on the admin API and as
 * `flowlens_collector_jetstream_*` on `/metrics` (read at scrape time):
 *
 * | metric | what |
 * | --- | --- |
 * | `flowlens_collector_jetstream_connected` | 1 while connected to NATS |
 * | `flowlens_collector_jetstream_published_records_total` / `_messages_total` | acknowledged by the stream (receiver) |
 * | `flowlens_collector_jetstream_duplicate_messages_total` | retried publishes the stream dropped as duplicates |
 * | `flowlens_collector_jetstream_buffered_records_total` | records written to the disk buffer |
 * | `flowlens_collector_jetstream_buffer_bytes` | bytes waiting in the disk buffer |
 * | `flowlens_collector_jetstream_dropped_records_total` | records lost because the disk buffer was full |
 * | `flowlens_collector_jetstream_written_records_total` / `_repeated_messages_total` | written by a writer / repeats skipped |
 */
import type { HttpServer } from "../runtime/http.ts";
import type { Metrics } from "../runtime/metrics.ts";
import type { RecordPublisherCounters } from "./record-publisher.ts";
import { scrapedCounter, scrapedGauge } from "./scraped-metrics.ts";

/** The scale-out status of one collector process. */
export interface ScaleOutStatus {
  role: "all" | "receiver" | "writer";
  connected: boolean;
  /** Receiver role: publishing and the disk buffer. */
  publisher?: RecordPublisherCounters & {
    /** Bytes waiting in the disk buffer, and its limit. */
    bufferBytes: number;
    bufferLimit: number;
    /** Publishes awaiting their acknowledgement. */
    inflight: number;
  };
  /**
   * A receiver worker of `scale-out.processes` (src/scale/receiver-cluster.ts): its index (0 to `processes - 1`) and
   * the number of workers; its per-input sequence figures are not tracked (zero).
   */
  worker?: { index: number; processes: number };
  /** Writer role: per interface. */
  writers?: { interface: string; messages: number; records: number; repeats: number; rejected: number }[];
}

/** Admin API path of the scale-out status. */
export const SCALE_OUT_ROUTE = "/api/v1/scale-out";

/** Adds `GET /api/v1/scale-out` (answers {@link ScaleOutStatus}) and the metrics of the module comment. */
export function registerScaleOutStatus(http: HttpServer, metrics: Metrics, status: () => ScaleOutStatus): void {
  http.app.get(SCALE_OUT_ROUTE, async () => status());
  const counter = (name: string, help: string, pick: (s: ScaleOutStatus) => number | undefined) =>
    scrapedCounter(metrics, `collector_jetstream_${name}_total`, help, () => pick(status()));
  scrapedGauge(metrics, "collector_jetstream_connected", "1 while connected to NATS", () =>
    status().connected ? 1 : 0,
  );
  scrapedGauge(
    metrics,
    "collector_jetstream_buffer_bytes",
    "Bytes waiting in the receiver's disk buffer",
    () => status().publisher?.bufferBytes,
  );
  counter("published_messages", "Messages the stream acknowledged", (s) => s.publisher?.publishedMessages);
  counter("published_records", "Records the stream acknowledged", (s) => s.publisher?.publishedRecords);
  counter("duplicate_messages", "Retried publishes dropped as duplicates", (s) => s.publisher?.duplicateMessages);
  counter("buffered_records", "Records written to the disk buffer", (s) => s.publisher?.bufferedRecords);
  counter("dropped_records", "Records dropped: disk buffer full", (s) => s.publisher?.droppedRecords);
  const sum = (s: ScaleOutStatus, k: "records" | "repeats") => s.writers?.reduce((a, w) => a + w[k], 0);
  counter("written_records", "Records written to record files by this writer", (s) => sum(s, "records"));
  counter("repeated_messages", "Redelivered messages already written", (s) => sum(s, "repeats"));
}
