/**
 * NetFlow times to absolute time. A v5/v8 header carries the export time twice: as UNIX seconds + nanoseconds and as
 * `sysUptime`, the exporter's milliseconds since boot; record times (`first`, `last`) are on the uptime clock only
 * (spec/cflowd-v5-format.txt, Tables 15 and 16). The uptime is a 32-bit millisecond counter that wraps every
 * 2^32 ms (about 49.7 days), so a record time is placed relative to the header's `sysUptime` by the signed 32-bit
 * difference: a record uptime slightly above `sysUptime` after a wrap (e.g. 4294967000 against 200) is 496 ms before
 * the export, and one a few ms above it without a wrap (clock skew) is a few ms after it. Records therefore must lie
 * within 2^31 ms (about 24.8 days) of the export, which every flow cache timeout respects. Pure functions, no clock.
 */

/** The header fields the conversions need (both v5 and v8 headers have them). */
export interface NetflowClock {
  /** Exporter uptime at export, ms, uint32. */
  sysUptime: number;
  /** Export time, UNIX seconds, uint32. */
  unixSecs: number;
  /** Residual nanoseconds of the export time, uint32. */
  unixNsecs: number;
}

/** Absolute start and end of a record, epoch milliseconds. */
export interface NetflowRecordTimes {
  firstMs: number;
  lastMs: number;
}

const TWO_POW_32 = 4294967296;

/** Export time of a datagram in epoch milliseconds (whole ms; the sub-millisecond nanoseconds are dropped). */
export function netflowExportTimeMs(clock: NetflowClock): number {
  return clock.unixSecs * 1000 + Math.floor(clock.unixNsecs / 1_000_000);
}

/**
 * Epoch milliseconds at which the exporter's uptime counter last read 0: its boot time, or the last wrap of the
 * 32-bit counter when it has run longer than 2^32 ms. Two datagrams of one exporter agree on it within the
 * exporter's clock jitter; a later boot time than before means a restart (or a wrap).
 */
export function netflowBootTimeMs(clock: NetflowClock): number {
  return netflowExportTimeMs(clock) - clock.sysUptime;
}

/**
 * Milliseconds from the uptime `uptimeMs` to the header's `sysUptime`: positive when `uptimeMs` is earlier, negative
 * when later, by the signed 32-bit difference (correct across the counter wrap, range -2^31..2^31-1).
 */
export function netflowUptimeAgeMs(clock: NetflowClock, uptimeMs: number): number {
  return (clock.sysUptime - uptimeMs) | 0;
}

/** Converts a record uptime (`first` or `last`, ms) to epoch milliseconds, across the uptime wrap. */
export function netflowUptimeToEpochMs(clock: NetflowClock, uptimeMs: number): number {
  return netflowExportTimeMs(clock) - netflowUptimeAgeMs(clock, uptimeMs);
}

/** Absolute times of a record's `first` and `last` uptimes, epoch milliseconds. */
export function netflowRecordTimes(clock: NetflowClock, record: { first: number; last: number }): NetflowRecordTimes {
  return { firstMs: netflowUptimeToEpochMs(clock, record.first), lastMs: netflowUptimeToEpochMs(clock, record.last) };
}

/** Duration of a record from `first` to `last`, ms, modulo 2^32 (a `last` past the uptime wrap still counts forward). */
export function netflowRecordDurationMs(record: { first: number; last: number }): number {
  return (((record.last - record.first) % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
}

/**
 * The record uptime (uint32, ms) that an epoch time corresponds to under `clock`, the inverse of
 * {@link netflowUptimeToEpochMs} for times within 2^31 ms of the export; used by exporters and tests.
 */
export function netflowEpochToUptimeMs(clock: NetflowClock, epochMs: number): number {
  const age = netflowExportTimeMs(clock) - Math.floor(epochMs);
  return (clock.sysUptime - age) >>> 0;
}
