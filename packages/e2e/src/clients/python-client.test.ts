/**
 * The official Kubernetes Python client (Debian's python3-kubernetes 22.6, run with /usr/bin/python3;
 * `npm run setup` installs it) against a real fleet: API, worker, Redis and Docker. The script
 * python/daily.py loads a kubeconfig as a user would, takes the daily paths (create, get, list with
 * selectors and pages, watch until Complete, typed pod list/read, log with follow, patch, replace,
 * errors as ApiException, access review, delete, delete-collection) and reports what it saw; the
 * assertions are here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness.js';
import { hasPythonClient, runPythonScript } from './python-script.js';

interface ApiError {
  status: number;
  kind: string;
  statusReason: string;
  message: string;
}

let fleet: Fleet;
let run: string;
let value: <T>(name: string) => T;

describe.skipIf(!hasPythonClient())('the official Python client (python3-kubernetes) against jobfleet', () => {
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1 });
    ({ run, value } = await runPythonScript('daily.py', fleet.api.url, 150_000));
  }, 180_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('reads /version/, /api/, /apis/ and /apis/batch/v1/ (the client asks with a trailing slash)', () => {
    expect(value('version')).toMatchObject({ compiler: 'jobfleet', minor: '33', gitVersion: expect.stringMatching(/^v1\.33\.0-jobfleet/) });
    const discovery = value<{ core: string[]; groups: string[]; batch: string[] }>('discovery');
    expect(discovery.core).toEqual(['v1']);
    expect(discovery.groups).toContain('batch');
    expect(discovery.batch).toContain('jobs');
  });

  it('creates, gets, lists by label, by field and in pages, and watches a Job (watch=True) until it is Complete', () => {
    const created = value<{ name: string; uid: string }>('create');
    expect(created.name).toBe(`py-echo-${run}`);
    expect(value('get')).toMatchObject({ name: created.name, uid: created.uid, completions: 1 });
    expect(value('list_with_selectors')).toEqual({
      byLabel: [`py-slow-${run}`],
      byField: [`py-echo-${run}`],
      pages: [[`py-echo-${run}`], [`py-slow-${run}`]],
    });
    const events = value<{ type: string; kind: string; succeeded: number | null; conditions: Record<string, string> }[]>('watch_until_complete');
    expect(events[0]?.type).toBe('ADDED');
    expect(events.every((e) => e.kind === 'V1Job')).toBe(true);
    expect(events.at(-1)).toMatchObject({ succeeded: 1, conditions: { Complete: 'True' } });
  });

  it('follows a running pod\'s log (follow=True) until the container ends', () => {
    const lines = value<{ line: string; at: number }[]>('log_follow');
    expect(lines.map((l) => l.line)).toEqual(['first', 'second']);
    // "second" is written 6 s after "first" (a margin for a status report that lags on a loaded machine): the stream waited for it instead of ending at once.
    expect(lines[1]?.at ?? 0).toBeGreaterThan(lines[0]?.at ?? 0);
  });

  it('lists and reads pods as typed V1Pods (every field the schema requires is there)', () => {
    const pods = value<{ names: string[]; phase: string; imageID: string; terminated: string | null; log: string }>('pods_typed');
    expect(pods.names).toHaveLength(1);
    expect(pods.phase).toBe('Succeeded');
    expect(pods.imageID).not.toBe('');
    expect(pods.terminated).toBe('Completed');
    expect(pods.log).toBe('hello from python\n');
  });

  it('patches, replaces, deletes and deletes a collection; each error is an ApiException with its status and Status body', () => {
    expect(value('patch')).toMatchObject({ patched: 'yes', run });
    const replaced = value<{ labels: Record<string, string>; rvChanged: boolean; conflict: ApiError | null }>('replace');
    expect(replaced.labels).toMatchObject({ patched: 'yes', replaced: 'yes' });
    expect(replaced.rvChanged).toBe(true);
    expect(replaced.conflict).toMatchObject({ status: 409, kind: 'Status', statusReason: 'Conflict' });
    const errors = value<Record<string, ApiError | null>>('errors');
    expect(errors.notFound).toMatchObject({ status: 404, statusReason: 'NotFound', message: `jobs.batch "py-missing-${run}" not found` });
    expect(errors.invalid).toMatchObject({ status: 422, statusReason: 'Invalid', message: expect.stringContaining('spec.parallelism: Invalid value: -1') });
    expect(errors.exists).toMatchObject({ status: 409, statusReason: 'AlreadyExists' });
    // A query parameter the API server cannot parse: its 400, in Go's words.
    expect(errors.badLimit).toMatchObject({ status: 400, statusReason: 'BadRequest', message: 'strconv.ParseInt: parsing "x": invalid syntax' });
    expect(value('delete')).toMatchObject({ status: 'Success', after: { status: 404 } });
    expect(value('delete_collection')).toEqual([]);
  });

  it('asks what it may do: create jobs and cronjobs yes', () => {
    expect(value('access_review')).toEqual({
      createJobs: { allowed: true, reason: expect.stringMatching(/^jobfleet: /) },
      createCronjobs: { allowed: true, reason: expect.stringMatching(/^jobfleet: /) },
    });
  });
});
