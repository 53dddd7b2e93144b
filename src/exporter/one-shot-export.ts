/**
 * One-shot export (`flowlens export --pcap FILE --to HOST:PORT`): the configured captures are read as fast as possible
 * on their own clock (timeouts, periods and pacing follow the packet timestamps, so the same capture gives the same
 * datagrams every time), every flow still in the cache is ended at the last packet, and everything queued is sent with
 * the header times it would have had (each datagram's due time on the capture's clock). Sends are not delayed in real
 * time beyond the send queue's token bucket (`sendRate`, default 10 000 datagrams per second), which keeps a local
 * receiver's socket buffer from overflowing. Resolves with the final counters.
 */
import type { Logger } from "../runtime/logger.ts";
import type { ExporterConfig } from "./config.ts";
import { ExporterEngine } from "./exporter-engine.ts";
import type { ExporterStatus } from "./exporter-status.ts";

/** Options of {@link runOneShotExport}. */
export interface OneShotExportOptions {
  /** Most datagrams sent per second, 0 = no limit (default 10 000). */
  sendRate?: number;
  /** Local-dump file instead of `traceoptions`'s. */
  localDumpPath?: string;
  logger?: Logger;
}

/**
 * Exports every source of `config` once and returns the counters; a source that fails is reported in
 * `sources[i].state === "failed"` with its error, after what was read before the fault has been exported.
 * @throws what opening the engine throws (route record, export targets, dump file).
 */
export async function runOneShotExport(
  config: ExporterConfig,
  options: OneShotExportOptions = {},
): Promise<ExporterStatus> {
  const engine = await ExporterEngine.open(config, options);
  try {
    engine.start(await engine.startTime());
    await engine.readSources(undefined, false);
    await engine.finish("due");
    return engine.status();
  } finally {
    await engine.close();
  }
}
