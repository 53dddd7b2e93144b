/**
 * The exporter at work, for the daemon and the one-shot tool alike: the stages built from the configuration, the UDP
 * targets and send queue, the local dump, and the {@link ExportPipeline} driven by the capture sources and, between
 * and after them, by the wall clock.
 *
 * Timeline (docs/exporter.md, "Pipeline and timing"): a source read `as-fast-as-possible` drives time with its packet
 * timestamps, so timeouts, periods and pacing follow the capture's own clock; a `recorded` source is replayed in real
 * time. Between and after sources the timeline follows the wall clock from where the last source left it
 * ({@link ExporterEngine.follow}). A file whose first packet is older than the timeline is shifted forward to start at
 * the timeline's present (a `recorded` file always is), so time never goes back. Live interfaces (`input.interfaces`,
 * tcpdump: live-capture-source.ts) are captured after the files, by a daemon only, on the wall clock: each packet is
 * accounted at its capture time moved onto the timeline, and a capture that fails is logged and marked `failed`.
 */
import type { Logger } from "../runtime/logger.ts";
import type { CapturedPacket } from "../wire/capture-parser.ts";
import { firstPacketMs, replayCaptureFile } from "./capture-source.ts";
import { captureTimeMs } from "./capture-time.ts";
import type { ExporterConfig, LiveInterfaceConfig, PcapSourceConfig } from "./config.ts";
import { DatagramSender, UdpTarget } from "./datagram-sender.ts";
import { ExportPipeline, type FinishStamp } from "./export-pipeline.ts";
import { type ExporterStatus, type SourceStatus, statusOf } from "./exporter-status.ts";
import {
  flowCacheOf,
  hostsOf,
  liveParserOf,
  localDumpPathOf,
  parserOf,
  routeRecordOf,
  samplerOf,
} from "./exporter-setup.ts";
import type { FlowCache } from "./flow-cache.ts";
import type { HostExport } from "./host-export.ts";
import { captureLive } from "./live-capture-source.ts";
import { PacketParser } from "./packet-parser.ts";
import { LocalDumpWriter } from "./local-dump-writer.ts";
import type { RouteTable } from "./route-table.ts";
import type { Sampler } from "./sampler.ts";
import { runSimTraffic, type SimTrafficFabric } from "./sim-traffic-source.ts";
import { ExportClock, ExportOptionError } from "./v5-batcher.ts";

/** Backlog of the send queue above which reading a capture waits, and the level it waits for. */
const BACKLOG_HIGH = 4096;
const BACKLOG_LOW = 1024;

/** Options of {@link ExporterEngine.open}. */
export interface ExporterEngineOptions {
  /** Most datagrams sent per second over all hosts, 0 = no limit (default 10 000). */
  sendRate?: number;
  /** Local-dump file instead of the configured one. */
  localDumpPath?: string;
  /** Logs send failures and source errors (optional). */
  logger?: Logger;
  /** The live capture command before tcpdump's arguments (default `["tcpdump"]`; tests wrap it in `ip netns exec`). */
  captureCommand?: readonly string[];
  /** The fabric of `input.simulation` (the caller creates and closes it; without one that source fails). */
  fabric?: SimTrafficFabric;
}

const packetMs = (p: CapturedPacket): number => captureTimeMs(p.timestampNs);

/** The stages, sockets and timeline of one exporter run. */
export class ExporterEngine {
  /** The validated configuration it runs. */
  readonly config: ExporterConfig;
  /** The `input` sampler (shared by every source). */
  readonly sampler: Sampler;
  /** The flow cache. */
  readonly cache: FlowCache;
  /** The send queue of every host's socket. */
  readonly sender: DatagramSender;
  /** Progress per source, in configuration order. */
  readonly sources: SourceStatus[];
  readonly #routes: RouteTable | undefined;
  readonly #targets: UdpTarget[];
  readonly #dump: LocalDumpWriter | undefined;
  readonly #logger: Logger | undefined;
  readonly #parsers: PacketParser[] = [];
  #hosts: HostExport[] = [];
  #pipeline: ExportPipeline | undefined;
  #offset = 0;
  #timer: NodeJS.Timeout | undefined;
  #following = false;
  readonly #captureCommand: readonly string[] | undefined;
  readonly #fabric: SimTrafficFabric | undefined;
  readonly #liveAbort = new AbortController();
  #live: Promise<unknown> = Promise.resolve();

  private constructor(config: ExporterConfig, parts: Parts, options: ExporterEngineOptions) {
    this.config = config;
    this.sampler = samplerOf(config.input);
    this.cache = flowCacheOf(config);
    this.#routes = parts.routes;
    this.#targets = parts.targets;
    this.sender = parts.sender;
    this.#dump = parts.dump;
    this.#logger = options.logger;
    this.#captureCommand = options.captureCommand;
    this.#fabric = options.fabric;
    this.sources = config.input.pcap.map((s) => ({ file: s.file, pace: s.pace, state: "waiting", packets: 0 }));
    for (const i of config.input.interfaces ?? []) {
      this.sources.push({ file: typeof i === "string" ? i : i.name, pace: "live", state: "waiting", packets: 0 });
    }
    if (config.input.simulation) {
      this.sources.push({ file: "simulated fabric", pace: "simulated", state: "waiting", packets: 0 });
    }
  }

  /**
   * Loads the route record, opens one UDP socket per host and the local-dump file when a host asks for it.
   * @throws the route loader's errors, ExportTargetError `ERR_EXPORT_TARGET`, file errors of the dump.
   */
  static async open(config: ExporterConfig, options: ExporterEngineOptions = {}): Promise<ExporterEngine> {
    const routes = await routeRecordOf(config);
    const log = options.logger?.child({ component: "exporter" });
    const sender = new DatagramSender({
      ratePerSecond: options.sendRate,
      onError: (t, e) => log?.warn({ target: `${t.address}:${t.port}`, err: e.message }, "export send failed"),
    });
    const targets: UdpTarget[] = [];
    try {
      for (const h of config.output.cflowd) {
        const target = await UdpTarget.open(
          { host: h.host, port: h.port ?? 0, sourceAddress: h["source-address"] },
          (e) => log?.warn({ host: h.host, err: e.message }, "export socket error"),
        );
        targets.push(target);
      }
      const wantsDump = config.output.cflowd.some((h) => h["local-dump"]);
      const dump = wantsDump ? new LocalDumpWriter(options.localDumpPath ?? localDumpPathOf(config)) : undefined;
      return new ExporterEngine(config, { routes, targets, sender, dump }, options);
    } catch (e) {
      await Promise.all(targets.map((t) => t.close()));
      throw e;
    }
  }

  /**
   * Where the timeline starts: the first packet of the first source when it is read as fast as possible (so a
   * replay runs on the capture's clock), else the wall clock.
   */
  async startTime(): Promise<number> {
    const first = this.config.input.pcap[0];
    if (first === undefined || first.pace === "recorded") return Date.now();
    return (await firstPacketMs(first.file).catch(() => undefined)) ?? Date.now();
  }

  /** Starts the timeline, the uptime clock and the first collection period at `startMs` (epoch ms). */
  start(startMs: number): void {
    if (this.#pipeline !== undefined) throw new ExportOptionError("the exporter was already started");
    const clock = new ExportClock(startMs);
    const now = () => this.#pipeline?.nowMs ?? startMs;
    this.#hosts = hostsOf(this.config, { clock, now, sampler: this.sampler, routes: this.#routes, startMs });
    const targets = new Map(this.#hosts.map((h, i) => [h, this.#targets[i]]));
    this.#pipeline = new ExportPipeline({
      sampler: this.sampler,
      cache: this.cache,
      hosts: this.#hosts,
      clock,
      startMs,
      periodMs: this.config.output.period,
      emit: (host, d, atMs) => {
        if (host.localDump) this.#dump?.write(d.bytes, atMs, host.maskOrder);
        this.sender.add(targets.get(host)!, d.bytes);
      },
    });
  }

  /** The timeline's present, epoch ms. */
  now(): number {
    const p = this.#pipeline;
    if (p === undefined) return Date.now();
    return this.#following ? Math.max(p.nowMs, Date.now() + this.#offset) : p.nowMs;
  }

  /** Lets the timeline follow the wall clock from its present, advancing the pipeline at each event. */
  follow(): void {
    if (this.#following || this.#pipeline === undefined) return;
    this.#offset = this.#pipeline.nowMs - Date.now();
    this.#following = true;
    this.#tick();
  }

  /** Stops following the wall clock (a capture read at full speed drives the timeline). */
  unfollow(): void {
    this.#following = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick = (): void => {
    const p = this.#pipeline;
    if (!this.#following || p === undefined) return;
    p.advance(this.now());
    const wait = Math.min(1000, Math.max(1, p.nextEventMs - this.now()));
    this.#timer = setTimeout(this.#tick, wait);
    this.#timer.unref();
  };

  /**
   * Reads every configured source in order (after {@link start}); a source that fails is logged, marked `failed` and
   * the next one is read. With `follow`, the timeline follows the wall clock between sources and after the last.
   * Rejects only with an AbortError when `signal` aborts.
   */
  async readSources(signal: AbortSignal | undefined, follow: boolean): Promise<void> {
    const sources = this.config.input.pcap;
    for (let i = 0; i < sources.length; i++) {
      try {
        await this.#readSource(i, sources[i], signal, follow);
      } catch (e) {
        if (signal?.aborted) throw e;
        this.sources[i].state = "failed";
        this.sources[i].error = (e as Error).message.split("\n", 1)[0];
        this.#logger?.error({ component: "exporter", file: sources[i].file, err: this.sources[i].error }, "source");
      }
    }
    if (follow) {
      this.follow();
      this.#startLive(signal);
    }
  }

  /** Starts every live capture (after the files, on the followed wall clock); they run until finish or close. */
  #startLive(signal: AbortSignal | undefined): void {
    const pipeline = this.#pipeline;
    const live = this.config.input.interfaces ?? [];
    const sim = this.config.input.simulation;
    if (pipeline === undefined || (live.length === 0 && !sim) || signal?.aborted) return;
    signal?.addEventListener("abort", () => this.#liveAbort.abort(), { once: true });
    const first = this.config.input.pcap.length;
    const runs = live.map((source, k) => this.#capture(first + k, source, pipeline));
    if (sim) runs.push(this.#simulate(first + live.length, pipeline));
    this.#live = Promise.all(runs);
  }

  async #simulate(i: number, pipeline: ExportPipeline): Promise<void> {
    const fabric = this.#fabric;
    const parser = new PacketParser({ inputIfIndex: [], defaultInput: 0, output: 0 });
    this.#parsers.push(parser);
    const status = this.sources[i];
    if (fabric === undefined) {
      status.state = "failed";
      status.error = "input.simulation needs the simulated fabric, which flowlens exporter and flowlens up supply";
      this.#logger?.error({ component: "exporter", err: status.error }, "simulated traffic");
      return;
    }
    status.state = "reading";
    try {
      await runSimTraffic(
        fabric,
        (p, dtMs) => {
          pipeline.packet(parser, p, this.#offset + dtMs);
          status.packets++;
        },
        { signal: this.#liveAbort.signal },
      );
      status.state = "done";
    } catch (e) {
      status.state = "failed";
      status.error = (e as Error).message.split("\n", 1)[0];
      this.#logger?.error({ component: "exporter", err: status.error }, "simulated traffic");
    }
  }

  async #capture(i: number, source: LiveInterfaceConfig, pipeline: ExportPipeline): Promise<void> {
    const s = typeof source === "string" ? { name: source } : source;
    const parser = liveParserOf(this.config.input, source);
    this.#parsers.push(parser);
    const status = this.sources[i];
    try {
      await captureLive(
        {
          interfaceName: s.name,
          snaplen: "snaplen" in s ? s.snaplen : undefined,
          filter: "filter" in s ? s.filter : undefined,
          command: this.#captureCommand,
          signal: this.#liveAbort.signal,
        },
        {
          listening: () => {
            status.state = "reading";
          },
          // tcpdump stamps with the wall clock; the timeline is the wall clock plus #offset.
          packet: (p) => {
            pipeline.packet(parser, p, this.#offset);
            status.packets++;
          },
        },
      );
      status.state = "done";
    } catch (e) {
      status.state = "failed";
      status.error = (e as Error).message.split("\n", 1)[0];
      const code = (e as { code?: string }).code;
      this.#logger?.error({ component: "exporter", interface: s.name, code, err: status.error }, "live capture");
    }
  }

  async #readSource(i: number, source: PcapSourceConfig, signal: AbortSignal | undefined, follow: boolean) {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) throw new ExportOptionError("start the exporter before reading sources");
    const parser = parserOf(this.config.input, source);
    this.#parsers.push(parser);
    const status = this.sources[i];
    status.state = "reading";
    const recorded = source.pace === "recorded";
    if (recorded && follow) this.follow();
    else this.unfollow();
    let shift: number | undefined;
    const shiftOf = (p: CapturedPacket): number => {
      if (shift === undefined) {
        const first = packetMs(p);
        const now = this.now();
        shift = recorded || first < now ? now - first : 0;
      }
      return shift;
    };
    const sender = this.sender;
    await replayCaptureFile(
      source.file,
      {
        packet: (p) => {
          pipeline.packet(parser, p, shiftOf(p));
          status.packets++;
        },
        delayMs: recorded ? (p) => packetMs(p) + shiftOf(p) - this.now() : undefined,
        afterChunk: () => (sender.backlog > BACKLOG_HIGH ? sender.whenBelow(BACKLOG_LOW) : undefined),
      },
      { signal },
    );
    status.state = "done";
  }

  /**
   * Ends the run at the timeline's present: every flow ends, the period closes, everything queued is emitted (see
   * {@link ExportPipeline.finish}); then waits until the send queue is empty or `signal` aborts.
   */
  async finish(stamp: FinishStamp, signal?: AbortSignal): Promise<void> {
    this.#liveAbort.abort();
    await this.#live;
    const now = this.now();
    this.unfollow();
    this.#pipeline?.finish(now, stamp);
    const drained = this.sender.drain();
    if (signal === undefined) return drained;
    await Promise.race([drained, new Promise<void>((r) => signal.addEventListener("abort", () => r()))]);
  }

  /** Closes the sockets and the dump file (what is still queued is dropped). */
  async close(): Promise<void> {
    this.#liveAbort.abort();
    await this.#live;
    this.unfollow();
    this.sender.cancel();
    await Promise.all(this.#targets.map((t) => t.close()));
    this.#dump?.close();
  }

  /** A snapshot of every counter (see {@link ExporterStatus}). */
  status(): ExporterStatus {
    return statusOf({
      parsers: this.#parsers,
      sampler: this.sampler,
      cache: this.cache,
      flowsEnded: this.#pipeline?.flowsEnded ?? 0,
      hosts: this.#hosts,
      targets: this.#targets,
      sources: this.sources,
      nowMs: this.now(),
      localDump: this.#dump === undefined ? undefined : { path: this.#dump.path, written: this.#dump.written },
    });
  }
}

interface Parts {
  routes: RouteTable | undefined;
  targets: UdpTarget[];
  sender: DatagramSender;
  dump: LocalDumpWriter | undefined;
}
