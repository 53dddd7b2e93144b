/**
 * One running collector interface (`cp-6/0/0`): its record files, its receive path and its export channels, wired as
 * contracts.ts describes, and the status the operational commands print assembled from the three.
 */
import { join } from "node:path";
import type { Logger } from "../runtime/logger.ts";
import { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { CollectorInterfaceConfig } from "./config.ts";
import type { ChangeDestinationOptions, ClosedRecordFile, Clock, RequestOutcome } from "./contracts.ts";
import { RecordFileSet } from "./record-files/record-file-set.ts";
import { interfaceSpoolDirectory } from "./record-files/spool-layout.ts";
import { Receiver, type ReceiverOptions } from "./receive/receiver.ts";
import { zeroDrops } from "./receive/receiver-status.ts";
import { ExportChannel } from "./shipping/export-channel.ts";
import type { TransferLogSink } from "./shipping/transfer-log.ts";
import type { ExportChannelStatus, FileStatus, InterfaceStatus, ServerRole } from "./status.ts";

/** What the runtime uses of its receive path (a {@link Receiver}, or a scale-out role's stand-in: scale-role.ts). */
export type ReceiverPart = Pick<Receiver, "tick" | "clear" | "snapshot" | "close">;

/** Starts an interface's receive path. */
export type StartReceiver = (options: ReceiverOptions) => Promise<ReceiverPart>;

/** What an interface needs from the collector around it. */
export interface InterfaceRuntimeOptions {
  name: string;
  config: CollectorInterfaceConfig;
  spoolDirectory: string;
  transferLog: TransferLogSink;
  clock: Clock;
  logger: Logger;
  /** The receive path (default {@link Receiver.start}: UDP into the record files). */
  startReceiver?: StartReceiver;
}

const ZERO_RATE = { total: 0, perSecond: 0, peakPerSecond: 0 };

function sumRates(values: { total: number; perSecond: number; peakPerSecond: number }[]) {
  return values.reduce(
    (a, v) => ({
      total: a.total + v.total,
      perSecond: a.perSecond + v.perSecond,
      peakPerSecond: a.peakPerSecond + v.peakPerSecond,
    }),
    ZERO_RATE,
  );
}

/** A collector interface with its parts running. */
export class InterfaceRuntime {
  readonly name: string;
  readonly files: RecordFileSet;
  readonly channels = new Map<0 | 1, ExportChannel>();
  #receiver: ReceiverPart | undefined;
  #stopping = false;
  readonly #clock: Clock;
  readonly #startReceiver: StartReceiver;

  constructor(options: InterfaceRuntimeOptions) {
    const { name, config, clock, logger } = options;
    this.name = name;
    this.#clock = clock;
    this.#startReceiver = options.startReceiver ?? ((o) => Receiver.start(o));
    const spool = interfaceSpoolDirectory(options.spoolDirectory, name);
    for (const ch of [0, 1] as const) {
      const channelConfig = config["export-channels"][String(ch) as "0" | "1"];
      if (channelConfig === undefined) continue;
      this.channels.set(
        ch,
        new ExportChannel({
          interfaceName: name,
          channel: ch,
          config: channelConfig,
          transferLog: options.transferLog,
          testFileDirectory: join(spool, "test-files"),
          clock,
          logger: logger.child({ component: "export-channel", interface: name, channel: ch }),
        }),
      );
    }
    this.files = new RecordFileSet({
      interfaceName: name,
      config,
      spoolDirectory: options.spoolDirectory,
      clock,
      logger,
      onClosed: (file) => this.enqueue(file),
    });
  }

  /** Hands a closed file to its channel's queue (files of an unconfigured channel stay in the spool, logged by the caller). */
  enqueue(file: ClosedRecordFile): boolean {
    const channel = this.channels.get(file.channel);
    if (channel === undefined) return false;
    channel.enqueue(file);
    return true;
  }

  /** Starts the export channels, then binds the listeners. */
  async start(config: CollectorInterfaceConfig, logger: Logger): Promise<void> {
    for (const channel of this.channels.values()) channel.start();
    this.#receiver = await this.#startReceiver({
      config,
      files: this.files,
      clock: this.#clock,
      log: new RateLimitedLog(logger.child({ component: "receiver", interface: this.name })),
    });
  }

  /** About once a second: rates, rotation by age. */
  tick(nowMs: number): void {
    this.#receiver?.tick(nowMs);
    this.files.tick(nowMs);
    for (const channel of this.channels.values()) channel.tick(nowMs);
  }

  /** Closes blocks that have waited long enough, so a crash loses little (called every few seconds). */
  flush(): Promise<void> {
    return this.files.flushAll();
  }

  /** SIGTERM: stop receiving, close every file (queuing it), then finish or abandon transfers by `signal`. */
  async stop(signal: AbortSignal): Promise<void> {
    this.#stopping = true;
    await this.#receiver?.close();
    await this.files.close();
    await Promise.all([...this.channels.values()].map((c) => c.drain(signal)));
  }

  clearStatistics(nowMs: number): void {
    this.#receiver?.clear(nowMs);
    this.files.clearStatistics(nowMs);
    for (const channel of this.channels.values()) channel.clearStatistics(nowMs);
  }

  channelStatus(): ExportChannelStatus[] {
    return [...this.channels.values()].map((c) => c.status());
  }

  /** Active files, then the files waiting in the channels' queues. */
  fileStatus(): FileStatus[] {
    const out = this.files.files();
    for (const channel of this.channels.values()) {
      for (const q of channel.files()) {
        const f = q.file;
        out.push({
          name: f.name,
          input: f.input,
          channel: f.channel,
          state: q.state,
          records: { ...ZERO_RATE, total: f.records },
          uncompressedBytes: { ...ZERO_RATE, total: f.uncompressedBytes },
          compressedBytes: { ...ZERO_RATE, total: f.compressedBytes },
          compressedBlocks: f.compressedBlocks,
          blockCount: f.compressedBlocks,
          transferAttempts: q.transferAttempts,
        });
      }
    }
    return out;
  }

  /** `request ... change-destination`: applied to every configured channel; the first refusal answers when all refuse. */
  changeDestination(role: ServerRole, options: ChangeDestinationOptions): RequestOutcome {
    const outcomes = [...this.channels.values()].map((c) => c.changeDestination(role, options));
    if (outcomes.length === 0) return { message: "Destination not configured", refused: true };
    return outcomes.find((o) => !o.refused) ?? outcomes[0];
  }

  testFileTransfer(fileName: string, channel: 0 | 1, role: ServerRole): RequestOutcome {
    const c = this.channels.get(channel);
    if (c === undefined) return { message: "Destination not configured", refused: true };
    return c.testFileTransfer(fileName, role);
  }

  /** Everything `show services flow-collector interface NAME extensive` prints. */
  status(): InterfaceStatus {
    const r = this.#receiver?.snapshot();
    const f = this.files.stats();
    const counters = [...this.channels.values()].map((c) => c.counters);
    return {
      name: this.name,
      state: this.#stopping ? "Stopping" : r === undefined ? "Starting" : "Collecting flows",
      listeners: r?.listeners ?? [],
      memory: f.memory,
      input: r?.input ?? { packets: ZERO_RATE, bytes: ZERO_RATE, flowRecords: ZERO_RATE },
      allocation: f.allocation,
      files: {
        created: f.files.created,
        exported: sumRates(counters.map((c) => c.filesExported.snapshot())),
        destroyed: sumRates(counters.map((c) => c.filesDestroyed.snapshot())),
      },
      throughput: f.throughput,
      drops: r?.drops ?? zeroDrops(),
      fileTransfer: {
        ftpBytes: sumRates(counters.map((c) => c.ftpBytes.snapshot())),
        ftpFiles: sumRates(counters.map((c) => c.ftpFiles.snapshot())),
        ftpFailure: counters.reduce((a, c) => a + c.ftpFailure, 0),
      },
      diskErrors: f.diskErrors,
      exportChannels: this.channelStatus(),
      inputs: r?.inputs ?? [],
    };
  }
}
