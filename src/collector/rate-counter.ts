/**
 * A counter with the three figures Junos prints for it (flow-collector.txt, `show services flow-collector ...
 * extensive`): the total, the rate over the last whole second ("per second") and the highest such rate since the last
 * clear ("peak per second"). `tick(nowMs)` is called about once a second by the owner's timer; counting is one addition.
 */
export class RateCounter {
  /** Count since start or the last clear. */
  total = 0;
  /** Rate over the last completed interval, per second (rounded down). */
  perSecond = 0;
  /** Highest `perSecond` since start or the last clear. */
  peakPerSecond = 0;
  private lastTotal = 0;
  private lastTickMs: number;

  constructor(nowMs: number) {
    this.lastTickMs = nowMs;
  }

  /** Adds `n` (default 1). */
  add(n = 1): void {
    this.total += n;
  }

  /** Closes the current interval: computes the rate since the previous tick and updates the peak. */
  tick(nowMs: number): void {
    const elapsed = nowMs - this.lastTickMs;
    if (elapsed <= 0) return;
    this.perSecond = Math.floor(((this.total - this.lastTotal) * 1000) / elapsed);
    if (this.perSecond > this.peakPerSecond) this.peakPerSecond = this.perSecond;
    this.lastTotal = this.total;
    this.lastTickMs = nowMs;
  }

  /** Zeroes every figure (`clear services flow-collector statistics`). */
  clear(nowMs: number): void {
    this.total = 0;
    this.perSecond = 0;
    this.peakPerSecond = 0;
    this.lastTotal = 0;
    this.lastTickMs = nowMs;
  }

  /** The figures as plain data. */
  snapshot(): RateValue {
    return { total: this.total, perSecond: this.perSecond, peakPerSecond: this.peakPerSecond };
  }
}

/** A {@link RateCounter}'s figures. */
export interface RateValue {
  total: number;
  perSecond: number;
  peakPerSecond: number;
}
