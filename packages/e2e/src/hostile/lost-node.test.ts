/**
 * Exits on a lost node (issue 10, finding 6d). Pods on a node that went silent and came back, or on
 * a worker killed and restarted, used to end as Failed even when their containers had exited 0:
 * any stop request turned a pod into Failed, and a restarted worker failed its leftovers without
 * reading what Docker recorded. Now the recorded exit decides, as in the kubelet: a node back
 * before eviction takes its pods back (they run on and count as they end), and a restarted worker
 * reports the exit of every leftover container that exited (still-running ones are killed: the
 * pod ends NodeRestarted). Real Redis, API, janitor (node monitor) and Docker; the worker is an OS
 * process, frozen with SIGSTOP or killed with SIGKILL; node timings are shortened.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import { startJanitor, type RunningJanitor } from '@jobfleet/janitor';
import type { Pod } from '@jobfleet/kube';
import { testRedis, uniqueName } from '../harness.js';
import { eventually } from '../timing.js';
import { containersOf, removeContainersOf, shellJob, spawnWorker, type WorkerProcess } from './worker-processes.js';

const GRACE_MS = 3_000;
const EVICTION_MS = 8_000;
Object.assign(process.env, { JOBFLEET_NODE_GRACE_MS: String(GRACE_MS), JOBFLEET_POD_EVICTION_MS: String(EVICTION_MS) });

let redisUrl: string;
let prefix = '';
let client: JobfleetClient;
const apis: RunningApi[] = [];
const janitors: RunningJanitor[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redisUrl = (await testRedis()).url;
});

beforeEach(async () => {
  prefix = `ln${Math.random().toString(36).slice(2, 8)}`;
  const api = await startApi({ redisUrl, port: 0, prefix, nodeGraceMs: GRACE_MS });
  apis.push(api);
  janitors.push(await startJanitor({ redisUrl, prefix, pollMs: 100, nodeCheckMs: 250, nodeTimings: { graceMs: GRACE_MS, evictionMs: EVICTION_MS } }));
  client = new JobfleetClient({ server: api.url });
});

afterAll(async () => {
  for (const w of workers) if (w.alive()) w.child.kill('SIGCONT');
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await Promise.all(janitors.map((j) => j.close()));
  await Promise.all(apis.map((a) => a.close()));
  for (const name of new Set(workers.map((w) => w.nodeName))) await removeContainersOf(name);
});

async function worker(nodeName: string): Promise<WorkerProcess> {
  const w = await spawnWorker({ redisUrl, prefix, nodeName, heartbeatMs: 500, drainTimeoutMs: 2_000 });
  workers.push(w);
  return w;
}

const podOf = async (job: string): Promise<Pod | undefined> => (await client.listPods({ jobName: job }))[0];
const running = async (job: string) => eventually(async () => ((await podOf(job))?.status.phase === 'Running' ? true : undefined), 60_000, `${job} to run`);

/** Whether the node's container of a Job has exited, read from Docker itself. */
async function exited(node: string, job: string): Promise<boolean> {
  const c = (await containersOf(node)).find((x) => (x as { Labels?: Record<string, string> }).Labels?.['io.jobfleet.job'] === job);
  return c?.State === 'exited';
}

describe('a node that was lost', () => {
  it('back before eviction: its pods run on, and count as their containers ended (exit 0 → succeeded)', async () => {
    const node = `${prefix}-frozen`;
    const w = await worker(node);
    const short = uniqueName('short');
    const long = uniqueName('long');
    await client.createJob(shellJob(short, 'sleep 2'));
    await client.createJob(shellJob(long, 'sleep 9'));
    await running(short);
    await running(long);
    w.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    try {
      // The node monitor marks the pods lost (terminating) after the grace period; the short one's container exits meanwhile.
      await eventually(async () => (await podOf(long))?.status.reason === 'NodeLost' && (await podOf(short))?.metadata.deletionTimestamp !== undefined, 20_000, 'the pods to be marked lost');
      await eventually(() => exited(node, short), 20_000, 'the short container to exit');
      console.log(`woken ${Date.now() - frozenAt} ms after the freeze (grace ${GRACE_MS} ms, self-fence at ${GRACE_MS + EVICTION_MS / 2} ms, eviction at ${GRACE_MS + EVICTION_MS} ms)`);
    } finally {
      w.child.kill('SIGCONT');
    }
    const shortDone = await client.waitForCompletion(short, { timeoutMs: 30_000 });
    expect(shortDone.status).toMatchObject({ succeeded: 1 });
    expect(shortDone.status?.failed ?? 0).toBe(0);
    const longDone = await client.waitForCompletion(long, { timeoutMs: 30_000 });
    expect(longDone.status).toMatchObject({ succeeded: 1 });
    expect(longDone.status?.failed ?? 0).toBe(0);
    const pods = await client.listPods({ jobName: long });
    expect(pods.map((p) => [p.status.phase, p.metadata.deletionTimestamp, p.status.containerStatuses?.[0]?.state.terminated?.exitCode])).toEqual([['Succeeded', undefined, 0]]);
  });

  it('a worker killed and restarted reports the recorded exits of its leftovers (0 → Succeeded, 3 → Failed with 3) and kills what still runs', async () => {
    const node = `${prefix}-killed`;
    const w = await worker(node);
    const ok = uniqueName('ok');
    const bad = uniqueName('bad');
    const slow = uniqueName('slow');
    await client.createJob(shellJob(ok, 'sleep 1'));
    await client.createJob(shellJob(bad, 'sleep 1; exit 3'));
    await client.createJob(shellJob(slow, 'sleep 60'));
    for (const j of [ok, bad, slow]) await running(j);
    await w.kill('SIGKILL');
    await eventually(async () => (await exited(node, ok)) && (await exited(node, bad)), 20_000, 'the short containers to exit');
    await worker(node);
    const okPod = await eventually(async () => ((await podOf(ok))?.status.phase === 'Succeeded' ? podOf(ok) : undefined), 30_000, 'the exit-0 pod to succeed');
    expect(okPod?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const badPod = await eventually(async () => ((await podOf(bad))?.status.phase === 'Failed' ? podOf(bad) : undefined), 30_000, 'the exit-3 pod to fail');
    expect([badPod?.status.reason, badPod?.status.containerStatuses?.[0]?.state.terminated?.exitCode, badPod?.status.containerStatuses?.[0]?.state.terminated?.reason]).toEqual([undefined, 3, 'Error']);
    const slowPod = await eventually(async () => ((await podOf(slow))?.status.phase === 'Failed' ? podOf(slow) : undefined), 30_000, 'the still-running pod to end');
    expect([slowPod?.status.reason, slowPod?.status.containerStatuses?.[0]?.state.terminated?.exitCode]).toEqual(['NodeRestarted', 137]);
    expect((await client.waitForCompletion(ok, { timeoutMs: 30_000 })).status).toMatchObject({ succeeded: 1 });
    expect((await containersOf(node)).length).toBe(0);
  });
});
