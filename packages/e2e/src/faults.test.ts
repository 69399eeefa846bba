/**
 * The fleet under faults, with every role in its own OS process on one Redis: the API, the
 * janitor and three workers of capacity 2. Workers are killed with SIGKILL and Redis is restarted
 * mid-run; Job counts must stay exact.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { type EmbeddedRedis, freePort, startEmbeddedRedis } from '@jobfleet/store';
import { DockerEngine, LABELS } from '@jobfleet/worker';
import { FAST_DELAYS, startFleet, uniqueName, type Fleet } from './harness.js';
import { startRoleProcess, type RoleProcess } from './processes.js';
import { eventually, maxOverlap, runIntervals } from './timing.js';

const docker = new DockerEngine();
const redisDir = mkdtempSync(join(tmpdir(), 'jobfleet-faults-'));
const prefix = `f${randomUUID().slice(0, 8)}`;
let redis: EmbeddedRedis;
let api: RoleProcess;
let janitor: RoleProcess;
const workers = new Map<string, RoleProcess>();
let client: JobfleetClient;
let apiUrl: string;

Object.assign(process.env, FAST_DELAYS, { JOBFLEET_NODE_GRACE_MS: '3000', JOBFLEET_POD_EVICTION_MS: '8000' });

function workerOptions(nodeName: string) {
  return { redisUrl: redis.url, prefix, nodeName, maxPods: 2, heartbeatMs: 500, drainTimeoutMs: 2_000 };
}

async function startWorkerProcess(nodeName: string): Promise<void> {
  workers.set(nodeName, await startRoleProcess('worker', workerOptions(nodeName)));
}


beforeAll(async () => {
  redis = await startEmbeddedRedis(redisDir, { persistence: true });
  const port = await freePort();
  api = await startRoleProcess('api', { redisUrl: redis.url, prefix, port, host: '127.0.0.1' });
  apiUrl = `http://127.0.0.1:${port}`;
  janitor = await startRoleProcess('janitor', { redisUrl: redis.url, prefix, pollMs: 100, nodeCheckMs: 250 });
  for (const n of ['w1', 'w2', 'w3']) await startWorkerProcess(`${prefix}-${n}`);
  client = new JobfleetClient({ server: apiUrl });
});

afterAll(async () => {
  for (const w of workers.values()) await w.kill('SIGTERM');
  await janitor?.kill('SIGTERM');
  await api?.kill('SIGTERM');
  await redis?.stop();
});

function sleeper(name: string, spec: Record<string, unknown>, seconds: number): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 20,
      ...spec,
      template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `echo start; sleep ${seconds}; echo end`] }] } },
    },
  } as Job;
}

describe('the fleet under faults', () => {
  it('never runs more than parallelism pods of a Job across three workers, and spreads them', async () => {
    const name = uniqueName('spread');
    await client.createJob(sleeper(name, { parallelism: 4, completions: 8 }, 2));
    const done = await client.waitForCompletion(name, { timeoutMs: 120_000 });
    expect(done.status).toMatchObject({ succeeded: 8, active: 0 });
    const pods = await client.listPods({ jobName: name });
    expect(pods).toHaveLength(8);
    expect(maxOverlap(await runIntervals(client, pods))).toBe(4);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBeGreaterThanOrEqual(2);
  });

  it('completes with exactly `completions` successes when a worker is killed mid-run, and its leftovers go', async () => {
    const name = uniqueName('sigkill');
    await client.createJob(sleeper(name, { parallelism: 3, completions: 6 }, 3));
    let victim = '';
    await eventually(async () => {
      const running = (await client.listPods({ jobName: name })).filter((p) => p.status.phase === 'Running' && p.spec.nodeName);
      victim = running[0]?.spec.nodeName ?? '';
      return victim !== '';
    }, 60_000, 'a running pod');
    await workers.get(victim)?.kill('SIGKILL');
    const leftovers = await docker.listManaged({ [LABELS.node]: victim, [LABELS.job]: name });
    expect(leftovers.length).toBeGreaterThan(0);
    await startWorkerProcess(victim);
    const done = await client.waitForCompletion(name, { timeoutMs: 120_000 });
    expect(done.status?.succeeded).toBe(6);
    const pods = await client.listPods({ jobName: name });
    // A leftover that exited before the restart is reported as it ended, one still running fails: every pod counted once.
    expect(pods).toHaveLength(6 + (done.status?.failed ?? 0));
    expect(pods.filter((p) => p.status.phase === 'Succeeded')).toHaveLength(6);
    expect(maxOverlap(await runIntervals(client, pods))).toBeLessThanOrEqual(3);
    const stillThere = new Set((await docker.listManaged({ [LABELS.node]: victim })).map((c) => c.Id));
    expect(leftovers.filter((c) => stillThere.has(c.Id))).toEqual([]);
  });

  it('completes with exact counts when Redis restarts mid-run (AOF), answering 503 meanwhile', async () => {
    const name = uniqueName('redis');
    await client.createJob(sleeper(name, { parallelism: 2, completions: 4 }, 2));
    await eventually(async () => (await client.getJob(name)).status?.active === 2, 60_000, 'two active pods');
    const port = redis.port;
    await redis.stop();
    await eventually(async () => (await fetch(`${apiUrl}/readyz`)).status === 503, 10_000, 'readyz to answer 503');
    const during = await fetch(`${apiUrl}/apis/batch/v1/namespaces/default/jobs/${name}`);
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    await new Promise((r) => setTimeout(r, 2_000)); // pods finish while Redis is away
    redis = await startEmbeddedRedis(redisDir, { persistence: true, port });
    await eventually(async () => (await fetch(`${apiUrl}/readyz`)).status === 200, 30_000, 'readyz to recover');
    const done = await client.waitForCompletion(name, { timeoutMs: 120_000 });
    expect(done.status).toMatchObject({ succeeded: 4, active: 0 });
    const pods = await client.listPods({ jobName: name });
    const failures = pods.filter((p) => p.status.phase !== 'Succeeded').map((p) => ({ reason: p.status.reason, message: p.status.message, c: p.status.containerStatuses }));
    expect(failures).toEqual([]);
    expect(done.status?.failed ?? 0).toBe(0);
    expect(pods).toHaveLength(4);
  });

  it('a worker stopped with SIGTERM lets its running pod finish, then exits 0', async () => {
    const node = `${prefix}-drain`;
    const proc = await startRoleProcess('worker', { ...workerOptions(node), drainTimeoutMs: 20_000 });
    const name = uniqueName('drain');
    // More pods than the three other workers have room for (3 × 2), so the draining one gets some.
    await client.createJob(sleeper(name, { parallelism: 8, completions: 8 }, 3));
    await eventually(async () => (await client.listPods({ jobName: name })).some((p) => p.spec.nodeName === node && p.status.phase === 'Running'), 60_000, 'a pod on the draining worker');
    const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
    proc.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const mine = (await client.listPods({ jobName: name })).filter((p) => p.spec.nodeName === node);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.map((p) => [p.status.phase, p.status.reason])).toEqual(mine.map(() => ['Succeeded', undefined]));
    const done = await client.waitForCompletion(name, { timeoutMs: 120_000 });
    expect(done.status).toMatchObject({ succeeded: 8 });
    expect(done.status?.failed ?? 0).toBe(0);
  });
});

describe('a silent worker', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 0 });
  });
  afterAll(async () => fleet?.close());

  it('is declared NotReady; its pod ends as NodeLost and is replaced, counts exact', async () => {
    const node = `${fleet.prefix}-frozen`;
    const frozen = await startRoleProcess('worker', { redisUrl: fleet.redisUrl, prefix: fleet.prefix, nodeName: node, heartbeatMs: 500 });
    const name = uniqueName('silent');
    await fleet.client.createJob(sleeper(name, { completions: 2 }, 3));
    let frozenPod = '';
    await eventually(async () => {
      const pods = await fleet.client.listPods({ jobName: name });
      frozenPod = pods.find((p) => p.spec.nodeName === node && p.status.phase === 'Running')?.metadata.name ?? '';
      return frozenPod !== '';
    }, 60_000, 'a pod running on the worker to freeze');
    frozen.child.kill('SIGSTOP');
    try {
      await fleet.addWorker();
      await eventually(async () => {
        const pod = (await fleet.client.listPods({ jobName: name })).find((p) => p.metadata.name === frozenPod);
        return pod?.status.phase === 'Failed' && pod.status.reason === 'NodeLost';
      }, 30_000, 'the frozen pod to end as NodeLost');
      const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
      expect(done.status).toMatchObject({ succeeded: 2, failed: 1 });
    } finally {
      frozen.child.kill('SIGCONT');
    }
    // Woken up, the worker finds its pod ended by the fleet and removes the container.
    await eventually(async () => (await docker.listManaged({ [LABELS.node]: node })).length === 0, 30_000, 'the woken worker to clean up');
    await frozen.kill('SIGTERM');
  });
});

/** A unix-socket proxy to the Docker Engine that the test can cut and restore: a boundary fake of an outage. */
async function dockerProxy(): Promise<{ socketPath: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const { createServer, connect } = await import('node:net');
  const socketPath = join(mkdtempSync(join(tmpdir(), 'jobfleet-docker-')), 'docker.sock');
  const sockets = new Set<import('node:net').Socket>();
  let server: import('node:net').Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect('/var/run/docker.sock');
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.listen(socketPath, resolve);
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { socketPath, cut, restore: listen, close: cut };
}

describe('a Docker outage on one worker', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 0 });
  });
  afterAll(async () => fleet?.close());

  it('makes the worker NotReady and take no tasks until its engine answers again', async () => {
    const proxy = await dockerProxy();
    const Docker = (await import('dockerode')).default;
    const worker = await fleet.addWorker({ docker: new DockerEngine(new Docker({ socketPath: proxy.socketPath })) });
    try {
      await proxy.cut();
      const redis = new (await import('ioredis')).Redis(fleet.redisUrl);
      const nodeRecord = async () => JSON.parse((await redis.hget(`${fleet.prefix}:nodes`, worker.nodeName)) ?? '{}') as { docker?: boolean };
      await eventually(async () => (await nodeRecord()).docker === false, 10_000, 'the node to report its engine down');
      const name = uniqueName('outage');
      await fleet.client.createJob(sleeper(name, {}, 0));
      await new Promise((r) => setTimeout(r, 2_000));
      const pending = await fleet.client.listPods({ jobName: name });
      expect(pending.map((p) => [p.status.phase, p.spec.nodeName ?? null])).toEqual([['Pending', null]]);
      await proxy.restore();
      const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
      expect(done.status).toMatchObject({ succeeded: 1 });
      expect((await nodeRecord()).docker).toBe(true);
      redis.disconnect();
    } finally {
      await proxy.close();
    }
  });
});
