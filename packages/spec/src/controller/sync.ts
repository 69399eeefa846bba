/**
 * The Job controller's decision, as a pure function: given a Job, the pods it has not counted yet
 * and the time, say what the new status is and which pods to create or stop.
 * Mirrors syncJob in Kubernetes' pkg/controller/job/job_controller.go: gather, decide, act.
 * The caller commits the result atomically (compare-and-set on the Job's resourceVersion), so a
 * pod is counted exactly once even when several processes sync the same Job at the same time.
 */
import type { Job, JobCondition, JobConditionType, JobStatus, Pod } from '../types.js';
import { backoffRemaining, nextBackoffRecord, type BackoffRecord, type Delays } from './backoff.js';
import { firstPendingIndexes, formatIndexes, parseIndexes, totalIndexes, withIndexes } from './indexes.js';
import { ANNOTATION_STOP_REASON } from './labels.js';
import { isIndexed, isPodFinished, isPodReady, podFinishTime, podIndex, podRestartCount } from './pods.js';
import { k8sTime, parseTime } from './time.js';

/** Controller bookkeeping kept beside the Job (not part of the Kubernetes object): the re-creation backoff. */
export type JobControlState = BackoffRecord;

export const EMPTY_CONTROL_STATE: JobControlState = { failuresInRow: 0 };

/** Most pods created or stopped by one sync, as Kubernetes' MaxPodCreateDeletePerSync. */
export const MAX_POD_CHANGES_PER_SYNC = 500;

export interface SyncInput {
  job: Job;
  control: JobControlState;
  /** Every pod of the Job that is not counted yet: active, terminating, or finished awaiting count. */
  pods: Pod[];
  now: number;
  delays: Delays;
  /**
   * Finished pods left out of `pods` (a sync counts a bounded number): while there are any, no
   * pod is created, since the successes not counted yet may already complete the Job.
   */
  finishedLeftOut?: number;
}

export interface PodToStop {
  name: string;
  /** Why: the pod's status.reason once stopped (DeadlineExceeded, BackoffLimitExceeded, ...). */
  reason: string;
  /** Stopped without counting as a failure (suspend, surplus after lowering parallelism). */
  uncounted: boolean;
}

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface SyncDecision {
  status: JobStatus;
  control: JobControlState;
  /** How many new pods to create, and their completion indexes when Indexed. */
  create: { count: number; indexes?: number[] };
  stop: PodToStop[];
  /** Finished pods whose result is now in the counters: drop them from the uncounted set. */
  counted: string[];
  /** Sync again after this long (backoff or deadline), if set. */
  requeueAfterMs?: number;
  events: JobEvent[];
}

export const REASON = {
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  completionsReached: 'CompletionsReached',
  suspended: 'JobSuspended',
  resumed: 'JobResumed',
} as const;

export const MESSAGE = {
  backoffLimitExceeded: 'Job has reached the specified backoff limit',
  deadlineExceeded: 'Job was active longer than specified deadline',
  completionsReached: 'Reached expected number of succeeded pods',
} as const;

export function findCondition(status: JobStatus | undefined, type: JobConditionType): JobCondition | undefined {
  return status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function isJobFinished(job: Job): boolean {
  return findCondition(job.status, 'Complete') !== undefined || findCondition(job.status, 'Failed') !== undefined;
}

/** When the Job finished (its Complete or Failed condition's lastTransitionTime), if it did. */
export function jobFinishTime(job: Job): number | undefined {
  const c = findCondition(job.status, 'Complete') ?? findCondition(job.status, 'Failed');
  return parseTime(c?.lastTransitionTime);
}

/**
 * When the TTL-after-finished controller may delete the Job: finish + ttl. The condition's time is
 * whole seconds rounded down, so one second is added: a Job is never deleted before its TTL.
 */
export function ttlDeadline(job: Job): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  const finishedAt = jobFinishTime(job);
  if (ttl === undefined || finishedAt === undefined) return undefined;
  return finishedAt + 1000 + ttl * 1000;
}

interface Counts {
  succeeded: number;
  failed: number;
  completedIndexes: string | undefined;
  control: JobControlState;
  counted: string[];
}

function countFinishedPods(job: Job, status: JobStatus, control: JobControlState, pods: Pod[], now: number): Counts {
  let succeeded = status.succeeded ?? 0;
  let failed = status.failed ?? 0;
  let completed = parseIndexes(status.completedIndexes);
  const counted: string[] = [];
  const succeededAt: number[] = [];
  const failedAt: number[] = [];
  // Every finished pod has a time (a pod that never started too): without one a failure would be
  // re-created at once, over and over. Only a pod with no readable time at all uses `now`.
  const finished = pods.filter(isPodFinished).map((pod) => ({ pod, finishedAt: podFinishTime(pod) ?? now }));
  for (const { pod, finishedAt } of finished.sort((a, b) => a.finishedAt - b.finishedAt)) {
    counted.push(pod.metadata.name ?? '');
    if (pod.status.phase === 'Succeeded') {
      succeededAt.push(finishedAt);
      if (!isIndexed(job)) succeeded++;
      else completed = withIndexes(completed, [podIndex(pod) ?? -1].filter((i) => i >= 0));
    } else if (!pod.metadata.annotations?.[ANNOTATION_STOP_REASON]) {
      failed++;
      failedAt.push(finishedAt);
    }
  }
  if (isIndexed(job)) succeeded = totalIndexes(completed);
  return {
    succeeded,
    failed,
    completedIndexes: isIndexed(job) ? formatIndexes(completed) : undefined,
    control: nextBackoffRecord(control, succeededAt, failedAt),
    counted,
  };
}

function setCondition(status: JobStatus, type: JobConditionType, reason: string, message: string, now: number): void {
  const conditions = status.conditions ?? [];
  if (conditions.some((c) => c.type === type && c.status === 'True')) return;
  const t = k8sTime(now);
  status.conditions = [
    ...conditions.filter((c) => c.type !== type),
    { type, status: 'True', reason, message, lastProbeTime: t, lastTransitionTime: t },
  ];
}

/** The reason the Job must fail now, in Kubernetes' order: backoff limit, then deadline. */
function failureReason(job: Job, failed: number, activePods: Pod[], startTime: number | undefined, now: number) {
  const limit = job.spec.backoffLimit ?? 6;
  const restarts = activePods.reduce((n, p) => n + podRestartCount(p), 0);
  const onFailure = job.spec.template.spec.restartPolicy === 'OnFailure';
  const pastOnFailureLimit = onFailure && (limit === 0 ? restarts > 0 : restarts >= limit);
  if (failed > limit || pastOnFailureLimit) {
    return { reason: REASON.backoffLimitExceeded, message: MESSAGE.backoffLimitExceeded };
  }
  const deadline = job.spec.activeDeadlineSeconds;
  // A suspended Job is never past its deadline; the timer restarts on resume (Kubernetes' pastActiveDeadline).
  if (deadline !== undefined && startTime !== undefined && !job.spec.suspend && now >= startTime + deadline * 1000) {
    return { reason: REASON.deadlineExceeded, message: MESSAGE.deadlineExceeded };
  }
  return undefined;
}

function isSuccess(job: Job, succeeded: number, active: number): boolean {
  if (isWorkQueue(job)) return succeeded > 0 && active === 0;
  return succeeded >= (job.spec.completions ?? 0);
}

function isWorkQueue(job: Job): boolean {
  return job.spec.completions === undefined || job.spec.completions === null;
}

function wantedActive(job: Job, succeeded: number): number {
  const parallelism = job.spec.parallelism ?? 1;
  if (job.spec.suspend) return 0;
  if (isWorkQueue(job)) return parallelism;
  return Math.max(0, Math.min(parallelism, (job.spec.completions ?? 0) - succeeded));
}

/** Pods to stop when more run than wanted: not-ready ones first, then the newest. */
function surplus(active: Pod[], count: number): Pod[] {
  const rank = (p: Pod) => (isPodReady(p) ? 1 : 0);
  return [...active]
    .sort((a, b) => rank(a) - rank(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
    .slice(0, count);
}

export function syncJob(input: SyncInput): SyncDecision {
  const { job, pods, now } = input;
  const status: JobStatus = structuredClone(job.status ?? {});
  const events: JobEvent[] = [];
  const counts = countFinishedPods(job, status, input.control, pods, now);
  status.succeeded = counts.succeeded;
  status.failed = counts.failed;
  if (counts.completedIndexes !== undefined) status.completedIndexes = counts.completedIndexes;

  const unfinished = pods.filter((p) => !isPodFinished(p));
  const active = unfinished.filter((p) => !p.metadata.deletionTimestamp);
  const terminating = unfinished.length - active.length;
  const decision: SyncDecision = { status, control: counts.control, create: { count: 0 }, stop: [], counted: counts.counted, events };

  if (isJobFinished(job)) {
    decision.stop = active.map((p) => ({ name: p.metadata.name ?? '', reason: 'JobFinished', uncounted: false }));
    return finishCounters(decision, 0, active, terminating);
  }

  updateSuspension(job, status, now, events);
  if (!job.spec.suspend && !status.startTime) status.startTime = k8sTime(now);
  const startTime = parseTime(status.startTime);

  // Once SuccessCriteriaMet is set the Job only waits for its pods to end: no failure is evaluated
  // any more (Kubernetes: hasSuccessCriteriaMetCondition is checked before every failure criterion).
  const successMet = findCondition(status, 'SuccessCriteriaMet') !== undefined;
  const failing = findCondition(status, 'FailureTarget');
  const failure = successMet
    ? undefined
    : failing
      ? { reason: failing.reason ?? '', message: failing.message ?? '' }
      : failureReason(job, status.failed, active, startTime, now);
  if (failure) {
    setCondition(status, 'FailureTarget', failure.reason, failure.message, now);
    decision.stop = active.map((p) => ({ name: p.metadata.name ?? '', reason: failure.reason, uncounted: false }));
    if (active.length === 0 && terminating === 0) {
      setCondition(status, 'Failed', failure.reason, failure.message, now);
      events.push({ type: 'Warning', reason: failure.reason, message: failure.message });
    }
    return finishCounters(decision, 0, [], active.length + terminating);
  }

  if (successMet || isSuccess(job, status.succeeded, active.length)) {
    setCondition(status, 'SuccessCriteriaMet', REASON.completionsReached, MESSAGE.completionsReached, now);
    decision.stop = active.map((p) => ({ name: p.metadata.name ?? '', reason: 'Completed', uncounted: true }));
    if (active.length === 0 && terminating === 0) {
      setCondition(status, 'Complete', REASON.completionsReached, MESSAGE.completionsReached, now);
      status.completionTime = k8sTime(now);
      events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    }
    return finishCounters(decision, 0, [], active.length + terminating);
  }

  manageActivePods(input, decision, active, unfinished, status.succeeded, startTime);
  return finishCounters(decision, decision.create.count, active, terminating);
}

/**
 * Creates or stops pods to reach the wanted number. Terminating pods still hold their place: a
 * replacement starts only once they ended (Kubernetes' podReplacementPolicy: Failed), so no
 * instant ever sees more than `parallelism` pods of the Job running.
 */
function manageActivePods(
  input: SyncInput,
  decision: SyncDecision,
  active: Pod[],
  unfinished: Pod[],
  succeeded: number,
  startTime: number | undefined,
) {
  const terminating = unfinished.length - active.length;
  const { job, now, delays } = input;
  // Work queue after a success: no new pods, running ones finish (Kubernetes' wantActive = active),
  // unless the Job is suspended, which stops them. The deadline below still applies.
  const leaveRunning = isWorkQueue(job) && succeeded > 0 && !job.spec.suspend;
  const want = leaveRunning ? active.length + terminating : wantedActive(job, succeeded);
  if (active.length > want) {
    const reason = job.spec.suspend ? 'Suspended' : 'Surplus';
    decision.stop = surplus(active, Math.min(active.length - want, MAX_POD_CHANGES_PER_SYNC)).map((p) => ({
      name: p.metadata.name ?? '',
      reason,
      uncounted: true,
    }));
  } else if (active.length + terminating < want && !input.finishedLeftOut) {
    const waitMs = backoffRemaining(decision.control, now, delays.podFailureBackoffBaseMs, delays.podFailureBackoffMaxMs);
    if (waitMs > 0) decision.requeueAfterMs = waitMs;
    else planCreations(job, decision, unfinished, Math.min(want - active.length - terminating, MAX_POD_CHANGES_PER_SYNC));
  }
  const deadline = job.spec.activeDeadlineSeconds;
  if (deadline !== undefined && startTime !== undefined && !job.spec.suspend) {
    const untilDeadline = startTime + deadline * 1000 - now;
    decision.requeueAfterMs = Math.min(decision.requeueAfterMs ?? Infinity, Math.max(untilDeadline, 0));
  }
}

function planCreations(job: Job, decision: SyncDecision, unfinished: Pod[], count: number) {
  if (!isIndexed(job)) {
    decision.create = { count };
    return;
  }
  const taken = new Set(unfinished.map(podIndex).filter((i): i is number => i !== undefined));
  const completed = parseIndexes(decision.status.completedIndexes);
  const indexes = firstPendingIndexes(completed, taken, count, job.spec.completions ?? 0);
  decision.create = { count: indexes.length, indexes };
}

function updateSuspension(job: Job, status: JobStatus, now: number, events: JobEvent[]) {
  const suspendedNow = findCondition(status, 'Suspended') !== undefined;
  const t = k8sTime(now);
  if (job.spec.suspend && !suspendedNow) {
    status.conditions = [
      ...(status.conditions ?? []).filter((c) => c.type !== 'Suspended'),
      { type: 'Suspended', status: 'True', reason: REASON.suspended, message: 'Job suspended', lastProbeTime: t, lastTransitionTime: t },
    ];
    events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
  } else if (!job.spec.suspend && suspendedNow) {
    status.conditions = (status.conditions ?? []).map((c) =>
      c.type === 'Suspended'
        ? { type: 'Suspended', status: 'False', reason: REASON.resumed, message: 'Job resumed', lastProbeTime: t, lastTransitionTime: t }
        : c,
    );
    status.startTime = t;
    events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
  }
}

function finishCounters(decision: SyncDecision, created: number, active: Pod[], terminatingOrStopping: number): SyncDecision {
  const stopped = new Set(decision.stop.map((s) => s.name));
  const stillActive = active.filter((p) => !stopped.has(p.metadata.name ?? ''));
  decision.status.active = stillActive.length + created;
  decision.status.ready = stillActive.filter(isPodReady).length;
  const terminating = terminatingOrStopping + (active.length - stillActive.length);
  if (terminating > 0) decision.status.terminating = terminating;
  else delete decision.status.terminating;
  return decision;
}
