/**
 * Export pacing as spec/cflowd-flow-aggregation.txt describes it: "The cflowd application collects the sampled flows
 * over a period of 1 minute. At the end of the minute, the number of samples to be exported are divided over the
 * period of another minute and are exported over the course of the same minute."
 *
 * {@link ExportPacer} is a pure scheduler: the caller passes the time (an injected clock), closes each collection
 * period with the datagrams it produced ({@link ExportPacer.closePeriod}), and asks which are due
 * ({@link ExportPacer.due}). The n datagrams of a period are spread evenly over the following period: datagram i is
 * due at `start + i * periodMs / n` (fractional milliseconds, so short periods stay even), so the first goes at once,
 * the last one period/n before the next period closes, and any slice of the period of length d = periodMs / S carries
 * at most ceil(n / S) of them: its share plus at most one. A caller polling every t ms sends each datagram at most t
 * ms late. Order is preserved across periods: the queue is first in, first out, and anything still queued when the
 * next period closes is already due (its time lies inside the previous period).
 */
import { ExportOptionError } from "./v5-batcher.ts";

/** Settings of an {@link ExportPacer}. */
export interface ExportPacerOptions {
  /** Length of a collection period and of the export spread, ms (default 60 000, as cflowd). */
  periodMs?: number;
  /** Epoch ms at which the first collection period starts (the exporter start). */
  startMs: number;
}

/** Spreads each collection period's datagrams (any item type) over the following period. */
export class ExportPacer<T> {
  readonly #periodMs: number;
  #periodEnd: number;
  #items: T[] = [];
  #times: number[] = [];
  #head = 0;

  /** @throws ExportOptionError `ERR_EXPORT_OPTION` for a period that is not a positive number of ms. */
  constructor(options: ExportPacerOptions) {
    const period = options.periodMs ?? 60_000;
    if (!Number.isFinite(period) || period <= 0) {
      throw new ExportOptionError(`export period ${period} ms is not a positive duration`);
    }
    if (!Number.isFinite(options.startMs)) throw new ExportOptionError(`export start ${options.startMs} is not a time`);
    this.#periodMs = period;
    this.#periodEnd = options.startMs + period;
  }

  /** Length of a period, ms. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** End of the current collection period, epoch ms. */
  get periodEndMs(): number {
    return this.#periodEnd;
  }

  /** Whether the current collection period is over at `nowMs` (time to call {@link closePeriod}). */
  periodOver(nowMs: number): boolean {
    return nowMs >= this.#periodEnd;
  }

  /** Items queued and not yet returned by {@link due}. */
  get pending(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Closes the current collection period at `nowMs` (normally at or after its end) with the `items` it produced,
   * spreading them over one period starting at the later of the period end and `nowMs`, and starts the next
   * collection period: the one that contains `nowMs`, so idle periods are skipped (closed early, the one right after).
   * Returns the time of the new period's end.
   */
  closePeriod(items: readonly T[], nowMs: number): number {
    const start = Math.max(this.#periodEnd, nowMs);
    const n = items.length;
    for (let i = 0; i < n; i++) {
      this.#items.push(items[i]);
      this.#times.push(start + (i * this.#periodMs) / n);
    }
    const periods = nowMs >= this.#periodEnd ? Math.floor((nowMs - this.#periodEnd) / this.#periodMs) + 1 : 1;
    this.#periodEnd += periods * this.#periodMs;
    return this.#periodEnd;
  }

  /** Epoch ms at which the next queued item is due, or undefined when nothing is queued. */
  nextDueMs(): number | undefined {
    return this.#head < this.#items.length ? this.#times[this.#head] : undefined;
  }

  /** Removes and returns (appended to `out`) the items due at `nowMs`, oldest first. */
  due(nowMs: number, out: T[] = []): T[] {
    while (this.#head < this.#items.length && this.#times[this.#head] <= nowMs) {
      out.push(this.#items[this.#head++]);
    }
    this.#compact();
    return out;
  }

  /** Removes and returns every queued item, in order (for shutdown). */
  flush(out: T[] = []): T[] {
    while (this.#head < this.#items.length) out.push(this.#items[this.#head++]);
    this.#compact();
    return out;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#times = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }
}
