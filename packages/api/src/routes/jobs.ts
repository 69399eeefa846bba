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
} from '@jobfleet/kube';
import { createJob } from '@jobfleet/controllers';
import { deleteJob, JobExistsError, jobNamesPage, prepareNewJob } from '@jobfleet/store';
import { decodeBody, parseQueryBool, parseQueryInt, queryBool, queryString, sendJson } from '../http.js';
import { listResponse, type ApiContext } from '../context.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { watchResponse } from '../watch.js';
import { writeOptions } from '../write-options.js';

const JOB_FIELDS = ['metadata.name', 'metadata.namespace', 'status.successful'] as const;
/** A DELETE answers once the Job is gone and at most this long after (its pods may follow in the background). */
const DELETE_ANSWER_AFTER_MS = 2_000;

interface NsParams {
  ns: string;
}
interface NameParams extends NsParams {
  name: string;
}

export function jobNotFound(name: string): NotFoundError {
  return new NotFoundError({ group: 'batch', resource: 'jobs', name });
}

function jobFieldValues(job: Job): Record<string, string | undefined> {
  return { 'metadata.name': job.metadata.name, 'metadata.namespace': job.metadata.namespace, 'status.successful': String(job.status?.succeeded ?? 0) };
}

export function registerJobRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const base = '/apis/batch/v1';
  app.get(`${base}/jobs`, (req, reply) => listJobs(ctx, req, reply, undefined));
  app.get<{ Params: NsParams }>(`${base}/namespaces/:ns/jobs`, (req, reply) => listJobs(ctx, req, reply, req.params.ns));
  app.post<{ Params: NsParams }>(`${base}/namespaces/:ns/jobs`, async (req, reply) =>
    sendObject(req, reply, 'jobs', await create(ctx, req, req.params.ns), () => ctx.cluster.store.now(), 201),
  );
  app.get<{ Params: NameParams }>(`${base}/namespaces/:ns/jobs/:name`, async (req, reply) =>
    sendObject(req, reply, 'jobs', await getJob(ctx, req.params.ns, req.params.name), () => ctx.cluster.store.now()),
  );
  app.get<{ Params: NameParams }>(`${base}/namespaces/:ns/jobs/:name/status`, async (req, reply) =>
    sendObject(req, reply, 'jobs', await getJob(ctx, req.params.ns, req.params.name), () => ctx.cluster.store.now()),
  );
  app.delete<{ Params: NameParams }>(`${base}/namespaces/:ns/jobs/:name`, async (req, reply) => sendJson(reply, 200, await remove(ctx, req, req.params.ns, req.params.name)));
  app.delete<{ Params: NsParams }>(`${base}/namespaces/:ns/jobs`, async (req, reply) => sendJson(reply, 200, await removeCollection(ctx, req, req.params.ns)));
}

export async function getJob(ctx: ApiContext, ns: string, name: string): Promise<Job> {
  const stored = await ctx.cluster.store.getJob(ns, name);
  if (!stored) throw jobNotFound(name);
  return stored.job;
}

async function create(ctx: ApiContext, req: FastifyRequest, ns: string): Promise<Job> {
  const { dryRun } = writeOptions(req);
  const body = decodeBody(req);
  checkKind(body, 'batch/v1', 'Job');
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (!metadata.name && typeof metadata.generateName === 'string') {
    body.metadata = { ...metadata, name: metadata.generateName + randomSuffix() };
  }
  // A metadata that is not an object goes to parseJob as it is, which names it ("must be an object").
  const meta = body.metadata;
  const withNamespace = meta == null || (typeof meta === 'object' && !Array.isArray(meta)) ? { ...(meta ?? {}), namespace: ns } : meta;
  const job = parseJob({ ...body, metadata: withNamespace }, { allowPrivileged: ctx.allowPrivileged === true });
  if (dryRun) {
    if (await ctx.cluster.store.getJob(ns, job.metadata.name ?? '')) throw new AlreadyExistsError({ group: 'batch', resource: 'jobs', name: job.metadata.name ?? '' });
    return prepareNewJob(job, ns, await ctx.cluster.store.now());
  }
  try {
    return await createJob(ctx.cluster.store, ctx.cluster.controller, job, ns);
  } catch (err) {
    if (err instanceof JobExistsError) throw new AlreadyExistsError({ group: 'batch', resource: 'jobs', name: job.metadata.name ?? '' });
    throw err;
  }
}

export function checkKind(body: Record<string, unknown>, apiVersion: string, kind: string): void {
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw new BadRequestError(`the API version in the data (${textOf(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (body.kind !== undefined && body.kind !== kind) {
    throw new BadRequestError(`the kind in the data (${textOf(body.kind)}) does not match the expected kind (${kind})`);
  }
}

/** DeleteOptions from the body and the query: propagationPolicy, gracePeriodSeconds, preconditions, dryRun. */
function deleteOptions(req: FastifyRequest) {
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
    throw new BadRequestError(`propagationPolicy: Unsupported value: ${formatBadValue(policy)}: supported values: "Background", "Foreground"`);
  }
  if (policy === 'Orphan') {
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
  return { dryRun, preconditions, gracePeriodSeconds };
}

async function remove(ctx: ApiContext, req: FastifyRequest, ns: string, name: string) {
  const { dryRun, preconditions, gracePeriodSeconds } = deleteOptions(req);
  const uid = typeof preconditions.uid === 'string' ? preconditions.uid : undefined;
  const resourceVersion = typeof preconditions.resourceVersion === 'string' ? preconditions.resourceVersion : undefined;
  // The deletion checks the preconditions itself, atomically: nothing else can make it fail.
  const deleted = dryRun ? await dryRunDelete(ctx, ns, name, uid, resourceVersion) : await deleteJob(ctx.cluster.store, ns, name, { uid, resourceVersion, queues: ctx.cluster.queues, gracePeriodSeconds, returnAfterMs: DELETE_ANSWER_AFTER_MS });
  if (!deleted) throw jobNotFound(name);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: 'batch', kind: 'jobs', uid: deleted.metadata.uid },
  };
}

/** What a deletion would do: the Job, or the precondition's Conflict, writing nothing. */
async function dryRunDelete(ctx: ApiContext, ns: string, name: string, uid: string | undefined, resourceVersion: string | undefined): Promise<Job | undefined> {
  const stored = await ctx.cluster.store.getJob(ns, name);
  if (!stored) return undefined;
  const actualUid = stored.job.metadata.uid ?? '';
  if (uid && uid !== actualUid) {
    throw new ConflictError({ group: 'batch', resource: 'jobs', name, detail: `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${actualUid}` });
  }
  if (resourceVersion && resourceVersion !== stored.rv) {
    throw new ConflictError({
      group: 'batch',
      resource: 'jobs',
      name,
      detail: `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${stored.rv}`,
    });
  }
  return stored.job;
}

/** deletecollection: deletes every Job of the namespace that the selectors match; answers the JobList deleted. */
async function removeCollection(ctx: ApiContext, req: FastifyRequest, ns: string) {
  const { dryRun, gracePeriodSeconds } = deleteOptions(req);
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), JOB_FIELDS);
  const store = ctx.cluster.store;
  const list = await listResponse(ctx, req, {
    kind: 'JobList',
    apiVersion: 'batch/v1',
    ns,
    names: (n, after, limit) => jobNamesPage(store, n, after, limit),
    fetch: async (n, names) => (await store.getJobs(n, names)).map((s) => s.job),
    keep: (job: Job) => matches(labels, job.metadata.labels ?? {}) && matches(fields, jobFieldValues(job)),
    nameOf: (job: Job) => job.metadata.name ?? '',
  });
  const deleted: Job[] = [];
  for (const job of list.items) {
    // The uid precondition: a namesake created since the list is not deleted (nor reported).
    const gone = dryRun
      ? job
      : await deleteJob(store, ns, job.metadata.name ?? '', { uid: job.metadata.uid, queues: ctx.cluster.queues, gracePeriodSeconds, returnAfterMs: DELETE_ANSWER_AFTER_MS }).catch((err: unknown) => {
          if (err instanceof ConflictError) return undefined;
          throw err;
        });
    if (gone) deleted.push(gone);
  }
  return { kind: 'JobList', apiVersion: 'batch/v1', metadata: { resourceVersion: await store.currentResourceVersion() }, items: deleted };
}

async function listJobs(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string | undefined) {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), JOB_FIELDS);
  const keep = (job: Job) => matches(labels, job.metadata.labels ?? {}) && matches(fields, jobFieldValues(job));
  const store = ctx.cluster.store;
  if (queryBool(req, 'watch')) {
    return watchResponse(ctx, req, reply, { kind: 'Job', ns, keep: (obj) => keep(obj as unknown as Job), list: () => listAll(), render: watchRenderer(req, 'jobs') });
  }
  async function listAll() {
    return listResponse(ctx, req, {
      kind: 'JobList',
      apiVersion: 'batch/v1',
      ns,
      names: (n, after, limit) => jobNamesPage(store, n, after, limit),
      fetch: async (n, names) => (await store.getJobs(n, names)).map((s) => s.job),
      keep,
      nameOf: (job: Job) => job.metadata.name ?? '',
    });
  }
  return sendList(req, reply, 'jobs', await listAll(), () => store.now());
}
