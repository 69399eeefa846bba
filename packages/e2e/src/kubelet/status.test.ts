/**
 * Pods as complete objects, against a real API, worker, Redis and Docker: every container status
 * has what the Kubernetes schema requires (imageID, state, lastState, …) at every stage; hostIP is
 * the node's address (--node-ip), podIP the pod's address on Docker's network, qosClass and the
 * kubelet's five conditions as Kubernetes reports them; the Node has the address as InternalIP.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { job, shell, waitFor, waitForPod } from './helpers.js';

const NODE_IP = '10.20.30.40';
let fleet: Fleet;

beforeAll(async () => {
  // No worker at first: pods stay Pending, unclaimed, as the Job controller made them.
  fleet = await startFleet({ workers: 0 });
});
afterAll(async () => fleet?.close());

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const busyboxId = () => docker('image', 'inspect', 'busybox:latest', '--format', '{{.Id}}');
const containerIP = (name: string) => docker('inspect', name, '--format', '{{.NetworkSettings.IPAddress}}');

/** The fields the Kubernetes OpenAPI schema requires of a container status, with their types (the Python client checks them). */
function expectSchemaFields(s: ContainerStatus): void {
  expect(typeof s.name).toBe('string');
  expect(typeof s.image).toBe('string');
  expect(typeof s.imageID).toBe('string');
  expect(typeof s.ready).toBe('boolean');
  expect(typeof s.restartCount).toBe('number');
  expect(s.state).toBeTypeOf('object');
  expect(s.lastState).toBeTypeOf('object');
}

const allStatuses = (pod: Pod) => [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];

describe('pod status as the kubelet reports it', () => {
  it('has every required container field at every stage, the node and pod addresses, the QoS class and the kubelet\'s conditions', async () => {
    const single = uniqueName('one');
    const pair = uniqueName('two');
    const limits = { resources: { limits: { cpu: '100m', memory: '64Mi' } } };
    await fleet.client.createJob(job(single, { containers: [shell('main', 'sleep 4', limits)] }));
    await fleet.client.createJob(job(pair, { initContainers: [shell('init', 'true')], containers: [shell('a', 'sleep 4'), shell('b', 'sleep 4')] }));

    // Pending, on no node yet: already complete.
    const pending = await waitForPod(fleet.client, single, 'a pending pod', () => true);
    expect(pending.status.phase).toBe('Pending');
    for (const s of allStatuses(pending)) expectSchemaFields(s);
    expect(pending.status.qosClass).toBe('Guaranteed');

    await fleet.addWorker({ nodeIP: NODE_IP });
    const node = fleet.workers[0]?.nodeName ?? '';

    // Running: the container's own address (a pod of one container), the infra container's (several).
    const running = await waitForPod(fleet.client, single, 'a running pod', (p) => p.status.containerStatuses?.[0]?.state.running !== undefined);
    const podName = running.metadata.name ?? '';
    expect(running.status).toMatchObject({ hostIP: NODE_IP, hostIPs: [{ ip: NODE_IP }], qosClass: 'Guaranteed', phase: 'Running' });
    expect(running.status.podIP).toBe(containerIP(`jf_default_${podName}_main`));
    expect(running.status.podIPs).toStrictEqual([{ ip: running.status.podIP }]);
    expect(running.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const main = running.status.containerStatuses?.[0];
    expect(main).toMatchObject({ imageID: `docker://${busyboxId()}`, started: true, ready: true, lastState: {} });
    expect(main?.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    expect(running.status.conditions?.map((c) => `${c.type}=${c.status}`)).toStrictEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);

    const both = await waitForPod(fleet.client, pair, 'both containers running', (p) => (p.status.containerStatuses ?? []).every((s) => s.state.running !== undefined));
    expect(both.status.podIP).toBe(containerIP(`jf_default_${both.metadata.name ?? ''}_POD`));
    expect(both.status.qosClass).toBe('BestEffort');
    expect(both.status.initContainerStatuses?.[0]).toMatchObject({ ready: true, imageID: `docker://${busyboxId()}`, state: { terminated: { exitCode: 0, reason: 'Completed' } } });

    // Finished: the addresses stay, every status is still complete.
    await fleet.client.waitForCompletion(single, { timeoutMs: 90_000 });
    await fleet.client.waitForCompletion(pair, { timeoutMs: 90_000 });
    for (const name of [single, pair]) {
      const [done] = await fleet.client.listPods({ jobName: name });
      expect(done?.status).toMatchObject({ phase: 'Succeeded', hostIP: NODE_IP, podIP: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) as string });
      for (const s of done ? allStatuses(done) : []) expectSchemaFields(s);
      expect(done?.status.conditions?.map((c) => `${c.type}=${c.status}${c.reason ? `/${c.reason}` : ''}`)).toStrictEqual([
        'PodReadyToStartContainers=False',
        'Initialized=True/PodCompleted',
        'Ready=False/PodCompleted',
        'ContainersReady=False/PodCompleted',
        'PodScheduled=True',
      ]);
    }

    // The Node carries the address as its InternalIP.
    const nodeObject = await waitFor('the node', async () => {
      const res = await fetch(`${fleet.api.url}/api/v1/nodes/${node}`);
      return res.ok ? ((await res.json()) as { status: { addresses: { type: string; address: string }[] } }) : undefined;
    });
    expect(nodeObject.status.addresses).toStrictEqual([
      { type: 'InternalIP', address: NODE_IP },
      { type: 'Hostname', address: node },
    ]);
  });

  it('refuses a --node-ip that is not an address', async () => {
    await expect(fleet.addWorker({ nodeIP: 'not-an-ip', nodeName: `${fleet.prefix}-bad` })).rejects.toThrow('the node IP must be an IPv4 or IPv6 address (--node-ip, JOBFLEET_NODE_IP), got "not-an-ip"');
  });
});
