/**
 * Updates of a CronJob: PUT and PATCH (JSON patch, merge patch, strategic merge patch with a
 * CronJob's merge keys: containers by name inside spec.jobTemplate.spec.template, …), and of its
 * status subresource, as for a Job (job-updates.ts): the new CronJob is decoded, defaulted and
 * validated like a created one, then checked against the stored one (Kubernetes'
 * ValidateCronJobUpdate); the store keeps the status and the server's metadata, bumps generation on
 * a spec change. cronjobs/status writes the status (and labels, annotations) and ignores the spec.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseCronJob, type CronJob } from '@jobfleet/kube';
import { updateCronJob, updateCronJobStatus } from '@jobfleet/controllers';
import type { ApiContext } from '../context.js';
import { CRONJOB_PATCH_SCHEMA } from '../patch.js';
import { writeOptions } from '../write-options.js';
import { checkedUpdate, patchedObject, registerUpdateRoutes, replacementBody } from './job-updates.js';

export function registerCronJobUpdateRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerUpdateRoutes(app, ctx, 'cronjobs', { replace, patch, replaceStatus, patchStatus });
}

/** parseCronJob given the stored CronJob validates as ValidateCronJobUpdate (immutable metadata, the rules a stored schedule keeps). */
function checked(ctx: ApiContext, current: CronJob, input: Record<string, unknown>): CronJob {
  return checkedUpdate(current, input, (obj) => parseCronJob(obj, { allowPrivileged: ctx.allowPrivileged === true, old: current }));
}

async function replace(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<CronJob> {
  const body = replacementBody(req, ns, name, 'CronJob');
  return (await updateCronJob(ctx.cluster.store, ns, name, (current) => checked(ctx, current, body), writeOptions(req))).cronJob;
}

async function patch(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<CronJob> {
  const patched = patchedObject<CronJob>(req, CRONJOB_PATCH_SCHEMA);
  return (await updateCronJob(ctx.cluster.store, ns, name, (current) => checked(ctx, current, patched(current)), writeOptions(req))).cronJob;
}

/** PUT of cronjobs/{name}/status: the body's status (and labels, annotations) is written; its spec is ignored. */
async function replaceStatus(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<CronJob> {
  const body = replacementBody(req, ns, name, 'CronJob');
  return (await updateCronJobStatus(ctx.cluster.store, ns, name, () => body, writeOptions(req))).cronJob;
}

/** PATCH of cronjobs/{name}/status: the patch applies to the whole CronJob; only its status (and labels, annotations) is written. */
async function patchStatus(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<CronJob> {
  const patched = patchedObject<CronJob>(req, CRONJOB_PATCH_SCHEMA);
  return (await updateCronJobStatus(ctx.cluster.store, ns, name, patched, writeOptions(req))).cronJob;
}
