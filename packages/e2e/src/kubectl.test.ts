/**
 * The real kubectl (/usr/bin/kubectl, v1.32, default flags) against a real fleet: discovery,
 * OpenAPI-driven server-side validation, server-side printing, watches, updates and patches,
 * logs, events, nodes, namespaces and token auth (which kubectl only sends over HTTPS).
 * HOME is a fresh directory so that kubectl's discovery cache starts empty on every run.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import type { Job } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from './harness.js';

const KUBECTL = '/usr/bin/kubectl';
const TOKEN = 'kubectl-test-token';

let fleet: Fleet;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  fleet = await startFleet({ workers: 1, maxPods: 20 });
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-kubectl-'));
  kubeconfig = writeKubeconfig('plain.yaml', { server: fleet.api.url });
});
afterAll(async () => {
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeKubeconfig(file: string, opts: { server: string; token?: string; caData?: string }): string {
  const path = join(dir, file);
  const cluster = { server: opts.server, ...(opts.caData ? { 'certificate-authority-data': opts.caData } : {}) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'jobfleet', cluster }],
    users: [{ name: 'jobfleet', user: opts.token ? { token: opts.token } : {} }],
    contexts: [{ name: 'jobfleet', context: { cluster: 'jobfleet', user: 'jobfleet', namespace: 'default' } }],
    'current-context': 'jobfleet',
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], opts: { input?: string; config?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      { env: { ...process.env, HOME: dir, KUBECONFIG: opts.config ?? kubeconfig }, timeout: opts.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    // Always close stdin: without credentials kubectl would otherwise wait for a typed user name.
    child.stdin?.end(opts.input ?? '');
  });
}

async function ok(args: string[], opts: { input?: string; config?: string } = {}): Promise<string> {
  const result = await kubectl(args, opts);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Table output as rows of cells (kubectl pads columns with 3+ spaces; cells hold single spaces). */
function table(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

function jobManifest(name: string, script: string, spec: Record<string, unknown> = {}): string {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } } },
  };
  return JSON.stringify(job);
}

async function getJob(name: string): Promise<Job> {
  return JSON.parse(await ok(['get', 'job', name, '-o', 'json'])) as Job;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.concurrent('kubectl against jobfleet', () => {
  it('discovers the API: version, api-resources with short names and categories', async () => {
    expect(await ok(['version'])).toContain('Server Version: v1.33.0-jobfleet.');
    const resources = table(await ok(['api-resources', '--no-headers']));
    const byName = new Map(resources.map((r) => [r[0], r]));
    expect(byName.get('jobs')).toEqual(['jobs', 'batch/v1', 'true', 'Job']);
    expect(byName.get('pods')).toEqual(['pods', 'po', 'v1', 'true', 'Pod']);
    expect(byName.get('events')).toEqual(['events', 'ev', 'v1', 'true', 'Event']);
    expect(byName.get('namespaces')).toEqual(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    expect(byName.get('nodes')).toEqual(['nodes', 'no', 'v1', 'false', 'Node']);
  });

  it('applies a manifest: created, unchanged, then configured after an edit of parallelism', async () => {
    const name = uniqueName('apply');
    const manifest = jobManifest(name, 'echo hi; sleep 1', { parallelism: 1, completions: 2 });
    expect(await ok(['apply', '-f', '-'], { input: manifest })).toBe(`job.batch/${name} created\n`);
    expect(await ok(['apply', '-f', '-'], { input: manifest })).toBe(`job.batch/${name} unchanged\n`);
    const edited = manifest.replace('"parallelism":1', '"parallelism":2');
    expect(await ok(['apply', '-f', '-'], { input: edited })).toBe(`job.batch/${name} configured\n`);
    const job = await getJob(name);
    expect(job.spec.parallelism).toBe(2);
    expect(job.metadata.generation).toBe(2);
    expect(job.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"parallelism":2');
  });

  it('validates on the server: create -f of an invalid manifest prints every problem', async () => {
    const name = uniqueName('invalid');
    const bad = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: { completions: -1, template: { spec: { containers: [{ name: 'main', image: 'busybox', bogus: 1 }] } } },
    };
    const result = await kubectl(['create', '-f', '-'], { input: JSON.stringify(bad) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The Job "${name}" is invalid`);
    expect(result.stderr).toContain('* spec.completions: Invalid value: -1: must be greater than or equal to 0');
    expect(result.stderr).toContain('* spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
    expect(result.stderr).toContain('* spec.template.spec.containers[0].bogus: Forbidden: not supported by jobfleet');
    expect((await kubectl(['get', 'job', name])).stderr).toContain(`jobs.batch "${name}" not found`);
  });

  it('prints jobs and pods with kubectl\'s columns, describes the Job with its events, and shows logs', async () => {
    const name = uniqueName('print');
    expect(await ok(['create', '-f', '-'], { input: jobManifest(name, 'echo hi; sleep 1') })).toBe(`job.batch/${name} created\n`);
    expect(await ok(['wait', '--for=condition=complete', `job/${name}`, '--timeout=60s'])).toBe(`job.batch/${name} condition met\n`);

    const jobs = table(await ok(['get', 'jobs', name]));
    expect(jobs[0]).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(jobs[1]?.slice(0, 3)).toEqual([name, 'Complete', '1/1']);
    expect(jobs[1]?.[3]).toMatch(/^\d+s$/);
    expect(jobs[1]?.[4]).toMatch(/^\d+s$/);
    const wide = table(await ok(['get', 'jobs', name, '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide[1]?.slice(5, 7)).toEqual(['main', 'busybox']);
    expect(wide[1]?.[7]).toMatch(/^batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/);

    const pods = table(await ok(['get', 'pods', '-l', `job-name=${name}`]));
    expect(pods[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(pods).toHaveLength(2);
    expect(pods[1]?.[0]).toMatch(new RegExp(`^${name}-[a-z0-9]{5}$`));
    expect(pods[1]?.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    const widePods = table(await ok(['get', 'pods', '-l', `job-name=${name}`, '-o', 'wide']));
    expect(widePods[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(widePods[1]?.[6]).toBe(fleet.workers[0]?.nodeName);
    expect(table(await ok(['get', 'jobs', '-A', '--no-headers'])).some((r) => r[0] === 'default' && r[1] === name)).toBe(true);

    const described = await ok(['describe', 'job', name]);
    expect(described).toMatch(/Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: /);
    expect(described).toMatch(/Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);

    const logs = await kubectl(['logs', `job/${name}`]);
    expect(logs.stdout).toBe('hi\n');
    const events = table(await ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`]));
    expect(events[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(events.slice(1).map((e) => e.slice(1, 4))).toContainEqual(['Normal', 'Completed', `job/${name}`]);
  });

  it('describes a Job of 14 pods with 9 SuccessfulCreate events and one combined from the rest (x5), as Kubernetes\' event aggregator', async () => {
    const name = uniqueName('combined');
    await ok(['apply', '-f', '-'], { input: jobManifest(name, 'true', { parallelism: 14, completions: 14 }) });
    await ok(['wait', '--for=condition=complete', `job/${name}`, '--timeout=120s']);
    const described = await ok(['describe', 'job', name]);
    const creates = described.split('\n').filter((l) => /Normal\s+SuccessfulCreate/.test(l));
    expect(creates.filter((l) => /job-controller\s+Created pod: /.test(l))).toHaveLength(9);
    expect(creates.filter((l) => /\(x5 over \S+\)\s+job-controller\s+\(combined from similar events\): Created pod: /.test(l))).toHaveLength(1);
    expect(creates).toHaveLength(10);
  });

  it('follows a running pod\'s log with logs -f until the container ends', async () => {
    const name = uniqueName('follow');
    // Running for 10 s: long enough for the polling below (one kubectl process per look, seconds each on a
    // loaded machine) to see it Running; with 2 s, CI once saw it only Pending and then Succeeded.
    await ok(['create', '-f', '-'], { input: jobManifest(name, 'echo start; sleep 10; echo end') });
    const pod = await waitFor('a running pod', async () => {
      const out = await ok(['get', 'pods', '-l', `job-name=${name}`, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\\n"}{end}']);
      const running = out.split('\n').find((l) => l.endsWith(' Running'));
      return running?.split(' ')[0];
    });
    const followed = await kubectl(['logs', '-f', pod], { timeoutMs: 30_000 });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('start\nend\n');
  });

  it('watches a Job with get -w until it is Complete', async () => {
    const name = uniqueName('watch');
    await ok(['create', '-f', '-'], { input: jobManifest(name, 'sleep 2') });
    const child = spawn(KUBECTL, ['get', 'jobs', name, '-w'], { env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } });
    let out = '';
    const complete = new RegExp(`^${name}\\s+Complete\\s+1/1\\s`, 'm');
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no Complete line in:\n${out}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (complete.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`kubectl get -w exited ${code}:\n${out}`)));
      });
    } finally {
      child.kill();
    }
    const rows = table(out);
    expect(rows[0]).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(rows.filter((r) => r[0] === 'NAME')).toHaveLength(1); // the header is printed once
    expect(rows[1]?.slice(0, 2)).toEqual([name, 'Running']);
  });

  it('labels and annotates a Job, and selects it by label', async () => {
    const name = uniqueName('label');
    await ok(['create', '-f', '-'], { input: jobManifest(name, 'true') });
    expect(await ok(['label', 'job', name, 'team=blue'])).toBe(`job.batch/${name} labeled\n`);
    expect(await ok(['annotate', 'job', name, 'note=hello world'])).toBe(`job.batch/${name} annotated\n`);
    const job = await getJob(name);
    expect(job.metadata.labels?.team).toBe('blue');
    expect(job.metadata.annotations?.note).toBe('hello world');
    expect(job.metadata.generation).toBe(1); // metadata changes leave the generation alone
    expect(table(await ok(['get', 'jobs', '-l', 'team=blue', '-o', 'name']))).toContainEqual([`job.batch/${name}`]);
    expect(await ok(['label', 'job', name, 'team-'])).toBe(`job.batch/${name} unlabeled\n`);
    expect((await getJob(name)).metadata.labels?.team).toBeUndefined();
  });

  it('patches parallelism of a running Job: 1 → 3 active pods, and refuses immutable fields', async () => {
    const name = uniqueName('scale');
    await ok(['create', '-f', '-'], { input: jobManifest(name, 'sleep 30', { parallelism: 1, completions: 10 }) });
    await waitFor('one active pod', async () => ((await getJob(name)).status?.active === 1 ? true : undefined));
    expect(await ok(['patch', 'job', name, '-p', '{"spec":{"parallelism":3}}'])).toBe(`job.batch/${name} patched\n`);
    await waitFor('three active pods', async () => ((await getJob(name)).status?.active === 3 ? true : undefined), 30_000);
    const pods = table(await ok(['get', 'pods', '-l', `job-name=${name}`, '--no-headers']));
    expect(pods).toHaveLength(3);
    const job = await getJob(name);
    expect(job.spec.parallelism).toBe(3);
    expect(job.metadata.generation).toBe(2);

    const immutable = await kubectl(['patch', 'job', name, '--type=merge', '-p', '{"spec":{"completions":4}}']);
    expect(immutable.code).toBe(1);
    expect(immutable.stderr).toContain(`The Job "${name}" is invalid: spec.completions: Invalid value: 4: field is immutable`);
    const jsonPatch = await kubectl(['patch', 'job', name, '--type=json', '-p', '[{"op":"add","path":"/spec/activeDeadlineSeconds","value":600}]']);
    expect(jsonPatch.stdout).toBe(`job.batch/${name} patched\n`);
    expect((await getJob(name)).spec.activeDeadlineSeconds).toBe(600);
    expect(await ok(['delete', 'job', name, '--wait=false'])).toBe(`job.batch "${name}" deleted\n`);
  });

  it('answers a replace with a stale resourceVersion with Conflict, and server-side apply with 415', async () => {
    const name = uniqueName('conflict');
    // Suspended, so that no status write of the controller races with the replaces below.
    const manifest = jobManifest(name, 'true', { backoffLimit: 2, suspend: true });
    await ok(['create', '-f', '-'], { input: manifest });
    const stale = await getJob(name);
    await ok(['annotate', 'job', name, 'touched=yes']);
    const replaced = await kubectl(['replace', '-f', '-'], { input: JSON.stringify({ ...stale, spec: { ...stale.spec, backoffLimit: 3 } }) });
    expect(replaced.code).toBe(1);
    expect(replaced.stderr).toContain(
      `Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on jobs.batch "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
    const fresh = await getJob(name);
    expect(await ok(['replace', '-f', '-'], { input: JSON.stringify({ ...fresh, spec: { ...fresh.spec, backoffLimit: 3 } }) })).toBe(`job.batch/${name} replaced\n`);
    expect((await getJob(name)).spec.backoffLimit).toBe(3);
    const ssa = await kubectl(['apply', '--server-side', '-f', '-'], { input: manifest });
    expect(ssa.code).toBe(1);
    expect(ssa.stderr).toContain('Server-side apply not available on the server');
  });

  it('deletes a Job: prints deleted, returns once it is gone, and its pods go with it', async () => {
    const name = uniqueName('delete');
    await ok(['create', '-f', '-'], { input: jobManifest(name, 'sleep 300') });
    await waitFor('a pod', async () => ((await getJob(name)).status?.active === 1 ? true : undefined));
    const started = Date.now();
    expect(await ok(['delete', 'job', name])).toBe(`job.batch "${name}" deleted\n`);
    // The pod was stopped (SIGTERM, then SIGKILL after its grace), not waited for: its sleep has 300 s to go.
    // ~3 s on an idle machine, 19.6 s once in CI under load.
    expect(Date.now() - started).toBeLessThan(90_000);
    const gone = await kubectl(['get', 'job', name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`Error from server (NotFound): jobs.batch "${name}" not found`);
    expect((await kubectl(['get', 'pods', '-l', `job-name=${name}`])).stderr).toContain('No resources found');
  });

  it('lists nodes; creates, labels, lists and deletes namespaces', async () => {
    const nodes = table(await ok(['get', 'nodes']));
    expect(nodes[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    const row = nodes.find((r) => r[0] === fleet.workers[0]?.nodeName);
    expect(row?.slice(1, 3)).toEqual(['Ready', '<none>']);
    expect(row?.[4]).toBe('jobfleet');
    const node = JSON.parse(await ok(['get', 'node', fleet.workers[0]?.nodeName ?? '', '-o', 'json'])) as { status: { capacity: Record<string, string> } };
    expect(node.status.capacity.pods).toBe('20');

    const ns = uniqueName('ns');
    const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    expect(await ok(['apply', '-f', '-'], { input: manifest })).toBe(`namespace/${ns} created\n`);
    expect(await ok(['apply', '-f', '-'], { input: manifest })).toBe(`namespace/${ns} unchanged\n`);
    const namespaces = table(await ok(['get', 'ns']));
    expect(namespaces[0]).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(namespaces.find((r) => r[0] === 'default')?.[1]).toBe('Active');
    expect(namespaces.find((r) => r[0] === ns)?.[1]).toBe('Active');
    const job = uniqueName('in-ns');
    expect(await ok(['-n', ns, 'create', '-f', '-'], { input: jobManifest(job, 'true') })).toBe(`job.batch/${job} created\n`);
    expect(table(await ok(['-n', ns, 'get', 'jobs', '-o', 'name']))).toEqual([[`job.batch/${job}`]]);
    expect(await ok(['label', 'ns', ns, 'team=red'])).toBe(`namespace/${ns} labeled\n`);
    expect(table(await ok(['get', 'ns', '-l', 'team=red', '-o', 'name']))).toEqual([[`namespace/${ns}`]]);

    expect(await ok(['delete', 'ns', ns])).toBe(`namespace "${ns}" deleted\n`);
    expect((await kubectl(['get', 'ns', ns])).stderr).toContain(`namespaces "${ns}" not found`);
    expect((await kubectl(['-n', ns, 'get', 'jobs'])).stderr).toContain(`No resources found in ${ns} namespace.`);
    expect((await kubectl(['delete', 'ns', 'default'])).stderr).toContain('Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted');
  });

  it('serves the watch-list protocol (sendInitialEvents) with its end bookmark, and refuses it without bookmarks', async () => {
    const name = uniqueName('watchlist');
    await ok(['create', '-f', '-'], { input: jobManifest(name, 'true') });
    const base = `${fleet.api.url}/apis/batch/v1/namespaces/default/jobs?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3D${name}`;
    const refused = await fetch(base);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    const controller = new AbortController();
    const res = await fetch(`${base}&allowWatchBookmarks=true`, { signal: controller.signal });
    const reader = res.body?.getReader();
    let text = '';
    while (reader && !text.includes('k8s.io/initial-events-end')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const events = text.trim().split('\n').map((line) => JSON.parse(line) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[0]?.object.metadata.name).toBe(name);
    expect(events[1]?.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  it('authenticates with a bearer token over HTTPS (kubectl sends tokens only over TLS); 401 otherwise', async () => {
    const { api, ca } = await startTlsApi();
    try {
      const withToken = writeKubeconfig('token.yaml', { server: api.url, token: TOKEN, caData: ca.toString('base64') });
      const wrongToken = writeKubeconfig('wrong-token.yaml', { server: api.url, token: 'not-the-token', caData: ca.toString('base64') });
      const name = uniqueName('tls');
      expect(await ok(['create', '-f', '-'], { input: jobManifest(name, 'true'), config: withToken })).toBe(`job.batch/${name} created\n`);
      expect(table(await ok(['get', 'jobs', name, '--no-headers'], { config: withToken }))[0]?.[0]).toBe(name);
      const denied = await kubectl(['get', 'jobs'], { config: wrongToken });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain('error: You must be logged in to the server');
      const raw = await httpsGet(`${api.url}/apis/batch/v1/jobs`, ca);
      expect(raw.code).toBe(401);
      expect(JSON.parse(raw.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    } finally {
      await api.close();
    }
  });
});

/** A second API process of the same fleet, on HTTPS with a fresh self-signed certificate and a token. */
async function startTlsApi(): Promise<{ api: RunningApi; ca: Buffer }> {
  const keyFile = join(dir, 'tls.key');
  const certFile = join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  const cert = readFileSync(certFile);
  const api = await startApi({ redisUrl: fleet.redisUrl, prefix: fleet.prefix, port: 0, token: TOKEN, tls: { cert, key: readFileSync(keyFile) }, runSyncs: false });
  return { api, ca: cert };
}

function httpsGet(url: string, ca: Buffer): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}
