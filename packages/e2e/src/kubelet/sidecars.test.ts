/**
 * Native sidecars (init containers with restartPolicy Always) against a real API, worker, Redis and
 * Docker: they start in their turn, run alongside the app containers, do not hold the pod's end, are
 * restarted when they exit, and are stopped (SIGTERM, then SIGKILL after the grace period) once the
 * app containers are done; the pod's phase and the Job's counts come from the app containers alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidError, type ContainerStatus, type Pod } from '@jobfleet/kube';
import { JobFailedError } from '@jobfleet/client';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { job, podLog, shell, waitForPod } from './helpers.js';

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ workers: 1, maxPods: 10 });
});
afterAll(async () => fleet?.close());

const shared = { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] };
const volumes = [{ name: 'shared', emptyDir: {} }];
const initStatus = (pod: Pod, name: string): ContainerStatus | undefined => pod.status.initContainerStatuses?.find((s) => s.name === name);
const condition = (pod: Pod, type: string) => pod.status.conditions?.find((c) => c.type === type);

describe.concurrent('native sidecars', () => {
  it('a Job whose pods have a log shipper that never exits completes, the shipper stopped with SIGTERM and its output in its log', async () => {
    const name = uniqueName('shipper');
    const shipper = shell('shipper', "trap 'echo shipper stopped; exit 0' TERM; touch /shared/up; i=0; while true; do i=$((i+1)); echo shipped $i; sleep 0.2; done", { restartPolicy: 'Always', ...shared });
    // Starts only once the shipper has: it finds the file the shipper writes.
    const after = shell('after', 'for i in $(seq 100); do [ -f /shared/up ] && echo sidecar is up && exit 0; sleep 0.1; done; exit 1', shared);
    const main = shell('main', 'echo working; sleep 3; echo done', shared);
    await fleet.client.createJob(job(name, { volumes, initContainers: [shipper, after], containers: [main] }, { completions: 2, parallelism: 2 }));

    // While the app container runs, the shipper runs alongside it, started and ready; the pod is Initialized and Ready.
    const running = await waitForPod(fleet.client, name, 'a pod with its app container running', (p) => p.status.containerStatuses?.[0]?.state.running !== undefined && p.status.phase === 'Running');
    expect(initStatus(running, 'shipper')).toMatchObject({ started: true, ready: true, restartCount: 0, state: { running: {} } });
    expect(initStatus(running, 'after')).toMatchObject({ ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(condition(running, 'Initialized')?.status).toBe('True');

    const done = await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    expect(done.status).toMatchObject({ succeeded: 2, active: 0 });
    expect(done.status?.failed ?? 0).toBe(0);
    const pods = await fleet.client.listPods({ jobName: name });
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.status.phase).toBe('Succeeded');
      // Stopped by SIGTERM once the app container was done: its trap ran and it exited 0.
      expect(initStatus(pod, 'shipper')).toMatchObject({ ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
      expect(condition(pod, 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
      const shipped = await fleet.client.logs(pod.metadata.name ?? '', { container: 'shipper' });
      expect(shipped).toMatch(/^shipped 1\n(shipped \d+\n)+shipper stopped\n$/);
      expect(await fleet.client.logs(pod.metadata.name ?? '', { container: 'after' })).toBe('sidecar is up\n');
      expect(await fleet.client.logs(pod.metadata.name ?? '')).toBe('working\ndone\n');
    }
  });

  it('restarts a sidecar that exits (its previous run logged apart), and kills one that ignores SIGTERM after the grace period: the pod still Succeeded', async () => {
    const name = uniqueName('flaky');
    // First run: exits 7. Second run: leaves a mark and sleeps as PID 1, which ignores SIGTERM.
    const flaky = shell('flaky', 'n=$(cat /shared/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /shared/n; echo run $n; if [ $n -eq 1 ]; then exit 7; fi; touch /shared/second; exec sleep 3600', { restartPolicy: 'Always', ...shared });
    const main = shell('main', 'for i in $(seq 200); do [ -f /shared/second ] && echo saw the restart && exit 0; sleep 0.1; done; exit 1', shared);
    await fleet.client.createJob(job(name, { volumes, initContainers: [flaky], containers: [main], terminationGracePeriodSeconds: 1 }));
    const done = await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    expect(done.status).toMatchObject({ succeeded: 1, active: 0 });
    const [pod] = await fleet.client.listPods({ jobName: name });
    expect(pod?.status.phase).toBe('Succeeded');
    const status = pod && initStatus(pod, 'flaky');
    expect(status).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 7, reason: 'Error' } } });
    // SIGKILL after the 1 s grace period: 137.
    expect(status?.state.terminated?.exitCode).toBe(137);
    const podName = pod?.metadata.name ?? '';
    expect(await fleet.client.logs(podName, { container: 'flaky' })).toBe('run 2\n');
    expect(await podLog(fleet.api.url, podName, 'container=flaky&previous=true')).toStrictEqual({ status: 200, body: 'run 1\n' });
    expect(await fleet.client.logs(podName)).toBe('saw the restart\n');
  });

  it('a failed app container fails the pod and the Job whatever the sidecar does', async () => {
    const name = uniqueName('sidefail');
    const sleeper = shell('sleeper', 'exec sleep 3600', { restartPolicy: 'Always' });
    await fleet.client.createJob(job(name, { initContainers: [sleeper], containers: [shell('main', 'exit 3')], terminationGracePeriodSeconds: 1 }));
    const failed = await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(JobFailedError);
    expect((failed as JobFailedError).reason).toBe('BackoffLimitExceeded');
    const [pod] = await fleet.client.listPods({ jobName: name });
    expect(pod?.status.phase).toBe('Failed');
    expect(pod?.status.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(3);
    expect(pod && initStatus(pod, 'sleeper')?.state.terminated).toBeDefined();
  });

  it('validates restartPolicy on containers as Kubernetes: Always on an init container only', async () => {
    const refused = (podSpec: Record<string, unknown>) => fleet.client.createJob(job(uniqueName('bad'), podSpec)).then(() => undefined, (err: unknown) => err);
    const onMain = await refused({ containers: [shell('main', 'true', { restartPolicy: 'Always' })] });
    expect(onMain).toBeInstanceOf(InvalidError);
    expect((onMain as InvalidError).details?.causes).toStrictEqual([
      { reason: 'FieldValueForbidden', message: 'Forbidden: may not be set for non-init containers', field: 'spec.template.spec.containers[0].restartPolicy' },
    ]);
    const never = await refused({ initContainers: [shell('init', 'true', { restartPolicy: 'Never' })], containers: [shell('main', 'true')] });
    expect((never as InvalidError).details?.causes).toStrictEqual([
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Never": supported values: "Always"', field: 'spec.template.spec.initContainers[0].restartPolicy' },
    ]);
  });
});
