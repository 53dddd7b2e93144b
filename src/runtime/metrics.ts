/**
 * Prometheus metrics of a process. Each process creates one {@link Metrics} (its own prom-client `Registry`, never
 * prom-client's global default), whose names all start with `flowlens_`, with the default process metrics (CPU, memory,
 * event loop, GC) registered under the same prefix. Conventions: base units (`_seconds`, `_bytes`), counters end in
 * `_total`, labels of bounded cardinality (never per flow).
 */
import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  Registry,
} from "prom-client";
import type { OccurrenceCounter } from "./rate-limited-log.ts";

/** The prefix of every flowlens metric name. */
export const METRIC_PREFIX = "flowlens_";

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Name prefix; default `flowlens_`. */
  readonly prefix?: string;
  /** Register prom-client's default process metrics; default true. */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series of this registry (e.g. `{ daemon: "collector" }`). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Options shared by the metric factories. */
export interface MetricOptions<L extends string> {
  /** Label names; keep their values few (no per-flow labels). */
  readonly labelNames?: readonly L[];
}

/** Options of {@link Metrics.gauge}. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /** Called at each scrape to set the gauge (`this` is the gauge). */
  readonly collect?: GaugeConfiguration<L>["collect"];
}

/** Options of {@link Metrics.histogram}. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds of the buckets, in the metric's base unit; default prom-client's (0.005 to 10, for seconds). */
  readonly buckets?: readonly number[];
}

const NAME = /^[a-z_][a-z0-9_]*$/;

/** The registry of one process and the factories that create metrics on it with the prefix applied. */
export class Metrics {
  /** The process's registry; scrape with {@link Metrics.text}. */
  readonly registry: Registry = new Registry();
  /** The name prefix, e.g. `flowlens_`. */
  readonly prefix: string;

  constructor(options: MetricsOptions = {}) {
    this.prefix = options.prefix ?? METRIC_PREFIX;
    if (options.labels !== undefined) this.registry.setDefaultLabels({ ...options.labels });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: this.prefix });
  }

  /**
   * A counter named prefix + `name`; `name` is given without the prefix and must end in `_total`
   * (`datagrams_received_total`).
   * @throws TypeError for a malformed name or one already registered.
   */
  counter<L extends string = string>(name: string, help: string, options: MetricOptions<L> = {}): Counter<L> {
    if (!name.endsWith("_total")) throw new TypeError(`counter ${name}: counter names end in _total`);
    const config: CounterConfiguration<L> = { name: this.#name(name), help, registers: [this.registry] };
    if (options.labelNames !== undefined) config.labelNames = options.labelNames;
    return new Counter(config);
  }

  /**
   * A gauge named prefix + `name` (base units: `queue_bytes`, `uptime_seconds`).
   * @throws TypeError for a malformed name or one already registered.
   */
  gauge<L extends string = string>(name: string, help: string, options: GaugeOptions<L> = {}): Gauge<L> {
    const config: GaugeConfiguration<L> = { name: this.#name(name), help, registers: [this.registry] };
    if (options.labelNames !== undefined) config.labelNames = options.labelNames;
    if (options.collect !== undefined) config.collect = options.collect;
    return new Gauge(config);
  }

  /**
   * A histogram named prefix + `name` (base units: `upload_duration_seconds`, `datagram_size_bytes`).
   * @throws TypeError for a malformed name or one already registered.
   */
  histogram<L extends string = string>(name: string, help: string, options: HistogramOptions<L> = {}): Histogram<L> {
    return new Histogram<L>({
      name: this.#name(name),
      help,
      registers: [this.registry],
      ...(options.labelNames === undefined ? {} : { labelNames: options.labelNames }),
      ...(options.buckets === undefined ? {} : { buckets: [...options.buckets] }),
    });
  }

  /** The Prometheus text exposition of every metric of this registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The HTTP content type of {@link Metrics.text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  #name(name: string): string {
    if (!NAME.test(name)) throw new TypeError(`metric ${name}: names are lower-case letters, digits and _`);
    if (name.startsWith(this.prefix))
      throw new TypeError(`metric ${name}: give the name without the ${this.prefix} prefix`);
    const full = this.prefix + name;
    if (this.registry.getSingleMetric(full) !== undefined) throw new TypeError(`metric ${full} is already registered`);
    return full;
  }
}

/**
 * The counter `<prefix>errors_total{component, code}` and an {@link OccurrenceCounter} feeding it, for
 * `RateLimitedLog`'s `onOccurrence`: every error occurrence is counted, logged or not.
 */
export function errorCounter(metrics: Metrics): OccurrenceCounter {
  const counter = metrics.counter("errors_total", "Errors met, by component and error code, logged or not", {
    labelNames: ["component", "code"],
  });
  return (component, code) => counter.inc({ component, code });
}
