import { describe, expect, it } from 'vitest';
import { nodeFromHeartbeat, type CoreEvent, type Node } from './cluster-objects.js';
import { eventRow, humanDuration, jobCompletions, jobRow, jobStatus, nodeRoles, nodeRow, nodeStatus, podRow, podStatus } from './printers.js';
import type { ContainerState, Job, JobCondition, Pod, PodPhase } from './types.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z');

function newJob(spec: Partial<Job['spec']> = {}, status: Job['status'] = {}, metadata: Partial<Job['metadata']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', creationTimestamp: ago(90), ...metadata },
    spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } }, ...spec },
    status,
  };
}
const cond = (type: JobCondition['type'], status: JobCondition['status'] = 'True'): JobCondition => ({ type, status });

function newPod(phase: PodPhase, state: ContainerState, extra: { ready?: boolean; restarts?: number; deleting?: boolean; reason?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pi-abcde', creationTimestamp: ago(30), ...(extra.deleting ? { deletionTimestamp: ago(1) } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox' }], nodeName: 'node-1' },
    status: {
      phase,
      ...(extra.reason ? { reason: extra.reason } : {}),
      containerStatuses: [{ name: 'main', image: 'busybox', ready: extra.ready ?? false, restartCount: extra.restarts ?? 0, state }],
    },
  };
}

describe('humanDuration (kubectl)', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [59_000, '59s'],
    [119_000, '119s'],
    [123_000, '2m3s'],
    [600_000, '10m'],
    [4200_000, '70m'],
    [3 * 3600_000 + 60_000, '3h1m'],
    [47 * 3600_000, '47h'],
    [49 * 3600_000, '2d1h'],
    [367 * 86400_000, '367d'],
    [(2 * 365 + 1) * 86400_000, '2y1d'],
    [8 * 365 * 86400_000, '8y'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('Job columns', () => {
  it.each<{ name: string; job: Job; status: string; completions: string }>([
    { name: 'running', job: newJob({ completions: 3 }, { succeeded: 1 }), status: 'Running', completions: '1/3' },
    { name: 'complete', job: newJob({ completions: 1 }, { succeeded: 1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }), status: 'Complete', completions: '1/1' },
    { name: 'failed', job: newJob({ completions: 1 }, { conditions: [cond('FailureTarget'), cond('Failed')] }), status: 'Failed', completions: '0/1' },
    { name: 'terminating', job: newJob({ completions: 1 }, {}, { deletionTimestamp: ago(1) }), status: 'Terminating', completions: '0/1' },
    { name: 'suspended', job: newJob({ completions: 2 }, { conditions: [cond('Suspended')] }), status: 'Suspended', completions: '0/2' },
    { name: 'resumed (Suspended=False)', job: newJob({ completions: 2 }, { conditions: [cond('Suspended', 'False')] }), status: 'Running', completions: '0/2' },
    { name: 'failure target', job: newJob({ completions: 1 }, { conditions: [cond('FailureTarget')] }), status: 'FailureTarget', completions: '0/1' },
    { name: 'work queue', job: newJob({ parallelism: 1 }, { succeeded: 0 }), status: 'Running', completions: '0/1' },
    { name: 'work queue of 3', job: newJob({ parallelism: 3 }, { succeeded: 2 }), status: 'Running', completions: '2/1 of 3' },
  ])('$name: $status $completions', ({ job, status, completions }) => {
    expect(jobStatus(job)).toBe(status);
    expect(jobCompletions(job)).toBe(completions);
  });

  it('prints duration from start to completion and age, wide adds containers, images, selector', () => {
    const job = newJob(
      { completions: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
      { succeeded: 1, startTime: ago(80), completionTime: ago(75), conditions: [cond('Complete')] },
    );
    expect(jobRow(job, NOW)).toEqual(['pi', 'Complete', '1/1', '5s', '90s']);
    expect(jobRow(job, NOW, true).slice(5)).toEqual(['main', 'busybox', 'batch.kubernetes.io/controller-uid=u1']);
    expect(jobRow(newJob(), NOW)[3]).toBe('');
  });
});

describe('Pod columns', () => {
  it.each<{ name: string; pod: Pod; want: string }>([
    { name: 'pending', pod: newPod('Pending', { waiting: { reason: 'ContainerCreating' } }), want: 'ContainerCreating' },
    { name: 'running', pod: newPod('Running', { running: { startedAt: ago(5) } }, { ready: true }), want: 'Running' },
    { name: 'completed', pod: newPod('Succeeded', { terminated: { exitCode: 0, reason: 'Completed' } }), want: 'Completed' },
    { name: 'error', pod: newPod('Failed', { terminated: { exitCode: 1, reason: 'Error' } }), want: 'Error' },
    { name: 'exit code without reason', pod: newPod('Failed', { terminated: { exitCode: 3 } }), want: 'ExitCode:3' },
    { name: 'oom', pod: newPod('Failed', { terminated: { exitCode: 137, reason: 'OOMKilled' } }), want: 'OOMKilled' },
    { name: 'crash loop', pod: newPod('Running', { waiting: { reason: 'CrashLoopBackOff' } }, { restarts: 2 }), want: 'CrashLoopBackOff' },
    { name: 'image never pulled', pod: newPod('Failed', { waiting: { reason: 'ErrImageNeverPull' } }, { reason: 'ErrImageNeverPull' }), want: 'ErrImageNeverPull' },
    { name: 'terminating', pod: newPod('Running', { running: {} }, { ready: true, deleting: true }), want: 'Terminating' },
    { name: 'finished while deleted stays finished', pod: newPod('Succeeded', { terminated: { exitCode: 0, reason: 'Completed' } }, { deleting: true }), want: 'Completed' },
    { name: 'node lost', pod: newPod('Running', { running: {} }, { deleting: true, reason: 'NodeLost' }), want: 'Unknown' },
  ])('$name → $want', ({ pod, want }) => {
    expect(podStatus(pod)).toBe(want);
  });

  it('prints READY, RESTARTS with the last restart, AGE, and the wide columns', () => {
    const pod = newPod('Running', { running: {} }, { ready: true, restarts: 2 });
    const status = pod.status.containerStatuses?.[0];
    if (status) status.lastState = { terminated: { exitCode: 1, finishedAt: ago(65) } };
    expect(podRow(pod, NOW, true)).toEqual(['pi-abcde', '1/1', 'Running', '2 (65s ago)', '30s', '<none>', 'node-1', '<none>', '<none>']);
  });
});

describe('Event, Node columns', () => {
  const event: CoreEvent = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'pi.1' },
    involvedObject: { kind: 'Job', name: 'pi', namespace: 'default' },
    reason: 'Completed',
    message: 'Job completed ',
    source: { component: 'job-controller' },
    firstTimestamp: ago(20),
    lastTimestamp: ago(10),
    count: 1,
    type: 'Normal',
  };

  it('prints an event like kubectl get events (and -o wide)', () => {
    expect(eventRow(event, NOW)).toEqual(['10s', 'Normal', 'Completed', 'job/pi', 'Job completed']);
    expect(eventRow(event, NOW, true)).toEqual(['10s', 'Normal', 'Completed', 'job/pi', '', 'job-controller', 'Job completed', '20s', 1, 'pi.1']);
  });

  it.each<{ name: string; heartbeatAgo: number; docker: boolean; status: string; condition: string }>([
    { name: 'fresh heartbeat', heartbeatAgo: 1, docker: true, status: 'Ready', condition: 'True' },
    { name: 'docker down', heartbeatAgo: 1, docker: false, status: 'NotReady', condition: 'False' },
    { name: 'stale heartbeat', heartbeatAgo: 41, docker: true, status: 'NotReady', condition: 'Unknown' },
  ])('node with $name is $status', ({ heartbeatAgo, docker, status, condition }) => {
    const node = nodeFromHeartbeat(
      { name: 'w1', capacity: { pods: 20 }, running: 2, heartbeat: NOW.getTime() - heartbeatAgo * 1000, docker, startedAt: NOW.getTime() - 3600_000 },
      NOW.getTime(),
      40_000,
    );
    expect(node.status.conditions[0]?.status).toBe(condition);
    expect(nodeStatus(node)).toBe(status);
    expect(nodeRow(node, NOW)).toEqual(['w1', status, '<none>', '60m', 'jobfleet']);
    expect(node.status.capacity).toEqual({ pods: '20' });
  });

  it('reads roles from labels and marks cordoned nodes', () => {
    const node = nodeFromHeartbeat({ name: 'w1', capacity: { pods: 1 }, heartbeat: NOW.getTime(), docker: true }, NOW.getTime(), 40_000);
    const labelled: Node = { ...node, spec: { unschedulable: true }, metadata: { ...node.metadata, labels: { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'gpu' } } };
    expect(nodeRoles(labelled)).toBe('gpu,worker');
    expect(nodeStatus(labelled)).toBe('Ready,SchedulingDisabled');
    expect(nodeRow(node, NOW)[3]).toBe('<unknown>');
  });
});
