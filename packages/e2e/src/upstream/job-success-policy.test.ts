/**
 * Ports of Kubernetes' Job e2e tests (test/e2e/apps/job.go, 1.33) about successPolicy, against a
 * real API, worker, Redis and Docker:
 *
 * - "with successPolicy should succeeded when all indexes succeeded" (Conformance 1.33)
 * - "with successPolicy succeededIndexes rule should succeeded even when some indexes remain pending" (Conformance 1.33)
 * - "with successPolicy succeededCount rule should succeeded even when some indexes remain pending" (Conformance 1.33)
 *
 * Adapted: the re-creation backoff is the harness' shortened one (FAST_DELAYS).
 */
import { describe, expect, it } from 'vitest';
import type { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { uniqueName, useFleet } from '../harness.js';
import { newTestJob, waitForJobComplete, waitForJobCondition } from './job-fixtures.js';

let client: JobfleetClient;
useFleet({ workers: 1, maxPods: 20 }, (fleet) => {
  client = fleet.client;
});

const trueConditions = (job: Job) => (job.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => [c.type, c.reason, c.message]);

describe.concurrent('Job (upstream job.go): successPolicy', () => {
  it('with successPolicy should succeeded when all indexes succeeded', async () => {
    const name = uniqueName('with-success-policy-all-index-succeeded');
    await client.createJob(newTestJob('succeed', name, 2, 2, 6, { completionMode: 'Indexed', successPolicy: { rules: [{ succeededCount: 2 }] } }));
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'SuccessPolicy');
    const job = await waitForJobComplete(client, name, 'SuccessPolicy', 2);
    expect(job.status).toMatchObject({ active: 0, ready: 0, terminating: 0, failed: 0 });
    expect(trueConditions(job)).toStrictEqual([
      ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 0'],
      ['Complete', 'SuccessPolicy', 'Matched rules at index 0'],
    ]);
  });

  it('with successPolicy succeededIndexes rule should succeeded even when some indexes remain pending', async () => {
    const name = uniqueName('with-success-policy-succeeded-indexed');
    await client.createJob(newTestJob('failOddSucceedEven', name, 2, 5, 6, { completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } }));
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'SuccessPolicy');
    const job = await waitForJobComplete(client, name, 'SuccessPolicy', 1);
    expect(job.status).toMatchObject({ completedIndexes: '0', active: 0, ready: 0, terminating: 0 });
  });

  it('with successPolicy succeededCount rule should succeeded even when some indexes remain pending', async () => {
    const name = uniqueName('with-success-policy-succeeded-count');
    await client.createJob(
      newTestJob('failOddSucceedEven', name, 2, 5, 2147483647, { completionMode: 'Indexed', successPolicy: { rules: [{ succeededCount: 1 }] } }),
    );
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'SuccessPolicy');
    const job = await waitForJobComplete(client, name, 'SuccessPolicy', 1);
    expect(job.status).toMatchObject({ completedIndexes: '0', active: 0, ready: 0, terminating: 0 });
  });
});
