/**
 * The waits of the shipping code (retry-delay between transfer attempts), injectable so tests run without real delays.
 */
import { setTimeout as delay } from "node:timers/promises";

/** Waits `ms` milliseconds, or less when `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real {@link Sleep}: a timer, cut short (resolving, not rejecting) by the signal. */
export const realSleep: Sleep = async (ms, signal) => {
  if (signal?.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
};
