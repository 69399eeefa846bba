import { ConflictError, decodeCronJobStatus, type CronJob, type CronJobStatus } from '@jobfleet/kube';
import {
  cronJobDeletionsInProgress,
  cronJobJobNames,
  deleteJob,
  finishCronJobDeletion,
  getCronJob,
  insertCronJob,
  prepareNewCronJob,
  putCronJob,
  putJob,
  removeCronJob,
  type CronJobDeletion,
  type JobStore,
  type TaskQueues,
} from '@jobfleet/store';
import { updateSpec, updateStatus, withVersion, type UpdatableKind, type UpdateOptions } from './object-updates.js';

const MAX_ATTEMPTS = 20;

export class CronJobExistsError extends Error {
  constructor(readonly ns: string, readonly cronJobName: string) {
    super(`cronjobs.batch "${cronJobName}" already exists`);
    this.name = 'CronJobExistsError';
  }
}

/** Stores a new parsed and validated CronJob (uid, timestamps, empty status); its first sync follows at once. Throws CronJobExistsError. */
export async function createCronJob(store: JobStore, cronJob: CronJob, ns: string, now = Date.now()): Promise<CronJob> {
  const prepared = prepareNewCronJob(cronJob, ns, now);
  const result = await insertCronJob(store, prepared);
  if (!result.ok) throw new CronJobExistsError(ns, prepared.metadata.name ?? '');
  return { ...prepared, metadata: { ...prepared.metadata, resourceVersion: result.rvs[0] } };
}

export type CronJobMutation = (current: CronJob) => CronJob;

export type UpdateCronJobOptions = UpdateOptions;

export interface UpdateCronJobResult {
  cronJob: CronJob;
  /** False when nothing changed (nothing was written). */
  changed: boolean;
}

/**
 * PUT/PATCH of a CronJob (its update strategy): spec and metadata from the request (decoded,
 * defaulted and validated by the caller), status and server fields kept, generation up on a spec
 * change. The write asks the controller to sync it at once (a new schedule, suspend, …).
 */
export async function updateCronJob(store: JobStore, ns: string, name: string, mutate: CronJobMutation, opts: UpdateCronJobOptions = {}): Promise<UpdateCronJobResult> {
  const { obj, changed } = await updateSpec(cronJobKind(store), ns, name, mutate, opts);
  return { cronJob: obj, changed };
}

/**
 * cronjobs/{name}/status (the status strategy): status, labels and annotations from the request,
 * the spec and server fields as stored; the status type-checked (decodeCronJobStatus).
 */
export async function updateCronJobStatus(
  store: JobStore,
  ns: string,
  name: string,
  mutate: (current: CronJob) => Record<string, unknown>,
  opts: UpdateCronJobOptions = {},
): Promise<UpdateCronJobResult> {
  const { obj, changed } = await updateStatus(cronJobKind(store), ns, name, mutate, opts);
  return { cronJob: obj, changed };
}

/** CronJobs for the shared update strategies: every write through the API pokes the controller. */
function cronJobKind(store: JobStore): UpdatableKind<CronJob, CronJobStatus> {
  return {
    resource: 'cronjobs',
    kind: 'CronJob',
    get: async (ns, name) => {
      const stored = await getCronJob(store, ns, name);
      return stored && { obj: stored.cronJob, rv: stored.rv };
    },
    put: (expect, next) => putCronJob(store, expect, next, { request: true }),
    decodeStatus: decodeCronJobStatus,
  };
}

export interface DeleteCronJobOptions {
  /** Preconditions (409 Conflict unless the CronJob has them). */
  uid?: string;
  resourceVersion?: string;
  /** Background and Foreground delete the CronJob's Jobs (and their pods); Orphan leaves them, without its owner reference. */
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

/**
 * Deletes the CronJob (one commit: object, indexes, schedule, events), then, unless Orphan, every
 * Job it controls with deleteJob (pods, logs, events), as Kubernetes' garbage collector does. The
 * CronJob is gone first, so no sync creates a Job after its Jobs were listed. Returns the deleted
 * CronJob, or undefined when there was none.
 */
export async function deleteCronJob(store: JobStore, queues: TaskQueues | undefined, ns: string, name: string, opts: DeleteCronJobOptions = {}): Promise<CronJob | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await getCronJob(store, ns, name);
    if (!stored) return undefined;
    const cj = stored.cronJob;
    if (opts.uid && opts.uid !== cj.metadata.uid) {
      throw new ConflictError({ group: 'batch', resource: 'cronjobs', name, detail: `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${cj.metadata.uid ?? ''}` });
    }
    if (opts.resourceVersion && opts.resourceVersion !== stored.rv) {
      throw new ConflictError({
        group: 'batch',
        resource: 'cronjobs',
        name,
        detail: `Precondition failed: ResourceVersion in precondition: ${opts.resourceVersion}, ResourceVersion in object meta: ${stored.rv}`,
      });
    }
    const { result, deletion } = await removeCronJob(store, stored.rv, cj, { at: await store.now(), orphan: opts.propagationPolicy === 'Orphan' });
    if (!result.ok) continue; // the controller wrote its status meanwhile
    await finishDeletion(store, queues, deletion);
    return withVersion(cj, result.rvs[0] ?? stored.rv);
  }
  throw new ConflictError({ group: 'batch', resource: 'cronjobs', name });
}

/** A CronJob deletion still registered this long after it started is taken over: its process died. */
export const RESUME_CRONJOB_DELETION_AFTER_MS = 10_000;

/** Finishes the CronJob deletions whose process stopped before their Jobs were dealt with. Returns how many. */
export async function resumeCronJobDeletions(store: JobStore, queues: TaskQueues | undefined, now: number): Promise<number> {
  let resumed = 0;
  for (const deletion of await cronJobDeletionsInProgress(store)) {
    if (now - deletion.at < RESUME_CRONJOB_DELETION_AFTER_MS) continue;
    await finishDeletion(store, queues, deletion);
    resumed++;
  }
  return resumed;
}

/** Deletes (or orphans) the Jobs of a deleted CronJob, then ends its deletion; repeatable until it ends. */
async function finishDeletion(store: JobStore, queues: TaskQueues | undefined, deletion: CronJobDeletion): Promise<void> {
  const names = await cronJobJobNames(store, deletion.uid);
  if (deletion.orphan) await orphanJobs(store, deletion.ns, deletion.uid, names);
  else await deleteJobsOf(store, queues, deletion.ns, deletion.uid, names);
  await finishCronJobDeletion(store, deletion);
}

async function deleteJobsOf(store: JobStore, queues: TaskQueues | undefined, ns: string, uid: string, names: string[]): Promise<void> {
  for (const stored of await store.getJobs(ns, names)) {
    const job = stored.job;
    if (!job.metadata.ownerReferences?.some((o) => o.controller === true && o.uid === uid)) continue;
    // The uid precondition: a Job recreated under that name meanwhile is not this CronJob's (409, skipped).
    await deleteJob(store, ns, job.metadata.name ?? '', { uid: job.metadata.uid, ...(queues ? { queues } : {}), returnAfterMs: 1_000 }).catch((err: unknown) => {
      if (!(err instanceof ConflictError)) throw err;
    });
  }
}

/** Orphan: the Jobs stay, without their owner reference to the CronJob (as the garbage collector's orphan policy does). */
async function orphanJobs(store: JobStore, ns: string, uid: string, names: string[]): Promise<void> {
  for (const name of names) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await store.getJob(ns, name);
      const refs = stored?.job.metadata.ownerReferences;
      if (!stored || !refs?.some((o) => o.uid === uid)) break;
      const kept = refs.filter((o) => o.uid !== uid);
      const { ownerReferences: _refs, ...rest } = stored.job.metadata;
      const metadata = kept.length > 0 ? { ...rest, ownerReferences: kept } : rest;
      if ((await putJob(store, stored.rv, { ...stored.job, metadata })).ok) break;
    }
  }
}
