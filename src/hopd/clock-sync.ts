/**
 * The hop's `TIMESTAMP.Type` (compute-agent-api.txt Table 8): `PTP` when a PTP hardware clock is synchronised to a
 * grandmaster (linuxptp), `NTP` when the system clock is NTP-synchronised, otherwise `LCPU` (the local CPU clock).
 *
 * - PTP: a clock under `/sys/class/ptp/` and linuxptp's `pmc -u -b 0 "GET TIME_STATUS_NP"` (talking to ptp4l) reporting
 *   `gmPresent true` with an offset from the master under {@link PTP_MAX_OFFSET_NS}.
 * - NTP: `timedatectl show -p NTPSynchronized --value` says `yes`; without systemd, the kernel's own flag read with
 *   adjtimex(2) through python3's ctypes (no Node binding exists): synchronised when the clock state is not
 *   TIME_ERROR (5) and STA_UNSYNC (0x40) is clear, the flag ntpd, chrony and systemd-timesyncd clear once in sync.
 * Results are cached for {@link CLOCK_CACHE_MS}: the programs are slow and the state changes slowly.
 */
import type { HopSystem } from "./system.ts";

/** Timestamp types of Table 8. */
export type TimestampType = "PTP" | "NTP" | "LCPU";

/** Largest |master offset| for a PTP clock to count as synchronised, nanoseconds. */
export const PTP_MAX_OFFSET_NS = 1_000_000;
/** How long a timestamp type is reused, milliseconds. */
export const CLOCK_CACHE_MS = 30_000;

/** Whether pmc's answer to `GET TIME_STATUS_NP` shows a grandmaster and a master offset within bounds. */
export function parsePmcTimeStatus(text: string): boolean {
  const gm = /^\s*gmPresent\s+(\S+)/m.exec(text)?.[1];
  const offset = Number(/^\s*master_offset\s+(-?\d+)/m.exec(text)?.[1] ?? Number.NaN);
  return gm === "true" && Number.isFinite(offset) && Math.abs(offset) <= PTP_MAX_OFFSET_NS;
}

/** `timedatectl show -p NTPSynchronized --value` output: true for `yes`, false for `no`, null otherwise. */
export function parseTimedatectl(text: string): boolean | null {
  const v = text.trim().replace(/^NTPSynchronized=/, "");
  if (v === "yes") return true;
  if (v === "no") return false;
  return null;
}

/** The adjtimex probe's output `STATE STATUS`: synchronised when STATE != 5 (TIME_ERROR) and STA_UNSYNC is clear. */
export function parseAdjtimex(text: string): boolean | null {
  const m = /^(-?\d+)\s+(-?\d+)/.exec(text.trim());
  if (m === null) return null;
  const state = Number(m[1]);
  const status = Number(m[2]);
  return state !== 5 && (status & 0x40) === 0;
}

/** Python program calling adjtimex(2) with modes 0 (read only); prints the return value and `status`. */
export const ADJTIMEX_PROBE = [
  "import ctypes",
  "L=ctypes.c_long",
  "class T(ctypes.Structure):",
  " _fields_=[('modes',ctypes.c_uint),('offset',L),('freq',L),('maxerror',L),('esterror',L),('status',ctypes.c_int)," +
    "('constant',L),('precision',L),('tolerance',L),('sec',L),('usec',L),('tick',L),('ppsfreq',L),('jitter',L)," +
    "('shift',ctypes.c_int),('stabil',L),('jitcnt',L),('calcnt',L),('errcnt',L),('stbcnt',L),('tai',ctypes.c_int)," +
    "('pad',ctypes.c_int*11)]",
  "t=T()",
  "r=ctypes.CDLL(None,use_errno=True).adjtimex(ctypes.byref(t))",
  "print(r,t.status)",
].join("\n");

/** Finds the timestamp type, caching it for {@link CLOCK_CACHE_MS}. */
export class ClockSyncReader {
  #cached: { type: TimestampType; at: number } | null = null;

  constructor(private readonly system: HopSystem) {}

  /** The current timestamp type. */
  async read(): Promise<TimestampType> {
    const now = this.system.now();
    if (this.#cached !== null && now - this.#cached.at < CLOCK_CACHE_MS) return this.#cached.type;
    const type = await this.#probe();
    this.#cached = { type, at: now };
    return type;
  }

  async #probe(): Promise<TimestampType> {
    if ((await this.system.listDir("/sys/class/ptp")).length > 0) {
      const r = await this.system.run("pmc", ["-u", "-b", "0", "GET TIME_STATUS_NP"]);
      if (r.status === 0 && parsePmcTimeStatus(r.stdout)) return "PTP";
    }
    const t = await this.system.run("timedatectl", ["show", "-p", "NTPSynchronized", "--value"]);
    const viaTimedatectl = t.status === 0 ? parseTimedatectl(t.stdout) : null;
    if (viaTimedatectl !== null) return viaTimedatectl ? "NTP" : "LCPU";
    const a = await this.system.run("python3", ["-c", ADJTIMEX_PROBE]);
    return a.status === 0 && parseAdjtimex(a.stdout) === true ? "NTP" : "LCPU";
  }
}
