import { ConflictError, NotFoundError, deepEqual, type Job } from '@jobfleet/spec';
import type { JobController } from './controller.js';
import { ttlScheduleOp } from './controller.js';
import { putOp, type JobStore, type WriteOp } from './store.js';

const MAX_ATTEMPTS = 20;

export interface UpdateJobOptions {
  /** Compute and return the result without writing it (Kubernetes' dryRun=All). */
  dryRun?: boolean;
}

export interface UpdateJobResult {
  job: Job;
  /** False when the update left the Job as it was (nothing was written). */
  changed: boolean;
}

/**
 * The new Job from the current one: a PUT's body or a PATCH applied to the current Job, decoded,
 * defaulted and validated by the caller. Its metadata.resourceVersion is a precondition when set:
 * the update answers 409 Conflict when the stored Job has another one. Without it, a write that
 * races with another (the controller's status updates) is retried with a fresh read.
 */
export type JobMutation = (current: Job) => Job;

/**
 * Updates a Job's spec and metadata (Kubernetes' update strategy for batch/v1 Job): the status and
 * the fields the server owns (uid, creationTimestamp, generation, deletionTimestamp) are kept from
 * the stored Job, and generation goes up when the spec changes. The write is a compare-and-set on
 * the resourceVersion read; the controller then syncs the Job so that a change of parallelism,
 * suspend or activeDeadlineSeconds takes effect at once, and a finished Job's TTL is rescheduled.
 */
export async function updateJob(
  store: JobStore,
  controller: JobController,
  ns: string,
  name: string,
  mutate: JobMutation,
  options: UpdateJobOptions = {},
): Promise<UpdateJobResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.getJob(ns, name);
    if (!stored) throw new NotFoundError({ group: 'batch', resource: 'jobs', name });
    const current: Job = { ...stored.job, metadata: { ...stored.job.metadata, resourceVersion: stored.rv } };
    const requested = mutate(structuredClone(current));
    const precondition = requested.metadata.resourceVersion;
    if (precondition && precondition !== stored.rv) throw conflict(name);
    const next = keepServerFields(stored.job, requested);
    if (deepEqual(withoutVersion(next), withoutVersion(stored.job))) return { job: current, changed: false };
    if (options.dryRun) return { job: { ...next, metadata: { ...next.metadata, resourceVersion: stored.rv } }, changed: true };
    const ops: WriteOp[] = [{ ...putOp(store.keys.job(ns, name), stored.rv, next), request: true }];
    const ttl = ttlScheduleOp(store, next);
    if (ttl) ops.push(ttl);
    const result = await store.commit(ops);
    if (!result.ok) {
      if (precondition) throw conflict(name);
      continue;
    }
    await controller.syncJob(ns, name);
    const after = await store.getJob(ns, name);
    const job = after?.job ?? { ...next, metadata: { ...next.metadata, resourceVersion: result.rvs[0] } };
    return { job, changed: true };
  }
  throw conflict(name);
}

function conflict(name: string): ConflictError {
  return new ConflictError({ group: 'batch', resource: 'jobs', name });
}

/** The requested Job with what only the server writes taken from the stored one. */
function keepServerFields(stored: Job, requested: Job): Job {
  const specChanged = !deepEqual(stored.spec, requested.spec);
  const { resourceVersion: _rv, ...metadata } = requested.metadata;
  const kept = stored.metadata;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...metadata,
      name: kept.name,
      namespace: kept.namespace,
      uid: kept.uid,
      creationTimestamp: kept.creationTimestamp,
      generation: (kept.generation ?? 1) + (specChanged ? 1 : 0),
      ...(kept.deletionTimestamp ? { deletionTimestamp: kept.deletionTimestamp } : { deletionTimestamp: undefined }),
    },
    spec: requested.spec,
    status: stored.status ?? {},
  };
}

function withoutVersion(job: Job): Job {
  const { resourceVersion: _rv, ...metadata } = job.metadata;
  return { ...job, metadata };
}
