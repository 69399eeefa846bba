import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, jobAt, sendJson, type FakeApiServer } from './__tests__/fake-api-server.js';
import { JobfleetClient, resourcePath, TABLE_ACCEPT } from './client.js';

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

  it('getTable asks for a Table as kubectl get does and joins the pages of a list', async () => {
    const columnDefinitions = [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }];
    server = await fakeApiServer((request, response) => {
      const page = request.url.searchParams.get('continue');
      sendJson(response, 200, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: page ? {} : { continue: 'next' }, columnDefinitions, rows: [{ cells: [page ? 'b' : 'a'] }] });
    });
    const table = await new JobfleetClient({ server: server.url }).getTable('jobs', { labelSelector: 'app=x' });
    expect(table.columnDefinitions).toEqual(columnDefinitions);
    expect(table.rows.map((r) => r.cells)).toEqual([['a'], ['b']]);
    expect(server.requests[0]?.headers.accept).toBe(TABLE_ACCEPT);
    expect(server.requests[0]?.headers.accept).toBe('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json');
    expect(server.requests.map((r) => r.url.searchParams.get('labelSelector'))).toEqual(['app=x', 'app=x']);
  });

  it('getTable of one object reads its path; a server that answers no Table is an error', async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 200, jobAt('1')));
    const client = new JobfleetClient({ server: server.url });
    await expect(client.getTable('nodes', { name: 'n1' })).rejects.toThrow('the server did not answer with a Table');
    expect(server.requests[0]?.url.pathname).toBe('/api/v1/nodes/n1');
  });

  it('patchJob sends a JSON merge patch by default, strategic or json patch on request', async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 200, jobAt('2')));
    const client = new JobfleetClient({ server: server.url });
    await client.patchJob('pi', { spec: { parallelism: 2 } });
    await client.patchJob('pi', [{ op: 'replace', path: '/spec/parallelism', value: 3 }], { type: 'json', namespace: 'team' });
    expect(server.requests.map((r) => [r.method, r.url.pathname, r.headers['content-type']])).toEqual([
      ['PATCH', '/apis/batch/v1/namespaces/default/jobs/pi', 'application/merge-patch+json'],
      ['PATCH', '/apis/batch/v1/namespaces/team/jobs/pi', 'application/json-patch+json'],
    ]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ spec: { parallelism: 2 } });
  });

  it("jobEvents selects the Job's events by name, namespace, kind and uid as kubectl describe", async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 200, { items: [{ reason: 'SuccessfulCreate' }] }));
    const events = await new JobfleetClient({ server: server.url }).jobEvents(jobAt('1'));
    expect(events).toEqual([{ reason: 'SuccessfulCreate' }]);
    expect(server.requests[0]?.url.pathname).toBe('/api/v1/namespaces/default/events');
    expect(server.requests[0]?.url.searchParams.get('fieldSelector')).toBe('involvedObject.name=pi,involvedObject.namespace=default,involvedObject.kind=Job,involvedObject.uid=uid-1');
  });

  it.each([
    { resource: 'jobs', want: '/apis/batch/v1/namespaces/ns/jobs/x' },
    { resource: 'events', want: '/api/v1/namespaces/ns/events/x' },
    { resource: 'namespaces', want: '/api/v1/namespaces/x' },
    { resource: 'nodes', want: '/api/v1/nodes/x' },
  ] as const)('resourcePath($resource)', ({ resource, want }) => {
    expect(resourcePath(resource, 'ns', 'x')).toBe(want);
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
