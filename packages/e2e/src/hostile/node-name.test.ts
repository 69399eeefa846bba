/**
 * Duplicate node names (issue 10, finding 6c). Two workers started with one --node-name used to
 * remove each other's containers (each sweeps the containers labelled with its name that it does
 * not run). Now a worker holds its name with a lease in Redis, renewed with its heartbeat: a second
 * worker of a live name refuses to start with one line; a worker killed with SIGKILL and restarted
 * under its name starts within about one lease period (3 heartbeats, 3 s at least); a worker frozen
 * for longer than its lease, whose name another worker took meanwhile, stops by itself when it
 * wakes instead of fighting. Real Redis, API and Docker; workers are OS processes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';
import { testRedis, uniqueName } from '../harness.js';
import { eventually } from '../timing.js';
import { removeContainersOf, shellJob, spawnWorker, type WorkerProcess } from './worker-processes.js';

const HEARTBEAT_MS = 500;
/** nodeLeaseMs(500): three heartbeats, but 3 s at least. */
const LEASE_MS = 3_000;
let redisUrl: string;
/** Each test has its own key prefix and API: its pods go only to its own workers. */
let prefix = '';
let client: JobfleetClient;
const apis: RunningApi[] = [];
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redisUrl = (await testRedis()).url;
});

beforeEach(async () => {
  prefix = `nn${Math.random().toString(36).slice(2, 8)}`;
  const api = await startApi({ redisUrl, port: 0, prefix });
  apis.push(api);
  client = new JobfleetClient({ server: api.url });
});

afterAll(async () => {
  for (const w of workers) if (w.alive()) w.child.kill('SIGCONT');
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await Promise.all(apis.map((a) => a.close()));
  for (const name of new Set(workers.map((w) => w.nodeName))) await removeContainersOf(name);
});

async function worker(nodeName: string, expectFailure = false): Promise<WorkerProcess> {
  const w = await spawnWorker({ redisUrl, prefix, nodeName, heartbeatMs: HEARTBEAT_MS, drainTimeoutMs: 2_000 }, {}, expectFailure);
  workers.push(w);
  return w;
}

async function runningPodOn(job: string, node: string): Promise<Pod> {
  return eventually(async () => (await client.listPods({ jobName: job })).find((p) => p.status.phase === 'Running' && p.spec.nodeName === node), 60_000, `a pod of ${job} running on ${node}`);
}

describe('node names', () => {
  it('refuses a second worker of a live name with one line, leaves the first one\'s pod alone, and lets a SIGKILLed worker restart under its name', async () => {
    const node = `${prefix}-dup`;
    // What starting a worker takes on this machine now: the bounds below are relative to it (shared, noisy machine).
    const baselineAt = Date.now();
    const first = await worker(node);
    const startTook = Date.now() - baselineAt;
    const name = uniqueName('dup');
    await client.createJob(shellJob(name, 'sleep 5'));
    await runningPodOn(name, node);

    const started = Date.now();
    const second = await worker(node, true);
    const refusedAfter = Date.now() - started;
    console.log(`duplicate refused after ${refusedAfter} ms (lease ${LEASE_MS} ms)`);
    expect(second.alive()).toBe(false);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`^error: node name "${node}" is in use by a live worker \\(last heartbeat \\d+\\.\\d s ago\\); choose another --node-name\\n$`));
    // Refused at its first look at the lease, not after waiting for the first worker to go.
    expect(refusedAfter).toBeLessThan(3 * startTook + 3 * LEASE_MS); // CI once: 11.9 s against 11.1 s for 2× (a loaded machine)

    expect(first.alive()).toBe(true);
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status).toMatchObject({ succeeded: 1 });
    expect(done.status?.failed ?? 0).toBe(0);

    await first.kill('SIGKILL');
    const restartedAt = Date.now();
    await worker(node);
    const restartTook = Date.now() - restartedAt;
    console.log(`restart under the name of a SIGKILLed worker took ${restartTook} ms (lease ${LEASE_MS} ms)`);
    // Within about one lease of the kill, beyond what a start takes.
    expect(restartTook).toBeLessThan(2 * startTook + 2 * LEASE_MS);
  });

  it('stops a worker that wakes to find its name taken (frozen longer than its lease), without touching the new holder\'s pods', async () => {
    const node = `${prefix}-frozen`;
    const frozen = await worker(node);
    const before = uniqueName('before');
    await client.createJob(shellJob(before, 'sleep 30'));
    await runningPodOn(before, node);
    frozen.child.kill('SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, LEASE_MS + 500));
      const successor = await worker(node);
      // The successor settled what the frozen worker was running (its container was still running).
      const settled = await eventually(async () => (await client.listPods({ jobName: before })).find((p) => p.status.phase === 'Failed'), 30_000, 'the frozen worker\'s pod to be settled');
      expect(settled.status.reason).toBe('NodeRestarted');
      const after = uniqueName('after');
      await client.createJob(shellJob(after, 'sleep 4'));
      await runningPodOn(after, node);
      frozen.child.kill('SIGCONT');
      const code = await Promise.race([frozen.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
      expect(code).toBe(1);
      expect(frozen.stderr()).toMatch(new RegExp(`^error: node name "${node}" was taken by another worker while this one did not renew it`));
      const done = await client.waitForCompletion(after, { timeoutMs: 60_000 });
      expect(done.status).toMatchObject({ succeeded: 1 });
      expect(done.status?.failed ?? 0).toBe(0);
      expect(successor.alive()).toBe(true);
    } finally {
      frozen.child.kill('SIGCONT');
    }
  });
});
