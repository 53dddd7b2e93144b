/**
 * The types of an export channel (export-channel.ts): its options, counters and the per-file view that
 * `show services flow-collector file` prints.
 */
import type { Logger } from "../../runtime/logger.ts";
import type { ExportChannelConfig } from "../config.ts";
import type { ClosedRecordFile, Clock } from "../contracts.ts";
import type { RateCounter } from "../rate-counter.ts";
import type { Destination, DestinationOptions } from "./destination.ts";
import type { Sleep } from "./sleep.ts";
import type { TransferLogSink } from "./transfer-log.ts";

/** State of a file in the channel's queue (`show services flow-collector file ... State:`). */
export type QueuedFileState = "Queued" | "Transferring" | "Failed";

/** A file waiting in the channel, for `show services flow-collector file`. */
export interface QueuedFileStatus {
  file: ClosedRecordFile;
  /** `Failed`: its last attempt failed and it waits for the next one. */
  state: QueuedFileState;
  /** Attempts made so far, on any server. */
  transferAttempts: number;
}

/** Counters of one channel (the interface's "File Transfer" and "Files" figures add the two channels). */
export interface ExportChannelCounters {
  /** Bytes of files confirmed at a server. */
  ftpBytes: RateCounter;
  /** Files confirmed at a server. */
  ftpFiles: RateCounter;
  /** Failed attempts (an attempt aborted by change-destination or drain is not a failure). */
  ftpFailure: number;
  /** Files exported (confirmed, then deleted from the spool). */
  filesExported: RateCounter;
  /** Files deleted without a transfer (clear-files, or gone from the spool). */
  filesDestroyed: RateCounter;
}

/** Options of {@link ExportChannel}. */
export interface ExportChannelOptions {
  interfaceName: string;
  channel: 0 | 1;
  config: ExportChannelConfig;
  transferLog: TransferLogSink;
  /** Directory for the files of test-file-transfer (e.g. `<spool>/<interface>/test`). */
  testFileDirectory: string;
  /** Destinations overriding the ones built from `config` (tests). */
  primary?: Destination;
  secondary?: Destination;
  destinationOptions?: DestinationOptions;
  /** Wall clock for transfer-log timestamps and counters, ms since the epoch (default `Date.now`). */
  clock?: Clock;
  /** The retry-delay wait (default a real timer). */
  sleep?: Sleep;
  logger?: Logger;
  /** Called after a file was confirmed and deleted from the spool. */
  onExported?: (file: ClosedRecordFile, bytes: number) => void;
  /** Called after a file was deleted without a transfer. */
  onDestroyed?: (file: ClosedRecordFile) => void;
}
