import { NotFoundError, type Job } from '@jobfleet/kube';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { delay, fakeApiServer, jobAt, sendJson, statusBody, watchLine, type FakeApiServer, type FakeRequest } from './__tests__/fake-api-server.js';
import { JobfleetClient } from './client.js';
import { JobFailedError, WaitTimeoutError } from './errors.js';

type WatchScript = (response: ServerResponse, request: FakeRequest) => unknown;

/**
 * Serves GET /jobs/pi from `gets` (last one repeats) and the n-th watch request with `watches[n]`
 * (after the last script, watches hang until the test ends).
 */
async function serve(gets: (Job | 'notfound')[], watches: WatchScript[]): Promise<FakeApiServer> {
  let getCount = 0;
  let watchCount = 0;
  return fakeApiServer(async (request, response) => {
    if (request.url.searchParams.get('watch') === '1') {
      const script = watches[watchCount++];
      if (!script) return; // leave the stream open
      await script(response, request);
      return;
    }
    const job = gets[Math.min(getCount++, gets.length - 1)];
    if (job === 'notfound' || job === undefined) return sendJson(response, 404, statusBody(404, 'NotFound', 'jobs.batch "pi" not found', { name: 'pi', group: 'batch', kind: 'jobs' }));
    sendJson(response, 200, job);
  });
}

function watchVersions(server: FakeApiServer): (string | null)[] {
  return server.requests.filter((r) => r.url.searchParams.get('watch') === '1').map((r) => r.url.searchParams.get('resourceVersion'));
}

async function versionsUntilFinished(client: JobfleetClient): Promise<string[]> {
  const seen: string[] = [];
  for await (const job of client.watchJob('pi')) {
    seen.push(job.metadata.resourceVersion ?? '');
    if (job.status?.conditions?.length) break;
  }
  return seen;
}

const fastTiming = { reconnectDelayMs: 5, pollIntervalMs: 10, maxReconnectFailures: 2 };

describe('watchJob', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());
  const client = () => new JobfleetClient({ server: server?.url ?? '', watchTiming: fastTiming });

  it('frames events however the stream is chunked', async () => {
    const second = watchLine('MODIFIED', jobAt('2'));
    const third = watchLine('MODIFIED', jobAt('3', { type: 'Complete' }));
    server = await serve(
      [jobAt('1')],
      [
        async (response) => {
          response.write(second.slice(0, 7));
          await delay(20);
          response.write(second.slice(7) + third.slice(0, 30));
          await delay(20);
          response.end(third.slice(30));
        },
      ],
    );
    expect(await versionsUntilFinished(client())).toEqual(['1', '2', '3']);
  });

  it('watches from the Job resourceVersion with a name field selector', async () => {
    server = await serve([jobAt('1')], [(response) => response.end(watchLine('MODIFIED', jobAt('2', { type: 'Complete' })))]);
    await versionsUntilFinished(client());
    const watch = server.requests.find((r) => r.url.searchParams.get('watch') === '1');
    expect(watch?.url.pathname).toBe('/apis/batch/v1/namespaces/default/jobs');
    expect(watch?.url.searchParams.get('fieldSelector')).toBe('metadata.name=pi');
    expect(watch?.url.searchParams.get('resourceVersion')).toBe('1');
  });

  it('reconnects from the last resourceVersion (events and bookmarks) when the stream ends', async () => {
    server = await serve(
      [jobAt('1')],
      [
        (response) => response.end(watchLine('MODIFIED', jobAt('2'))),
        (response) => response.end(watchLine('BOOKMARK', { kind: 'Job', apiVersion: 'batch/v1', metadata: { resourceVersion: '4' } })),
        (response) => response.end(watchLine('MODIFIED', jobAt('5', { type: 'Complete' }))),
      ],
    );
    expect(await versionsUntilFinished(client())).toEqual(['1', '2', '5']);
    expect(watchVersions(server)).toEqual(['1', '2', '4']);
  });

  it('a stream silent past idleTimeoutMs (a connection that died without a word) is opened again from where it stood', async () => {
    server = await serve(
      [jobAt('1')],
      [
        (response) => {
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.write(watchLine('MODIFIED', jobAt('2'))); // then nothing, and the connection stays
        },
        (response) => response.end(watchLine('MODIFIED', jobAt('3', { type: 'Complete' }))),
      ],
    );
    const watching = new JobfleetClient({ server: server.url, watchTiming: { ...fastTiming, idleTimeoutMs: 200 } });
    expect(await versionsUntilFinished(watching)).toEqual(['1', '2', '3']);
    expect(watchVersions(server)).toEqual(['1', '2']);
  });

  it('a server that never answers the watch request is asked again after idleTimeoutMs; bookmarks keep a quiet stream open', async () => {
    let bookmarks: NodeJS.Timeout | undefined;
    server = await serve(
      [jobAt('1')],
      [
        () => undefined, // no answer at all
        (response) => {
          response.writeHead(200, { 'Content-Type': 'application/json' });
          bookmarks = setInterval(() => response.write(watchLine('BOOKMARK', { metadata: { resourceVersion: '1' } })), 50);
          setTimeout(() => {
            clearInterval(bookmarks);
            response.end(watchLine('MODIFIED', jobAt('2', { type: 'Complete' })));
          }, 600);
        },
      ],
    );
    const watching = new JobfleetClient({ server: server.url, watchTiming: { ...fastTiming, idleTimeoutMs: 200 } });
    expect(await versionsUntilFinished(watching)).toEqual(['1', '2']);
    // The second stream lived 600 ms, three idle timeouts, on its bookmarks: no third request.
    expect(watchVersions(server)).toEqual(['1', '1']);
  });

  it('skips repeated states', async () => {
    server = await serve([jobAt('1')], [(response) => response.end(watchLine('ADDED', jobAt('1')) + watchLine('MODIFIED', jobAt('2', { type: 'Complete' })))]);
    expect(await versionsUntilFinished(client())).toEqual(['1', '2']);
  });

  it('re-GETs and watches again after 410 Gone', async () => {
    server = await serve(
      [jobAt('1'), jobAt('7')],
      [(response) => sendJson(response, 410, statusBody(410, 'Expired', 'too old resource version: 1 (7)')), (response) => response.end(watchLine('MODIFIED', jobAt('8', { type: 'Complete' })))],
    );
    expect(await versionsUntilFinished(client())).toEqual(['1', '7', '8']);
    expect(watchVersions(server)).toEqual(['1', '7']);
  });

  it('re-GETs and watches again after an ERROR event with 410', async () => {
    server = await serve(
      [jobAt('1'), jobAt('7')],
      [
        (response) => response.end(watchLine('ERROR', statusBody(410, 'Expired', 'too old resource version: 1 (7)'))),
        (response) => response.end(watchLine('MODIFIED', jobAt('8', { type: 'Complete' }))),
      ],
    );
    expect(await versionsUntilFinished(client())).toEqual(['1', '7', '8']);
  });

  it('watches again after an ERROR event with a server error (its store went away), from the same resourceVersion', async () => {
    server = await serve(
      [jobAt('1')],
      [
        (response) => response.end(watchLine('ERROR', statusBody(500, 'InternalError', 'Internal error occurred: Socket closed unexpectedly'))),
        (response) => response.end(watchLine('MODIFIED', jobAt('8', { type: 'Complete' }))),
      ],
    );
    expect(await versionsUntilFinished(client())).toEqual(['1', '8']);
    expect(watchVersions(server)).toEqual(['1', '1']);
  });

  it('gives up with the server error once it repeats past maxReconnectFailures', async () => {
    const failing = (response: ServerResponse) => response.end(watchLine('ERROR', statusBody(500, 'InternalError', 'Internal error occurred: still down')));
    server = await serve([jobAt('1')], [failing, failing, failing]);
    await expect(versionsUntilFinished(client())).rejects.toThrow('still down');
    expect(watchVersions(server)).toHaveLength(3);
  });

  it('falls back to polling when the server refuses to watch', async () => {
    server = await serve([jobAt('1'), jobAt('1'), jobAt('2'), jobAt('3', { type: 'Complete' })], [(response) => sendJson(response, 405, statusBody(405, 'MethodNotAllowed', 'watch is not supported'))]);
    expect(await versionsUntilFinished(client())).toEqual(['1', '2', '3']);
    expect(watchVersions(server)).toHaveLength(1);
  });

  it('rejects with NotFoundError when the watch answers 404', async () => {
    server = await serve([jobAt('1')], [(response) => sendJson(response, 404, statusBody(404, 'NotFound', 'jobs.batch "pi" not found'))]);
    await expect(versionsUntilFinished(client())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('ends after DELETED', async () => {
    server = await serve([jobAt('1')], [(response) => response.end(watchLine('DELETED', jobAt('2')))]);
    const seen: string[] = [];
    for await (const job of client().watchJob('pi')) seen.push(job.metadata.resourceVersion ?? '');
    expect(seen).toEqual(['1', '2']);
  });
});

describe('waitForCompletion', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());
  const client = () => new JobfleetClient({ server: server?.url ?? '', watchTiming: fastTiming });

  it('resolves with the Job once Complete=True', async () => {
    server = await serve([jobAt('1')], [(response) => response.end(watchLine('MODIFIED', jobAt('2')) + watchLine('MODIFIED', jobAt('3', { type: 'Complete' })))]);
    const job = await client().waitForCompletion('pi');
    expect(job.metadata.resourceVersion).toBe('3');
  });

  it('resolves at once for a Job that is already complete', async () => {
    server = await serve([jobAt('1', { type: 'Complete' })], []);
    expect((await client().waitForCompletion('pi')).metadata.resourceVersion).toBe('1');
  });

  it('rejects with JobFailedError carrying the reason and message once Failed=True', async () => {
    const failed = jobAt('2', { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    server = await serve([jobAt('1')], [(response) => response.end(watchLine('MODIFIED', failed))]);
    const error = (await client().waitForCompletion('pi').catch((e: unknown) => e)) as JobFailedError;
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error.reason).toBe('BackoffLimitExceeded');
    expect(error.conditionMessage).toBe('Job has reached the specified backoff limit');
    expect(error.message).toBe('job.batch/pi failed: BackoffLimitExceeded: Job has reached the specified backoff limit');
  });

  it('rejects with WaitTimeoutError when time runs out', async () => {
    server = await serve([jobAt('1')], []);
    const error = await client().waitForCompletion('pi', { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toBe('timed out waiting for the condition on jobs/pi');
  });

  it('rejects with NotFoundError when the Job is deleted first', async () => {
    server = await serve([jobAt('1')], [(response) => response.end(watchLine('DELETED', jobAt('2')))]);
    await expect(client().waitForCompletion('pi')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('waitForCondition', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());

  it('matches the condition type case-insensitively, like kubectl wait', async () => {
    server = await serve([jobAt('1', { type: 'Failed' })], []);
    const client = new JobfleetClient({ server: server.url });
    expect((await client.waitForCondition('pi', { type: 'failed' })).metadata.resourceVersion).toBe('1');
  });

  it('with timeout 0 checks once', async () => {
    server = await serve([jobAt('1')], []);
    const client = new JobfleetClient({ server: server.url });
    await expect(client.waitForCondition('pi', { type: 'complete' }, { timeoutMs: 0 })).rejects.toBeInstanceOf(WaitTimeoutError);
  });
});

