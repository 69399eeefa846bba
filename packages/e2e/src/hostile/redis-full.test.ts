/**
 * Redis at its maxmemory (noeviction, as jobfleet requires it) refuses every write that needs
 * memory. The API answers such writes with a 503 Status that says what to do, and Retry-After; no
 * role goes down; once memory is freed, Jobs run again.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFleet, testRedis, uniqueName, type Fleet } from '../harness.js';

let fleet: Fleet;
let admin: Redis;

beforeAll(async () => {
  fleet = await startFleet({ workers: 1 });
  admin = new Redis((await testRedis()).url);
});

afterAll(async () => {
  await admin.config('SET', 'maxmemory', '0');
  admin.disconnect();
  await fleet?.close();
});

function job(name: string, pad = 0) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, annotations: { pad: 'x'.repeat(pad) } },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:latest', command: ['true'] }] } } },
  };
}

async function post(body: unknown) {
  const res = await fetch(`${fleet.api.url}/apis/batch/v1/namespaces/default/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, any> };
}

it('answers writes to a full Redis with 503 and what to do, stays up, and runs Jobs again once there is room', async () => {
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
  // Room for a few small writes at most: 200 KB Jobs soon cannot fit.
  await admin.config('SET', 'maxmemory', String(used + 512 * 1024));
  let refused: Awaited<ReturnType<typeof post>> | undefined;
  for (let i = 0; i < 20 && !refused; i++) {
    const answer = await post(job(uniqueName('fill'), 200_000));
    if (answer.status !== 201) refused = answer;
  }
  expect(refused).toMatchObject({ status: 503, retryAfter: '10', body: { kind: 'Status', reason: 'ServiceUnavailable', code: 503 } });
  expect(refused?.body.message).toMatch(/Redis\) is full.*delete finished Jobs/);
  // Reads still work, and every role is still up.
  expect((await fetch(`${fleet.api.url}/apis/batch/v1/namespaces/default/jobs`)).status).toBe(200);
  expect((await fetch(`${fleet.api.url}/healthz`)).status).toBe(200);

  await admin.config('SET', 'maxmemory', '0');
  const name = uniqueName('after');
  expect((await post(job(name))).status).toBe(201);
  const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
  expect(done.status?.succeeded).toBe(1);
});
