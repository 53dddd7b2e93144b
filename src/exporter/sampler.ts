/**
 * Packet sampling as Junos configures it under `[edit forwarding-options sampling input]` (the sampled packets feed
 * cflowd, spec/cflowd-flow-aggregation.txt): `rate` N samples 1 packet in N, `run-length` R also samples the R packets
 * that follow each triggering packet, and `max-packets-per-second` caps the packets sampled in any one second. Counts
 * exported in v5/v8 records are the sampled counts; the v5 header carries the mode and interval
 * ({@link Sampler.headerSampling}).
 *
 * Deterministic under test: the random source and the time of every packet are the caller's. In `random` mode the gaps
 * between triggers are drawn from the geometric distribution with p = 1/N (exactly a Bernoulli(1/N) draw per packet,
 * but one random number per trigger instead of one per packet); in `deterministic` mode every N-th packet triggers.
 * A trigger inside a run starts a new run of R. The cap counts every sampled packet (triggers and run packets) in the
 * calendar second `floor(nowMs / 1000)`; packets over it are counted as `capped` and not sampled.
 */
import { RuntimeError } from "../runtime/errors.ts";

/** Junos limits of the sampling statements. */
export const SAMPLER_MAX_RATE = 65535;
/** Largest `run-length` Junos accepts. */
export const SAMPLER_MAX_RUN_LENGTH = 20;
/** Junos default of `max-packets-per-second`. */
export const SAMPLER_DEFAULT_MAX_PPS = 1000;
/** Largest sampling interval a v5 header can carry (14 bits). */
export const NETFLOW_V5_MAX_SAMPLING_INTERVAL = 0x3fff;

/** How triggers are chosen: 1-in-N at random (v5 sampling mode 2) or every N-th packet (mode 1). */
export type SamplingMode = "random" | "deterministic";

/** Sampling settings. */
export interface SamplerOptions {
  /** `rate`: sample 1 packet in N, 1..65535 (1 samples every packet). */
  rate: number;
  /** `run-length`: packets sampled after each trigger, 0..20 (default 0). */
  runLength?: number;
  /**
   * `max-packets-per-second`: most packets sampled per second, 0..65535 (default 1000, as Junos; 0 samples nothing).
   * `Infinity` removes the cap (not a Junos setting; for replaying captures at full rate).
   */
  maxPacketsPerSecond?: number;
  /** Trigger choice (default `random`). */
  mode?: SamplingMode;
  /** Uniform random numbers in [0, 1) (default `Math.random`); inject {@link seededRandom} in tests. */
  random?: () => number;
}

/** Counters of a {@link Sampler}: `seen` = `sampled` + `capped` + packets not selected. */
export interface SamplerCounters {
  /** Packets offered. */
  seen: number;
  /** Packets sampled. */
  sampled: number;
  /** Packets selected (trigger or run) but dropped by `max-packets-per-second`. */
  capped: number;
  /** Packets selected as triggers (before the cap). */
  triggers: number;
}

/** The v5 header's sampling field: mode (0 none, 1 deterministic, 2 random) and 14-bit interval. */
export interface HeaderSampling {
  samplingMode: number;
  samplingInterval: number;
}

/** A sampling setting outside its range. Code `ERR_SAMPLER_OPTION`. */
export class SamplerOptionError extends RuntimeError {
  constructor(message: string) {
    super("ERR_SAMPLER_OPTION", message);
  }
}

/**
 * A seeded uniform random source in [0, 1) (xorshift32, Marsaglia 2003): the same seed gives the same sequence. For
 * tests and reproducible replays, not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new SamplerOptionError(`sampling ${name} ${v} is not an integer in ${min}..${max}`);
  }
  return v;
}

/** Junos-style packet sampler; call {@link sample} once per packet, in time order. */
export class Sampler {
  /** Running counters. */
  readonly counters: SamplerCounters = { seen: 0, sampled: 0, capped: 0, triggers: 0 };
  readonly #rate: number;
  readonly #runLength: number;
  readonly #maxPps: number;
  readonly #mode: SamplingMode;
  readonly #random: () => number;
  /** ln(1 - 1/N), for geometric gaps. */
  readonly #logQ: number;
  /** Packets until the next trigger (1 = the next packet). */
  #countdown: number;
  #runLeft = 0;
  #second = Number.NaN;
  #inSecond = 0;

  /** @throws SamplerOptionError `ERR_SAMPLER_OPTION` for a setting outside the Junos ranges. */
  constructor(options: SamplerOptions) {
    this.#rate = checkInt("rate", options.rate, 1, SAMPLER_MAX_RATE);
    this.#runLength = checkInt("run-length", options.runLength ?? 0, 0, SAMPLER_MAX_RUN_LENGTH);
    const max = options.maxPacketsPerSecond ?? SAMPLER_DEFAULT_MAX_PPS;
    this.#maxPps = max === Number.POSITIVE_INFINITY ? max : checkInt("max-packets-per-second", max, 0, 65535);
    this.#mode = options.mode ?? "random";
    if (this.#mode !== "random" && this.#mode !== "deterministic") {
      throw new SamplerOptionError(`sampling mode ${JSON.stringify(this.#mode)} is not random or deterministic`);
    }
    this.#random = options.random ?? Math.random;
    this.#logQ = Math.log1p(-1 / this.#rate);
    this.#countdown = this.#nextGap();
  }

  /** The configured rate N. */
  get rate(): number {
    return this.#rate;
  }

  /**
   * The v5 header's sampling field for this sampler: mode 0 and interval 0 for rate 1 (every packet), else mode 2
   * (random) or 1 (deterministic) with the rate as interval, clamped to the 14 bits the field has (16383).
   */
  headerSampling(): HeaderSampling {
    if (this.#rate === 1) return { samplingMode: 0, samplingInterval: 0 };
    return {
      samplingMode: this.#mode === "random" ? 2 : 1,
      samplingInterval: Math.min(this.#rate, NETFLOW_V5_MAX_SAMPLING_INTERVAL),
    };
  }

  /** Decides whether the packet seen at `nowMs` (epoch ms, non-decreasing) is sampled. Allocates nothing. */
  sample(nowMs: number): boolean {
    const c = this.counters;
    c.seen++;
    if (--this.#countdown === 0) {
      c.triggers++;
      this.#countdown = this.#nextGap();
      this.#runLeft = this.#runLength;
    } else if (this.#runLeft > 0) {
      this.#runLeft--;
    } else {
      return false;
    }
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#inSecond = 0;
    }
    if (this.#inSecond >= this.#maxPps) {
      c.capped++;
      return false;
    }
    this.#inSecond++;
    c.sampled++;
    return true;
  }

  /** Packets from one trigger to the next: N, or a geometric draw with mean N in random mode. */
  #nextGap(): number {
    if (this.#rate === 1) return 1;
    if (this.#mode === "deterministic") return this.#rate;
    // Inverse transform: P(gap = k) = (1-p)^(k-1) p. 1 - u lies in (0, 1], so the log is finite.
    const gap = 1 + Math.floor(Math.log(1 - this.#random()) / this.#logQ);
    return gap > 0 && gap < 2 ** 31 ? gap : 2 ** 31;
  }
}
