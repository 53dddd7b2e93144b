/**
 * The agent's clock: wall time and one-shot timers behind one small interface, so the scheduler, the probe limiter and
 * the telemetry timeouts can run on a manual clock in tests (DESIGN.md: clocks injectable, tests never sleep).
 */

/** Cancels a timer set by {@link AgentClock.setTimer}; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

/** Wall time and timers. */
export interface AgentClock {
  /** Now, epoch milliseconds (may carry a fraction). */
  now(): number;
  /** Calls `fn` once after `delayMs` milliseconds (0 or less: as soon as possible, never synchronously). */
  setTimer(delayMs: number, fn: () => void): CancelTimer;
}

/** The process clock: `Date.now()` and unref'd `setTimeout`s (timers never keep a daemon alive on their own). */
export const systemClock: AgentClock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return () => clearTimeout(handle);
  },
};

/**
 * Resolves after `delayMs` on `clock`, or rejects with the signal's reason when `signal` aborts first.
 * @throws the abort reason (an `AbortError` DOMException by default).
 */
export function sleep(clock: AgentClock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimer(delayMs, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
