/**
 * Calendar times for flowlens's text formats (file names, transfer-log lines, local-dump lines): UNIX seconds to and
 * from year/month/day/hour/minute/second, in UTC or at a fixed UTC offset passed in (src/wire reads no clock and no
 * time zone database).
 */

import { InvalidFieldError } from "./errors.ts";

/** Where a wall-clock time is shown: UTC by default, or local time given as its offset from UTC. */
export interface UtcOffsetOption {
  /** Minutes east of UTC to add before showing a time (e.g. 60 for CET, -300 for EST); -1440 to 1440, default 0. */
  utcOffsetMinutes?: number;
}

/** A wall-clock date and time (proleptic Gregorian, year 0-9999). */
export interface CalendarTime {
  /** Year, 0-9999. */
  year: number;
  /** Month, 1-12. */
  month: number;
  /** Day of the month, 1-31. */
  day: number;
  /** Hour, 0-23. */
  hour: number;
  /** Minute, 0-59. */
  minute: number;
  /** Second, 0-59. */
  second: number;
}

function offsetSeconds(options: UtcOffsetOption | undefined): number {
  const m = options?.utcOffsetMinutes ?? 0;
  if (!Number.isInteger(m) || m < -1440 || m > 1440) {
    throw new InvalidFieldError("ERR_UTC_OFFSET", `UTC offset out of range: ${m} minutes`, 0);
  }
  return m * 60;
}

const MAX_UNIX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/**
 * The wall-clock time of `unixSeconds` (integer seconds since 1970-01-01T00:00:00Z) in UTC or at a UTC offset.
 * @throws InvalidFieldError `ERR_TIME_RANGE` for a non-integer time or one outside year 1970 to 9999 once shifted,
 *   `ERR_UTC_OFFSET` for a bad offset.
 */
export function calendarTime(unixSeconds: number, options?: UtcOffsetOption): CalendarTime {
  const t = unixSeconds + offsetSeconds(options);
  if (!Number.isInteger(unixSeconds) || t < 0 || t > MAX_UNIX_SECONDS) {
    throw new InvalidFieldError("ERR_TIME_RANGE", `time out of range: ${unixSeconds}`, 0);
  }
  const d = new Date(t * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * UNIX seconds of a wall-clock time in UTC or at a UTC offset; `undefined` when a field is out of its range or the day
 * does not exist (`20030230`).
 */
export function unixSecondsOf(t: CalendarTime, options?: UtcOffsetOption): number | undefined {
  const { year, month, day, hour, minute, second } = t;
  for (const v of [year, month, day, hour, minute, second]) if (!Number.isInteger(v) || v < 0) return undefined;
  if (year > 9999 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month - 1) return undefined;
  return d.getTime() / 1000 - offsetSeconds(options);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `YYYYMMDD` of a wall-clock time. */
export function formatYmd(t: CalendarTime): string {
  return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2);
}

/** `hhmmss` of a wall-clock time. */
export function formatHms(t: CalendarTime): string {
  return pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2);
}

/**
 * Reads `YYYYMMDD` and `hhmmss` digit strings as a wall-clock time; `undefined` when they are not 8 and 6 digits or
 * name no real date and time.
 */
export function parseYmdHms(ymd: string, hms: string, options?: UtcOffsetOption): number | undefined {
  if (!/^\d{8}$/.test(ymd) || !/^\d{6}$/.test(hms)) return undefined;
  const n = (s: string, a: number, b: number) => Number(s.slice(a, b));
  const t = {
    year: n(ymd, 0, 4),
    month: n(ymd, 4, 6),
    day: n(ymd, 6, 8),
    hour: n(hms, 0, 2),
    minute: n(hms, 2, 4),
    second: n(hms, 4, 6),
  };
  return unixSecondsOf(t, options);
}

const MS_PER_DAY = 86_400_000;
let cachedDay = Number.NaN;
let cachedDayPrefix = "";

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * Epoch milliseconds as ISO-8601 UTC with milliseconds (`2016-07-21T13:52:33.936Z`), the same text as
 * `Date.prototype.toISOString` for years 0-9999. The date part is cached per day, so formatting many times of one day
 * (the usual case in flow output) costs a few string concatenations.
 */
export function formatIsoMillis(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
  }
  const t = ms - day * MS_PER_DAY;
  const secs = Math.floor(t / 1000);
  const milli = t - secs * 1000;
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const frac = milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : `${milli}`;
  return `${cachedDayPrefix}${two(h)}:${two(m)}:${two(secs % 60)}.${frac}Z`;
}
