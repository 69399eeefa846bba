/**
 * No object over the stored-object limit (etcd's 1.5 MiB, JOBFLEET_MAX_OBJECT_BYTES) is ever
 * stored, through any write of the API: a create, a merge patch or an update one byte over is
 * refused with Kubernetes' 413 RequestEntityTooLarge and changes nothing; one byte under is stored
 * and keeps room for the status the Job controller writes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Status } from '@jobfleet/kube';
import { startFleet, type Fleet } from '../harness.js';

const LIMIT = 1.5 * 1024 * 1024;
/** A user's write keeps LIMIT / 24 (64 KiB) free for the status. */
const USER_LIMIT = LIMIT - LIMIT / 24;
const CHUNK = 10_000;
const CHUNKS = 140;

let fleet: Fleet;
let jobs: string;

beforeAll(async () => {
  fleet = await startFleet({ workers: 0, janitor: false }); // no pod runs: only what is stored matters
  jobs = `${fleet.api.url}/apis/batch/v1/namespaces/default/jobs`;
});

afterAll(async () => {
  await fleet?.close();
});

/** A Job of about 1.4 MB in container args, and `pad` bytes more in its last one: its size grows with `pad` byte for byte. */
function job(name: string, pad: number) {
  const args = Array.from({ length: CHUNKS }, () => 'a'.repeat(CHUNK));
  args.push('b'.repeat(pad));
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:latest', args }] } } } };
}

async function send(method: string, url: string, body: unknown, type = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method, headers: { 'content-type': type }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The stored size the server reports for a refused write. */
function reportedSize(status: Status): number {
  const match = /takes (\d+) bytes as stored/.exec(status.message ?? '');
  if (!match) throw new Error(`no size in: ${status.message}`);
  return Number(match[1]);
}

it('a Job one byte over the limit is refused with 413 RequestEntityTooLarge; one byte under is stored, and the controller can still write its status', async () => {
  // Names of one length: the stored size then depends on the padding alone.
  const probe = await send('POST', jobs, job('size-p', 200_000));
  expect(probe.status).toBe(413);
  const pad = 200_000 - (reportedSize(probe.body as unknown as Status) - USER_LIMIT);
  expect(pad).toBeGreaterThan(0);

  const over = await send('POST', jobs, job('size-o', pad + 1));
  expect(over.status).toBe(413);
  expect(over.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'RequestEntityTooLarge', code: 413 });
  expect(over.body.message).toBe(
    `etcdserver: request is too large: jobs.batch "size-o" takes ${USER_LIMIT + 1} bytes as stored; the limit is ${LIMIT} bytes (JOBFLEET_MAX_OBJECT_BYTES), of which ${LIMIT / 24} are kept free for the status the Job controller writes`,
  );
  expect((await fetch(`${jobs}/size-o`)).status).toBe(404);

  const under = await send('POST', jobs, job('size-u', pad));
  expect(under.status).toBe(201);
  // The controller's first sync wrote the status (and created the pod) on top of it.
  const stored = (await (await fetch(`${jobs}/size-u`)).json()) as { metadata: { resourceVersion: string }; status: { active?: number; startTime?: string } };
  expect(stored.status.startTime).toBeDefined();
  expect(stored.status.active).toBe(1);

  // Growing it over the limit, by a merge patch or an update, is refused the same way and changes nothing.
  const patched = await send('PATCH', `${jobs}/size-u`, { metadata: { annotations: { grow: 'g'.repeat(100) } } }, 'application/merge-patch+json');
  expect(patched.status).toBe(413);
  expect(patched.body.reason).toBe('RequestEntityTooLarge');
  const current = (await (await fetch(`${jobs}/size-u`)).json()) as { metadata: { resourceVersion: string; annotations?: object } };
  const updated = await send('PUT', `${jobs}/size-u`, { ...current, metadata: { ...current.metadata, annotations: { grow: 'g'.repeat(100) } } });
  expect(updated.status).toBe(413);
  const after = (await (await fetch(`${jobs}/size-u`)).json()) as { metadata: { resourceVersion: string; annotations?: object } };
  expect(after.metadata.annotations).toBeUndefined();
  expect(after.metadata.resourceVersion).toBe(current.metadata.resourceVersion);

  // The request body limit stays 3 MiB, as the Kubernetes API server's.
  const huge = await send('POST', jobs, job('size-h', 2 * 1024 * 1024));
  expect(huge.status).toBe(413);
  expect(huge.body.reason).toBe('RequestEntityTooLarge');
});
