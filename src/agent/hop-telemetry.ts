/**
 * Fetches the telemetry of every answering hop of a round concurrently (issue 5, "Probing"), each query bounded by a
 * timeout; a provider that throws, times out or knows nothing of the hop leaves that hop without telemetry (it is then
 * reported with `HopStatus` NO_TELEMETRY) and never fails the round.
 */
import type { ProbeTarget } from "../probe/transport.ts";
import type { HopTelemetry, TelemetryProvider } from "../telemetry/provider.ts";
import type { AgentClock } from "./clock.ts";
import type { RoundProbeResult } from "./probe-round.ts";

/** Options of {@link fetchHopTelemetry}. */
export interface HopTelemetryRequest {
  provider: TelemetryProvider;
  probes: RoundProbeResult;
  target: ProbeTarget;
  bwIngress: boolean;
  clock: AgentClock;
  /** Longest wait for one hop's answer, ms. */
  timeoutMs: number;
  /** Aborts the waits (stop/flow): the hops still waiting get no telemetry. */
  signal?: AbortSignal;
  /** Called once per hop whose query failed or timed out (with the reason). */
  onError?: (ttl: number, reason: unknown) => void;
}

/** Thrown into {@link HopTelemetryRequest.onError} when a hop's provider did not answer in time. */
export class TelemetryTimeoutError extends Error {
  /** Stable code. */
  readonly code = "ERR_AGENT_TELEMETRY_TIMEOUT";

  constructor(responder: string, timeoutMs: number) {
    super(`telemetry of hop ${responder} did not arrive within ${timeoutMs} ms`);
    this.name = "TelemetryTimeoutError";
  }
}

function bounded<T>(work: Promise<T>, request: HopTelemetryRequest, responder: string): Promise<T> {
  const { clock, timeoutMs, signal } = request;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimer(timeoutMs, () => {
      signal?.removeEventListener("abort", onAbort);
      reject(new TelemetryTimeoutError(responder, timeoutMs));
    });
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => {
      cancel();
      signal?.removeEventListener("abort", onAbort);
    };
    work.then(
      (value) => {
        settle();
        resolve(value);
      },
      (reason: unknown) => {
        settle();
        reject(reason);
      },
    );
  });
}

/**
 * The next hop's responder for the hop answering at `ttl` (lets a provider infer the egress interface), or undefined
 * when there is none: the next TTL timed out, or it answered from the hop's own address. The latter is what a router
 * that rejects the flow in its forward chain does (Time Exceeded at its own TTL, Destination Unreachable from the same
 * ingress address one TTL later; src/agent/probe-round.ts reports that router once): that answer is not a next hop.
 */
export function nextResponderOf(probes: Pick<RoundProbeResult, "replies">, ttl: number): string | undefined {
  const reply = probes.replies.get(ttl);
  const next = probes.replies.get(ttl + 1);
  if (next === undefined || next.responder === null || next.outcome === "timeout") return undefined;
  if (next.outcome === "unreachable" && next.responder === reply?.responder) return undefined;
  return next.responder;
}

/** Telemetry per hop TTL (null where the hop reported nothing). */
export async function fetchHopTelemetry(request: HopTelemetryRequest): Promise<Map<number, HopTelemetry | null>> {
  const { probes, provider, target, bwIngress } = request;
  const out = new Map<number, HopTelemetry | null>();
  await Promise.all(
    probes.hopTtls.map(async (ttl) => {
      const reply = probes.replies.get(ttl);
      if (reply === undefined || reply.outcome === "timeout" || reply.responder === null) return;
      const next = nextResponderOf(probes, ttl);
      const query = {
        responder: reply.responder,
        target,
        bwIngress,
        ...(next === undefined ? {} : { nextResponder: next }),
      };
      try {
        const work = Promise.resolve().then(() => provider.hop(query));
        out.set(ttl, (await bounded(work, request, reply.responder)) ?? null);
      } catch (e) {
        out.set(ttl, null);
        if (!request.signal?.aborted) request.onError?.(ttl, e);
      }
    }),
  );
  return out;
}
