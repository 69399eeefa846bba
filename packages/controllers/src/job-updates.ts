import { decodeJobStatus, validateJobStatusUpdate, type Job, type JobStatus } from '@jobfleet/kube';
import { putJob, type JobStore } from '@jobfleet/store';
import type { JobController } from './controller.js';
import { updateSpec, updateStatus, type UpdatableKind, type UpdateOptions } from './object-updates.js';

export type UpdateJobOptions = UpdateOptions;

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
  const update = await updateSpec(jobKind(store), ns, name, mutate, options);
  if (!update.written) return { job: update.obj, changed: update.changed };
  await controller.syncJob(ns, name);
  const after = await store.getJob(ns, name);
  return { job: after?.job ?? update.obj, changed: true };
}

/** The requested status and metadata: a PUT's body, or a PATCH applied to the current Job, as JSON. */
export type JobStatusMutation = (current: Job) => Record<string, unknown>;

/**
 * Writes jobs/{name}/status (Kubernetes' status strategy): the status and the labels and
 * annotations are taken from the request, the spec and what only the server writes stay as stored,
 * and the status is validated as ValidateJobUpdateStatus does (a 1.33 server's rules). This is how
 * the controller a Job's spec.managedBy names reports its progress; for a Job of jobfleet's own
 * controller, the next sync goes on from the written status, as Kubernetes' controller would.
 * Request metadata.resourceVersion, when set, is a precondition (409 when stale).
 */
export async function updateJobStatus(
  store: JobStore,
  controller: JobController,
  ns: string,
  name: string,
  mutate: JobStatusMutation,
  options: UpdateJobOptions = {},
): Promise<UpdateJobResult> {
  const update = await updateStatus(jobKind(store), ns, name, mutate, options);
  if (update.written) await controller.syncJob(ns, name);
  return { job: update.obj, changed: update.changed };
}

/** Jobs for the shared update strategies: a user's spec write must leave the status headroom free. */
function jobKind(store: JobStore): UpdatableKind<Job, JobStatus> {
  return {
    resource: 'jobs',
    kind: 'Job',
    get: async (ns, name) => {
      const stored = await store.getJob(ns, name);
      return stored && { obj: stored.job, rv: stored.rv };
    },
    put: (expect, next, what) => putJob(store, expect, next, what === 'spec' ? { request: true } : {}),
    decodeStatus: decodeJobStatus,
    validateStatus: validateJobStatusUpdate,
  };
}
