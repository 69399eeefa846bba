import type { ContainerStatus, Job, JobCondition, Pod } from '@jobfleet/spec';
import { describe, expect, it } from 'vitest';
import {
  formatLabelSelector,
  humanDuration,
  jobCompletions,
  jobDuration,
  jobRow,
  jobStatus,
  podReady,
  podRestarts,
  podRow,
  podStatus,
  timestampSince,
} from './printers.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

const NOW = new Date('2025-06-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

// ---------------------------------------------------------------- builders

function newJob(overrides: { spec?: Partial<Job['spec']>; status?: Job['status']; deleting?: boolean; conditions?: JobCondition[] } = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', creationTimestamp: ago(5 * M), ...(overrides.deleting ? { deletionTimestamp: ago(S) } : {}) },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }] } }, ...overrides.spec },
    status: { ...overrides.status, ...(overrides.conditions ? { conditions: overrides.conditions } : {}) },
  };
}

const cond = (type: JobCondition['type'], status: JobCondition['status'] = 'True'): JobCondition => ({ type, status });

function container(state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name: 'main', image: 'busybox', ready: false, restartCount: 0, state, ...extra };
}

function newPod(phase: Pod['status']['phase'], statuses: ContainerStatus[] = [], extra: { spec?: Partial<Pod['spec']>; status?: Partial<Pod['status']>; deleting?: boolean } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pi-abcde', creationTimestamp: ago(2 * M), ...(extra.deleting ? { deletionTimestamp: ago(S) } : {}) },
    spec: { containers: statuses.length > 1 ? statuses.map((s) => ({ name: s.name, image: 'busybox' })) : [{ name: 'main', image: 'busybox' }], ...extra.spec },
    status: { phase, containerStatuses: statuses, ...extra.status },
  };
}

// ---------------------------------------------------------------- human durations

describe('humanDuration (apimachinery HumanDuration)', () => {
  it.each([
    { d: -2 * S, want: '<invalid>' },
    { d: -2 * S + 1, want: '0s' },
    { d: 0, want: '0s' },
    { d: S - 1, want: '0s' },
    { d: S, want: '1s' },
    { d: 5 * S, want: '5s' },
    { d: 70 * S, want: '70s' },
    { d: 2 * M - 1, want: '119s' },
    { d: 2 * M, want: '2m' },
    { d: 2 * M + S, want: '2m1s' },
    { d: 2 * M + 3 * S, want: '2m3s' },
    { d: 190 * S, want: '3m10s' },
    { d: 10 * M - 1, want: '9m59s' },
    { d: 10 * M, want: '10m' },
    { d: 10 * M + S, want: '10m' },
    { d: 70 * M, want: '70m' },
    { d: 3 * H - 1, want: '179m' },
    { d: 3 * H, want: '3h' },
    { d: 3 * H + M, want: '3h1m' },
    { d: 8 * H - 1, want: '7h59m' },
    { d: 8 * H, want: '8h' },
    { d: 8 * H + 59 * M, want: '8h' },
    { d: 47 * H, want: '47h' },
    { d: 2 * D - 1, want: '47h' },
    { d: 2 * D, want: '2d' },
    { d: 49 * H, want: '2d1h' },
    { d: 4 * D, want: '4d' },
    { d: 8 * D - 1, want: '7d23h' },
    { d: 8 * D, want: '8d' },
    { d: 8 * D + 23 * H, want: '8d' },
    { d: 367 * D, want: '367d' },
    { d: 2 * Y - 1, want: '729d' },
    { d: 2 * Y, want: '2y' },
    { d: 2 * Y + 25 * H, want: '2y1d' },
    { d: 8 * Y - 1, want: '7y364d' },
    { d: 8 * Y, want: '8y' },
    { d: 9 * Y, want: '9y' },
  ])('$d ms → $want', ({ d, want }) => {
    expect(humanDuration(d)).toBe(want);
  });

  it('AGE is "<unknown>" without a timestamp', () => {
    expect(timestampSince(undefined, NOW)).toBe('<unknown>');
    expect(timestampSince(ago(3 * H), NOW)).toBe('3h');
  });
});

// ---------------------------------------------------------------- Job columns

describe('jobStatus (first that applies: Complete, Failed, Terminating, Suspended, FailureTarget, Running)', () => {
  it.each([
    { name: 'no conditions', job: newJob(), want: 'Running' },
    { name: 'Complete', job: newJob({ conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }), want: 'Complete' },
    { name: 'Failed', job: newJob({ conditions: [cond('FailureTarget'), cond('Failed')] }), want: 'Failed' },
    { name: 'Complete wins over Terminating', job: newJob({ deleting: true, conditions: [cond('Complete')] }), want: 'Complete' },
    { name: 'Failed wins over Terminating', job: newJob({ deleting: true, conditions: [cond('Failed')] }), want: 'Failed' },
    { name: 'Terminating', job: newJob({ deleting: true }), want: 'Terminating' },
    { name: 'Terminating wins over Suspended', job: newJob({ deleting: true, conditions: [cond('Suspended')] }), want: 'Terminating' },
    { name: 'Suspended', job: newJob({ conditions: [cond('Suspended')] }), want: 'Suspended' },
    { name: 'resumed (Suspended=False)', job: newJob({ conditions: [cond('Suspended', 'False')] }), want: 'Running' },
    { name: 'Suspended wins over FailureTarget', job: newJob({ conditions: [cond('FailureTarget'), cond('Suspended')] }), want: 'Suspended' },
    { name: 'FailureTarget', job: newJob({ conditions: [cond('FailureTarget')] }), want: 'FailureTarget' },
    { name: 'SuccessCriteriaMet alone is still Running', job: newJob({ conditions: [cond('SuccessCriteriaMet')] }), want: 'Running' },
    { name: 'the first condition of a type decides', job: newJob({ conditions: [cond('Complete', 'False'), cond('Complete')] }), want: 'Running' },
  ])('$name → $want', ({ job, want }) => {
    expect(jobStatus(job)).toBe(want);
  });
});

describe('jobCompletions', () => {
  it.each([
    { name: 'completions set', spec: { completions: 5 }, succeeded: 3, want: '3/5' },
    { name: 'completions 1', spec: { completions: 1, parallelism: 1 }, succeeded: 0, want: '0/1' },
    { name: 'completions set, parallelism > 1', spec: { completions: 5, parallelism: 3 }, succeeded: 2, want: '2/5' },
    { name: 'work queue (completions null)', spec: { completions: null, parallelism: 1 }, succeeded: 0, want: '0/1' },
    { name: 'work queue, parallelism unset', spec: {}, succeeded: 1, want: '1/1' },
    { name: 'work queue, parallelism 3', spec: { completions: null, parallelism: 3 }, succeeded: 1, want: '1/1 of 3' },
    { name: 'no status yet', spec: { completions: 2 }, succeeded: undefined, want: '0/2' },
  ])('$name → $want', ({ spec, succeeded, want }) => {
    expect(jobCompletions(newJob({ spec, status: succeeded === undefined ? {} : { succeeded } }))).toBe(want);
  });
});

describe('jobDuration', () => {
  it.each([
    { name: 'not started', status: {}, want: '' },
    { name: 'running: start to now', status: { startTime: ago(3 * M) }, want: '3m' },
    { name: 'finished: start to completion', status: { startTime: ago(10 * M), completionTime: ago(10 * M - 3 * S) }, want: '3s' },
    { name: 'failed (no completionTime): start to now', status: { startTime: ago(90 * S) }, want: '90s' },
  ])('$name → "$want"', ({ status, want }) => {
    expect(jobDuration(newJob({ status }), NOW)).toBe(want);
  });
});

describe('jobRow', () => {
  const job = newJob({
    spec: { completions: 5, parallelism: 2, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
    status: { succeeded: 5, startTime: ago(4 * M), completionTime: ago(4 * M - 12 * S) },
    conditions: [cond('Complete')],
  });

  it('NAME STATUS COMPLETIONS DURATION AGE', () => {
    expect(jobRow(job, NOW)).toEqual(['pi', 'Complete', '5/5', '12s', '5m']);
  });

  it('wide adds CONTAINERS IMAGES SELECTOR', () => {
    expect(jobRow(job, NOW, true)).toEqual(['pi', 'Complete', '5/5', '12s', '5m', 'pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=u1']);
  });
});

describe('formatLabelSelector', () => {
  it.each([
    { name: 'nil', selector: undefined, want: '<none>' },
    { name: 'empty', selector: {}, want: '<none>' },
    { name: 'labels sorted by key', selector: { matchLabels: { b: '2', a: '1' } }, want: 'a=1,b=2' },
    {
      name: 'expressions',
      selector: {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'dev'] },
          { key: 'tier', operator: 'NotIn', values: ['db'] },
          { key: 'gpu', operator: 'Exists' },
          { key: 'spot', operator: 'DoesNotExist' },
        ],
      },
      want: 'env in (dev,prod),gpu,!spot,tier notin (db)',
    },
    { name: 'bad operator', selector: { matchExpressions: [{ key: 'a', operator: 'Nope' }] }, want: '<error>' },
  ])('$name → $want', ({ selector, want }) => {
    expect(formatLabelSelector(selector)).toBe(want);
  });
});

// ---------------------------------------------------------------- Pod columns

describe('podStatus', () => {
  const running = container({ running: { startedAt: ago(M) } }, { ready: true });
  it.each([
    { name: 'Pending without statuses', pod: newPod('Pending'), want: 'Pending' },
    { name: 'ContainerCreating', pod: newPod('Pending', [container({ waiting: { reason: 'ContainerCreating' } })]), want: 'ContainerCreating' },
    { name: 'ErrImageNeverPull', pod: newPod('Pending', [container({ waiting: { reason: 'ErrImageNeverPull', message: 'image not present' } })]), want: 'ErrImageNeverPull' },
    { name: 'Running', pod: newPod('Running', [running]), want: 'Running' },
    { name: 'CrashLoopBackOff', pod: newPod('Running', [container({ waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 3 })]), want: 'CrashLoopBackOff' },
    { name: 'Completed', pod: newPod('Succeeded', [container({ terminated: { exitCode: 0, reason: 'Completed' } })]), want: 'Completed' },
    { name: 'Error', pod: newPod('Failed', [container({ terminated: { exitCode: 1, reason: 'Error' } })]), want: 'Error' },
    { name: 'OOMKilled', pod: newPod('Failed', [container({ terminated: { exitCode: 137, reason: 'OOMKilled' } })]), want: 'OOMKilled' },
    { name: 'terminated without reason: exit code', pod: newPod('Failed', [container({ terminated: { exitCode: 3 } })]), want: 'ExitCode:3' },
    { name: 'terminated without reason: signal', pod: newPod('Failed', [container({ terminated: { exitCode: 137, signal: 9 } })]), want: 'Signal:9' },
    { name: 'Succeeded pod without container statuses shows the phase', pod: newPod('Succeeded'), want: 'Succeeded' },
    { name: 'pod-level reason (DeadlineExceeded)', pod: newPod('Failed', [], { status: { reason: 'DeadlineExceeded' } }), want: 'DeadlineExceeded' },
    {
      name: 'Completed with one container still running and Ready → Running',
      pod: newPod('Running', [container({ terminated: { exitCode: 0, reason: 'Completed' } }, { name: 'b' }), { ...running, name: 'a' }], {
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      }),
      want: 'Running',
    },
    {
      name: 'Completed with one container still running, pod not Ready → NotReady',
      pod: newPod('Running', [container({ terminated: { exitCode: 0, reason: 'Completed' } }, { name: 'b' }), { ...running, name: 'a' }]),
      want: 'NotReady',
    },
    { name: 'Terminating while running', pod: newPod('Running', [running], { deleting: true }), want: 'Terminating' },
    { name: 'a finished pod being deleted keeps its status', pod: newPod('Succeeded', [container({ terminated: { exitCode: 0, reason: 'Completed' } })], { deleting: true }), want: 'Completed' },
    { name: 'NodeLost while deleting → Unknown', pod: newPod('Running', [running], { deleting: true, status: { reason: 'NodeLost' } }), want: 'Unknown' },
    {
      name: 'init container waiting',
      pod: newPod('Pending', [], { spec: { initContainers: [{ name: 'init', image: 'busybox' }] }, status: { initContainerStatuses: [container({ waiting: { reason: 'PodInitializing' } }, { name: 'init' })] } }),
      want: 'Init:0/1',
    },
    {
      name: 'init container failed',
      pod: newPod('Pending', [], { spec: { initContainers: [{ name: 'init', image: 'busybox' }] }, status: { initContainerStatuses: [container({ terminated: { exitCode: 1, reason: 'Error' } }, { name: 'init' })] } }),
      want: 'Init:Error',
    },
  ])('$name → $want', ({ pod, want }) => {
    expect(podStatus(pod)).toBe(want);
  });
});

describe('podReady and podRestarts', () => {
  it.each([
    { name: 'one running ready container', pod: newPod('Running', [container({ running: {} }, { ready: true })]), ready: '1/1', restarts: '0' },
    { name: 'not ready', pod: newPod('Running', [container({ running: {} })]), ready: '0/1', restarts: '0' },
    {
      name: 'restarts summed, with the last restart',
      pod: newPod('Running', [
        container({ running: {} }, { name: 'a', ready: true, restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(90 * S) } } }),
        container({ running: {} }, { name: 'b', ready: true, restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(5 * M) } } }),
      ]),
      ready: '2/2',
      restarts: '3 (90s ago)',
    },
    { name: 'restarts without a last state time', pod: newPod('Running', [container({ waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 4 })]), ready: '0/1', restarts: '4' },
    { name: 'completed', pod: newPod('Succeeded', [container({ terminated: { exitCode: 0, reason: 'Completed' } })]), ready: '0/1', restarts: '0' },
  ])('$name → READY $ready, RESTARTS $restarts', ({ pod, ready, restarts }) => {
    expect(podReady(pod)).toBe(ready);
    expect(podRestarts(pod, NOW)).toBe(restarts);
  });
});

describe('podRow', () => {
  const pod = newPod('Succeeded', [container({ terminated: { exitCode: 0, reason: 'Completed' } })], { spec: { nodeName: 'node-1' }, status: { podIP: '172.17.0.3' } });

  it('NAME READY STATUS RESTARTS AGE', () => {
    expect(podRow(pod, NOW)).toEqual(['pi-abcde', '0/1', 'Completed', '0', '2m']);
  });

  it('wide adds IP NODE NOMINATED NODE READINESS GATES', () => {
    expect(podRow(pod, NOW, true)).toEqual(['pi-abcde', '0/1', 'Completed', '0', '2m', '172.17.0.3', 'node-1', '<none>', '<none>']);
  });

  it('wide shows <none> for an unscheduled pod', () => {
    expect(podRow(newPod('Pending'), NOW, true).slice(5)).toEqual(['<none>', '<none>', '<none>', '<none>']);
  });
});
