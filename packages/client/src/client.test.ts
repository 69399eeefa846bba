import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, jobAt, sendJson, type FakeApiServer } from './__tests__/fake-api-server.js';
import { JobfleetClient } from './client.js';

describe('JobfleetClient requests', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());

  it('createJob parses YAML text and posts JSON to the manifest namespace', async () => {
    server = await fakeApiServer((request, response) => sendJson(response, 201, JSON.parse(request.body)));
    const client = new JobfleetClient({ server: server.url });
    const created = await client.createJob('apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi, namespace: team}\nspec: {template: {spec: {containers: []}}}\n');
    expect(created.metadata.name).toBe('pi');
    expect(server.requests[0]?.method).toBe('POST');
    expect(server.requests[0]?.url.pathname).toBe('/apis/batch/v1/namespaces/team/jobs');
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('createJob refuses text with several documents', async () => {
    const client = new JobfleetClient({ server: 'http://127.0.0.1:9' });
    await expect(client.createJob('kind: Job\n---\nkind: Job\n')).rejects.toThrow('exactly one Job');
  });

  it('deleteJob sends DeleteOptions with Background propagation by default', async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 200, { kind: 'Status', status: 'Success' }));
    await new JobfleetClient({ server: server.url, namespace: 'ns1' }).deleteJob('pi', { gracePeriodSeconds: 0 });
    expect(server.requests[0]?.method).toBe('DELETE');
    expect(server.requests[0]?.url.pathname).toBe('/apis/batch/v1/namespaces/ns1/jobs/pi');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', gracePeriodSeconds: 0 });
  });

  it('listJobs follows continue tokens', async () => {
    server = await fakeApiServer((request, response) => {
      const page = request.url.searchParams.get('continue');
      sendJson(response, 200, page ? { items: [jobAt('2')], metadata: {} } : { items: [jobAt('1')], metadata: { continue: 'next' } });
    });
    const jobs = await new JobfleetClient({ server: server.url }).listJobs({ labelSelector: 'app=x' });
    expect(jobs.map((j) => j.metadata.resourceVersion)).toEqual(['1', '2']);
    expect(server.requests.map((r) => r.url.searchParams.get('labelSelector'))).toEqual(['app=x', 'app=x']);
    expect(server.requests[0]?.url.searchParams.get('limit')).toBe('500');
  });

  it("listPods({ jobName }) selects the Job's pods by its controller-uid", async () => {
    server = await fakeApiServer((request, response) => {
      if (request.url.pathname.endsWith('/jobs/pi')) return sendJson(response, 200, jobAt('1'));
      sendJson(response, 200, { items: [] });
    });
    await new JobfleetClient({ server: server.url }).listPods({ jobName: 'pi' });
    expect(server.requests[1]?.url.pathname).toBe('/api/v1/namespaces/default/pods');
    expect(server.requests[1]?.url.searchParams.get('labelSelector')).toBe('batch.kubernetes.io/controller-uid=uid-1');
  });

  it('logs passes container, tailLines and timestamps', async () => {
    server = await fakeApiServer((_, response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('hello\n');
    });
    const text = await new JobfleetClient({ server: server.url }).logs('pi-abcde', { container: 'c', tailLines: 5, timestamps: true });
    expect(text).toBe('hello\n');
    expect(server.requests[0]?.url.pathname).toBe('/api/v1/namespaces/default/pods/pi-abcde/log');
    expect(Object.fromEntries(server.requests[0]?.url.searchParams ?? [])).toEqual({ container: 'c', tailLines: '5', timestamps: 'true' });
  });

  it('streamLogs follows and yields lines split across chunks', async () => {
    server = await fakeApiServer(async (_, response) => {
      response.write('first li');
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.end('ne\nsecond\n');
    });
    const lines: string[] = [];
    for await (const line of new JobfleetClient({ server: server.url }).streamLogs('pi-abcde')) lines.push(line);
    expect(lines).toEqual(['first line', 'second']);
    expect(server.requests[0]?.url.searchParams.get('follow')).toBe('true');
  });

  it('health reports /healthz and /readyz', async () => {
    server = await fakeApiServer((request, response) => {
      response.writeHead(request.url.pathname === '/healthz' ? 200 : 503);
      response.end('x');
    });
    expect(await new JobfleetClient({ server: server.url }).health()).toEqual({ live: true, ready: false });
  });

  it('reads JOBFLEET_SERVER and JOBFLEET_TOKEN when not given', () => {
    const saved = { server: process.env.JOBFLEET_SERVER, token: process.env.JOBFLEET_TOKEN };
    process.env.JOBFLEET_SERVER = 'http://example.test:1234/';
    try {
      expect(new JobfleetClient().server).toBe('http://example.test:1234');
      delete process.env.JOBFLEET_SERVER;
      expect(new JobfleetClient().server).toBe('http://127.0.0.1:8080');
    } finally {
      if (saved.server === undefined) delete process.env.JOBFLEET_SERVER;
      else process.env.JOBFLEET_SERVER = saved.server;
    }
  });
});
