import { AlreadyExistsError, InternalError, InvalidError, JobfleetError, NotFoundError, UnauthorizedError } from '@jobfleet/kube';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, sendJson, statusBody, type FakeApiServer } from './__tests__/fake-api-server.js';
import { JobfleetClient } from './client.js';
import { ServerUnreachableError } from './errors.js';

describe('error answers become @jobfleet/kube error classes', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());

  const invalid = statusBody(422, 'Invalid', 'Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"', {
    name: 'pi',
    group: 'batch',
    kind: 'Job',
    causes: [{ reason: 'FieldValueRequired', message: 'Required value: valid values: "OnFailure", "Never"', field: 'spec.template.spec.restartPolicy' }],
  });

  it.each([
    { name: '404 Status', code: 404, body: statusBody(404, 'NotFound', 'jobs.batch "pi" not found', { name: 'pi', group: 'batch', kind: 'jobs' }), type: NotFoundError, message: 'jobs.batch "pi" not found' },
    { name: '409 AlreadyExists', code: 409, body: statusBody(409, 'AlreadyExists', 'jobs.batch "pi" already exists', { name: 'pi', group: 'batch', kind: 'jobs' }), type: AlreadyExistsError, message: 'jobs.batch "pi" already exists' },
    { name: '422 Invalid', code: 422, body: invalid, type: InvalidError, message: invalid.message },
    { name: '401 without a Status body', code: 401, body: 'Unauthorized', type: UnauthorizedError, message: 'Unauthorized' },
    { name: '500 with a plain-text body', code: 500, body: 'boom', type: InternalError, message: 'boom' },
    { name: '502 with an empty body', code: 502, body: '', type: JobfleetError, message: 'Bad Gateway' },
  ])('$name', async ({ code, body, type, message }) => {
    server = await fakeApiServer((_, response) => {
      if (typeof body === 'string') {
        response.writeHead(code, { 'Content-Type': 'text/plain' });
        response.end(body);
      } else sendJson(response, code, body);
    });
    const error = await new JobfleetClient({ server: server.url }).getJob('pi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as JobfleetError).message).toBe(message);
    expect((error as JobfleetError).code).toBe(code);
  });

  it('keeps the causes of an Invalid answer', async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 422, invalid));
    const error = (await new JobfleetClient({ server: server.url }).getJob('pi').catch((e: unknown) => e)) as InvalidError;
    expect(error.details?.causes?.[0]?.field).toBe('spec.template.spec.restartPolicy');
    expect(error.details?.kind).toBe('Job');
  });

  it('sends the bearer token and asks for JSON', async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 200, { kind: 'Job' }));
    await new JobfleetClient({ server: server.url, token: 's3cret' }).getJob('pi');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(server.requests[0]?.headers.accept).toBe('application/json');
  });
});

describe('an unreachable server', () => {
  it('rejects with ServerUnreachableError naming the URL and how to start a server', async () => {
    const closed = await fakeApiServer(() => undefined);
    await closed.close(); // nothing listens on that port any more
    const error = await new JobfleetClient({ server: closed.url }).getJob('pi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    expect(error).toBeInstanceOf(JobfleetError);
    expect((error as Error).message).toBe(`cannot reach the jobfleet server at ${closed.url} (connection refused): start one with \`jobfleet up\` or set JOBFLEET_SERVER to its URL`);
  });

  it('lets an abort through unchanged', async () => {
    const server = await fakeApiServer(() => undefined); // never answers
    const error = await new JobfleetClient({ server: server.url }).getJob('pi', { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    await server.close();
  });
});

describe('calls in flight at once', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());

  /** A server that holds every request until released, counting those it holds at once. */
  async function holdingServer() {
    let held: (() => void)[] = [];
    let most = 0;
    const fake = await fakeApiServer(
      (request, response) =>
        new Promise<void>((resolve) => {
          held.push(() => {
            sendJson(response, 200, { kind: 'Job', metadata: { name: request.url.pathname.split('/').pop() } });
            resolve();
          });
          most = Math.max(most, held.length);
        }),
    );
    const release = () => {
      const now = held;
      held = [];
      for (const r of now) r();
    };
    return { fake, release, most: () => most, held: () => held.length };
  }

  it('at most maxRequestsInFlight; the others wait their turn and all are answered', async () => {
    const s = await holdingServer();
    server = s.fake;
    const client = new JobfleetClient({ server: server.url, maxRequestsInFlight: 3 });
    const calls = Promise.all(Array.from({ length: 10 }, (_, i) => client.getJob(`j${i}`)));
    for (let answered = 0; answered < 10; ) {
      await new Promise((r) => setTimeout(r, 20));
      answered += s.held();
      s.release();
    }
    const jobs = await calls;
    expect(jobs.map((j) => j.metadata.name)).toStrictEqual(Array.from({ length: 10 }, (_, i) => `j${i}`));
    expect(s.most()).toBe(3);
    expect(server.requests).toHaveLength(10);
  });

  it('deletes, evictions and whole log reads take their turn too', async () => {
    const s = await holdingServer();
    server = s.fake;
    const client = new JobfleetClient({ server: server.url, maxRequestsInFlight: 2 });
    const calls = Promise.all([client.deleteJob('a'), client.deleteJob('b'), client.evictPod('p'), client.logs('p'), client.logs('q'), client.getJob('c')]);
    for (let answered = 0; answered < 6; ) {
      await new Promise((r) => setTimeout(r, 20));
      answered += s.held();
      s.release();
    }
    await calls;
    expect(s.most()).toBe(2);
    expect(server.requests.map((r) => r.method).sort()).toStrictEqual(['DELETE', 'DELETE', 'GET', 'GET', 'GET', 'POST']);
  });

  it('a call aborted while it waits leaves the line without being sent; a failed call gives its turn back', async () => {
    const s = await holdingServer();
    server = s.fake;
    const client = new JobfleetClient({ server: server.url, maxRequestsInFlight: 1 });
    const first = client.getJob('first');
    const abort = new AbortController();
    const waiting = client.getJob('aborted', { signal: abort.signal }).catch((e: unknown) => e);
    const third = client.getJob('third');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.held()).toBe(1);
    abort.abort();
    expect(((await waiting) as Error).name).toBe('AbortError');
    s.release();
    await first;
    await new Promise((r) => setTimeout(r, 50));
    s.release();
    await third;
    expect(server.requests.map((r) => r.url.pathname.split('/').pop())).toStrictEqual(['first', 'third']);
    // An error answer frees its turn too.
    await server.close();
    server = await fakeApiServer((_, response) => sendJson(response, 404, statusBody(404, 'NotFound', 'jobs.batch "x" not found')));
    const failing = new JobfleetClient({ server: server.url, maxRequestsInFlight: 1 });
    for (let i = 0; i < 3; i++) await expect(failing.getJob('x')).rejects.toBeInstanceOf(NotFoundError);
    expect(() => new JobfleetClient({ maxRequestsInFlight: 0 })).toThrow(/at least 1/);
  });
});
