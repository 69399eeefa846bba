/**
 * `jobfleet get` prints the server's meta.k8s.io Tables the way kubectl does (cli-runtime
 * printers/tableprinter.go): the server computes the columns, this only lays them out — column names
 * upper-cased, priority > 0 columns only with `-o wide`, a cell cut at its first line break with
 * "...", terminal escapes made visible, columns aligned by the Go tabwriter (minWidth 6, padding 3).
 * Pure.
 */
import type { Table } from '@jobfleet/client';
import { formatTable } from './tabwriter.js';

export interface PrintTableOptions {
  /** Show the priority > 0 columns (`-o wide`). */
  wide?: boolean;
  /** kubectl's WithKind, when several kinds are printed: "job.batch" turns the name "pi" into "job.batch/pi". */
  kindPrefix?: string;
  /** `-A`: a NAMESPACE column first. */
  allNamespaces?: boolean;
}

/** The table as text, header first; "" without rows (kubectl prints no header then). */
export function printTable(table: Table, options: PrintTableOptions = {}): string {
  if (table.rows.length === 0) return '';
  const { headers, rows } = tableCells(table, options);
  return formatTable(headers, rows);
}

/** The header and the cells of each row as printed: the visible columns, NAMESPACE first with `allNamespaces`. */
export function tableCells(table: Table, options: PrintTableOptions = {}): { headers: string[]; rows: string[][] } {
  const visible = table.columnDefinitions.flatMap((column, index) => (options.wide || column.priority === 0 ? [{ column, index }] : []));
  const rows = table.rows.map((row) => {
    const cells = visible.map(({ column, index }) => {
      const text = cellText(row.cells[index]);
      return options.kindPrefix && column.format === 'name' ? `${options.kindPrefix}/${text}` : text;
    });
    return options.allNamespaces ? [rowNamespace(row.object), ...cells] : cells;
  });
  const headers = visible.map(({ column }) => column.name);
  return { headers: options.allNamespaces ? ['NAMESPACE', ...headers] : headers, rows };
}

/** kubectl -A takes the namespace from the row's object (PartialObjectMetadata, the Table default). */
function rowNamespace(object: unknown): string {
  const namespace = (object as { metadata?: { namespace?: unknown } } | undefined)?.metadata?.namespace;
  return typeof namespace === 'string' ? cellText(namespace) : '';
}

/** A cell as kubectl prints it: nothing for null, text up to the first line break, ESC as ^[ and CR as \r. */
export function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  const text = typeof cell === 'string' ? cell : typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
  const lineBreak = text.search(/[\f\n\r]/);
  const shown = lineBreak === -1 ? text : `${text.slice(0, lineBreak)}...`;
  return shown.replaceAll(String.fromCharCode(0x1b), '^[').replace(/\r/g, '\\r');
}
