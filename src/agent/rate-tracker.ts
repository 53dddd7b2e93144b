/**
 * Interface rates of Table 14 (`TX_PPS`, `RX_PPS` in packets per second, `TX_BW`, `RX_BW` in bytes per second) from two
 * successive counter samples of the same interface of the same device, wherever in whichever flow the interface
 * appears. Providers report counters only (src/telemetry/provider.ts).
 */
import type { InterfaceCounters } from "../telemetry/provider.ts";

/** The four rates of one interface, rounded to whole units. */
export interface InterfaceRates {
  txPps: number;
  rxPps: number;
  txBw: number;
  rxBw: number;
}

/** Rates before a second sample exists, or after a counter went backwards (a reset). */
export const ZERO_RATES: Readonly<InterfaceRates> = Object.freeze({ txPps: 0, rxPps: 0, txBw: 0, rxBw: 0 });

interface Entry {
  sample: InterfaceCounters;
  rates: InterfaceRates;
  /** Agent time of the last lookup, for eviction. */
  seenAt: number;
}

function perSecond(now: number, before: number, seconds: number): number | null {
  const delta = now - before;
  return delta < 0 ? null : Math.round(delta / seconds);
}

function ratesBetween(prev: InterfaceCounters, next: InterfaceCounters): InterfaceRates {
  const seconds = (next.sampledAtMs - prev.sampledAtMs) / 1000;
  const txPps = perSecond(next.txPkts, prev.txPkts, seconds);
  const rxPps = perSecond(next.rxPkts, prev.rxPkts, seconds);
  const txBw = perSecond(next.txBytes, prev.txBytes, seconds);
  const rxBw = perSecond(next.rxBytes, prev.rxBytes, seconds);
  if (txPps === null || rxPps === null || txBw === null || rxBw === null) return ZERO_RATES;
  return { txPps, rxPps, txBw, rxBw };
}

/** Remembers the last sample of every interface seen and answers its rates; entries unseen for `ttlMs` are dropped. */
export class RateTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  #lastSweep = 0;

  /** @param ttlMs how long an interface not seen again is remembered, ms (default 10 minutes). */
  constructor(ttlMs = 600_000) {
    this.#ttlMs = ttlMs;
  }

  /** Interfaces remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The rates of interface `ifl` of device `device` given its newest sample: computed against the previous sample when
   * this one is newer, the rates computed last when it is the same sample (or an older one), zero for a first sample.
   * `now` is the agent's time (epoch ms), used only for eviction.
   */
  rates(device: string, ifl: string, sample: InterfaceCounters, now: number): InterfaceRates {
    this.#sweep(now);
    const key = `${device}\u0000${ifl}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#entries.set(key, { sample, rates: ZERO_RATES, seenAt: now });
      return ZERO_RATES;
    }
    entry.seenAt = now;
    if (sample.sampledAtMs > entry.sample.sampledAtMs) {
      entry.rates = ratesBetween(entry.sample, sample);
      entry.sample = sample;
    }
    return entry.rates;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#ttlMs / 4) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) {
      if (now - entry.seenAt > this.#ttlMs) this.#entries.delete(key);
    }
  }
}
