/**
 * The API's bearer token (finding 8) against a real API: every near miss of the token is a 401 Status
 * that changes nothing; the right one works; the probes and /version (how `jobfleet run` recognises a
 * jobfleet API, open to all as Kubernetes' system:public-info-viewer) need none. That the comparison
 * takes constant time is proven in packages/api/src/token.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, testRedis, uniqueName, type Fleet } from '../harness.js';

const TOKEN = 'hostile-token-0123456789abcdef';
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ workers: 0, janitor: false, token: TOKEN });
});
afterAll(async () => {
  await fleet?.close();
  await (await testRedis()).stop();
});

function request(path: string, authorization?: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fleet.api.url}${path}`, { ...init, headers: { ...(authorization === undefined ? {} : { authorization }), ...(init.headers as Record<string, string>) } });
}

describe('bearer token', () => {
  it.each([
    { name: 'no header', header: undefined },
    { name: 'the scheme alone', header: 'Bearer ' },
    { name: 'the token without the scheme', header: TOKEN },
    { name: 'a lower-case scheme', header: `bearer ${TOKEN}` },
    { name: 'Basic', header: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    { name: 'all but the last character', header: `Bearer ${TOKEN.slice(0, -1)}` },
    { name: 'the last character changed', header: `Bearer ${TOKEN.slice(0, -1)}X` },
    { name: 'the token and one more character', header: `Bearer ${TOKEN}0` },
    { name: 'two tokens', header: `Bearer ${TOKEN}, Bearer ${TOKEN}` },
    { name: 'an 8 KiB header', header: `Bearer ${'a'.repeat(8_192)}` },
  ])('$name: 401 Unauthorized, as a Status, and the Job is not created', async ({ header }) => {
    const name = uniqueName('tok');
    const body = JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
    const create = await request('/apis/batch/v1/namespaces/default/jobs', header, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(create.status).toBe(401);
    expect(await create.json()).toMatchObject({ kind: 'Status', status: 'Failure', code: 401, reason: 'Unauthorized' });
    const read = await request(`/apis/batch/v1/namespaces/default/jobs/${name}`, `Bearer ${TOKEN}`);
    expect(read.status).toBe(404);
  });

  it('the token itself: 200', async () => {
    expect((await request('/apis/batch/v1/namespaces/default/jobs', `Bearer ${TOKEN}`)).status).toBe(200);
  });

  it('the probes and /version need no token; /version says it is jobfleet', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) expect((await request(path)).status).toBe(200);
    const version = await request('/version');
    expect(version.status).toBe(200);
    expect(await version.json()).toMatchObject({ compiler: 'jobfleet', gitVersion: expect.stringMatching(/-jobfleet\./) as unknown });
    expect((await request('/version/../apis/batch/v1/jobs')).status).toBe(401); // normalised to /apis/…, not /version
    expect((await request('/versionx')).status).toBe(401);
    expect((await request('/apis')).status).toBe(401);
  });
});
