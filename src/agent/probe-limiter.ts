/**
 * The global probe budget: a token bucket of `probesPerSecond` tokens (at most one second's worth banked) shared by
 * every flow and tunnel, so the agent never sends more than the configured probes per second on average however many
 * flows are active (issue 5, "Probing"). Waiters are served in arrival order; a batch larger than the bucket waits for
 * a full bucket and leaves it in debt, so the long-run rate still holds.
 */
import type { AgentClock, CancelTimer } from "./clock.ts";

interface Waiter {
  count: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** Shares a probes-per-second budget between all rounds. */
export class ProbeLimiter {
  readonly #clock: AgentClock;
  readonly #rate: number;
  #tokens: number;
  #updatedAt: number;
  readonly #queue: Waiter[] = [];
  #timer: CancelTimer | null = null;

  /** @param probesPerSecond the budget, > 0 (Infinity: no limit). */
  constructor(clock: AgentClock, probesPerSecond: number) {
    if (!(probesPerSecond > 0)) throw new RangeError("probesPerSecond must be greater than 0");
    this.#clock = clock;
    this.#rate = probesPerSecond;
    this.#tokens = probesPerSecond;
    this.#updatedAt = clock.now();
  }

  /** Rounds waiting for budget. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves when `count` probes may be sent (and takes them from the budget).
   * @throws the signal's reason when `signal` aborts while waiting.
   */
  acquire(count: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#rate === Number.POSITIVE_INFINITY) return Promise.resolve();
    this.#refill();
    if (this.#queue.length === 0 && this.#tokens >= Math.min(count, this.#rate)) {
      this.#tokens -= count;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { count, resolve, reject, signal, onAbort: () => this.#drop(waiter) };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      this.#arm();
    });
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#updatedAt) / 1000;
    this.#tokens = Math.min(this.#rate, this.#tokens + elapsed * this.#rate);
    this.#updatedAt = now;
  }

  #drop(waiter: Waiter): void {
    const at = this.#queue.indexOf(waiter);
    if (at < 0) return;
    this.#queue.splice(at, 1);
    waiter.reject(waiter.signal?.reason);
    if (at === 0) this.#arm();
  }

  /** Serves the waiters at the head that fit, then sets a timer for when the next one will. */
  #arm(): void {
    this.#timer?.();
    this.#timer = null;
    this.#refill();
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const need = Math.min(head.count, this.#rate);
      if (this.#tokens < need) {
        const waitMs = Math.ceil(((need - this.#tokens) / this.#rate) * 1000);
        this.#timer = this.#clock.setTimer(waitMs, () => {
          this.#timer = null;
          this.#arm();
        });
        return;
      }
      this.#queue.shift();
      this.#tokens -= head.count;
      head.signal?.removeEventListener("abort", head.onAbort);
      head.resolve();
    }
  }
}
