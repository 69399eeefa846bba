/**
 * Nothing of a deleted Job survives it (issue 10, finding 5): deleting Jobs whose pods were
 * printing and finishing left their log archives behind (written by a worker after the deletion,
 * with no expiry). Here many such Jobs are deleted at random moments, and the fleet's keys are
 * scanned before and after. Real API, workers, janitor, Redis and Docker.
 *
 * Keys with a TTL that may outlive a deletion for a moment: the per-Job sync lease
 * (`<prefix>:synclease:<ns>:<name>`, 10 s) and "sync again" mark (`<prefix>:syncagain:…`, 20 s),
 * set by a sync running at the moment of the deletion; the test waits up to 25 s for them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { JobStore, podNamesPage } from '@jobfleet/store';
import { DockerEngine, LABELS } from '@jobfleet/worker';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';

const docker = new DockerEngine();
const JOBS = 12;
/** Keys that carry a TTL and may outlive a deletion for at most that long. */
const TTL_KEYS = /:sync(lease|again):/;
const SETTLE_MS = 25_000;

function chattyJob(name: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      parallelism: 3,
      completions: 6,
      backoffLimit: 100,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          // ~100 KB of output, then the pod finishes (half of them failing): logs are being
          // streamed and archived around the moment of the deletion.
          containers: [{ name: 'c', image: 'busybox:latest', command: ['sh', '-c', 'seq 1 20000; exit $((RANDOM % 2))'] }],
        },
      },
    },
  } as Job;
}

async function scan(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

describe('no key of a deleted Job is left', () => {
  let fleet: Fleet;
  let redis: Redis;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 2, maxPods: 6 });
    redis = new Redis(fleet.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await fleet?.close();
  });

  /** Every member of the fleet's shared indexes (a name left in one is a leak too). */
  async function indexMembers(): Promise<string[]> {
    const p = fleet.prefix;
    const members = [
      ...(await redis.zrange(`${p}:jobs:default`, 0, -1)),
      ...(await podNamesPage(new JobStore(redis, p), 'default', undefined, 100_000)),
      ...(await redis.zrange(`${p}:events:default`, 0, -1)),
      ...(await redis.zrange(`${p}:ttl`, 0, -1)),
      ...(await redis.hkeys(`${p}:deleting`)),
    ];
    for (const w of fleet.workers) members.push(...(await redis.smembers(`${p}:nodepods:${w.nodeName}`)));
    return members;
  }

  it('deleting Jobs while their pods print and finish leaves no key, index entry, task or container', async () => {
    // A first Job run to its end and deleted creates the keys every fleet keeps (counters, change stream, queues):
    // its active deadline gives it a sync timer, so that the sync queue's keys are made too (a Job without a
    // timer made none, and the first timer of a Job below then made them: keys "left" that belong to no Job).
    const warmup = uniqueName('warmup');
    await fleet.client.createJob({ ...chattyJob(warmup), spec: { ...chattyJob(warmup).spec, parallelism: 1, completions: 1, activeDeadlineSeconds: 3_600 } });
    await fleet.client.waitForCompletion(warmup, { timeoutMs: 60_000 }).catch(() => undefined);
    await fleet.client.deleteJob(warmup);
    await eventually(async () => (await docker.listManaged({ [LABELS.job]: warmup })).length === 0, 30_000, 'the warm-up containers to go');
    await eventually(async () => (await scan(redis, fleet.prefix)).every((k) => !TTL_KEYS.test(k)), SETTLE_MS, 'the warm-up leases to expire');
    const baseline = await scan(redis, fleet.prefix);

    const jobs: { name: string; uid: string }[] = [];
    await Promise.all(
      Array.from({ length: JOBS }, async (_, i) => {
        const name = uniqueName(`leak${i}`);
        const job = await fleet.client.createJob(chattyJob(name));
        jobs.push({ name, uid: job.metadata.uid ?? '' });
        // A random moment: before the pods start, while they print, while they finish and archive.
        await new Promise((r) => setTimeout(r, Math.random() * 6_000));
        await fleet.client.deleteJob(name);
      }),
    );
    await eventually(async () => (await docker.listManaged({ [LABELS.node]: fleet.workers[0]?.nodeName ?? '' })).length + (await docker.listManaged({ [LABELS.node]: fleet.workers[1]?.nodeName ?? '' })).length === 0, 60_000, 'every container to go');

    const mentions = (text: string) => jobs.some((j) => text.includes(j.uid) || text.includes(j.name));
    const started = Date.now();
    let left: string[] = [];
    let count = 0;
    for (;;) {
      const keys = await scan(redis, fleet.prefix);
      left = [...keys.filter(mentions), ...(await indexMembers()).filter(mentions).map((m) => `(index member) ${m}`)];
      count = keys.length;
      if ((left.length === 0 && count === baseline.length) || Date.now() - started > SETTLE_MS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const added = (await scan(redis, fleet.prefix)).filter((k) => !baseline.includes(k));
    console.log(`leaks: ${JOBS} Jobs deleted; settled in ${Date.now() - started} ms; ${baseline.length} keys before, ${count} after; left: ${JSON.stringify(left.slice(0, 10))}; new keys: ${JSON.stringify(added.slice(0, 10))}`);
    expect(left).toStrictEqual([]);
    expect(added).toStrictEqual([]);
    expect(count).toBe(baseline.length);
  });
});
