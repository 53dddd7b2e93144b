/**
 * A {@link CollectorControl} over plain data, for the admin API, `/metrics` and operational command tests. Its figures
 * are the spec's own (flow-collector.txt, "Verifying Your Work"): cp-6/0/0 as `show services flow-collector interface
 * cp-6/0/0 extensive` shows it, with input mo-7/1/0.0 and the file cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz;
 * cp-7/0/0 idle, without a secondary server on channel 0.
 */
import {
  type ChangeDestinationOptions,
  type CollectorControl,
  type RequestOutcome,
  UnknownInterfaceError,
} from "../../src/collector/contracts.ts";
import type { RateValue } from "../../src/collector/rate-counter.ts";
import { zeroDrops } from "../../src/collector/receive/receiver-status.ts";
import type {
  ExportChannelStatus,
  FileStatus,
  InterfaceStatus,
  PacketDrops,
  ServerRole,
} from "../../src/collector/status.ts";

/** A rate figure. */
export function rate(total: number, perSecond = 0, peakPerSecond = 0): RateValue {
  return { total, perSecond, peakPerSecond };
}

/** All drop counters at zero, with `overrides`. */
export function drops(overrides: Partial<PacketDrops> = {}): PacketDrops {
  return { ...zeroDrops(), ...overrides };
}

/** An export channel on the secondary server with both servers OK (the spec's). */
export function channel(n: 0 | 1, overrides: Partial<ExportChannelStatus> = {}): ExportChannelStatus {
  return {
    channel: n,
    currentServer: "secondary",
    primaryState: "OK",
    secondaryState: "OK",
    primaryUrl: "ftp://flow@127.0.0.1/in/",
    secondaryUrl: "ftp://flow@127.0.0.2/in/",
    queuedFiles: 0,
    ...overrides,
  };
}

/** cp-6/0/0 with the figures of the spec's `extensive` output. */
export function specExtensiveInterface(): InterfaceStatus {
  return {
    name: "cp-6/0/0",
    state: "Collecting flows",
    listeners: [{ address: "127.0.0.1:2055", receiveBuffer: 4194304 }],
    memory: { used: 19593212, free: 479528656 },
    input: { packets: rate(6658), bytes: rate(9647752, 12655, 14311), flowRecords: rate(193782, 252, 287) },
    allocation: { blocksAllocated: rate(174), blocksFreed: rate(0), blocksUnavailable: rate(0) },
    files: { created: rate(1), exported: rate(0), destroyed: rate(0) },
    throughput: { uncompressedBytes: rate(21075152, 52032, 156172), compressedBytes: rate(3079713, 7618, 22999) },
    drops: drops(),
    fileTransfer: { ftpBytes: rate(0), ftpFiles: rate(0), ftpFailure: 0 },
    diskErrors: 0,
    exportChannels: [channel(0), channel(1)],
    inputs: [
      {
        name: "mo-7/1/0.0",
        exporter: "192.0.2.1",
        packets: 6260,
        bytes: 9074096,
        flows: 187067,
        sequence: { inOrder: 6259, lost: 0, outOfOrder: 0, resets: 1 },
      },
    ],
  };
}

/** An idle interface: every figure zero. */
export function idleInterface(name: string, exportChannels: ExportChannelStatus[] = [channel(0)]): InterfaceStatus {
  return {
    name,
    state: "Collecting flows",
    listeners: [],
    memory: { used: 0, free: 536870912 },
    input: { packets: rate(0), bytes: rate(0), flowRecords: rate(0) },
    allocation: { blocksAllocated: rate(0), blocksFreed: rate(0), blocksUnavailable: rate(0) },
    files: { created: rate(0), exported: rate(0), destroyed: rate(0) },
    throughput: { uncompressedBytes: rate(0), compressedBytes: rate(0) },
    drops: drops(),
    fileTransfer: { ftpBytes: rate(0), ftpFiles: rate(0), ftpFailure: 0 },
    diskErrors: 0,
    exportChannels,
    inputs: [],
  };
}

/** The spec's file, with the figures of its `extensive` output. */
export function specFile(): FileStatus {
  return {
    name: "cFlowd-py69Ni69-0-20031112_014301-so_3_0_0_0.bcp.bi.gz",
    input: "mo-7/1/0.0",
    channel: 0,
    state: "Active",
    records: rate(188365, 238, 287),
    uncompressedBytes: rate(21267756, 27007, 32526),
    compressedBytes: rate(2965643, 0, 22999),
    compressedBlocks: 156,
    blockCount: 156,
    transferAttempts: 0,
  };
}

/** One call of a request method, as recorded. */
export type RecordedCall =
  | { method: "clearStatistics"; interfaceName: string }
  | { method: "changeDestination"; interfaceName: string; role: ServerRole; options: ChangeDestinationOptions }
  | { method: "testFileTransfer"; interfaceName: string; fileName: string; channel: 0 | 1; role: ServerRole };

/** The fake: interfaces and files as data, requests recorded in `calls`, destination changes applied. */
export class FakeCollectorControl implements CollectorControl {
  readonly calls: RecordedCall[] = [];
  readonly status: InterfaceStatus[];
  readonly fileMap: Map<string, FileStatus[]>;

  constructor(
    status: InterfaceStatus[] = [
      specExtensiveInterface(),
      idleInterface("cp-7/0/0", [
        channel(0, { currentServer: "primary", secondaryState: "Not configured", secondaryUrl: null }),
      ]),
    ],
    files: Record<string, FileStatus[]> = { "cp-6/0/0": [specFile()] },
  ) {
    this.status = status;
    this.fileMap = new Map(Object.entries(files));
  }

  private find(name: string): InterfaceStatus {
    const s = this.status.find((i) => i.name === name);
    if (s === undefined) throw new UnknownInterfaceError(name);
    return s;
  }

  interfaces(name?: string): InterfaceStatus[] {
    return name === undefined ? structuredClone(this.status) : [structuredClone(this.find(name))];
  }

  files(interfaceName: string): FileStatus[] {
    this.find(interfaceName);
    return structuredClone(this.fileMap.get(interfaceName) ?? []);
  }

  channels(interfaceName: string): ExportChannelStatus[] {
    return structuredClone(this.find(interfaceName).exportChannels);
  }

  clearStatistics(interfaceName: string): void {
    if (interfaceName !== "all") this.find(interfaceName);
    this.calls.push({ method: "clearStatistics", interfaceName });
    for (const s of this.status) {
      if (interfaceName === "all" || s.name === interfaceName) {
        const zero = idleInterface(s.name, s.exportChannels);
        Object.assign(s, { ...zero, inputs: s.inputs.map((i) => ({ ...i, packets: 0, bytes: 0, flows: 0 })) });
      }
    }
  }

  changeDestination(interfaceName: string, role: ServerRole, options: ChangeDestinationOptions): RequestOutcome {
    const s = this.find(interfaceName);
    this.calls.push({ method: "changeDestination", interfaceName, role, options });
    if (role === "secondary" && s.exportChannels.some((c) => c.secondaryState === "Not configured")) {
      return { message: "Destination not configured", refused: true };
    }
    if (s.exportChannels.every((c) => c.currentServer === role)) {
      return { message: "Destination change not needed", refused: true };
    }
    for (const c of s.exportChannels) c.currentServer = role;
    return { message: "Destination change successful", refused: false };
  }

  testFileTransfer(interfaceName: string, fileName: string, channel: 0 | 1, role: ServerRole): RequestOutcome {
    this.find(interfaceName);
    this.calls.push({ method: "testFileTransfer", interfaceName, fileName, channel, role });
    return { message: "Test file transfer successfully scheduled", refused: false };
  }
}
