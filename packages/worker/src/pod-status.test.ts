import { describe, expect, it } from 'vitest';
import { k8sTime, type Container, type ContainerState, type ContainerStatus, type Pod, type PodCondition } from '@jobfleet/spec';
import type { ContainerExit } from './docker.js';
import { derivePodStatus, exitReason, recordedPodStatus, runningStatus, terminatedState, terminatedStatus, unknownExit, waitingStatus, type RecordedContainer } from './pod-status.js';

const NOW = Date.UTC(2024, 2, 10, 9, 0, 0);
const EARLIER = k8sTime(NOW - 60_000);

const main: Container = { name: 'main', image: 'busybox' };

function status(name: string, state: ContainerState, restartCount = 0): ContainerStatus {
  return { name, image: 'busybox', ready: state.running !== undefined, restartCount, state };
}
const waiting = (name = 'main') => status(name, { waiting: { reason: 'ContainerCreating' } });
const runningS = (name = 'main') => status(name, { running: { startedAt: EARLIER } });
const exited = (exitCode: number, name = 'main') => status(name, { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } });

function newPod(conditions: PodCondition[] = []): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [main] }, status: { phase: 'Pending', conditions } };
}

/** Conditions as "Type=Status/Reason". */
const condText = (conditions: PodCondition[] | undefined) => (conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `/${c.reason}` : ''}`);

describe('derivePodStatus', () => {
  it.each<{ name: string; init?: ContainerStatus[]; main: ContainerStatus[]; finished: boolean; want: { phase: string; conditions: string[] } }>([
    {
      name: 'nothing started: Pending',
      main: [waiting()],
      finished: false,
      want: { phase: 'Pending', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=False/ContainersNotReady', 'Ready=False/ContainersNotReady'] },
    },
    {
      name: 'init container running: Pending, not Initialized',
      init: [runningS('init')],
      main: [waiting()],
      finished: false,
      want: { phase: 'Pending', conditions: ['PodScheduled=True', 'Initialized=False/ContainersNotInitialized', 'ContainersReady=False/ContainersNotReady', 'Ready=False/ContainersNotReady'] },
    },
    {
      name: 'init done, main running: Running and Ready',
      init: [exited(0, 'init')],
      main: [runningS()],
      finished: false,
      want: { phase: 'Running', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True'] },
    },
    {
      name: 'one of two running, the other waiting: Running, not Ready',
      main: [runningS('a'), waiting('b')],
      finished: false,
      want: { phase: 'Running', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=False/ContainersNotReady', 'Ready=False/ContainersNotReady'] },
    },
    {
      name: 'exited but will restart (OnFailure): Running, not Ready',
      main: [exited(1)],
      finished: false,
      want: { phase: 'Running', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=False/ContainersNotReady', 'Ready=False/ContainersNotReady'] },
    },
    {
      name: 'finished, every container exit 0: Succeeded, PodCompleted',
      main: [exited(0, 'a'), exited(0, 'b')],
      finished: true,
      want: { phase: 'Succeeded', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=False/PodCompleted', 'Ready=False/PodCompleted'] },
    },
    {
      name: 'finished, one container failed: Failed',
      main: [exited(0, 'a'), exited(2, 'b')],
      finished: true,
      want: { phase: 'Failed', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=False/PodCompleted', 'Ready=False/PodCompleted'] },
    },
    {
      name: 'finished after an init container failed: Failed, not Initialized',
      init: [exited(1, 'init')],
      main: [waiting()],
      finished: true,
      want: { phase: 'Failed', conditions: ['PodScheduled=True', 'Initialized=False/ContainersNotInitialized', 'ContainersReady=False/PodCompleted', 'Ready=False/PodCompleted'] },
    },
    {
      name: 'finished while a container never ran: Failed',
      main: [waiting()],
      finished: true,
      want: { phase: 'Failed', conditions: ['PodScheduled=True', 'Initialized=True', 'ContainersReady=False/PodCompleted', 'Ready=False/PodCompleted'] },
    },
  ])('$name', ({ init, main: mainStatuses, finished, want }) => {
    const s = derivePodStatus(newPod(), { ...(init ? { initContainerStatuses: init } : {}), containerStatuses: mainStatuses, hostIP: '1.2.3.4' }, NOW, finished);
    expect(s.phase).toBe(want.phase);
    expect(condText(s.conditions)).toStrictEqual(want.conditions);
    expect(s.hostIP).toBe('1.2.3.4');
    expect(s.containerStatuses).toBe(mainStatuses);
    for (const c of s.conditions ?? []) {
      expect(c.lastProbeTime).toBeNull();
      expect(c.lastTransitionTime).toBe(k8sTime(NOW));
    }
  });

  it('keeps lastTransitionTime of conditions whose status did not change', () => {
    const previous: PodCondition[] = [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: EARLIER },
      { type: 'Initialized', status: 'True', lastTransitionTime: EARLIER },
      { type: 'ContainersReady', status: 'False', lastTransitionTime: EARLIER },
      { type: 'Ready', status: 'False', lastTransitionTime: EARLIER },
    ];
    const s = derivePodStatus(newPod(previous), { containerStatuses: [runningS()] }, NOW, false);
    const times = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]));
    expect(times).toStrictEqual({ PodScheduled: EARLIER, Initialized: EARLIER, ContainersReady: k8sTime(NOW), Ready: k8sTime(NOW) });
  });
});

describe('exitReason', () => {
  it.each<{ name: string; exit: ContainerExit; stoppedBy?: string; want: string }>([
    { name: 'exit 0', exit: { exitCode: 0, oomKilled: false }, want: 'Completed' },
    { name: 'exit 1', exit: { exitCode: 1, oomKilled: false }, want: 'Error' },
    { name: 'OOM kill (137)', exit: { exitCode: 137, oomKilled: true }, want: 'OOMKilled' },
    { name: 'OOM wins over a stop', exit: { exitCode: 137, oomKilled: true }, stoppedBy: 'DeadlineExceeded', want: 'OOMKilled' },
    { name: 'stopped by the controller', exit: { exitCode: 143, oomKilled: false }, stoppedBy: 'DeadlineExceeded', want: 'DeadlineExceeded' },
    { name: 'stopped but exited 0 anyway', exit: { exitCode: 0, oomKilled: false }, stoppedBy: 'Terminated', want: 'Completed' },
  ])('$name → $want', ({ exit, stoppedBy, want }) => expect(exitReason(exit, stoppedBy)).toBe(want));
});

describe('container status builders', () => {
  it('terminatedState converts Docker times to Kubernetes times and keeps the error message', () => {
    const exit: ContainerExit = { exitCode: 1, oomKilled: false, startedAt: '2024-03-10T08:59:00.123456789Z', finishedAt: '2024-03-10T08:59:30.987Z', error: 'boom' };
    expect(terminatedState(exit, 'abc')).toStrictEqual({
      terminated: {
        exitCode: 1,
        reason: 'Error',
        message: 'boom',
        startedAt: '2024-03-10T08:59:00Z',
        finishedAt: '2024-03-10T08:59:30Z',
        containerID: 'docker://abc',
      },
    });
  });

  it('terminatedState without times or error has none', () => {
    expect(terminatedState({ exitCode: 0, oomKilled: false }, 'abc')).toStrictEqual({ terminated: { exitCode: 0, reason: 'Completed', containerID: 'docker://abc' } });
  });

  it('Docker zero time is passed through, not turned into a date', () => {
    const s = terminatedState({ exitCode: 0, oomKilled: false, startedAt: '0001-01-01T00:00:00Z' }, 'abc');
    expect(s.terminated?.startedAt).toBe('0001-01-01T00:00:00Z');
  });

  it('waiting, running and terminated statuses', () => {
    expect(waitingStatus(main, 'ErrImagePull', 2, 'no such image')).toStrictEqual({
      name: 'main',
      image: 'busybox',
      ready: false,
      started: false,
      restartCount: 2,
      state: { waiting: { reason: 'ErrImagePull', message: 'no such image' } },
    });
    expect(waitingStatus(main, 'ContainerCreating').state).toStrictEqual({ waiting: { reason: 'ContainerCreating' } });
    const last: ContainerState = { terminated: { exitCode: 1 } };
    expect(runningStatus(main, 'cid', '2024-03-10T08:59:00.5Z', 1, last)).toStrictEqual({
      name: 'main',
      image: 'busybox',
      containerID: 'docker://cid',
      ready: true,
      started: true,
      restartCount: 1,
      state: { running: { startedAt: '2024-03-10T08:59:00Z' } },
      lastState: last,
    });
    const t = terminatedStatus(main, { exitCode: 137, oomKilled: true }, 'cid', 3, { lastState: last });
    expect(t).toMatchObject({ ready: false, started: false, restartCount: 3, containerID: 'docker://cid', lastState: last });
    expect(t.state.terminated?.reason).toBe('OOMKilled');
    expect(terminatedStatus(main, { exitCode: 143, oomKilled: false }, 'cid', 0, { stoppedBy: 'Terminated' }).state.terminated?.reason).toBe('Terminated');
  });
});

describe('recordedPodStatus: a restarted worker reports what Docker recorded of a leftover pod', () => {
  const exit = (exitCode: number, extra: Partial<ContainerExit> = {}): ContainerExit => ({
    exitCode,
    oomKilled: false,
    startedAt: '2024-03-10T08:58:00.25Z',
    finishedAt: '2024-03-10T08:59:00.75Z',
    ...extra,
  });
  const records = (entries: [string, ContainerExit][]) => new Map<string, RecordedContainer>(entries.map(([name, e]) => [name, { id: `id-${name}`, exit: e }]));
  const leftover = (spec: Partial<Pod['spec']> = {}, statuses: ContainerStatus[] = [runningS()]): Pod => ({
    ...newPod(),
    spec: { containers: [main], restartPolicy: 'Never', ...spec },
    status: { phase: 'Running', startTime: EARLIER, containerStatuses: statuses },
  });
  const a: Container = { name: 'a', image: 'busybox' };
  const b: Container = { name: 'b', image: 'busybox' };

  it.each<{ name: string; pod: Pod; records: Map<string, RecordedContainer>; want: { phase: string; exitCodes: (number | undefined)[]; reasons: (string | undefined)[] } | undefined }>([
    { name: 'exited 0: Succeeded', pod: leftover(), records: records([['main', exit(0)]]), want: { phase: 'Succeeded', exitCodes: [0], reasons: ['Completed'] } },
    { name: 'exited 3 under Never: Failed with its exit code', pod: leftover(), records: records([['main', exit(3)]]), want: { phase: 'Failed', exitCodes: [3], reasons: ['Error'] } },
    { name: 'OOM-killed: Failed, OOMKilled', pod: leftover(), records: records([['main', exit(137, { oomKilled: true })]]), want: { phase: 'Failed', exitCodes: [137], reasons: ['OOMKilled'] } },
    { name: 'exited 3 under OnFailure: it would have restarted, the record does not tell', pod: leftover({ restartPolicy: 'OnFailure' }), records: records([['main', exit(3)]]), want: undefined },
    { name: 'exited 0 under OnFailure: Succeeded', pod: leftover({ restartPolicy: 'OnFailure' }), records: records([['main', exit(0)]]), want: { phase: 'Succeeded', exitCodes: [0], reasons: ['Completed'] } },
    { name: 'no record of the container: undefined', pod: leftover(), records: records([]), want: undefined },
    { name: 'two containers, one recorded: undefined', pod: leftover({ containers: [a, b] }, [runningS('a'), runningS('b')]), records: records([['a', exit(0)]]), want: undefined },
    { name: 'two containers, 0 and 1: Failed', pod: leftover({ containers: [a, b] }, [runningS('a'), runningS('b')]), records: records([['a', exit(0)], ['b', exit(1)]]), want: { phase: 'Failed', exitCodes: [0, 1], reasons: ['Completed', 'Error'] } },
    { name: 'only an init container recorded: undefined', pod: leftover({ initContainers: [a] }, [waiting()]), records: records([['a', exit(0)]]), want: undefined },
  ])('$name', ({ pod, records: recs, want }) => {
    const status = recordedPodStatus(pod, recs, NOW);
    if (!want) return expect(status).toBeUndefined();
    expect(status?.phase).toBe(want.phase);
    expect(status?.containerStatuses?.map((s) => s.state.terminated?.exitCode)).toEqual(want.exitCodes);
    expect(status?.containerStatuses?.map((s) => s.state.terminated?.reason)).toEqual(want.reasons);
  });

  it('keeps the start time, restart counts and times Docker recorded', () => {
    const pod = leftover({ restartPolicy: 'OnFailure' }, [{ ...runningS(), restartCount: 2, lastState: { terminated: { exitCode: 1 } } }]);
    const status = recordedPodStatus(pod, records([['main', exit(0)]]), NOW);
    expect(status).toMatchObject({ phase: 'Succeeded', startTime: EARLIER });
    expect(status?.containerStatuses?.[0]).toMatchObject({
      restartCount: 2,
      lastState: { terminated: { exitCode: 1 } },
      containerID: 'docker://id-main',
      state: { terminated: { exitCode: 0, startedAt: '2024-03-10T08:58:00Z', finishedAt: '2024-03-10T08:59:00Z' } },
    });
  });

  it('an unknown exit is the kubelet\'s ContainerStatusUnknown, exit 137', () => {
    expect(terminatedState(unknownExit(NOW), 'cid').terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' });
  });
});
