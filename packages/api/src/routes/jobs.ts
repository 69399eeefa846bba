import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AlreadyExistsError,
  BadRequestError,
  NotFoundError,
  parseJob,
  randomSuffix,
  type Job,
} from '@jobfleet/spec';
import { createJob, deleteJob, JobExistsError } from '@jobfleet/store';
import { decodeBody, queryString, sendJson } from '../http.js';
import { listResponse, type ApiContext } from '../context.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { watchResponse } from '../watch.js';

const JOB_FIELDS = ['metadata.name', 'metadata.namespace', 'status.successful'] as const;

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
  app.post<{ Params: NsParams }>(`${base}/namespaces/:ns/jobs`, async (req, reply) => sendJson(reply, 201, await create(ctx, req, req.params.ns)));
  app.get<{ Params: NameParams }>(`${base}/namespaces/:ns/jobs/:name`, async (req, reply) => sendJson(reply, 200, await getJob(ctx, req.params.ns, req.params.name)));
  app.get<{ Params: NameParams }>(`${base}/namespaces/:ns/jobs/:name/status`, async (req, reply) =>
    sendJson(reply, 200, await getJob(ctx, req.params.ns, req.params.name)),
  );
  app.delete<{ Params: NameParams }>(`${base}/namespaces/:ns/jobs/:name`, async (req, reply) => sendJson(reply, 200, await remove(ctx, req, req.params.ns, req.params.name)));
}

export async function getJob(ctx: ApiContext, ns: string, name: string): Promise<Job> {
  const stored = await ctx.cluster.store.getJob(ns, name);
  if (!stored) throw jobNotFound(name);
  return stored.job;
}

async function create(ctx: ApiContext, req: FastifyRequest, ns: string): Promise<Job> {
  const body = decodeBody(req);
  checkKind(body, 'batch/v1', 'Job');
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (!metadata.name && typeof metadata.generateName === 'string') {
    body.metadata = { ...metadata, name: metadata.generateName + randomSuffix() };
  }
  const job = parseJob({ ...body, metadata: { ...(body.metadata as object), namespace: ns } });
  try {
    return await createJob(ctx.cluster.store, ctx.cluster.controller, job, ns);
  } catch (err) {
    if (err instanceof JobExistsError) throw new AlreadyExistsError({ group: 'batch', resource: 'jobs', name: job.metadata.name ?? '' });
    throw err;
  }
}

export function checkKind(body: Record<string, unknown>, apiVersion: string, kind: string): void {
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw new BadRequestError(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (body.kind !== undefined && body.kind !== kind) {
    throw new BadRequestError(`the kind in the data (${String(body.kind)}) does not match the expected kind (${kind})`);
  }
}

async function remove(ctx: ApiContext, req: FastifyRequest, ns: string, name: string) {
  const options = req.body ? decodeBody(req) : {};
  const policy = queryString(req, 'propagationPolicy') ?? (options.propagationPolicy as string | undefined) ?? 'Background';
  if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw new BadRequestError(`propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground"`);
  }
  if (policy === 'Orphan') {
    throw new BadRequestError('propagationPolicy Orphan is not supported by jobfleet: a pod cannot outlive its Job here; use Background or Foreground');
  }
  const preconditions = options.preconditions as { uid?: string } | undefined;
  const grace = queryString(req, 'gracePeriodSeconds') ?? (options.gracePeriodSeconds as number | undefined);
  const gracePeriodSeconds = grace === undefined ? undefined : Number(grace);
  const deleted = await deleteJob(ctx.cluster.store, ns, name, { uid: preconditions?.uid, queues: ctx.cluster.queues, gracePeriodSeconds });
  if (!deleted) throw jobNotFound(name);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: 'batch', kind: 'jobs', uid: deleted.metadata.uid },
  };
}

async function listJobs(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string | undefined) {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), JOB_FIELDS);
  const keep = (job: Job) => matches(labels, job.metadata.labels ?? {}) && matches(fields, jobFieldValues(job));
  if (queryString(req, 'watch') === 'true' || queryString(req, 'watch') === '1') {
    return watchResponse(ctx, req, reply, { kind: 'Job', ns, keep: (obj) => keep(obj as unknown as Job), list: () => listAll() });
  }
  const store = ctx.cluster.store;
  async function listAll() {
    return listResponse(ctx, req, {
      kind: 'JobList',
      apiVersion: 'batch/v1',
      ns,
      indexKey: (n) => store.keys.jobs(n),
      fetch: async (n, names) => (await store.getJobs(n, names)).map((s) => s.job),
      keep,
      nameOf: (job: Job) => job.metadata.name ?? '',
    });
  }
  return sendJson(reply, 200, await listAll());
}
