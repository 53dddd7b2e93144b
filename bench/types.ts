/** One micro-benchmark: `fn` does `unitsPerIteration` units of work (records or bytes) per call. */
export interface Benchmark {
  /** Group heading, e.g. "NetFlow v5". */
  group: string;
  /** Name within the group, e.g. "decode into records". */
  name: string;
  /** Records or bytes processed by one call of `fn`. */
  unitsPerIteration: number;
  /** What `unitsPerIteration` counts. */
  unit: "records" | "bytes";
  /** The work; its result is kept so the JIT cannot drop it. */
  fn: () => unknown;
}
