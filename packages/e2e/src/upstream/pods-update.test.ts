/**
 * Updates of pods as API objects, against a real fleet (API, workers, Redis, Docker), with the
 * official JavaScript client (typed Get + Update, as client-go's PodClient.Update) and raw HTTP.
 * Ports of Kubernetes' test/e2e/apps/job.go (1.33):
 * - "should adopt matching orphans and release non-matching pods" (a pod whose owner reference is
 *   removed is adopted back; a pod whose labels stop matching is released, and the Job replaces it);
 * and of the API server's pod update rules (pkg/apis/core/validation ValidatePodUpdate and
 * ValidatePodStatusUpdate, the pod strategies): labels and annotations change, the spec is
 * immutable but for what Kubernetes lists (422 with its message), the status is ignored on the pod
 * and written through pods/status (conditions only: jobfleet's workers own the rest).
 */
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { kubeConfig, uniqueName, useFleet, type Fleet } from '../harness.js';
import { httpJson, shellJob } from './job-fixtures.js';
import { eventually } from '../timing.js';

let fleet: Fleet;
let core: k8s.CoreV1Api;

useFleet({ workers: 1, maxPods: 10 }, (started) => {
  fleet = started;
  core = kubeConfig(fleet).makeApiClient(k8s.CoreV1Api);
});

const jobManifest = shellJob;

const http = (method: string, path: string, body?: unknown, contentType = 'application/json') => httpJson(fleet.api.url, method, path, body, contentType);

const podPath = (name: string) => `/api/v1/namespaces/default/pods/${name}`;

async function runningPods(job: string, count: number): Promise<Pod[]> {
  return eventually(async () => {
    const pods = (await fleet.client.listPods({ jobName: job })).filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
    return pods.length === count ? pods : undefined;
  }, 60_000, `${count} running pods of ${job}`);
}

/** client-go's PodClient.Update: read, change, write back the whole typed object; retried on a conflict. */
async function updatePod(name: string, change: (pod: k8s.V1Pod) => void): Promise<k8s.V1Pod> {
  for (let attempt = 0; ; attempt++) {
    const pod = await core.readNamespacedPod({ name, namespace: 'default' });
    change(pod);
    try {
      return await core.replaceNamespacedPod({ name, namespace: 'default', body: pod });
    } catch (err) {
      if (!(err instanceof k8s.ApiException && err.code === 409) || attempt > 5) throw err;
    }
  }
}

describe('pods as owned objects', () => {
  // Port of "should adopt matching orphans and release non-matching pods".
  it('adopts matching orphans and releases non-matching pods', async () => {
    const name = uniqueName('adopt-release');
    const job = await fleet.client.createJob(jobManifest(name, 'sleep 300', { parallelism: 2, completions: 4 }));
    const pods = await runningPods(name, 2);
    const podName = pods[0]?.metadata.name ?? '';

    // Orphaning one of the Job's pods.
    const orphaned = await updatePod(podName, (pod) => {
      pod.metadata!.ownerReferences = undefined;
    });
    expect(orphaned.metadata?.ownerReferences ?? []).toStrictEqual([]);

    // The Job adopts it back.
    const adopted = await eventually(async () => {
      const pod = await core.readNamespacedPod({ name: podName, namespace: 'default' });
      const ref = pod.metadata?.ownerReferences?.find((o) => o.controller);
      if (ref && (ref.kind !== 'Job' || ref.name !== name || ref.uid !== job.metadata.uid)) throw new Error(`wrong controllerRef ${JSON.stringify(ref)}`);
      return ref ? pod : undefined;
    }, 30_000, 'the pod adopted back');
    expect(adopted.metadata?.finalizers).toContain('batch.kubernetes.io/job-tracking');
    // Adopted back, it was neither counted nor replaced meanwhile.
    const meanwhile = await fleet.client.getJob(name);
    expect(meanwhile.status?.failed ?? 0).toBe(0);
    expect((await fleet.client.listPods({ jobName: name })).length).toBe(2);

    // Removing its labels: the Job releases it and replaces it.
    await updatePod(podName, (pod) => {
      pod.metadata!.labels = undefined;
    });
    const released = await eventually(async () => {
      const pod = await core.readNamespacedPod({ name: podName, namespace: 'default' });
      return pod.metadata?.ownerReferences?.some((o) => o.controller) ? undefined : pod;
    }, 30_000, 'the pod released');
    expect(released.metadata?.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    expect(released.status?.phase).toBe('Running'); // a released pod runs on, as a pod of no Job
    const replaced = await runningPods(name, 2);
    expect(replaced.map((p) => p.metadata.name)).not.toContain(podName);
    expect((await fleet.client.getJob(name)).status?.failed ?? 0).toBe(0);

    // Deleting the Job leaves the released pod; deleting the pod then removes it once it ended.
    await fleet.client.deleteJob(name);
    expect((await http('GET', podPath(podName))).status).toBe(200);
    expect((await http('DELETE', `${podPath(podName)}?gracePeriodSeconds=0`)).status).toBe(200);
    await eventually(async () => (await http('GET', podPath(podName))).status === 404, 30_000, 'the released pod removed');
  });

  it('a pod whose labels keep matching is neither released nor replaced', async () => {
    const name = uniqueName('keep-labels');
    await fleet.client.createJob(jobManifest(name, 'sleep 300'));
    const [pod] = await runningPods(name, 1);
    const patched = await http('PATCH', podPath(pod?.metadata.name ?? ''), { metadata: { labels: { extra: 'yes' } } }, 'application/strategic-merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.labels.extra).toBe('yes');
    expect(patched.body.metadata.ownerReferences).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await fleet.client.listPods({ jobName: name })).map((p) => p.metadata.name)).toStrictEqual([pod?.metadata.name]);
    await fleet.client.deleteJob(name);
  });
});

describe('PUT and PATCH of a pod', () => {
  it('changes labels and annotations with every patch type and PUT; ignores the status', async () => {
    const name = uniqueName('pod-meta');
    await fleet.client.createJob(jobManifest(name, 'sleep 300'));
    const [pod] = await runningPods(name, 1);
    const path = podPath(pod?.metadata.name ?? '');
    const merge = await http('PATCH', path, { metadata: { labels: { a: '1' }, annotations: { note: 'x' } }, status: { phase: 'Failed' } }, 'application/merge-patch+json');
    expect(merge.status).toBe(200);
    expect(merge.body.metadata.labels.a).toBe('1');
    expect(merge.body.status.phase).toBe('Running');
    const json = await http('PATCH', path, [{ op: 'add', path: '/metadata/annotations/other', value: 'y' }], 'application/json-patch+json');
    expect(json.body.metadata.annotations).toMatchObject({ note: 'x', other: 'y' });
    const current = (await http('GET', path)).body;
    current.metadata.labels.b = '2';
    const put = await http('PUT', path, current);
    expect(put.status).toBe(200);
    expect(put.body.metadata.labels).toMatchObject({ a: '1', b: '2' });
    expect(Number(put.body.metadata.resourceVersion)).toBeGreaterThan(Number(current.metadata.resourceVersion));
    // A stale resourceVersion is a conflict.
    const stale = await http('PUT', path, current);
    expect(stale.status).toBe(409);
    await fleet.client.deleteJob(name);
  });

  it('refuses spec changes as Kubernetes does (422), and image changes of a running pod', async () => {
    const name = uniqueName('pod-spec');
    await fleet.client.createJob(jobManifest(name, 'sleep 300'));
    const [pod] = await runningPods(name, 1);
    const path = podPath(pod?.metadata.name ?? '');
    const restart = await http('PATCH', path, { spec: { restartPolicy: 'OnFailure' } }, 'application/merge-patch+json');
    expect(restart.status).toBe(422);
    expect(restart.body.reason).toBe('Invalid');
    expect(restart.body.message).toContain(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    const image = await http('PATCH', path, { spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } }, 'application/strategic-merge-patch+json');
    expect(image.status).toBe(422);
    expect(image.body.details.causes[0]).toMatchObject({ reason: 'FieldValueForbidden', field: 'spec.containers[0].image' });
    const owner = await http('PATCH', path, { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'y' }] } }, 'application/merge-patch+json');
    expect(owner.status).toBe(422);
    expect(owner.body.details.causes[0].field).toBe('metadata.ownerReferences[0]');
    expect((await fleet.client.getPod(pod?.metadata.name ?? '')).spec.containers[0]?.image).toBe('busybox');
    await fleet.client.deleteJob(name);
  });
});

describe('pods/status', () => {
  it('reads the pod, takes conditions of a client, refuses what the workers own', async () => {
    const name = uniqueName('pod-status');
    await fleet.client.createJob(jobManifest(name, 'sleep 300'));
    const [pod] = await runningPods(name, 1);
    const path = `${podPath(pod?.metadata.name ?? '')}/status`;
    expect((await http('GET', path)).body.metadata.uid).toBe(pod?.metadata.uid);
    const patched = await http(
      'PATCH',
      path,
      { metadata: { annotations: { patchedstatus: 'true' } }, status: { conditions: [{ type: 'example.com/Gate', status: 'True', reason: 'E2E' }] } },
      'application/strategic-merge-patch+json',
    );
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.annotations.patchedstatus).toBe('true');
    expect(patched.body.status.conditions.map((c: { type: string }) => c.type)).toContain('example.com/Gate');
    expect(patched.body.status.conditions.map((c: { type: string }) => c.type)).toContain('Ready');
    const phase = await http('PATCH', path, { status: { phase: 'Failed' } }, 'application/merge-patch+json');
    expect(phase.status).toBe(422);
    expect(phase.body.details.causes[0]).toMatchObject({ field: 'status.phase', reason: 'FieldValueForbidden' });
    // The spec is ignored on pods/status.
    const spec = await http('PATCH', path, { spec: { restartPolicy: 'OnFailure' } }, 'application/merge-patch+json');
    expect(spec.status).toBe(200);
    expect(spec.body.spec.restartPolicy).toBe('Never');
    await fleet.client.deleteJob(name);
  });
});
