/**
 * The probing of one round (issue 5, "Probing"): probes for every TTL up to `nhops` go out together in one batch; TTLs
 * that timed out are retried together, up to `ntry` tries in all; the round ends at the destination (TTLs beyond it
 * are not retried or reported). A round that knows the destination's distance from the previous round sends TTLs up to
 * one beyond it first, and the rest up to `nhops` only if the destination did not answer (docs/api.md, "Probing").
 * A router that answers Destination Unreachable (outcome `unreachable`) ends the path like the destination does, but as
 * a hop of it: the Path's last hop, with `DestinationReached` false.
 */
import type { ProbeReply, ProbeTarget, ProbeTransport } from "../probe/transport.ts";
import type { ProbeLimiter } from "./probe-limiter.ts";

/** What one round probes and how. */
export interface RoundProbeRequest {
  transport: ProbeTransport;
  target: ProbeTarget;
  nhops: number;
  ntry: number;
  timeoutMs: number;
  /** TTL at which the destination answered in the previous round, or null. */
  knownDestinationTtl: number | null;
  limiter: ProbeLimiter;
  /** Aborts the round (stop/flow). */
  signal: AbortSignal;
}

/** What the probes of one round found. */
export interface RoundProbeResult {
  /** The final reply of every TTL probed (an answer if any try got one, else a timeout). */
  replies: Map<number, ProbeReply>;
  /** Smallest TTL the destination answered, or null when it did not. */
  destinationTtl: number | null;
  /**
   * TTL of the hop that refused the probes with ICMP Destination Unreachable (the Path's last hop), or null. A router
   * that filters forwarded packets answers Time Exceeded at its own TTL and Unreachable one TTL later: that router's
   * own TTL is reported.
   */
  unreachableTtl: number | null;
  /** The TTLs reported as hops, 1 to the last one (before the destination, or where the probes went dark). */
  hopTtls: number[];
  /** Tries made per TTL. */
  tries: Map<number, number>;
  /** Probes sent (each try counts). */
  probesSent: number;
  /** Tries without an answer to the TTLs reported as hops (TTLs beyond the destination are not counted). */
  probeTimeouts: number;
}

function timeoutReply(ttl: number): ProbeReply {
  return { ttl, outcome: "timeout", responder: null, rttSeconds: null, receivedAt: null };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t++) out.push(t);
  return out;
}

class RoundState {
  readonly replies = new Map<number, ProbeReply>();
  readonly tries = new Map<number, number>();
  /** Tries per TTL that got no answer. */
  readonly silentTries = new Map<number, number>();
  probesSent = 0;

  constructor(readonly request: RoundProbeRequest) {}

  /** Sends one batch and merges the answers (a TTL keeps its first answer); ignores replies for TTLs not asked. */
  async batch(ttls: number[], attempt: number): Promise<void> {
    const { transport, target, timeoutMs, limiter, signal } = this.request;
    await limiter.acquire(ttls.length, signal);
    signal.throwIfAborted();
    const answers = await transport.probe(target, { ttls, timeoutMs, attempt, signal });
    signal.throwIfAborted();
    const byTtl = new Map<number, ProbeReply>();
    for (const reply of Array.isArray(answers) ? answers : []) {
      if (reply !== null && typeof reply === "object" && !byTtl.has(reply.ttl)) byTtl.set(reply.ttl, reply);
    }
    this.probesSent += ttls.length;
    for (const ttl of ttls) {
      const reply = byTtl.get(ttl);
      const answered = reply !== undefined && reply.outcome !== "timeout" && typeof reply.responder === "string";
      if (!answered) this.silentTries.set(ttl, (this.silentTries.get(ttl) ?? 0) + 1);
      this.tries.set(ttl, (this.tries.get(ttl) ?? 0) + 1);
      const previous = this.replies.get(ttl);
      if (previous === undefined || previous.outcome === "timeout") {
        this.replies.set(ttl, answered ? reply : timeoutReply(ttl));
      }
    }
  }

  destinationTtl(): number | null {
    let best: number | null = null;
    for (const [ttl, reply] of this.replies) {
      if (reply.outcome === "destination" && (best === null || ttl < best)) best = ttl;
    }
    return best;
  }

  /** Smallest TTL a router answered with Destination Unreachable, if nearer than the destination; else null. */
  refusedTtl(): number | null {
    const dest = this.destinationTtl();
    let best: number | null = null;
    for (const [ttl, reply] of this.replies) {
      if (reply.outcome === "unreachable" && (best === null || ttl < best)) best = ttl;
    }
    return best !== null && (dest === null || best < dest) ? best : null;
  }

  /** The hop that refused the probes: the refusing TTL, or the one before when the same router answered it in time. */
  unreachableHopTtl(): number | null {
    const refused = this.refusedTtl();
    if (refused === null) return null;
    const before = this.replies.get(refused - 1);
    const same = before?.outcome === "time-exceeded" && before.responder === this.replies.get(refused)?.responder;
    return same ? refused - 1 : refused;
  }

  /** Last TTL worth reporting: the refusing hop, the one before the destination, else one past the last answer. */
  lastHopTtl(): number {
    const unreachable = this.unreachableHopTtl();
    if (unreachable !== null) return unreachable;
    const dest = this.destinationTtl();
    if (dest !== null) return dest - 1;
    let lastAnswered = 0;
    for (const [ttl, reply] of this.replies) {
      if (reply.outcome === "time-exceeded" && ttl > lastAnswered) lastAnswered = ttl;
    }
    return Math.min(this.request.nhops, lastAnswered + 1);
  }
}

/**
 * Runs the probes of one round.
 * @throws the abort reason when the round is aborted; whatever the transport throws.
 */
export async function probeRound(request: RoundProbeRequest): Promise<RoundProbeResult> {
  const state = new RoundState(request);
  const { nhops, ntry, knownDestinationTtl } = request;
  const window = knownDestinationTtl === null ? nhops : Math.min(nhops, knownDestinationTtl + 1);
  await state.batch(range(1, window), 1);
  if (window < nhops && state.destinationTtl() === null && state.refusedTtl() === null) {
    await state.batch(range(window + 1, nhops), 1);
  }
  for (let attempt = 2; attempt <= ntry; attempt++) {
    const missing = range(1, state.lastHopTtl()).filter((ttl) => state.replies.get(ttl)?.outcome === "timeout");
    if (missing.length === 0) break;
    await state.batch(missing, attempt);
  }
  const hopTtls = range(1, state.lastHopTtl());
  return {
    replies: state.replies,
    destinationTtl: state.unreachableHopTtl() === null ? state.destinationTtl() : null,
    unreachableTtl: state.unreachableHopTtl(),
    hopTtls,
    tries: state.tries,
    probesSent: state.probesSent,
    probeTimeouts: hopTtls.reduce((n, ttl) => n + (state.silentTries.get(ttl) ?? 0), 0),
  };
}
