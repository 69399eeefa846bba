/**
 * Table tests of the CronJob controller's pure decision, after Kubernetes'
 * cronjob_controllerv2_test.go (TestControllerV2SyncCronJob: its cases and harness, ported) and
 * utils_test.go (mostRecentScheduleTime, nextScheduleTimeDuration, getJobFromTemplate2,
 * byJobStartTime), plus the parts jobfleet adds (the AlreadyExists adoption, history limits).
 */
import { describe, expect, it } from 'vitest';
import { parseCronSchedule } from '../cron-schedule.js';
import type { ConcurrencyPolicy, CronJob, Job } from '../types.js';
import {
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  NEXT_SCHEDULE_DELTA_MS,
  afterCreate,
  byJobStartTime,
  cronJobJobName,
  formatRFC3339InZone,
  getJobFromTemplate2,
  jobReference,
  mostRecentScheduleTime,
  nextScheduleTimeDuration,
  syncCronJob,
} from './cronjob.js';
import { k8sTime } from './time.js';

const t = (iso: string) => Date.parse(iso);
const justBeforeTheHour = t('2016-05-19T09:59:00Z');
const justAfterTheHour = t('2016-05-19T10:01:00Z');
const justAfterThePriorHour = t('2016-05-19T09:01:00Z');
const justBeforeThePriorHour = t('2016-05-19T08:59:00Z');
const weekAfterTheHour = t('2016-05-26T10:00:00Z');
const topOfTheHour = t('2016-05-19T10:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

const shortDead = 10;
const mediumDead = 2 * 60 * 60;
const longDead = 1_000_000;
const onTheHour = '0 * * * ?';
const errorSchedule = 'obvious error schedule';

function cronJob(over: Partial<CronJob['spec']> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'mycronjob', namespace: 'snazzycats', uid: '1a2b3c', creationTimestamp: k8sTime(justBeforeTheHour) },
    spec: {
      schedule: '* * * * ?',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { a: 'b' }, annotations: { x: 'y' } },
        spec: { parallelism: 1, completions: 1, template: { metadata: { labels: { foo: 'bar' } }, spec: { containers: [{ name: 'c', image: 'foo/bar' }] } } },
      } as CronJob['spec']['jobTemplate'],
      ...over,
    },
    status: {},
  };
}

interface SyncCase {
  policy: ConcurrencyPolicy;
  suspend?: boolean;
  schedule: string;
  timeZone?: string;
  deadline?: number;
  ranPreviously?: boolean;
  stillActive?: boolean;
  jobCreationTime?: number;
  now: number;
  expectCreate?: boolean;
  expectDelete?: boolean;
  expectActive?: number;
  expectedWarnings?: number;
  expectRequeueAfter?: number;
  expectUpdateStatus?: boolean;
  /** Events besides creates, deletes and warnings (JobAlreadyActive). */
  extraEvents?: number;
}

const A: ConcurrencyPolicy = 'Allow';
const F: ConcurrencyPolicy = 'Forbid';
const R: ConcurrencyPolicy = 'Replace';
const d = NEXT_SCHEDULE_DELTA_MS;

// TestControllerV2SyncCronJob's table (jobCreationTime justAfterThePriorHour throughout).
const cases: Record<string, SyncCase> = {
  'never ran, not valid schedule, A': { policy: A, schedule: errorSchedule, now: justBeforeTheHour, expectedWarnings: 1 },
  'never ran, not valid schedule, F': { policy: F, schedule: errorSchedule, now: justBeforeTheHour, expectedWarnings: 1 },
  'never ran, not valid time zone': { policy: A, schedule: onTheHour, timeZone: 'bad timezone', now: justBeforeTheHour, expectedWarnings: 1 },
  'never ran, not time, A': { policy: A, schedule: onTheHour, now: justBeforeTheHour, expectRequeueAfter: MIN + d },
  'never ran, not time, F': { policy: F, schedule: onTheHour, now: justBeforeTheHour, expectRequeueAfter: MIN + d },
  'never ran, not time, R': { policy: R, schedule: onTheHour, now: justBeforeTheHour, expectRequeueAfter: MIN + d },
  'never ran, not time in zone': { policy: A, schedule: onTheHour, timeZone: 'America/New_York', now: justBeforeTheHour, expectRequeueAfter: MIN + d },
  'never ran, is time, A': { policy: A, schedule: onTheHour, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'never ran, is time, F': { policy: F, schedule: onTheHour, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'never ran, is time, R': { policy: R, schedule: onTheHour, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'never ran, is time in zone': { policy: A, schedule: onTheHour, timeZone: 'America/New_York', now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'never ran, is time in zone, but TZ is also set in schedule': {
    policy: A,
    schedule: `TZ=UTC ${onTheHour}`,
    timeZone: 'America/New_York',
    now: justAfterTheHour,
    expectCreate: true,
    expectActive: 1,
    expectedWarnings: 1,
    expectRequeueAfter: HOUR - MIN + d,
    expectUpdateStatus: true,
  },
  'never ran, is time, suspended': { policy: A, suspend: true, schedule: onTheHour, now: justAfterTheHour },
  'never ran, is time, past deadline': { policy: A, schedule: onTheHour, deadline: shortDead, now: justAfterTheHour + (shortDead + 1) * MIN, expectRequeueAfter: HOUR - MIN - (shortDead + 1) * MIN + d },
  'never ran, is time, not past deadline': { policy: A, schedule: onTheHour, deadline: longDead, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },

  'prev ran but done, not time, A': { policy: A, schedule: onTheHour, ranPreviously: true, now: justBeforeTheHour, expectRequeueAfter: MIN + d, expectUpdateStatus: true },
  'prev ran but done, not time, F': { policy: F, schedule: onTheHour, ranPreviously: true, now: justBeforeTheHour, expectRequeueAfter: MIN + d, expectUpdateStatus: true },
  'prev ran but done, not time, R': { policy: R, schedule: onTheHour, ranPreviously: true, now: justBeforeTheHour, expectRequeueAfter: MIN + d, expectUpdateStatus: true },
  'prev ran but done, is time, A': { policy: A, schedule: onTheHour, ranPreviously: true, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'prev ran but done, is time, F': { policy: F, schedule: onTheHour, ranPreviously: true, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'prev ran but done, is time, R': { policy: R, schedule: onTheHour, ranPreviously: true, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'prev ran but done, is time, suspended': { policy: A, suspend: true, schedule: onTheHour, ranPreviously: true, now: justAfterTheHour, expectUpdateStatus: true },
  'prev ran but done, is time, past deadline': { policy: A, schedule: onTheHour, deadline: shortDead, ranPreviously: true, now: justAfterTheHour, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'prev ran but done, is time, not past deadline': { policy: A, schedule: onTheHour, deadline: longDead, ranPreviously: true, now: justAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },

  'still active, not time, A': { policy: A, schedule: onTheHour, ranPreviously: true, stillActive: true, now: justBeforeTheHour, expectActive: 1, expectRequeueAfter: MIN + d },
  'still active, not time, F': { policy: F, schedule: onTheHour, ranPreviously: true, stillActive: true, now: justBeforeTheHour, expectActive: 1, expectRequeueAfter: MIN + d },
  'still active, not time, R': { policy: R, schedule: onTheHour, ranPreviously: true, stillActive: true, now: justBeforeTheHour, expectActive: 1, expectRequeueAfter: MIN + d },
  'still active, is time, A': { policy: A, schedule: onTheHour, ranPreviously: true, stillActive: true, now: justAfterTheHour, expectCreate: true, expectActive: 2, expectRequeueAfter: HOUR - MIN + d, expectUpdateStatus: true },
  'still active, is time, F': { policy: F, schedule: onTheHour, ranPreviously: true, stillActive: true, now: justAfterTheHour, expectActive: 1, expectRequeueAfter: HOUR - MIN + d, extraEvents: 1 },
  'still active, is time, R': {
    policy: R,
    schedule: onTheHour,
    ranPreviously: true,
    stillActive: true,
    now: justAfterTheHour,
    expectCreate: true,
    expectDelete: true,
    expectActive: 1,
    expectRequeueAfter: HOUR - MIN + d,
    expectUpdateStatus: true,
  },
  'still active, is time, suspended': { policy: A, suspend: true, schedule: onTheHour, ranPreviously: true, stillActive: true, now: justAfterTheHour, expectActive: 1 },
  'still active, is time, past deadline': { policy: A, schedule: onTheHour, deadline: shortDead, ranPreviously: true, stillActive: true, now: justAfterTheHour, expectActive: 1, expectRequeueAfter: HOUR - MIN + d },
  'still active, is time, not past deadline': {
    policy: A,
    schedule: onTheHour,
    deadline: longDead,
    ranPreviously: true,
    stillActive: true,
    now: justAfterTheHour,
    expectCreate: true,
    expectActive: 2,
    expectRequeueAfter: HOUR - MIN + d,
    expectUpdateStatus: true,
  },

  // Too many missed start times with no deadline or a too long one: a warning, and the latest one runs.
  'prev ran but done, long overdue, not past deadline, A': { policy: A, schedule: onTheHour, deadline: longDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectedWarnings: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, not past deadline, R': { policy: R, schedule: onTheHour, deadline: longDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectedWarnings: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, not past deadline, F': { policy: F, schedule: onTheHour, deadline: longDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectedWarnings: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, no deadline, A': { policy: A, schedule: onTheHour, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectedWarnings: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, no deadline, R': { policy: R, schedule: onTheHour, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectedWarnings: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, no deadline, F': { policy: F, schedule: onTheHour, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectedWarnings: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, past medium deadline, A': { policy: A, schedule: onTheHour, deadline: mediumDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, past short deadline, A': { policy: A, schedule: onTheHour, deadline: shortDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, past medium deadline, R': { policy: R, schedule: onTheHour, deadline: mediumDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },
  'prev ran but done, long overdue, past short deadline, F': { policy: F, schedule: onTheHour, deadline: shortDead, ranPreviously: true, now: weekAfterTheHour, expectCreate: true, expectActive: 1, expectRequeueAfter: HOUR + d, expectUpdateStatus: true },

  // Time skew: the clock went back before the last schedule time; nothing to do.
  'this ran but done, time drifted back, F': { policy: F, schedule: onTheHour, ranPreviously: true, jobCreationTime: justAfterTheHour, now: justBeforeTheHour, expectRequeueAfter: MIN + d, expectUpdateStatus: true },
};

/** The harness of TestControllerV2SyncCronJob. */
function setUp(tc: SyncCase): { cj: CronJob; jobs: Job[] } {
  const cj = cronJob({ concurrencyPolicy: tc.policy, suspend: tc.suspend ?? false, schedule: tc.schedule, timeZone: tc.timeZone, ...(tc.deadline !== undefined ? { startingDeadlineSeconds: tc.deadline } : {}) });
  const jobs: Job[] = [];
  if (tc.ranPreviously) {
    cj.metadata.creationTimestamp = k8sTime(justBeforeThePriorHour);
    cj.status = { lastScheduleTime: k8sTime(justAfterThePriorHour) };
    const created = tc.jobCreationTime ?? justAfterThePriorHour;
    const job = getJobFromTemplate2(cj, created);
    job.metadata.uid = '1234';
    job.metadata.creationTimestamp = k8sTime(created);
    if (tc.stillActive) {
      cj.status.active = [jobReference(job)];
    } else {
      job.status = { completionTime: k8sTime(created + 10_000), conditions: [{ type: 'Complete', status: 'True' }] } as Job['status'];
    }
    jobs.push(job);
  }
  return { cj, jobs };
}

describe('syncCronJob (TestControllerV2SyncCronJob)', () => {
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => {
      const { cj, jobs } = setUp(tc);
      const before = structuredClone(cj);
      const decision = syncCronJob({ cronJob: cj, jobs, now: tc.now });
      expect(cj, 'the input is not changed').toStrictEqual(before);
      expect(decision.create !== undefined, 'creates').toBe(tc.expectCreate ?? false);
      expect(decision.deletes.length, 'deletes').toBe(tc.expectDelete ? 1 : 0);
      const created = decision.create ? { ...decision.create.job, metadata: { ...decision.create.job.metadata, uid: 'new-uid' } } : undefined;
      const result = created ? afterCreate(decision, cj, { created }) : decision;
      expect(result.updateStatus, 'updateStatus').toBe(tc.expectUpdateStatus ?? false);
      expect(decision.requeueAfterMs, 'requeueAfter').toBe(tc.expectRequeueAfter);
      const warnings = result.events.filter((e) => e.type === 'Warning');
      expect(warnings.length, `warnings ${JSON.stringify(result.events)}`).toBe(tc.expectedWarnings ?? 0);
      const expectedEvents = (tc.expectCreate ? 1 : 0) + (tc.expectDelete ? 1 : 0) + (tc.expectedWarnings ?? 0) + (tc.extraEvents ?? 0);
      expect(result.events.length, `events ${JSON.stringify(result.events)}`).toBe(expectedEvents);
      expect((result.status.active ?? []).length, 'active').toBe(tc.expectActive ?? 0);
      if (tc.ranPreviously && !tc.stillActive) expect(result.status.lastSuccessfulTime).toBe(k8sTime((tc.jobCreationTime ?? justAfterThePriorHour) + 10_000));
      if (created) {
        const ref = created.metadata.ownerReferences?.[0];
        expect(ref).toStrictEqual({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'mycronjob', uid: '1a2b3c', controller: true, blockOwnerDeletion: true });
        expect(result.status.lastScheduleTime).toBe(k8sTime(decision.create?.scheduledTime ?? 0));
      }
    });
  }

  it('names what it reports as Kubernetes does', () => {
    const bad = syncCronJob({ cronJob: cronJob({ schedule: errorSchedule }), jobs: [], now: justAfterTheHour });
    expect(bad.events[0]).toMatchObject({ type: 'Warning', reason: 'UnparseableSchedule' });
    expect(bad.events[0]?.message).toMatch(/^unparseable schedule: "obvious error schedule" : /);
    const zone = syncCronJob({ cronJob: cronJob({ timeZone: 'bad timezone' }), jobs: [], now: justAfterTheHour });
    expect(zone.events).toStrictEqual([{ type: 'Warning', reason: 'UnknownTimeZone', message: 'invalid timeZone: "bad timezone": unknown time zone bad timezone' }]);
    const missed = syncCronJob({ cronJob: cronJob({ schedule: onTheHour, startingDeadlineSeconds: shortDead }), jobs: [], now: justAfterTheHour + 11 * MIN });
    expect(missed.events).toStrictEqual([]);
    const cj = cronJob({ schedule: onTheHour, startingDeadlineSeconds: 30 });
    const late = syncCronJob({ cronJob: cj, jobs: [], now: topOfTheHour + 29_000 });
    expect(late.create?.scheduledTime).toBe(topOfTheHour);
    const forbid = setUp(cases['still active, is time, F'] as SyncCase);
    expect(syncCronJob({ cronJob: forbid.cj, jobs: forbid.jobs, now: justAfterTheHour }).events).toStrictEqual([
      { type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' },
    ]);
    const many = setUp(cases['prev ran but done, long overdue, no deadline, A'] as SyncCase);
    expect(syncCronJob({ cronJob: many.cj, jobs: many.jobs, now: weekAfterTheHour }).events).toContainEqual({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  });

  it('runs the latest of many missed times once, and not again on the next sync', () => {
    const { cj, jobs } = setUp(cases['prev ran but done, long overdue, no deadline, A'] as SyncCase);
    const first = syncCronJob({ cronJob: cj, jobs, now: weekAfterTheHour + 5 * MIN });
    expect(first.create?.scheduledTime).toBe(weekAfterTheHour);
    expect(first.create?.job.metadata.name).toBe(`mycronjob-${Math.floor(weekAfterTheHour / MIN)}`);
    const created = { ...(first.create?.job as Job), metadata: { ...first.create?.job.metadata, uid: 'u2' } };
    const after = afterCreate(first, cj, { created });
    const second = syncCronJob({ cronJob: { ...cj, status: after.status }, jobs: [...jobs, created], now: weekAfterTheHour + 6 * MIN });
    expect(second.create).toBeUndefined();
    expect(second.events).toStrictEqual([]);
    expect(second.requeueAfterMs).toBe(HOUR - 6 * MIN + d);
  });
});

describe('the Job of a schedule time that exists already (AlreadyExists)', () => {
  const cj = cronJob({ schedule: onTheHour });
  const decision = syncCronJob({ cronJob: cj, jobs: [], now: justAfterTheHour });
  const job = { ...(decision.create?.job as Job), metadata: { ...decision.create?.job.metadata, uid: 'made-by-a-sync-that-died' } };

  it('adopts it when it is ours and not in status.active (no second SuccessfulCreate)', () => {
    const r = afterCreate(decision, cj, { existing: job });
    expect(r.updateStatus).toBe(true);
    expect(r.status.active).toStrictEqual([jobReference(job)]);
    expect(r.status.lastScheduleTime).toBe(k8sTime(topOfTheHour));
    expect(r.events.map((e) => e.reason)).not.toContain('SuccessfulCreate');
  });

  it('leaves a Job of that name that another owner controls alone', () => {
    const foreign = { ...job, metadata: { ...job.metadata, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'mycronjob', uid: 'another', controller: true }] } };
    const r = afterCreate(decision, cj, { existing: foreign });
    expect(r.status.active ?? []).toStrictEqual([]);
    expect(r.status.lastScheduleTime).toBeUndefined();
  });

  it('a later sync sees the adopted Job as active and creates nothing', () => {
    const r = afterCreate(decision, cj, { existing: job });
    const next = syncCronJob({ cronJob: { ...cj, status: r.status }, jobs: [job], now: justAfterTheHour + 1_000 });
    expect(next.create).toBeUndefined();
    expect(next.events).toStrictEqual([]);
  });

  it('reports a Job of ours missing from status.active as UnexpectedJob', () => {
    const next = syncCronJob({ cronJob: cj, jobs: [job], now: justBeforeTheHour });
    expect(next.events).toStrictEqual([{ type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${job.metadata.name}` }]);
  });
});

describe('status.active and the history limits (cleanupFinishedJobs, removeOldestJobs)', () => {
  const cj = cronJob({ schedule: onTheHour, successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
  const job = (n: number, kind: 'Complete' | 'Failed' | undefined, startMin?: number): Job => {
    const j = getJobFromTemplate2(cj, justBeforeThePriorHour - n * HOUR);
    j.metadata.uid = `u${n}`;
    j.status = {
      ...(startMin !== undefined ? { startTime: k8sTime(justBeforeThePriorHour + startMin * MIN) } : {}),
      ...(kind ? { conditions: [{ type: kind, status: 'True' }], ...(kind === 'Complete' ? { completionTime: k8sTime(justBeforeThePriorHour + (startMin ?? 0) * MIN + 1000) } : {}) } : {}),
    } as Job['status'];
    return j;
  };

  it('deletes the oldest finished Jobs past each limit, by start time then name, and forgets them', () => {
    const jobs = [job(1, 'Complete', 3), job(2, 'Complete', 1), job(3, 'Complete', 2), job(4, 'Failed', 5), job(5, 'Failed', 4), job(6, 'Complete'), job(7, undefined, 0)];
    const withActive = { ...cj, status: { active: jobs.map(jobReference) } };
    const r = syncCronJob({ cronJob: withActive, jobs, now: justBeforeTheHour });
    // successful: u6 (no start time) sorts last; oldest by start: u2 (1), u3 (2) → 2 of 4 go. failed: u5 (4) goes.
    expect(r.deletes).toStrictEqual([
      { name: jobs[1]?.metadata.name, uid: 'u2', reason: 'history' },
      { name: jobs[2]?.metadata.name, uid: 'u3', reason: 'history' },
      { name: jobs[4]?.metadata.name, uid: 'u5', reason: 'history' },
    ]);
    expect(r.events.filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message)).toStrictEqual(r.deletes.map((x) => `Deleted job ${x.name}`));
    expect(r.status.active?.map((a) => a.uid)).toStrictEqual(['u7']);
    expect(r.events.filter((e) => e.reason === 'SawCompletedJob').length).toBe(3); // u1, u4, u6 still listed
    expect(r.status.lastSuccessfulTime).toBe(k8sTime(justBeforeThePriorHour + 3 * MIN + 1000));
  });

  it('forgets an active Job that no longer exists (MissingJob)', () => {
    const gone = job(1, undefined, 0);
    const r = syncCronJob({ cronJob: { ...cj, status: { active: [jobReference(gone)] } }, jobs: [], now: justBeforeTheHour });
    expect(r.status.active).toStrictEqual([]);
    expect(r.updateStatus).toBe(true);
    expect(r.events).toStrictEqual([{ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${gone.metadata.name}` }]);
  });

  it('ignores Jobs another owner controls', () => {
    const other = job(1, 'Complete', 0);
    other.metadata.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'mycronjob', uid: 'someone-else', controller: true }];
    const r = syncCronJob({ cronJob: { ...cj, spec: { ...cj.spec, successfulJobsHistoryLimit: 0 } }, jobs: [other], now: justBeforeTheHour });
    expect(r.deletes).toStrictEqual([]);
    expect(r.status.lastSuccessfulTime).toBeUndefined();
  });

  it('writes nothing once the CronJob is being deleted, beyond the status', () => {
    const r = syncCronJob({ cronJob: { ...cj, metadata: { ...cj.metadata, deletionTimestamp: k8sTime(justAfterTheHour) } }, jobs: [], now: justAfterTheHour });
    expect(r.create).toBeUndefined();
    expect(r.requeueAfterMs).toBeUndefined();
  });
});

describe('utils (utils_test.go)', () => {
  it('mostRecentScheduleTime: none, one, few and many missed; bounded for a CronJob decades behind', () => {
    const sched = parseCronSchedule(onTheHour);
    const cj = cronJob({ schedule: onTheHour });
    cj.metadata.creationTimestamp = k8sTime(justBeforeTheHour);
    expect(mostRecentScheduleTime(cj, justBeforeTheHour + 30_000, sched, false)).toStrictEqual({ earliest: justBeforeTheHour, missed: 'none' });
    expect(mostRecentScheduleTime(cj, justAfterTheHour, sched, false)).toStrictEqual({ earliest: justBeforeTheHour, mostRecent: topOfTheHour, missed: 'none' });
    expect(mostRecentScheduleTime(cj, topOfTheHour + 5 * HOUR + MIN, sched, false)).toStrictEqual({ earliest: justBeforeTheHour, mostRecent: topOfTheHour + 5 * HOUR, missed: 'few' });
    const started = Date.now();
    const old = { ...cj, metadata: { ...cj.metadata, creationTimestamp: '1990-01-01T00:00:00Z' } };
    const r = mostRecentScheduleTime(old, topOfTheHour + 30 * MIN, sched, false);
    expect(r).toStrictEqual({ earliest: t('1990-01-01T00:00:00Z'), mostRecent: topOfTheHour, missed: 'many' });
    expect(Date.now() - started).toBeLessThan(1_000);
    // with the deadline: only the times within it count
    const withDeadline = { ...old, spec: { ...old.spec, startingDeadlineSeconds: 3 * 3600 } };
    expect(mostRecentScheduleTime(withDeadline, topOfTheHour + 30 * MIN, sched, true).missed).toBe('few');
  });

  it('mostRecentScheduleTime: @every counts from the creation time', () => {
    const sched = parseCronSchedule('@every 1h');
    const cj = cronJob({ schedule: '@every 1h' });
    cj.metadata.creationTimestamp = k8sTime(justBeforeTheHour);
    expect(mostRecentScheduleTime(cj, justBeforeTheHour + 3 * HOUR + MIN, sched, false)).toStrictEqual({ earliest: justBeforeTheHour, mostRecent: justBeforeTheHour + 3 * HOUR, missed: 'few' });
  });

  it('a schedule with no next time (February 30th) never runs and never requeues', () => {
    const cj = cronJob({ schedule: '0 0 30 2 *' });
    const r = syncCronJob({ cronJob: cj, jobs: [], now: justAfterTheHour });
    expect(r.create).toBeUndefined();
    expect(r.requeueAfterMs).toBeUndefined();
  });

  it('nextScheduleTimeDuration: from the last schedule time, or from now when some were missed', () => {
    const sched = parseCronSchedule(onTheHour);
    const cj = cronJob({ schedule: onTheHour });
    cj.status = { lastScheduleTime: k8sTime(topOfTheHour) };
    expect(nextScheduleTimeDuration(cj, topOfTheHour + 10 * MIN, sched)).toBe(50 * MIN + d);
    expect(nextScheduleTimeDuration(cj, topOfTheHour + 5 * HOUR + 10 * MIN, sched)).toBe(50 * MIN + d);
  });

  it('getJobFromTemplate2: name, labels, annotations with the scheduled timestamp in the zone, owner', () => {
    const cj = cronJob({ timeZone: 'America/New_York' });
    const job = getJobFromTemplate2(cj, topOfTheHour);
    expect(job.metadata.name).toBe(`mycronjob-${Math.floor(topOfTheHour / 60_000)}`);
    expect(job.metadata.name).toBe(cronJobJobName(cj, topOfTheHour));
    expect(job.metadata.labels).toStrictEqual({ a: 'b' });
    expect(job.metadata.annotations).toStrictEqual({ x: 'y', [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: '2016-05-19T06:00:00-04:00' });
    expect(job.spec).toStrictEqual(cj.spec.jobTemplate.spec);
    expect(job.spec).not.toBe(cj.spec.jobTemplate.spec);
    expect(getJobFromTemplate2(cronJob(), topOfTheHour).metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toBe('2016-05-19T10:00:00Z');
  });

  it('formatRFC3339InZone: offsets east, west, half-hour, and Z for a zero offset', () => {
    expect(formatRFC3339InZone(topOfTheHour, 'Asia/Kolkata')).toBe('2016-05-19T15:30:00+05:30');
    expect(formatRFC3339InZone(topOfTheHour, 'Europe/London')).toBe('2016-05-19T11:00:00+01:00');
    expect(formatRFC3339InZone(t('2016-01-19T10:00:00Z'), 'Europe/London')).toBe('2016-01-19T10:00:00Z');
    expect(formatRFC3339InZone(topOfTheHour + 999, undefined)).toBe('2016-05-19T10:00:00Z');
  });

  it('byJobStartTime: started first, oldest first, name breaks ties', () => {
    const mk = (name: string, start?: number): Job => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: {} as Job['spec'], status: start === undefined ? {} : { startTime: k8sTime(start) } });
    const sorted = [mk('e'), mk('d', 2000), mk('c', 1000), mk('b', 1000), mk('a')].sort(byJobStartTime).map((j) => j.metadata.name);
    expect(sorted).toStrictEqual(['b', 'c', 'd', 'a', 'e']);
  });
});
