/**
 * Jobs end to end: real Redis, real Docker, the API, a worker, the TypeScript client.
 * Each test uses its own Job name, so the tests of this file run concurrently on one fleet.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { JobFailedError, type JobfleetClient } from '@jobfleet/client';
import { uniqueName, useFleet, type Fleet } from './harness.js';
import { maxOverlap, runIntervals } from './timing.js';

let fleet: Fleet;
let client: JobfleetClient;
useFleet({ workers: 1, maxPods: 20 }, (started) => {
  fleet = started;
  client = started.client;
});

function example(file: string, name: string): string {
  const text = readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8');
  return text.replace('name: echo-job', `name: ${name}`);
}

function job(name: string, spec: Record<string, unknown>, podSpec: Record<string, unknown>): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', ...podSpec } } },
  } as Job;
}

function shell(script: string, extra: Record<string, unknown> = {}) {
  return { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...extra }] };
}

describe.concurrent('Jobs end to end', () => {
  it('runs echo-job.yaml to Complete and keeps the Completed pod and its log', async () => {
    const name = uniqueName('echo');
    await client.createJob(example('echo-job.yaml', name));
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status).toMatchObject({ succeeded: 1, active: 0 });
    expect(done.status?.failed ?? 0).toBe(0);
    expect(done.status?.completionTime).toBeDefined();
    expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    const pods = await client.listPods({ jobName: name });
    expect(pods).toHaveLength(1);
    const pod = pods[0] as Pod;
    expect(pod.metadata.name).toMatch(new RegExp(`^${name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(pod.spec.nodeName).toBe(fleet.workers[0]?.nodeName);
    expect(pod.metadata.labels).toMatchObject({ 'job-name': name, 'batch.kubernetes.io/job-name': name, 'controller-uid': done.metadata.uid });
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name, uid: done.metadata.uid, controller: true });
    expect(await client.logs(pod.metadata.name ?? '')).toBe('Running in a job\n');
  });

  it('runs the completions of echo-job-completions.yaml one after another', async () => {
    const name = uniqueName('seq');
    const manifest = example('echo-job-completions.yaml', name).replace('["echo", "Running in a job"]', '["sh", "-c", "echo start; sleep 0.3; echo end"]');
    await client.createJob(manifest);
    const done = await client.waitForCompletion(name, { timeoutMs: 90_000 });
    expect(done.status).toMatchObject({ succeeded: 5, active: 0 });
    const pods = await client.listPods({ jobName: name });
    expect(pods).toHaveLength(5);
    expect(maxOverlap(await runIntervals(client, pods))).toBe(1);
  });

  it('runs echo-job-parallel.yaml with exactly parallelism pods at once', async () => {
    const name = uniqueName('par');
    // Pods run long enough that three start within one run of each other even on a loaded machine.
    const manifest = example('echo-job-parallel.yaml', name).replace('["echo", "Running in a job"]', '["sh", "-c", "echo start; sleep 6; echo end"]');
    await client.createJob(manifest);
    const done = await client.waitForCompletion(name, { timeoutMs: 90_000 });
    expect(done.status).toMatchObject({ succeeded: 5, active: 0 });
    const pods = await client.listPods({ jobName: name });
    expect(pods).toHaveLength(5);
    expect(maxOverlap(await runIntervals(client, pods))).toBe(3);
  });

  it('restarts a failed container in place under OnFailure', async () => {
    const name = uniqueName('onfail');
    // Fails the first time; the restarted container finds the file the first run left behind.
    const script = 'if [ -f /tmp/ran-before ]; then echo second; exit 0; fi; touch /tmp/ran-before; echo first; exit 3';
    await client.createJob(job(name, { backoffLimit: 3 }, { ...shell(script), restartPolicy: 'OnFailure' }));
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status).toMatchObject({ succeeded: 1 });
    expect(done.status?.failed ?? 0).toBe(0);
    const pods = await client.listPods({ jobName: name });
    expect(pods).toHaveLength(1);
    const status = pods[0]?.status.containerStatuses?.[0];
    expect(status?.restartCount).toBe(1);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    // As the kubelet: the current run's log; the run before it is `logs --previous` (kubelet/logs-previous.test.ts).
    expect(await client.logs(pods[0]?.metadata.name ?? '')).toBe('second\n');
  });

  it('makes a new pod after each failure under Never, then fails with BackoffLimitExceeded', async () => {
    const name = uniqueName('never');
    const script = 'if [ -f /tmp/ran-before ]; then exit 0; fi; touch /tmp/ran-before; exit 1';
    await client.createJob(job(name, { backoffLimit: 2 }, shell(script)));
    const error = await client.waitForCompletion(name, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    const failed = await client.getJob(name);
    expect(failed.status).toMatchObject({ failed: 3, active: 0 });
    expect(failed.status?.succeeded ?? 0).toBe(0);
    const conditions = failed.status?.conditions ?? [];
    expect(conditions.map((c) => [c.type, c.reason])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded'],
      ['Failed', 'BackoffLimitExceeded'],
    ]);
    expect(conditions[1]?.message).toBe('Job has reached the specified backoff limit');
    const pods = await client.listPods({ jobName: name });
    expect(pods).toHaveLength(3);
    expect(new Set(pods.map((p) => p.metadata.uid)).size).toBe(3);
    for (const p of pods) {
      expect(p.status.phase).toBe('Failed');
      expect(p.status.containerStatuses?.[0]?.restartCount).toBe(0);
    }
  });

  it('fails a Job past activeDeadlineSeconds with DeadlineExceeded and kills its containers', async () => {
    const name = uniqueName('deadline');
    await client.createJob(job(name, { activeDeadlineSeconds: 2, parallelism: 2, completions: 2 }, shell('echo start; sleep 120')));
    const error = await client.waitForCompletion(name, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    const failed = await client.getJob(name);
    const condition = failed.status?.conditions?.find((c) => c.type === 'Failed');
    expect(condition).toMatchObject({ status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(failed.status).toMatchObject({ active: 0, failed: 2 });
    const elapsed = Date.parse(condition?.lastTransitionTime ?? '') - Date.parse(failed.status?.startTime ?? '');
    expect(elapsed).toBeLessThan(30_000); // killed, not waited for the 120 s sleep
    const pods = await client.listPods({ jobName: name });
    expect(pods.every((p) => p.status.phase === 'Failed')).toBe(true);
    const containers = await fleet.workers[0]?.engine.listManaged({ 'io.jobfleet.job': name });
    expect(containers).toEqual([]);
  });

  it('runs an Indexed Job: one pod per index with JOB_COMPLETION_INDEX, completedIndexes "0-2"', async () => {
    const name = uniqueName('indexed');
    await client.createJob(job(name, { completions: 3, parallelism: 3, completionMode: 'Indexed' }, shell('echo index=$JOB_COMPLETION_INDEX')));
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = await client.listPods({ jobName: name });
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    for (const [index, pod] of byIndex) {
      expect(pod.metadata.name).toMatch(new RegExp(`^${name}-${index}-[a-z0-9]{5}$`));
      expect(pod.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe(index);
      expect(await client.logs(pod.metadata.name ?? '')).toBe(`index=${index}\n`);
    }
  });

  it('completes a work-queue Job (completions unset) once a pod succeeded and none is active', async () => {
    const name = uniqueName('queue');
    await client.createJob(job(name, { parallelism: 2 }, shell('echo start; sleep 1; echo end')));
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.spec.completions ?? null).toBeNull();
    expect(done.status?.succeeded).toBe(2);
    expect(done.status?.active).toBe(0);
  });

  it('fails a pod whose image is missing with ErrImageNeverPull, without hanging', async () => {
    const name = uniqueName('noimage');
    await client.createJob(job(name, { backoffLimit: 0 }, { containers: [{ name: 'main', image: 'jobfleet-no-such-image:1' }] }));
    await expect(client.waitForCompletion(name, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(JobFailedError);
    const [pod] = await client.listPods({ jobName: name });
    expect(pod?.status.phase).toBe('Failed');
    expect(pod?.status.reason).toBe('ErrImageNeverPull');
    expect(pod?.status.containerStatuses?.[0]?.state.waiting?.reason).toBe('ErrImageNeverPull');
  });

  it('shares emptyDir volumes and the network namespace between the containers of a pod, after init containers', async () => {
    const name = uniqueName('multi');
    const podSpec = {
      volumes: [{ name: 'shared', emptyDir: {} }],
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo from-init > /data/init.txt'], volumeMounts: [{ name: 'shared', mountPath: '/data' }] }],
      containers: [
        { name: 'server', image: 'busybox', command: ['sh', '-c', 'echo hello-over-localhost | nc -l -p 7777; cat /data/init.txt'], volumeMounts: [{ name: 'shared', mountPath: '/data' }] },
        { name: 'client', image: 'busybox', command: ['sh', '-c', 'for i in $(seq 50); do nc 127.0.0.1 7777 </dev/null 2>/dev/null && exit 0; sleep 0.1; done; exit 1'], env: [{ name: 'GREETING', value: 'hi' }] },
      ],
    };
    await client.createJob(job(name, {}, podSpec));
    const done = await client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status?.succeeded).toBe(1);
    const [pod] = await client.listPods({ jobName: name });
    const podName = pod?.metadata.name ?? '';
    expect(await client.logs(podName, { container: 'client' })).toBe('hello-over-localhost\n');
    expect(await client.logs(podName, { container: 'server' })).toBe('from-init\n');
    expect(pod?.status.initContainerStatuses?.[0]?.state.terminated?.exitCode).toBe(0);
  });

  it('applies env, args, workingDir and a memory limit (OOMKilled past it)', async () => {
    const name = uniqueName('env');
    const podSpec = {
      containers: [
        { name: 'main', image: 'busybox', command: ['sh', '-c'], args: ['echo $GREETING $(WHO) from $(pwd)'], workingDir: '/tmp', env: [{ name: 'GREETING', value: 'hello' }, { name: 'WHO', value: 'world' }] },
      ],
    };
    await client.createJob(job(name, {}, podSpec));
    await client.waitForCompletion(name, { timeoutMs: 60_000 });
    const [pod] = await client.listPods({ jobName: name });
    expect(await client.logs(pod?.metadata.name ?? '')).toBe('hello world from /tmp\n');

    const oom = uniqueName('oom');
    const hog = { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'x=a; while true; do x="$x$x"; done'], resources: { limits: { memory: '8Mi' } } }] };
    await client.createJob(job(oom, { backoffLimit: 0 }, hog));
    await expect(client.waitForCompletion(oom, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(JobFailedError);
    const [oomPod] = await client.listPods({ jobName: oom });
    expect(oomPod?.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });
});
