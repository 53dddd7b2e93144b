/**
 * One cached SNMP read (a table or a group of scalars) of one device: fresh values are reused for `maxAgeMs`; a read
 * past its deadline answers with the previous value when there is one, while the refresh goes on in the background, so
 * a slow or dead device never stalls a round and a later round gets the data the slow answer brought.
 */

/** A value with the time it was read (epoch ms). */
export interface Stamped<T> {
  readonly value: T;
  readonly atMs: number;
}

/** Clock and timer used by {@link CachedRead} (injected in tests). */
export interface CacheClock {
  now(): number;
}

/** Thrown by {@link CachedRead.read} when the deadline passed and nothing was cached yet. */
export class CacheDeadlineError extends Error {
  constructor() {
    super("no answer within the deadline and nothing cached");
    this.name = "CacheDeadlineError";
  }
}

/** A cached, deduplicated asynchronous read. */
export class CachedRead<T> {
  private last: Stamped<T> | undefined;
  private pending: Promise<Stamped<T>> | undefined;
  private failed = 0;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly clock: CacheClock = { now: () => Date.now() },
  ) {}

  /** Loads that failed in a row (0 after a success): a device that keeps failing is down, not slow. */
  get consecutiveFailures(): number {
    return this.failed;
  }

  /** The last value read, however old, if any. */
  peek(): Stamped<T> | undefined {
    return this.last;
  }

  private refresh(): Promise<Stamped<T>> {
    if (this.pending === undefined) {
      const p = this.load().then(
        (value) => {
          this.last = { value, atMs: this.clock.now() };
          this.pending = undefined;
          this.failed = 0;
          return this.last;
        },
        (e: unknown) => {
          this.pending = undefined;
          this.failed++;
          throw e;
        },
      );
      // A refresh nobody waits for any more must not become an unhandled rejection.
      p.catch(() => {});
      this.pending = p;
    }
    return this.pending;
  }

  /**
   * The value, read again when the cached one is older than `maxAgeMs`. When the read fails or does not finish within
   * `deadlineMs`, answers with the previous value if there is one.
   * @throws the read's own error, or {@link CacheDeadlineError}, when there is no previous value.
   */
  async read(deadlineMs: number): Promise<Stamped<T>> {
    const last = this.last;
    if (last !== undefined && this.clock.now() - last.atMs < this.maxAgeMs) return last;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), Math.max(0, deadlineMs));
    });
    try {
      const won = await Promise.race([this.refresh(), deadline]);
      if (won !== "deadline") return won;
      if (last !== undefined) return last;
      throw new CacheDeadlineError();
    } catch (e) {
      if (last !== undefined && !(e instanceof CacheDeadlineError)) return last;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
