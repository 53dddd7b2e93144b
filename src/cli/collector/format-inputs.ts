/**
 * `show services flow-collector input interface NAME [terse | detail | extensive]` as Junos prints it
 * (flow-collector.txt, "Verifying Your Work"): the same `Interface  Packets  Bytes` table at every level, one row per
 * input (monitoring) interface. The other per-input figures (exporter, flows, sequence) are in `| display json` and
 * on `/metrics`.
 */
import type { InputStatus } from "../../collector/status.ts";
import { alignColumns, type ColumnSpec } from "../junos/columns.ts";

const COLUMNS: readonly ColumnSpec[] = [
  { align: "left", width: 16 },
  { align: "right", width: 12 },
  { align: "right", width: 14 },
];

/** The table of inputs. */
export function formatInputs(inputs: readonly InputStatus[]): string[] {
  const rows = inputs.map((i) => [i.name, String(i.packets), String(i.bytes)]);
  return alignColumns(COLUMNS, [["Interface", "Packets", "Bytes"], ...rows]);
}
