import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  formatBadValue,
  parseJob,
  textOf,
  randomSuffix,
  type Job,
  type ObjectMeta,
} from '@jobfleet/kube';
import { createJob } from '@jobfleet/controllers';
import { deleteJob, JobExistsError, jobNamesPage, prepareNewJob, type JobStore } from '@jobfleet/store';
import { decodeBody, parseQueryBool, parseQueryInt, queryBool, queryString, sendJson } from '../http.js';
import { listResponse, type ApiContext } from '../context.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { watchResponse } from '../watch.js';
import { writeOptions } from '../write-options.js';

const JOB_FIELDS = ['metadata.name', 'metadata.namespace', 'status.successful'] as const;
/** A DELETE answers once the Job is gone and at most this long after (its pods may follow in the background). */
const DELETE_ANSWER_AFTER_MS = 2_000;

export interface NsParams {
  ns: string;
}
export interface NameParams extends NsParams {
  name: string;
}

type Stored = { metadata: ObjectMeta };
type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** What a DELETE of one object asks, once checked. */
export interface DeleteRequest {
  uid?: string;
  resourceVersion?: string;
  gracePeriodSeconds?: number;
  propagationPolicy: PropagationPolicy;
}

/**
 * A namespaced batch/v1 resource as its routes see it (all but the updates, see job-updates.ts):
 * Jobs here, CronJobs in cronjobs.ts.
 */
export interface BatchResource<T extends Stored> {
  resource: 'jobs' | 'cronjobs';
  kind: 'Job' | 'CronJob';
  /** The field selectors it supports. */
  fields: readonly string[];
  fieldValues(obj: T): Record<string, string | undefined>;
  names(store: JobStore, ns: string, after: string | undefined, limit: number): Promise<string[]>;
  fetch(store: JobStore, ns: string, names: string[]): Promise<T[]>;
  get(store: JobStore, ns: string, name: string): Promise<{ obj: T; rv: string } | undefined>;
  /** Deletes one object (preconditions checked atomically: ConflictError); undefined when there was none. */
  remove(ctx: ApiContext, ns: string, name: string, request: DeleteRequest): Promise<T | undefined>;
  /** Whether propagationPolicy Orphan is served (a CronJob's Jobs may outlive it; a Job's pods may not). */
  orphans: boolean;
  /** Decodes, defaults and validates a new object (InvalidError, BadRequestError). */
  parse(input: Record<string, unknown>, ctx: ApiContext): T;
  /** The object as its creation would store it, for dryRun (uid, creationTimestamp, …). */
  prepare(obj: T, ns: string, now: number): T;
  /** Stores a new object; AlreadyExistsError when its name is taken. */
  create(ctx: ApiContext, obj: T, ns: string): Promise<T>;
}

const JOBS: BatchResource<Job> = {
  resource: 'jobs',
  kind: 'Job',
  fields: JOB_FIELDS,
  fieldValues: (job) => ({ 'metadata.name': job.metadata.name, 'metadata.namespace': job.metadata.namespace, 'status.successful': String(job.status?.succeeded ?? 0) }),
  names: jobNamesPage,
  fetch: async (store, ns, names) => (await store.getJobs(ns, names)).map((s) => s.job),
  get: async (store, ns, name) => {
    const stored = await store.getJob(ns, name);
    return stored && { obj: stored.job, rv: stored.rv };
  },
  remove: async (ctx, ns, name, { uid, resourceVersion, gracePeriodSeconds }) => {
    const gone = await deleteJob(ctx.cluster.store, ns, name, { uid, resourceVersion, queues: ctx.cluster.queues, gracePeriodSeconds, returnAfterMs: DELETE_ANSWER_AFTER_MS });
    if (gone) ctx.cluster.logger.info({ job: `${ns}/${name}`, uid: gone.metadata.uid }, 'Job deleted');
    return gone;
  },
  orphans: false,
  parse: (input, ctx) => parseJob(input, { allowPrivileged: ctx.allowPrivileged === true }),
  prepare: prepareNewJob,
  create: async (ctx, job, ns) => {
    try {
      return await createJob(ctx.cluster.store, ctx.cluster.controller, job, ns);
    } catch (err) {
      if (err instanceof JobExistsError) throw alreadyExists('jobs', job.metadata.name ?? '');
      throw err;
    }
  },
};

export function notFound(resource: BatchResource<Stored>['resource'], name: string): NotFoundError {
  return new NotFoundError({ group: 'batch', resource, name });
}

export function alreadyExists(resource: BatchResource<Stored>['resource'], name: string): AlreadyExistsError {
  return new AlreadyExistsError({ group: 'batch', resource, name });
}

export function registerJobRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerBatchRoutes(app, ctx, JOBS);
}

/**
 * The routes of a batch/v1 resource but its updates (job-updates.ts): list and watch (all
 * namespaces, one namespace), create, get (and get of its status), delete and deletecollection.
 */
export function registerBatchRoutes<T extends Stored>(app: FastifyInstance, ctx: ApiContext, r: BatchResource<T>): void {
  const base = '/apis/batch/v1';
  const collection = `${base}/namespaces/:ns/${r.resource}`;
  const now = () => ctx.cluster.store.now();
  app.get(`${base}/${r.resource}`, (req, reply) => listOrWatch(ctx, req, reply, undefined, r));
  app.get<{ Params: NsParams }>(collection, (req, reply) => listOrWatch(ctx, req, reply, req.params.ns, r));
  app.post<{ Params: NsParams }>(collection, async (req, reply) => sendObject(req, reply, r.resource, await create(ctx, req, req.params.ns, r), now, 201));
  app.get<{ Params: NameParams }>(`${collection}/:name`, async (req, reply) => sendObject(req, reply, r.resource, await getObject(ctx, req.params.ns, req.params.name, r), now));
  app.get<{ Params: NameParams }>(`${collection}/:name/status`, async (req, reply) => sendObject(req, reply, r.resource, await getObject(ctx, req.params.ns, req.params.name, r), now));
  app.delete<{ Params: NameParams }>(`${collection}/:name`, async (req, reply) => sendJson(reply, 200, await remove(ctx, req, req.params.ns, req.params.name, r)));
  app.delete<{ Params: NsParams }>(collection, async (req, reply) => sendJson(reply, 200, await removeCollection(ctx, req, req.params.ns, r)));
}

async function getObject<T extends Stored>(ctx: ApiContext, ns: string, name: string, r: BatchResource<T>): Promise<T> {
  const stored = await r.get(ctx.cluster.store, ns, name);
  if (!stored) throw notFound(r.resource, name);
  return stored.obj;
}

async function create<T extends Stored>(ctx: ApiContext, req: FastifyRequest, ns: string, r: BatchResource<T>): Promise<T> {
  const { dryRun } = writeOptions(req);
  const obj = r.parse(creationBody(req, ns, r.kind), ctx);
  if (!dryRun) return r.create(ctx, obj, ns);
  if (await r.get(ctx.cluster.store, ns, obj.metadata.name ?? '')) throw alreadyExists(r.resource, obj.metadata.name ?? '');
  return r.prepare(obj, ns, await ctx.cluster.store.now());
}

/**
 * The body of a create (POST) of a batch/v1 kind, as its parser takes it: kind and namespace checked
 * against the request, generateName turned into a name, the namespace filled in.
 */
function creationBody(req: FastifyRequest, ns: string, kind: BatchResource<Stored>['kind']): Record<string, unknown> {
  const body = decodeBody(req);
  checkKind(body, 'batch/v1', kind);
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (!metadata.name && typeof metadata.generateName === 'string') {
    body.metadata = { ...metadata, name: metadata.generateName + randomSuffix() };
  }
  // A metadata that is not an object goes to the parser as it is, which names it ("must be an object").
  const meta = body.metadata;
  const withNamespace = meta == null || (typeof meta === 'object' && !Array.isArray(meta)) ? { ...(meta ?? {}), namespace: ns } : meta;
  return { ...body, metadata: withNamespace };
}

export function checkKind(body: Record<string, unknown>, apiVersion: string, kind: string): void {
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw new BadRequestError(`the API version in the data (${textOf(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (body.kind !== undefined && body.kind !== kind) {
    throw new BadRequestError(`the kind in the data (${textOf(body.kind)}) does not match the expected kind (${kind})`);
  }
}

/**
 * DeleteOptions from the body and the query: propagationPolicy, gracePeriodSeconds, preconditions,
 * dryRun. `orphans`: whether propagationPolicy Orphan is served.
 */
function deleteOptions(req: FastifyRequest, orphans: boolean) {
  const { dryRun } = writeOptions(req);
  const options = req.body && (!Buffer.isBuffer(req.body) || req.body.length > 0) ? decodeBody(req) : {};
  // The body is untrusted JSON: each option is type-checked before use (an object's toString may throw).
  // From the query, as apimachinery parses query parameters (any value but "0"/"false" is true); else from the body.
  const orphanQuery = queryString(req, 'orphanDependents');
  const orphan = orphanQuery !== undefined ? parseQueryBool(orphanQuery) : options.orphanDependents;
  if (orphan !== undefined && orphan !== null && orphan !== '' && typeof orphan !== 'boolean' && orphan !== 'true' && orphan !== 'false') {
    throw new BadRequestError(`orphanDependents: Invalid value: ${formatBadValue(orphan)}: must be true or false`);
  }
  const policy = queryString(req, 'propagationPolicy') ?? options.propagationPolicy ?? (orphan === true || orphan === 'true' ? 'Orphan' : 'Background');
  if (typeof policy !== 'string' || !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw new BadRequestError(`propagationPolicy: Unsupported value: ${formatBadValue(policy)}: supported values: "Background", "Foreground"${orphans ? ', "Orphan"' : ''}`);
  }
  if (policy === 'Orphan' && !orphans) {
    throw new BadRequestError('propagationPolicy Orphan is not supported by jobfleet: a pod cannot outlive its Job here; use Background or Foreground');
  }
  const preconditions = (options.preconditions ?? {}) as { uid?: unknown; resourceVersion?: unknown };
  const stringOrUnset = (v: unknown) => v === undefined || v === null || typeof v === 'string';
  if (typeof preconditions !== 'object' || Array.isArray(preconditions) || !stringOrUnset(preconditions.uid) || !stringOrUnset(preconditions.resourceVersion)) {
    throw new BadRequestError(`preconditions: Invalid value: ${formatBadValue(preconditions)}: must be an object with string uid and resourceVersion`);
  }
  const graceQuery = queryString(req, 'gracePeriodSeconds');
  const grace = graceQuery !== undefined ? parseQueryInt(graceQuery) : options.gracePeriodSeconds;
  const numeric = typeof grace === 'number' || typeof grace === 'string';
  const gracePeriodSeconds = numeric ? Number(grace) : undefined;
  if ((grace !== undefined && grace !== null && !numeric) || (gracePeriodSeconds !== undefined && !Number.isSafeInteger(gracePeriodSeconds))) {
    throw new BadRequestError(`gracePeriodSeconds: Invalid value: ${formatBadValue(grace)}: must be an integer`);
  }
  return { dryRun, preconditions, gracePeriodSeconds, propagationPolicy: policy as PropagationPolicy };
}

async function remove<T extends Stored>(ctx: ApiContext, req: FastifyRequest, ns: string, name: string, r: BatchResource<T>) {
  const { dryRun, preconditions, gracePeriodSeconds, propagationPolicy } = deleteOptions(req, r.orphans);
  const uid = typeof preconditions.uid === 'string' ? preconditions.uid : undefined;
  const resourceVersion = typeof preconditions.resourceVersion === 'string' ? preconditions.resourceVersion : undefined;
  // The deletion checks the preconditions itself, atomically: nothing else can make it fail.
  const deleted = dryRun ? await dryRunDelete(ctx, ns, name, r, uid, resourceVersion) : await r.remove(ctx, ns, name, { uid, resourceVersion, gracePeriodSeconds, propagationPolicy });
  if (!deleted) throw notFound(r.resource, name);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: 'batch', kind: r.resource, uid: deleted.metadata.uid },
  };
}

/** What a deletion would do: the object, or the precondition's Conflict, writing nothing. */
async function dryRunDelete<T extends Stored>(ctx: ApiContext, ns: string, name: string, r: BatchResource<T>, uid: string | undefined, resourceVersion: string | undefined): Promise<T | undefined> {
  const stored = await r.get(ctx.cluster.store, ns, name);
  if (!stored) return undefined;
  const actualUid = stored.obj.metadata.uid ?? '';
  if (uid && uid !== actualUid) {
    throw new ConflictError({ group: 'batch', resource: r.resource, name, detail: `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${actualUid}` });
  }
  if (resourceVersion && resourceVersion !== stored.rv) {
    throw new ConflictError({
      group: 'batch',
      resource: r.resource,
      name,
      detail: `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${stored.rv}`,
    });
  }
  return stored.obj;
}

/** deletecollection: deletes every object of the namespace that the selectors match; answers the list deleted. */
async function removeCollection<T extends Stored>(ctx: ApiContext, req: FastifyRequest, ns: string, r: BatchResource<T>) {
  const { dryRun, gracePeriodSeconds, propagationPolicy } = deleteOptions(req, r.orphans);
  const list = await listAll(ctx, req, ns, r);
  const deleted: T[] = [];
  for (const obj of list.items) {
    // The uid precondition: a namesake created since the list is not deleted (nor reported).
    const gone = dryRun
      ? obj
      : await r.remove(ctx, ns, obj.metadata.name ?? '', { uid: obj.metadata.uid, gracePeriodSeconds, propagationPolicy }).catch((err: unknown) => {
          if (err instanceof ConflictError) return undefined;
          throw err;
        });
    if (gone) deleted.push(gone);
  }
  return { kind: `${r.kind}List`, apiVersion: 'batch/v1', metadata: { resourceVersion: await ctx.cluster.store.currentResourceVersion() }, items: deleted };
}

/** What the request's label and field selectors keep. */
function selection<T extends Stored>(req: FastifyRequest, r: BatchResource<T>): (obj: T) => boolean {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), r.fields);
  return (obj) => matches(labels, obj.metadata.labels ?? {}) && matches(fields, r.fieldValues(obj));
}

/** The list (`JobList`, `CronJobList`) the request selects, with limit and continue. */
function listAll<T extends Stored>(ctx: ApiContext, req: FastifyRequest, ns: string | undefined, r: BatchResource<T>) {
  const store = ctx.cluster.store;
  return listResponse(ctx, req, {
    kind: `${r.kind}List`,
    apiVersion: 'batch/v1',
    ns,
    names: (n, after, limit) => r.names(store, n, after, limit),
    fetch: (n, names) => r.fetch(store, n, names),
    keep: selection(req, r),
    nameOf: (obj: T) => obj.metadata.name ?? '',
  });
}

async function listOrWatch<T extends Stored>(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string | undefined, r: BatchResource<T>) {
  if (queryBool(req, 'watch')) {
    const keep = selection(req, r);
    return watchResponse(ctx, req, reply, { kind: r.kind, ns, keep: (obj) => keep(obj as unknown as T), list: () => listAll(ctx, req, ns, r), render: watchRenderer(req, r.resource) });
  }
  return sendList(req, reply, r.resource, await listAll(ctx, req, ns, r), () => ctx.cluster.store.now());
}
