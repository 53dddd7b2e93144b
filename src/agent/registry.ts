/**
 * The registry of active flows and tunnel flows (compute-agent-api.txt, start/stop/data/active resources): creation and
 * modification with pending updates, asynchronous stops, ownership by Originator, and the return codes of each case:
 * EAGAIN when a trace already has a pending modification or a pending stop, E_UNAUTHORIZED when the Originator does not
 * match, E_AoF when there is no such trace, EFAIL for data not yet present or a full registry.
 */
import { errorSummary } from "../runtime/errors.ts";
import type { RateLimitedLog } from "../runtime/rate-limited-log.ts";
import type { AgentClock } from "./clock.ts";
import { CaError } from "./return-codes.ts";
import type { Requester, TraceEntry, TraceKind, TraceSettings } from "./trace-entry.ts";
import { type RunnerDeps, TraceRunner } from "./trace-runner.ts";

/** What creating a trace needs besides its settings. */
export interface TraceIdentity {
  key: string;
  kind: TraceKind;
  /** Builds the entry for a new trace. */
  create(owner: Requester, settings: TraceSettings, now: number): TraceEntry;
}

/** Options of {@link TraceRegistry}. */
export interface RegistryOptions {
  deps: RunnerDeps;
  /** Most traces (flows and tunnels together) active at once. */
  maxActive: number;
  /** Longest wait for the telemetry provider to release a stopped trace, ms. */
  releaseTimeoutMs: number;
}

interface Slot {
  entry: TraceEntry;
  runner: TraceRunner;
  /** Resolves when a stop has finished. */
  stopped: Promise<void> | null;
}

/** Whether `requester` may act on `entry`: always for a trace started without Originator, else the same Originator. */
export function authorize(entry: TraceEntry, requester: Requester): void {
  if (entry.owner.originator !== null && entry.owner.originator !== requester.originator) {
    throw new CaError("E_UNAUTHORIZED", `this ${entry.kind} was started by another Originator`, {
      kind: "originator",
    });
  }
}

/** Whether `entry` is listed for `requester` by active/*: same Originator, or no Originator and the same address. */
export function ownedBy(entry: TraceEntry, requester: Requester): boolean {
  if (requester.originator !== null) return entry.owner.originator === requester.originator;
  return entry.owner.originator === null && entry.owner.address === requester.address;
}

/** Active traces by key, with their runners. */
export class TraceRegistry {
  readonly #slots = new Map<string, Slot>();
  readonly #options: RegistryOptions;
  readonly #clock: AgentClock;
  readonly #log: RateLimitedLog;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.#clock = options.deps.clock;
    this.#log = options.deps.log;
  }

  /** Traces present (stopping ones included). */
  get size(): number {
    return this.#slots.size;
  }

  /** Active (not stopping) traces of one kind. */
  count(kind: TraceKind): number {
    let n = 0;
    for (const s of this.#slots.values()) if (s.entry.kind === kind && s.entry.state === "active") n++;
    return n;
  }

  /**
   * start/flow, start/tunnel: creates the trace (its first round starts at once) or queues a modification for its next
   * round. `update` maps the current settings (or null for a new trace) to the requested ones.
   * @throws CaError EAGAIN (pending modification or stop), E_UNAUTHORIZED, EFAIL (registry full).
   */
  start(
    identity: TraceIdentity,
    requester: Requester,
    update: (current: TraceSettings | null) => TraceSettings,
  ): "created" | "modified" {
    const slot = this.#slots.get(identity.key);
    if (slot !== undefined) {
      const { entry } = slot;
      authorize(entry, requester);
      if (entry.state === "stopping") {
        throw new CaError("EAGAIN", `a stop is pending on this ${entry.kind}`, { retryAfterSeconds: 1 });
      }
      if (entry.pending !== null) {
        throw new CaError("EAGAIN", `a modification of this ${entry.kind} is pending (applied at its next round)`, {
          retryAfterSeconds: Math.max(1, Math.ceil(entry.settings.params.sfreqMs / 1000)),
        });
      }
      entry.pending = update(entry.settings);
      slot.runner.modified();
      return "modified";
    }
    if (this.#slots.size >= this.#options.maxActive) {
      throw new CaError("EFAIL", `the agent traces at most ${this.#options.maxActive} flows and tunnels at once`, {
        kind: "limit",
        retryAfterSeconds: 1,
      });
    }
    const entry = identity.create(requester, update(null), this.#clock.now());
    const runner = new TraceRunner(entry, this.#options.deps);
    this.#slots.set(identity.key, { entry, runner, stopped: null });
    runner.start();
    return "created";
  }

  /**
   * The active (not stopping) trace under `key`, checked for `requester`.
   * @throws CaError E_AoF (none, or stopping), E_UNAUTHORIZED.
   */
  lookup(kind: TraceKind, key: string, requester: Requester): TraceEntry {
    const entry = this.#slots.get(key)?.entry;
    if (entry === undefined || entry.kind !== kind || entry.state !== "active") {
      throw new CaError("E_AoF", `no such ${kind}`);
    }
    authorize(entry, requester);
    return entry;
  }

  /** Active (not stopping) entries of `kind` matching `predicate`. */
  find(kind: TraceKind, predicate: (entry: TraceEntry) => boolean): TraceEntry[] {
    const out: TraceEntry[] = [];
    for (const { entry } of this.#slots.values()) {
      if (entry.kind === kind && entry.state === "active" && predicate(entry)) out.push(entry);
    }
    return out;
  }

  /** Every trace present, flows and tunnels, active and stopping, of every owner, in creation order. */
  entries(): TraceEntry[] {
    return [...this.#slots.values()].map((s) => s.entry);
  }

  /**
   * stop/flow, stop/tunnel: marks the trace stopping (data/* answers E_AoF from now on, start/* EAGAIN until it is gone)
   * and stops it in the background; the returned promise resolves when it is gone.
   * @throws CaError E_AoF, E_UNAUTHORIZED.
   */
  stop(kind: TraceKind, key: string, requester: Requester): Promise<void> {
    const entry = this.lookup(kind, key, requester);
    const slot = this.#slots.get(key)!;
    entry.state = "stopping";
    entry.pending = null;
    slot.stopped = this.#finishStop(slot);
    return slot.stopped;
  }

  async #finishStop(slot: Slot): Promise<void> {
    const { entry, runner } = slot;
    try {
      await runner.stop();
      await this.#release(entry);
    } finally {
      this.#slots.delete(entry.key);
    }
  }

  async #release(entry: TraceEntry): Promise<void> {
    const { telemetry } = this.#options.deps;
    const timeoutMs = this.#options.releaseTimeoutMs;
    let cancel = () => {};
    const timeout = new Promise<void>((resolve) => {
      cancel = this.#clock.setTimer(timeoutMs, () => {
        this.#log.warn("ERR_AGENT_RELEASE_TIMEOUT", `telemetry release did not finish within ${timeoutMs} ms`, {
          key: entry.key,
        });
        resolve();
      });
    });
    const release = Promise.resolve()
      .then(() => telemetry.release(entry.settings.target))
      .catch((e: unknown) => {
        const { code, message } = errorSummary(e);
        this.#log.warn("ERR_AGENT_RELEASE_FAILED", `telemetry release failed: ${message}`, {
          key: entry.key,
          cause: code,
        });
      });
    await Promise.race([release, timeout]);
    cancel();
  }

  /** Stops every trace (daemon shutdown). */
  async close(): Promise<void> {
    const all = [...this.#slots.values()].map((slot) => {
      if (slot.stopped !== null) return slot.stopped;
      slot.entry.state = "stopping";
      slot.stopped = this.#finishStop(slot);
      return slot.stopped;
    });
    await Promise.allSettled(all);
  }
}
