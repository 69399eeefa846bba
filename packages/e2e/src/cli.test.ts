/**
 * The real `jobfleet` command (node packages/cli/bin/jobfleet.js, the built CLI) against a real fleet:
 * run, get (the server's Tables), describe (with events), logs, wait, apply, delete and their errors;
 * an https API with a token; and `run` with no server anywhere, which embeds the whole system.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@jobfleet/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runJobfleet, type CliResult, type CliRunOptions } from './cli-runner.js';
import { startFleet, testRedis, uniqueName, type Fleet } from './harness.js';
import { redisServersUsing } from './hostile/jobfleet-process.js';

const BIN = join(REPO, 'packages/cli/bin/jobfleet.js');
const ECHO_JOB = join(REPO, 'examples/echo-job.yaml');

let fleet: Fleet;
let dir: string;

beforeAll(async () => {
  fleet = await startFleet({ workers: 1, maxPods: 20 });
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-cli-e2e-'));
});
afterAll(async () => {
  await fleet?.close();
  await (await testRedis()).stop(); // this file's redis-server: the harness leaves it running
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const jobfleet = runJobfleet;

/** jobfleet against the test fleet. */
function cli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  return jobfleet(['--server', fleet.api.url, ...args], options);
}

function jobYaml(name: string, script: string, spec = ''): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    `metadata: {name: ${name}}`,
    'spec:',
    ...(spec ? [`  ${spec}`] : []),
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    `      containers: [{name: main, image: busybox, command: [sh, -c, ${JSON.stringify(script)}]}]`,
    '',
  ].join('\n');
}

/** A finished echo Job under a new name, created through the client. */
async function completedEchoJob(): Promise<string> {
  const name = uniqueName('echo');
  const manifest = readFileSync(ECHO_JOB, 'utf8').replace(/name: echo-job/, `name: ${name}`);
  await fleet.client.createJob(manifest);
  await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
  return name;
}

/** A table's lines as cells (columns are 3+ spaces apart; cells hold at most single spaces). */
function rows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describe('jobfleet against a fleet', () => {
  it('run -f examples/echo-job.yaml prints the pod log and exits 0', async () => {
    const result = await cli(['run', '-f', ECHO_JOB]);
    expect(result.stderr).toContain('job.batch/echo-job created');
    expect(result.stdout).toBe('Running in a job\n');
    expect(result.stderr).toContain('job.batch/echo-job complete: 1/1 succeeded');
    expect(result.code).toBe(0);
  });

  it('run of a failing Job exits 1 with the reason', async () => {
    const name = uniqueName('fails');
    const result = await cli(['run', '-f', '-'], { input: jobYaml(name, 'echo about to fail; exit 3', 'backoffLimit: 0') });
    expect(result.stdout).toBe('about to fail\n');
    // The Job's reason, then (issue 14) what its last pod says went wrong.
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(`^error: job\\.batch/${name} failed: BackoffLimitExceeded: Job has reached the specified backoff limit; last pod ${name}-[a-z0-9]{5}: Error: container "[^"]+" exited with code 3$`),
    );
    expect(result.code).toBe(1);
  });

  it("get prints the server's columns and values", async () => {
    const name = await completedEchoJob();
    const jobs = await cli(['get', 'jobs']);
    expect(jobs.code).toBe(0);
    const [header, ...lines] = rows(jobs.stdout);
    expect(header).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(lines.find((cells) => cells[0] === name)?.slice(0, 3)).toEqual([name, 'Complete', '1/1']);

    const wideJob = rows((await cli(['get', 'job', name, '-o', 'wide'])).stdout);
    expect(wideJob[0]).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wideJob[1]?.slice(5, 7)).toEqual(['echo', 'busybox']);

    const pods = await cli(['get', 'pods', '-o', 'wide', '-l', `job-name=${name}`]);
    const [podHeader, pod] = rows(pods.stdout);
    expect(podHeader).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(pod?.[2]).toBe('Completed');
    expect(pod?.[podHeader?.indexOf('NODE') ?? -1]).toBe(`${fleet.prefix}-node-0`);

    expect((await cli(['get', 'job', name, '-o', 'name'])).stdout).toBe(`job.batch/${name}\n`);
    expect((JSON.parse((await cli(['get', `job/${name}`, '-o', 'json'])).stdout) as Job).status?.succeeded).toBe(1);
    const none = await cli(['get', 'jobs', '-l', 'app=nothing-has-this']);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No resources found in default namespace.\n']);
  });

  it('describe job shows the pod statuses and the events', async () => {
    const name = await completedEchoJob();
    const { code, stdout } = await cli(['describe', 'job', name]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Pods Statuses: +0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m);
    const events = stdout.slice(stdout.indexOf('\nEvents:\n'));
    expect(rows(events.trim()).slice(1, 3)).toEqual([
      ['Type', 'Reason', 'Age', 'From', 'Message'],
      ['----', '------', '----', '----', '-------'],
    ]);
    expect(events).toMatch(/^ {2}Normal +SuccessfulCreate +\S+ +job-controller +Created pod: /m);
    expect(events).toMatch(/^ {2}Normal +Completed +\S+ +job-controller +Job completed$/m);
  });

  it('logs job/NAME, wait job/NAME --for condition=complete, delete job NAME', async () => {
    const name = await completedEchoJob();
    expect(await cli(['logs', `job/${name}`])).toEqual({ code: 0, stdout: 'Running in a job\n', stderr: '' });
    expect(await cli(['wait', `job/${name}`, '--for', 'condition=complete', '--timeout', '30s'])).toEqual({ code: 0, stdout: `job.batch/${name} condition met\n`, stderr: '' });
    expect(await cli(['delete', 'job', name])).toEqual({ code: 0, stdout: `job.batch "${name}" deleted\n`, stderr: '' });
    expect(await cli(['get', 'job', name])).toEqual({ code: 1, stdout: '', stderr: `error: jobs.batch "${name}" not found\n` });
  });

  it('apply: created, unchanged, configured after a parallelism edit; an immutable change is one error line', async () => {
    const name = uniqueName('apply');
    const manifest = jobYaml(name, 'sleep 1', 'parallelism: 1\n  completions: 2');
    expect(await cli(['apply', '-f', '-'], { input: manifest })).toEqual({ code: 0, stdout: `job.batch/${name} created\n`, stderr: '' });
    expect(await cli(['apply', '-f', '-'], { input: manifest })).toEqual({ code: 0, stdout: `job.batch/${name} unchanged\n`, stderr: '' });
    const edited = manifest.replace('parallelism: 1', 'parallelism: 2');
    expect(await cli(['apply', '-f', '-'], { input: edited })).toEqual({ code: 0, stdout: `job.batch/${name} configured\n`, stderr: '' });
    const live = await fleet.client.getJob(name);
    expect(live.spec.parallelism).toBe(2);
    expect(live.metadata.generation).toBe(2);
    expect(await cli(['apply', '-f', '-'], { input: edited })).toEqual({ code: 0, stdout: `job.batch/${name} unchanged\n`, stderr: '' });

    const immutable = await cli(['apply', '-f', '-'], { input: edited.replace('sleep 1', 'sleep 2') });
    expect(immutable.code).toBe(1);
    expect(immutable.stdout).toBe('');
    expect(immutable.stderr).toMatch(new RegExp(`^error: The Job "${name}" is invalid: spec\\.template: Invalid value: [^\\n]*field is immutable\\n$`));
  });

  it('an invalid manifest is one error line and exit 1', async () => {
    const invalid = jobYaml('x', 'true').replace('restartPolicy: Never', 'restartPolicy: Always');
    const result = await cli(['apply', '-f', '-'], { input: invalid });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: The Job "x" is invalid: [^\n]+\n$/);
    expect(result.stderr).toContain('spec.template.spec.restartPolicy');
  });
});

describe('jobfleet api with TLS and a token', () => {
  it('serves https; the CLI needs the CA (--certificate-authority) and sends the token', async () => {
    const [key, cert] = [join(dir, 'tls.key'), join(dir, 'tls.crt')];
    const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', ...subject], { stdio: 'ignore' });
    const env = { ...process.env, JOBFLEET_REDIS_PREFIX: fleet.prefix, JOBFLEET_TLS_CERT_FILE: cert, JOBFLEET_TLS_KEY_FILE: key };
    const api = spawn(process.execPath, [BIN, 'api', '--port', '0', '--redis-url', fleet.redisUrl, '--token', 'tls-token'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let apiStderr = '';
    api.stderr.on('data', (d: Buffer) => (apiStderr += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        api.stdout.on('data', (d: Buffer) => {
          const match = /listening on (https:\/\/\S+)/.exec(d.toString());
          if (match?.[1]) resolve(match[1]);
        });
        api.once('exit', (code) => reject(new Error(`jobfleet api exited with ${code}: ${apiStderr}`)));
      });
      const name = uniqueName('tls');
      const manifest = readFileSync(ECHO_JOB, 'utf8').replace(/name: echo-job/, `name: ${name}`);
      const trusted = ['--server', url, '--token', 'tls-token', '--certificate-authority', cert];
      const run = await jobfleet([...trusted, 'run', '-f', '-'], { input: manifest });
      expect([run.code, run.stdout]).toEqual([0, 'Running in a job\n']);
      expect(rows((await jobfleet([...trusted, 'get', 'job', name])).stdout)[1]?.slice(0, 3)).toEqual([name, 'Complete', '1/1']);

      const untrusted = await jobfleet(['--server', url, '--token', 'tls-token', 'get', 'jobs']);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toContain(`error: cannot reach the jobfleet server at ${url} (self-signed certificate): trust the server's CA certificate`);
      expect(await jobfleet(['--server', url, '--certificate-authority', cert, 'get', 'jobs'])).toEqual({ code: 1, stdout: '', stderr: 'error: Unauthorized\n' });
    } finally {
      await new Promise((resolve) => {
        api.once('exit', resolve);
        api.kill('SIGTERM');
      });
    }
  });
});

describe('jobfleet run with no server anywhere', () => {
  it('embeds Redis, the API, a worker and the janitor for the run, then stops them all', async (context) => {
    if (!(await portIsFree(8080))) context.skip('127.0.0.1:8080 is taken on this machine: run would use that server instead of embedding one');
    const work = mkdtempSync(join(tmpdir(), 'jobfleet-embedded-'));
    try {
      copyFileSync(ECHO_JOB, join(work, 'echo-job.yaml'));
      const dataDir = join(work, '.jobfleet');
      const seen = new Set<number>();
      const sampler = setInterval(() => redisServersUsing(dataDir).forEach((pid) => seen.add(pid)), 100);
      const result = await jobfleet(['run', '-f', 'echo-job.yaml'], { cwd: work, env: { REDIS_URL: undefined }, timeoutMs: 110_000 }).finally(() => clearInterval(sampler));
      expect(result.stderr).toContain('Starting an embedded jobfleet (Redis data in .jobfleet/)');
      expect(result.stdout).toBe('Running in a job\n');
      expect(result.code).toBe(0);
      expect(existsSync(dataDir)).toBe(true);
      expect(seen.size).toBe(1); // the embedded redis-server ran during the run…
      expect(redisServersUsing(dataDir)).toEqual([]); // …and is gone with it
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Whether nothing listens on 127.0.0.1:port (binding it succeeds). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

