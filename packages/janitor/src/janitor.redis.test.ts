/** Janitor.collect (TTL-after-finished) against a real redis-server, on hand-made finished Jobs. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8sTime, type Job, type JobCondition } from '@jobfleet/kube';
import { Cluster, createJob } from '@jobfleet/controllers';
import { putJob, putOp, startJobDeletion } from '@jobfleet/store';
import { NO_DELAYS, defaultedJob, startScratchRedis, type EmbeddedRedis } from '@jobfleet/testing';
import { Janitor } from './janitor.js';

const NS = 'default';

let server: EmbeddedRedis;
let cluster: Cluster;
let janitor: Janitor;
const prefix = `t${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  server = await startScratchRedis();
  cluster = new Cluster({ redisUrl: server.url, prefix, delays: NO_DELAYS });
  janitor = new Janitor({ redisUrl: server.url, prefix });
});

afterAll(async () => {
  await janitor?.close();
  await cluster?.close();
  await server?.stop();
});

/**
 * Creates a Job, then rewrites it as finished `finishedAgoMs` ago (Complete, or Failed) with the
 * given TTL, scheduling its deletion as the controller does.
 */
async function finishedJob(name: string, ttl: number | undefined, finishedAgoMs: number, how: 'Complete' | 'Failed' = 'Complete'): Promise<Job> {
  const { store, controller } = cluster;
  await createJob(store, controller, defaultedJob(name), NS);
  const stored = await store.getJob(NS, name);
  if (!stored) throw new Error('not created');
  const t = k8sTime((await store.now()) - finishedAgoMs);
  const c = (type: JobCondition['type']): JobCondition => ({ type, status: 'True', reason: 'r', message: 'm', lastProbeTime: t, lastTransitionTime: t });
  const conditions = how === 'Complete' ? [c('SuccessCriteriaMet'), c('Complete')] : [c('FailureTarget'), c('Failed')];
  const finished: Job = {
    ...stored.job,
    spec: { ...stored.job.spec, ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }) },
    status: { ...stored.job.status, active: 0, conditions, ...(how === 'Complete' ? { succeeded: 1, completionTime: t } : { failed: 7 }) },
  };
  const result = await putJob(store, stored.rv, finished); // schedules the TTL deletion too
  if (!result.ok) throw new Error('conflict');
  return finished;
}

async function exists(name: string): Promise<boolean> {
  return (await cluster.store.getJob(NS, name)) !== undefined;
}

async function scheduled(name: string): Promise<number | undefined> {
  const score = await cluster.store.redis.zscore(cluster.store.keys.ttlSchedule, `${NS}/${name}`);
  return score === null ? undefined : Number(score);
}

describe('Janitor.collect', () => {
  it('deletes a Complete Job with TTL 0 once, with its pods; a second collect finds nothing', async () => {
    const job = await finishedJob('done', 0, 10_000);
    const podNames = await cluster.store.podNamesOfJob(job.metadata.uid ?? '');
    expect(podNames).toHaveLength(1);
    expect(await scheduled('done')).toBeDefined();

    expect(await janitor.collect()).toBe(1);
    expect(await exists('done')).toBe(false);
    expect(await cluster.store.getPods(NS, podNames)).toStrictEqual([]);
    expect(await scheduled('done')).toBeUndefined();

    expect(await janitor.collect()).toBe(0);
  });

  it('deletes a Failed Job whose TTL has passed', async () => {
    await finishedJob('failed', 5, 10_000, 'Failed');
    expect(await janitor.collect()).toBe(1);
    expect(await exists('failed')).toBe(false);
  });

  it('two janitors collecting at once delete a Job once', async () => {
    await finishedJob('race', 0, 10_000);
    const other = new Janitor({ redisUrl: server.url, prefix });
    try {
      const counts = await Promise.all([janitor.collect(), other.collect(), janitor.collect()]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await exists('race')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('keeps a Job whose TTL has not passed, and does not unschedule it', async () => {
    await finishedJob('young', 3600, 1_000);
    const deadline = await scheduled('young');
    expect(await janitor.collect()).toBe(0);
    expect(await exists('young')).toBe(true);
    expect(await scheduled('young')).toBe(deadline);
  });

  it('a TTL raised since it was scheduled: the Job stays and is rescheduled at the new deadline', async () => {
    const job = await finishedJob('raised', 0, 10_000);
    const { store } = cluster;
    const stored = await store.getJob(NS, 'raised');
    const raised: Job = { ...job, spec: { ...job.spec, ttlSecondsAfterFinished: 3600 } };
    await store.commit([putOp(store.keys.job(NS, 'raised'), stored?.rv ?? '', raised)]); // schedule left stale on purpose
    const stale = await scheduled('raised');
    expect(await janitor.collect()).toBe(0);
    expect(await exists('raised')).toBe(true);
    const now = await store.now();
    const rescheduled = await scheduled('raised');
    expect(rescheduled).toBeGreaterThan(stale ?? 0);
    expect(rescheduled).toBeGreaterThan(now + 3_500_000);
  });

  it('a TTL removed since it was scheduled: unscheduled, the Job stays', async () => {
    const job = await finishedJob('ttl-removed', 0, 10_000);
    const { store } = cluster;
    const stored = await store.getJob(NS, 'ttl-removed');
    const { ttlSecondsAfterFinished: _gone, ...spec } = job.spec;
    await store.commit([putOp(store.keys.job(NS, 'ttl-removed'), stored?.rv ?? '', { ...job, spec })]);
    expect(await janitor.collect()).toBe(0);
    expect(await exists('ttl-removed')).toBe(true);
    expect(await scheduled('ttl-removed')).toBeUndefined();
  });

  it('a schedule entry for a Job that is gone is dropped', async () => {
    const { store } = cluster;
    await store.redis.zadd(store.keys.ttlSchedule, 1, `${NS}/ghost`);
    expect(await janitor.collect()).toBe(0);
    expect(await scheduled('ghost')).toBeUndefined();
  });

  it('a running Job is never collected', async () => {
    const { store, controller } = cluster;
    await createJob(store, controller, { ...defaultedJob('running'), spec: { ...defaultedJob('running').spec, ttlSecondsAfterFinished: 0 } }, NS);
    await store.redis.zadd(store.keys.ttlSchedule, 1, `${NS}/running`); // a stray entry
    expect(await janitor.collect()).toBe(0);
    expect(await exists('running')).toBe(true);
  });

  it('finishes a deletion whose process died half-way, once it made no progress for 10 s, and leaves a recent one alone', async () => {
    const { store, controller } = cluster;
    const big = { ...defaultedJob('half-deleted'), spec: { ...defaultedJob('half-deleted').spec, parallelism: 250, completions: 250 } };
    const job = await createJob(store, controller, big, NS);
    const uid = job.metadata.uid ?? '';
    while ((await store.podNamesOfJob(uid)).length < 250) await controller.syncJob(NS, 'half-deleted');
    expect((await startJobDeletion(store, NS, 'half-deleted'))?.more).toBe(true); // and then the process died
    const left = (await store.podNamesOfJob(uid)).length;
    expect(left).toBeGreaterThan(0);
    await janitor.collect();
    expect((await store.podNamesOfJob(uid)).length).toBe(left); // it may still be going on
    const entry = JSON.parse((await store.redis.hget(store.keys.deletingJobs, uid)) ?? '{}') as { at: number };
    await store.redis.hset(store.keys.deletingJobs, uid, JSON.stringify({ ...entry, at: entry.at - 10_001 }));
    await janitor.collect();
    expect((await store.podNamesOfJob(uid)).length).toBe(0);
    expect(await store.redis.hlen(store.keys.deletingJobs)).toBe(0);
    expect(await store.redis.exists(store.keys.podDictionary(uid), store.keys.jobUncounted(uid), store.keys.jobEvents(uid))).toBe(0);
  });
});
