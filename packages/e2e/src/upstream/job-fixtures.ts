/**
 * Ports of the Job fixtures of Kubernetes' e2e tests (test/e2e/framework/job/fixtures.go NewTestJob,
 * wait.go) for the tests in this folder. Behaviours that must carry state from one pod to the next
 * ("fail once, then succeed") use a hostPath folder of the one Docker host, as the upstream tests use
 * a hostPath on the one node they pin the pods to; their fleet runs with allowPrivileged for it.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { JobfleetClient } from '@jobfleet/client';
import type { ConcurrencyPolicy, Container, CronJob, Job, JobSpec, Pod, Volume } from '@jobfleet/kube';
import { eventually } from '../timing.js';

export type Behavior =
  | 'succeed'
  | 'fail'
  | 'failOddSucceedEven'
  | 'notTerminate'
  | 'failOnce'
  | 'failOncePerIndex'
  | 'notTerminateOnce'
  | 'notTerminateOncePerIndex';

/** Folders made for hostPath behaviours, removed by removeHostDirs. */
const hostDirs: string[] = [];

export function removeHostDirs(): void {
  for (const dir of hostDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * NewTestJob: one container "c" (busybox) doing `behavior`, a "data" volume at /data (an emptyDir,
 * or a hostPath folder for the behaviours that remember across pods).
 */
export function newTestJob(behavior: Behavior, name: string, parallelism: number, completions: number, backoffLimit: number, extra: Partial<JobSpec> = {}): Job {
  let script = '';
  let volume: Volume = { name: 'data', emptyDir: {} };
  const hostDir = () => {
    const dir = `/tmp/jobfleet-e2e-${randomUUID().slice(0, 12)}`;
    hostDirs.push(dir);
    volume = { name: 'data', hostPath: { path: dir, type: 'DirectoryOrCreate' } };
  };
  switch (behavior) {
    case 'succeed':
      script = 'exit 0';
      break;
    case 'fail':
      script = 'exit 1';
      break;
    case 'failOddSucceedEven':
      script = 'if [ $(expr ${JOB_COMPLETION_INDEX} % 2) -ne 0 ]; then exit 1; else exit 0; fi';
      break;
    case 'notTerminate':
      script = 'exec sleep 1000000';
      break;
    case 'failOnce':
      hostDir();
      script = 'if [ -r /data/foo ]; then exit 0; else touch /data/foo; exit 1; fi';
      break;
    case 'failOncePerIndex':
      hostDir();
      script = 'if [ -r /data/foo-$JOB_COMPLETION_INDEX ]; then exit 0; else touch /data/foo-$JOB_COMPLETION_INDEX; exit 42; fi';
      break;
    case 'notTerminateOnce':
      // Index 0 makes the marker and runs until stopped; the others fail until the marker exists.
      hostDir();
      script = 'if [ -r /data/foo ]; then exit 0; elif [ "$JOB_COMPLETION_INDEX" -eq 0 ]; then touch /data/foo; exec sleep 1000000; else exit 1; fi';
      break;
    case 'notTerminateOncePerIndex':
      hostDir();
      script = 'if [ -r /data/foo-$JOB_COMPLETION_INDEX ]; then exit 0; else touch /data/foo-$JOB_COMPLETION_INDEX; exec sleep 1000000; fi';
      break;
  }
  const container: Container = { name: 'c', image: 'busybox', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      parallelism,
      completions,
      backoffLimit,
      ...extra,
      template: {
        metadata: { labels: { job: name } },
        spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, volumes: [volume], containers: [container] },
      },
    },
  };
}

/**
 * How long the waits below wait. Upstream's JobTimeout is 15 minutes; these tests run three files at a
 * time on two loaded cores, where a Job of two restarted pods was once seen to need over 60 s, so the
 * waits allow 150 s: what is asserted is the state reached, never how fast.
 */
export const JOB_TIMEOUT_MS = 150_000;

/** One line per pod of the Job (phase and container states), for the message of a wait that timed out. */
async function podSummary(client: JobfleetClient, name: string): Promise<string> {
  const pods = await jobPods(client, name).catch((err: unknown) => `(pods unreadable: ${(err as Error).message})`);
  if (typeof pods === 'string') return pods;
  const line = (p: Pod) =>
    `${p.metadata.name} ${p.status.phase}${p.spec.nodeName ? ` on ${p.spec.nodeName}` : ''}${p.metadata.deletionTimestamp ? ' (deleting)' : ''}: ${JSON.stringify((p.status.containerStatuses ?? []).map((c) => ({ restarts: c.restartCount, state: c.state, last: c.lastState })))}`;
  return pods.length ? pods.map(line).join('\n') : '(no pods)';
}

/** Polls the Job until `state` says "" (a Kubernetes JobState), else fails with its last word and its pods. */
export async function waitForJobState(client: JobfleetClient, name: string, state: (job: Job) => string, timeoutMs = JOB_TIMEOUT_MS): Promise<Job> {
  let last = '';
  try {
    return await eventually(
      async () => {
        const job = await client.getJob(name);
        last = state(job);
        return last === '' ? job : undefined;
      },
      timeoutMs,
      `job ${name}`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${last}\npods:\n${await podSummary(client, name)}`);
  }
}

const isTrue = (job: Job, type: string, reason?: string) =>
  (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True' && (reason === undefined || c.reason === reason));

/** WaitForJobCondition. */
export function waitForJobCondition(client: JobfleetClient, name: string, type: string, reason?: string): Promise<Job> {
  return waitForJobState(client, name, (job) => (isTrue(job, type, reason) ? '' : `no ${type}=True${reason ? ` (${reason})` : ''} yet: ${JSON.stringify(job.status)}`));
}

/** WaitForJobComplete: succeeded == completions, then Complete with `reason`; a failed Job stops the wait. */
export async function waitForJobComplete(client: JobfleetClient, name: string, reason: string, completions: number): Promise<Job> {
  return waitForJobState(client, name, (job) => {
    if (isTrue(job, 'Failed')) throw new Error(`job ${name} failed while waiting for its completion: ${JSON.stringify(job.status)}`);
    if (job.status?.succeeded !== completions) return `succeeded ${job.status?.succeeded ?? 0}, want ${completions}`;
    return isTrue(job, 'Complete', reason) ? '' : `no Complete (${reason}) yet`;
  });
}

/** WaitForJobFailed; a completed Job stops the wait. */
export function waitForJobFailed(client: JobfleetClient, name: string): Promise<Job> {
  return waitForJobState(client, name, (job) => {
    if (isTrue(job, 'Complete')) throw new Error(`job ${name} completed while waiting for its failure`);
    return isTrue(job, 'Failed') ? '' : `not failed yet: ${JSON.stringify(job.status)}`;
  });
}

export async function jobPods(client: JobfleetClient, name: string): Promise<Pod[]> {
  return client.listPods({ jobName: name });
}

/** WaitForJobPodsRunning: exactly `count` pods of the Job Running. */
export async function waitForJobPodsRunning(client: JobfleetClient, name: string, count: number): Promise<Pod[]> {
  return eventually(
    async () => {
      const running = (await jobPods(client, name)).filter((p) => p.status.phase === 'Running');
      return running.length === count ? running : undefined;
    },
    JOB_TIMEOUT_MS,
    `${count} running pods of ${name}`,
  );
}

export async function waitForAllJobPodsGone(client: JobfleetClient, name: string): Promise<void> {
  await eventually(async () => (await jobPods(client, name)).length === 0, JOB_TIMEOUT_MS, `the pods of ${name} to be gone`);
}

/** A raw API call (the TypeScript client has no pod writes of its own). */
export async function api(server: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** A Job of one busybox container "main" running `script` (restartPolicy Never, 1 s grace period). */
export function shellJob(name: string, script: string, spec: Record<string, unknown> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } } },
  } as Job;
}

/** A raw JSON call: the status and the parsed body (undefined when empty). */
export async function httpJson(server: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server}${path}`, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** test/e2e/apps/cronjob.go's */
/** newTestCronJob: one busybox container "c" with an emptyDir at /data; parallelism, completions 1, backoffLimit 1, OnFailure. */
export function newTestCronJob(name: string, schedule: string, concurrencyPolicy: ConcurrencyPolicy, command: string[] | undefined, successfulJobsHistoryLimit?: number, failedJobsHistoryLimit?: number): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule,
      concurrencyPolicy,
      ...(successfulJobsHistoryLimit === undefined ? {} : { successfulJobsHistoryLimit }),
      ...(failedJobsHistoryLimit === undefined ? {} : { failedJobsHistoryLimit }),
      jobTemplate: {
        spec: {
          parallelism: 1,
          completions: 1,
          backoffLimit: 1,
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              terminationGracePeriodSeconds: 1,
              volumes: [{ name: 'data', emptyDir: {} }],
              containers: [{ name: 'c', image: 'busybox', ...(command ? { command } : {}), volumeMounts: [{ mountPath: '/data', name: 'data' }] }],
            },
          },
        },
      },
    },
  } as CronJob;
}
