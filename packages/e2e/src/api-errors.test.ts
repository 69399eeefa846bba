/**
 * Error answers of the HTTP API: Kubernetes Status objects with the right code and reason, and a
 * rejected request writes nothing to Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataKeys, startFleet, uniqueName, type Fleet } from './harness.js';

let fleet: Fleet;
let redis: Redis;

beforeAll(async () => {
  fleet = await startFleet({ workers: 0, janitor: false });
  redis = new Redis(fleet.redisUrl);
});
afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
});

const jobsUrl = (ns = 'default') => `${fleet.api.url}/apis/batch/v1/namespaces/${ns}/jobs`;

/** The fleet's keys, sorted: a request that writes nothing leaves them as they were (a diff names the key). */
async function keySet(): Promise<string[]> {
  return (await dataKeys(redis, fleet.prefix)).sort();
}

async function post(body: string, contentType = 'application/json') {
  const res = await fetch(jobsUrl(), { method: 'POST', body, headers: { 'content-type': contentType } });
  return { code: res.status, body: (await res.json()) as Record<string, any> };
}

const validJob = (name: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } },
});

describe('API errors', () => {
  it('answers 422 Invalid with every invalid field in details.causes, and writes nothing', async () => {
    const before = await keySet();
    const bad = { ...validJob('bad-job'), spec: { completions: -1, parallelism: -2, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
    const { code, body } = await post(JSON.stringify(bad));
    expect(code).toBe(422);
    expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'bad-job', group: 'batch', kind: 'Job' } });
    const fields = (body.details.causes as { field: string }[]).map((c) => c.field).sort();
    expect(fields).toEqual(['spec.completions', 'spec.parallelism', 'spec.template.spec.restartPolicy']);
    expect(body.message).toContain('Job.batch "bad-job" is invalid: [');
    expect(body.message).toContain('spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
    expect(await keySet()).toEqual(before);
  });

  it('rejects restartPolicy Always exactly as Kubernetes does', async () => {
    const always = validJob('always');
    always.spec.template.spec.restartPolicy = 'Always';
    const { code, body } = await post(JSON.stringify(always));
    expect(code).toBe(422);
    expect(body.message).toBe('Job.batch "always" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
    expect(body.details.causes).toEqual([{ reason: 'FieldValueRequired', message: 'Required value: valid values: "OnFailure", "Never"', field: 'spec.template.spec.restartPolicy' }]);
  });

  it('answers 400 BadRequest for an unreadable body', async () => {
    const before = await keySet();
    const { code, body } = await post('{"apiVersion": "batch/v1", kind: [', 'application/json');
    expect(code).toBe(400);
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect(await keySet()).toEqual(before);
  });

  it('accepts YAML bodies', async () => {
    const name = uniqueName('yaml');
    const yaml = `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n`;
    const { code, body } = await post(yaml, 'application/yaml');
    expect(code).toBe(201);
    expect(body.metadata.name).toBe(name);
    expect(body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.spec).toMatchObject({ parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed' });
    expect(body.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': body.metadata.uid } });
  });

  it('answers 409 AlreadyExists for a second Job of the same name, keeping the first', async () => {
    const name = uniqueName('dup');
    expect((await post(JSON.stringify(validJob(name)))).code).toBe(201);
    const first = await fleet.client.getJob(name);
    const { code, body } = await post(JSON.stringify(validJob(name)));
    expect(code).toBe(409);
    expect(body).toMatchObject({ reason: 'AlreadyExists', message: `jobs.batch "${name}" already exists`, details: { name, group: 'batch', kind: 'jobs' } });
    expect((await fleet.client.getJob(name)).metadata.uid).toBe(first.metadata.uid);
  });

  it('answers 404 NotFound for an unknown Job, pod, or log', async () => {
    for (const [url, message] of [
      [`${jobsUrl()}/nope`, 'jobs.batch "nope" not found'],
      [`${fleet.api.url}/api/v1/namespaces/default/pods/nope`, 'pods "nope" not found'],
      [`${fleet.api.url}/api/v1/namespaces/default/pods/nope/log`, 'pods "nope" not found'],
    ] as const) {
      const res = await fetch(url);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message });
    }
    const del = await fetch(`${jobsUrl()}/nope`, { method: 'DELETE' });
    expect(del.status).toBe(404);
  });

  it('answers 413 for an oversized body, and writes nothing', async () => {
    const before = await keySet();
    const huge = JSON.stringify({ ...validJob('huge'), metadata: { name: 'huge', annotations: { a: 'x'.repeat(4 * 1024 * 1024) } } });
    const { code, body } = await post(huge);
    expect(code).toBe(413);
    expect(body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    expect(await keySet()).toEqual(before);
  });

  it('answers 400 when the body namespace differs from the URL', async () => {
    const job = { ...validJob('nsmismatch'), metadata: { name: 'nsmismatch', namespace: 'other' } };
    const { code, body } = await post(JSON.stringify(job));
    expect(code).toBe(400);
    expect(body.message).toContain('does not match the namespace');
  });

  it('keeps namespaces apart', async () => {
    const name = uniqueName('nsjob');
    const res = await fetch(jobsUrl('team-a'), { method: 'POST', body: JSON.stringify(validJob(name)), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    expect((await fetch(`${jobsUrl('team-a')}/${name}`)).status).toBe(200);
    expect((await fetch(`${jobsUrl('team-b')}/${name}`)).status).toBe(404);
    const list = (await (await fetch(jobsUrl('team-b'))).json()) as { kind: string; items: unknown[] };
    expect(list).toMatchObject({ kind: 'JobList', items: [] });
  });

  it('serves /healthz and /readyz', async () => {
    expect(await (await fetch(`${fleet.api.url}/healthz`)).text()).toBe('ok');
    expect((await fetch(`${fleet.api.url}/readyz`)).status).toBe(200);
  });
});
