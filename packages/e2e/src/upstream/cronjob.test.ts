/**
 * Ports of Kubernetes' CronJob e2e tests (test/e2e/apps/cronjob.go, 1.33) against a real API, worker,
 * janitor, Redis and Docker. Each `it` names the upstream test it ports:
 *
 * - "should schedule multiple jobs concurrently"
 * - "should not schedule jobs when suspended"
 * - "should not schedule new jobs when ForbidConcurrent"
 * - "should replace jobs when ReplaceConcurrent"
 * - "should be able to schedule after more than 100 missed schedule"
 * - "should not emit unexpected warnings"
 * - "should set the cronjob-scheduled-timestamp annotation on a job"
 * - "should remove from active list jobs that have been deleted"
 * - "should delete successful finished jobs with limit of one successful job"
 * - "should delete failed finished jobs with limit of one job"
 * - "should support timezone" (plus a schedule that fires in its time zone only)
 * ("should support CronJob API operations" is in cronjob-api.test.ts.)
 *
 * Schedules are per minute, so the cases run concurrently, each in its own namespace, on one fleet:
 * the file takes about as long as its longest case (two schedule times), not the sum. Adapted so
 * that no case waits longer than upstream semantics need:
 * - "Consistently for 5 minutes" (suspend, Forbid) becomes "past the next schedule time": a barrier
 *   CronJob, scheduled every minute in its own namespace, shows when the controller has handled a
 *   schedule time (its status.lastScheduleTime), and the case checks what must not have happened.
 * - More than 100 missed schedules: creationTimestamp cannot be set (upstream's create drops it too),
 *   so the CronJob is created suspended, its status.lastScheduleTime is set 98 days back through the
 *   status subresource, and it is resumed.
 * - History limits: the finished Jobs are created at once with triggerCronJob (kubectl create job
 *   --from=cronjob/NAME: Jobs the CronJob controls) instead of one per minute.
 * - Pods get terminationGracePeriodSeconds 1 (busybox's sleep ignores SIGTERM), so clean-up is quick.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobfleetClient, InvalidError, NotFoundError, type CronJob } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { useFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';
import { newTestCronJob } from './job-fixtures.js';

const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Upstream's cronJobTimeout is 5 minutes; two schedule times and a loaded machine fit in 3. */
const CRONJOB_TIMEOUT_MS = 180_000;
const sleepCommand = ['sleep', '300'];
const successCommand = ['/bin/true'];
const failureCommand = ['/bin/false'];

let fleet: Fleet;
let barrier: JobfleetClient;
const startedAt = Date.now();

// Every case at once (vitest runs 5 concurrent tests by default): they mostly wait for the clock.
vi.setConfig({ maxConcurrency: 16 });

useFleet({ workers: 1, maxPods: 40 }, (f) => {
  fleet = f;
  barrier = clientIn(uniqueName('barrier'));
});
beforeAll(async () => {
  await barrier.createCronJob(newTestCronJob('barrier', '*/1 * * * ?', 'Allow', successCommand, 1, 1));
});
afterAll(() => {
  console.log(`upstream/cronjob.test.ts: ${((Date.now() - startedAt) / 1000).toFixed(0)} s of wall time`);
});

function clientIn(namespace: string): JobfleetClient {
  return new JobfleetClient({ server: fleet.api.url, namespace });
}

/** A case's own namespace and client. */
function inNamespace(base: string): JobfleetClient {
  return clientIn(uniqueName(`cj-${base}`));
}


const isFinished = (job: Job) => (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** filterActiveJobs. */
function filterActiveJobs(jobs: Job[]): { active: Job[]; finished: Job[] } {
  return { active: jobs.filter((j) => !isFinished(j)), finished: jobs.filter(isFinished) };
}

/** waitForActiveJobs: at least `count` Jobs in the CronJob's status.active. */
function waitForActiveJobs(client: JobfleetClient, name: string, count: number): Promise<CronJob> {
  return eventually(async () => {
    const cj = await client.getCronJob(name);
    return (cj.status?.active ?? []).length >= count ? cj : undefined;
  }, CRONJOB_TIMEOUT_MS, `${count} active jobs of cronjob ${name}`);
}

/** waitForJobsAtLeast. */
function waitForJobsAtLeast(client: JobfleetClient, count: number): Promise<Job[]> {
  return eventually(async () => {
    const jobs = await client.listJobs();
    return jobs.length >= count ? jobs : undefined;
  }, CRONJOB_TIMEOUT_MS, `${count} jobs in ${client.namespace}`);
}

/** waitForAnyFinishedJob. */
function waitForAnyFinishedJob(client: JobfleetClient): Promise<Job> {
  return eventually(async () => (await client.listJobs()).find(isFinished), CRONJOB_TIMEOUT_MS, `a finished job in ${client.namespace}`);
}

async function cronJobEventReasons(client: JobfleetClient, name: string): Promise<{ type?: string; reason?: string; message?: string }[]> {
  return client.cronJobEvents(await client.getCronJob(name));
}

/** waitForEventWithReason. */
function waitForEventWithReason(client: JobfleetClient, name: string, reasons: string[]) {
  return eventually(async () => (await cronJobEventReasons(client, name)).find((e) => reasons.includes(e.reason ?? '')), 60_000, `an event ${reasons.join('|')} of cronjob ${name}`);
}

/**
 * Resolves once the controller has handled the first schedule time after `afterMs` (the barrier
 * CronJob's lastScheduleTime reached it), plus a little for the CronJobs handled after the barrier.
 */
async function pastNextScheduleTime(afterMs: number): Promise<void> {
  const next = (Math.floor(afterMs / 60_000) + 1) * 60_000;
  await eventually(async () => Date.parse((await barrier.getCronJob('barrier')).status?.lastScheduleTime ?? '') >= next, CRONJOB_TIMEOUT_MS, `the schedule time ${new Date(next).toISOString()} to be handled`);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
}

/** The minutes since the epoch a scheduled Job's name ends with, as the scheduled time in ms. */
const scheduledFromName = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1)) * 60_000;

describe.concurrent('CronJob (upstream cronjob.go)', () => {
  it('should schedule multiple jobs concurrently', async () => {
    const client = inNamespace('concurrent');
    const cronJob = await client.createCronJob(newTestCronJob('concurrent', '*/1 * * * ?', 'Allow', sleepCommand));

    // Ensuring more than one job is running at a time.
    await waitForActiveJobs(client, cronJob.metadata.name ?? '', 2);
    // Ensuring at least two running jobs exist by listing jobs explicitly.
    const { active } = filterActiveJobs(await client.listJobs());
    expect(active.length).toBeGreaterThanOrEqual(2);
    // Two schedule times, two distinct Jobs, each controlled by the CronJob.
    expect(new Set(active.map((j) => j.metadata.name)).size).toBe(active.length);
    for (const job of active) expect(job.metadata.ownerReferences?.find((o) => o.controller)).toMatchObject({ kind: 'CronJob', name: 'concurrent', uid: cronJob.metadata.uid });

    await client.deleteCronJob('concurrent');
  });

  it('should not schedule jobs when suspended', async () => {
    const client = inNamespace('suspended');
    const created = Date.now();
    const cronJob = newTestCronJob('suspended', '*/1 * * * ?', 'Allow', sleepCommand);
    await client.createCronJob({ ...cronJob, spec: { ...cronJob.spec, suspend: true } });

    // Ensuring no jobs are scheduled: past a schedule time, nothing is active and no Job exists.
    await pastNextScheduleTime(created);
    const after = await client.getCronJob('suspended');
    expect(after.status?.active ?? []).toEqual([]);
    expect(after.status?.lastScheduleTime).toBeUndefined();
    expect(await client.listJobs()).toEqual([]);

    await client.deleteCronJob('suspended');
  });

  it('should not schedule new jobs when ForbidConcurrent', async () => {
    const client = inNamespace('forbid');
    await client.createCronJob(newTestCronJob('forbid', '*/1 * * * ?', 'Forbid', sleepCommand));

    // Ensuring a job is scheduled, and exactly one.
    const scheduled = await waitForActiveJobs(client, 'forbid', 1);
    expect(scheduled.status?.active).toHaveLength(1);
    expect(filterActiveJobs(await client.listJobs()).active).toHaveLength(1);

    // Ensuring no more jobs are scheduled: the next schedule time passes with the first Job still running.
    const first = scheduled.status?.active?.[0]?.name ?? '';
    await pastNextScheduleTime(scheduledFromName(first));
    const later = await client.getCronJob('forbid');
    expect(later.status?.active?.map((ref) => ref.name)).toEqual([first]);
    expect((await client.listJobs()).map((j) => j.metadata.name)).toEqual([first]);

    await client.deleteCronJob('forbid');
  });

  it('should replace jobs when ReplaceConcurrent', async () => {
    const client = inNamespace('replace');
    await client.createCronJob(newTestCronJob('replace', '*/1 * * * ?', 'Replace', sleepCommand));

    // Ensuring a job is scheduled, and exactly one.
    const scheduled = await waitForActiveJobs(client, 'replace', 1);
    expect(scheduled.status?.active).toHaveLength(1);
    const jobs = await client.listJobs();
    expect(filterActiveJobs(jobs).active).toHaveLength(1);
    const previous = jobs[0]?.metadata.name ?? '';

    // Ensuring the job is replaced with a new one (waitForJobReplaced): never two alive at once.
    const replacement = await eventually(async () => {
      const alive = (await client.listJobs()).filter((j) => !j.metadata.deletionTimestamp);
      if (alive.length > 1) throw new Error(`more than one job is running: ${alive.map((j) => j.metadata.name).join(', ')}`);
      return alive[0] && alive[0].metadata.name !== previous ? alive[0] : undefined;
    }, CRONJOB_TIMEOUT_MS, `job ${previous} to be replaced`).catch(async (error: unknown) => {
      // eventually() swallows a throwing check: tell "two alive" apart from "never replaced".
      const alive = (await client.listJobs()).filter((j) => !j.metadata.deletionTimestamp);
      throw new Error(`${(error as Error).message}; alive now: ${alive.map((j) => j.metadata.name).join(', ')}`);
    });
    expect(scheduledFromName(replacement.metadata.name ?? '')).toBeGreaterThan(scheduledFromName(previous));
    await expect(client.getJob(previous)).rejects.toBeInstanceOf(NotFoundError);
    const events = await cronJobEventReasons(client, 'replace');
    expect(events.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${previous}`)).toBe(true);

    await client.deleteCronJob('replace');
  });

  it('should be able to schedule after more than 100 missed schedule', async () => {
    const client = inNamespace('missed');
    const cronJob = newTestCronJob('concurrent', '*/1 * * * ?', 'Forbid', sleepCommand);
    await client.createCronJob({ ...cronJob, spec: { ...cronJob.spec, suspend: true } });
    const lastScheduleTime = new Date(Date.now() - 98 * 24 * 3_600_000);
    lastScheduleTime.setUTCSeconds(0, 0);
    const patched = await client.patchCronJob('concurrent', { status: { lastScheduleTime: lastScheduleTime.toISOString().replace('.000Z', 'Z') } }, { status: true });
    expect(Date.parse(patched.status?.lastScheduleTime ?? '')).toBe(lastScheduleTime.getTime());
    await client.patchCronJob('concurrent', { spec: { suspend: false } });

    // Ensuring one job is running: the latest missed time is scheduled, not the 141,000 before it.
    await waitForActiveJobs(client, 'concurrent', 1);
    const jobs = await client.listJobs();
    expect(filterActiveJobs(jobs).active).not.toHaveLength(0);
    expect(jobs).toHaveLength(1);
    expect(scheduledFromName(jobs[0]?.metadata.name ?? '')).toBeGreaterThan(Date.now() - 5 * 60_000);
    const warning = await waitForEventWithReason(client, 'concurrent', ['TooManyMissedTimes']);
    expect(warning.type).toBe('Warning');

    await client.deleteCronJob('concurrent');
  });

  it('should not emit unexpected warnings', async () => {
    const client = inNamespace('warnings');
    // No command: busybox's sh ends at once.
    await client.createCronJob(newTestCronJob('concurrent', '*/1 * * * ?', 'Allow', undefined));

    // Ensuring at least two jobs and at least one finished job exist by listing jobs explicitly.
    await waitForJobsAtLeast(client, 2);
    await waitForAnyFinishedJob(client);

    // Ensuring no unexpected event has happened.
    const reasons = (await cronJobEventReasons(client, 'concurrent')).map((e) => e.reason);
    expect(reasons).not.toContain('MissingJob');
    expect(reasons).not.toContain('UnexpectedJob');
    expect(reasons).toContain('SuccessfulCreate');

    await client.deleteCronJob('concurrent');
  });

  it('should set the cronjob-scheduled-timestamp annotation on a job', async () => {
    const client = inNamespace('timestamp');
    const cronJob = await client.createCronJob(newTestCronJob('concurrent', '*/1 * * * ?', 'Allow', undefined));

    // Ensuring the annotation exists on the newly created job, and parses as RFC3339.
    const [job] = await waitForJobsAtLeast(client, 1);
    const annotation = job?.metadata.annotations?.[SCHEDULED_TIMESTAMP] ?? '';
    expect(annotation).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    // The Job is named after the same schedule time (minutes since the epoch), and it is the CronJob's.
    expect(job?.metadata.name).toBe(`concurrent-${Date.parse(annotation) / 60_000}`);
    expect(job?.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'concurrent', uid: cronJob.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(Date.parse((await client.getCronJob('concurrent')).status?.lastScheduleTime ?? '')).toBeGreaterThanOrEqual(Date.parse(annotation));

    await client.deleteCronJob('concurrent');
  });

  it('should remove from active list jobs that have been deleted', async () => {
    const client = inNamespace('deleted');
    await client.createCronJob(newTestCronJob('forbid', '*/1 * * * ?', 'Forbid', sleepCommand));

    // Ensuring a job is scheduled, and exactly one.
    const scheduled = await waitForActiveJobs(client, 'forbid', 1);
    expect(scheduled.status?.active).toHaveLength(1);

    // Deleting the job (and waiting for its pods to go).
    const jobName = scheduled.status?.active?.[0]?.name ?? '';
    await client.deleteJob(jobName);
    await eventually(async () => (await client.listPods({ labelSelector: `job-name=${jobName}` })).length === 0, 60_000, `the pods of ${jobName} to go`);
    await expect(client.getJob(jobName)).rejects.toBeInstanceOf(NotFoundError);

    // Ensuring the job is not in the cronjob's active list, and the MissingJob event.
    await eventually(async () => !(await client.getCronJob('forbid')).status?.active?.some((ref) => ref.name === jobName), CRONJOB_TIMEOUT_MS, `${jobName} to leave the active list`);
    await waitForEventWithReason(client, 'forbid', ['MissingJob']);

    await client.deleteCronJob('forbid');
  });

  it.each([
    { test: 'should delete successful finished jobs with limit of one successful job', command: successCommand, successLimit: 1, failedLimit: 0, outcome: 'Complete' },
    { test: 'should delete failed finished jobs with limit of one job', command: failureCommand, successLimit: 0, failedLimit: 1, outcome: 'Failed' },
  ])('$test', async ({ command, successLimit, failedLimit, outcome }) => {
    const client = inNamespace(outcome.toLowerCase());
    const name = outcome === 'Complete' ? 'successful-jobs-history-limit' : 'failed-jobs-history-limit';
    await client.createCronJob(newTestCronJob(name, '*/1 * * * ?', 'Allow', command, successLimit, failedLimit));
    const finishedAs = (job: Job) => (job.status?.conditions ?? []).some((c) => c.type === outcome && c.status === 'True');

    // Two finished Jobs of the CronJob, one after the other, at once rather than a minute apart.
    const first = await client.triggerCronJob(name, { jobName: `${name}-first` });
    await eventually(async () => finishedAs(await client.getJob(`${name}-first`)), 60_000, `${name}-first to finish`);
    await client.triggerCronJob(name, { jobName: `${name}-second` });
    await eventually(async () => finishedAs(await client.getJob(`${name}-second`)), 60_000, `${name}-second to finish`);

    // Ensuring the older job and its pods do not exist anymore, and there is 1 finished job.
    await eventually(async () => {
      const { finished } = filterActiveJobs(await client.listJobs());
      return finished.length === 1 && !finished.some((j) => j.metadata.name === `${name}-first`);
    }, CRONJOB_TIMEOUT_MS, `${name}-first to be deleted, one finished job left`);
    await eventually(async () => (await client.listPods({ labelSelector: `batch.kubernetes.io/controller-uid=${first.metadata.uid}` })).length === 0, 60_000, `the pods of ${name}-first to go`);
    const deleted = await cronJobEventReasons(client, name);
    expect(deleted.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${name}-first`)).toBe(true);

    await client.deleteCronJob(name);
  });

  it('should support timezone', async () => {
    const client = inNamespace('timezone');
    // An unknown time zone is refused.
    const bad = newTestCronJob('cronjob-with-timezone', '*/1 * * * ?', 'Allow', failureCommand);
    const refused = await client.createCronJob({ ...bad, spec: { ...bad.spec, timeZone: 'bad-time-zone' } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidError);
    expect((refused as InvalidError).details?.causes?.map((c) => c.field)).toContain('spec.timeZone');

    // jobfleet's addition: the hours field is read in the time zone. India is UTC+05:30, so the
    // current and the next hour there are no current hour in UTC; only the zoned CronJob fires.
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
    const schedule = `* ${hour},${(hour + 1) % 24} * * *`;
    const zoned = newTestCronJob('zoned', schedule, 'Allow', successCommand);
    await client.createCronJob({ ...zoned, spec: { ...zoned.spec, timeZone: 'Asia/Kolkata' } });
    await client.createCronJob(newTestCronJob('utc', schedule, 'Allow', successCommand));
    const [job] = await waitForJobsAtLeast(client, 1);
    expect(job?.metadata.name).toMatch(/^zoned-\d+$/);
    // The scheduled time is written in the CronJob's time zone.
    const annotation = job?.metadata.annotations?.[SCHEDULED_TIMESTAMP] ?? '';
    expect(annotation).toMatch(/\+05:30$/);
    expect(Date.parse(annotation)).toBe(scheduledFromName(job?.metadata.name ?? ''));
    await pastNextScheduleTime(scheduledFromName(job?.metadata.name ?? '') - 1);
    expect((await client.listJobs()).filter((j) => j.metadata.name?.startsWith('utc-'))).toEqual([]);
  });
});
