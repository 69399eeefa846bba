/**
 * The official JavaScript client, @kubernetes/client-node 1.3 (Kubernetes 1.33; the 2.x line needs
 * Node 22), against a real fleet: API, worker, Redis and Docker, on the daily paths — version,
 * create, get, list with selectors, watch until Complete, typed pod list/read, log with follow,
 * patch, replace, errors as ApiException, access review, delete, delete-collection.
 */
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness.js';

let fleet: Fleet;
let kc: k8s.KubeConfig;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;
const NS = 'default';
const run = randomUUID().slice(0, 6);

beforeAll(async () => {
  fleet = await startFleet({ workers: 1 });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    // client-node 1.x refuses an http:// server unless skipTLSVerify is set (there is no TLS to verify).
    clusters: [{ name: 'jobfleet', server: fleet.api.url, skipTLSVerify: true }],
    users: [{ name: 'jobfleet' }],
    contexts: [{ name: 'jobfleet', cluster: 'jobfleet', user: 'jobfleet', namespace: NS }],
    currentContext: 'jobfleet',
  });
  batch = kc.makeApiClient(k8s.BatchV1Api);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await fleet?.close();
});

function job(name: string, script: string, labels: Record<string, string> = {}): k8s.V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { run, ...labels } },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } } },
  };
}

/** The ApiException a call rejects with. */
async function apiError(call: () => Promise<unknown>): Promise<{ code: number; body: { kind?: string; reason?: string; message?: string } }> {
  try {
    await call();
  } catch (err) {
    if (err instanceof k8s.ApiException) return { code: err.code, body: JSON.parse(String(err.body)) as { kind?: string; reason?: string; message?: string } };
    throw err;
  }
  throw new Error('the call succeeded');
}

/** Watches Jobs with client-node's Watch until `until` holds for an event's Job. */
function watchJobs(selector: { labelSelector?: string; fieldSelector?: string }, until: (job: k8s.V1Job) => boolean): Promise<{ type: string; job: k8s.V1Job }[]> {
  const events: { type: string; job: k8s.V1Job }[] = [];
  return new Promise((resolve, reject) => {
    let abort: AbortController | undefined;
    const timer = setTimeout(() => {
      abort?.abort();
      reject(new Error(`the watch saw no such Job in 90 s: ${JSON.stringify(events.map((e) => e.type))}`));
    }, 90_000);
    void new k8s.Watch(kc)
      .watch(
        `/apis/batch/v1/namespaces/${NS}/jobs`,
        selector,
        (type: string, obj: k8s.V1Job) => {
          events.push({ type, job: obj });
          if (until(obj)) {
            clearTimeout(timer);
            abort?.abort();
            resolve(events);
          }
        },
        (err: unknown) => {
          if (err && !(err instanceof Error && err.name === 'AbortError')) reject(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .then((controller) => (abort = controller), reject);
  });
}

const complete = (j: k8s.V1Job) => (j.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

describe('@kubernetes/client-node against jobfleet', () => {
  it('reads the version and discovers the batch group', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version).toMatchObject({ compiler: 'jobfleet', minor: '33', gitVersion: expect.stringMatching(/^v1\.33\.0-jobfleet/) });
    const resources = await batch.getAPIResources();
    expect(resources.resources.map((r) => r.name)).toContain('jobs');
  });

  it('creates a Job, gets and lists it by selectors, watches it until Complete, and reads its pod typed and its log', async () => {
    const name = `cn-echo-${run}`;
    const created = await batch.createNamespacedJob({ namespace: NS, body: job(name, 'echo hello from client-node', { kind: 'echo' }) });
    expect(created.metadata?.uid).toBeTruthy();
    expect((await batch.readNamespacedJob({ name, namespace: NS })).metadata?.uid).toBe(created.metadata?.uid);
    const byLabel = await batch.listNamespacedJob({ namespace: NS, labelSelector: `run=${run},kind=echo` });
    expect(byLabel.items.map((j) => j.metadata?.name)).toEqual([name]);
    const byField = await batch.listNamespacedJob({ namespace: NS, fieldSelector: `metadata.name=${name}` });
    expect(byField.items.map((j) => j.metadata?.name)).toEqual([name]);

    const events = await watchJobs({ fieldSelector: `metadata.name=${name}` }, complete);
    expect(events[0]?.type).toBe('ADDED');
    expect(events.at(-1)?.job.status?.succeeded).toBe(1);

    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` });
    expect(pods.items).toHaveLength(1);
    const pod = await core.readNamespacedPod({ name: pods.items[0]?.metadata?.name ?? '', namespace: NS });
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
    expect(await core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: NS })).toBe('hello from client-node\n');
  });

  it('follows a running pod\'s log until the container ends', async () => {
    const name = `cn-slow-${run}-${randomUUID().slice(0, 4)}`; // a name of its own per attempt: a retry must not meet the first attempt's Job
    await batch.createNamespacedJob({ namespace: NS, body: job(name, 'echo first; sleep 2; echo second') });
    let podName = '';
    const deadline = Date.now() + 60_000;
    while (!podName && Date.now() < deadline) {
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` });
      podName = pods.items.find((p) => p.status?.phase === 'Running')?.metadata?.name ?? '';
      if (!podName) await new Promise((r) => setTimeout(r, 100));
    }
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const ended = new Promise<void>((resolve) => out.on('finish', resolve));
    await new k8s.Log(kc).log(NS, podName, 'main', out, { follow: true });
    await ended;
    expect(text).toBe('first\nsecond\n');
  });

  it('patches (merge patch) and replaces a Job; a stale replace is an ApiException 409', async () => {
    const name = `cn-edit-${run}`;
    const suspended = job(name, 'true');
    if (suspended.spec) suspended.spec.suspend = true;
    await batch.createNamespacedJob({ namespace: NS, body: suspended });
    const patched = await batch.patchNamespacedJob(
      { name, namespace: NS, body: { metadata: { labels: { patched: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels).toMatchObject({ patched: 'yes', run });
    const current = await batch.readNamespacedJob({ name, namespace: NS });
    const stale = current.metadata?.resourceVersion;
    const replaced = await batch.replaceNamespacedJob({ name, namespace: NS, body: { ...current, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, replaced: 'yes' } } } });
    expect(replaced.metadata?.labels).toMatchObject({ patched: 'yes', replaced: 'yes' });
    const conflict = await apiError(() => batch.replaceNamespacedJob({ name, namespace: NS, body: { ...current, metadata: { ...current.metadata, resourceVersion: stale } } }));
    expect(conflict).toMatchObject({ code: 409, body: { kind: 'Status', reason: 'Conflict' } });
  });

  it('rejects with ApiException carrying the Status of each error', async () => {
    expect(await apiError(() => batch.readNamespacedJob({ name: `cn-missing-${run}`, namespace: NS }))).toMatchObject({ code: 404, body: { reason: 'NotFound', message: `jobs.batch "cn-missing-${run}" not found` } });
    const bad = job(`cn-bad-${run}`, 'true');
    if (bad.spec) bad.spec.parallelism = -1;
    expect(await apiError(() => batch.createNamespacedJob({ namespace: NS, body: bad }))).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
  });

  it('asks what it may do with a SelfSubjectAccessReview', async () => {
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const ask = async (verb: string, resource: string, group: string) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: NS, verb, resource, group } } } })).status;
    expect(await ask('create', 'jobs', 'batch')).toMatchObject({ allowed: true });
    expect(await ask('create', 'cronjobs', 'batch')).toMatchObject({ allowed: true });
    expect(await ask('create', 'deployments', 'apps')).toEqual({ allowed: false, reason: 'jobfleet does not serve deployments.apps' });
  });

  it('deletes one Job, then the rest of the run with delete-collection', async () => {
    const name = `cn-del-${run}`;
    await batch.createNamespacedJob({ namespace: NS, body: job(name, 'true', { kind: 'del' }) });
    const status = await batch.deleteNamespacedJob({ name, namespace: NS, propagationPolicy: 'Background' });
    expect(status.status).toBe('Success');
    expect((await apiError(() => batch.readNamespacedJob({ name, namespace: NS }))).code).toBe(404);
    await batch.deleteCollectionNamespacedJob({ namespace: NS, labelSelector: `run=${run}`, propagationPolicy: 'Background' });
    expect((await batch.listNamespacedJob({ namespace: NS, labelSelector: `run=${run}` })).items).toEqual([]);
  });
});
