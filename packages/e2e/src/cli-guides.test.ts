/**
 * A CLI that guides, against a real `jobfleet up` (API, worker, janitor on a real Redis and Docker):
 * the commands its banner prints work as printed (bash, the `jobfleet` on PATH, kubectl); `run` names the
 * pod-level cause of a failed Job; misspelled fields are refused before anything is sent; YAML errors
 * name the file; `version` shows the server's; `get -A` and `get -w`.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis } from './harness.js';
import { BIN, jobfleet, killGroup, quickJob, REPO, startJobfleet, type JobfleetProcess } from './hostile/jobfleet-process.js';

const id = randomUUID().slice(0, 8);
const node = `cli-guides-${id}`;
let dir: string;
let binDir: string;
let up: JobfleetProcess;
let server: string;
let banner: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-cli-guides-'));
  binDir = join(dir, 'bin');
  mkdirSync(binDir);
  symlinkSync(BIN, join(binDir, 'jobfleet')); // as `npm link` / a global install puts it on PATH
  const redis = await testRedis();
  up = startJobfleet(['up', '--port', '0', '--node-name', node, '--redis-url', redis.url], {
    env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, JOBFLEET_REDIS_PREFIX: `g${id}`, JOBFLEET_PULL_TIMEOUT_MS: undefined },
  });
  server = (await up.waitFor(/jobfleet is up: API (\S+),/, 60_000))[1] ?? '';
  await up.waitFor(/kubectl --kubeconfig \S+ get jobs\n/, 10_000);
  banner = up.stdout().split('try, in another terminal:\n')[1]?.split('\n').filter((line) => line.startsWith('    ')).map((line) => line.trim()) ?? [];
});

afterAll(async () => {
  if (up) {
    killGroup(up.child, 'SIGTERM');
    await up.exited;
  }
  // What this file's worker left (its node name is unique): no other test's containers.
  const docker = new Docker();
  for (const c of await docker.listContainers({ all: true, filters: { label: [`io.jobfleet.node=${node}`] } })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  await (await testRedis()).stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The CLI against the `up` of this file. */
function cli(args: string[], input?: string) {
  return jobfleet(args, { env: { JOBFLEET_SERVER: server }, ...(input === undefined ? {} : { input }), cwd: dir });
}

function manifestFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 6)}`;
}

describe("up's banner", () => {
  // kubectl reads a kubeconfig twice: `KUBECONFIG=<(jobfleet kubeconfig) kubectl get jobs` (a pipe) reaches localhost:8080 instead.
  it('prints commands that work as printed: pasted into bash, they run the example and list the Jobs with jobfleet and kubectl', () => {
    expect(banner).toEqual([`export JOBFLEET_SERVER=${server}`, 'jobfleet run -f examples/echo-job.yaml', 'jobfleet get jobs', 'mkdir -p ~/.kube && jobfleet kubeconfig > ~/.kube/jobfleet && kubectl --kubeconfig ~/.kube/jobfleet get jobs']);
    const shell = spawnSync('bash', ['--norc', '-e', '-c', banner.join('\n')], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, HOME: dir, PATH: `${binDir}:${process.env.PATH ?? ''}`, JOBFLEET_SERVER: undefined, KUBECONFIG: undefined },
      timeout: 90_000,
    });
    expect(shell.status, shell.stderr).toBe(0);
    expect(shell.stdout).toContain('Running in a job\n');
    // Once from jobfleet get, once from kubectl get: the same server's Table.
    expect(shell.stdout.match(/^echo-job\s+Complete\s+1\/1\s/gm)).toHaveLength(2);
  });
});

describe('run explains a failure', () => {
  it("names the last pod's cause: a missing image is ErrImageNeverPull with the node and what to do", async () => {
    const name = uniqueName('missing-image');
    const image = `jobfleet-not-built-${id}:1`;
    const file = manifestFile(`${name}.yaml`, quickJob(name).replace('image: busybox', `image: ${image}`));
    const result = await cli(['run', '-f', file]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    const last = lines.at(-1) ?? '';
    expect(last).toMatch(new RegExp(`^error: job\\.batch/${name} failed: BackoffLimitExceeded: Job has reached the specified backoff limit; last pod ${name}-[a-z0-9]{5}: ErrImageNeverPull: `));
    expect(last).toContain(`"${image}"`);
    expect(last).toContain(`node ${node}`);
    expect(last).toContain('JOBFLEET_PULL_TIMEOUT_MS');
    expect(lines.filter((line) => line.startsWith('error:'))).toHaveLength(1);
  });

  it('names the exit code of a command that failed', async () => {
    const name = uniqueName('exits-3');
    const file = manifestFile(`${name}.yaml`, quickJob(name).replace('echo done', 'exit 3'));
    const result = await cli(['run', '-f', file, '--no-logs']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`; last pod ${name}-[a-z0-9]{5}: Error: container "main" exited with code 3$`));
  });
});

describe('manifests are read strictly, errors naming the file', () => {
  it('a misspelled field stops run and apply before anything is sent, with a did-you-mean; --validate=warn drops it', async () => {
    const name = uniqueName('typo');
    const file = manifestFile(`${name}.yaml`, quickJob(name).replace('  backoffLimit: 0\n', '  backoffLimit: 0\n  completion: 2\n'));
    const want = `error: ${file}: job.batch/${name}: strict decoding error: unknown field "spec.completion" (did you mean "spec.completions"?); fix the manifest, or --validate=warn to send it without them\n`;
    for (const command of ['run', 'apply']) {
      const result = await cli([command, '-f', file]);
      expect([result.code, result.stderr]).toEqual([1, want]);
    }
    expect((await cli(['get', 'jobs', name])).code).toBe(1); // never created

    const warned = await cli(['apply', '--validate=warn', '-f', file]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(`Warning: ${file}: job.batch/${name}: unknown field "spec.completion" (did you mean "spec.completions"?): dropped\n`);
    expect(warned.stdout).toBe(`job.batch/${name} created\n`);
  });

  it('a YAML error names the file and the line', async () => {
    const file = manifestFile('broken.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: [broken\n');
    const result = await cli(['run', '-f', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+: .+ \\(column \\d+\\)\\n$`));
  });
});

describe('version, get -A, get -w', () => {
  it("version prints the client's and the server's, as kubectl version", async () => {
    const result = await cli(['version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\nServer Version: v1\.\d+\.\d+-jobfleet\.\S+\n$/);
  });

  it('get -A lists every namespace, NAMESPACE first', async () => {
    const name = uniqueName('other-ns');
    const ns = `guides-${id}`;
    expect((await cli(['-n', ns, 'run', '-f', manifestFile(`${name}.yaml`, quickJob(name))])).code).toBe(0);
    const result = await cli(['get', 'jobs', '-A']);
    expect(result.code).toBe(0);
    const rows = result.stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/));
    expect(rows[0]?.slice(0, 3)).toEqual(['NAMESPACE', 'NAME', 'STATUS']);
    expect(rows).toContainEqual(expect.arrayContaining([ns, name, 'Complete']));
    expect(rows).toContainEqual(expect.arrayContaining(['default', 'echo-job']));
    const one = await cli(['-n', ns, 'get', 'jobs']); // without -A: that namespace only, no NAMESPACE column
    expect(one.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS/);
    expect(one.stdout).not.toContain('echo-job');
  });

  it('get -w prints the table, then a row per change; Ctrl-C exits 0', async () => {
    const watch = startJobfleet(['get', 'jobs', '-w'], { env: { JOBFLEET_SERVER: server }, cwd: dir });
    await watch.waitFor(/^NAME\s+STATUS/m, 20_000);
    const before = watch.stdout();
    const name = uniqueName('watched');
    expect((await cli(['run', '-f', manifestFile(`${name}.yaml`, quickJob(name))])).code).toBe(0);
    await watch.waitFor(new RegExp(`^${name}\\s+Complete\\s+1/1`, 'm'), 20_000);
    const after = watch.stdout().slice(before.length);
    expect(after).not.toContain('NAME'); // rows only, no second header
    expect(after.split('\n').filter((line) => line.startsWith(name)).length).toBeGreaterThanOrEqual(2); // created, then each change
    watch.child.kill('SIGINT');
    expect(await watch.exited).toEqual({ code: 0, signal: null });
    expect(watch.stderr()).toBe('');

    const one = startJobfleet(['get', `job/${name}`, '-w'], { env: { JOBFLEET_SERVER: server }, cwd: dir }); // one object, by name
    await one.waitFor(new RegExp(`^NAME\\s+STATUS.*\\n${name}\\s+Complete`), 20_000);
    expect(one.stdout().split('\n').filter(Boolean)).toHaveLength(2);
    one.child.kill('SIGINT');
    expect(await one.exited).toEqual({ code: 0, signal: null });
  });
});
