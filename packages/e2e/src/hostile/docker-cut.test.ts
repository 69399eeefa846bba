/**
 * The Docker Engine goes away under running pods (issue 10, finding 6b). Pods used to stay
 * Running forever after their containers exited, and SIGTERM never finished draining. Now a pod
 * whose engine stops answering is kept: when the engine answers again the worker reads what the
 * containers did meanwhile and reports it; past the outage budget (JOBFLEET_DOCKER_OUTAGE_MS) the
 * pod fails with ContainerStatusUnknown; SIGTERM ends within its drain timeout plus a small margin
 * whatever the engine does, leaving what it could not settle, labelled, to the next worker of its
 * name. Also (finding 7): a worker whose engine does not answer at start fails at once and leaves
 * no connection to Redis open.
 * Real Redis, API and Docker; each worker is an OS process talking to Docker through a unix-socket
 * proxy that the test cuts (connections dropped) or freezes (nothing answered: a hung engine).
 */
import { Redis } from 'ioredis';
import Docker from 'dockerode';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';
import { startScratchRedis } from '@jobfleet/store';
import { DockerEngine, startWorker } from '@jobfleet/worker';
import { testRedis, uniqueName } from '../harness.js';
import { eventually } from '../timing.js';
import { containersOf, dockerProxy, removeContainersOf, shellJob, spawnWorker, type DockerProxy, type WorkerProcess } from './worker-processes.js';

let redisUrl: string;
/** Each test has its own key prefix, API and worker: a pod can only land on the worker the test cuts off. */
let prefix = '';
let client: JobfleetClient;
const apis: RunningApi[] = [];
const proxies: DockerProxy[] = [];
const workers: WorkerProcess[] = [];
const DRAIN_MS = 2_000;

beforeAll(async () => {
  redisUrl = (await testRedis()).url;
});

beforeEach(async () => {
  prefix = `cut${Math.random().toString(36).slice(2, 8)}`;
  const api = await startApi({ redisUrl, port: 0, prefix });
  apis.push(api);
  client = new JobfleetClient({ server: api.url });
});

afterAll(async () => {
  for (const p of proxies) await p.restore();
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await Promise.all(apis.map((a) => a.close()));
  for (const w of workers) await removeContainersOf(w.nodeName);
  for (const p of proxies) await p.close();
});

async function workerBehindProxy(node: string, options: Record<string, unknown>): Promise<{ worker: WorkerProcess; proxy: DockerProxy }> {
  const proxy = await dockerProxy();
  proxies.push(proxy);
  const worker = await spawnWorker({ redisUrl, prefix, nodeName: node, heartbeatMs: 500, drainTimeoutMs: DRAIN_MS, ...options }, { DOCKER_HOST: proxy.dockerHost });
  workers.push(worker);
  return { worker, proxy };
}

async function runningPod(job: string): Promise<Pod> {
  return eventually(async () => (await client.listPods({ jobName: job })).find((p) => p.status.phase === 'Running'), 60_000, `a running pod of ${job}`);
}

const pod = async (job: string): Promise<Pod | undefined> => (await client.listPods({ jobName: job }))[0];

/** The app containers of a node, read from the real engine (not through the proxy). */
async function allExited(node: string, count: number): Promise<boolean> {
  const containers = (await containersOf(node)).filter((c) => !(c as { Labels?: Record<string, string> }).Labels?.['io.jobfleet.container']?.startsWith('POD'));
  return containers.length === count && containers.every((c) => c.State === 'exited');
}

describe('a Docker outage under running pods', () => {
  it('keeps the pods while the engine is gone, then reports what the containers did meanwhile', async () => {
    const node = `${prefix}-back`;
    const { proxy } = await workerBehindProxy(node, { dockerTimeoutMs: 2_000, dockerOutageMs: 60_000 });
    const ok = uniqueName('ok');
    const bad = uniqueName('bad');
    await client.createJob(shellJob(ok, 'sleep 3; echo done'));
    await client.createJob(shellJob(bad, 'sleep 3; exit 3'));
    await runningPod(ok);
    await runningPod(bad);
    await proxy.cut();
    const cutAt = Date.now();
    await eventually(() => allExited(node, 2), 30_000, 'both containers to exit while the engine is cut off');
    // Both exited during the outage: the worker cannot know yet, and keeps the pods as they were.
    expect([(await pod(ok))?.status.phase, (await pod(bad))?.status.phase]).toEqual(['Running', 'Running']);
    await proxy.restore();
    const okPod = await eventually(async () => ((await pod(ok))?.status.phase === 'Succeeded' ? pod(ok) : undefined), 30_000, 'the exit-0 pod to succeed');
    const badPod = await eventually(async () => ((await pod(bad))?.status.phase === 'Failed' ? pod(bad) : undefined), 30_000, 'the exit-3 pod to fail');
    console.log(`outage of ${Date.now() - cutAt} ms: pods reported once the engine answered again`);
    expect(okPod?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(badPod?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(badPod?.status.reason).toBeUndefined();
    expect((await client.waitForCompletion(ok, { timeoutMs: 30_000 })).status).toMatchObject({ succeeded: 1 });
    expect((await client.getJob(bad)).status?.failed).toBe(1);
    await eventually(async () => (await containersOf(node)).length === 0, 30_000, 'the containers to be removed');
  });

  it('ends the pods with ContainerStatusUnknown when a hung engine does not answer within the outage budget', async () => {
    const node = `${prefix}-lost`;
    const outageMs = 3_000;
    const { proxy } = await workerBehindProxy(node, { dockerTimeoutMs: 1_000, dockerOutageMs: outageMs });
    const name = uniqueName('lost');
    await client.createJob(shellJob(name, 'sleep 60'));
    await runningPod(name);
    proxy.freeze();
    const frozenAt = Date.now();
    const failed = await eventually(async () => ((await pod(name))?.status.phase === 'Failed' ? pod(name) : undefined), 30_000, 'the pod to fail');
    const took = Date.now() - frozenAt;
    console.log(`hung engine: pod failed ${took} ms after the freeze (poll 2 s + timeout 1 s + budget ${outageMs} ms)`);
    expect(took).toBeGreaterThanOrEqual(outageMs);
    expect(failed?.status.reason).toBe('ContainerStatusUnknown');
    expect(failed?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
    expect((await client.waitForCondition(name, { type: 'Failed' })).status?.failed).toBe(1);
    // The container could not be removed: it stays, labelled, until the engine answers and the sweep removes it.
    expect((await containersOf(node)).length).toBe(1);
    await proxy.restore();
    await eventually(async () => (await containersOf(node)).length === 0, 30_000, 'the sweep to remove the leftover');
  });

  it('lets SIGTERM end the worker within its drain timeout on a hung engine; the next worker of the name reports the exit', async () => {
    const node = `${prefix}-term`;
    const { worker, proxy } = await workerBehindProxy(node, { dockerTimeoutMs: 1_000, dockerOutageMs: 60_000 });
    const name = uniqueName('term');
    await client.createJob(shellJob(name, 'sleep 4'));
    await runningPod(name);
    proxy.freeze();
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const code = await Promise.race([worker.exited, new Promise<string>((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    const took = Date.now() - signalledAt;
    console.log(`SIGTERM on a hung engine: exited ${code} after ${took} ms (drain ${DRAIN_MS} ms)`);
    expect(code).toBe(0);
    expect(took).toBeLessThan(DRAIN_MS + 5_000 + 3_000);
    // Abandoned, not reported: the pod is still this node's, and its container still there.
    expect((await pod(name))?.status.phase).toBe('Running');
    await eventually(() => allExited(node, 1), 30_000, 'the container to exit');
    await proxy.restore();
    workers.push(await spawnWorker({ redisUrl, prefix, nodeName: node, heartbeatMs: 500, drainTimeoutMs: DRAIN_MS }, { DOCKER_HOST: proxy.dockerHost }));
    const done = await client.waitForCompletion(name, { timeoutMs: 30_000 });
    expect(done.status).toMatchObject({ succeeded: 1 });
    expect((await pod(name))?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});

describe('a worker whose Docker Engine does not answer at start', () => {
  it('fails at once and leaves no Redis connection open', async () => {
    const redis = await startScratchRedis();
    const probe = new Redis(redis.url);
    try {
      const clients = async () => String(await probe.client('LIST')).trim().split('\n').length;
      const before = await clients();
      const started = Date.now();
      const engine = new DockerEngine(new Docker({ socketPath: '/nonexistent/docker.sock' }));
      const err = await startWorker({ redisUrl: redis.url, nodeName: 'no-docker', docker: engine }).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toMatch(/the Docker Engine does not answer/);
      expect(Date.now() - started).toBeLessThan(15_000); // at once, not after retrying for ever
      await new Promise((r) => setTimeout(r, 500));
      expect(await clients()).toBe(before);
    } finally {
      probe.disconnect();
      await redis.stop();
    }
  });
});
