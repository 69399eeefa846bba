/**
 * The jobs/{name}/status subresource against a real fleet: reads, PUT and PATCH of the status
 * (validated as Kubernetes 1.33's status strategy validates it; the spec ignored there), and the
 * status ignored on the Job itself. Ports of Kubernetes' test/e2e/apps/job.go (1.33):
 * - "should apply changes to a job status" (a merge patch of /status with a custom condition and an
 *   annotation, an UpdateStatus changing the condition, GET /status), with the official JavaScript
 *   client as the test uses client-go;
 * and the path a controller named by spec.managedBy takes: it reports the Job's progress and
 * completion through /status, which jobfleet validates and never overwrites.
 */
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { kubeConfig, uniqueName, useFleet, type Fleet } from '../harness.js';
import { httpJson, shellJob } from './job-fixtures.js';
import { eventually } from '../timing.js';

let fleet: Fleet;
let batch: k8s.BatchV1Api;

useFleet({ workers: 1, maxPods: 10 }, (started) => {
  fleet = started;
  batch = kubeConfig(fleet).makeApiClient(k8s.BatchV1Api);
});

const jobManifest = (name: string, spec: Record<string, unknown> = {}): Job => shellJob(name, 'sleep 300', { parallelism: 2, completions: 4, ...spec });

const http = (method: string, path: string, body?: unknown, contentType = 'application/merge-patch+json') => httpJson(fleet.api.url, method, path, body, contentType);

const statusPath = (name: string) => `/apis/batch/v1/namespaces/default/jobs/${name}/status`;
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

describe('jobs/{name}/status', () => {
  // Port of "should apply changes to a job status".
  it('applies changes to a job status (patch, update, get)', async () => {
    const name = uniqueName('status');
    const created = await fleet.client.createJob(jobManifest(name));
    await eventually(async () => (await fleet.client.listPods({ jobName: name })).filter((p) => p.status.phase === 'Running').length === 2, 60_000, 'parallelism pods running');

    const now1 = rfc3339(Date.now() - 60_000);
    const patched = await batch.patchNamespacedJobStatus(
      { name, namespace: 'default', body: { metadata: { annotations: { patchedstatus: 'true' } }, status: { conditions: [{ type: 'CustomConditionType', status: 'True', lastTransitionTime: new Date(now1) }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const custom = patched.status?.conditions?.find((c) => c.type === 'CustomConditionType');
    expect(custom?.lastTransitionTime?.toISOString()).toBe(new Date(now1).toISOString());
    expect(patched.metadata?.annotations?.patchedstatus).toBe('true');

    const now2 = new Date(Math.floor(Date.now() / 1000) * 1000);
    let updated: k8s.V1Job | undefined;
    for (let attempt = 0; !updated; attempt++) {
      const current = await batch.readNamespacedJob({ name, namespace: 'default' });
      const condition = current.status?.conditions?.find((c) => c.type === 'CustomConditionType');
      if (!condition) throw new Error('the patched condition is gone');
      condition.lastTransitionTime = now2;
      try {
        updated = await batch.replaceNamespacedJobStatus({ name, namespace: 'default', body: current });
      } catch (err) {
        if (!(err instanceof k8s.ApiException && err.code === 409) || attempt > 5) throw err;
      }
    }
    expect(updated.status?.conditions?.find((c) => c.type === 'CustomConditionType')?.lastTransitionTime?.toISOString()).toBe(now2.toISOString());

    const gotten = await http('GET', statusPath(name));
    expect(gotten.body.metadata.uid).toBe(created.metadata.uid);
    // The controller keeps syncing the Job without dropping the client's condition.
    await new Promise((r) => setTimeout(r, 500));
    expect((await fleet.client.getJob(name)).status?.conditions?.some((c) => (c.type as string) === 'CustomConditionType')).toBe(true);
    await fleet.client.deleteJob(name);
  });

  it('a controller named by managedBy reports progress and completion; jobfleet validates and keeps it', async () => {
    const name = uniqueName('managed');
    await fleet.client.createJob(jobManifest(name, { managedBy: 'example.com/custom-job-controller' }));
    const start = rfc3339(Date.now());
    const progress = await http('PATCH', statusPath(name), { status: { startTime: start, active: 2, ready: 1 } });
    expect(progress.status).toBe(200);
    expect(progress.body.status).toMatchObject({ startTime: start, active: 2, ready: 1 });

    // Refused as Kubernetes refuses them (422, every problem named), nothing written.
    const bad = await http('PATCH', statusPath(name), { status: { active: -1, succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } });
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`).sort()).toStrictEqual(
      [
        'status.active: Invalid value: -1: must be greater than or equal to 0',
        'status.completionTime: Required value: completionTime is required for Complete jobs',
        'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
        'status.ready: Invalid value: 1: cannot set more ready pods than active',
      ].sort(),
    );
    expect((await fleet.client.getJob(name)).status?.active).toBe(2);

    const end = rfc3339(Date.now() + 1000);
    const conditions = [
      { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: end },
      { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: end },
    ];
    const done = await http('PATCH', statusPath(name), { status: { active: 0, ready: 0, succeeded: 4, completionTime: end, conditions } });
    expect(done.status).toBe(200);
    // A finished Job stays finished: its terminal condition cannot be undone.
    const undo = await http('PATCH', statusPath(name), { status: { conditions: [conditions[0]] } });
    expect(undo.status).toBe(422);
    expect(undo.body.message).toContain('cannot disable the terminal Complete=True condition');
    const final = await fleet.client.waitForCompletion(name, { timeoutMs: 5_000 });
    expect(final.status).toMatchObject({ succeeded: 4, completionTime: end });
    // Nobody ran its pods: jobfleet does not reconcile a Job another controller manages.
    expect(await fleet.client.listPods({ jobName: name })).toStrictEqual([]);
    await fleet.client.deleteJob(name);
  });

  it('ignores the spec on /status and the status on the Job itself', async () => {
    const name = uniqueName('ignore');
    await fleet.client.createJob(jobManifest(name, { managedBy: 'example.com/custom-job-controller' }));
    const onStatus = await http('PATCH', statusPath(name), { spec: { parallelism: 7 }, status: { active: 1 } });
    expect(onStatus.status).toBe(200);
    expect(onStatus.body.spec.parallelism).toBe(2);
    expect(onStatus.body.status.active).toBe(1);
    const onJob = await http('PATCH', `/apis/batch/v1/namespaces/default/jobs/${name}`, { spec: { parallelism: 3 }, status: { active: 9 } });
    expect(onJob.status).toBe(200);
    expect(onJob.body.spec.parallelism).toBe(3);
    expect(onJob.body.status.active).toBe(1);
    const put = await http('PUT', statusPath(name), { ...(await http('GET', `/apis/batch/v1/namespaces/default/jobs/${name}`)).body, status: { active: 'two' } }, 'application/json');
    expect(put.status).toBe(422);
    expect(put.body.details.causes[0]).toMatchObject({ field: 'status.active', message: 'Invalid value: "two": must be an integer' });
    await fleet.client.deleteJob(name);
  });
});
