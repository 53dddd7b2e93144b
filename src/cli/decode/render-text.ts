/**
 * `flowlens decode` text output: a header line per datagram, then one nfdump-"long"-like line per record. Times are
 * UTC (nfdump prints local time); protocols by IANA keyword; ICMP destination ports as `type.code`; TCP flags as
 * `.A..S.`; fields a v8 scheme does not carry print as `*` (addresses) or `-`.
 */
import { formatIsoMillis } from "../../wire/calendar.ts";
import { protocolName } from "../../wire/iana-protocols.ts";
import type { NetflowDatagram } from "../../wire/netflow.ts";
import { netflowExportTimeMs } from "../../wire/netflow-time.ts";
import { netflowV8Layout } from "../../wire/netflow-v8.ts";
import { tcpFlagsToString } from "../../wire/tcp-flags.ts";
import type { DecodedEvent } from "./inputs.ts";
import { type RecordView, recordView } from "./record-view.ts";

/** Column heading printed once before the first record line. */
export const TEXT_COLUMNS =
  "Date first seen (UTC)      Duration Proto                Src IP Addr:Port          Dst IP Addr:Port   Flags Tos  Packets    Bytes Flows";

function utcTime(ms: number): string {
  const iso = formatIsoMillis(ms);
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function headerLine(event: DecodedEvent): string {
  const d: NetflowDatagram = event.datagram;
  const h = d.header;
  const parts = [`# ${event.file} #${event.index}:`, `NetFlow v${h.version}`];
  if (h.version === 8) parts.push(`aggregation ${h.aggregation} (${netflowV8Layout(h.aggregation)?.name ?? "?"})`);
  parts.push(`count ${h.count}`, `seq ${h.flowSequence}`, `engine ${h.engineType}/${h.engineId}`);
  if (h.version === 5) parts.push(`sampling mode ${h.samplingMode} interval ${h.samplingInterval}`);
  parts.push(`uptime ${h.sysUptime} ms`, `exported ${new Date(netflowExportTimeMs(h)).toISOString()}`);
  if (event.exporter !== undefined) parts.push(`from ${event.exporter} to ${event.collector}`);
  if (d.padding > 0) parts.push(`padding ${d.padding} bytes`);
  return parts.join(" ");
}

function port(v: RecordView, side: "src" | "dst"): string {
  const p = side === "src" ? v.srcPort : v.dstPort;
  if (p === undefined) return "";
  // cflowd-v5-format.txt: ICMP type in the high byte and code in the low byte of the destination port.
  if (side === "dst" && (v.prot === 1 || v.prot === 58)) return `:${p >>> 8}.${p & 0xff}`;
  return `:${p}`;
}

/** One text line for a record view. */
export function recordLine(v: RecordView): string {
  const proto = v.prot === undefined ? "*" : protocolName(v.prot).toUpperCase();
  const flags = v.tcpFlags === undefined ? "-" : tcpFlagsToString(v.tcpFlags);
  return [
    utcTime(v.firstMs),
    (v.durationMs / 1000).toFixed(3).padStart(9),
    proto.padEnd(5),
    `${v.src}${port(v, "src")}`.padStart(30),
    "->",
    `${v.dst}${port(v, "dst")}`.padEnd(24),
    flags.padStart(6),
    String(v.tos ?? "-").padStart(3),
    String(v.packets).padStart(8),
    String(v.bytes).padStart(8),
    String(v.flows).padStart(5),
  ].join(" ");
}

/** The lines (no newlines) for one decoded datagram: its header line, then one line per record. */
export function renderTextLines(event: DecodedEvent): string[] {
  const d = event.datagram;
  const lines = [headerLine(event)];
  for (const r of d.records as object[]) lines.push(recordLine(recordView(d.header, r)));
  return lines;
}
