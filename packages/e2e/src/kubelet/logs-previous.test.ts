/**
 * `logs --previous` as the kubelet serves it, against a real API, worker, Redis and Docker: each run
 * of a container restarted in place has its own log; the current one is served by default, the one
 * before with `previous=true`, and without a previous run the answer is Kubernetes' 400.
 */
import { describe, expect, it } from 'vitest';
import { runJobfleet, type CliResult } from '../cli-runner.js';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { useFleetWithKubectl, type Kubectl } from '../kubectl-runner.js';
import { job, podLog, shell, waitForPod } from './helpers.js';

let fleet: Fleet;
let k: Kubectl;

useFleetWithKubectl({ workers: 1, maxPods: 10 }, (started, kubectl) => ([fleet, k] = [started, kubectl]));

/** `jobfleet run -f -` against the fleet, the manifest on stdin. */
function jobfleetRun(manifest: string): Promise<CliResult> {
  return runJobfleet(['run', '-f', '-', '--server', fleet.api.url], { input: manifest });
}

/** A container that fails `failures` times (printing its run number), then succeeds; `sleep` seconds per run. */
function flaky(failures: number, sleep = 0): Record<string, unknown> {
  const script = `n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo run $n; sleep ${sleep}; [ $n -gt ${failures} ]`;
  return { volumes: [{ name: 'state', emptyDir: {} }], containers: [shell('main', script, { volumeMounts: [{ name: 'state', mountPath: '/state' }] })], restartPolicy: 'OnFailure' };
}

describe.concurrent('logs --previous', () => {
  it('serves the current run by default and the one before with previous, through the API and kubectl, also once the pod ended', async () => {
    const name = uniqueName('prev');
    await fleet.client.createJob(job(name, flaky(1), { backoffLimit: 3 }));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const [pod] = await fleet.client.listPods({ jobName: name });
    const podName = pod?.metadata.name ?? '';
    expect(pod?.status.containerStatuses?.[0]).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 1 } } });
    expect(await fleet.client.logs(podName)).toBe('run 2\n');
    expect(await podLog(fleet.api.url, podName, 'previous=true')).toStrictEqual({ status: 200, body: 'run 1\n' });
    expect(await podLog(fleet.api.url, podName, 'previous=true&timestamps=true')).toMatchObject({ status: 200, body: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z run 1\n$/) as string });
    expect((await k.run(['logs', podName])).stdout).toBe('run 2\n');
    expect((await k.run(['logs', '--previous', podName])).stdout).toBe('run 1\n');
  });

  it('keeps one previous run: after three runs, the last two', async () => {
    const name = uniqueName('three');
    await fleet.client.createJob(job(name, flaky(2), { backoffLimit: 5 }));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const [pod] = await fleet.client.listPods({ jobName: name });
    const podName = pod?.metadata.name ?? '';
    expect(pod?.status.containerStatuses?.[0]?.restartCount).toBe(2);
    expect(await fleet.client.logs(podName)).toBe('run 3\n');
    expect((await podLog(fleet.api.url, podName, 'previous=1')).body).toBe('run 2\n');
  });

  it('answers 400 as Kubernetes when the container has no previous run', async () => {
    const name = uniqueName('noprev');
    await fleet.client.createJob(job(name, { containers: [shell('main', 'echo only')] }));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const [pod] = await fleet.client.listPods({ jobName: name });
    const podName = pod?.metadata.name ?? '';
    const message = `previous terminated container "main" in pod "${podName}" not found`;
    const answer = await podLog(fleet.api.url, podName, 'previous=true');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message });
    const viaKubectl = await k.run(['logs', '-p', podName]);
    expect(viaKubectl.code).not.toBe(0);
    expect(viaKubectl.stderr.trim()).toBe(`Error from server (BadRequest): ${message}`);
    expect(await fleet.client.logs(podName)).toBe('only\n');
  });

  it('answers 400 "waiting to start" as the kubelet for a container that never ran', async () => {
    const name = uniqueName('waiting');
    // A Pending pod no node runs: a fleet without workers never starts its container.
    const idle = await startFleet({ workers: 0, janitor: false });
    try {
      await idle.client.createJob(job(name, { containers: [shell('main', 'echo never')] }));
      const [pod] = await idle.client.listPods({ jobName: name });
      const podName = pod?.metadata.name ?? '';
      const answer = await podLog(idle.api.url, podName, '');
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 400, reason: 'BadRequest', message: `container "main" in pod "${podName}" is waiting to start: ContainerCreating` });
    } finally {
      await idle.close();
    }
  });

  it('follows one run: a follow ends when its run ends, as the kubelet\'s does, not with the pod; jobfleet run still prints every run', async () => {
    const name = uniqueName('follow');
    // `jobfleet run` creates the Job and follows it: once per run of the container.
    const run = jobfleetRun(JSON.stringify(job(name, flaky(1, 3), { backoffLimit: 3 })));
    const running = await waitForPod(fleet.client, name, 'the first run', (p) => p.status.containerStatuses?.[0]?.state.running !== undefined);
    const followed = await podLog(fleet.api.url, running.metadata.name ?? '', 'follow=true');
    expect(followed).toStrictEqual({ status: 200, body: 'run 1\n' });
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('run 1\nrun 2\n');
  });
});
