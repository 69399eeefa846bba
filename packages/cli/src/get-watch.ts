/**
 * `get TYPE -A` and `get TYPE -w`, as kubectl: the server's Table of a list (of one namespace, or of all
 * with a NAMESPACE column first), then, watching, one row per change (the server renders each watch
 * event's object as a one-row Table) until Ctrl-C, which exits 0.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fromStatus, TABLE_ACCEPT, type HttpTransport, type Status, type Table } from '@jobfleet/client';
import { isClusterScoped, type ResourceKind } from './options.js';
import { tableCells, type PrintTableOptions } from './table-printer.js';

export interface ListAndWatchOptions {
  transport: HttpTransport;
  kind: ResourceKind;
  namespace: string;
  selector?: string;
  /** `get TYPE NAME -w`: metadata.name=NAME. */
  fieldSelector?: string;
  watch?: boolean;
  allNamespaces?: boolean;
  output?: string;
  /** Stops the watch (tests); Ctrl-C does otherwise. */
  signal?: AbortSignal;
  write?: (text: string) => void;
}

const PAGE_SIZE = 500;
const RECONNECT_DELAY_MS = 1_000;
/** A watch event is one line; one longer than this is not a Table row of ours, and must not grow memory without end. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** The list's path: one namespace's, or every namespace's (`/apis/batch/v1/jobs`). */
export function listPath(kind: ResourceKind, namespace: string | undefined): string {
  const prefix = kind === 'jobs' || kind === 'cronjobs' ? '/apis/batch/v1' : '/api/v1';
  const scope = isClusterScoped(kind) || namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${prefix}${scope}/${kind}`;
}

export async function listAndWatch(options: ListAndWatchOptions): Promise<void> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const path = listPath(options.kind, options.allNamespaces ? undefined : options.namespace);
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const signal = options.signal ? AbortSignal.any([options.signal, interrupt.signal]) : interrupt.signal;
  const printOptions: PrintTableOptions = { wide: options.output === 'wide', allNamespaces: options.allNamespaces === true };
  try {
    const selectors = { labelSelector: options.selector, fieldSelector: options.fieldSelector };
    const table = await listTable(options.transport, path, selectors, signal);
    const { headers, rows } = tableCells(table, printOptions);
    const widths = columnWidths([headers.map((h) => h.toUpperCase()), ...rows]);
    if (rows.length > 0) write([headers.map((h) => h.toUpperCase()), ...rows].map((cells) => alignRow(cells, widths)).join(''));
    else process.stderr.write(isClusterScoped(options.kind) ? 'No resources found\n' : options.allNamespaces ? 'No resources found\n' : `No resources found in ${options.namespace} namespace.\n`);
    if (!options.watch) return;
    let resourceVersion = table.metadata.resourceVersion ?? '';
    for (;;) {
      // A watch the server ends (its timeout) goes on from the last change seen, as kubectl's does.
      for await (const event of watchEvents(options.transport, path, selectors, resourceVersion, signal)) {
        const eventTable = event.object as Table;
        resourceVersion = eventTable.metadata.resourceVersion ?? rowResourceVersion(eventTable) ?? resourceVersion;
        const eventRows = tableCells(eventTable, printOptions).rows;
        write(eventRows.map((cells) => alignRow(cells, widths)).join(''));
      }
      await sleep(RECONNECT_DELAY_MS, undefined, { signal }); // a server that ends every watch at once is not asked in a loop
    }
  } catch (error) {
    if (interrupt.signal.aborted) return; // Ctrl-C ends a watch: exit 0, as kubectl
    throw error;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

interface Selectors {
  labelSelector: string | undefined;
  fieldSelector: string | undefined;
}

async function listTable(transport: HttpTransport, path: string, selectors: Selectors, signal: AbortSignal): Promise<Table> {
  const tables: Table[] = [];
  let continueToken: string | undefined;
  do {
    const query = { ...selectors, limit: PAGE_SIZE, continue: continueToken };
    const page = await transport.json<Table>('GET', path, { query, accept: TABLE_ACCEPT, signal });
    if (page.kind !== 'Table' || !Array.isArray(page.rows) || !Array.isArray(page.columnDefinitions)) throw new Error('the server did not answer with a Table (meta.k8s.io/v1): it does not print server-side');
    tables.push(page);
    continueToken = page.metadata.continue || undefined;
  } while (continueToken);
  const [first] = tables;
  if (!first) throw new Error('no Table');
  // Every page of a list is of the same snapshot: the first page's resourceVersion is the one to watch from.
  return { ...first, rows: tables.flatMap((t) => t.rows) };
}

interface WatchEvent {
  type: string;
  object: unknown;
}

async function* watchEvents(transport: HttpTransport, path: string, selectors: Selectors, resourceVersion: string, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const query = { watch: 1, resourceVersion, ...selectors };
  const response = await transport.request('GET', path, { query, accept: TABLE_ACCEPT, signal });
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    if (buffered.length > MAX_EVENT_BYTES) throw new Error(`a watch event of more than ${MAX_EVENT_BYTES} bytes: not a Table row`);
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === '') continue;
      const event = JSON.parse(line) as WatchEvent;
      if (event.type === 'ERROR') throw fromStatus(event.object as Status);
      if (event.type === 'BOOKMARK') continue;
      yield event;
    }
  }
}

function rowResourceVersion(table: Table): string | undefined {
  const object = table.rows.at(-1)?.object as { metadata?: { resourceVersion?: unknown } } | undefined;
  return typeof object?.metadata?.resourceVersion === 'string' ? object.metadata.resourceVersion : undefined;
}

/** kubectl's tabwriter widths (minWidth 6, padding 3), from the header and the first rows; later rows keep them. */
function columnWidths(lines: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const cells of lines) cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 6, [...cell].length + 3)));
  return widths;
}

function alignRow(cells: readonly string[], widths: readonly number[]): string {
  const last = cells.length - 1;
  return `${cells.map((cell, i) => (i === last ? cell : cell + ' '.repeat(Math.max(3, (widths[i] ?? 6) - [...cell].length)))).join('')}\n`;
}
