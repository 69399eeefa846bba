/**
 * The kubelet's (and the scheduler's) pod events against a real API, worker, Redis and Docker, and
 * `kubectl describe pod` reading like Kubernetes: Scheduled, Pulled, Created, Started, BackOff (one
 * event with a count, as the event correlator makes it), Killing; an Image ID; the node's rate.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { useFleetWithKubectl, type Kubectl } from '../kubectl-runner.js';
import { job, shell, waitFor, waitForPod } from './helpers.js';

interface Event {
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string; host?: string };
  involvedObject: { kind: string; name: string; uid?: string; fieldPath?: string };
  firstTimestamp: string;
  lastTimestamp: string;
}

let fleet: Fleet;
let k: Kubectl;

useFleetWithKubectl({ workers: 1, maxPods: 10 }, (started, kubectl) => ([fleet, k] = [started, kubectl]));

async function podEvents(podName: string): Promise<Event[]> {
  const events = (await fleet.client.listEvents()) as unknown as Event[];
  return events.filter((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name === podName);
}

const busyboxId = () => execFileSync('docker', ['image', 'inspect', 'busybox:latest', '--format', '{{.Id}}'], { encoding: 'utf8' }).trim();

describe.concurrent('pod events', () => {
  it('kubectl describe pod shows the Image ID and the events Scheduled, Pulled, Created, Started from the scheduler and the node', async () => {
    const name = uniqueName('ev');
    await fleet.client.createJob(job(name, { containers: [shell('main', 'echo hi')] }));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const [pod] = await fleet.client.listPods({ jobName: name });
    const podName = pod?.metadata.name ?? '';
    const node = fleet.workers[0]?.nodeName ?? '';

    const events = await podEvents(podName);
    expect(events.map((e) => [e.reason, e.source.component, e.involvedObject.fieldPath ?? ''])).toStrictEqual([
      ['Scheduled', 'default-scheduler', ''],
      ['Pulled', 'kubelet', 'spec.containers{main}'],
      ['Created', 'kubelet', 'spec.containers{main}'],
      ['Started', 'kubelet', 'spec.containers{main}'],
    ]);
    expect(events.map((e) => e.message)).toStrictEqual([
      `Successfully assigned default/${podName} to ${node}`,
      'Container image "busybox" already present on machine',
      'Created container: main',
      'Started container main',
    ]);
    for (const e of events.slice(1)) expect(e).toMatchObject({ type: 'Normal', count: 1, source: { host: node }, involvedObject: { uid: pod?.metadata.uid } });

    const described = await k.run(['describe', 'pod', podName]);
    expect(described.code).toBe(0);
    const out = described.stdout;
    expect(out).toMatch(new RegExp(`Image ID:\\s+docker://${busyboxId()}\\n`));
    expect(out).toMatch(/Container ID:\s+docker:\/\/[0-9a-f]{64}\n/);
    expect(out).toMatch(/QoS Class:\s+BestEffort\n/);
    const table = out.slice(out.indexOf('Events:'));
    const rows = table.split('\n').slice(3).filter((l) => l.trim()).map((l) => l.trim().split(/\s{2,}/));
    expect(rows.map((r) => [r[0], r[1], r[3]])).toStrictEqual([
      ['Normal', 'Scheduled', 'default-scheduler'],
      ['Normal', 'Pulled', 'kubelet'],
      ['Normal', 'Created', 'kubelet'],
      ['Normal', 'Started', 'kubelet'],
    ]);
    expect(rows[1]?.[4]).toBe('Container image "busybox" already present on machine');
    expect(out).not.toContain('Events:          <none>');
    expect(out).toMatch(/Conditions:\n\s+Type\s+Status\n\s+PodReadyToStartContainers\s+False\s*\n\s+Initialized\s+True\s*\n\s+Ready\s+False\s*\n\s+ContainersReady\s+False\s*\n\s+PodScheduled\s+True/);
  });

  it('a crash-looping container: one BackOff event with its count (x2), Pulled, Created and Started counted per run', async () => {
    const name = uniqueName('loop');
    const script = 'n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; [ $n -gt 2 ]';
    const spec = { restartPolicy: 'OnFailure', volumes: [{ name: 'state', emptyDir: {} }], containers: [shell('main', script, { volumeMounts: [{ name: 'state', mountPath: '/state' }] })] };
    await fleet.client.createJob(job(name, spec, { backoffLimit: 5 }));
    await fleet.client.waitForCompletion(name, { timeoutMs: 90_000 });
    const [pod] = await fleet.client.listPods({ jobName: name });
    const podName = pod?.metadata.name ?? '';
    const events = await podEvents(podName);
    const counts = Object.fromEntries(events.map((e) => [e.reason, e.count]));
    expect(counts).toStrictEqual({ Scheduled: 1, Pulled: 3, Created: 3, Started: 3, BackOff: 2 });
    const backOff = events.find((e) => e.reason === 'BackOff');
    expect(backOff).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container main in pod ${podName}_default(${pod?.metadata.uid})` });
    expect(Date.parse(backOff?.lastTimestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(backOff?.firstTimestamp ?? ''));
    const out = (await k.run(['describe', 'pod', podName])).stdout;
    expect(out).toMatch(/Warning\s+BackOff\s+\S+ \(x2 over \S+\)\s+kubelet/);
    expect(out).toMatch(/Normal\s+Started\s+\S+ \(x3 over \S+\)\s+kubelet/);
  });

  it('Killing when the pod is stopped (its Job suspended), recorded while the pod is being deleted', async () => {
    const name = uniqueName('kill');
    await fleet.client.createJob(job(name, { containers: [shell('main', 'exec sleep 60')], terminationGracePeriodSeconds: 1 }));
    const running = await waitForPod(fleet.client, name, 'a running container', (p) => p.status.containerStatuses?.[0]?.state.running !== undefined);
    await fleet.client.patchJob(name, { spec: { suspend: true } });
    const podName = running.metadata.name ?? '';
    const killing = await waitFor('the Killing event', async () => {
      const events = ((await fleet.client.listEvents()) as unknown as Event[]).filter((e) => e.reason === 'Killing' && e.involvedObject.name === podName);
      return events.length > 0 ? events : undefined;
    });
    expect(killing.map((e) => [e.type, e.message, e.involvedObject.fieldPath, e.source.component])).toStrictEqual([['Normal', 'Stopping container main', 'spec.containers{main}', 'kubelet']]);
  });

  it('a node records events within its rate (--event-qps/--event-burst): a burst, then nothing more', async () => {
    const limited = await startFleet({ workers: 0 });
    try {
      await limited.addWorker({ eventQps: 0.001, eventBurst: 3 });
      const name = uniqueName('rate');
      await limited.client.createJob(job(name, { containers: [shell('main', 'true')] }, { completions: 3, parallelism: 3 }));
      await limited.client.waitForCompletion(name, { timeoutMs: 90_000 });
      const events = ((await limited.client.listEvents()) as unknown as Event[]).filter((e) => e.involvedObject.kind === 'Pod');
      // 3 pods would have 3 Scheduled and 9 kubelet events; each recorder keeps to its burst of 3.
      expect(events.filter((e) => e.source.component === 'kubelet').length).toBe(3);
      expect(events.filter((e) => e.source.component === 'default-scheduler').length).toBe(3);
    } finally {
      await limited.close();
    }
  });
});
