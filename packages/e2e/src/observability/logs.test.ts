/**
 * Structured logs end to end: `jobfleet up --log-format json` (API, worker, janitor, embedded Redis) on
 * the real Docker host. A Job whose image is not on the node gets the kubelet's Warning
 * ErrImageNeverPull event with what to do, and the worker logs the same at warn; a Job that succeeds
 * leaves its lifecycle lines at info. Every stderr line is a JSON record (stdout is the banner).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobFailedError, JobfleetClient } from '@jobfleet/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../cli-runner.js';

interface LogRecord {
  level: number;
  msg: string;
  role?: string;
  [field: string]: unknown;
}

const BIN = `${REPO}packages/cli/bin/jobfleet.js`;
const NODE = `e2e-logs-${randomBytes(3).toString('hex')}`;
const MISSING_IMAGE = `jobfleet-e2e-absent-${randomBytes(3).toString('hex')}:1`;

let dir = '';
let up: ChildProcess | undefined;
let stderr = '';
let client: JobfleetClient;

/** The JSON records written so far (a line cut mid-write is left for the next read). */
function records(): LogRecord[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{') && l.endsWith('}'))
    .map((l) => JSON.parse(l) as LogRecord);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-e2e-logs-'));
  const env: Record<string, string | undefined> = { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined, JOBFLEET_PULL_TIMEOUT_MS: undefined, REDIS_URL: undefined, JOBFLEET_LOG_LEVEL: undefined };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  up = spawn(process.execPath, [BIN, 'up', '--port', '0', '--node-name', NODE, '--log-format', 'json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  up.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let stdout = '';
  const server = await new Promise<string>((resolve, reject) => {
    up?.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /https?:\/\/127\.0\.0\.1:\d+/.exec(stdout)?.[0];
      if (url) resolve(url);
    });
    up?.once('exit', (code) => reject(new Error(`jobfleet up exited with ${code}: ${stderr}`)));
  });
  client = new JobfleetClient({ server });
});

afterAll(async () => {
  if (up && up.exitCode === null) {
    const exited = new Promise((resolve) => up?.once('exit', resolve));
    up.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function job(name: string, image: string, command: string[]): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, command }] } } },
  });
}

describe('jobfleet up --log-format json', () => {
  it('an image missing on the node: a Warning ErrImageNeverPull event saying what to do, and the same at warn in the log', async () => {
    await client.createJob(job('no-image', MISSING_IMAGE, ['true']));
    const failed = await client.waitForCompletion('no-image', { timeoutMs: 60_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(JobFailedError);
    const [pod] = await client.listPods({ jobName: 'no-image' });
    const podName = pod?.metadata.name ?? '';
    const events = await client.listEvents();
    const warning = events.find((e) => e.reason === 'ErrImageNeverPull' && e.involvedObject.name === podName);
    expect(warning?.type).toBe('Warning');
    const message = warning?.message ?? '';
    expect(message).toContain(`Container image "${MISSING_IMAGE}" is not present on node ${NODE}`);
    expect(message).toContain('build or load it on that node');
    expect(message).toContain('JOBFLEET_PULL_TIMEOUT_MS');
    expect(pod?.status.message).toBe(message);
    // The worker's line: at warn, naming the pod, the image, the reason, and the event's message.
    await expect.poll(() => records().find((r) => r.reason === 'ErrImageNeverPull' && r.pod === `default/${podName}`), { timeout: 10_000 }).toBeDefined();
    const line = records().find((r) => r.reason === 'ErrImageNeverPull' && r.pod === `default/${podName}`);
    expect(line).toMatchObject({ level: 40, role: 'worker', node: NODE, image: MISSING_IMAGE, message });
    // The Job's end: at info, with the Job controller's reason.
    await expect.poll(() => records().find((r) => r.msg === 'Job failed' && r.job === 'default/no-image'), { timeout: 10_000 }).toMatchObject({ level: 30, reason: 'BackoffLimitExceeded', failed: 1 });
  });

  it('a Job that succeeds: created, pods created, complete, deleted, each a line at info', async () => {
    const created = await client.createJob(job('logs-ok', 'busybox:latest', ['sh', '-c', 'echo fine']));
    await client.waitForCompletion('logs-ok', { timeoutMs: 60_000 });
    await client.deleteJob('logs-ok');
    const about = (r: LogRecord) => r.job === 'default/logs-ok';
    await expect.poll(() => records().filter(about).map((r) => r.msg), { timeout: 10_000 }).toEqual(expect.arrayContaining(['Job created', 'pods created', 'Job complete', 'Job deleted']));
    const lines = records().filter(about);
    for (const r of lines) expect(r.level).toBe(30);
    expect(lines.find((r) => r.msg === 'Job created')).toMatchObject({ uid: created.metadata.uid, completions: 1, parallelism: 1 });
    expect(lines.find((r) => r.msg === 'pods created')).toMatchObject({ count: 1 });
    expect(lines.find((r) => r.msg === 'Job complete')).toMatchObject({ succeeded: 1, failed: 0 });
    // One line per step: a step is logged by the process whose commit made it, once.
    expect(lines.filter((r) => r.msg === 'Job complete')).toHaveLength(1);
    // The roles said what they serve when they started.
    const starts = records().filter((r) => r.level === 30);
    expect(starts.find((r) => r.role === 'worker' && String(r.msg).startsWith(`worker node ${NODE} started`))).toMatchObject({ node: NODE, maxPods: 110 });
    expect(starts.find((r) => r.role === 'api' && String(r.msg).startsWith('API server started'))).toBeDefined();
    expect(starts.find((r) => r.role === 'janitor' && String(r.msg).startsWith('janitor started'))).toBeDefined();
    // Every line on stderr is a JSON record (shutdown lines of the CLI aside, which come at the end).
    const other = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    expect(other).toEqual([]);
  });
});
