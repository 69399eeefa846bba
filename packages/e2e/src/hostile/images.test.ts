/**
 * Crafted image names (issue 10, finding 1). An image name used to go as it was into a Docker
 * Engine API path: `busybox/../../../127.0.0.1:PORT/x` made Docker answer a redirect that the
 * worker's Docker client followed to that port, and `…/nonexistent.invalid/x` killed the worker with
 * an uncaught DNS error. The API refuses such names with 422 on the image's path; pods written
 * straight into Redis (no API in the way) reach workers, which must refuse them too — each pod
 * ends Failed with a reason, every worker process stays up and still runs a normal Job, and
 * nothing reaches the port.
 * Real API, Redis and Docker; two workers, each its own OS process.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { Cluster } from '@jobfleet/controllers';
import { testRedis, uniqueName } from '../harness.js';
import { eventually } from '../timing.js';
import { podsOf, removeContainersOf, shellJob, spawnWorker, writeJobToRedis, type WorkerProcess } from './worker-processes.js';

const prefix = `img${Date.now().toString(36)}`;
let api: RunningApi;
let client: JobfleetClient;
let cluster: Cluster;
const workers: WorkerProcess[] = [];
let listener: Server;
let port = 0;
const reached: string[] = [];

beforeAll(async () => {
  listener = createServer((s) => {
    reached.push('connection');
    s.on('data', (d: Buffer) => reached.push(d.toString().split('\r\n')[0] ?? ''));
    s.end();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  const redis = await testRedis();
  api = await startApi({ redisUrl: redis.url, port: 0, prefix });
  client = new JobfleetClient({ server: api.url });
  cluster = new Cluster({ redisUrl: redis.url, prefix });
  for (const n of ['a', 'b']) workers.push(await spawnWorker({ redisUrl: redis.url, prefix, nodeName: `${prefix}-${n}`, heartbeatMs: 500, drainTimeoutMs: 2_000 }));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await cluster?.close();
  await api?.close();
  await new Promise((resolve) => listener?.close(resolve));
  for (const w of workers) await removeContainersOf(w.nodeName);
});

/** Every kind of name the grammar refuses; `PORT` is the listener that must hear nothing. */
const crafted = (): [string, string][] => [
  ['traversal to a host:port', `busybox/../../../127.0.0.1:${port}/x`],
  ['traversal to a host that does not resolve', 'busybox/../../../nonexistent.invalid/x'],
  ['traversal, URL-encoded', 'busybox/%2e%2e/%2e%2e/x'],
  ['very long', `busybox/${'a'.repeat(400)}`],
  ['odd characters', 'busybox;rm -rf /'],
  ['a query', 'busybox?fromImage=evil'],
  ['uppercase', 'BusyBox'],
  ['a NUL byte', 'busybox\u0000:latest'],
  ['a newline', 'busybox\nHost: evil'],
];

function job(name: string, image: string): Job {
  const j = shellJob(name, 'echo hi');
  j.spec.template.spec.containers[0]!.image = image;
  return j;
}

describe('crafted image names', () => {
  it('get 422 from the API on the image field path, and nothing is written', async () => {
    for (const [what, image] of crafted()) {
      const name = uniqueName('img');
      const res = await fetch(`${api.url}/apis/batch/v1/namespaces/default/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job(name, image)) });
      const body = (await res.json()) as { code: number; reason: string; details?: { causes?: { field?: string }[] } };
      expect({ what, code: res.status, reason: body.reason }).toEqual({ what, code: 422, reason: 'Invalid' });
      expect(body.details?.causes?.map((c) => c.field)).toContain('spec.template.spec.containers[0].image');
      expect((await fetch(`${api.url}/apis/batch/v1/namespaces/default/jobs/${name}`)).status).toBe(404);
    }
  });

  it('written straight into Redis, each fail their pod with a reason; every worker stays up and nothing reaches the port', async () => {
    const jobs = await Promise.all(crafted().map(async ([what, image]) => ({ what, image, job: await writeJobToRedis(cluster, job(uniqueName('raw'), image)) })));
    for (const { what, image, job: j } of jobs) {
      const pod = await eventually(async () => (await podsOf(cluster, j)).find((p) => p.status.phase === 'Failed'), 30_000, `the pod of "${what}" to fail`);
      expect({ what, reason: pod.status.reason }).toEqual({ what, reason: 'InvalidImageName' });
      expect(pod.status.message).toMatch(/^Pod was rejected: spec\.containers\[0\]\.image: Invalid value: /);
      expect(pod.status.containerStatuses?.[0]?.state.waiting?.reason).toBe('InvalidImageName');
      expect(pod.spec.nodeName === workers[0]?.nodeName || pod.spec.nodeName === workers[1]?.nodeName).toBe(true);
      expect(image.length).toBeGreaterThan(0);
    }
    // A redirect that was followed, or a crash, would show by now (the last pod failed after every claim).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(reached).toEqual([]);
    expect(workers.map((w) => [w.nodeName, w.alive(), w.stderr()])).toEqual(workers.map((w) => [w.nodeName, true, '']));
  });

  it('leaves both worker processes able to run a normal Job', async () => {
    const name = uniqueName('after');
    await client.createJob(shellJob(name, 'echo still here', { completions: 4, parallelism: 4 }));
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status).toMatchObject({ succeeded: 4 });
    expect(workers.every((w) => w.alive())).toBe(true);
  });
});
