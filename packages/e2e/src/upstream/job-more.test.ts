/**
 * Ports of the rest of Kubernetes' Job e2e tests (test/e2e/apps/job.go, 1.33), against a real API,
 * worker, Redis and Docker, driven with the official JavaScript client where the upstream test uses
 * client-go:
 *
 * - "should run a job to completion when tasks succeed"
 * - "should create pods for an Indexed job with completion indexes and specified hostname" (Conformance 1.24)
 * - "should create pods with completion indexes for an Indexed Job" (the index label)
 * - "should remove pods when job is deleted"
 * - "should run a job to completion when tasks sometimes fail and are locally restarted" (Conformance 1.16)
 * - "should delete a job" (Conformance 1.15)
 * - "should manage the lifecycle of a job" (Conformance 1.25)
 * - "should run a job to completion with CPU requests" ([Serial])
 *
 * and of three tests of earlier releases that 1.32 folded into the podFailurePolicy
 * tests of job-failure-policy.test.ts:
 *
 * - "should allow to use the pod failure policy to not count the failure towards the backoffLimit"
 * - "should allow to use a pod failure policy to ignore failure for an evicted pod; matching on the exit code"
 * - "should allow to use a pod failure policy to ignore failure for an evicted pod; matching on the DisruptionTarget condition"
 *
 * Adapted: pods use busybox and a shell script per fixture behaviour (`notTerminate` sleeps where
 * upstream runs the pause image); the fail-once markers of `restartPolicy: Never` pods live in a
 * hostPath folder of the one Docker host, as upstream pins those pods to one node; the Job
 * controller's backoff is shortened (harness FAST_DELAYS); Job names get a random suffix so that the
 * tests run at the same time. As the e2e framework does, each test runs in a namespace of its own
 * (`job-<random>`, created through the API) that is deleted after the test, and must be gone with its
 * pods. Where the upstream test only logs a missed watch event (waitForJobEvent), the port fails.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';
import { api, jobPods, newTestJob, removeHostDirs, waitForJobComplete, waitForJobCondition, waitForJobPodsRunning } from './job-fixtures.js';

const INDEX = 'batch.kubernetes.io/job-completion-index';

let fleet: Fleet;
let kc: k8s.KubeConfig;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  // allowPrivileged: the fail-once fixtures keep their marker in a hostPath folder, as upstream does.
  fleet = await startFleet({ workers: 1, maxPods: 30, allowPrivileged: true });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS verification is off (there is no TLS to verify).
    clusters: [{ name: 'jobfleet', server: fleet.api.url, skipTLSVerify: true }],
    users: [{ name: 'jobfleet' }],
    contexts: [{ name: 'jobfleet', cluster: 'jobfleet', user: 'jobfleet' }],
    currentContext: 'jobfleet',
  });
  batch = kc.makeApiClient(k8s.BatchV1Api);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await fleet?.close();
  removeHostDirs();
});

interface Framework {
  ns: string;
  /** jobfleet's client in the test's namespace, for the fixtures' waits. */
  client: JobfleetClient;
}

/**
 * framework.NewDefaultFramework("job"): a namespace of the test's own, deleted when the test ends;
 * the namespace and everything in it must then be gone.
 */
async function framework(context: TestContext): Promise<Framework> {
  const ns = uniqueName('job');
  const created = await core.createNamespace({ body: { metadata: { name: ns, labels: { 'e2e-framework': 'job', 'pod-security.kubernetes.io/enforce': 'privileged' } } } });
  expect(created.status?.phase).toBe('Active');
  context.onTestFinished(async () => {
    // The API server answers the namespace, Terminating (client-node types it as a Status).
    const deleted = (await core.deleteNamespace({ name: ns })) as unknown as k8s.V1Namespace;
    expect(deleted.status?.phase).toBe('Terminating');
    await eventually(
      async () => (await api(fleet.api.url, 'GET', `/api/v1/namespaces/${ns}`)).status === 404 && (await core.listNamespacedPod({ namespace: ns })).items.length === 0,
      60_000,
      `namespace ${ns} gone`,
    );
  });
  return { ns, client: new JobfleetClient({ server: fleet.api.url, namespace: ns }) };
}

/** e2ejob.GetJobPods: the pods labelled `job=<name>` by the fixture's template. */
async function getJobPods(ns: string, name: string): Promise<k8s.V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: `job=${name}` })).items;
}

/** e2eresource.DeleteResourceAndWaitForGC: DELETE with propagationPolicy Background, then the Job's pods gone. */
async function deleteJobAndWaitForGC(ns: string, name: string): Promise<void> {
  const job = await batch.readNamespacedJob({ name, namespace: ns });
  const selector = Object.entries(job.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  expect(selector).not.toBe('');
  expect((await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items.length).toBeGreaterThan(0);
  await batch.deleteNamespacedJob({ name, namespace: ns, body: { propagationPolicy: 'Background' } });
  await eventually(async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items.length === 0, 60_000, `the pods of ${name} collected`);
}

interface WatchEvent {
  type: string;
  job: k8s.V1Job;
}

/**
 * watchtools.Until on Jobs with `labelSelector` from `resourceVersion`: the events seen until `until`
 * holds for one (which ends the watch).
 */
function watchJobsUntil(ns: string, resourceVersion: string, labelSelector: string, until: (e: WatchEvent) => boolean): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  return new Promise((resolve, reject) => {
    let abort: AbortController | undefined;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      abort?.abort();
      reject(new Error(`the watch from ${resourceVersion} saw no such event in 60 s: ${JSON.stringify(events.map((e) => e.type))}`));
    }, 60_000);
    void new k8s.Watch(kc)
      .watch(
        `/apis/batch/v1/namespaces/${ns}/jobs`,
        { labelSelector, resourceVersion },
        (type: string, job: k8s.V1Job) => {
          if (done) return;
          events.push({ type, job });
          if (until({ type, job })) {
            done = true;
            clearTimeout(timer);
            abort?.abort();
            resolve(events);
          }
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(`the watch ended early: ${String(err)}; saw ${JSON.stringify(events.map((e) => e.type))}`));
        },
      )
      .then((controller) => {
        abort = controller;
        if (done) controller.abort();
      }, reject);
  });
}

const counters = (job: Job) => [job.status?.active, job.status?.ready, job.status?.terminating];

async function evict(ns: string, podName: string): Promise<void> {
  const evicted = await api(fleet.api.url, 'POST', `/api/v1/namespaces/${ns}/pods/${podName}/eviction`, {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: podName, namespace: ns },
  });
  expect(evicted.status).toBe(201);
  // e2epod.WaitForPodNotFoundInNamespace: counted by the Job controller, then removed.
  await eventually(async () => (await api(fleet.api.url, 'GET', `/api/v1/namespaces/${ns}/pods/${podName}`)).status === 404, 60_000, `${podName} gone`);
}

describe.concurrent('Job (upstream job.go): the rest of the suite', () => {
  it('should run a job to completion when tasks succeed', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('all-succeed');
    await batch.createNamespacedJob({ namespace: ns, body: newTestJob('succeed', name, 2, 4, 6) as k8s.V1Job });
    // Earlier releases also wait for the interim condition; 1.33 reports it as well.
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    const pods = await getJobPods(ns, name);
    expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(4);
    expect(job.status).toMatchObject({ succeeded: 4, failed: 0, active: 0, ready: 0, terminating: 0 });
  });

  it('should create pods for an Indexed job with completion indexes and specified hostname', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('indexed-job');
    const manifest = newTestJob('succeed', name, 2, 4, 6, { completionMode: 'Indexed' });
    // Also printed from inside: the container's hostname and its JOB_COMPLETION_INDEX (the test's description).
    manifest.spec.template.spec.containers[0]!.command = ['sh', '-c', 'echo "$(hostname) $JOB_COMPLETION_INDEX"; exit 0'];
    await batch.createNamespacedJob({ namespace: ns, body: manifest as k8s.V1Job });
    await waitForJobComplete(client, name, 'CompletionsReached', 4);
    const succeeded = new Set<number>();
    for (const pod of await getJobPods(ns, name)) {
      if (pod.status?.phase !== 'Succeeded' || !pod.metadata?.annotations) continue;
      const ix = Number.parseInt(pod.metadata.annotations[INDEX] ?? '', 10);
      expect(Number.isInteger(ix)).toBe(true);
      succeeded.add(ix);
      expect(pod.spec?.hostname).toBe(`${name}-${ix}`);
      expect((await client.logs(pod.metadata.name ?? '')).trim()).toBe(`${name}-${ix} ${ix}`);
    }
    expect([...succeeded].sort()).toStrictEqual([0, 1, 2, 3]);
  });

  it('should create pods with completion indexes for an Indexed Job', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('indexed-job-label');
    await batch.createNamespacedJob({ namespace: ns, body: newTestJob('succeed', name, 2, 4, 6, { completionMode: 'Indexed' }) as k8s.V1Job });
    await waitForJobComplete(client, name, 'CompletionsReached', 4);
    const indexes = new Set<number>();
    for (const pod of await getJobPods(ns, name)) {
      const ix = Number.parseInt(pod.metadata?.labels?.[INDEX] ?? '', 10);
      expect(Number.isInteger(ix), `pod ${pod.metadata?.name} has the index label`).toBe(true);
      indexes.add(ix);
    }
    expect([...indexes].sort()).toStrictEqual([0, 1, 2, 3]);
    // The label selects the pod of one index, as the label is there for.
    const second = await core.listNamespacedPod({ namespace: ns, labelSelector: `job=${name},${INDEX}=2` });
    expect(second.items.map((p) => p.metadata?.annotations?.[INDEX])).toStrictEqual(['2']);
  });

  it('should remove pods when job is deleted', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('all-pods-removed');
    await batch.createNamespacedJob({ namespace: ns, body: newTestJob('notTerminate', name, 2, 4, 6) as k8s.V1Job });
    await waitForJobPodsRunning(client, name, 2);
    await deleteJobAndWaitForGC(ns, name);
    // WaitForAllJobPodsGone.
    expect(await getJobPods(ns, name)).toStrictEqual([]);
  });

  it('should run a job to completion when tasks sometimes fail and are locally restarted', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('fail-once-local');
    const manifest = newTestJob('failOnce', name, 2, 4, 6);
    // Locally restarted: the marker is on the pod's own emptyDir, which outlives a restart in place.
    manifest.spec.template.spec.restartPolicy = 'OnFailure';
    manifest.spec.template.spec.volumes = [{ name: 'data', emptyDir: {} }];
    await batch.createNamespacedJob({ namespace: ns, body: manifest as k8s.V1Job });
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    // Every pod failed once and was restarted in place: four pods, none failed, each restarted once.
    expect(job.status?.failed ?? 0).toBe(0);
    const pods = await getJobPods(ns, name);
    expect(pods).toHaveLength(4);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Succeeded');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 1 } }, state: { terminated: { exitCode: 0 } } });
    }
  });

  it('should delete a job', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('foo');
    await batch.createNamespacedJob({ namespace: ns, body: newTestJob('notTerminate', name, 2, 4, 6) as k8s.V1Job });
    await waitForJobPodsRunning(client, name, 2);
    await deleteJobAndWaitForGC(ns, name);
    const err = await batch.readNamespacedJob({ name, namespace: ns }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(k8s.ApiException);
    expect((err as k8s.ApiException<string>).code).toBe(404);
    expect(JSON.parse((err as k8s.ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'NotFound', details: { name, group: 'batch', kind: 'jobs' } });
  });

  it('should manage the lifecycle of a job', async (context) => {
    const { ns, client } = await framework(context);
    const jobName = uniqueName('e2e');
    const labelSelector = `e2e-job-label=${jobName}`;
    const jobsList = await batch.listNamespacedJob({ namespace: ns, labelSelector });
    expect(jobsList.items).toStrictEqual([]);
    const listRv = jobsList.metadata?.resourceVersion ?? '';
    expect(listRv).toMatch(/^[0-9]+$/);

    // Creating a suspended job.
    const manifest = newTestJob('succeed', jobName, 2, 4, 6, { suspend: true });
    manifest.metadata.labels = { 'e2e-job-label': jobName };
    const created = await batch.createNamespacedJob({ namespace: ns, body: manifest as k8s.V1Job });
    const createdRv = BigInt(created.metadata?.resourceVersion ?? '0');
    expect(createdRv).toBeGreaterThan(0n);

    // Patching the Job (strategic merge patch of a label).
    const patchedJob = await batch.patchNamespacedJob(
      { name: jobName, namespace: ns, body: { metadata: { labels: { [jobName]: 'patched' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patchedJob.metadata?.labels).toMatchObject({ [jobName]: 'patched', 'e2e-job-label': jobName });
    expect(BigInt(patchedJob.metadata?.resourceVersion ?? '0')).toBeGreaterThan(createdRv);

    // Watching for Job to be patched, from the list's resourceVersion: ADDED, then MODIFIED with the label.
    const patchedEvents = await watchJobsUntil(ns, listRv, labelSelector, (e) => e.type === 'MODIFIED' && e.job.metadata?.labels?.[jobName] === 'patched');
    expect(patchedEvents[0]).toMatchObject({ type: 'ADDED', job: { metadata: { name: jobName, namespace: ns } } });
    expect(patchedEvents.every((e) => e.job.metadata?.name === jobName)).toBe(true);

    // Updating the job (PUT of the whole object, retried on a conflict): resumed, with an annotation.
    let beforeUpdate: k8s.V1Job | undefined;
    let updatedJob: k8s.V1Job | undefined;
    for (let attempt = 0; !updatedJob; attempt++) {
      beforeUpdate = await batch.readNamespacedJob({ name: jobName, namespace: ns });
      beforeUpdate.spec!.suspend = false;
      beforeUpdate.metadata!.annotations = { ...beforeUpdate.metadata?.annotations, updated: 'true' };
      try {
        updatedJob = await batch.replaceNamespacedJob({ name: jobName, namespace: ns, body: beforeUpdate });
      } catch (err) {
        if (!(err instanceof k8s.ApiException && err.code === 409) || attempt > 5) throw err;
      }
    }
    expect(updatedJob.metadata?.annotations).toMatchObject({ updated: 'true' });
    expect(updatedJob.spec?.suspend).toBe(false);

    // Watching for Job to be updated, from the resourceVersion the update was made on.
    const updatedEvents = await watchJobsUntil(ns, beforeUpdate?.metadata?.resourceVersion ?? '', labelSelector, (e) => e.type === 'MODIFIED' && e.job.metadata?.annotations?.updated === 'true');
    expect(updatedEvents.every((e) => e.type === 'MODIFIED')).toBe(true);

    // Listing all Jobs with LabelSelector (every namespace).
    const all = await batch.listJobForAllNamespaces({ labelSelector });
    expect(all.items.map((j) => j.metadata?.name)).toStrictEqual([jobName]);
    const testJob = all.items[0];
    expect(testJob?.metadata?.labels).toMatchObject({ 'e2e-job-label': jobName, [jobName]: 'patched' });

    await waitForJobComplete(client, jobName, 'CompletionsReached', 4);

    // Delete a job collection with a labelselector.
    // The API server answers the list of what it deleted (client-node reads it as a Status, keeping the kind; client-go drops it).
    const deleted = await batch.deleteCollectionNamespacedJob({ namespace: ns, labelSelector, body: { propagationPolicy: 'Background' } });
    expect(deleted.kind).toBe('JobList');

    // Watching for Job to be deleted, from the update's resourceVersion: the DELETED event carries the Job's labels.
    const deletedEvents = await watchJobsUntil(ns, updatedJob.metadata?.resourceVersion ?? '', labelSelector, (e) => e.type === 'DELETED' && e.job.metadata?.labels?.['e2e-job-label'] === jobName);
    expect(deletedEvents.at(-1)?.job.metadata?.name).toBe(jobName);
    expect(deletedEvents.slice(0, -1).every((e) => e.type === 'MODIFIED')).toBe(true);

    // Relist jobs to confirm deletion.
    expect((await batch.listJobForAllNamespaces({ labelSelector })).items).toStrictEqual([]);
    await eventually(async () => (await getJobPods(ns, jobName)).length === 0, 30_000, 'the pods of the deleted collection gone');
  });

  it('should allow to use the pod failure policy to not count the failure towards the backoffLimit', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('pod-failure-ignore');
    await batch.createNamespacedJob({
      namespace: ns,
      body: newTestJob('failOnce', name, 2, 4, 0, { podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1] } }] } }) as k8s.V1Job,
    });
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    // The first pod(s) failed with exit 1: ignored, so backoffLimit 0 was not exceeded.
    expect(job.status?.failed ?? 0).toBe(0);
    expect((await jobPods(client, name)).filter((p) => p.status.phase === 'Failed').length).toBeGreaterThanOrEqual(1);
  });

  it('should allow to use a pod failure policy to ignore failure for an evicted pod; matching on the exit code', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('evicted-pod-ignore-on-exit-code');
    await batch.createNamespacedJob({
      namespace: ns,
      body: newTestJob('notTerminateOnce', name, 2, 4, 0, {
        completionMode: 'Indexed',
        // The non-0 indexes fail (1) until index 0 made the marker; the evicted index 0 is killed (137).
        podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1, 137] } }] },
      }) as k8s.V1Job,
    });
    await waitForJobPodsSucceeded(client, name, 3);
    const [pod] = await waitForJobPodsRunning(client, name, 1);
    expect(pod?.metadata.annotations?.[INDEX]).toBe('0');
    await evict(ns, pod?.metadata.name ?? '');
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    expect(job.status?.failed ?? 0).toBe(0);
  });

  it('should allow to use a pod failure policy to ignore failure for an evicted pod; matching on the DisruptionTarget condition', async (context) => {
    const { ns, client } = await framework(context);
    const name = uniqueName('evicted-pod-ignore-on-disruption-condition');
    await batch.createNamespacedJob({
      namespace: ns,
      body: newTestJob('notTerminateOnce', name, 2, 4, 0, {
        completionMode: 'Indexed',
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onExitCodes: { operator: 'In', values: [1] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          ],
        },
      }) as k8s.V1Job,
    });
    await waitForJobPodsSucceeded(client, name, 3);
    const [pod] = await waitForJobPodsRunning(client, name, 1);
    expect(pod?.metadata.annotations?.[INDEX]).toBe('0');
    await evict(ns, pod?.metadata.name ?? '');
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    expect(job.status?.failed ?? 0).toBe(0);
  });
});

/** WaitForJobPodsSucceeded: exactly `count` pods of the Job Succeeded. */
async function waitForJobPodsSucceeded(client: JobfleetClient, name: string, count: number): Promise<void> {
  await eventually(async () => (await jobPods(client, name)).filter((p) => p.status.phase === 'Succeeded').length === count, 60_000, `${count} succeeded pods of ${name}`);
}

// [Serial] upstream: alone, after the others, as it fills the node.
describe('Job (upstream job.go): serial', () => {
  it('should run a job to completion with CPU requests', async (context) => {
    const { ns, client } = await framework(context);
    // GetNodeThatCanRunPod, then a fifth of its allocatable CPUs (whole CPUs, as the Go code truncates).
    const nodes = (await core.listNode()).items;
    expect(nodes).toHaveLength(1);
    const testNodeName = nodes[0]?.metadata?.name ?? '';
    const cpu = Number(nodes[0]?.status?.allocatable?.cpu);
    expect(cpu).toBeGreaterThan(0);
    const cpuRequest = String(Math.trunc(0.2 * cpu));
    const name = uniqueName('all-succeed');
    // 30 pods where upstream runs 90: more pods only make the test longer (the worker runs at most its
    // allocatable CPUs' worth at once; on a 2-core machine the request truncates to 0, as upstream's).
    const manifest = newTestJob('succeed', name, 30, 30, 0);
    manifest.spec.template.spec.containers[0]!.resources = { requests: { cpu: cpuRequest } };
    manifest.spec.template.spec.nodeSelector = { 'kubernetes.io/hostname': testNodeName };
    await batch.createNamespacedJob({ namespace: ns, body: manifest as k8s.V1Job });
    const started = Date.now();
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 30);
    console.log(`30 pods with CPU requests "${cpuRequest}" completed in ${Date.now() - started} ms`);
    const pods = await getJobPods(ns, name);
    expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(30);
    expect(pods.every((p) => p.spec?.containers[0]?.resources?.requests?.cpu === cpuRequest && p.spec.nodeName === testNodeName)).toBe(true);
    expect(job.status?.failed ?? 0).toBe(0);
    expect(counters(job)).toStrictEqual([0, 0, 0]);
  });
});
