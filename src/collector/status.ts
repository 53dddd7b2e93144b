/**
 * The collector's status as plain data: what the admin API returns (`GET /api/v1/interfaces`...), what the operational
 * commands print in the spec's layouts (flow-collector.txt, "Verifying Your Work") and what `/metrics` exports. Every
 * figure of the spec's `show services flow-collector` outputs has a field here; names follow the printed labels.
 */
import type { RateValue } from "./rate-counter.ts";

/** The spec's "Interface state" values. */
export type InterfaceState = "Collecting flows" | "Starting" | "Stopping" | "Not collecting";

/**
 * Packet drop counters under the spec's names. For a UDP collector (docs/collector.md):
 * `noMemory` memory limit reached; `tooSmall` datagram shorter than its header or declared records; `notJunosFlow`
 * not a valid v5/v8 export (bad version, count above the maximum, unknown v8 aggregation); `unknown` from an exporter
 * (or engine) that matches no configured input; `notIp`, `notIpv4`, `fragments`, `icmp`, `tcp` are counted where the
 * kernel hands such traffic to a UDP socket (it does not: they stay 0 and are kept for the layout).
 */
export interface PacketDrops {
  noMemory: number;
  notIp: number;
  notIpv4: number;
  tooSmall: number;
  fragments: number;
  icmp: number;
  tcp: number;
  unknown: number;
  notJunosFlow: number;
}

/** Which server of a channel is in use. */
export type ServerRole = "primary" | "secondary";

/** A server's state as printed: `OK`, `Failed` (its last transfer failed) or `Not configured`. */
export type ServerState = "OK" | "Failed" | "Not configured";

/** One export channel (0 or 1). */
export interface ExportChannelStatus {
  channel: 0 | 1;
  /** Printed as `Current server: Primary|Secondary`. */
  currentServer: ServerRole;
  primaryState: ServerState;
  secondaryState: ServerState;
  /** Primary and secondary URLs without passwords. */
  primaryUrl: string;
  secondaryUrl: string | null;
  /** Files waiting for transfer on this channel. */
  queuedFiles: number;
}

/** File states (`show services flow-collector file ... State:`). */
export type FileState = "Active" | "Queued" | "Transferring" | "Exported" | "Failed";

/** One record file, active or closed and not yet exported (or kept after failing). */
export interface FileStatus {
  name: string;
  /** Collector input (e.g. `mo-7/1/0.0`) and export channel the file belongs to. */
  input: string;
  channel: 0 | 1;
  state: FileState;
  /** Flow records, with rates while active. */
  records: RateValue;
  uncompressedBytes: RateValue;
  compressedBytes: RateValue;
  /** gzip members written so far ("Compressed blocks") and blocks allocated to the file ("Block count"). */
  compressedBlocks: number;
  blockCount: number;
  transferAttempts: number;
}

/** Per-input figures (`show services flow-collector input interface X`), with the sequence state of its exporter(s). */
export interface InputStatus {
  /** Input name, e.g. `mo-7/1/0.0`. */
  name: string;
  exporter: string;
  packets: number;
  bytes: number;
  flows: number;
  sequence: { inOrder: number; lost: number; outOfOrder: number; resets: number };
}

/** Everything about one collector interface. */
export interface InterfaceStatus {
  name: string;
  state: InterfaceState;
  /** Listening sockets with the receive buffer the kernel granted, bytes. */
  listeners: { address: string; receiveBuffer: number }[];
  memory: { used: number; free: number };
  input: { packets: RateValue; bytes: RateValue; flowRecords: RateValue };
  allocation: { blocksAllocated: RateValue; blocksFreed: RateValue; blocksUnavailable: RateValue };
  files: { created: RateValue; exported: RateValue; destroyed: RateValue };
  throughput: { uncompressedBytes: RateValue; compressedBytes: RateValue };
  drops: PacketDrops;
  /** Bytes and files sent to servers (FTP or file://), and failed attempts. */
  fileTransfer: { ftpBytes: RateValue; ftpFiles: RateValue; ftpFailure: number };
  /** Disk errors (full disk, permission) while writing record files; the records involved are counted as "No memory". */
  diskErrors: number;
  exportChannels: ExportChannelStatus[];
  inputs: InputStatus[];
}
