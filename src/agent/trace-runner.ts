/**
 * The probe scheduler of one trace (issue 5, "Probing"): a round every `sfreq` (the next round starts `sfreq` after
 * the previous one started, or at once if that one took longer: rounds never overlap), each round taking the pending
 * modification first, installing the mirror when asked, probing, fetching the hops' telemetry concurrently and storing
 * the assembled Path. Stopping aborts the round in progress.
 */
import type { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { ProbeTransport } from "../probe/transport.ts";
import { errorSummary } from "../runtime/errors.ts";
import type { TelemetryProvider } from "../telemetry/provider.ts";
import type { AgentClock, CancelTimer } from "./clock.ts";
import { fetchHopTelemetry } from "./hop-telemetry.ts";
import type { PathFeed } from "./path-feed.ts";
import { assemblePath } from "./path-assembly.ts";
import type { ProbeLimiter } from "./probe-limiter.ts";
import { probeRound, type RoundProbeResult } from "./probe-round.ts";
import type { RateTracker } from "./rate-tracker.ts";
import type { TraceEntry, TraceKind, TraceSettings } from "./trace-entry.ts";

/** How a round ended: the destination answered, it did not, or the round failed (transport error). */
export type RoundOutcome = "complete" | "incomplete" | "failed";

/** What the runners report (the agent's metrics implement it). */
export interface TraceEvents {
  round(kind: TraceKind, outcome: RoundOutcome, durationSeconds: number): void;
  probes(sent: number, timeouts: number): void;
  telemetryError(): void;
  mirrorError(): void;
}

/** Everything a runner uses, shared by all runners. */
export interface RunnerDeps {
  clock: AgentClock;
  transport: ProbeTransport;
  telemetry: TelemetryProvider;
  limiter: ProbeLimiter;
  rates: RateTracker;
  events: TraceEvents;
  /** Warnings, at most one line per code per interval (codes `ERR_AGENT_*`). */
  log: RateLimitedLog;
  /** Longest wait for one hop's telemetry, ms. */
  telemetryTimeoutMs: number;
  /** Where completed rounds are published (dashboard, subscribeAll, scale-out), if anywhere. */
  feed?: PathFeed;
}

/** Runs the rounds of one trace until stopped. */
export class TraceRunner {
  readonly #entry: TraceEntry;
  readonly #deps: RunnerDeps;
  readonly #abort = new AbortController();
  #cancelTimer: CancelTimer | null = null;
  #dueAt = 0;
  #lastStartMs: number | null = null;
  #running: Promise<void> | null = null;
  #mirrorKey: string | null = null;
  #stopped = false;

  constructor(entry: TraceEntry, deps: RunnerDeps) {
    this.#entry = entry;
    this.#deps = deps;
  }

  /** Whether a round is in progress. */
  get busy(): boolean {
    return this.#running !== null;
  }

  /** Schedules the first round (as soon as possible). */
  start(): void {
    this.#schedule(this.#deps.clock.now());
  }

  /**
   * Called after a modification was queued: when waiting between rounds and the new `sfreq` makes the next round due
   * earlier, reschedules it (the modification still applies from the next round, never to the one in progress).
   */
  modified(): void {
    if (this.#stopped || this.#running !== null || this.#lastStartMs === null) return;
    const pending = this.#entry.pending;
    if (pending === null) return;
    const due = Math.max(this.#deps.clock.now(), this.#lastStartMs + pending.params.sfreqMs);
    if (due < this.#dueAt) this.#schedule(due);
  }

  /** Stops: no new round; the round in progress is aborted and awaited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#abort.abort(new Error("trace stopped"));
    await this.#running;
  }

  #schedule(at: number): void {
    this.#cancelTimer?.();
    this.#dueAt = at;
    this.#cancelTimer = this.#deps.clock.setTimer(at - this.#deps.clock.now(), () => {
      this.#cancelTimer = null;
      if (this.#stopped) return;
      this.#running = this.#cycle().finally(() => {
        this.#running = null;
      });
    });
  }

  async #cycle(): Promise<void> {
    const startMs = this.#deps.clock.now();
    this.#lastStartMs = startMs;
    const settings = this.#entry.takeSettings();
    let outcome: RoundOutcome = "failed";
    try {
      outcome = await this.#round(settings, startMs);
    } catch (e) {
      if (this.#stopped) return;
      const { code, message } = errorSummary(e);
      this.#entry.lastError = message;
      this.#deps.log.warn("ERR_AGENT_ROUND_FAILED", `round failed: ${message}`, { key: this.#entry.key, cause: code });
    }
    const now = this.#deps.clock.now();
    this.#deps.events.round(this.#entry.kind, outcome, (now - startMs) / 1000);
    if (!this.#stopped) this.#schedule(Math.max(now, startMs + settings.params.sfreqMs));
  }

  async #round(settings: TraceSettings, startMs: number): Promise<RoundOutcome> {
    const { params, target } = settings;
    const deps = this.#deps;
    await this.#ensureMirror(settings);
    let probes: RoundProbeResult;
    try {
      probes = await probeRound({
        transport: deps.transport,
        target,
        nhops: params.nhops,
        ntry: params.ntry,
        timeoutMs: params.timeoutMs,
        knownDestinationTtl: this.#entry.knownDestinationTtl,
        limiter: deps.limiter,
        signal: this.#abort.signal,
      });
    } finally {
      this.#abort.signal.throwIfAborted();
    }
    deps.events.probes(probes.probesSent, probes.probeTimeouts);
    this.#entry.knownDestinationTtl = probes.destinationTtl;
    const telemetry = await fetchHopTelemetry({
      provider: deps.telemetry,
      probes,
      target,
      bwIngress: params.bwIngress,
      clock: deps.clock,
      timeoutMs: deps.telemetryTimeoutMs,
      signal: this.#abort.signal,
      onError: (ttl, reason) => {
        deps.events.telemetryError();
        const { code, message } = errorSummary(reason);
        deps.log.warn("ERR_AGENT_TELEMETRY_FAILED", `hop telemetry failed: ${message}`, { ttl, cause: code });
      },
    });
    this.#abort.signal.throwIfAborted();
    const path = assemblePath({
      id: this.#entry.id,
      roundStartMs: startMs,
      probes,
      telemetry,
      bwIngress: params.bwIngress,
      rates: deps.rates,
      now: deps.clock.now(),
    });
    this.#entry.storePath(path);
    const outcome = probes.destinationTtl === null ? "incomplete" : "complete";
    const entry = this.#entry;
    deps.feed?.publish({ key: entry.key, kind: entry.kind, id: entry.id, tuple: entry.tuple, outcome, path });
    return outcome;
  }

  /** Installs the mirror asked for (again after a change); a failure is counted and retried next round. */
  async #ensureMirror(settings: TraceSettings): Promise<void> {
    const mirror = settings.params.mirror;
    if (mirror === null) return;
    const key = JSON.stringify(mirror);
    if (key === this.#mirrorKey) return;
    try {
      await this.#deps.telemetry.startMirror(settings.target, mirror);
      this.#mirrorKey = key;
    } catch (e) {
      this.#deps.events.mirrorError();
      const { code, message } = errorSummary(e);
      this.#deps.log.warn("ERR_AGENT_MIRROR_FAILED", `mirror installation failed: ${message}`, {
        key: this.#entry.key,
        cause: code,
      });
    }
  }
}
