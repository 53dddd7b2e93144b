/**
 * The interfaces between the collector's parts, so each can be built and tested alone:
 *
 * ```
 * receive/ (UDP → decode → input → records) ──append──▶ record-files/ (blocks, gzip members, rotation)
 *                                                          │ onClosed(ClosedRecordFile)
 *                                                          ▼
 *                                        shipping/ (export channels: upload, retry, failover, transfer log)
 * collector.ts wires them per collector interface; admin/ serves CollectorControl over HTTP; cli/ prints it.
 * ```
 */
import type { CollectorFlowFields } from "../wire/collector-record.ts";
import type { ExportChannelStatus, FileStatus, InterfaceStatus, ServerRole } from "./status.ts";

/** Milliseconds since the epoch; injected so tests can drive time. */
export type Clock = () => number;

/**
 * Memory accounting of one collector interface (`memory-limit`): bytes held by blocks waiting to be compressed and
 * written. A part that cannot reserve what it needs drops its work and counts it ("No memory", "Blocks unavailable").
 */
export interface MemoryBudget {
  readonly limit: number;
  readonly used: number;
  /** Reserves `bytes` if they fit under the limit; false (nothing reserved) otherwise. */
  tryReserve(bytes: number): boolean;
  release(bytes: number): void;
}

/** A record file that was closed (rotated) and now waits in the spool for its export channel. */
export interface ClosedRecordFile {
  /** Absolute path of the closed file (its final name) in the spool directory. */
  path: string;
  /** The file name (`cFlowd-...bcp.bi.gz`), also the remote name. */
  name: string;
  interfaceName: string;
  /** Collector input the records came from, and the export channel the file belongs to. */
  input: string;
  channel: 0 | 1;
  records: number;
  uncompressedBytes: number;
  /** The file's size: its gzip members. */
  compressedBytes: number;
  compressedBlocks: number;
  createdAtMs: number;
  closedAtMs: number;
}

/** Where the records of one (input, channel) pair go: the active record file of that pair. */
export interface RecordSink {
  /**
   * Appends one record (its per-flow fields; the file supplies linkDir, analyzer and ifAlias). Returns false when the
   * record could not be kept because the memory budget is exhausted; the caller counts the drop.
   */
  append(flow: CollectorFlowFields): boolean;
}

/** What the receiving side needs of the record files of one collector interface. */
export interface RecordFileSink {
  /** The sink of `input` for `channel`; files are opened lazily on the first record. */
  sink(input: string, channel: 0 | 1): RecordSink;
  /** Whether about `bytes` more can be buffered now (checked before a datagram is decoded). */
  canAccept(bytes: number): boolean;
}

/** Result of one transfer attempt, as the transfer log records it. */
export interface TransferResult {
  ok: boolean;
  /** FTP reply code (226/250 success, 4xx/5xx failure; 0 when no reply was had, e.g. connection refused). file:// uses 250 or 550. */
  code: number;
  /** Error text ("" on success). */
  message: string;
  /** Bytes sent. */
  bytes: number;
  /** Duration of the attempt, ms. */
  ms: number;
}

/** Options of `request services flow-collector change-destination`. */
export interface ChangeDestinationOptions {
  /** Switch at once, aborting a transfer in progress (default: gracefully, after the current transfer). */
  immediately?: boolean;
  /** Purge the files waiting for transfer. */
  clearFiles?: boolean;
  /** Purge the transfer logs. */
  clearLogs?: boolean;
}

/** The spec's answer lines of a request command ("Destination change successful", ...). */
export interface RequestOutcome {
  /** One of the spec's messages. */
  message: string;
  /** True when the request was refused ("Destination change not needed", "Destination not configured"). */
  refused: boolean;
}

/** What the admin API and the operational commands need from a running collector. */
export interface CollectorControl {
  /** All interfaces, or the named one (throws {@link UnknownInterfaceError} for an unknown name). */
  interfaces(name?: string): InterfaceStatus[];
  files(interfaceName: string): FileStatus[];
  channels(interfaceName: string): ExportChannelStatus[];
  clearStatistics(interfaceName: string | "all"): void;
  changeDestination(interfaceName: string, role: ServerRole, options: ChangeDestinationOptions): RequestOutcome;
  testFileTransfer(interfaceName: string, fileName: string, channel: 0 | 1, role: ServerRole): RequestOutcome;
}

/** A request named a collector interface that is not configured. */
export class UnknownInterfaceError extends Error {
  readonly code = "ERR_UNKNOWN_INTERFACE";
  constructor(name: string) {
    super(`no such flow collector interface: ${name}`);
    this.name = "UnknownInterfaceError";
  }
}
