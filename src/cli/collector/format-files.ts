/**
 * `show services flow-collector file interface NAME [terse | detail | extensive]` as Junos prints it
 * (flow-collector.txt, "Verifying Your Work"). Pure functions from {@link FileStatus} to lines.
 *
 * - `terse` (and no level): `File name  Flows  State`, one line per file.
 * - `detail`: per file, `Filename:` then `Throughput:` (records, uncompressed and compressed bytes on one line) and
 *   `Status:` (state, transfer attempts), sections indented two spaces, their figures four.
 * - `extensive`: as `detail` with per-second and peak figures, and compressed blocks and block count.
 */
import type { FileStatus } from "../../collector/status.ts";
import { alignColumns, type ColumnSpec, indent } from "../junos/columns.ts";
import { type OutputLevel, rateLine } from "./format-interface.ts";

const TERSE_COLUMNS: readonly ColumnSpec[] = [
  { align: "left", width: 9 },
  { align: "right", width: 8 },
  { align: "left", width: 5 },
];

/** `terse`: the table of files. */
export function formatFilesTerse(files: readonly FileStatus[]): string[] {
  const rows = files.map((f) => [f.name, String(f.records.total), f.state]);
  return alignColumns(TERSE_COLUMNS, [["File name", "Flows", "State"], ...rows]);
}

function block(f: FileStatus, throughput: string[], status: string[]): string[] {
  return [`Filename: ${f.name}`, ...indent(["Throughput:", ...indent(throughput), "Status:", ...indent(status)])];
}

/** `detail` of one file. */
export function formatFileDetail(f: FileStatus): string[] {
  const totals = `Flow records: ${f.records.total}, Uncompressed bytes: ${f.uncompressedBytes.total}, Compressed bytes: ${f.compressedBytes.total}`;
  return block(f, [totals], [`State: ${f.state}, Transfer attempts: ${f.transferAttempts}`]);
}

/** `extensive` of one file. */
export function formatFileExtensive(f: FileStatus): string[] {
  return block(
    f,
    [
      rateLine("Flow records", f.records),
      rateLine("Uncompressed bytes", f.uncompressedBytes),
      rateLine("Compressed bytes", f.compressedBytes),
    ],
    [
      `Compressed blocks: ${f.compressedBlocks}, Block count: ${f.blockCount}`,
      `State: ${f.state}, Transfer attempts: ${f.transferAttempts}`,
    ],
  );
}

/** The whole output for `level` (default `terse`). */
export function formatFiles(files: readonly FileStatus[], level: OutputLevel = "terse"): string[] {
  if (level === "terse") return formatFilesTerse(files);
  return files.flatMap(level === "extensive" ? formatFileExtensive : formatFileDetail);
}
