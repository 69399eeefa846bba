/**
 * Ports of Kubernetes' Job e2e tests (test/e2e/apps/job.go, 1.33) about backoffLimitPerIndex,
 * maxFailedIndexes and the FailIndex action, against a real API, worker, Redis and Docker:
 *
 * - "should execute all indexes despite some failing when using backoffLimitPerIndex" (Conformance 1.33)
 * - "should terminate job execution when the number of failed indexes exceeds maxFailedIndexes" (Conformance 1.33)
 * - "should record the failure-count in the Pod annotation when using backoffLimitPerIndex"
 * - "should mark indexes as failed when the FailIndex action is matched in podFailurePolicy" (Conformance 1.33)
 *
 * Adapted: the per-index backoff is the harness' shortened one (FAST_DELAYS); the failure counts are
 * read from the pods once the Job failed (a pod that failed on its own stays listed), where upstream
 * watches them.
 */
import { describe, expect, it } from 'vitest';
import type { JobfleetClient } from '@jobfleet/client';
import { uniqueName, useFleet } from '../harness.js';
import { jobPods, newTestJob, waitForJobFailed } from './job-fixtures.js';

let client: JobfleetClient;
useFleet({ workers: 1, maxPods: 20 }, (fleet) => {
  client = fleet.client;
});

const INDEX = 'batch.kubernetes.io/job-completion-index';
const FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
const reasonOf = (conditions: { type: string; status: string; reason?: string }[] | undefined) =>
  conditions?.find((c) => c.type === 'Failed' && c.status === 'True')?.reason;

describe.concurrent('Job (upstream job.go): backoffLimitPerIndex', () => {
  it('should execute all indexes despite some failing when using backoffLimitPerIndex', async () => {
    const name = uniqueName('with-backoff-limit-per-index');
    const job = newTestJob('failOddSucceedEven', name, 2, 4, 6, { completionMode: 'Indexed', backoffLimitPerIndex: 1 });
    delete job.spec.backoffLimit;
    const created = await client.createJob(job);
    expect(created.spec.backoffLimit).toBe(2147483647);
    const failed = await waitForJobFailed(client, name);
    expect(failed.status).toMatchObject({ failedIndexes: '1,3', completedIndexes: '0,2', failed: 4, succeeded: 2 });
    expect(reasonOf(failed.status?.conditions)).toBe('FailedIndexes');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.message).toBe('Job has failed indexes');
  });

  it('should terminate job execution when the number of failed indexes exceeds maxFailedIndexes', async () => {
    const name = uniqueName('with-max-failed-indexes');
    const job = newTestJob('fail', name, 1, 4, 6, { completionMode: 'Indexed', backoffLimitPerIndex: 0, maxFailedIndexes: 0 });
    delete job.spec.backoffLimit;
    await client.createJob(job);
    const failed = await waitForJobFailed(client, name);
    expect(failed.status).toMatchObject({ failedIndexes: '0', failed: 1 });
    expect(reasonOf(failed.status?.conditions)).toBe('MaxFailedIndexesExceeded');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.message).toBe('Job has exceeded the specified maximal number of failed indexes');
  });

  it('should record the failure-count in the Pod annotation when using backoffLimitPerIndex', async () => {
    const name = uniqueName('e2e-backofflimitperindex');
    const job = newTestJob('fail', name, 2, 2, 6, { completionMode: 'Indexed', backoffLimitPerIndex: 1 });
    delete job.spec.backoffLimit;
    await client.createJob(job);
    const failed = await waitForJobFailed(client, name);
    const tracked: Record<string, string[]> = {};
    for (const pod of await jobPods(client, name)) {
      const index = pod.metadata.annotations?.[INDEX] ?? '?';
      (tracked[index] ??= []).push(pod.metadata.annotations?.[FAILURE_COUNT] ?? '<none>');
    }
    for (const counts of Object.values(tracked)) counts.sort();
    expect(tracked).toStrictEqual({ 0: ['0', '1'], 1: ['0', '1'] });
    expect(failed.status).toMatchObject({ failedIndexes: '0,1', completedIndexes: '', failed: 4, succeeded: 0 });
  });

  it('should mark indexes as failed when the FailIndex action is matched in podFailurePolicy', async () => {
    const name = uniqueName('matching-fail-index-action');
    const job = newTestJob('failOddSucceedEven', name, 2, 2, 6, {
      completionMode: 'Indexed',
      backoffLimitPerIndex: 1,
      podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } }] },
    });
    delete job.spec.backoffLimit;
    await client.createJob(job);
    const failed = await waitForJobFailed(client, name);
    expect(failed.status).toMatchObject({ failedIndexes: '1', completedIndexes: '0', failed: 1, succeeded: 1 });
  });
});
