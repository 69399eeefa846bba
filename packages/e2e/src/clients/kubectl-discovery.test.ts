/**
 * kubectl's discovery, documentation and authorization commands against a real API: `version`,
 * `api-versions`, `api-resources`, `explain` (OpenAPI v3 with Kubernetes' descriptions and jobfleet's
 * marks), `auth can-i` (SelfSubjectAccessReview/SelfSubjectRulesReview) and `auth whoami`
 * (SelfSubjectReview), without and with a token. kubectl sends the reviews as protobuf, so `auth`
 * needs the API's protobuf support too. HOME is a fresh directory: kubectl's caches start empty.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import { startFleet, type Fleet } from '../harness.js';

const KUBECTL = '/usr/bin/kubectl';
const TOKEN = 'kubectl-auth-token';

let fleet: Fleet;
let dir: string;
let kubeconfig: string;
let tlsApi: RunningApi;
let tokenConfig: string;

beforeAll(async () => {
  fleet = await startFleet({ workers: 0, janitor: false });
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-kubectl-auth-'));
  kubeconfig = writeKubeconfig('plain.json', { server: fleet.api.url });
  // A second API of the same fleet with a token, on HTTPS (kubectl sends tokens only over TLS).
  const keyFile = join(dir, 'tls.key');
  const certFile = join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  const cert = readFileSync(certFile);
  tlsApi = await startApi({ redisUrl: fleet.redisUrl, prefix: fleet.prefix, port: 0, token: TOKEN, tls: { cert, key: readFileSync(keyFile) }, runSyncs: false });
  tokenConfig = writeKubeconfig('token.json', { server: tlsApi.url, token: TOKEN, caData: cert.toString('base64') });
});
afterAll(async () => {
  await tlsApi?.close();
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeKubeconfig(file: string, opts: { server: string; token?: string; caData?: string }): string {
  const path = join(dir, file);
  const cluster = { server: opts.server, ...(opts.caData ? { 'certificate-authority-data': opts.caData } : {}) };
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'jobfleet', cluster }],
      users: [{ name: 'jobfleet', user: opts.token ? { token: opts.token } : {} }],
      contexts: [{ name: 'jobfleet', context: { cluster: 'jobfleet', user: 'jobfleet', namespace: 'default' } }],
      'current-context': 'jobfleet',
    }),
  );
  return path;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], config = kubeconfig): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env: { ...process.env, HOME: dir, KUBECONFIG: config }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
    child.stdin?.end();
  });
}

async function ok(args: string[], config = kubeconfig): Promise<string> {
  const result = await kubectl(args, config);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** kubectl's tables as rows of cells (columns are padded with 2+ spaces). */
function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describe.concurrent('kubectl discovery, explain and auth against jobfleet', () => {
  it('version: the server is Kubernetes 1.33 as built by jobfleet', async () => {
    const version = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: Record<string, string> };
    expect(version.serverVersion).toMatchObject({ major: '1', minor: '33', compiler: 'jobfleet', gitVersion: expect.stringMatching(/^v1\.33\.0-jobfleet\.\d+\.\d+\.\d+$/) });
    expect(version.serverVersion.gitCommit).toMatch(/^([0-9a-f]{40})?$/);
  });

  it('api-versions and api-resources list the batch, authorization and authentication groups', async () => {
    expect((await ok(['api-versions'])).trim().split('\n')).toEqual(['authentication.k8s.io/v1', 'authorization.k8s.io/v1', 'batch/v1', 'v1']);
    const resources = new Map(rows(await ok(['api-resources', '-o', 'wide', '--no-headers'])).map((r) => [r[0], r]));
    expect(resources.get('jobs')?.slice(1, 4)).toEqual(['batch/v1', 'true', 'Job']);
    // The VERBS column: `create` (kubectl 1.33) or `[create]` (older kubectl).
    expect(resources.get('selfsubjectaccessreviews')).toEqual(['selfsubjectaccessreviews', 'authorization.k8s.io/v1', 'false', 'SelfSubjectAccessReview', expect.stringMatching(/^\[?create\]?$/)]);
    expect(resources.get('selfsubjectreviews')?.slice(1)).toEqual(['authentication.k8s.io/v1', 'false', 'SelfSubjectReview', expect.stringMatching(/^\[?create\]?$/)]);
  });

  it('explain job.spec.podFailurePolicy prints Kubernetes\' description and fields', async () => {
    const text = await ok(['explain', 'job.spec.podFailurePolicy']);
    expect(text).toMatch(/^GROUP:\s+batch\nKIND:\s+Job\nVERSION:\s+v1\n/);
    expect(text).toContain('FIELD: podFailurePolicy <PodFailurePolicy>');
    expect(text).toMatch(/Specifies the policy of handling failed pods\. In particular, it allows to\s+specify the set of actions/);
    expect(text).toMatch(/rules\s+<\[\]PodFailurePolicyRule> -required-/);
  });

  it('explain pod.spec.containers prints the Container fields, marking those a Job may not set', async () => {
    const text = await ok(['explain', 'pod.spec.containers']);
    expect(text).toContain('FIELD: containers <[]Container>');
    expect(text).toMatch(/List of containers belonging to the pod\./);
    expect(text).toMatch(/\n {2}image\s+<string>\n/);
    expect(text).toMatch(/\n {2}name\s+<string> -required-\n/);
    const spread = await ok(['explain', 'job.spec.template.spec.topologySpreadConstraints']);
    expect(spread).toMatch(/DESCRIPTION:\s+\[jobfleet: not supported: a Job that sets this field is refused/);
  });

  it('auth can-i answers from what jobfleet serves: create jobs and cronjobs yes, deployments no, delete pods as discovery says', async () => {
    expect(await kubectl(['auth', 'can-i', 'create', 'jobs'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl(['auth', 'can-i', 'get', 'pods', '--subresource=log'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl(['auth', 'can-i', 'create', 'cronjobs'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl(['auth', 'can-i', 'patch', 'cj', '--subresource=status'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    const deployments = await kubectl(['auth', 'can-i', 'create', 'deployments.apps']);
    expect(deployments.code).toBe(1);
    expect(deployments.stdout).toMatch(/^no - jobfleet does not serve deployments\.apps/);
    // -o wide: NAME SHORTNAMES APIVERSION NAMESPACED KIND VERBS CATEGORIES; the verbs follow the kind.
    const pods = rows(await ok(['api-resources', '-o', 'wide', '--no-headers'])).find((r) => r[0] === 'pods') ?? [];
    const podVerbs = pods[pods.indexOf('Pod') + 1] ?? '';
    // `[create delete …]` (kubectl 1.32) or `create,delete,…` (1.33).
    const servesDelete = podVerbs.replace(/[[\]]/g, '').split(/[ ,]/).includes('delete');
    expect((await kubectl(['auth', 'can-i', 'delete', 'pods'])).stdout.startsWith(servesDelete ? 'yes' : 'no')).toBe(true);
    const list = rows(await ok(['auth', 'can-i', '--list']));
    expect(list[0]).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    expect(list.find((r) => r[0] === 'jobs.batch')?.at(-1)).toMatch(/^\[create delete deletecollection get list patch update watch/);
  });

  it('auth whoami names the caller: anonymous without a token, the token\'s user with one', async () => {
    expect(rows(await ok(['auth', 'whoami']))).toEqual([
      ['ATTRIBUTE', 'VALUE'],
      ['Username', 'system:anonymous'],
      ['Groups', '[system:unauthenticated]'],
    ]);
    expect(rows(await ok(['auth', 'whoami'], tokenConfig))).toEqual([
      ['ATTRIBUTE', 'VALUE'],
      ['Username', 'jobfleet'],
      ['Groups', '[system:authenticated]'],
    ]);
    expect(await kubectl(['auth', 'can-i', 'create', 'jobs'], tokenConfig)).toMatchObject({ code: 0, stdout: 'yes\n' });
  });
});
