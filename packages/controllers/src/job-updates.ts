import { ConflictError, FIELD_IMMUTABLE_MESSAGE, InvalidError, NotFoundError, decodeJobStatus, deepEqual, invalid, validateAnnotations, validateJobStatusUpdate, validateLabels, type FieldError, type Job } from '@jobfleet/kube';
import { putJob, type JobStore } from '@jobfleet/store';
import type { JobController } from './controller.js';

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
    const result = await putJob(store, stored.rv, next, { request: true });
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
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.getJob(ns, name);
    if (!stored) throw new NotFoundError({ group: 'batch', resource: 'jobs', name });
    const current: Job = { ...stored.job, metadata: { ...stored.job.metadata, resourceVersion: stored.rv } };
    const requested = mutate(structuredClone(current));
    const meta = isObject(requested.metadata) ? requested.metadata : {};
    const precondition = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
    if (precondition && precondition !== stored.rv) throw conflict(name);
    const decoded = decodeJobStatus(requested.status);
    const labels = stringMap(meta.labels, 'metadata.labels', decoded.errors) ?? stored.job.metadata.labels;
    const annotations = stringMap(meta.annotations, 'metadata.annotations', decoded.errors) ?? stored.job.metadata.annotations;
    const status = decoded.status ?? {};
    const errors = [
      ...decoded.errors,
      ...(meta.name !== undefined && meta.name !== stored.job.metadata.name ? [invalid('metadata.name', meta.name, FIELD_IMMUTABLE_MESSAGE)] : []),
      ...(meta.uid && meta.uid !== stored.job.metadata.uid ? [invalid('metadata.uid', meta.uid, FIELD_IMMUTABLE_MESSAGE)] : []),
      ...validateLabels(labels, 'metadata.labels'),
      ...validateAnnotations(annotations, 'metadata.annotations'),
      ...(decoded.status ? validateJobStatusUpdate(stored.job, status) : []),
    ];
    if (errors.length > 0) throw new InvalidError({ name, errors });
    const metadata = { ...stored.job.metadata, labels, annotations };
    if (!labels) delete metadata.labels;
    if (!annotations) delete metadata.annotations;
    const next: Job = { ...stored.job, metadata, status };
    if (deepEqual(next, stored.job)) return { job: current, changed: false };
    if (options.dryRun) return { job: { ...next, metadata: { ...next.metadata, resourceVersion: stored.rv } }, changed: true };
    const result = await putJob(store, stored.rv, next);
    if (!result.ok) {
      if (precondition) throw conflict(name);
      continue;
    }
    const written = { ...next, metadata: { ...next.metadata, resourceVersion: result.rvs[0] } };
    await controller.syncJob(ns, name);
    return { job: written, changed: true };
  }
  throw conflict(name);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A labels/annotations map of the request; a wrongly typed one is reported in `errors`. */
function stringMap(value: unknown, field: string, errors: FieldError[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    errors.push(invalid(field, value, 'must be an object'));
    return undefined;
  }
  const bad = Object.entries(value).filter(([, v]) => typeof v !== 'string');
  for (const [key, v] of bad) errors.push(invalid(`${field}[${key}]`, v, 'must be a string'));
  return bad.length ? undefined : (value as Record<string, string>);
}
