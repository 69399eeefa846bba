/**
 * docker-compose.yml as a user runs it: Debian's docker-compose 1.29 (or `docker compose` v2), the
 * local images `npm run setup` builds (scripts/build-images.sh: no registry), a project of its own
 * (`-p jftest-<random>`, other runs share the Docker host) and a free API port. The three seed
 * examples run through it with kubectl, the workers scale to three and a Job runs on all three, and
 * `down -v` leaves nothing behind. The images are never built here: a missing or stale one fails the
 * file at once, saying what to run.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@jobfleet/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAgainst, kubectlOk, tableRows, type Kubectl } from '../kubectl-runner.js';
import { eventually } from '../timing.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const COMPOSE_FILE = join(REPO, 'docker-compose.yml');
const JOBFLEET_IMAGE = process.env.JOBFLEET_IMAGE ?? 'jobfleet:latest';
const NODE_IMAGE = process.env.NODE_IMAGE ?? 'jobfleet-node:20';
const REDIS_IMAGE = process.env.JOBFLEET_REDIS_IMAGE ?? 'redis:7';
const BUILD_HINT = 'run: npm run setup (or scripts/build-images.sh)';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: REPO, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function runOk(file: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Debian's docker-compose when installed, else the v2 plugin. */
async function composeCommand(): Promise<string[] | undefined> {
  if ((await run('docker-compose', ['version'])).code === 0) return ['docker-compose'];
  if ((await run('docker', ['compose', 'version'])).code === 0) return ['docker', 'compose'];
  return undefined;
}

const imageLabel = async (image: string, label: string): Promise<string | undefined> => {
  const r = await run('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${label}" }}`, image]);
  return r.code === 0 ? r.stdout.trim() : undefined;
};

const project = `jftest-${randomBytes(4).toString('hex')}`;
let compose: string[] = [];
let env: NodeJS.ProcessEnv = {};
let server = '';
let k: Kubectl | undefined;
/** Every worker container's hostname (its node name) seen in this project: the clean-up's scope. */
const nodeNames = new Set<string>();
const timings: Record<string, number> = {};
let downDone = false;
let upStarted = false;

async function composeRun(args: string[], timeoutMs = 120_000): Promise<string> {
  const [file, ...pre] = compose;
  return runOk(file!, [...pre, '-p', project, '-f', COMPOSE_FILE, ...args], { env, timeoutMs });
}

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await f();
  } finally {
    timings[what] = Date.now() - start;
  }
}

/** The project's worker containers: hostname (= node name) and address on the project's network. */
async function workers(): Promise<{ hostname: string; ip: string }[]> {
  const ids = (await runOk('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.service=worker']))
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  const out = await runOk('docker', ['inspect', '--format', '{{.Config.Hostname}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', ...ids]);
  const found = out
    .trim()
    .split('\n')
    .map((line) => {
      const [hostname = '', ip = ''] = line.trim().split(/\s+/);
      return { hostname, ip };
    });
  for (const w of found) nodeNames.add(w.hostname);
  return found;
}

const kubectl = (args: string[], timeoutMs?: number) => kubectlOk(k!, ['--server', server, ...args], { timeoutMs });

/** Ready nodes as kubectl lists them: name → InternalIP. */
async function readyNodes(): Promise<Map<string, string>> {
  const rows = tableRows(await kubectl(['get', 'nodes', '-o', 'wide', '--no-headers']));
  return new Map(rows.filter((r) => r[1] === 'Ready').map((r) => [r[0]!, r[5]!]));
}

describe('the docker-compose fleet', () => {
  beforeAll(async () => {
    compose = (await composeCommand()) ?? [];
    if (compose.length === 0) throw new Error("neither docker-compose nor docker compose is installed: run npm run setup (it installs Debian's docker-compose)");
    for (const image of [JOBFLEET_IMAGE, REDIS_IMAGE, 'busybox:latest']) {
      if ((await run('docker', ['image', 'inspect', image])).code !== 0) throw new Error(`image ${image} is missing: ${BUILD_HINT}`);
    }
    // An image of another build of this checkout tests other code than this one: said, not fatal
    // (a rebuild takes minutes, and what this file tests rarely changes with the code).
    const built = await imageLabel(JOBFLEET_IMAGE, 'org.jobfleet.source');
    const here = (await runOk('bash', ['-c', '. scripts/lib/common.sh && . scripts/lib/images.sh && jobfleet_image_source "$1"', 'source', NODE_IMAGE])).trim();
    if (built !== here) console.warn(`image ${JOBFLEET_IMAGE} was built from another build of this checkout; to test this one, run scripts/build-images.sh`);

    const port = await freePort();
    server = `http://127.0.0.1:${port}`;
    // JOBFLEET_MAX_PODS=1: a Job of three pods on three workers must then use all three.
    env = { ...process.env, REDIS_PASSWORD: randomBytes(24).toString('hex'), JOBFLEET_API_PORT: String(port), JOBFLEET_MAX_PODS: '1' };
    delete env.JOBFLEET_NODE_IP;
    delete env.JOBFLEET_TOKEN;
    upStarted = true;
    k = kubectlAgainst(server, 'jobfleet-compose-kubectl-');
    await timed('up', () => composeRun(['up', '-d']));
    await timed('ready', async () => {
      // Each try bounded: docker-proxy accepts at once, then may hang dialing a container not yet on its network.
      await eventually(async () => (await fetch(`${server}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok, 90_000, `${server}/readyz`);
      await eventually(async () => (await readyNodes()).size === 2, 60_000, 'two Ready nodes');
    });
  }, 180_000);

  afterAll(async () => {
    try {
      await workers().catch(() => undefined);
      if (upStarted && !downDone) {
        await timed('down', () => composeRun(['down', '-v', '--remove-orphans'], 120_000)).catch((e: unknown) => console.error(String(e)));
      }
      // Pod containers and emptyDir volumes of this project's nodes only: other runs share the host.
      for (const node of nodeNames) {
        const ids = (await run('docker', ['ps', '-aq', '--filter', `label=io.jobfleet.node=${node}`])).stdout.split('\n').filter(Boolean);
        if (ids.length > 0) await run('docker', ['rm', '-f', '-v', ...ids]);
        const vols = (await run('docker', ['volume', 'ls', '-q', '--filter', `label=io.jobfleet.node=${node}`])).stdout.split('\n').filter(Boolean);
        if (vols.length > 0) await run('docker', ['volume', 'rm', '-f', ...vols]);
      }
    } finally {
      k?.close();
      console.log(`[compose ${project}] ${Object.entries(timings).map(([w, ms]) => `${w} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
    }
  }, 180_000);

  it('serves the API on the chosen loopback port, with two workers named after their containers and reporting their addresses', async () => {
    const ws = await workers();
    expect(ws).toHaveLength(2);
    const nodes = await readyNodes();
    // Distinct node names, each a worker container's hostname, each reporting that container's address.
    expect(new Map(ws.map((w) => [w.hostname, w.ip]))).toEqual(nodes);
    expect([...nodes.values()].every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip))).toBe(true);
    const version = (await (await fetch(`${server}/version`, { signal: AbortSignal.timeout(10_000) })).json()) as { compiler?: string };
    expect(version.compiler).toBe('jobfleet');
  });

  it('runs the three seed examples with kubectl apply, wait and logs', async () => {
    const examples = [
      { file: 'echo-job.yaml', completions: 1 },
      { file: 'echo-job-completions.yaml', completions: 5 },
      { file: 'echo-job-parallel.yaml', completions: 5 },
    ];
    const workerNames = new Set((await workers()).map((w) => w.hostname));
    // All three at once, each in a namespace of its own (they share the name echo-job).
    await Promise.all(
      examples.map(async ({ file, completions }, i) => {
        const ns = `${project}-${i}`;
        await kubectl(['create', 'namespace', ns]);
        expect(await kubectl(['apply', '-n', ns, '-f', join(REPO, 'examples', file)])).toBe('job.batch/echo-job created\n');
        expect(await kubectl(['wait', '-n', ns, '--for=condition=complete', 'job/echo-job', '--timeout=90s'], 100_000)).toBe('job.batch/echo-job condition met\n');
        expect(await kubectl(['get', 'job', 'echo-job', '-n', ns, '-o', 'jsonpath={.status.succeeded}'])).toBe(String(completions));
        expect(await kubectl(['logs', '-n', ns, 'job/echo-job'])).toBe('Running in a job\n');
        const podNodes = (await kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').filter(Boolean);
        expect(podNodes).toHaveLength(completions);
        for (const node of podNodes) expect(workerNames).toContain(node);
      }),
    );
  }, 120_000);

  it('scales to three workers, all Ready, and runs a Job on all three', async () => {
    await timed('scale', () => composeRun(['up', '-d', '--scale', 'worker=3']));
    const nodes = await eventually(
      async () => {
        const ready = await readyNodes();
        return ready.size === 3 ? ready : undefined;
      },
      60_000,
      'three Ready nodes',
    );
    const ws = await workers();
    expect(new Set(ws.map((w) => w.hostname))).toEqual(new Set(nodes.keys()));

    // Three pods at once, and each worker runs one pod at a time (JOBFLEET_MAX_PODS=1): one per node.
    const manifest = `apiVersion: batch/v1
kind: Job
metadata:
  name: across
spec:
  parallelism: 3
  completions: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "sleep 2; echo done"]
`;
    expect(await kubectlOk(k!, ['--server', server, 'apply', '-f', '-'], { input: manifest })).toBe('job.batch/across created\n');
    await kubectl(['wait', '--for=condition=complete', 'job/across', '--timeout=90s'], 100_000);
    const podNodes = (await kubectl(['get', 'pods', '-l', 'job-name=across', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').filter(Boolean);
    expect(new Set(podNodes)).toEqual(new Set(nodes.keys()));
  }, 150_000);

  it('down -v removes the project: containers, network, volume, and no pod container of its nodes is left', async () => {
    const names = [...nodeNames];
    expect(names.length).toBeGreaterThanOrEqual(3);
    await timed('down', () => composeRun(['down', '-v', '--remove-orphans'], 120_000));
    downDone = true;
    const left = async (what: string[]) => (await runOk('docker', what)).split('\n').filter(Boolean);
    expect(await left(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).toEqual([]);
    expect(await left(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`])).toEqual([]);
    expect(await left(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`])).toEqual([]);
    // Finished pods' containers are removed by their workers; none of this project's nodes is left running one.
    for (const node of names) expect(await left(['ps', '-q', '--filter', `label=io.jobfleet.node=${node}`])).toEqual([]);
    await expect(fetch(`${server}/readyz`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  }, 150_000);
});
