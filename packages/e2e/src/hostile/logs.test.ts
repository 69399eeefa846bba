/**
 * Logs are bounded in bytes as Redis stores them (issue 10, finding 3): the per-pod bound used to
 * count the bytes printed while the archive stored JSON-escaped text (a pod printing NUL bytes
 * stored six times its bound), and a Job had no bound at all. Real API, worker, Redis and Docker;
 * the bounds are set small through the environment, as an operator would.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { podLogMemory } from '@jobfleet/testing';

const KIB = 1024;
const POD_MAX = 256 * KIB;
const JOB_MAX = 600 * KIB;
/** MEMORY USAGE also counts each key and a stream's index nodes. */
const KEY_ALLOWANCE = 2 * KIB;

function job(name: string, script: string, pods = 1): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { parallelism: pods, completions: pods, backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:latest', command: ['sh', '-c', script] }] } } },
  } as Job;
}

describe('log bounds', () => {
  let fleet: Fleet;
  let redis: Redis;
  beforeAll(async () => {
    process.env.JOBFLEET_POD_LOG_MAX_BYTES = String(POD_MAX);
    process.env.JOBFLEET_JOB_LOG_MAX_BYTES = String(JOB_MAX);
    fleet = await startFleet({ workers: 1 });
    redis = new Redis(fleet.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await fleet?.close();
  });

  /** MEMORY USAGE of a pod's log (its stream while it runs, its archive in the pod's hash once it ended). */
  const logMemory = (pod: string) => podLogMemory(redis, { pod: `${fleet.prefix}:pod:default:${pod}`, stream: `${fleet.prefix}:log:default:${pod}` });

  async function podsOf(name: string): Promise<string[]> {
    return (await fleet.client.listPods({ jobName: name })).map((p) => p.metadata.name ?? '');
  }

  const cases = [
    { what: 'NUL bytes', script: 'head -c 4000000 /dev/zero', tail: '\0' },
    { what: 'binary garbage', script: 'head -c 3000000 /dev/urandom', tail: undefined },
    // Characters that JSON must escape: the old archive stored each as two bytes.
    { what: 'one very long line of quotes', script: "head -c 3000000 /dev/zero | tr '\\0' '\"'", tail: '"' },
  ];

  it.each(cases)('a pod printing $what stores at most JOBFLEET_POD_LOG_MAX_BYTES', async ({ script, tail }) => {
    const name = uniqueName('printer');
    await fleet.client.createJob(job(name, script));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const [pod = ''] = await podsOf(name);
    const stored = await logMemory(pod);
    const text = await fleet.client.logs(pod);
    console.log(`${script}: MEMORY USAGE of the log ${stored} B (bound ${POD_MAX}); ${text.length} characters served`);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(POD_MAX + KEY_ALLOWANCE);
    // The newest output is what is kept.
    if (tail) expect(text.endsWith(tail.repeat(100))).toBe(true);
    await fleet.client.deleteJob(name);
  });

  it('the pods of a Job together store at most JOBFLEET_JOB_LOG_MAX_BYTES; past it one marker line says output was dropped', async () => {
    const name = uniqueName('budget');
    // 4 pods × 300 KB: twice the Job's budget.
    await fleet.client.createJob(job(name, 'seq 1 50000 | head -c 300000', 4));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const pods = await podsOf(name);
    let stored = 0;
    let marked = 0;
    for (const pod of pods) {
      stored += await logMemory(pod);
      const text = await fleet.client.logs(pod);
      // One marker per gap: output that was kept (its own oldest lines rotated out made room) separates two markers.
      const between = text.split(/[^\n]*log budget of this Job[^\n]*\n?/);
      const markers = between.length - 1;
      expect(between.slice(1, -1).every((kept) => kept.length > 0)).toBe(true);
      marked += markers > 0 ? 1 : 0;
    }
    console.log(`Job of ${pods.length} pods printing 300000 B each: MEMORY USAGE of its logs ${stored} B (budget ${JOB_MAX}); ${marked} pod(s) with the marker`);
    expect(marked).toBeGreaterThanOrEqual(1);
    // The markers (one per pod and gap, ~150 B each) are the only bytes allowed past the budget.
    expect(stored).toBeLessThanOrEqual(JOB_MAX + pods.length * (KEY_ALLOWANCE + 512));
    await fleet.client.deleteJob(name);
  });
});
