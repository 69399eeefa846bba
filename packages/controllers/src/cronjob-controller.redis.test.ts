/**
 * The CronJob controller against a real redis-server, with an injected clock (no test waits for a
 * schedule time): exactly one Job per schedule time however many controllers race, nothing lost or
 * doubled by a controller dying mid-sync, missed times after a restart, the concurrency policies,
 * suspend, history limits, deletion cascading to the Jobs, status.active following Jobs deleted by
 * hand, and a finished Job reaching its CronJob at once. No worker runs: pods stay Pending, and a
 * finished pod is written as a worker reports it (finishPod), the boundary these tests are not about.
 */
import { describe, expect, it } from 'vitest';
import {
  CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION,
  getJobFromTemplate2,
  k8sTime,
  parseCronJob,
  type CronJob,
  type Job,
  type Pod,
} from '@jobfleet/kube';
import { cronJobDeletionsInProgress, cronJobWakeTime, deleteJob, getCronJob, insertJob, prepareNewJob, putOp, removeCronJob, type JobStore } from '@jobfleet/store';
import type { Cluster } from './cluster.js';
import { CronJobController, type CronJobControllerOptions } from './cronjob-controller.js';
import { RESUME_CRONJOB_DELETION_AFTER_MS, createCronJob, deleteCronJob, updateCronJob } from './cronjobs.js';
import { deleteNamespace } from './namespaces.js';
import { scratchCluster } from './test-cluster.js';

const NS = 'default';
const MIN = 60_000;
const scratch = scratchCluster();

/** A whole hour ahead of the real clock: the Job controller's own timestamps (Redis clock) stay before it. */
const T0 = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;

interface Fleet {
  clusters: Cluster[];
  controllers: CronJobController[];
  store: JobStore;
  clock: { now: number };
}

/** `n` processes on one deployment, each with a CronJob controller on the shared injected clock. */
function fleet(n: number, opts: CronJobControllerOptions = {}): Fleet {
  const first = scratch.newCluster();
  const prefix = first.store.keys.rv.slice(0, -':rv'.length);
  const clusters = [first, ...Array.from({ length: n - 1 }, () => scratch.newCluster({ prefix }))];
  const clock = { now: T0 };
  const controllers = clusters.map((c) => new CronJobController(c.store, c.queues, c.controller, { clock: () => clock.now, ...opts }));
  return { clusters, controllers, store: first.store, clock };
}

function manifest(name: string, spec: Record<string, unknown> = {}): CronJob {
  return parseCronJob({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  });
}

async function cronJob(store: JobStore, name: string): Promise<CronJob> {
  const stored = await getCronJob(store, NS, name);
  if (!stored) throw new Error(`no cronjob ${name}`);
  return stored.cronJob;
}

/** The Jobs in the namespace controlled by the CronJob, by name. */
async function jobsOf(store: JobStore, cj: CronJob): Promise<Job[]> {
  const names = await store.redis.zrange(store.keys.jobs(NS), 0, -1);
  return (await store.getJobs(NS, names)).map((s) => s.job).filter((j) => j.metadata.ownerReferences?.some((o) => o.uid === cj.metadata.uid && o.controller));
}

const jobName = (cj: string, t: number) => `${cj}-${Math.floor(t / MIN)}`;

async function eventsOf(store: JobStore, cj: CronJob): Promise<{ reason: string; message: string; type: string }[]> {
  const names = (await store.redis.smembers(store.keys.jobEvents(cj.metadata.uid ?? ''))).sort();
  const out = [];
  for (const n of names) {
    const obj = await store.redis.hget(store.keys.event(NS, n), 'obj');
    if (obj) out.push(JSON.parse(obj) as { reason: string; message: string; type: string });
  }
  return out;
}

/** Ticks every controller at once, a few times (the lease turns some away: they try again). */
async function tickAll(f: Fleet, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.all(f.controllers.map((c) => c.tick()));
}

/** What a worker reports when a Job's pod ends, then the Job controller's sync. */
async function finishJob(cluster: Cluster, job: Job, phase: 'Succeeded' | 'Failed'): Promise<void> {
  const { store } = cluster;
  for (const name of await store.podNamesOfJob(job.metadata.uid ?? '')) {
    for (;;) {
      const stored = await store.getPod(NS, name);
      if (!stored) break;
      const exitCode = phase === 'Succeeded' ? 0 : 1;
      const pod: Pod = {
        ...stored.pod,
        spec: { ...stored.pod.spec, nodeName: 'node-1' },
        status: { phase, containerStatuses: [{ name: 'c', image: 'busybox', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: k8sTime(Date.now()) } } }] },
      };
      if ((await store.commit([putOp(store.keys.pod(NS, name), stored.rv, pod)])).ok) break;
    }
  }
  await cluster.controller.syncJob(NS, job.metadata.name ?? '');
}

describe('CronJobController', () => {
  it('creates exactly one Job per schedule time when 3 controllers tick concurrently (leases lapsing at once too)', async () => {
    for (const leaseMs of [10_000, 1]) {
      const f = fleet(3, { leaseMs });
      const cj = await createCronJob(f.store, manifest('every-minute'), NS, T0 + 5_000);
      await tickAll(f);
      expect(await jobsOf(f.store, cj)).toHaveLength(0);
      for (let k = 1; k <= 4; k++) {
        f.clock.now = T0 + k * MIN + 200;
        await tickAll(f);
      }
      const jobs = await jobsOf(f.store, cj);
      expect(jobs.map((j) => j.metadata.name).sort()).toStrictEqual([1, 2, 3, 4].map((k) => jobName('every-minute', T0 + k * MIN)));
      const status = (await cronJob(f.store, 'every-minute')).status;
      expect(status?.lastScheduleTime).toBe(k8sTime(T0 + 4 * MIN));
      expect(status?.active?.map((a) => a.name).sort()).toStrictEqual(jobs.map((j) => j.metadata.name).sort());
      const creates = (await eventsOf(f.store, cj)).filter((e) => e.reason === 'SuccessfulCreate');
      expect(creates).toHaveLength(4);
      // Each Job had its first sync (its pod exists), with the annotation and owner of Kubernetes' controller.
      for (const job of jobs) {
        expect(await f.store.podNamesOfJob(job.metadata.uid ?? '')).toHaveLength(1);
        expect(job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
        expect(job.metadata.ownerReferences).toStrictEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'every-minute', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      }
      // The next sync is scheduled in Redis for the next schedule time (+100 ms); a holder whose lease
      // lapsed leaves it to the next (it stays due at the backstop).
      if (leaseMs > 1) expect(await cronJobWakeTime(f.store, NS, 'every-minute')).toBe(T0 + 5 * MIN + 100);
    }
  });

  it('a controller killed between creating the Job and writing the status: the next one adopts the Job, creates none, and starts it', async () => {
    const f = fleet(1);
    const cj = await createCronJob(f.store, manifest('adopt'), NS, T0 + 5_000);
    // What a sync that died right after creating the Job of T0+1min (and before the status) leaves.
    const orphan = prepareNewJob(getJobFromTemplate2(cj, T0 + MIN), NS, T0 + MIN);
    expect((await insertJob(f.store, orphan)).ok).toBe(true);
    f.clock.now = T0 + MIN + 500;
    await tickAll(f);
    const jobs = await jobsOf(f.store, cj);
    expect(jobs.map((j) => j.metadata.uid)).toStrictEqual([orphan.metadata.uid]);
    const status = (await cronJob(f.store, 'adopt')).status;
    expect(status?.active?.map((a) => a.uid)).toStrictEqual([orphan.metadata.uid]);
    expect(status?.lastScheduleTime).toBe(k8sTime(T0 + MIN));
    expect(await f.store.podNamesOfJob(orphan.metadata.uid ?? '')).toHaveLength(1); // its first sync ran
    const reasons = (await eventsOf(f.store, cj)).map((e) => e.reason);
    expect(reasons).toContain('UnexpectedJob');
    expect(reasons).not.toContain('SuccessfulCreate');
  });

  it('after every process was down for 200 schedule times, runs the latest once with TooManyMissedTimes; for 3, the latest only', async () => {
    for (const [missed, warned] of [
      [200, true],
      [3, false],
    ] as const) {
      const f = fleet(2);
      const cj = await createCronJob(f.store, manifest('restart'), NS, T0 + 5_000);
      await tickAll(f);
      // Every process stops; new ones start on the same Redis `missed` minutes later.
      const restarted = f.clusters.map((c) => new CronJobController(c.store, c.queues, c.controller, { clock: () => T0 + missed * MIN + 1_000 }));
      for (let i = 0; i < 3; i++) await Promise.all(restarted.map((c) => c.tick()));
      expect((await jobsOf(f.store, cj)).map((j) => j.metadata.name)).toStrictEqual([jobName('restart', T0 + missed * MIN)]);
      const warnings = (await eventsOf(f.store, cj)).filter((e) => e.reason === 'TooManyMissedTimes');
      expect(warnings).toStrictEqual(
        warned ? [expect.objectContaining({ type: 'Warning', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' })] : [],
      );
    }
  });

  it('Forbid skips a schedule time while a Job runs; Replace deletes it and starts the new one; suspend starts none', async () => {
    const f = fleet(1);
    const forbid = await createCronJob(f.store, manifest('forbid', { concurrencyPolicy: 'Forbid' }), NS, T0 + 5_000);
    const replace = await createCronJob(f.store, manifest('replace', { concurrencyPolicy: 'Replace' }), NS, T0 + 5_000);
    const suspended = await createCronJob(f.store, manifest('suspended'), NS, T0 + 5_000);
    await updateCronJob(f.store, NS, 'suspended', (c) => ({ ...c, spec: { ...c.spec, suspend: true } }));
    f.clock.now = T0 + MIN + 200;
    await tickAll(f);
    f.clock.now = T0 + 2 * MIN + 200;
    await tickAll(f);
    expect((await jobsOf(f.store, forbid)).map((j) => j.metadata.name)).toStrictEqual([jobName('forbid', T0 + MIN)]);
    expect((await eventsOf(f.store, forbid)).map((e) => e.reason)).toContain('JobAlreadyActive');
    expect((await jobsOf(f.store, replace)).map((j) => j.metadata.name)).toStrictEqual([jobName('replace', T0 + 2 * MIN)]);
    const replaceStatus = (await cronJob(f.store, 'replace')).status;
    expect(replaceStatus?.active?.map((a) => a.name)).toStrictEqual([jobName('replace', T0 + 2 * MIN)]);
    expect((await eventsOf(f.store, replace)).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message)).toStrictEqual([`Deleted job ${jobName('replace', T0 + MIN)}`]);
    expect(await f.store.getJob(NS, jobName('replace', T0 + MIN))).toBeUndefined();
    expect(await jobsOf(f.store, suspended)).toStrictEqual([]);
    // resumed: the missed times are past (no deadline: the latest runs at once)
    await updateCronJob(f.store, NS, 'suspended', (c) => ({ ...c, spec: { ...c.spec, suspend: false } }));
    await tickAll(f);
    expect((await jobsOf(f.store, suspended)).map((j) => j.metadata.name)).toStrictEqual([jobName('suspended', T0 + 2 * MIN)]);
  });

  it('a finished Job pokes its CronJob: status.active, lastSuccessfulTime and the history limits follow without waiting for a schedule time', async () => {
    const f = fleet(1);
    const cluster = f.clusters[0] as Cluster;
    const template = { spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };
    const cj = await createCronJob(f.store, manifest('history', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1, jobTemplate: template }), NS, T0 + 5_000);
    for (let k = 1; k <= 3; k++) {
      f.clock.now = T0 + k * MIN + 200;
      await tickAll(f, 1);
    }
    const [first, second, third] = (await jobsOf(f.store, cj)).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    await finishJob(cluster, first as Job, 'Succeeded');
    await finishJob(cluster, second as Job, 'Succeeded');
    await finishJob(cluster, third as Job, 'Failed');
    f.clock.now += 1_000; // not a schedule time: only the pokes make the CronJob due
    expect(await f.controllers[0]?.tick()).toBe(1);
    const status = (await cronJob(f.store, 'history')).status;
    expect(status?.active ?? []).toStrictEqual([]);
    expect(status?.lastSuccessfulTime).toBeDefined();
    // one successful Job kept (the newest), the failed one kept
    expect((await jobsOf(f.store, cj)).map((j) => j.metadata.name).sort()).toStrictEqual([second?.metadata.name, third?.metadata.name].sort());
    const reasons = (await eventsOf(f.store, cj)).map((e) => e.reason);
    // the oldest left status.active with its deletion (cleanupFinishedJobs runs first), the other two are seen completed
    expect(reasons.filter((r) => r === 'SawCompletedJob')).toHaveLength(2);
    expect(reasons.filter((r) => r === 'SuccessfulDelete')).toHaveLength(1);
  });

  it('status.active loses a Job deleted by hand at the next tick; deleting the CronJob deletes its Jobs and its schedule', async () => {
    const f = fleet(1);
    const cj = await createCronJob(f.store, manifest('cascade'), NS, T0 + 5_000);
    for (let k = 1; k <= 3; k++) {
      f.clock.now = T0 + k * MIN + 200;
      await tickAll(f, 1);
    }
    const byHand = jobName('cascade', T0 + MIN);
    await deleteJob(f.store, NS, byHand);
    f.clock.now += 1_000;
    await tickAll(f, 1);
    expect((await cronJob(f.store, 'cascade')).status?.active?.map((a) => a.name)).not.toContain(byHand);
    expect((await eventsOf(f.store, cj)).map((e) => e.message)).toContain(`Active job went missing: ${byHand}`);
    // a Job of another owner in the namespace is left alone
    const other = await createCronJob(f.store, manifest('other'), NS, T0 + 5_000);
    f.clock.now = T0 + 4 * MIN + 200;
    await tickAll(f, 1);
    const deleted = await deleteCronJob(f.store, f.clusters[0]?.queues as Cluster['queues'], NS, 'cascade');
    expect(deleted?.metadata.uid).toBe(cj.metadata.uid);
    expect(await jobsOf(f.store, cj)).toStrictEqual([]);
    expect(await getCronJob(f.store, NS, 'cascade')).toBeUndefined();
    expect(await cronJobWakeTime(f.store, NS, 'cascade')).toBeUndefined();
    expect(await eventsOf(f.store, cj)).toStrictEqual([]);
    expect(await jobsOf(f.store, other)).toHaveLength(1);
  });

  it('a deleter that dies once the CronJob is gone: a controller deletes its Jobs from the registry, once the deleter had its time', async () => {
    const f = fleet(2);
    const cj = await createCronJob(f.store, manifest('half'), NS, T0 + 5_000);
    for (let k = 1; k <= 2; k++) {
      f.clock.now = T0 + k * MIN + 200;
      await tickAll(f, 1);
    }
    expect(await jobsOf(f.store, cj)).toHaveLength(2);
    const stored = await getCronJob(f.store, NS, 'half');
    // The first step of deleteCronJob alone: the process stops before deleting the Jobs.
    const { result } = await removeCronJob(f.store, stored?.rv ?? '', stored?.cronJob as CronJob, { at: f.clock.now, orphan: false });
    expect(result.ok).toBe(true);
    await tickAll(f, 1); // too early: the deleter may still be at work
    expect(await jobsOf(f.store, cj)).toHaveLength(2);
    f.clock.now += RESUME_CRONJOB_DELETION_AFTER_MS;
    await tickAll(f, 1);
    expect(await jobsOf(f.store, cj)).toStrictEqual([]);
    expect(await cronJobDeletionsInProgress(f.store)).toStrictEqual([]);
    expect(await f.store.redis.exists(f.store.keys.cronJobJobs(cj.metadata.uid ?? ''))).toBe(0);
  });

  it('deleting a namespace deletes its CronJobs first, so none creates a Job afterwards', async () => {
    const f = fleet(1);
    const cj = await createCronJob(f.store, manifest('in-ns'), 'doomed', T0 + 5_000);
    f.clock.now = T0 + MIN + 200;
    await tickAll(f, 1);
    expect(await f.store.getJob('doomed', jobName('in-ns', T0 + MIN))).toBeDefined();
    await deleteNamespace(f.store, 'doomed', Date.now(), { queues: f.clusters[0]?.queues });
    f.clock.now = T0 + 2 * MIN + 200;
    await tickAll(f, 1);
    expect(await getCronJob(f.store, 'doomed', 'in-ns')).toBeUndefined();
    expect(await f.store.redis.zrange(f.store.keys.jobs('doomed'), 0, -1)).toStrictEqual([]);
    expect(await f.store.redis.exists(f.store.keys.jobEvents(cj.metadata.uid ?? ''))).toBe(0);
    expect(await f.store.redis.zcard(f.store.keys.events('doomed'))).toBe(0);
  });
});
