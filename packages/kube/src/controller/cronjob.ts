/**
 * The CronJob controller's pure decision, ported from Kubernetes' pkg/controller/cronjob
 * (cronjob_controllerv2.go: syncCronJob, cleanupFinishedJobs, removeOldestJobs; utils.go:
 * mostRecentScheduleTime, nextScheduleTime, nextScheduleTimeDuration, getJobFromTemplate2, …).
 * No I/O: the CronJob, the Jobs it controls and the clock (ms) come in; what to delete, what to
 * create, the status and events to write and when to sync next come out. Kubernetes interleaves
 * API calls with the decision; here the caller runs the deletions, then one atomic write of the
 * created Job with the status (see afterCreate for a Job that turned out to exist already).
 */
import { isValidTimeZone, parseCronSchedule, type CronSchedule } from '../cron-schedule.js';
import type { CronJob, CronJobStatus, Job, ObjectReference, OwnerReference } from '../types.js';
import type { JobEvent } from './sync.js';
import { k8sTime, parseTime } from './time.js';

/** batchv1.CronJobScheduledTimestampAnnotation: the schedule time of a Job, RFC 3339 in the CronJob's time zone. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Padding of the next sync past a schedule time, against clock skew (Kubernetes' nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed schedule times than this: a TooManyMissedTimes warning (the latest one is still scheduled). */
export const MAX_MISSED_SCHEDULES = 100;

export type CronJobEvent = JobEvent;
export type MissedSchedules = 'none' | 'few' | 'many';

// ---- utils.go ----

export function inActiveList(cj: CronJob, uid: string | undefined): boolean {
  return (cj.status?.active ?? []).some((r) => r.uid === uid);
}

export function inActiveListByName(cj: CronJob, name: string, ns: string | undefined): boolean {
  return (cj.status?.active ?? []).some((r) => r.name === name && (r.namespace ?? '') === (ns ?? ''));
}

function withoutActive(status: CronJobStatus, uid: string | undefined): CronJobStatus {
  return { ...status, active: (status.active ?? []).filter((r) => r.uid !== uid) };
}

/** The controller reference of a Job (metav1.GetControllerOf). */
export function controllerOf(job: { metadata: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return job.metadata.ownerReferences?.find((o) => o.controller === true);
}

/** Whether the Job's controller is this CronJob (metav1.IsControlledBy: by uid). */
export function isControlledBy(job: Job, cj: CronJob): boolean {
  const ref = controllerOf(job);
  return ref !== undefined && ref.uid === cj.metadata.uid;
}

/** 'Complete' or 'Failed' once the Job has finished (jobutil.FinishedCondition), else undefined. */
export function jobFinishedCondition(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** Minutes since the epoch of the schedule time: the suffix of the Job's name (getTimeHashInMinutes). */
export function getTimeHashInMinutes(scheduledTime: number): number {
  return Math.floor(scheduledTime / 60_000);
}

/** `<cronjob>-<minutes since epoch>`: one name per schedule time, so a second creation is AlreadyExists. */
export function cronJobJobName(cj: CronJob, scheduledTime: number): string {
  return `${cj.metadata.name ?? ''}-${getTimeHashInMinutes(scheduledTime)}`;
}

/** The CronJob's controller reference on the Jobs it creates (metav1.NewControllerRef). */
export function cronJobControllerRef(cj: CronJob): OwnerReference {
  return { apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name ?? '', uid: cj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/**
 * The Job for one schedule time (getJobFromTemplate2): the template's labels and annotations,
 * the scheduled-timestamp annotation in the CronJob's time zone, the controller reference, a copy
 * of the template's spec. The API server's part (uid, selector, …) is added when it is stored.
 */
export function getJobFromTemplate2(cj: CronJob, scheduledTime: number): Job {
  const template = cj.spec.jobTemplate;
  const annotations = {
    ...(template.metadata?.annotations ?? {}),
    [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatRFC3339InZone(scheduledTime, cj.spec.timeZone),
  };
  const labels = { ...(template.metadata?.labels ?? {}) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: cronJobJobName(cj, scheduledTime),
      namespace: cj.metadata.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      annotations,
      ownerReferences: [cronJobControllerRef(cj)],
    },
    spec: structuredClone(template.spec),
  };
}

/** An ObjectReference to a Job, as status.active holds it (ref.GetReference). */
export function jobReference(job: Job): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    apiVersion: 'batch/v1',
    ...(job.metadata.resourceVersion ? { resourceVersion: job.metadata.resourceVersion } : {}),
  };
}

/** Go's time.Format(time.RFC3339) of the instant in an IANA zone ("Z" at a zero offset); UTC when none. */
export function formatRFC3339InZone(ms: number, timeZone: string | undefined): string {
  const seconds = Math.floor(ms / 1000) * 1000;
  if (!timeZone || timeZone === 'UTC') return k8sTime(seconds);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(seconds));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offsetMin = Math.round((local - seconds) / 60_000);
  const iso = new Date(local).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${iso}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${iso}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The time of a Kubernetes timestamp field in ms (undefined when absent or unreadable). */
function timeOf(text: string | undefined): number | undefined {
  return parseTime(text);
}

/**
 * mostRecentScheduleTime: from the last schedule time (or the creation time), the most recent
 * schedule time at or before now, and how many were missed. Bounded: past the first two schedule
 * times it estimates the count from their interval and walks only the last stretch, as Kubernetes
 * does, so a CronJob years behind costs no more than one a minute behind.
 */
export function mostRecentScheduleTime(
  cj: CronJob,
  now: number,
  schedule: CronSchedule,
  includeStartingDeadlineSeconds: boolean,
): { earliest: number; mostRecent?: number; missed: MissedSchedules; error?: string } {
  let earliest = timeOf(cj.metadata.creationTimestamp) ?? 0;
  const last = timeOf(cj.status?.lastScheduleTime);
  if (last !== undefined) earliest = last;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (includeStartingDeadlineSeconds && deadline !== undefined) {
    const schedulingDeadline = now - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined || now < t1) return { earliest, missed: 'none' };
  const t2 = schedule.next(t1);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  // Bounded even for irregular schedules: at most a few intervals past the estimate.
  for (let t = schedule.next(potentialEarliest), steps = 0; t !== undefined && t <= now && steps < 10_000; t = schedule.next(t), steps++) mostRecent = t;
  const missed: MissedSchedules = missedCount > MAX_MISSED_SCHEDULES ? 'many' : missedCount > 0 ? 'few' : 'none';
  return mostRecent === undefined ? { earliest, missed } : { earliest, mostRecent, missed };
}

/** nextScheduleTimeDuration: ms until the next schedule time after the most recent one, plus the 100 ms padding. */
export function nextScheduleTimeDuration(cj: CronJob, now: number, schedule: CronSchedule): number | undefined {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  const next = schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/**
 * nextScheduleTime: the schedule time to run now (undefined: none is due), with the
 * TooManyMissedTimes warning when more than 100 were missed (the latest one still runs).
 */
export function nextScheduleTime(cj: CronJob, now: number, schedule: CronSchedule): { time?: number; error?: string; events: CronJobEvent[] } {
  const r = mostRecentScheduleTime(cj, now, schedule, true);
  if (r.mostRecent === undefined || r.mostRecent > now) return { ...(r.error ? { error: r.error } : {}), events: [] };
  const events: CronJobEvent[] =
    r.missed === 'many'
      ? [{ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' }]
      : [];
  return { time: r.mostRecent, ...(r.error ? { error: r.error } : {}), events };
}

/**
 * The schedule as the controller reads it (formatSchedule + cron.ParseStandard): a `TZ=`/`CRON_TZ=`
 * prefix (refused for new CronJobs by validation, kept for old ones) wins over spec.timeZone, with
 * an UnsupportedSchedule warning. A schedule or zone that cannot be read: an error message.
 */
export function cronJobSchedule(cj: CronJob): { schedule?: CronSchedule; error?: string; events: CronJobEvent[] } {
  const events: CronJobEvent[] = [];
  const spec = cj.spec.schedule;
  // parseCronSchedule lets a robfig-style prefix win over the zone, as formatSchedule does.
  const zone = cj.spec.timeZone;
  if (spec.includes('TZ')) {
    events.push({
      type: 'Warning',
      reason: 'UnsupportedSchedule',
      message: `CRON_TZ or TZ used in schedule ${goQuote(spec)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
    });
  }
  try {
    return { schedule: parseCronSchedule(spec, zone), events };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), events };
  }
}

/** byJobStartTime: Jobs with a start time first, oldest first, then by name. */
export function byJobStartTime(a: Job, b: Job): number {
  const sa = timeOf(a.status?.startTime);
  const sb = timeOf(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
  return (sa ?? 0) - (sb ?? 0);
}

/** Go's %q of a plain string. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's time.RFC1123Z of an instant, in UTC (the MissSchedule message). */
export function formatRFC1123Z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

// ---- the sync ----

export interface CronJobSyncInput {
  cronJob: CronJob;
  /** The Jobs the CronJob controls (controller reference with its uid). */
  jobs: Job[];
  /** The clock, ms. */
  now: number;
}

export interface JobToDelete {
  name: string;
  uid: string;
  /** Why: a history limit, or concurrencyPolicy Replace. */
  reason: 'history' | 'replace';
}

export interface CronJobSyncDecision {
  /** Jobs to delete first (SuccessfulDelete events for them are in `events`). */
  deletes: JobToDelete[];
  /** The Job to create for this schedule time (then: afterCreate). */
  create?: { job: Job; scheduledTime: number };
  /** The status without the creation. */
  status: CronJobStatus;
  /** Whether `status` differs from the stored one (a creation always writes it). */
  updateStatus: boolean;
  /** Events in order, the creation's excepted. */
  events: CronJobEvent[];
  /** When to sync next (ms from now); undefined: only when something changes (suspended, invalid schedule, …). */
  requeueAfterMs?: number;
}

/**
 * One sync of a CronJob (Kubernetes' sync: cleanupFinishedJobs, then syncCronJob). The Jobs read
 * are the authoritative list (a Job of status.active that is not among them is gone), so the
 * re-reads Kubernetes makes against its informer's lag are not needed.
 */
export function syncCronJob(input: CronJobSyncInput): CronJobSyncDecision {
  const { now } = input;
  const cj = input.cronJob;
  let status: CronJobStatus = structuredClone(cj.status ?? {});
  let updateStatus = false;
  const events: CronJobEvent[] = [];
  const deletes: JobToDelete[] = [];
  const jobs = input.jobs.filter((j) => isControlledBy(j, cj));
  const current = (): CronJob => ({ ...cj, status });

  // cleanupFinishedJobs: the oldest finished Jobs past the history limits.
  const history = (kind: 'Complete' | 'Failed', limit: number | undefined) => {
    if (limit === undefined) return;
    const finished = jobs.filter((j) => jobFinishedCondition(j) === kind).sort(byJobStartTime);
    for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
      deletes.push({ name: job.metadata.name ?? '', uid: job.metadata.uid ?? '', reason: 'history' });
      status = withoutActive(status, job.metadata.uid);
      events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${job.metadata.name}` });
      updateStatus = true;
    }
  };
  history('Complete', cj.spec.successfulJobsHistoryLimit);
  history('Failed', cj.spec.failedJobsHistoryLimit);

  // syncCronJob: the active list against the Jobs that exist.
  const children = new Set<string>();
  for (const j of jobs) {
    const uid = j.metadata.uid ?? '';
    children.add(uid);
    const found = inActiveList(current(), uid);
    const finished = jobFinishedCondition(j);
    if (!found && !finished) {
      // Ours but not in status.active: created by a sync whose status write was lost, or by hand
      // (kubectl create job --from). Kubernetes reports it; a creation for the same time adopts it.
      events.push({ type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${j.metadata.name}` });
    } else if (finished) {
      if (found) {
        status = withoutActive(status, uid);
        events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata.name}, condition: ${finished}` });
        updateStatus = true;
      }
      if (finished === 'Complete') {
        const completion = timeOf(j.status?.completionTime);
        const lastSuccess = timeOf(status.lastSuccessfulTime);
        if (completion !== undefined && (lastSuccess === undefined || completion > lastSuccess)) {
          status.lastSuccessfulTime = j.status?.completionTime;
          updateStatus = true;
        }
      }
    }
  }
  // An active Job that no longer exists (deleted by hand, by its TTL): forgotten.
  for (const ref of status.active ?? []) {
    if (children.has(ref.uid ?? '')) continue;
    events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${ref.name}` });
    status = withoutActive(status, ref.uid);
    updateStatus = true;
  }

  const done = (requeueAfterMs?: number): CronJobSyncDecision => ({
    deletes,
    status,
    updateStatus,
    events,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  });

  if (cj.metadata.deletionTimestamp) return done();

  const tz = cj.spec.timeZone;
  if (tz !== undefined && tz !== '' && !isValidTimeZone(tz)) {
    events.push({ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: ${goQuote(tz)}: unknown time zone ${tz}` });
    return done();
  }
  if (cj.spec.suspend) return done();

  const parsed = cronJobSchedule(current());
  events.push(...parsed.events);
  const sched = parsed.schedule;
  if (!sched) {
    events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${goQuote(cj.spec.schedule)} : ${parsed.error ?? ''}` });
    return done();
  }
  const next = nextScheduleTime(current(), now, sched);
  events.push(...next.events);
  if (next.error) {
    events.push({ type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${cj.spec.schedule} : ${next.error}` });
    return done();
  }
  const requeue = () => nextScheduleTimeDuration(current(), now, sched);
  const scheduledTime = next.time;
  if (scheduledTime === undefined) return done(requeue());

  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && scheduledTime + deadline * 1000 < now) {
    events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${formatRFC1123Z(scheduledTime)}` });
    return done(requeue());
  }
  if (inActiveListByName(current(), cronJobJobName(cj, scheduledTime), cj.metadata.namespace) || timeOf(status.lastScheduleTime) === Math.floor(scheduledTime / 1000) * 1000) {
    return done(requeue());
  }
  if (cj.spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return done(requeue());
  }
  if (cj.spec.concurrencyPolicy === 'Replace') {
    for (const ref of status.active ?? []) {
      deletes.push({ name: ref.name ?? '', uid: ref.uid ?? '', reason: 'replace' });
      events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${ref.name}` });
      updateStatus = true;
    }
    status = { ...status, active: [] };
  }
  const job = getJobFromTemplate2(cj, scheduledTime);
  const withCreated: CronJob = { ...cj, status: { ...status, lastScheduleTime: k8sTime(scheduledTime) } };
  return { ...done(nextScheduleTimeDuration(withCreated, now, sched)), create: { job, scheduledTime } };
}

/**
 * The rest of a sync that creates a Job. `created`: the Job as stored (uid set) when the creation
 * succeeded; with `existing`, the creation met a Job of that name (AlreadyExists): if it is this
 * CronJob's and not in status.active, it is adopted (a sync that created it died before writing the
 * status); anyone else's, or one already listed, changes nothing (Kubernetes' AlreadyExists path).
 */
export function afterCreate(
  decision: CronJobSyncDecision,
  cj: CronJob,
  outcome: { created: Job } | { existing: Job },
): { status: CronJobStatus; updateStatus: boolean; events: CronJobEvent[] } {
  const create = decision.create;
  if (!create) return decision;
  const job = 'created' in outcome ? outcome.created : outcome.existing;
  if ('existing' in outcome) {
    if (!isControlledBy(job, cj)) return decision;
    if (inActiveList({ ...cj, status: decision.status }, job.metadata.uid)) return decision;
  }
  const events = 'created' in outcome ? [...decision.events, { type: 'Normal' as const, reason: 'SuccessfulCreate', message: `Created job ${job.metadata.name}` }] : decision.events;
  const status: CronJobStatus = {
    ...decision.status,
    active: [...(decision.status.active ?? []), jobReference(job)],
    lastScheduleTime: k8sTime(create.scheduledTime),
  };
  return { status, updateStatus: true, events };
}
