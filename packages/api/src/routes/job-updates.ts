/**
 * Updates of a Job: PUT (replace) and PATCH (JSON patch, merge patch, strategic merge patch).
 * The new Job is decoded, defaulted and validated like a created one, then checked against the
 * stored one (immutable fields, Kubernetes' validateJobUpdate); the store keeps the status and
 * server-owned metadata, bumps generation on spec changes, and the controller syncs at once.
 * Server-side apply (application/apply-patch+yaml) answers 415, which kubectl reports as
 * "Server-side apply not available on the server". jobs/status takes the status (validated as
 * Kubernetes' status strategy does) and ignores the spec; the main resource ignores the status.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  BadRequestError,
  InvalidError,
  parseJob,
  textOf,
  validateJobUpdate,
  type FieldError,
  type Job,
  type ObjectMeta,
} from '@jobfleet/kube';
import { updateJob, updateJobStatus } from '@jobfleet/controllers';
import type { ApiContext } from '../context.js';
import { decodeBody, patchBody, patchContentType } from '../http.js';
import { JOB_PATCH_SCHEMA, applyPatchOrFail, type PatchSchema } from '../patch.js';
import { sendObject } from '../tables.js';
import { writeOptions } from '../write-options.js';
import { checkKind, type NameParams } from './jobs.js';

export function registerJobUpdateRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerUpdateRoutes(app, ctx, 'jobs', { replace: replaceJob, patch: patchJob, replaceStatus: replaceJobStatus, patchStatus: patchJobStatus });
}

type Update<T> = (ctx: ApiContext, req: FastifyRequest, ns: string, name: string) => Promise<T>;

/** PUT and PATCH of a batch/v1 object and of its status subresource, answered as the object (or a Table). */
export function registerUpdateRoutes<T extends { metadata: ObjectMeta }>(
  app: FastifyInstance,
  ctx: ApiContext,
  resource: 'jobs' | 'cronjobs',
  updates: { replace: Update<T>; patch: Update<T>; replaceStatus: Update<T>; patchStatus: Update<T> },
): void {
  const item = `/apis/batch/v1/namespaces/:ns/${resource}/:name`;
  const route = (update: Update<T>) => async (req: FastifyRequest<{ Params: NameParams }>, reply: FastifyReply) =>
    sendObject(req, reply, resource, await update(ctx, req, req.params.ns, req.params.name), () => ctx.cluster.store.now());
  app.put<{ Params: NameParams }>(item, route(updates.replace));
  app.patch<{ Params: NameParams }>(item, route(updates.patch));
  app.put<{ Params: NameParams }>(`${item}/status`, route(updates.replaceStatus));
  app.patch<{ Params: NameParams }>(`${item}/status`, route(updates.patchStatus));
}

/** PUT of jobs/{name}/status: the body's status (and labels, annotations) is written; its spec is ignored. */
async function replaceJobStatus(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const body = replacementBody(req, ns, name, 'Job');
  const { job } = await updateJobStatus(ctx.cluster.store, ctx.cluster.controller, ns, name, () => body, writeOptions(req));
  return job;
}

/** PATCH of jobs/{name}/status: the patch applies to the whole Job; only its status (and labels, annotations) is written. */
async function patchJobStatus(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const patched = patchedObject<Job>(req, JOB_PATCH_SCHEMA);
  const { job } = await updateJobStatus(ctx.cluster.store, ctx.cluster.controller, ns, name, patched, writeOptions(req));
  return job;
}

async function replaceJob(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const body = replacementBody(req, ns, name, 'Job');
  const { job } = await updateJob(ctx.cluster.store, ctx.cluster.controller, ns, name, (current) => checkedJobUpdate(current, body, ctx), writeOptions(req));
  return job;
}

async function patchJob(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Job> {
  const patched = patchedObject<Job>(req, JOB_PATCH_SCHEMA);
  const { job } = await updateJob(ctx.cluster.store, ctx.cluster.controller, ns, name, (current) => checkedJobUpdate(current, patched(current), ctx), writeOptions(req));
  return job;
}

/** The object (a Job, a CronJob) a PUT sends, checked against the URL as the API server does (the name filled in when missing). */
export function replacementBody(req: FastifyRequest, ns: string, name: string, kind: 'Job' | 'CronJob'): Record<string, unknown> {
  const body = decodeBody(req);
  checkKind(body, 'batch/v1', kind);
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name) {
    throw new BadRequestError(`the name of the object (${textOf(metadata.name)}) does not match the name on the URL (${name})`);
  }
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  return { ...body, metadata: { ...metadata, name } };
}

/** What a PATCH makes of the current object; applied again to the newer one after a conflict. */
export function patchedObject<T extends { metadata: ObjectMeta }>(req: FastifyRequest, schema: PatchSchema): (current: T) => Record<string, unknown> {
  const type = patchContentType(req);
  const patch = patchBody(req);
  return (current) => {
    const patched = applyPatchOrFail(type, current, patch, schema);
    const meta = isObject(patched.metadata) ? patched.metadata : {};
    // A resourceVersion the patch did not change is no precondition: the patch is applied again on a conflict.
    if (meta.resourceVersion === current.metadata.resourceVersion) delete meta.resourceVersion;
    return { ...patched, metadata: meta };
  };
}

function checkedJobUpdate(current: Job, input: Record<string, unknown>, ctx: ApiContext): Job {
  return checkedUpdate(current, input, (obj) => parseJob(obj, { allowPrivileged: ctx.allowPrivileged === true }), validateJobUpdate);
}

/**
 * The new object, decoded, defaulted and validated (`parse`), plus the rules of an update
 * (`validateUpdate`, unless `parse` applies them). An empty uid means the stored one (Kubernetes
 * fills it in before validating).
 */
export function checkedUpdate<T extends { kind: string; metadata: ObjectMeta }>(
  current: T,
  input: Record<string, unknown>,
  parse: (input: Record<string, unknown>) => T,
  validateUpdate: (old: T, next: T) => FieldError[] = () => [],
): T {
  const metadata = isObject(input.metadata) ? input.metadata : {};
  const withMeta = {
    ...input,
    metadata: { ...metadata, namespace: current.metadata.namespace, uid: metadata.uid || current.metadata.uid },
  };
  const next = parse(withMeta);
  const errors = validateUpdate(current, next);
  if (errors.length > 0) throw new InvalidError({ name: current.metadata.name ?? '', kind: current.kind, errors });
  return next;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
