/**
 * Metrics whose value is read at scrape time from figures another object keeps (its totals and state), so that
 * counting costs nothing until `/metrics` is read. Used by the agent's path publisher and the collector's scale-out
 * status.
 */
import { Counter, Gauge } from "prom-client";
import type { Metrics } from "../runtime/metrics.ts";

/**
 * Adds the counter `<prefix><name>` (name ending `_total`) to `metrics`; each scrape sets it to `read()`, a total kept
 * elsewhere that never decreases (undefined: 0).
 */
export function scrapedCounter(metrics: Metrics, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name: `${metrics.prefix}${name}`,
    help,
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(read() ?? 0);
    },
  });
}

/** Adds the gauge `<prefix><name>` to `metrics`; each scrape sets it to `read()` (undefined: 0). */
export function scrapedGauge(metrics: Metrics, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name: `${metrics.prefix}${name}`,
    help,
    registers: [metrics.registry],
    collect() {
      this.set(read() ?? 0);
    },
  });
}
