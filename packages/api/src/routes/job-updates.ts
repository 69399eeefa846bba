/**
 * Updates of a Job: PUT (replace) and PATCH (JSON patch, merge patch, strategic merge patch).
 * The new Job is decoded, defaulted and validated like a created one, then checked against the
 * stored one (immutable fields, Kubernetes' validateJobUpdate); the store keeps the status and
 * server-owned metadata, bumps generation on spec changes, and the controller syncs at once.
 * Server-side apply (application/apply-patch+yaml) answers 415, which kubectl reports as
 * "Server-side apply not available on the server". jobs/status takes the status (validated as
 * Kubernetes' status strategy does) and ignores the spec; the main resource ignores the status.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BadRequestError,
  InvalidError,
  JobfleetError,
  parseJob,
  textOf,
  validateJobUpdate,
  type Job,
} from '@jobfleet/kube';
import { updateJob, updateJobStatus } from '@jobfleet/controllers';
import type { ApiContext } from '../context.js';
import { decodeBody, patchBody, patchContentType } from '../http.js';
import { JOB_PATCH_SCHEMA, PATCH_CONTENT_TYPES, PatchError, applyPatch, type Json } from '../patch.js';
import { sendObject } from '../tables.js';
import { writeOptions } from '../write-options.js';
import { checkKind } from './jobs.js';

interface NameParams {
  ns: string;
  name: string;
}

export function registerJobUpdateRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const item = '/apis/batch/v1/namespaces/:ns/jobs/:name';
  app.put<{ Params: NameParams }>(item, async (req, reply) => {
    const job = await replaceJob(ctx, req, req.params.ns, req.params.name);
    return sendObject(req, reply, 'jobs', job, () => ctx.cluster.store.now());
  });
  app.patch<{ Params: NameParams }>(item, async (req, reply) => {
    const job = await patchJob(ctx, req, req.params.ns, req.params.name);
    return sendObject(req, reply, 'jobs', job, () => ctx.cluster.store.now());
  });
  app.put<{ Params: NameParams }>(`${item}/status`, async (req, reply) => {
    const job = await replaceJobStatus(ctx, req, req.params.ns, req.params.name);
    return sendObject(req, reply, 'jobs', job, () => ctx.cluster.store.now());
  });
  app.patch<{ Params: NameParams }>(`${item}/status`, async (req, reply) => {
    const job = await patchJobStatus(ctx, req, req.params.ns, req.params.name);
    return sendObject(req, reply, 'jobs', job, () => ctx.cluster.store.now());
  });
}

/** PUT of jobs/{name}/status: the body's status (and labels, annotations) is written; its spec is ignored. */
async function replaceJobStatus(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const body = replacementBody(req, ns, name);
  const { job } = await updateJobStatus(ctx.cluster.store, ctx.cluster.controller, ns, name, () => body, writeOptions(req));
  return job;
}

/** PATCH of jobs/{name}/status: the patch applies to the whole Job; only its status (and labels, annotations) is written. */
async function patchJobStatus(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const patched = patchedJob(req);
  const { job } = await updateJobStatus(ctx.cluster.store, ctx.cluster.controller, ns, name, patched, writeOptions(req));
  return job;
}

async function replaceJob(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const body = replacementBody(req, ns, name);
  const { job } = await updateJob(ctx.cluster.store, ctx.cluster.controller, ns, name, (current) => checkedUpdate(current, body, ctx), writeOptions(req));
  return job;
}

async function patchJob(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const patched = patchedJob(req);
  const { job } = await updateJob(ctx.cluster.store, ctx.cluster.controller, ns, name, (current) => checkedUpdate(current, patched(current), ctx), writeOptions(req));
  return job;
}

/** The Job a PUT sends, checked against the URL as the API server does (the name filled in when missing). */
function replacementBody(req: FastifyRequest, ns: string, name: string): Record<string, unknown> {
  const body = decodeBody(req);
  checkKind(body, 'batch/v1', 'Job');
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name) {
    throw new BadRequestError(`the name of the object (${textOf(metadata.name)}) does not match the name on the URL (${name})`);
  }
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { ...body, metadata: { ...metadata, name } };
}

/** What a PATCH makes of the current Job; applied again to the newer Job after a conflict. */
function patchedJob(req: FastifyRequest): (current: Job) => Record<string, unknown> {
  const type = patchContentType(req);
  const patch = patchBody(req);
  return (current) => {
    const patched = applyPatchOrFail(type, current, patch);
    const meta = isObject(patched.metadata) ? patched.metadata : {};
    // A resourceVersion the patch did not change is no precondition: the patch is applied again on a conflict.
    if (meta.resourceVersion === current.metadata.resourceVersion) delete meta.resourceVersion;
    return { ...patched, metadata: meta };
  };
}

function applyPatchOrFail(type: (typeof PATCH_CONTENT_TYPES)[number], current: Job, patch: unknown): Record<string, unknown> {
  let patched: Json;
  try {
    patched = applyPatch(type, current as unknown as Json, patch, JOB_PATCH_SCHEMA);
  } catch (err) {
    if (err instanceof PatchError) throw new JobfleetError(err.message, 422, 'Invalid');
    throw err;
  }
  if (!isObject(patched)) throw new JobfleetError('the patched object is not a JSON object', 422, 'Invalid');
  return patched;
}

/**
 * The new Job, decoded, defaulted and validated, plus the rules of an update. An empty uid means
 * the stored one (Kubernetes fills it in before validating).
 */
function checkedUpdate(current: Job, input: Record<string, unknown>, ctx: ApiContext): Job {
  const metadata = isObject(input.metadata) ? input.metadata : {};
  const withMeta = {
    ...input,
    metadata: { ...metadata, namespace: current.metadata.namespace, uid: metadata.uid || current.metadata.uid },
  };
  const job = parseJob(withMeta, { allowPrivileged: ctx.allowPrivileged === true });
  const errors = validateJobUpdate(current, job);
  if (errors.length > 0) throw new InvalidError({ name: current.metadata.name ?? '', errors });
  return job;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
