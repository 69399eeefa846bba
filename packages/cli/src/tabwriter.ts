/**
 * A port of Go's text/tabwriter layout (left-aligned, space padding), the engine behind
 * `kubectl get` tables (minWidth 6, padding 3) and `kubectl describe` (minWidth 0, padding 2).
 *
 * Cells are tab-terminated; the text after a line's last tab is not part of any column.
 * A column block is a run of consecutive lines that all have a cell in that column; each block
 * gets its own width = max(minWidth, widest cell + padding). Dependency-free and pure.
 */

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

interface Cell {
  text: string;
  width: number;
}

type Line = Cell[];

export const KUBECTL_GET_TABWRITER: TabwriterOptions = { minWidth: 6, padding: 3 };
export const KUBECTL_DESCRIBE_TABWRITER: TabwriterOptions = { minWidth: 0, padding: 2 };

/** Aligns tab-separated text the way Go's tabwriter does. */
export function alignTabs(text: string, options: TabwriterOptions): string {
  const lines = parseLines(text);
  const out: string[] = [];
  formatColumn(lines, [], 0, lines.length, options, out);
  return out.join('\n');
}

function parseLines(text: string): Line[] {
  return text.split('\n').map((line) => line.split('\t').map(toCell));
}

function toCell(text: string): Cell {
  return { text, width: [...text].length };
}

function formatColumn(lines: Line[], widths: number[], line0: number, line1: number, options: TabwriterOptions, out: string[]): void {
  const column = widths.length;
  let blockStart = line0;
  for (let row = line0; row < line1; row++) {
    if (!hasCell(lines[row], column)) continue;
    writeLines(lines, widths, blockStart, row, out);
    blockStart = row;
    let width = options.minWidth;
    for (; row < line1 && hasCell(lines[row], column); row++) {
      width = Math.max(width, (lines[row]?.[column]?.width ?? 0) + options.padding);
    }
    formatColumn(lines, [...widths, width], blockStart, row, options, out);
    blockStart = row;
  }
  writeLines(lines, widths, blockStart, line1, out);
}

/** A cell "exists" in a column only if it is tab-terminated (i.e. not the line's last cell). */
function hasCell(line: Line | undefined, column: number): boolean {
  return line !== undefined && column < line.length - 1;
}

function writeLines(lines: Line[], widths: number[], from: number, to: number, out: string[]): void {
  for (let row = from; row < to; row++) {
    out.push((lines[row] ?? []).map((cell, j) => padCell(cell, widths[j])).join(''));
  }
}

function padCell(cell: Cell, columnWidth: number | undefined): string {
  if (columnWidth === undefined) return cell.text;
  return cell.text + ' '.repeat(Math.max(0, columnWidth - cell.width));
}

/** Renders a kubectl-style table: upper-case headers, columns at least 3 spaces apart. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const text = [headers.map((h) => h.toUpperCase()), ...rows].map((cells) => cells.join('\t')).join('\n');
  return alignTabs(text, KUBECTL_GET_TABWRITER) + '\n';
}
