/**
 * The Job controller's decision, as a pure function: given a Job, the pods it has not counted yet
 * and the time, say what the new status is and which pods to create, stop or remove.
 * Mirrors syncJob in Kubernetes' pkg/controller/job/job_controller.go: gather, decide, act.
 * The caller commits the result atomically (compare-and-set on the Job's resourceVersion), so a
 * pod is counted exactly once even when several processes sync the same Job at the same time.
 */
import type { EventAggregates } from './events.js';
import type { Job, JobCondition, JobConditionType, JobStatus, Pod } from '../types.js';
import { backoffRemaining, exponentialBackoff, nextBackoffRecord, type BackoffRecord, type Delays } from './backoff.js';
import { matchPodFailurePolicy } from './failure-policy.js';
import { firstPendingIndexes, formatIndexes, hasIndex, parseIndexes, totalIndexes, unionIndexes, withIndexes, type OrderedIntervals } from './indexes.js';
import {
  ANNOTATION_COUNTED,
  ANNOTATION_DELETED,
  ANNOTATION_NODE_LOST,
  ANNOTATION_STOP_REASON,
  INDEX_FAILURE_COUNT_KEY,
  INDEX_IGNORED_FAILURE_COUNT_KEY,
  JOB_CONTROLLER_NAME,
} from './labels.js';
import { isIndexed, isPodFinished, isPodReady, podFinishTime, podIndex, podRestartCount } from './pods.js';
import { matchSuccessPolicy } from './success-policy.js';
import { k8sTime, parseTime } from './time.js';

/**
 * The failures of one completion index so far, kept while the index waits for its replacement pod
 * (backoffLimitPerIndex): Kubernetes reads them from the failed pod, whose deletion it delays until
 * the replacement exists; jobfleet keeps them beside the Job instead.
 */
export interface IndexFailureRecord {
  /** Failures counted toward backoffLimitPerIndex, this one included. */
  failed: number;
  /** Failures a podFailurePolicy Ignore rule matched. */
  ignored: number;
  /** When the last one finished, ms. */
  at: number;
}

/** Controller bookkeeping kept beside the Job (not part of the Kubernetes object). */
export interface JobControlState extends BackoffRecord {
  /** Per completion index awaiting a replacement pod (backoffLimitPerIndex only). */
  indexes?: Record<string, IndexFailureRecord>;
  /** The controller's similar events about the Job, as the event aggregator counts them (see correlateEvents). */
  events?: EventAggregates;
}

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
  /**
   * How many new pods to create; when Indexed, their completion indexes; with backoffLimitPerIndex,
   * the annotations each one carries (its index's failure counts).
   */
  create: { count: number; indexes?: number[]; annotations?: Record<string, string>[] };
  stop: PodToStop[];
  /** Finished pods whose result is now in the counters: drop them from the uncounted set. */
  counted: string[];
  /** Terminating pods counted as failed now (TerminatingOrFailed): mark them so that their end is not counted again. */
  countedEarly: string[];
  /** Counted pods that ended after a deletion (by the controller or a user): remove them, as Kubernetes does once they are counted. */
  remove: string[];
  /** Sync again after this long (backoff or deadline), if set. */
  requeueAfterMs?: number;
  events: JobEvent[];
}

export const REASON = {
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  podFailurePolicy: 'PodFailurePolicy',
  maxFailedIndexesExceeded: 'MaxFailedIndexesExceeded',
  failedIndexes: 'FailedIndexes',
  completionsReached: 'CompletionsReached',
  successPolicy: 'SuccessPolicy',
  suspended: 'JobSuspended',
  resumed: 'JobResumed',
} as const;

export const MESSAGE = {
  backoffLimitExceeded: 'Job has reached the specified backoff limit',
  deadlineExceeded: 'Job was active longer than specified deadline',
  maxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
  failedIndexes: 'Job has failed indexes',
  completionsReached: 'Reached expected number of succeeded pods',
} as const;

export function findCondition(status: JobStatus | undefined, type: JobConditionType): JobCondition | undefined {
  return status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function isJobFinished(job: Job): boolean {
  return findCondition(job.status, 'Complete') !== undefined || findCondition(job.status, 'Failed') !== undefined;
}

/** A Job whose spec.managedBy names another controller: jobfleet stores and serves it, never reconciles it. */
export function isManagedExternally(job: Job): boolean {
  const managedBy = job.spec.managedBy;
  return managedBy !== undefined && managedBy !== JOB_CONTROLLER_NAME;
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

/**
 * Whether a pod is replaced only once it has failed (Kubernetes' onlyReplaceFailedPods): always with
 * a podFailurePolicy, and with podReplacementPolicy Failed — jobfleet's default (see defaults.ts).
 */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec.podFailurePolicy !== undefined || (job.spec.podReplacementPolicy ?? 'Failed') === 'Failed';
}

const annotation = (pod: Pod, key: string) => pod.metadata.annotations?.[key];
/** Stopped by the controller without counting (suspend, surplus, the Job's success). */
const stoppedUncounted = (pod: Pod) => annotation(pod, ANNOTATION_STOP_REASON) !== undefined;
const countedEarly = (pod: Pod) => annotation(pod, ANNOTATION_COUNTED) !== undefined;
/** Terminating because its node is silent, not because anyone deleted it: its node may come back. */
const markedLost = (pod: Pod) => annotation(pod, ANNOTATION_NODE_LOST) !== undefined && annotation(pod, ANNOTATION_DELETED) === undefined;

/** A pod annotation holding a count; anything unreadable counts as 0, as in Kubernetes. */
function countAnnotation(pod: Pod, key: string): number {
  const raw = annotation(pod, key);
  if (raw === undefined || !/^\d{1,10}$/.test(raw)) return 0;
  const n = Number(raw);
  return n > 2 ** 31 - 1 ? 0 : n;
}

interface Counts {
  succeeded: number;
  failed: number;
  completed: OrderedIntervals;
  /** Failed indexes, when backoffLimitPerIndex is set. */
  failedIndexes?: OrderedIntervals;
  control: JobControlState;
  counted: string[];
  countedEarly: string[];
  remove: string[];
  /** The message of the first FailJob rule a new failure matched. */
  failJobMessage?: string;
}

/**
 * Counts the pods that finished (and, under TerminatingOrFailed, those being deleted) since the
 * last sync, as Kubernetes' getNewFinishedPods + trackJobStatusAndRemoveFinalizers: successes,
 * failures not ignored by the podFailurePolicy, per-index failures, and the backoff record, which
 * every failure moves (an ignored one too, as in Kubernetes).
 */
function countPods(job: Job, status: JobStatus, control: JobControlState, pods: Pod[], now: number): Counts {
  const indexed = isIndexed(job);
  const completions = job.spec.completions ?? 0;
  const perIndex = indexed && job.spec.backoffLimitPerIndex !== undefined;
  const counts: Counts = {
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
    completed: indexed ? parseIndexes(status.completedIndexes, completions) : [],
    ...(perIndex ? { failedIndexes: parseIndexes(status.failedIndexes, completions) } : {}),
    control,
    counted: [],
    countedEarly: [],
    remove: [],
  };
  const records: Record<string, IndexFailureRecord> = { ...(control.indexes ?? {}) };
  const newFailedIndexes: number[] = [];
  const newSucceededIndexes: number[] = [];
  const succeededAt: number[] = [];
  const failedAt: number[] = [];
  const validIndex = (pod: Pod) => {
    const ix = podIndex(pod);
    return ix !== undefined && Number.isInteger(ix) && ix >= 0 && ix < completions ? ix : undefined;
  };

  const countFailure = (pod: Pod, finishedAt: number) => {
    const match = matchPodFailurePolicy(job.spec.podFailurePolicy, pod);
    if (match.countFailed) counts.failed++;
    failedAt.push(finishedAt);
    counts.failJobMessage ??= match.failJobMessage;
    const ix = perIndex ? validIndex(pod) : undefined;
    if (ix === undefined) return;
    const failures = countAnnotation(pod, INDEX_FAILURE_COUNT_KEY);
    const ignored = countAnnotation(pod, INDEX_IGNORED_FAILURE_COUNT_KEY);
    if (match.action === 'FailIndex' || (match.countFailed && failures >= (job.spec.backoffLimitPerIndex ?? 0))) {
      newFailedIndexes.push(ix);
      return;
    }
    const next = { failed: failures + (match.countFailed ? 1 : 0), ignored: ignored + (match.countFailed ? 0 : 1), at: finishedAt };
    const last = records[ix];
    // Of two failed pods of one index, the replacement continues from the later one (Kubernetes' choice).
    if (!last || (last.failed + last.ignored <= next.failed + next.ignored && next.at >= last.at)) records[ix] = next;
  };

  // Every finished pod has a time (a pod that never started too): without one a failure would be
  // re-created at once, over and over. Only a pod with no readable time at all uses `now`.
  const finished = pods.filter(isPodFinished).map((pod) => ({ pod, finishedAt: podFinishTime(pod) ?? now }));
  for (const { pod, finishedAt } of finished.sort((a, b) => a.finishedAt - b.finishedAt)) {
    const name = pod.metadata.name ?? '';
    counts.counted.push(name);
    if (pod.metadata.deletionTimestamp && !markedLost(pod)) counts.remove.push(name);
    if (countedEarly(pod)) continue;
    if (pod.status.phase === 'Succeeded') {
      succeededAt.push(finishedAt);
      if (!indexed) counts.succeeded++;
      else {
        const ix = validIndex(pod);
        if (ix !== undefined) newSucceededIndexes.push(ix);
      }
    } else if (!stoppedUncounted(pod)) {
      countFailure(pod, finishedAt);
    }
  }
  // Kubernetes counts a deleted pod as failed at once unless only failed pods are replaced.
  if (!onlyReplaceFailedPods(job)) {
    for (const pod of pods) {
      if (isPodFinished(pod) || !pod.metadata.deletionTimestamp || countedEarly(pod) || stoppedUncounted(pod) || markedLost(pod)) continue;
      counts.countedEarly.push(pod.metadata.name ?? '');
      countFailure(pod, podFinishTime(pod) ?? now);
    }
  }
  if (indexed) {
    // Merged once: a sync counts up to 500 pods, and the intervals may be many.
    counts.completed = withIndexes(counts.completed, newSucceededIndexes);
    counts.succeeded = totalIndexes(counts.completed);
  }
  if (counts.failedIndexes) counts.failedIndexes = withIndexes(counts.failedIndexes, newFailedIndexes);
  const { indexes: _records, ...backoff } = nextBackoffRecord(control, succeededAt, failedAt) as JobControlState;
  counts.control = backoff;
  if (perIndex) {
    // Indexes that are done need no replacement any more.
    for (const key of Object.keys(records)) {
      const ix = Number(key);
      if (hasIndex(counts.completed, ix) || hasIndex(counts.failedIndexes ?? [], ix)) delete records[key];
    }
    if (Object.keys(records).length > 0) counts.control.indexes = records;
  }
  return counts;
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

interface Finish {
  reason: string;
  message: string;
}

/**
 * Why the Job must fail now, in Kubernetes' order: a FailJob rule of the podFailurePolicy, the
 * backoff limit, the deadline, then (backoffLimitPerIndex) too many failed indexes, or every index
 * finished with some failed.
 */
function failureReason(job: Job, counts: Counts, activePods: Pod[], startTime: number | undefined, now: number): Finish | undefined {
  if (counts.failJobMessage !== undefined) return { reason: REASON.podFailurePolicy, message: counts.failJobMessage };
  const limit = job.spec.backoffLimit ?? 6;
  const restarts = activePods.reduce((n, p) => n + podRestartCount(p), 0);
  const onFailure = job.spec.template.spec.restartPolicy === 'OnFailure';
  const pastOnFailureLimit = onFailure && (limit === 0 ? restarts > 0 : restarts >= limit);
  if (counts.failed > limit || pastOnFailureLimit) {
    return { reason: REASON.backoffLimitExceeded, message: MESSAGE.backoffLimitExceeded };
  }
  const deadline = job.spec.activeDeadlineSeconds;
  // A suspended Job is never past its deadline; the timer restarts on resume (Kubernetes' pastActiveDeadline).
  if (deadline !== undefined && startTime !== undefined && !job.spec.suspend && now >= startTime + deadline * 1000) {
    return { reason: REASON.deadlineExceeded, message: MESSAGE.deadlineExceeded };
  }
  if (counts.failedIndexes) {
    const failedCount = totalIndexes(counts.failedIndexes);
    const max = job.spec.maxFailedIndexes;
    if (max !== undefined && failedCount > max) return { reason: REASON.maxFailedIndexesExceeded, message: MESSAGE.maxFailedIndexesExceeded };
    if (failedCount > 0 && failedCount + totalIndexes(counts.completed) >= (job.spec.completions ?? 0)) {
      return { reason: REASON.failedIndexes, message: MESSAGE.failedIndexes };
    }
  }
  return undefined;
}

/** Success declared before the pods are all counted: a successPolicy rule, or the completions reached. */
function successReason(job: Job, counts: Counts, active: number): Finish | undefined {
  if (isIndexed(job)) {
    const matched = matchSuccessPolicy(job.spec.successPolicy, job.spec.completions ?? 0, counts.completed);
    if (matched !== undefined) return { reason: REASON.successPolicy, message: matched };
  }
  const reached = isWorkQueue(job) ? counts.succeeded > 0 && active === 0 : counts.succeeded >= (job.spec.completions ?? 0);
  return reached ? { reason: REASON.completionsReached, message: MESSAGE.completionsReached } : undefined;
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
  const emptyDecision = (): SyncDecision => ({
    status,
    control: input.control,
    create: { count: 0 },
    stop: [],
    counted: [],
    countedEarly: [],
    remove: [],
    events,
  });
  // Another controller owns it: nothing is counted, created or written (Kubernetes skips the sync).
  if (isManagedExternally(job)) return emptyDecision();

  const counts = countPods(job, status, input.control, pods, now);
  status.succeeded = counts.succeeded;
  status.failed = counts.failed;
  if (isIndexed(job)) status.completedIndexes = formatIndexes(counts.completed);
  if (counts.failedIndexes) status.failedIndexes = formatIndexes(counts.failedIndexes);
  else delete status.failedIndexes;

  const unfinished = pods.filter((p) => !isPodFinished(p));
  const active = unfinished.filter((p) => !p.metadata.deletionTimestamp);
  const terminating = unfinished.length - active.length;
  const decision: SyncDecision = {
    ...emptyDecision(),
    control: counts.control,
    counted: counts.counted,
    countedEarly: counts.countedEarly,
    remove: counts.remove,
  };

  if (isJobFinished(job)) {
    decision.stop = active.map((p) => ({ name: p.metadata.name ?? '', reason: 'JobFinished', uncounted: false }));
    return finishCounters(decision, 0, active, terminating);
  }

  updateSuspension(job, status, now, events);
  if (!job.spec.suspend && !status.startTime) status.startTime = k8sTime(now);
  const startTime = parseTime(status.startTime);

  // Once SuccessCriteriaMet is set the Job only waits for its pods to end: no failure is evaluated
  // any more (Kubernetes: hasSuccessCriteriaMetCondition is checked before every failure criterion).
  const successMet = findCondition(status, 'SuccessCriteriaMet');
  const failing = findCondition(status, 'FailureTarget');
  const failure = successMet
    ? undefined
    : failing
      ? { reason: failing.reason ?? '', message: failing.message ?? '' }
      : failureReason(job, counts, active, startTime, now);
  if (failure) {
    setCondition(status, 'FailureTarget', failure.reason, failure.message, now);
    decision.stop = active.map((p) => ({ name: p.metadata.name ?? '', reason: failure.reason, uncounted: false }));
    if (active.length === 0 && terminating === 0) {
      setCondition(status, 'Failed', failure.reason, failure.message, now);
      events.push({ type: 'Warning', reason: failure.reason, message: failure.message });
    }
    return finishCounters(decision, 0, [], active.length + terminating);
  }

  const success = successMet ? { reason: successMet.reason ?? '', message: successMet.message ?? '' } : successReason(job, counts, active.length);
  if (success) {
    setCondition(status, 'SuccessCriteriaMet', success.reason, success.message, now);
    // The remaining pods are not needed: they are stopped and not counted as failures.
    decision.stop = active.map((p) => ({ name: p.metadata.name ?? '', reason: 'Completed', uncounted: true }));
    if (active.length === 0 && terminating === 0) {
      setCondition(status, 'Complete', success.reason, success.message, now);
      status.completionTime = k8sTime(now);
      events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    }
    return finishCounters(decision, 0, [], active.length + terminating);
  }

  manageActivePods(input, decision, counts, active, unfinished, startTime);
  return finishCounters(decision, decision.create.count, active, terminating);
}

/**
 * Creates or stops pods to reach the wanted number. Under podReplacementPolicy Failed (jobfleet's
 * default) a terminating pod holds its place: its replacement starts only once it ended, so no
 * instant ever sees more than `parallelism` pods of the Job running. Under TerminatingOrFailed it
 * is replaced at once (it was counted as failed), as in Kubernetes; a pod of a silent node still
 * holds its place then, since its node may come back before the eviction.
 */
function manageActivePods(
  input: SyncInput,
  decision: SyncDecision,
  counts: Counts,
  active: Pod[],
  unfinished: Pod[],
  startTime: number | undefined,
) {
  const { job, now, delays } = input;
  const replaceOnlyFailed = onlyReplaceFailedPods(job);
  const holding = unfinished.filter((p) => !p.metadata.deletionTimestamp || replaceOnlyFailed || markedLost(p));
  const held = holding.length - active.length;
  // Work queue after a success: no new pods, running ones finish (Kubernetes' wantActive = active),
  // unless the Job is suspended, which stops them. The deadline below still applies.
  const leaveRunning = isWorkQueue(job) && counts.succeeded > 0 && !job.spec.suspend;
  const want = leaveRunning ? active.length + held : wantedActive(job, counts.succeeded);
  if (active.length > want) {
    const reason = job.spec.suspend ? 'Suspended' : 'Surplus';
    decision.stop = surplus(active, Math.min(active.length - want, MAX_POD_CHANGES_PER_SYNC)).map((p) => ({
      name: p.metadata.name ?? '',
      reason,
      uncounted: true,
    }));
  } else if (active.length + held < want && !input.finishedLeftOut) {
    const count = Math.min(want - active.length - held, MAX_POD_CHANGES_PER_SYNC);
    if (!isIndexed(job)) {
      const waitMs = backoffRemaining(decision.control, now, delays.podFailureBackoffBaseMs, delays.podFailureBackoffMaxMs);
      if (waitMs > 0) decision.requeueAfterMs = waitMs;
      else decision.create = { count };
    } else {
      planIndexedCreations(job, decision, counts, holding, count, input);
    }
  }
  const deadline = job.spec.activeDeadlineSeconds;
  if (deadline !== undefined && startTime !== undefined && !job.spec.suspend) {
    const untilDeadline = startTime + deadline * 1000 - now;
    decision.requeueAfterMs = Math.min(decision.requeueAfterMs ?? Infinity, Math.max(untilDeadline, 0));
  }
}

/**
 * The lowest pending indexes (neither completed, failed, nor held by a pod). Without
 * backoffLimitPerIndex the Job's backoff applies to all of them; with it each index waits on its
 * own failures, and its replacement carries the index's failure counts as annotations.
 */
function planIndexedCreations(job: Job, decision: SyncDecision, counts: Counts, holding: Pod[], count: number, input: SyncInput) {
  const { now, delays } = input;
  const taken = new Set(holding.map(podIndex).filter((i): i is number => i !== undefined));
  const done = unionIndexes(counts.completed, counts.failedIndexes ?? []);
  const candidates = firstPendingIndexes(done, taken, count, job.spec.completions ?? 0);
  if (!counts.failedIndexes) {
    const waitMs = backoffRemaining(decision.control, now, delays.podFailureBackoffBaseMs, delays.podFailureBackoffMaxMs);
    if (waitMs > 0) decision.requeueAfterMs = waitMs;
    else if (candidates.length > 0) decision.create = { count: candidates.length, indexes: candidates };
    return;
  }
  const records = { ...(decision.control.indexes ?? {}) };
  const ready: number[] = [];
  let wait = Infinity;
  for (const ix of candidates) {
    const record = records[ix];
    const remaining = record
      ? Math.max(0, record.at + exponentialBackoff(record.failed + record.ignored, delays.podFailureBackoffBaseMs, delays.podFailureBackoffMaxMs) - now)
      : 0;
    if (remaining === 0) ready.push(ix);
    else wait = Math.min(wait, remaining);
  }
  if (Number.isFinite(wait)) decision.requeueAfterMs = wait;
  if (ready.length === 0) return;
  const annotations = ready.map((ix) => {
    const record = records[ix];
    delete records[ix];
    return {
      [INDEX_FAILURE_COUNT_KEY]: String(record?.failed ?? 0),
      ...(record && record.ignored > 0 ? { [INDEX_IGNORED_FAILURE_COUNT_KEY]: String(record.ignored) } : {}),
    };
  });
  const { indexes: _old, ...rest } = decision.control;
  decision.control = Object.keys(records).length > 0 ? { ...rest, indexes: records } : rest;
  decision.create = { count: ready.length, indexes: ready, annotations };
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

/**
 * active, ready and terminating, always reported (0 too) as Kubernetes 1.33 does (ready since
 * 1.29; terminating with JobPodReplacementPolicy, on by default).
 */
function finishCounters(decision: SyncDecision, created: number, active: Pod[], terminatingOrStopping: number): SyncDecision {
  const stopped = new Set(decision.stop.map((s) => s.name));
  const stillActive = active.filter((p) => !stopped.has(p.metadata.name ?? ''));
  decision.status.active = stillActive.length + created;
  decision.status.ready = stillActive.filter(isPodReady).length;
  decision.status.terminating = terminatingOrStopping + (active.length - stillActive.length);
  return decision;
}
