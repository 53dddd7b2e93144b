/**
 * The traffic and counter model. Every channel (one direction of one physical link) counts two kinds of traffic:
 *
 * - background traffic, a closed-form function of time: unicast at `pps * scale * (1 + swing * sin(2πu/P + φ))`
 *   packets per second (u = seconds since the fabric started, integrated exactly, so counters do not depend on how often
 *   anyone looks), plus constant multicast, broadcast, CRC-error and drop rates, all counted since the link came up
 *   (`uptime-s` before the start);
 * - streams: the application flows, traced flows and mirror copies crossing the channel at a constant rate between a
 *   start and an end time, kept as piecewise-linear accumulators whose rate changes at stream start and end events, plus
 *   single packets (probes) added when they cross.
 *
 * Counters are whole numbers that never decrease; time only moves forward (an earlier time is ignored).
 */
import type { InterfaceCounters } from "../telemetry/provider.ts";
import type { Channel } from "./topology.ts";

/** A quantity growing at a piecewise-constant rate (per second), plus instant additions. */
class Accumulator {
  private base = 0;
  private rate = 0;
  private sinceMs = 0;

  valueAt(tMs: number): number {
    return this.base + (this.rate * Math.max(0, tMs - this.sinceMs)) / 1000;
  }

  changeRate(tMs: number, delta: number): void {
    this.base = this.valueAt(tMs);
    this.sinceMs = tMs;
    // Clamp float residue after the last stream leaves.
    this.rate = Math.max(0, this.rate + delta);
  }

  add(amount: number): void {
    this.base += amount;
  }
}

interface ChannelState {
  spec: Channel;
  packets: Accumulator;
  bytes: Accumulator;
}

/** A constant-rate stream over a list of channels (an application flow, a traced flow, mirror copies). */
interface Stream {
  channels: number[];
  pps: number;
  bytes: number;
  running: boolean;
}

interface StreamEvent {
  atMs: number;
  stream: Stream;
  kind: "start" | "end";
}

/** One channel's counters at one time (before they are folded into an interface's tx or rx side). */
interface ChannelCounts {
  pkts: number;
  ucPkts: number;
  mcPkts: number;
  bcPkts: number;
  bytes: number;
  crcErrors: number;
  drops: number;
}

/** Size assumed for background multicast and broadcast frames, bytes. */
const CONTROL_FRAME_BYTES = 96;

/** Handle of a stream added to the model, for {@link TrafficModel.removeStream}. */
export type StreamHandle = object;

/** The counters of every channel, advanced by time. */
export class TrafficModel {
  private readonly states: ChannelState[];
  private readonly events: StreamEvent[] = [];
  private nowMs: number;

  /** `startMs`: the fabric's start (u = 0), epoch milliseconds. */
  constructor(
    channels: readonly Channel[],
    private readonly startMs: number,
  ) {
    this.states = channels.map((spec) => ({ spec, packets: new Accumulator(), bytes: new Accumulator() }));
    this.nowMs = startMs;
  }

  /** The model's time, epoch milliseconds (the latest time it was advanced to). */
  get now(): number {
    return this.nowMs;
  }

  /** Moves the model to `tMs` (ignored when earlier than its time), applying stream starts and ends on the way. */
  advanceTo(tMs: number): number {
    while (this.events.length > 0 && this.events[0]!.atMs <= tMs) {
      const ev = this.events.shift()!;
      const at = Math.max(ev.atMs, this.nowMs);
      if (ev.kind === "start") this.setRunning(ev.stream, at, true);
      else this.setRunning(ev.stream, at, false);
    }
    if (tMs > this.nowMs) this.nowMs = tMs;
    return this.nowMs;
  }

  private setRunning(stream: Stream, atMs: number, running: boolean): void {
    if (stream.running === running) return;
    stream.running = running;
    const sign = running ? 1 : -1;
    for (const c of stream.channels) {
      this.states[c]!.packets.changeRate(atMs, sign * stream.pps);
      this.states[c]!.bytes.changeRate(atMs, sign * stream.pps * stream.bytes);
    }
  }

  private schedule(ev: StreamEvent): void {
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.atMs > ev.atMs) i--;
    this.events.splice(i, 0, ev);
  }

  /**
   * Adds a stream of `pps` packets per second of `bytes` bytes over `channels` from `startMs` to `endMs` (Infinity:
   * until removed). The part before the model's time is counted at once.
   */
  addStream(channels: readonly number[], pps: number, bytes: number, startMs: number, endMs = Infinity): StreamHandle {
    const stream: Stream = { channels: [...channels], pps, bytes, running: false };
    const pastMs = Math.max(0, Math.min(endMs, this.nowMs) - startMs);
    if (pastMs > 0) this.addPackets(channels, (pps * pastMs) / 1000, bytes);
    if (endMs <= this.nowMs) return stream;
    if (startMs <= this.nowMs) this.setRunning(stream, this.nowMs, true);
    else this.schedule({ atMs: startMs, stream, kind: "start" });
    if (endMs !== Infinity) this.schedule({ atMs: endMs, stream, kind: "end" });
    return stream;
  }

  /** Stops a stream now (its packets so far stay counted). */
  removeStream(handle: StreamHandle): void {
    const stream = handle as Stream;
    this.setRunning(stream, this.nowMs, false);
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i]!.stream === stream) this.events.splice(i, 1);
  }

  /** Counts `count` packets of `bytes` bytes each crossing `channels` now (probes). */
  addPackets(channels: readonly number[], count: number, bytes: number): void {
    for (const c of channels) {
      this.states[c]!.packets.add(count);
      this.states[c]!.bytes.add(count * bytes);
    }
  }

  /** Background unicast packets of a channel counted by `u` seconds after the start (since the link came up). */
  private backgroundUnicast(spec: Channel, u: number): number {
    const { pps, swing } = spec.traffic;
    const period = spec.traffic["period-s"];
    const w = (2 * Math.PI) / period;
    const from = -spec.uptimeS;
    const wave = (swing / w) * (Math.cos(w * from + spec.phase) - Math.cos(w * u + spec.phase));
    return Math.max(0, pps * spec.scale * (u - from + wave));
  }

  /** One channel's counters at the model's time. */
  private channelCounts(index: number): ChannelCounts {
    const { spec, packets, bytes } = this.states[index]!;
    const u = (this.nowMs - this.startMs) / 1000;
    const upS = Math.max(0, u + spec.uptimeS);
    const t = spec.traffic;
    const bg = this.backgroundUnicast(spec, u);
    const streams = Math.floor(packets.valueAt(this.nowMs));
    const mcPkts = Math.floor(t["multicast-pps"] * upS);
    const bcPkts = Math.floor(t["broadcast-pps"] * upS);
    const ucPkts = Math.floor(bg) + streams;
    return {
      pkts: ucPkts + mcPkts + bcPkts,
      ucPkts,
      mcPkts,
      bcPkts,
      bytes: Math.floor(bg * t.bytes) + Math.floor(bytes.valueAt(this.nowMs)) + (mcPkts + bcPkts) * CONTROL_FRAME_BYTES,
      crcErrors: Math.floor((t["crc-errors-per-hour"] * upS) / 3600),
      drops: Math.floor((t["drops-per-hour"] * upS) / 3600),
    };
  }

  private sum(channels: readonly number[]): ChannelCounts {
    const total: ChannelCounts = { pkts: 0, ucPkts: 0, mcPkts: 0, bcPkts: 0, bytes: 0, crcErrors: 0, drops: 0 };
    for (const c of channels) {
      const n = this.channelCounts(c);
      total.pkts += n.pkts;
      total.ucPkts += n.ucPkts;
      total.mcPkts += n.mcPkts;
      total.bcPkts += n.bcPkts;
      total.bytes += n.bytes;
      total.crcErrors += n.crcErrors;
      total.drops += n.drops;
    }
    return total;
  }

  /**
   * The counters of an interface sending on `tx` and receiving from `rx` at the model's time (Table 14 without rates).
   * CRC errors and drops are counted on the receiving side; there is no congestion model, so nothing drops on transmit.
   */
  interfaceCounters(tx: readonly number[], rx: readonly number[]): InterfaceCounters {
    const out = this.sum(tx);
    const inn = this.sum(rx);
    return {
      txPkts: out.pkts,
      rxPkts: inn.pkts,
      txUcPkts: out.ucPkts,
      rxUcPkts: inn.ucPkts,
      txBcPkts: out.bcPkts,
      rxBcPkts: inn.bcPkts,
      txMcPkts: out.mcPkts,
      rxMcPkts: inn.mcPkts,
      txCrcError: 0,
      rxCrcError: inn.crcErrors,
      txDropPkt: 0,
      rxDropPkt: inn.drops,
      txBytes: out.bytes,
      rxBytes: inn.bytes,
      sampledAtMs: this.nowMs,
    };
  }
}
