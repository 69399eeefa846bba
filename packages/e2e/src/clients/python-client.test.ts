/**
 * The official Kubernetes Python client (Debian's python3-kubernetes 22.6, run with /usr/bin/python3;
 * `npm run setup` installs it) against a real fleet: API, worker, Redis and Docker. The script
 * python/daily.py loads a kubeconfig as a user would, takes the daily paths (create, get, list with
 * selectors and pages, watch until Complete, typed pod list/read, log with follow, patch, replace,
 * errors as ApiException, access review, delete, delete-collection) and reports what it saw; the
 * assertions are here.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/daily.py', import.meta.url));

function hasPythonClient(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Step<T = unknown> {
  ok: boolean;
  value: T;
  error?: string;
  trace?: string;
  seconds: number;
}
type Report = Record<string, Step>;

interface ApiError {
  status: number;
  kind: string;
  statusReason: string;
  message: string;
}

let fleet: Fleet;
let dir: string;
let report: Report;
let run: string;

/** The step's value; a step that raised fails the test with the client's own error and trace. */
function value<T>(name: string): T {
  const step = report[name];
  if (!step) throw new Error(`the script reported no step ${name}`);
  if (!step.ok) throw new Error(`${name}: ${step.error}\n${step.trace ?? ''}`);
  return step.value as T;
}

describe.skipIf(!hasPythonClient())('the official Python client (python3-kubernetes) against jobfleet', () => {
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1 });
    dir = mkdtempSync(join(tmpdir(), 'jobfleet-python-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'jobfleet', cluster: { server: fleet.api.url } }],
        users: [{ name: 'jobfleet', user: {} }],
        contexts: [{ name: 'jobfleet', context: { cluster: 'jobfleet', user: 'jobfleet', namespace: 'default' } }],
        'current-context': 'jobfleet',
      }),
    );
    run = randomUUID().slice(0, 6);
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [SCRIPT, kubeconfig, run], { timeout: 150_000, maxBuffer: 16 << 20, env: { ...process.env, HOME: dir } }, (err, out, stderr) =>
        err ? reject(new Error(`daily.py failed: ${err.message}\n${stderr}`)) : resolve(out),
      ),
    );
    report = JSON.parse(stdout) as Report;
    console.log(`python client: ${Object.keys(report).length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`, Object.fromEntries(Object.entries(report).map(([k, s]) => [k, s.seconds])));
  }, 180_000);
  afterAll(async () => {
    await fleet?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
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
    // "second" is written 2 s after "first": the stream waited for it instead of ending at once.
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

  it('asks what it may do: create jobs yes, create cronjobs no', () => {
    expect(value('access_review')).toEqual({
      createJobs: { allowed: true, reason: expect.stringMatching(/^jobfleet: /) },
      createCronjobs: { allowed: false, reason: 'jobfleet does not serve cronjobs.batch' },
    });
  });
});
