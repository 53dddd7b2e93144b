/**
 * Unique record file names within one collector interface. The spec's names (`cFlowd-<id>-<channel>-<date>_<time>-
 * <ifAlias>.bcp.bi.gz`) carry the creation time in whole seconds, so two files of one (channel, ifAlias) created within
 * one second would collide, and the second rename would replace the first file (and its upload replace the first
 * upload). The namer hands out, per (channel, ifAlias), strictly increasing seconds: a file created in the same second
 * as the previous one is named one second later. `%S` (sequence) counts files per (channel, ifAlias) from 0.
 */

/** The time and sequence number a new file's name is built from. */
export interface ClaimedName {
  /** UNIX seconds for `%D_%T`: the creation second, or one more than the previous claim of the same key. */
  time: number;
  /** `%S`: files claimed for the same key before this one (in this process). */
  sequence: number;
}

/** Hands out name times per key (`channel` and `ifAlias`); memory grows with the number of keys only. */
export class FileNamer {
  readonly #last = new Map<string, ClaimedName>();

  /** Claims a name for a file of `channel`/`ifAlias` created at UNIX second `time` (or later, see above). */
  claim(channel: number, ifAlias: string, time: number): ClaimedName {
    const key = `${channel}\u0000${ifAlias}`;
    const last = this.#last.get(key);
    const claimed: ClaimedName =
      last === undefined ? { time, sequence: 0 } : { time: Math.max(time, last.time + 1), sequence: last.sequence + 1 };
    this.#last.set(key, claimed);
    return claimed;
  }
}
