/**
 * CronJob transitions against a real redis-server: the object on the change stream as kind
 * CronJob, compare-and-set, the object size limit, the sync commit (Job + status in one, or
 * nothing), the Jobs index fed by any creation of a CronJob's Job, the wake-up schedule with its
 * lease and pokes (no poke lost, no stale holder's schedule written), and deletion.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { RequestEntityTooLargeError, type CronJob, type Job } from '@jobfleet/kube';
import {
  CronJobSyncLease,
  commitCronJobSync,
  cronJobJobNames,
  cronJobWakeTime,
  dueCronJobs,
  getCronJob,
  getCronJobs,
  cronJobNamesPage,
  insertCronJob,
  pokeCronJob,
  prepareNewCronJob,
  putCronJob,
  removeCronJob,
} from './cronjobs.js';
import { deleteJob, prepareNewJob } from './jobs.js';
import type { JobStore } from './store.js';
import { scratchStore } from './test-store.js';
import { insertJob } from './transitions.js';

const scratch = scratchStore();
let store: JobStore;

beforeEach(() => {
  store = scratch.newStore({ maxObjectBytes: 64 * 1024 });
});

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

function cronJob(name: string, extra: Partial<CronJob['spec']> = {}): CronJob {
  return prepareNewCronJob(
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: {
        schedule: '*/1 * * * *',
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } } as CronJob['spec']['jobTemplate'],
        ...extra,
      },
    },
    'default',
    T0,
  );
}

function jobOf(cj: CronJob, name: string): Job {
  return prepareNewJob(
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name ?? '', uid: cj.metadata.uid ?? '', controller: true }] },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } as Job['spec'],
    },
    'default',
    T0,
  );
}

async function changes(): Promise<{ type: string; kind: string; name: string }[]> {
  const entries = (await store.redis.xrange(store.keys.changes, '-', '+')) as [string, string[]][];
  return entries.map(([, f]) => {
    const m: Record<string, string> = {};
    for (let i = 0; i < f.length; i += 2) m[f[i] ?? ''] = f[i + 1] ?? '';
    return { type: m.t ?? '', kind: m.k ?? '', name: m.n ?? '' };
  });
}

describe('CronJob objects', () => {
  it('insert, read, page, compare-and-set and delete, each on the change stream as kind CronJob', async () => {
    const cj = cronJob('nightly');
    expect((await insertCronJob(store, cj)).ok).toBe(true);
    expect((await insertCronJob(store, cronJob('nightly'))).ok).toBe(false);
    await insertCronJob(store, cronJob('another'));
    const stored = await getCronJob(store, 'default', 'nightly');
    expect(stored?.cronJob.metadata.uid).toBe(cj.metadata.uid);
    expect(stored?.cronJob.metadata.resourceVersion).toBe(stored?.rv);
    expect(await cronJobNamesPage(store, 'default', undefined, 10)).toStrictEqual(['another', 'nightly']);
    expect((await getCronJobs(store, 'default', ['nightly', 'missing'])).map((s) => s.cronJob.metadata.name)).toStrictEqual(['nightly']);
    const rv = stored?.rv ?? '';
    expect((await putCronJob(store, rv, { ...cj, spec: { ...cj.spec, suspend: true } })).ok).toBe(true);
    expect((await putCronJob(store, rv, cj)).ok).toBe(false); // stale
    const now = await getCronJob(store, 'default', 'nightly');
    expect((await removeCronJob(store, rv, cj, { at: T0, orphan: false })).result.ok).toBe(false);
    expect((await removeCronJob(store, now?.rv ?? '', cj, { at: T0, orphan: false })).result.ok).toBe(true);
    expect(await getCronJob(store, 'default', 'nightly')).toBeUndefined();
    expect(await cronJobNamesPage(store, 'default', undefined, 10)).toStrictEqual(['another']);
    expect(await changes()).toStrictEqual([
      { type: 'ADDED', kind: 'CronJob', name: 'nightly' },
      { type: 'ADDED', kind: 'CronJob', name: 'another' },
      { type: 'MODIFIED', kind: 'CronJob', name: 'nightly' },
      { type: 'DELETED', kind: 'CronJob', name: 'nightly' },
    ]);
  });

  it('refuses a CronJob over the object limit (413), writing nothing', async () => {
    const big = cronJob('big');
    big.metadata.annotations = { a: 'x'.repeat(70 * 1024) };
    await expect(insertCronJob(store, big)).rejects.toBeInstanceOf(RequestEntityTooLargeError);
    expect(await getCronJob(store, 'default', 'big')).toBeUndefined();
    expect(await changes()).toStrictEqual([]);
  });
});

describe('the sync commit', () => {
  it('creates the Job and writes the status together, guarded by the CronJob as read', async () => {
    const cj = cronJob('c');
    await insertCronJob(store, cj);
    const stored = await getCronJob(store, 'default', 'c');
    const job = jobOf(cj, 'c-100');
    const status = { active: [{ kind: 'Job', name: 'c-100', namespace: 'default', uid: job.metadata.uid }], lastScheduleTime: '2030-01-01T00:00:00Z' };
    const w = { cronJob: cj, rv: stored?.rv ?? '', status, job, events: [{ type: 'Normal' as const, reason: 'SuccessfulCreate', message: 'Created job c-100' }], now: T0 };
    expect(await commitCronJobSync(store, w)).toMatchObject({ ok: true });
    expect((await store.getJob('default', 'c-100'))?.job.metadata.uid).toBe(job.metadata.uid);
    expect((await getCronJob(store, 'default', 'c'))?.cronJob.status).toStrictEqual(status);
    expect(await cronJobJobNames(store, cj.metadata.uid ?? '')).toStrictEqual(['c-100']);
    // the same again (a second controller that read the same CronJob): the Job exists, nothing written
    const again = jobOf(cj, 'c-100');
    expect(await commitCronJobSync(store, { ...w, job: again })).toStrictEqual({ ok: false, conflict: 'job' });
    // a controller that read the CronJob before: refused, and its Job is not created
    const other = jobOf(cj, 'c-101');
    expect(await commitCronJobSync(store, { ...w, job: other })).toStrictEqual({ ok: false, conflict: 'cronJob' });
    expect(await store.getJob('default', 'c-101')).toBeUndefined();
    // without a status change, the Job is still created only against the CronJob as read
    expect(await commitCronJobSync(store, { cronJob: cj, rv: stored?.rv ?? '', job: other, events: [], now: T0 })).toStrictEqual({ ok: false, conflict: 'cronJob' });
    expect(await store.getJob('default', 'c-101')).toBeUndefined();
    const events = await store.redis.zrange(store.keys.events('default'), 0, -1);
    expect(events).toHaveLength(1);
    const event = JSON.parse((await store.redis.hget(store.keys.event('default', events[0] ?? ''), 'obj')) ?? '{}') as Record<string, unknown>;
    expect(event).toMatchObject({ reason: 'SuccessfulCreate', involvedObject: { kind: 'CronJob', name: 'c', uid: cj.metadata.uid }, source: { component: 'cronjob-controller' } });
  });

  it('a Job of the CronJob created by anyone joins its index and pokes it; its deletion pokes it again', async () => {
    const cj = cronJob('c');
    await insertCronJob(store, cj);
    await store.redis.del(store.keys.cronJobPokes);
    await insertJob(store, jobOf(cj, 'by-hand'));
    expect(await cronJobJobNames(store, cj.metadata.uid ?? '')).toStrictEqual(['by-hand']);
    expect(await dueCronJobs(store, 0, 10)).toStrictEqual([{ ns: 'default', name: 'c' }]);
    await store.redis.del(store.keys.cronJobPokes);
    await deleteJob(store, 'default', 'by-hand');
    expect(await dueCronJobs(store, 0, 10)).toStrictEqual([{ ns: 'default', name: 'c' }]);
  });
});

describe('the wake-up schedule and the sync lease', () => {
  it('one holder at a time; a poke during a sync is kept for another sync; the holder schedules the next one', async () => {
    const cj = cronJob('c');
    await insertCronJob(store, cj);
    expect(await dueCronJobs(store, T0, 10)).toStrictEqual([{ ns: 'default', name: 'c' }]); // poked by its creation
    const a = new CronJobSyncLease(store, 'default', 'c');
    const b = new CronJobSyncLease(store, 'default', 'c');
    expect(await a.take(T0, 10_000)).toBe(true);
    expect(await b.take(T0, 10_000)).toBe(false);
    // the creation's poke is consumed; the backstop is the lease's end
    expect(await dueCronJobs(store, T0, 10)).toStrictEqual([]);
    expect(await cronJobWakeTime(store, 'default', 'c')).toBe(T0 + 10_000);
    await pokeCronJob(store, 'default', 'c'); // an update while a syncs
    expect(await a.done(T0 + 60_000, cj.metadata.uid ?? '')).toBe(true);
    expect(await cronJobWakeTime(store, 'default', 'c')).toBe(T0 + 60_000);
    expect(await dueCronJobs(store, T0, 10)).toStrictEqual([{ ns: 'default', name: 'c' }]); // the poke survived
    expect(await b.take(T0, 10_000)).toBe(true); // a let go
    await b.done(undefined, cj.metadata.uid ?? ''); // suspended: no wake-up until something changes
    expect(await dueCronJobs(store, T0 + 365 * 24 * 3600_000, 10)).toStrictEqual([]);
  });

  it('a holder whose lease lapsed writes no schedule over the one of the process that took over', async () => {
    const cj = cronJob('c');
    await insertCronJob(store, cj);
    const slow = new CronJobSyncLease(store, 'default', 'c');
    expect(await slow.take(T0, 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    const fast = new CronJobSyncLease(store, 'default', 'c');
    expect(await fast.take(T0, 10_000)).toBe(true);
    expect(await fast.done(T0 + 60_000, cj.metadata.uid ?? '')).toBe(true);
    expect(await slow.done(T0 + 3_600_000, cj.metadata.uid ?? '')).toBe(false);
    expect(await cronJobWakeTime(store, 'default', 'c')).toBe(T0 + 60_000);
  });

  it('the schedule forgets a deleted CronJob; a sync of the old one writes no schedule over one recreated under its name', async () => {
    const cj = cronJob('c');
    await insertCronJob(store, cj);
    const lease = new CronJobSyncLease(store, 'default', 'c');
    await lease.take(T0, 10_000);
    const stored = await getCronJob(store, 'default', 'c');
    await removeCronJob(store, stored?.rv ?? '', cj, { at: T0, orphan: false });
    expect(await lease.done(T0 + 60_000, cj.metadata.uid ?? '')).toBe(true);
    expect(await cronJobWakeTime(store, 'default', 'c')).toBeUndefined();
    expect(await dueCronJobs(store, T0 + 10 ** 9, 10)).toStrictEqual([]);
    // recreated under the name while a sync of the old one ran: that sync's schedule is not written
    const again = new CronJobSyncLease(store, 'default', 'c');
    await insertCronJob(store, cronJob('c'));
    expect(await again.take(T0, 10_000)).toBe(true);
    await removeCronJob(store, (await getCronJob(store, 'default', 'c'))?.rv ?? '', (await getCronJob(store, 'default', 'c'))?.cronJob as CronJob, { at: T0, orphan: false });
    const recreated = cronJob('c');
    await insertCronJob(store, recreated);
    expect(await again.done(T0 + 3_600_000, 'the-old-uid')).toBe(true);
    expect(await dueCronJobs(store, T0, 10)).toContainEqual({ ns: 'default', name: 'c' }); // the new one's creation poke stands
    expect(await cronJobWakeTime(store, 'default', 'c')).not.toBe(T0 + 3_600_000);
  });
});
