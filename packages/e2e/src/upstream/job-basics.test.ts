/**
 * Ports of Kubernetes' Job e2e tests (test/e2e/apps/job.go, 1.33) about suspend/resume, the ready
 * and terminating counters, podReplacementPolicy, the interim conditions and managedBy, against a
 * real API, worker, Redis and Docker. Each `it` names the upstream test it ports:
 *
 * - "should not create pods when created in suspend state"
 * - "should delete pods when suspended"
 * - "should recreate pods only after they have failed if pod replacement policy is set to Failed"
 * - TerminatingOrFailed: test/integration/job TestJobPodReplacementPolicy (a replacement while the old pod terminates)
 * - "should update the status ready field"
 * - "should fail when exceeds active deadline"
 * - "should fail to exceed backoffLimit"
 * - "should run a job to completion when tasks sometimes fail and are not locally restarted"
 * - "should allow to delegate reconciliation to external controller" (managedBy)
 *
 * Adapted: pods use busybox and a shell script for each fixture behaviour, the Job controller's
 * backoff is shortened (harness FAST_DELAYS), the SIGTERM handler of the replacement test sleeps
 * 2 s instead of 5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';
import {
  api,
  jobPods,
  newTestJob,
  removeHostDirs,
  waitForAllJobPodsGone,
  waitForJobComplete,
  waitForJobCondition,
  waitForJobPodsRunning,
  waitForJobState,
} from './job-fixtures.js';

let fleet: Fleet;
let client: JobfleetClient;

beforeAll(async () => {
  // allowPrivileged: the failOnce fixture keeps its marker in a hostPath folder, as upstream does.
  fleet = await startFleet({ workers: 1, maxPods: 30, allowPrivileged: true });
  client = fleet.client;
});
afterAll(async () => {
  await fleet?.close();
  removeHostDirs();
});

const counters = (job: Job) => [job.status?.active, job.status?.ready, job.status?.terminating];

describe.concurrent('Job (upstream job.go): suspend, counters, replacement, managedBy', () => {
  it('should not create pods when created in suspend state', async () => {
    const name = uniqueName('suspend-true-to-false');
    await client.createJob(newTestJob('succeed', name, 2, 4, 6, { suspend: true }));
    const suspended = await waitForJobCondition(client, name, 'Suspended');
    expect(suspended.status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ reason: 'JobSuspended', message: 'Job suspended' });
    expect(suspended.status?.startTime).toBeUndefined();
    // Reported 0, not left out, as Kubernetes 1.33 does.
    expect(counters(suspended)).toStrictEqual([0, 0, 0]);
    expect(await jobPods(client, name)).toStrictEqual([]);
    await client.patchJob(name, { spec: { suspend: false } });
    await waitForJobComplete(client, name, 'CompletionsReached', 4);
  });

  it('should delete pods when suspended', async () => {
    const name = uniqueName('suspend-false-to-true');
    await client.createJob(newTestJob('notTerminate', name, 2, 4, 6, { suspend: false }));
    await waitForJobPodsRunning(client, name, 2);
    await client.patchJob(name, { spec: { suspend: true } });
    // Kubernetes deletes the pods of a suspended Job: they do not stay listed (Failed, with a deletion mark).
    await waitForAllJobPodsGone(client, name);
    const job = await client.getJob(name);
    expect(job.status?.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True')).toBe(true);
    expect(job.status).toMatchObject({ active: 0, ready: 0, terminating: 0, failed: 0 });
  });

  it('should recreate pods only after they have failed if pod replacement policy is set to Failed', async () => {
    const name = uniqueName('pod-recreate-failed');
    const job = newTestJob('notTerminate', name, 1, 1, 1, { podReplacementPolicy: 'Failed' });
    job.spec.template.spec.terminationGracePeriodSeconds = 30;
    job.spec.template.spec.containers[0]!.command = ['sh', '-c', "trap 'sleep 2; exit 143' TERM; while true; do sleep 0.2; done"];
    await client.createJob(job);
    const [pod] = await waitForJobPodsRunning(client, name, 1);
    const deleted = await api(fleet.api.url, 'DELETE', `/api/v1/namespaces/default/pods/${pod?.metadata.name}`, { gracePeriodSeconds: 30 });
    expect(deleted.status).toBe(200);
    // Not recreated while it terminates...
    await waitForJobState(client, name, (j) => (j.status?.active === 0 && (j.status.failed ?? 0) === 0 && j.status.terminating === 1 ? '' : `counters ${JSON.stringify(j.status)}`));
    // ...but once it has failed.
    await waitForJobState(client, name, (j) => (j.status?.active === 1 && j.status.failed === 1 && j.status.terminating === 0 ? '' : `counters ${JSON.stringify(j.status)}`));
  });

  it('podReplacementPolicy TerminatingOrFailed: the replacement starts while the deleted pod terminates', async () => {
    const name = uniqueName('pod-recreate-terminating');
    const job = newTestJob('notTerminate', name, 1, 1, 1, { podReplacementPolicy: 'TerminatingOrFailed' });
    job.spec.template.spec.terminationGracePeriodSeconds = 30;
    job.spec.template.spec.containers[0]!.command = ['sh', '-c', "trap 'sleep 3; exit 143' TERM; while true; do sleep 0.2; done"];
    await client.createJob(job);
    const [pod] = await waitForJobPodsRunning(client, name, 1);
    expect((await api(fleet.api.url, 'DELETE', `/api/v1/namespaces/default/pods/${pod?.metadata.name}`, { gracePeriodSeconds: 30 })).status).toBe(200);
    // Counted as failed at once and replaced, while it still terminates (Kubernetes' default policy).
    await waitForJobState(client, name, (j) => (j.status?.active === 1 && j.status.failed === 1 && j.status.terminating === 1 ? '' : `counters ${JSON.stringify(j.status)}`));
    // Its end is not counted again.
    await waitForJobState(client, name, (j) => (j.status?.terminating === 0 ? '' : `counters ${JSON.stringify(j.status)}`));
    expect((await client.getJob(name)).status).toMatchObject({ active: 1, failed: 1 });
    await client.deleteJob(name);
  });

  it('should update the status ready field', async () => {
    const name = uniqueName('all-ready');
    await client.createJob(newTestJob('notTerminate', name, 2, 4, 6, { suspend: true }));
    await waitForJobState(client, name, (j) => (j.status?.ready === 0 ? '' : `ready ${j.status?.ready}`));
    await client.patchJob(name, { spec: { suspend: false } });
    await waitForJobState(client, name, (j) => (j.status?.ready === 2 ? '' : `ready ${j.status?.ready}`));
    await client.patchJob(name, { spec: { suspend: true } });
    await waitForJobState(client, name, (j) => (j.status?.ready === 0 ? '' : `ready ${j.status?.ready}`));
    // Once the stopped pods have ended: none is terminating any more, and none is left listed.
    await waitForJobState(client, name, (j) => (j.status?.terminating === 0 ? '' : `terminating ${j.status?.terminating}`));
    await waitForAllJobPodsGone(client, name);
    await client.deleteJob(name);
  });

  it('should fail when exceeds active deadline', async () => {
    const name = uniqueName('exceed-active-deadline');
    await client.createJob(newTestJob('notTerminate', name, 2, 4, 6, { activeDeadlineSeconds: 1 }));
    await waitForJobCondition(client, name, 'FailureTarget', 'DeadlineExceeded');
    const job = await waitForJobCondition(client, name, 'Failed', 'DeadlineExceeded');
    expect(counters(job)).toStrictEqual([0, 0, 0]);
  });

  it('should fail to exceed backoffLimit', async () => {
    const name = uniqueName('backofflimit');
    await client.createJob(newTestJob('fail', name, 1, 1, 1));
    await waitForJobCondition(client, name, 'FailureTarget', 'BackoffLimitExceeded');
    const job = await waitForJobCondition(client, name, 'Failed', 'BackoffLimitExceeded');
    const pods = await jobPods(client, name);
    expect(pods).toHaveLength(2);
    for (const pod of pods) expect(pod.status.phase).toBe('Failed');
    expect(counters(job)).toStrictEqual([0, 0, 0]);
  });

  it('should run a job to completion when tasks sometimes fail and are not locally restarted', async () => {
    const name = uniqueName('fail-once-non-local');
    await client.createJob(newTestJob('failOnce', name, 2, 4, 6));
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    expect(counters(job)).toStrictEqual([0, 0, 0]);
  });

  it('should allow to delegate reconciliation to external controller', async () => {
    const name = uniqueName('managed-by');
    const created = await client.createJob(newTestJob('succeed', name, 2, 4, 6, { managedBy: 'example.com/custom-job-controller' }));
    expect(created.spec.managedBy).toBe('example.com/custom-job-controller');
    // Consistently for 3 s, polling every second: jobfleet writes no status and creates no pod.
    for (let i = 0; i < 4; i++) {
      const job = await client.getJob(name);
      expect(job.status ?? {}).toStrictEqual({});
      expect(await jobPods(client, name)).toStrictEqual([]);
      if (i < 3) await new Promise((r) => setTimeout(r, 1_000));
    }
    // The field is immutable, as in Kubernetes.
    const patched = await client.patchJob(name, { spec: { managedBy: 'example.com/other' } }).catch((e: unknown) => e);
    expect(String((patched as Error).message)).toContain('spec.managedBy: Invalid value: "example.com/other": field is immutable');
  });

  it('a suspended Job reports 0 ready and 0 terminating (always reported, as Kubernetes 1.33)', async () => {
    const name = uniqueName('zero-counters');
    await client.createJob(newTestJob('succeed', name, 1, 1, 6, { suspend: true }));
    const job = await eventually(async () => {
      const j = await client.getJob(name);
      return j.status?.terminating !== undefined ? j : undefined;
    }, 10_000, 'status.terminating');
    expect(counters(job)).toStrictEqual([0, 0, 0]);
  });
});
