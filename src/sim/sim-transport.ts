/**
 * The simulated probe transport (`ProbeTransport`, name `sim`): probes carrying the target's tuple walk the fabric's
 * own route for that tuple (flow: the 5-tuple; tunnel: the outer VTEP tuple to UDP 4789), so what the agent learns is
 * exactly what forwarding does. For TTL k: hop k answers ICMP Time Exceeded from its ingress interface address (as
 * Linux does with `icmp_errors_use_inbound_ifaddr`), TTL n+1 reaches the destination host (or the tunnel's destination
 * VTEP), which answers; TTLs beyond it are reported as timeouts, as are hops configured not to answer, answers lost to
 * `reply-loss`, answers slower than `timeoutMs`, and every TTL of an aborted batch or of a source that is no host.
 * Latency model (docs/sim.md): RTT = 2 × the one-way latencies of the links crossed + the responder's reply time +
 * uniform jitter. Answers resolve at once (the simulation never waits for timeouts); `receivedAt` is the injected
 * clock's time plus the RTT. Probes are counted as packets of the flow on the links and devices they cross.
 */
import type { ProbeBatchOptions, ProbeReply, ProbeTarget, ProbeTransport } from "../probe/transport.ts";
import { type SimCore, targetTuple } from "./core.ts";
import { SimClosedError, SimProbeError } from "./errors.ts";
import type { FlowRecord } from "./flow-registry.ts";

/** Sizes of the probes, bytes on the wire (IPv4 + TCP/UDP + a small payload; VXLAN adds 50 bytes). */
const PROBE_BYTES = { tcp: 60, udp: 56, tunnel: 110 } as const;

/** Fraction of a host's reply time added as jitter at most. */
const HOST_JITTER = 0.2;

function timeout(ttl: number): ProbeReply {
  return { ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null };
}

function checkTtls(ttls: readonly number[]): number[] {
  for (const ttl of ttls) {
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new SimProbeError(`TTL must be 1..255, got ${ttl}`);
  }
  return [...ttls].sort((a, b) => a - b);
}

/** The probe transport of one simulated fabric. */
export class SimProbeTransport implements ProbeTransport {
  /** Always `sim`. */
  readonly name = "sim";
  /** Always true: this is a simulation, not a network. */
  readonly simulated = true;
  private closed = false;

  constructor(private readonly core: SimCore) {}

  /**
   * One reply per TTL of `options.ttls`, in ascending TTL order.
   * @throws SimProbeError for a TTL outside 1..255; SimTupleError for a malformed address or port; SimClosedError.
   */
  async probe(target: ProbeTarget, options: ProbeBatchOptions): Promise<ProbeReply[]> {
    if (this.closed) throw new SimClosedError("sim probe transport");
    const ttls = checkTtls(options.ttls);
    const now = this.core.sync();
    if (options.signal?.aborted) return ttls.map(timeout);
    const rec = this.core.flows.ensure(targetTuple(target));
    this.count(rec, ttls, target.kind === "tunnel" ? PROBE_BYTES.tunnel : PROBE_BYTES[rec.tuple.proto]);
    return ttls.map((ttl) => this.one(ttl, rec, now, options.timeoutMs));
  }

  private one(ttl: number, rec: FlowRecord, now: number, timeoutMs: number): ProbeReply {
    const { hops, channels, reached } = rec.route;
    if (channels.length === 0 && reached === null) return timeout(ttl);
    if (ttl > hops.length + 1) return timeout(ttl);
    const crossed = Math.min(ttl, channels.length);
    let oneWayUs = 0;
    for (let i = 0; i < crossed; i++) oneWayUs += this.core.network.channels[channels[i]!]!.latencyUs;
    if (ttl <= hops.length) {
      const hop = hops[ttl - 1]!;
      const cfg = hop.device.config;
      if (!cfg["answers-ttl-expired"] || this.core.random() < cfg["reply-loss"]) return timeout(ttl);
      const replyMs = cfg["reply-ms"] + cfg["jitter-ms"] * this.core.random();
      return this.answer(ttl, "time-exceeded", hop.ingress.address!, oneWayUs, replyMs, now, timeoutMs);
    }
    if (reached === null) return timeout(ttl);
    const hostReplyMs = reached.config["reply-ms"] * (1 + HOST_JITTER * this.core.random());
    return this.answer(ttl, "destination", reached.address, oneWayUs, hostReplyMs, now, timeoutMs);
  }

  private answer(
    ttl: number,
    outcome: "time-exceeded" | "destination",
    responder: string,
    oneWayUs: number,
    replyMs: number,
    now: number,
    timeoutMs: number,
  ): ProbeReply {
    const rttMs = (2 * oneWayUs) / 1000 + replyMs;
    if (rttMs > timeoutMs) return timeout(ttl);
    const atMs = now + rttMs;
    let sec = Math.floor(atMs / 1000);
    let usec = Math.round((atMs - sec * 1000) * 1000);
    if (usec >= 1_000_000) {
      sec += 1;
      usec -= 1_000_000;
    }
    return { ttl, outcome, responder, rttSeconds: rttMs / 1000, receivedAt: { sec, usec } };
  }

  /**
   * Counts the batch's probes as packets of the flow: the probe with TTL k crosses the route's first k channels (all of
   * them when it reaches the destination) and reaches its first k devices. `ttls` is sorted.
   */
  private count(rec: FlowRecord, ttls: readonly number[], bytes: number): void {
    const { channels, hops } = rec.route;
    let t = 0;
    for (let i = 0; i < channels.length; i++) {
      while (t < ttls.length && ttls[t]! <= i) t++;
      const crossing = ttls.length - t;
      if (crossing === 0) break;
      this.core.traffic.addPackets([channels[i]!], crossing, bytes);
      if (i < hops.length) {
        const name = hops[i]!.device.name;
        rec.probes.set(name, (rec.probes.get(name) ?? 0) + crossing);
      }
    }
  }

  /** Marks the transport closed (the fabric itself lives on: telemetry and the fabric's API keep working). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
