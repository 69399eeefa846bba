/**
 * Port of Kubernetes' conformance test "should support CronJob API operations" (test/e2e/apps/cronjob.go,
 * 1.33) with the official JavaScript client in client-go's place, against a real API and Redis:
 * create, get, list in the namespace and in all namespaces, watch (both), patch, update, status
 * get/patch/update, delete, deletecollection. Adapted: the CronJob is suspended (no Job, no pod
 * needed), and where upstream tolerates finalizers (a CronJob still listed after its deletion)
 * jobfleet, which has none, must have deleted it.
 *
 * Then what the API server does around it that clients depend on: generateName, dryRun, field
 * selectors, limit/continue, the three patch types (strategic merge by container name inside
 * spec.jobTemplate), delete preconditions, cascading deletion of the CronJob's Jobs (Background) or
 * not (Orphan), and errors as Kubernetes' Status objects (404, 409, 422 with field paths, 400).
 */
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeConfig, uniqueName, useFleet, type Fleet } from '../harness.js';
import { newTestCronJob } from './job-fixtures.js';

let fleet: Fleet;
let batch: k8s.BatchV1Api;
let kc: k8s.KubeConfig;
const NS = 'default';

useFleet({ workers: 0 }, (started) => {
  fleet = started;
  kc = kubeConfig(fleet);
  batch = kc.makeApiClient(k8s.BatchV1Api);
});

/** newTestCronJob of cronjob.go (schedule, concurrency policy, history limits), suspended, as client-node types it. */
function testCronJob(name: string, labels: Record<string, string> = {}): k8s.V1CronJob {
  const cronJob = newTestCronJob(name, '* */1 * * ?', 'Allow', ['/bin/true'], 1, 0);
  // Upstream's template leaves terminationGracePeriodSeconds to the default: the test checks the defaulting.
  const { terminationGracePeriodSeconds: _grace, ...podSpec } = cronJob.spec.jobTemplate.spec.template.spec;
  const template = { ...cronJob.spec.jobTemplate.spec.template, spec: podSpec };
  const spec = { ...cronJob.spec, suspend: true, jobTemplate: { spec: { ...cronJob.spec.jobTemplate.spec, template } } };
  return { ...cronJob, metadata: { name, labels }, spec } as unknown as k8s.V1CronJob;
}

/** The ApiException a call rejects with, its body parsed. */
async function apiError(call: () => Promise<unknown>): Promise<{ code: number; body: { reason?: string; message?: string; details?: { kind?: string; group?: string; causes?: { field?: string }[] } } }> {
  try {
    await call();
  } catch (err) {
    if (err instanceof k8s.ApiException) return { code: err.code, body: JSON.parse(String(err.body)) as never };
    throw err;
  }
  throw new Error('the call succeeded');
}

/** A raw request to the fleet's API (what the typed client cannot send). */
async function http(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${fleet.api.url}${path}`, { method, headers: { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { metadata?: Record<string, unknown>; items?: unknown[] } };
}

/** client-go's retry.RetryOnConflict: the read-modify-write again after a 409. */
async function retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof k8s.ApiException && err.code === 409) || attempt === 5) throw err;
    }
  }
}

const cronjobs = `/apis/batch/v1/namespaces/${NS}/cronjobs`;
const rfc3339Seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

interface WatchedEvent {
  type: string;
  object: k8s.V1CronJob;
}

/** A watch of CronJobs with the client's Watch, collecting events until stop(). */
async function startWatch(path: string, query: Record<string, string>) {
  const events: WatchedEvent[] = [];
  const waiters: (() => void)[] = [];
  const controller = await new k8s.Watch(kc).watch(
    path,
    query,
    (type: string, object: k8s.V1CronJob) => {
      events.push({ type, object });
      waiters.splice(0).forEach((w) => w());
    },
    () => undefined,
  );
  return {
    events,
    /** Resolves with the events once one satisfies `until`; rejects after 30 s. */
    async until(check: (e: WatchedEvent) => boolean): Promise<WatchedEvent[]> {
      const deadline = Date.now() + 30_000;
      while (!events.some(check)) {
        if (Date.now() > deadline) throw new Error(`no such watch event in 30 s: ${JSON.stringify(events.map((e) => [e.type, e.object.metadata?.annotations]))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 500);
        });
      }
      return events;
    },
    stop: () => controller.abort(),
  };
}

describe('CronJob API operations (should support CronJob API operations)', () => {
  it('create, get, list, watch, patch, update, status get/patch/update, delete, deletecollection', async () => {
    const unique = uniqueName('cj-api');
    const selector = `special-label=${unique}`;
    const template = testCronJob('test-api', { 'special-label': unique });

    // creating
    const created = await batch.createNamespacedCronJob({ namespace: NS, body: template });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.spec).toMatchObject({ schedule: '* */1 * * ?', concurrencyPolicy: 'Allow', suspend: true, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 });
    // The pod template is defaulted as a Job's.
    expect(created.spec?.jobTemplate.spec?.template.spec).toMatchObject({ terminationGracePeriodSeconds: 30, containers: [{ name: 'c', imagePullPolicy: 'IfNotPresent' }] });

    // getting
    const gotten = await batch.readNamespacedCronJob({ name: 'test-api', namespace: NS });
    expect(gotten.metadata?.uid).toBe(created.metadata?.uid);

    // listing
    const listed = await batch.listNamespacedCronJob({ namespace: NS, labelSelector: selector });
    expect(listed.items).toHaveLength(1);
    expect(listed.kind).toBe('CronJobList');

    // watching, from the list's resourceVersion
    const watch = await startWatch(cronjobs, { resourceVersion: listed.metadata?.resourceVersion ?? '', labelSelector: selector });

    // cluster-wide listing and watching
    const all = await batch.listCronJobForAllNamespaces({ labelSelector: selector });
    expect(all.items).toHaveLength(1);
    const clusterWatch = await startWatch('/apis/batch/v1/cronjobs', { resourceVersion: listed.metadata?.resourceVersion ?? '', labelSelector: selector });

    // patching
    const patched = await batch.patchNamespacedCronJob(
      { name: 'test-api', namespace: NS, body: { metadata: { annotations: { patched: 'true' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.annotations).toMatchObject({ patched: 'true' });

    // updating (retried on a conflict, as upstream)
    const updated = await retryOnConflict(async () => {
      const current = await batch.readNamespacedCronJob({ name: 'test-api', namespace: NS });
      current.metadata = { ...current.metadata, annotations: { ...current.metadata?.annotations, updated: 'true' } };
      return batch.replaceNamespacedCronJob({ name: 'test-api', namespace: NS, body: current });
    });
    expect(updated.metadata?.annotations).toMatchObject({ patched: 'true', updated: 'true' });

    // Every event the watches saw is a MODIFIED one, until the one with the patched annotation.
    for (const w of [watch, clusterWatch]) {
      const events = await w.until((e) => e.object.metadata?.annotations?.patched === 'true');
      expect(events.map((e) => e.type).every((t) => t === 'MODIFIED')).toBe(true);
      expect(events[0]?.object.kind).toBe('CronJob');
    }
    await watch.until((e) => e.object.metadata?.annotations?.updated === 'true');
    watch.stop();
    clusterWatch.stop();

    // patching /status: the status and the annotation written
    const now1 = rfc3339Seconds(Date.now());
    const patchedStatus = await batch.patchNamespacedCronJobStatus(
      { name: 'test-api', namespace: NS, body: { metadata: { annotations: { patchedstatus: 'true' } }, status: { lastScheduleTime: now1 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patchedStatus.status?.lastScheduleTime?.getTime()).toBe(Date.parse(now1));
    expect(patchedStatus.metadata?.annotations).toMatchObject({ patchedstatus: 'true' });

    // updating /status (client-node writes the time with milliseconds, as any RFC 3339 time)
    const now2 = new Date(Date.parse(now1) + 1000);
    const updatedStatus = await retryOnConflict(async () => {
      const current = await batch.readNamespacedCronJob({ name: 'test-api', namespace: NS });
      current.status = { ...current.status, lastScheduleTime: now2 };
      return batch.replaceNamespacedCronJobStatus({ name: 'test-api', namespace: NS, body: current });
    });
    expect(updatedStatus.status?.lastScheduleTime?.getTime()).toBe(now2.getTime());

    // get /status (upstream: with the dynamic client)
    const status = await http('GET', `${cronjobs}/test-api/status`);
    expect(status.status).toBe(200);
    expect(status.body.metadata?.uid).toBe(created.metadata?.uid);

    // deleting
    const forRemoval = await batch.createNamespacedCronJob({ namespace: NS, body: { ...template, metadata: { ...template.metadata, name: 'for-removal' } } });
    expect((await batch.deleteNamespacedCronJob({ name: 'for-removal', namespace: NS })).status).toBe('Success');
    const gone = await apiError(() => batch.readNamespacedCronJob({ name: forRemoval.metadata?.name ?? '', namespace: NS }));
    expect(gone).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'cronjobs.batch "for-removal" not found', details: { group: 'batch', kind: 'cronjobs' } } });

    // deleting a collection
    await batch.deleteCollectionNamespacedCronJob({ namespace: NS, labelSelector: selector });
    expect((await batch.listNamespacedCronJob({ namespace: NS, labelSelector: selector })).items).toEqual([]);
    expect((await apiError(() => batch.readNamespacedCronJob({ name: 'test-api', namespace: NS }))).code).toBe(404);
  });
});

describe.concurrent('CronJob API: what the API server does around the operations', () => {
  it('create with generateName and dryRun (nothing stored), get and list by field selector, limit and continue', async () => {
    const label = uniqueName('cj-list');
    const dry = await http('POST', `${cronjobs}?dryRun=All`, { ...testCronJob(label), metadata: { name: label } });
    expect(dry.status).toBe(201);
    expect(dry.body.metadata).toMatchObject({ name: label, namespace: NS, uid: expect.any(String), creationTimestamp: expect.any(String) });
    expect((await apiError(() => batch.readNamespacedCronJob({ name: label, namespace: NS }))).code).toBe(404);

    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const made = await batch.createNamespacedCronJob({ namespace: NS, body: { ...testCronJob(''), metadata: { generateName: `${label}-`, labels: { set: label } } } });
      expect(made.metadata?.name).toMatch(new RegExp(`^${label}-[a-z0-9]{5}$`));
      names.push(made.metadata?.name ?? '');
    }
    names.sort();
    const byName = await batch.listNamespacedCronJob({ namespace: NS, fieldSelector: `metadata.name=${names[1]}` });
    expect(byName.items.map((c) => c.metadata?.name)).toEqual([names[1]]);
    const others = await batch.listNamespacedCronJob({ namespace: NS, labelSelector: `set=${label}`, fieldSelector: `metadata.namespace=${NS},metadata.name!=${names[1]}` });
    expect(others.items.map((c) => c.metadata?.name)).toEqual([names[0], names[2]]);
    expect((await http('GET', `${cronjobs}?fieldSelector=status.successful%3D1`)).body).toMatchObject({ code: 400, message: 'field label not supported: status.successful' });

    const first = await batch.listNamespacedCronJob({ namespace: NS, labelSelector: `set=${label}`, limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(names.slice(0, 2));
    const rest = await batch.listNamespacedCronJob({ namespace: NS, labelSelector: `set=${label}`, limit: 2, _continue: first.metadata?._continue ?? '' });
    expect(rest.items.map((c) => c.metadata?.name)).toEqual(names.slice(2));
    expect(rest.metadata?._continue).toBeUndefined();
    // dryRun of a delete and of a deletecollection writes nothing either.
    expect((await http('DELETE', `${cronjobs}/${names[0]}?dryRun=All`)).status).toBe(200);
    expect((await http('DELETE', `${cronjobs}?dryRun=All&labelSelector=set%3D${label}`)).body.items).toHaveLength(3);
    expect((await batch.listNamespacedCronJob({ namespace: NS, labelSelector: `set=${label}` })).items).toHaveLength(3);
    await batch.deleteCollectionNamespacedCronJob({ namespace: NS, labelSelector: `set=${label}` });
  });

  it('a watch list (sendInitialEvents) ends its initial events with a batch/v1 CronJob bookmark', async () => {
    const name = uniqueName('cj-watchlist');
    await batch.createNamespacedCronJob({ namespace: NS, body: testCronJob(name, { watchlist: name }) });
    const abort = new AbortController();
    const res = await fetch(`${fleet.api.url}${cronjobs}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=watchlist%3D${name}`, {
      signal: abort.signal,
    });
    const events: { type: string; object: { kind?: string; apiVersion?: string; metadata?: { name?: string; annotations?: Record<string, string> } } }[] = [];
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      const lines = text.split('\n');
      text = lines.pop() ?? '';
      events.push(...lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as (typeof events)[number]));
      if (events.some((e) => e.type === 'BOOKMARK')) break;
    }
    abort.abort();
    expect(events.map((e) => [e.type, e.object.apiVersion, e.object.kind])).toEqual([
      ['ADDED', 'batch/v1', 'CronJob'],
      ['BOOKMARK', 'batch/v1', 'CronJob'],
    ]);
    expect(events[1]?.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    await batch.deleteNamespacedCronJob({ name, namespace: NS });
  });

  it('patches: strategic merge by container name inside spec.jobTemplate, JSON patch; a spec change bumps generation', async () => {
    const name = uniqueName('cj-patch');
    const body = testCronJob(name);
    body.spec?.jobTemplate.spec?.template.spec?.containers.push({ name: 'd', image: 'busybox', command: ['true'] });
    const created = await batch.createNamespacedCronJob({ namespace: NS, body });
    expect(created.metadata?.generation).toBe(1);
    const strategic = await batch.patchNamespacedCronJob(
      { name, namespace: NS, body: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'd', image: 'busybox:1.36', env: [{ name: 'X', value: '1' }] }] } } } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const containers = strategic.spec?.jobTemplate.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => [c.name, c.image, c.command])).toEqual([
      ['c', 'busybox', ['/bin/true']],
      ['d', 'busybox:1.36', ['true']],
    ]);
    expect(containers[1]?.env).toEqual([{ name: 'X', value: '1' }]);
    expect(strategic.metadata?.generation).toBe(2);
    const json = await batch.patchNamespacedCronJob(
      {
        name,
        namespace: NS,
        body: [
          { op: 'test', path: '/spec/suspend', value: true },
          { op: 'replace', path: '/spec/schedule', value: '@hourly' },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(json.spec?.schedule).toBe('@hourly');
    expect(json.metadata?.generation).toBe(3);
    // A label alone changes no spec: generation stays.
    const labelled = await batch.patchNamespacedCronJob({ name, namespace: NS, body: { metadata: { labels: { a: 'b' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(labelled.metadata?.generation).toBe(3);
    // An invalid result is a 422 that changes nothing.
    const invalid = await apiError(() =>
      batch.patchNamespacedCronJob({ name, namespace: NS, body: { spec: { schedule: 'not a schedule' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
    );
    expect(invalid).toMatchObject({ code: 422, body: { reason: 'Invalid', details: { kind: 'CronJob', group: 'batch', causes: [{ field: 'spec.schedule' }] } } });
    expect((await batch.readNamespacedCronJob({ name, namespace: NS })).spec?.schedule).toBe('@hourly');
    await batch.deleteNamespacedCronJob({ name, namespace: NS });
  });

  it('errors are Kubernetes Status objects: AlreadyExists, Invalid with field paths, BadRequest, NotFound, Conflict', async () => {
    const name = uniqueName('cj-err');
    await batch.createNamespacedCronJob({ namespace: NS, body: testCronJob(name) });
    expect(await apiError(() => batch.createNamespacedCronJob({ namespace: NS, body: testCronJob(name) }))).toMatchObject({
      code: 409,
      body: { reason: 'AlreadyExists', message: `cronjobs.batch "${name}" already exists`, details: { group: 'batch', kind: 'cronjobs' } },
    });
    const longName = 'a'.repeat(53);
    const invalid = await apiError(() => batch.createNamespacedCronJob({ namespace: NS, body: { ...testCronJob(longName), spec: { ...testCronJob(longName).spec!, schedule: '61 * * * *' } } }));
    expect(invalid.code).toBe(422);
    expect(invalid.body.message).toMatch(new RegExp(`^CronJob\\.batch "${longName}" is invalid: `));
    expect(invalid.body.details?.causes?.map((c) => c.field)).toEqual(expect.arrayContaining(['metadata.name', 'spec.schedule']));
    const wrongKind = await http('POST', cronjobs, { ...testCronJob(uniqueName('k')), kind: 'Job' });
    expect(wrongKind).toMatchObject({ status: 400, body: { reason: 'BadRequest', message: 'the kind in the data (Job) does not match the expected kind (CronJob)' } });
    const wrongVersion = await http('POST', cronjobs, { ...testCronJob(uniqueName('v')), apiVersion: 'batch/v1beta1' });
    expect(wrongVersion.body.message).toBe('the API version in the data (batch/v1beta1) does not match the expected API version (batch/v1)');
    const otherNs = await http('POST', cronjobs, { ...testCronJob(uniqueName('n')), metadata: { name: 'x', namespace: 'elsewhere' } });
    expect(otherNs).toMatchObject({ status: 400, body: { message: 'the namespace of the provided object does not match the namespace sent on the request' } });
    const nameMismatch = await http('PUT', `${cronjobs}/${name}`, { ...testCronJob('other') });
    expect(nameMismatch).toMatchObject({ status: 400, body: { message: `the name of the object (other) does not match the name on the URL (${name})` } });
    expect((await http('PATCH', `${cronjobs}/missing-${name}`, {}, 'application/merge-patch+json')).body).toMatchObject({ code: 404, message: `cronjobs.batch "missing-${name}" not found` });
    const stale = await batch.readNamespacedCronJob({ name, namespace: NS });
    await batch.patchNamespacedCronJob({ name, namespace: NS, body: { metadata: { labels: { v: '2' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(await apiError(() => batch.replaceNamespacedCronJob({ name, namespace: NS, body: stale }))).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    // Delete preconditions: a wrong uid is a Conflict and the CronJob stays.
    const precondition = await http('DELETE', `${cronjobs}/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } });
    expect(precondition).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    expect((await http('DELETE', `${cronjobs}/${name}?propagationPolicy=Sideways`)).status).toBe(400);
    expect((await batch.readNamespacedCronJob({ name, namespace: NS })).metadata?.uid).toBe(stale.metadata?.uid);
    await batch.deleteNamespacedCronJob({ name, namespace: NS, body: { preconditions: { uid: stale.metadata?.uid } } });
  });

  it('hostile bodies on every write answer 400/422 (never 500) and change nothing', async () => {
    const name = uniqueName('cj-hostile');
    const before = await batch.createNamespacedCronJob({ namespace: NS, body: testCronJob(name) });
    const cases: { method: string; path: string; body: unknown; type?: string }[] = [
      { method: 'POST', path: cronjobs, body: [] },
      { method: 'POST', path: cronjobs, body: { ...testCronJob(name), metadata: [] } },
      { method: 'POST', path: cronjobs, body: { ...testCronJob(`${name}-x`), spec: { ...testCronJob(name).spec, schedule: { toString: 1 } } } },
      { method: 'POST', path: cronjobs, body: { ...testCronJob(`${name}-y`), spec: { ...testCronJob(name).spec, schedule: `${'*/1 '.repeat(2000)}` } } },
      { method: 'POST', path: cronjobs, body: { ...testCronJob(`${name}-z`), spec: { ...testCronJob(name).spec, timeZone: '../../etc/passwd' } } },
      { method: 'PUT', path: `${cronjobs}/${name}`, body: { ...testCronJob(name), spec: null } },
      { method: 'PATCH', path: `${cronjobs}/${name}`, body: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } } } }, type: 'application/strategic-merge-patch+json' },
      { method: 'PATCH', path: `${cronjobs}/${name}`, body: [{ op: 'remove', path: '/spec/jobTemplate' }], type: 'application/json-patch+json' },
      { method: 'PATCH', path: `${cronjobs}/${name}`, body: { spec: { suspend: 'yes', startingDeadlineSeconds: -1 } }, type: 'application/merge-patch+json' },
      { method: 'PATCH', path: `${cronjobs}/${name}/status`, body: { status: { lastScheduleTime: 'yesterday', active: {} } }, type: 'application/merge-patch+json' },
      { method: 'PUT', path: `${cronjobs}/${name}/status`, body: { ...testCronJob(name), status: { active: [{ name: 1 }] } } },
      { method: 'DELETE', path: `${cronjobs}/${name}`, body: { preconditions: 'x' } },
    ];
    for (const c of cases) {
      const res = await http(c.method, c.path, c.body, c.type);
      expect([400, 422], `${c.method} ${c.path} ${JSON.stringify(c.body).slice(0, 80)}: ${JSON.stringify(res.body)}`).toContain(res.status);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure' });
    }
    const after = await batch.readNamespacedCronJob({ name, namespace: NS });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect((await batch.listNamespacedCronJob({ namespace: NS, fieldSelector: `metadata.name=${name}-x` })).items).toEqual([]);
    await batch.deleteNamespacedCronJob({ name, namespace: NS });
  });

  it("deleting a CronJob deletes its Jobs (Background, Foreground); Orphan leaves them", async () => {
    /** A CronJob with one Job it owns, as `kubectl create job --from=cronjob/NAME` makes it. */
    const withJob = async (name: string) => {
      const cronJob = await batch.createNamespacedCronJob({ namespace: NS, body: testCronJob(name) });
      const ownerReferences = [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cronJob.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }];
      const job = await batch.createNamespacedJob({
        namespace: NS,
        body: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `${name}-manual`, ownerReferences, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } }, spec: cronJob.spec?.jobTemplate.spec },
      });
      return job.metadata?.name ?? '';
    };
    const jobGone = async (job: string) => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const res = await http('GET', `/apis/batch/v1/namespaces/${NS}/jobs/${job}`);
        if (res.status === 404) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
      return false;
    };
    for (const policy of ['Background', 'Foreground'] as const) {
      const name = uniqueName(`cj-${policy.toLowerCase()}`);
      const job = await withJob(name);
      await batch.deleteNamespacedCronJob({ name, namespace: NS, propagationPolicy: policy });
      expect(await jobGone(job), `${policy}: the Job ${job} is deleted`).toBe(true);
    }
    const name = uniqueName('cj-orphan');
    const job = await withJob(name);
    await batch.deleteNamespacedCronJob({ name, namespace: NS, propagationPolicy: 'Orphan' });
    expect((await apiError(() => batch.readNamespacedCronJob({ name, namespace: NS }))).code).toBe(404);
    const orphan = await batch.readNamespacedJob({ name: job, namespace: NS });
    expect(orphan.metadata?.name).toBe(job);
    // As the garbage collector's orphan policy: the Job no longer names the deleted owner.
    expect(orphan.metadata?.ownerReferences ?? []).toEqual([]);
    await batch.deleteNamespacedJob({ name: job, namespace: NS });
  });
});
