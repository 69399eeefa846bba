/**
 * Ports of Kubernetes' Job e2e tests (test/e2e/apps/job.go, 1.33) about podFailurePolicy, against
 * a real API, worker, Redis and Docker:
 *
 * - "should allow to use the pod failure policy on exit code to fail the job early" (Conformance 1.31)
 * - "should allow to use a pod failure policy to ignore failure matching on exit code"
 * - "should allow to use a pod failure policy to ignore failure matching on DisruptionTarget condition" (Conformance 1.32)
 *
 * Adapted: the failing pod of the first test simply exits 1 (upstream: failOnce, where the first
 * pod fails with 1); the per-index markers live in a hostPath folder of the one Docker host, as
 * upstream pins the pods to one node; the evicted pods get a 1 s grace period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobfleetClient } from '@jobfleet/client';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';
import { api, jobPods, newTestJob, removeHostDirs, waitForJobComplete, waitForJobCondition, waitForJobFailed, waitForJobState } from './job-fixtures.js';

let fleet: Fleet;
let client: JobfleetClient;

beforeAll(async () => {
  fleet = await startFleet({ workers: 1, maxPods: 20, allowPrivileged: true });
  client = fleet.client;
});
afterAll(async () => {
  await fleet?.close();
  removeHostDirs();
});

describe.concurrent('Job (upstream job.go): podFailurePolicy', () => {
  it('should allow to use the pod failure policy on exit code to fail the job early', async () => {
    const name = uniqueName('pod-failure-failjob');
    await client.createJob(
      newTestJob('fail', name, 2, 4, 6, { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }] } }),
    );
    const job = await waitForJobFailed(client, name);
    const conditions = (job.status?.conditions ?? []).filter((c) => c.status === 'True');
    expect(conditions.map((c) => [c.type, c.reason])).toStrictEqual([
      ['FailureTarget', 'PodFailurePolicy'],
      ['Failed', 'PodFailurePolicy'],
    ]);
    expect(conditions[1]?.message).toMatch(new RegExp(`^Container c for pod default/${name}-[a-z0-9]{5} failed with exit code 1 matching FailJob rule at index 0$`));
    // Failed early: far from the 7 failures backoffLimit 6 would take.
    expect(job.status?.failed).toBeLessThanOrEqual(2);
    expect([job.status?.active, job.status?.ready, job.status?.terminating]).toStrictEqual([0, 0, 0]);
    const events = await client.jobEvents(job);
    expect(events.some((e) => e.type === 'Warning' && e.reason === 'PodFailurePolicy')).toBe(true);
  });

  it('should allow to use a pod failure policy to ignore failure matching on exit code', async () => {
    const name = uniqueName('fail-pod-ignore-on-exit-code');
    const numPods = 3;
    await client.createJob(
      newTestJob('failOncePerIndex', name, numPods, numPods, numPods - 1, {
        completionMode: 'Indexed',
        podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] },
      }),
    );
    const job = await waitForJobComplete(client, name, 'CompletionsReached', numPods);
    // One failure per index (exit 42), all ignored: none counted, though there were more than backoffLimit.
    expect(job.status?.failed ?? 0).toBe(0);
    const pods = await jobPods(client, name);
    expect(pods.filter((p) => p.status.phase === 'Failed')).toHaveLength(numPods);
  });

  it('should allow to use a pod failure policy to ignore failure matching on DisruptionTarget condition', async () => {
    const name = uniqueName('evicted-pod-ignore-on-disruption-condition');
    const numPods = 3;
    await client.createJob(
      newTestJob('notTerminateOncePerIndex', name, numPods, numPods, numPods - 1, {
        completionMode: 'Indexed',
        podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
      }),
    );
    await waitForJobState(client, name, (j) => (j.status?.ready === numPods ? '' : `ready ${j.status?.ready}`));
    const pods = (await jobPods(client, name)).filter((p) => p.status.phase === 'Running');
    expect(pods).toHaveLength(numPods);
    await Promise.all(
      pods.map(async (pod) => {
        const podName = pod.metadata.name ?? '';
        const evicted = await api(fleet.api.url, 'POST', `/api/v1/namespaces/default/pods/${podName}/eviction`, {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: podName, namespace: 'default' },
        });
        expect(evicted.status).toBe(201);
        // Awaiting for the pod to be deleted: counted (ignored) by the Job controller, then removed.
        await eventually(async () => (await api(fleet.api.url, 'GET', `/api/v1/namespaces/default/pods/${podName}`)).status === 404, 60_000, `${podName} gone`);
      }),
    );
    const job = await waitForJobComplete(client, name, 'CompletionsReached', numPods);
    expect(job.status?.failed ?? 0).toBe(0);
  });

  it('a pod that ends without matching any rule counts toward backoffLimit', async () => {
    const name = uniqueName('pod-failure-no-match');
    await client.createJob(newTestJob('fail', name, 1, 1, 1, { podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] } }));
    const job = await waitForJobCondition(client, name, 'Failed', 'BackoffLimitExceeded');
    expect(job.status?.failed).toBe(2);
  });
});
