/**
 * Pods as API objects: deletion (graceful, with preconditions), eviction, updates of the pod and of
 * pods/status, and the Job controller's adoption and release of pods whose labels or owners change.
 * The decisions are @jobfleet/kube's (pod-api.ts, after the API server and the Job controller);
 * here they are applied, each as one atomic write guarded by the pod's resourceVersion (a lost race
 * is read again and retried), and the owning Job is synced so that it reacts at once: it counts a
 * deleted pod once it has ended (as failed unless it succeeded), removes its object, and replaces it
 * within the Job's rules.
 */
import {
  ConflictError,
  EVICTION_DISRUPTION,
  TAINT_EVICTION_DISRUPTION,
  InvalidError,
  LABEL_CONTROLLER_UID,
  LABEL_JOB_NAME,
  NotFoundError,
  adoptedPod,
  controllerRef,
  deepEqual,
  deletionGracePeriod,
  isPodDeleted,
  isPodRemovable,
  isPodFinished,
  markPodDeleted,
  ownershipChange,
  podStatusUpdate,
  podUpdate,
  releasedPod,
  withPodCondition,
  type Job,
  type Pod,
  type PodDeletionCause,
} from '@jobfleet/kube';
import {
  commitOwnerChange,
  isPodOfJob,
  isPodUncounted,
  jobNamesPage,
  podNamesPage,
  podQueueEntry,
  putPod,
  removePod,
  type JobStore,
  type OwnerChange,
  type StoredPod,
  type TaskQueues,
} from '@jobfleet/store';
import type { JobController } from './controller.js';

const MAX_ATTEMPTS = 20;
/** Jobs read per round trip when looking for the Job that adopts an orphan. */
const JOBS_PAGE = 500;

function podConflict(name: string, detail?: string): ConflictError {
  return new ConflictError({ group: '', resource: 'pods', name, ...(detail ? { detail } : {}) });
}

function withVersion(stored: StoredPod): Pod {
  return { ...stored.pod, metadata: { ...stored.pod.metadata, resourceVersion: stored.rv } };
}

/**
 * The Job whose indexes hold the pod: the one its controller reference names, else (an orphan whose
 * owner reference a client just removed) the one its controller-uid label names.
 */
function trackingJob(pod: Pod): { uid: string; name: string } | undefined {
  const ref = controllerRef(pod);
  if (ref?.kind === 'Job') return { uid: ref.uid, name: ref.name };
  const uid = pod.metadata.labels?.[LABEL_CONTROLLER_UID];
  const name = pod.metadata.labels?.[LABEL_JOB_NAME];
  return uid && name ? { uid, name } : undefined;
}

/** Counted: not among the uncounted pods of the Job tracking it (a pod of no Job is never counted, so counts as done). */
async function isCounted(store: JobStore, pod: Pod): Promise<boolean> {
  const job = trackingJob(pod);
  if (!job) return true;
  return !(await isPodUncounted(store, job.uid, pod.metadata.name ?? ''));
}

export interface DeletePodOptions {
  /** Preconditions: refused (409 Conflict) unless the pod has this uid / resourceVersion. */
  uid?: string;
  resourceVersion?: string;
  /** The DELETE's gracePeriodSeconds (default: the pod's terminationGracePeriodSeconds). */
  gracePeriodSeconds?: number;
  /** Compute the answer without writing (dryRun=All). */
  dryRun?: boolean;
  /** Removes the task of a pod no worker took yet. */
  queues?: TaskQueues;
}

export interface DeletedPod {
  /** The pod as the deletion left it (with its deletionTimestamp), or as it was when it went at once. */
  pod: Pod;
  /** The object is gone already. */
  removed: boolean;
}

/**
 * DELETE of a pod, as the API server's graceful deletion of a pod with finalizers: the pod gets its
 * deletionTimestamp and grace period (CheckGracefulDelete), and its node stops it (SIGTERM, SIGKILL
 * after the grace period). Its object goes once it ended and its Job counted it: at once for a pod
 * that had ended and been counted; through the Job's sync for the others (a pod no worker took yet
 * ends as Failed at once, so the sync run here counts and removes it before the answer). A pod being
 * deleted already only gets a shorter grace period. Undefined when there is no such pod.
 */
export async function deletePod(store: JobStore, controller: JobController, ns: string, name: string, opts: DeletePodOptions = {}): Promise<DeletedPod | undefined> {
  return deleteWithCause(store, controller, ns, name, opts, 'api');
}

/**
 * The eviction subresource (policy/v1 Eviction) without PodDisruptionBudgets: the pod gets the
 * DisruptionTarget condition (reason EvictionByEvictionAPI) and is deleted as by deletePod, in one
 * write. Undefined when there is no such pod.
 */
export async function evictPod(store: JobStore, controller: JobController, ns: string, name: string, opts: DeletePodOptions = {}): Promise<DeletedPod | undefined> {
  return deleteWithCause(store, controller, ns, name, opts, 'eviction');
}

/**
 * The taint eviction controller's deletion of a pod whose node has a NoExecute taint it does not
 * tolerate (any more): the DisruptionTarget condition (reason DeletionByTaintManager), then deleted
 * as by deletePod. Undefined when there is no such pod.
 */
export async function evictPodForTaint(store: JobStore, controller: JobController, ns: string, name: string, opts: DeletePodOptions = {}): Promise<DeletedPod | undefined> {
  return deleteWithCause(store, controller, ns, name, opts, 'taint');
}

async function deleteWithCause(store: JobStore, controller: JobController, ns: string, name: string, opts: DeletePodOptions, cause: PodDeletionCause): Promise<DeletedPod | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.getPod(ns, name);
    if (!stored) return undefined;
    const pod = stored.pod;
    checkPreconditions(name, pod, stored.rv, opts, cause);
    const now = await store.now();
    const grace = deletionGracePeriod(pod, opts.gracePeriodSeconds);
    // The eviction API adds its condition to the pod it then deletes, whatever state the pod is in (but not on a dry run).
    const disruption = cause === 'eviction' ? EVICTION_DISRUPTION : cause === 'taint' ? TAINT_EVICTION_DISRUPTION : undefined;
    const conditioned = disruption && !opts.dryRun ? withPodCondition(pod, disruption, now) : undefined;
    const marked = markPodDeleted(conditioned ?? pod, { now, graceSeconds: grace, cause });
    const next = marked ?? conditioned;
    if (!next) return { pod: withVersion(stored), removed: false }; // being deleted already, with no longer a grace period
    const removeNow = isPodRemovable(next, await isCounted(store, next));
    if (opts.dryRun) return { pod: { ...next, metadata: { ...next.metadata, resourceVersion: stored.rv } }, removed: removeNow };
    const job = trackingJob(next);
    const node = next.spec.nodeName;
    const result = removeNow
      ? await removePod(store, job?.uid ?? '', { pod: next, rv: stored.rv })
      : await putPod(store, stored.rv, next, node && !isPodFinished(next) ? { stopGraceSeconds: grace } : {});
    if (!result.ok) continue; // read again: a stale resourceVersion precondition then answers 409
    // A pod no worker took is queued: a node would find it gone, but need not take it.
    if (!node) await opts.queues?.dequeuePods([podQueueEntry(pod)]).catch(() => undefined);
    // The Job reacts now: it counts the pod (and removes it) once it ended, and replaces it within its rules.
    if (job) await controller.syncJob(ns, job.name);
    return { pod: { ...next, metadata: { ...next.metadata, resourceVersion: result.rvs[0] ?? stored.rv } }, removed: removeNow };
  }
  throw podConflict(name);
}

/** The DeleteOptions' preconditions (the eviction subresource words them its own way, as Kubernetes does). */
function checkPreconditions(name: string, pod: Pod, rv: string, opts: DeletePodOptions, cause: PodDeletionCause): void {
  const uid = pod.metadata.uid ?? '';
  if (opts.uid && opts.uid !== uid) {
    if (cause === 'eviction') {
      throw new ConflictError({ group: '', resource: 'Pod', name, detail: `the UID in the precondition (${opts.uid}) does not match the UID in record (${uid}). The object might have been deleted and then recreated` });
    }
    throw podConflict(name, `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${uid}`);
  }
  if (opts.resourceVersion && opts.resourceVersion !== rv) {
    if (cause === 'eviction') {
      throw new ConflictError({ group: '', resource: 'Pod', name, detail: `the ResourceVersion in the precondition (${opts.resourceVersion}) does not match the ResourceVersion in record (${rv}). The object might have been modified` });
    }
    throw podConflict(name, `Precondition failed: ResourceVersion in precondition: ${opts.resourceVersion}, ResourceVersion in object meta: ${rv}`);
  }
}

/**
 * Removes the object of a deleted pod that ended, when nothing holds it any more: called for a pod
 * of no Job once its node reported its end (a Job's pods go through the Job's sync, which counts
 * them first). Idempotent.
 */
export async function settleDeletedPod(store: JobStore, ns: string, name: string): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.getPod(ns, name);
    if (!stored || !isPodDeleted(stored.pod) || !isPodFinished(stored.pod)) return false;
    if (!isPodRemovable(stored.pod, await isCounted(store, stored.pod))) return false;
    const result = await removePod(store, trackingJob(stored.pod)?.uid ?? '', stored);
    if (result.ok) return true;
  }
  return false;
}

export interface UpdatePodOptions {
  dryRun?: boolean;
  /** Write pods/status (the status strategy) instead of the pod itself. */
  subresource?: 'status';
}

/** The requested pod (a PUT's body, or a PATCH applied to the current pod), as JSON. */
export type PodMutation = (current: Pod) => Record<string, unknown>;

/**
 * PUT or PATCH of a pod or of pods/status. The request's metadata.resourceVersion, when set, is a
 * precondition (409 when stale); without it a write that races with another (a worker reporting
 * status) is applied again to a fresh read. What may change is decided by podUpdate /
 * podStatusUpdate (422 with Kubernetes' messages otherwise). When the labels or owner references
 * changed, the Job controller then adopts or releases the pod (a separate write, as in Kubernetes).
 * Returns the pod as written.
 */
export async function updatePod(store: JobStore, controller: JobController, ns: string, name: string, mutate: PodMutation, opts: UpdatePodOptions = {}): Promise<Pod> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.getPod(ns, name);
    if (!stored) throw new NotFoundError({ group: '', resource: 'pods', name });
    const requested = mutate(structuredClone(withVersion(stored)));
    const meta = requested.metadata;
    const precondition = typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>).resourceVersion : undefined;
    if (typeof precondition === 'string' && precondition !== '' && precondition !== stored.rv) throw podConflict(name);
    const { pod: next, errors } = opts.subresource === 'status' ? podStatusUpdate(stored.pod, requested) : podUpdate(stored.pod, requested);
    if (errors.length > 0) throw new InvalidError({ group: '', kind: 'Pod', name, errors });
    if (deepEqual(next, stored.pod)) return withVersion(stored);
    if (opts.dryRun) return { ...next, metadata: { ...next.metadata, resourceVersion: stored.rv } };
    const result = await putPod(store, stored.rv, next, { previous: stored.pod });
    if (!result.ok) {
      if (typeof precondition === 'string' && precondition !== '') throw podConflict(name);
      continue;
    }
    const written = { ...next, metadata: { ...next.metadata, resourceVersion: result.rvs[0] ?? '' } };
    const ownersChanged = !deepEqual(next.metadata.labels, stored.pod.metadata.labels) || !deepEqual(next.metadata.ownerReferences, stored.pod.metadata.ownerReferences);
    if (ownersChanged) await reconcilePodOwner(store, controller, ns, name);
    // A client removed the last finalizer holding a deleted pod that had ended: it goes now.
    if (!deepEqual(next.metadata.finalizers, stored.pod.metadata.finalizers)) await settleDeletedPod(store, ns, name);
    return written;
  }
  throw podConflict(name);
}

/** The Jobs of a namespace, read a page at a time. */
async function namespaceJobs(store: JobStore, ns: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let after: string | undefined;
  for (;;) {
    const names = await jobNamesPage(store, ns, after, JOBS_PAGE);
    if (names.length === 0) return jobs;
    jobs.push(...(await store.getJobs(ns, names)).map((s) => s.job));
    after = names[names.length - 1];
  }
}

/**
 * The Job controller's ClaimPods for one pod whose labels or owner references changed: a pod whose
 * labels stop matching its Job's selector is released (its owner reference and the Job's finalizer
 * removed, it leaves the Job's indexes, and the Job replaces it); an orphan that a Job's selector
 * matches is adopted (owner reference and finalizer added, it joins the Job's indexes — and, while
 * it has not ended, its uncounted pods). A pod whose owner reference a client removed stays in its
 * Job's indexes until this decides, so that a pod adopted back is neither counted twice nor
 * replaced meanwhile. Each change is one write, guarded by the pod's resourceVersion and (adoption)
 * by the Job still existing.
 */
export async function reconcilePodOwner(store: JobStore, controller: JobController, ns: string, name: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.getPod(ns, name);
    if (!stored) return;
    const pod = stored.pod;
    const ref = controllerRef(pod);
    const owner = ref?.kind === 'Job' ? (await store.getJob(ns, ref.name))?.job : undefined;
    const change = ownershipChange(pod, owner?.metadata.uid === ref?.uid ? owner : undefined, ref ? [] : await namespaceJobs(store, ns));
    // An orphan may still sit in the indexes of the Job that owned it: it leaves them unless that Job adopts it back.
    const previous = ref ? undefined : trackingJob(pod);
    const inPrevious = previous ? await isPodOfJob(store, previous.uid, name) : false;
    const write: OwnerChange = {};
    const synced: string[] = [];
    if (inPrevious && previous && !(change.kind === 'adopt' && change.job.metadata.uid === previous.uid)) {
      write.leave = previous.uid;
      synced.push(previous.name);
    }
    if (change.kind === 'release') {
      write.release = { pod: releasedPod(pod, change.job), jobUid: change.job.metadata.uid ?? '' };
      synced.push(change.job.metadata.name ?? '');
    } else if (change.kind === 'adopt') {
      // A pod that ended before the adoption is listed with the Job but not counted by it: it may have been counted already.
      write.adopt = { pod: adoptedPod(pod, change.job), job: change.job, uncounted: !isPodFinished(pod) };
      synced.push(change.job.metadata.name ?? '');
    }
    const result = await commitOwnerChange(store, ns, name, stored.rv, write);
    if (!result) return;
    if (!result.ok) continue;
    for (const job of new Set(synced)) await controller.syncJob(ns, job);
    return;
  }
}

/**
 * Deletes the pods of a namespace that no Job owns (released orphans) when the namespace goes: each
 * is deleted as by DELETE with no grace period; a running one is stopped by its node and its object
 * goes once it ended.
 */
export async function deleteNamespacePods(store: JobStore, controller: JobController, ns: string, queues?: TaskQueues): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const names = await podNamesPage(store, ns, after, JOBS_PAGE);
    if (names.length === 0) return;
    for (const name of names) await deletePod(store, controller, ns, name, { gracePeriodSeconds: 0, queues }).catch(() => undefined);
    after = names[names.length - 1];
  }
}
