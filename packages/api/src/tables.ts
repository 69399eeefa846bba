/**
 * Server-side printing: when a client's Accept header asks for `as=Table;g=meta.k8s.io;v=v1` (what
 * `kubectl get` sends), lists, single objects and watch events are answered as a meta.k8s.io
 * Table whose columns are kubectl's (the printers of @jobfleet/kube), each row carrying the object
 * as PartialObjectMetadata (includeObject=Metadata, the default), whole (Object), or not (None).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  BadRequestError,
  CRONJOB_COLUMN_DEFINITIONS,
  EVENT_COLUMN_DEFINITIONS,
  JOB_COLUMN_DEFINITIONS,
  NAMESPACE_COLUMN_DEFINITIONS,
  NODE_COLUMN_DEFINITIONS,
  POD_COLUMN_DEFINITIONS,
  cronJobRow,
  eventRow,
  jobRow,
  namespaceRow,
  nodeRow,
  podRow,
  podRowConditions,
  type CoreEvent,
  type CronJob,
  type Job,
  type Namespace,
  type Node,
  type ObjectMeta,
  type Pod,
  type TableColumnDefinition,
} from '@jobfleet/kube';
import { queryString, sendJson } from './http.js';
import { negotiateOutput } from './negotiation.js';

export type Printable = 'jobs' | 'cronjobs' | 'pods' | 'events' | 'nodes' | 'namespaces';

interface Printer {
  columns: readonly TableColumnDefinition[];
  cells(obj: unknown, now: Date): (string | number)[];
  conditions?(obj: unknown): unknown[];
}

/** Every cell is computed (wide included): kubectl hides the priority-1 columns unless `-o wide`. */
const PRINTERS: Record<Printable, Printer> = {
  jobs: { columns: JOB_COLUMN_DEFINITIONS, cells: (o, now) => jobRow(o as Job, now, true) },
  cronjobs: { columns: CRONJOB_COLUMN_DEFINITIONS, cells: (o, now) => cronJobRow(o as CronJob, now, true) },
  pods: { columns: POD_COLUMN_DEFINITIONS, cells: (o, now) => podRow(o as Pod, now, true), conditions: (o) => podRowConditions(o as Pod) },
  events: { columns: EVENT_COLUMN_DEFINITIONS, cells: (o, now) => eventRow(o as CoreEvent, now, true) },
  nodes: { columns: NODE_COLUMN_DEFINITIONS, cells: (o, now) => nodeRow(o as Node, now, true) },
  namespaces: { columns: NAMESPACE_COLUMN_DEFINITIONS, cells: (o, now) => namespaceRow(o as Namespace, now) },
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, whichever the client listed first. */
  apiVersion: string;
  includeObject: IncludeObject;
}

interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    return { type: type.toLowerCase(), params };
  });
}

/**
 * The Table the request asks for, or undefined for plain objects: when the clause of the Accept
 * header that negotiation picks (see negotiation.ts) is `as=Table;g=meta.k8s.io;v=v1` (or v1beta1)
 * in JSON or YAML.
 */
export function tableRequest(req: FastifyRequest): TableRequest | undefined {
  const convert = negotiateOutput(req.headers.accept, { table: true })?.convert;
  if (convert?.kind !== 'Table') return undefined;
  const include = queryString(req, 'includeObject') ?? 'Metadata';
  if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
    throw new BadRequestError(`includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`);
  }
  return { apiVersion: `meta.k8s.io/${convert.version}`, includeObject: include };
}

function rowObject(obj: { metadata?: ObjectMeta }, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export interface TableOptions {
  resourceVersion?: string;
  continue?: string;
  /** Leave out the column definitions (watch events after the first). */
  noHeaders?: boolean;
}

/** A meta.k8s.io Table of `items`. */
export function buildTable(kind: Printable, items: readonly unknown[], now: Date, request: TableRequest, options: TableOptions = {}) {
  const printer = PRINTERS[kind];
  return {
    kind: 'Table',
    apiVersion: request.apiVersion,
    metadata: {
      ...(options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {}),
      ...(options.continue ? { continue: options.continue } : {}),
    },
    columnDefinitions: options.noHeaders ? [] : printer.columns,
    rows: items.map((item) => {
      const object = rowObject(item as { metadata?: ObjectMeta }, request.includeObject);
      const conditions = printer.conditions?.(item) ?? [];
      return { cells: printer.cells(item, now), ...(conditions.length > 0 ? { conditions } : {}), ...(object !== undefined ? { object } : {}) };
    }),
  };
}

/**
 * Sends a list object (`items`, `metadata`) as it is, or as a Table when the client asked for one
 * (the clock is read only then), in the negotiated format (sendJson).
 */
export async function sendList(
  req: FastifyRequest,
  reply: FastifyReply,
  kind: Printable,
  list: { metadata: { resourceVersion?: string; continue?: string }; items: readonly unknown[] },
  now: () => Promise<number>,
): Promise<FastifyReply> {
  const table = tableRequest(req);
  if (!table) return sendJson(reply, 200, list);
  return sendJson(reply, 200, buildTable(kind, list.items, new Date(await now()), table, list.metadata));
}

/** Sends one object, or a one-row Table when the client asked for one. */
export async function sendObject(
  req: FastifyRequest,
  reply: FastifyReply,
  kind: Printable,
  obj: { metadata?: ObjectMeta },
  now: () => Promise<number>,
  code = 200,
): Promise<FastifyReply> {
  const table = tableRequest(req);
  if (!table) return sendJson(reply, code, obj);
  return sendJson(reply, code, buildTable(kind, [obj], new Date(await now()), table, { resourceVersion: obj.metadata?.resourceVersion }));
}

/** The watch renderer: each event's object as a one-row Table, when the client asked for Tables. */
export function watchRenderer(req: FastifyRequest, kind: Printable): ((obj: unknown, type: string) => unknown) | undefined {
  const table = tableRequest(req);
  if (!table) return undefined;
  return (obj) => buildTable(kind, [obj], new Date(), table, { resourceVersion: (obj as { metadata?: ObjectMeta }).metadata?.resourceVersion });
}
