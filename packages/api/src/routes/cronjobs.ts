/**
 * batch/v1 CronJobs, served as the API server serves them: list and watch (all namespaces, one
 * namespace; label selectors, field selectors on metadata.name and metadata.namespace, limit and
 * continue), create (generateName, dryRun), get, delete and deletecollection — the routes every
 * batch/v1 resource shares (jobs.ts) — and its updates (cronjob-updates.ts). Deleting a CronJob
 * deletes its Jobs (Background and Foreground, Kubernetes' default for batch/v1 being Background);
 * Orphan leaves them, as the garbage collector would.
 */
import type { FastifyInstance } from 'fastify';
import { parseCronJob, type CronJob } from '@jobfleet/kube';
import { CronJobExistsError, createCronJob, deleteCronJob } from '@jobfleet/controllers';
import { cronJobNamesPage, getCronJob, getCronJobs, prepareNewCronJob } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { alreadyExists, registerBatchRoutes, type BatchResource } from './jobs.js';

const CRONJOBS: BatchResource<CronJob> = {
  resource: 'cronjobs',
  kind: 'CronJob',
  // As the API server: a CronJob has the field selectors of every object, no others.
  fields: ['metadata.name', 'metadata.namespace'],
  fieldValues: (cronJob) => ({ 'metadata.name': cronJob.metadata.name, 'metadata.namespace': cronJob.metadata.namespace }),
  names: cronJobNamesPage,
  fetch: async (store, ns, names) => (await getCronJobs(store, ns, names)).map((s) => s.cronJob),
  get: async (store, ns, name) => {
    const stored = await getCronJob(store, ns, name);
    return stored && { obj: stored.cronJob, rv: stored.rv };
  },
  remove: (ctx, ns, name, { uid, resourceVersion, propagationPolicy }) => deleteCronJob(ctx.cluster.store, ctx.cluster.queues, ns, name, { uid, resourceVersion, propagationPolicy }),
  orphans: true,
  parse: (input, ctx) => parseCronJob(input, { allowPrivileged: ctx.allowPrivileged === true }),
  prepare: prepareNewCronJob,
  create: async (ctx, cronJob, ns) => {
    try {
      return await createCronJob(ctx.cluster.store, cronJob, ns, await ctx.cluster.store.now());
    } catch (err) {
      if (err instanceof CronJobExistsError) throw alreadyExists('cronjobs', cronJob.metadata.name ?? '');
      throw err;
    }
  },
};

export function registerCronJobRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerBatchRoutes(app, ctx, CRONJOBS);
}
