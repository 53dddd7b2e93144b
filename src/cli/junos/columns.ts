/**
 * Text columns for Junos-style tables: each column as wide as its widest cell (at least `width`), cells left- or
 * right-aligned (numbers right), one space between columns, trailing spaces removed.
 */

/** One column: alignment and minimum width in characters. */
export interface ColumnSpec {
  readonly align: "left" | "right";
  readonly width: number;
}

/** Lays out `rows` (header rows included) in columns; returns one line per row. */
export function alignColumns(columns: readonly ColumnSpec[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((c, i) => Math.max(c.width, ...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((row) =>
    columns
      .map((c, i) => {
        const cell = row[i] ?? "";
        return c.align === "left" ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!);
      })
      .join(" ")
      .trimEnd(),
  );
}

/** Prefixes every line with `spaces` spaces (Junos indents two per level). */
export function indent(lines: readonly string[], spaces = 2): string[] {
  const pad = " ".repeat(spaces);
  return lines.map((l) => (l === "" ? l : pad + l));
}
