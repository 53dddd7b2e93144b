/**
 * `show services flow-collector [interface (all | NAME)] [terse | detail | extensive]` as Junos prints it
 * (flow-collector.txt, "Verifying Your Work"). Pure functions from {@link InterfaceStatus} to lines.
 *
 * - `detail` (and no level): the interface, its state, and one row of totals under the two-line header
 *   `Packets Bytes Flows Uncompressed/Bytes Compressed/Bytes FTP bytes FTP files`, columns right-aligned.
 * - `extensive`: memory, input, allocation, files, throughput, packet drops (two per line, as the spec pairs them),
 *   file transfer and the export channels, each section indented two spaces under the interface and its figures two more.
 * - `terse`: one line per interface (name, state, packets, bytes, flows).
 */
import type { RateValue } from "../../collector/rate-counter.ts";
import type { ExportChannelStatus, InterfaceStatus, ServerRole } from "../../collector/status.ts";
import { alignColumns, type ColumnSpec, indent } from "../junos/columns.ts";

/** The output levels of the show commands. */
export type OutputLevel = "terse" | "detail" | "extensive";

/** The first two lines of every per-interface block. */
export function interfaceHeading(name: string, state: string): string[] {
  return [`Flow collector interface: ${name}`, `  Interface state: ${state}`];
}

const DETAIL_COLUMNS: readonly ColumnSpec[] = [
  { align: "right", width: 8 },
  { align: "right", width: 10 },
  { align: "right", width: 9 },
  { align: "right", width: 13 },
  { align: "right", width: 11 },
  { align: "right", width: 10 },
  { align: "right", width: 10 },
];
const DETAIL_HEADER = ["Packets", "Bytes", "Flows", "Uncompressed", "Compressed", "FTP bytes", "FTP files"];
const DETAIL_HEADER_2 = ["", "", "", "Bytes", "Bytes", "", ""];

/** `detail`: heading and the table of totals. */
export function formatInterfaceDetail(s: InterfaceStatus): string[] {
  const totals = [
    s.input.packets.total,
    s.input.bytes.total,
    s.input.flowRecords.total,
    s.throughput.uncompressedBytes.total,
    s.throughput.compressedBytes.total,
    s.fileTransfer.ftpBytes.total,
    s.fileTransfer.ftpFiles.total,
  ].map(String);
  return [
    ...interfaceHeading(s.name, s.state),
    ...indent(alignColumns(DETAIL_COLUMNS, [DETAIL_HEADER, DETAIL_HEADER_2, totals])),
  ];
}

/** A counter with its rates: `Label: total, per second: n, peak per second: n`. */
export function rateLine(label: string, v: RateValue): string {
  return `${label}: ${v.total}, per second: ${v.perSecond}, peak per second: ${v.peakPerSecond}`;
}

function section(title: string, lines: readonly string[]): string[] {
  return [`${title}:`, ...indent(lines)];
}

function roleName(role: ServerRole): string {
  return role === "primary" ? "Primary" : "Secondary";
}

/** One export channel's lines (`Export channel: 0` and its servers). */
export function formatExportChannel(c: ExportChannelStatus): string[] {
  return [
    `Export channel: ${c.channel}`,
    ...indent([
      `Current server: ${roleName(c.currentServer)}`,
      `Primary server state: ${c.primaryState}, Secondary server state: ${c.secondaryState}`,
    ]),
  ];
}

/** `extensive`: every figure of the spec's layout, in its order. */
export function formatInterfaceExtensive(s: InterfaceStatus): string[] {
  const d = s.drops;
  const body = [
    ...section("Memory", [`Used: ${s.memory.used}, Free: ${s.memory.free}`]),
    ...section("Input", [
      rateLine("Packets", s.input.packets),
      rateLine("Bytes", s.input.bytes),
      rateLine("Flow records processed", s.input.flowRecords),
    ]),
    ...section("Allocation", [
      rateLine("Blocks allocated", s.allocation.blocksAllocated),
      rateLine("Blocks freed", s.allocation.blocksFreed),
      rateLine("Blocks unavailable", s.allocation.blocksUnavailable),
    ]),
    ...section("Files", [
      rateLine("Files created", s.files.created),
      rateLine("Files exported", s.files.exported),
      rateLine("Files destroyed", s.files.destroyed),
    ]),
    ...section("Throughput", [
      rateLine("Uncompressed bytes", s.throughput.uncompressedBytes),
      rateLine("Compressed bytes", s.throughput.compressedBytes),
    ]),
    ...section("Packet drops", [
      `No memory: ${d.noMemory}, Not IP: ${d.notIp}`,
      `Not IPv4: ${d.notIpv4}, Too small: ${d.tooSmall}`,
      `Fragments: ${d.fragments}, ICMP: ${d.icmp}`,
      `TCP: ${d.tcp}, Unknown: ${d.unknown}`,
      `Not JUNOS flow: ${d.notJunosFlow}`,
    ]),
    ...section("File Transfer", [
      rateLine("FTP bytes", s.fileTransfer.ftpBytes),
      rateLine("FTP files", s.fileTransfer.ftpFiles),
      `FTP failure: ${s.fileTransfer.ftpFailure}`,
    ]),
    ...s.exportChannels.flatMap(formatExportChannel),
  ];
  return [...interfaceHeading(s.name, s.state), ...indent(body)];
}

const TERSE_COLUMNS: readonly ColumnSpec[] = [
  { align: "left", width: 12 },
  { align: "left", width: 16 },
  { align: "right", width: 10 },
  { align: "right", width: 12 },
  { align: "right", width: 10 },
];

/** `terse`: one line per interface under one header. */
export function formatInterfacesTerse(list: readonly InterfaceStatus[]): string[] {
  const rows = list.map((s) => [
    s.name,
    s.state,
    String(s.input.packets.total),
    String(s.input.bytes.total),
    String(s.input.flowRecords.total),
  ]);
  return alignColumns(TERSE_COLUMNS, [["Interface", "State", "Packets", "Bytes", "Flows"], ...rows]);
}

/** The whole output for `level` (default `detail`, the spec's standard table). */
export function formatInterfaces(list: readonly InterfaceStatus[], level: OutputLevel = "detail"): string[] {
  if (level === "terse") return formatInterfacesTerse(list);
  return list.flatMap(level === "extensive" ? formatInterfaceExtensive : formatInterfaceDetail);
}
