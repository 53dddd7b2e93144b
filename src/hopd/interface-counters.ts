/**
 * Interface counters of the router (compute-agent-api.txt Table 14, without the rates, which the agent computes from
 * two samples) from `/sys/class/net/<if>/statistics/*` (Documentation/ABI/testing/sysfs-class-net-statistics):
 *
 * | Table 14 | Linux |
 * | --- | --- |
 * | TX_PKTS / RX_PKTS | tx_packets / rx_packets |
 * | TX_BYTES / RX_BYTES | tx_bytes / rx_bytes |
 * | RX_MCPKTS | multicast (received multicast; Linux counts broadcast in it too) |
 * | RX_BCPKTS | 0: Linux keeps no separate broadcast counter |
 * | RX_UCPKTS | rx_packets − multicast |
 * | TX_UCPKTS | tx_packets (Linux keeps no transmit multicast/broadcast counters) |
 * | TX_MCPKTS / TX_BCPKTS | 0 |
 * | RX_CRCERROR | rx_crc_errors + rx_frame_errors (FCS and alignment errors: "CRC align errors") |
 * | TX_CRCERROR | 0: a transmitter makes no CRC errors |
 * | RX_DROPPKT | rx_dropped + rx_missed_errors (missed: no buffer, the "buffer full condition") |
 * | TX_DROPPKT | tx_dropped |
 */
import type { InterfaceCounters } from "../telemetry/provider.ts";
import type { HopSystem } from "./system.ts";

/** The statistics files read per interface. */
export const STATISTICS_FILES = [
  "rx_packets",
  "tx_packets",
  "rx_bytes",
  "tx_bytes",
  "multicast",
  "rx_crc_errors",
  "rx_frame_errors",
  "rx_dropped",
  "rx_missed_errors",
  "tx_dropped",
] as const;

/** Raw Linux statistics of one interface (missing files read as 0). */
export type LinuxStatistics = Record<(typeof STATISTICS_FILES)[number], number>;

/** Maps Linux statistics to Table 14 counters (see the module comment for each field). */
export function countersFromLinux(s: LinuxStatistics, sampledAtMs: number): InterfaceCounters {
  return {
    txPkts: s.tx_packets,
    rxPkts: s.rx_packets,
    txUcPkts: s.tx_packets,
    rxUcPkts: Math.max(0, s.rx_packets - s.multicast),
    txBcPkts: 0,
    rxBcPkts: 0,
    txMcPkts: 0,
    rxMcPkts: s.multicast,
    txCrcError: 0,
    rxCrcError: s.rx_crc_errors + s.rx_frame_errors,
    txDropPkt: s.tx_dropped,
    rxDropPkt: s.rx_dropped + s.rx_missed_errors,
    txBytes: s.tx_bytes,
    rxBytes: s.rx_bytes,
    sampledAtMs,
  };
}

/** Parses one statistics file's text (a decimal counter); 0 for anything else. */
export function parseCounter(text: string | null): number {
  const n = Number((text ?? "").trim());
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/** Reads interface counters from /sys. */
export class InterfaceCounterReader {
  constructor(
    private readonly system: HopSystem,
    private readonly root = "/sys/class/net",
  ) {}

  /** Names of every interface (sorted). */
  names(): Promise<string[]> {
    return this.system.listDir(this.root);
  }

  /** Linux statistics of one interface; null when it does not exist. */
  async statistics(name: string): Promise<LinuxStatistics | null> {
    if (name.includes("/") || name === "." || name === "..") return null;
    const dir = `${this.root}/${name}/statistics`;
    const texts = await Promise.all(STATISTICS_FILES.map((f) => this.system.readFile(`${dir}/${f}`)));
    if (texts.every((t) => t === null)) return null;
    const out = {} as LinuxStatistics;
    STATISTICS_FILES.forEach((f, i) => {
      out[f] = parseCounter(texts[i] ?? null);
    });
    return out;
  }

  /** Table 14 counters of one interface; null when it does not exist. */
  async counters(name: string): Promise<InterfaceCounters | null> {
    const s = await this.statistics(name);
    return s === null ? null : countersFromLinux(s, this.system.now());
  }

  /** Counters of every interface, by name. */
  async all(): Promise<Map<string, InterfaceCounters>> {
    const names = await this.names();
    const out = new Map<string, InterfaceCounters>();
    for (const [i, c] of (await Promise.all(names.map((n) => this.counters(n)))).entries()) {
      if (c !== null) out.set(names[i]!, c);
    }
    return out;
  }
}
