/**
 * The exporter's pipeline on one timeline: captured packet → {@link PacketParser} → {@link Sampler} → {@link FlowCache}
 * → (flows that ended) every {@link HostExport} → (period end) v5 batcher or v8 aggregator → pacer → `emit`. The
 * pipeline is pure: time comes in with the packets (`packet`) or from the caller (`advance`), never from a clock of its
 * own, so replaying a capture at full speed runs on the capture's time and is deterministic.
 *
 * Time is an event loop over the virtual timeline (spec/cflowd-flow-aggregation.txt, "collects the sampled flows over
 * a period of 1 minute ... exported over the course of the same minute"): before a packet at time T is accounted, every
 * event up to T happens at its own time, in order: cache sweeps every `sweepMs` (flows past their timeouts end and go
 * to the hosts), period ends (each host encodes its period and queues it over the next period), and due datagrams (sent
 * with their header times stamped at the time they are due, `ExportClock.stamp`). Time never goes back: a packet older
 * than the pipeline's time is accounted at the pipeline's time. When nothing is held anywhere (empty cache, idle hosts)
 * time jumps straight to T, so captures with long gaps cost nothing.
 *
 * Only IPv4 packets are offered to the sampler (v5 and v8 carry IPv4 only); every packet counts as seen.
 */
import type { CapturedPacket } from "../wire/capture-parser.ts";
import { captureTimeMs } from "./capture-time.ts";
import type { FlowCache, FlowRecord } from "./flow-cache.ts";
import type { HostExport } from "./host-export.ts";
import { type PacketParser, PacketVerdict } from "./packet-parser.ts";
import type { Sampler } from "./sampler.ts";
import type { ExportClock, ExportDatagram } from "./v5-batcher.ts";

/** Receives each datagram when it is due, its header already stamped with `atMs`. */
export type DatagramEmitter = (host: HostExport, datagram: ExportDatagram, atMs: number) => void;

/** Settings of an {@link ExportPipeline}. */
export interface ExportPipelineOptions {
  /** Decides which IPv4 packets are accounted. */
  sampler: Sampler;
  /** Accounts the sampled packets into flows. */
  cache: FlowCache;
  /** The cflowd hosts (any number, including none). */
  hosts: readonly HostExport[];
  /** The uptime clock the hosts encode with; stamps datagrams when sent. */
  clock: ExportClock;
  /** Start of the timeline and of the first period, epoch ms. */
  startMs: number;
  /** Collection period, ms. */
  periodMs: number;
  /** How often the cache is swept for timed-out flows, ms (default 1000). */
  sweepMs?: number;
  /** Where due datagrams go. */
  emit: DatagramEmitter;
}

/** How {@link ExportPipeline.finish} stamps what is still queued: at its due times, or all at the finish time. */
export type FinishStamp = "due" | "now";

/** Sampling, flow accounting, period closing and paced emission over one virtual timeline. */
export class ExportPipeline {
  /** Flows ended and handed to the hosts. */
  flowsEnded = 0;
  readonly #sampler: Sampler;
  readonly #cache: FlowCache;
  readonly #hosts: readonly HostExport[];
  readonly #clock: ExportClock;
  readonly #emit: DatagramEmitter;
  readonly #startMs: number;
  readonly #periodMs: number;
  readonly #sweepMs: number;
  readonly #ended: FlowRecord[] = [];
  readonly #due: ExportDatagram[] = [];
  #now: number;
  #nextSweep: number;
  #periodEnd: number;
  #nextEvent = 0;

  constructor(o: ExportPipelineOptions) {
    this.#sampler = o.sampler;
    this.#cache = o.cache;
    this.#hosts = o.hosts;
    this.#clock = o.clock;
    this.#emit = o.emit;
    this.#startMs = o.startMs;
    this.#periodMs = o.periodMs;
    this.#sweepMs = o.sweepMs ?? 1000;
    this.#now = o.startMs;
    this.#nextSweep = o.startMs + this.#sweepMs;
    this.#periodEnd = o.startMs + o.periodMs;
    this.#updateNextEvent();
  }

  /** The pipeline's time, epoch ms. */
  get nowMs(): number {
    return this.#now;
  }

  /** Time of the next sweep, period end or due datagram, epoch ms (when a real-time driver should call advance). */
  get nextEventMs(): number {
    return this.#nextEvent;
  }

  /**
   * Accounts one captured packet at its capture time plus `shiftMs`, parsed by `parser` (the source's, which holds its
   * interface mapping). Runs every event due before it first.
   */
  packet(parser: PacketParser, p: CapturedPacket, shiftMs = 0): void {
    let ms = captureTimeMs(p.timestampNs) + shiftMs;
    if (ms <= this.#now) ms = this.#now;
    else if (ms >= this.#nextEvent) this.advance(ms);
    else this.#now = ms;
    if (parser.parseFrame(p.linkType, p.data, ms, p.interfaceId, p.origLen) !== PacketVerdict.IPV4) return;
    if (this.#sampler.sample(ms)) this.#cache.add(parser.info);
  }

  /** Runs every event up to `nowMs` at its own time and moves the pipeline's time to `nowMs` (never back). */
  advance(nowMs: number): void {
    if (!(nowMs > this.#now)) return;
    while (this.#nextEvent <= nowMs) {
      if (this.#idle()) {
        this.#skipTo(nowMs);
        break;
      }
      const t = this.#nextEvent;
      this.#now = t;
      if (t >= this.#nextSweep) {
        this.#sweep(t);
        this.#nextSweep += this.#sweepMs;
      }
      if (t >= this.#periodEnd) {
        for (const h of this.#hosts) h.closePeriod(t);
        this.#periodEnd += this.#periodMs;
      }
      this.#sendDue(t);
      this.#updateNextEvent();
    }
    this.#now = nowMs;
  }

  /**
   * Ends the run at `nowMs`: runs the events up to it, ends every flow in the cache, closes the current period early and
   * emits everything queued, in order: stamped at each datagram's due time (`due`: as if the exporter ran on; one-shot
   * replays) or all at `nowMs` (`now`: a daemon stopping).
   */
  finish(nowMs: number, stamp: FinishStamp): void {
    this.advance(nowMs);
    this.#handOut(this.#cache.flushAll(this.#ended));
    const now = this.#now;
    for (const h of this.#hosts) {
      h.closePeriod(now);
      if (stamp === "now") {
        for (const d of h.takeAll(this.#due)) this.#send(h, d, now);
        this.#due.length = 0;
        continue;
      }
      for (let at = h.nextDueMs(); at !== undefined; at = h.nextDueMs()) {
        for (const d of h.takeDue(at, this.#due)) this.#send(h, d, Math.max(at, now));
        this.#due.length = 0;
      }
    }
    this.#updateNextEvent();
  }

  #sweep(t: number): void {
    this.#handOut(this.#cache.expire(t, this.#ended));
  }

  #handOut(flows: FlowRecord[]): void {
    if (flows.length > 0) {
      this.flowsEnded += flows.length;
      for (const h of this.#hosts) h.addFlows(flows);
    }
    flows.length = 0;
  }

  #sendDue(t: number): void {
    for (const h of this.#hosts) {
      const next = h.nextDueMs();
      if (next === undefined || next > t) continue;
      for (const d of h.takeDue(t, this.#due)) this.#send(h, d, t);
      this.#due.length = 0;
    }
  }

  #send(h: HostExport, d: ExportDatagram, atMs: number): void {
    this.#clock.stamp(d.bytes, atMs);
    h.noteExported(d);
    this.#emit(h, d, atMs);
  }

  #idle(): boolean {
    return this.#cache.size === 0 && this.#hosts.every((h) => h.idle);
  }

  /** Moves the sweep and period schedule past `nowMs` without running events (nothing is held). */
  #skipTo(nowMs: number): void {
    const start = this.#startMs;
    this.#nextSweep = start + (Math.floor((nowMs - start) / this.#sweepMs) + 1) * this.#sweepMs;
    const lastBoundary = start + Math.floor((nowMs - start) / this.#periodMs) * this.#periodMs;
    if (lastBoundary >= this.#periodEnd) {
      for (const h of this.#hosts) h.closePeriod(lastBoundary);
      this.#periodEnd = lastBoundary + this.#periodMs;
    }
    this.#updateNextEvent();
  }

  #updateNextEvent(): void {
    let next = Math.min(this.#nextSweep, this.#periodEnd);
    for (const h of this.#hosts) {
      const due = h.nextDueMs();
      if (due !== undefined && due < next) next = due;
    }
    this.#nextEvent = next;
  }
}
