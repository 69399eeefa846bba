import { describe, expect, it } from 'vitest';
import { k8sTime, type Container, type ContainerState, type ContainerStatus, type Pod, type PodCondition } from '@jobfleet/kube';
import type { ContainerExit } from './docker.js';
import { derivePodStatus, exitReason, mergePodConditions, recordedPodStatus, runningStatus, terminatedState, terminatedStatus, unknownExit, waitingStatus, type RecordedContainer } from './pod-status.js';

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
  const sidecar: Container = { name: 'log', image: 'busybox', restartPolicy: 'Always' };
  const init: Container = { name: 'init', image: 'busybox' };
  const withInit = (initContainers: Container[], containers: Container[] = [main]): Pod => ({ ...newPod(), spec: { containers, initContainers } });
  const C = (...names: string[]) => names;
  it.each<{ name: string; pod?: Pod; init?: ContainerStatus[]; main: ContainerStatus[]; finished: boolean; want: { phase: string; conditions: string[] } }>([
    {
      name: 'nothing started: Pending',
      main: [waiting()],
      finished: false,
      want: { phase: 'Pending', conditions: C('PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'init container running: Pending, not Initialized',
      pod: withInit([init]),
      init: [runningS('init')],
      main: [waiting()],
      finished: false,
      want: { phase: 'Pending', conditions: C('PodReadyToStartContainers=True', 'Initialized=False/ContainersNotInitialized', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'init done, main running: Running and Ready',
      pod: withInit([init]),
      init: [exited(0, 'init')],
      main: [runningS()],
      finished: false,
      want: { phase: 'Running', conditions: C('PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True') },
    },
    {
      name: 'one of two running, the other waiting: Running, not Ready',
      pod: { ...newPod(), spec: { containers: [{ ...main, name: 'a' }, { ...main, name: 'b' }] } },
      main: [runningS('a'), waiting('b')],
      finished: false,
      want: { phase: 'Running', conditions: C('PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'exited but will restart (OnFailure): Running, not Ready',
      main: [exited(1)],
      finished: false,
      want: { phase: 'Running', conditions: C('PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'waiting out a back-off after a run: Running (it was Pending before)',
      main: [{ ...status('main', { waiting: { reason: 'CrashLoopBackOff' } }, 1), containerID: 'docker://x', lastState: { terminated: { exitCode: 1 } } }],
      finished: false,
      want: { phase: 'Running', conditions: C('PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'finished, every container exit 0: Succeeded, PodCompleted',
      main: [exited(0, 'a'), exited(0, 'b')],
      finished: true,
      want: { phase: 'Succeeded', conditions: C('PodReadyToStartContainers=False', 'Initialized=True/PodCompleted', 'Ready=False/PodCompleted', 'ContainersReady=False/PodCompleted', 'PodScheduled=True') },
    },
    {
      name: 'finished, one container failed: Failed, PodFailed',
      main: [exited(0, 'a'), exited(2, 'b')],
      finished: true,
      want: { phase: 'Failed', conditions: C('PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False/PodFailed', 'ContainersReady=False/PodFailed', 'PodScheduled=True') },
    },
    {
      name: 'finished after an init container failed: Failed, not Initialized',
      pod: withInit([init]),
      init: [exited(1, 'init')],
      main: [waiting()],
      finished: true,
      want: { phase: 'Failed', conditions: C('PodReadyToStartContainers=False', 'Initialized=False/ContainersNotInitialized', 'Ready=False/PodFailed', 'ContainersReady=False/PodFailed', 'PodScheduled=True') },
    },
    {
      name: 'finished while a container never ran: Failed',
      main: [waiting()],
      finished: true,
      want: { phase: 'Failed', conditions: C('PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False/PodFailed', 'ContainersReady=False/PodFailed', 'PodScheduled=True') },
    },
    {
      name: 'a sidecar running but not started yet holds back Initialized',
      pod: withInit([sidecar]),
      init: [{ ...runningS('log'), started: false }],
      main: [waiting()],
      finished: false,
      want: { phase: 'Pending', conditions: C('PodReadyToStartContainers=True', 'Initialized=False/ContainersNotInitialized', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'a started sidecar and a running app container: Initialized, Running, Ready',
      pod: withInit([sidecar]),
      init: [{ ...runningS('log'), started: true }],
      main: [runningS()],
      finished: false,
      want: { phase: 'Running', conditions: C('PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True') },
    },
    {
      name: 'a sidecar in back-off makes the pod not Ready, still Initialized and Running',
      pod: withInit([sidecar]),
      init: [{ ...status('log', { waiting: { reason: 'CrashLoopBackOff' } }, 1), lastState: { terminated: { exitCode: 1 } } }],
      main: [runningS()],
      finished: false,
      want: { phase: 'Running', conditions: C('PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False/ContainersNotReady', 'ContainersReady=False/ContainersNotReady', 'PodScheduled=True') },
    },
    {
      name: 'app container done, sidecar killed (137): Succeeded, the sidecar does not count',
      pod: withInit([sidecar]),
      init: [exited(137, 'log')],
      main: [exited(0)],
      finished: true,
      want: { phase: 'Succeeded', conditions: C('PodReadyToStartContainers=False', 'Initialized=True/PodCompleted', 'Ready=False/PodCompleted', 'ContainersReady=False/PodCompleted', 'PodScheduled=True') },
    },
  ])('$name', ({ pod, init: initStatuses, main: mainStatuses, finished, want }) => {
    const s = derivePodStatus(pod ?? newPod(), { ...(initStatuses ? { initContainerStatuses: initStatuses } : {}), containerStatuses: mainStatuses, hostIP: '1.2.3.4' }, NOW, finished);
    expect(s.phase).toBe(want.phase);
    expect(condText(s.conditions)).toStrictEqual(want.conditions);
    expect(s.hostIP).toBe('1.2.3.4');
    expect(s.containerStatuses?.map((c) => c.name)).toStrictEqual(mainStatuses.map((c) => c.name));
    for (const c of [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])]) {
      // What the Kubernetes schema requires of every container status (the Python client refuses a pod without them).
      expect(c).toMatchObject({ imageID: expect.any(String) as string, lastState: expect.any(Object) as object, state: expect.any(Object) as object, ready: expect.any(Boolean) as boolean });
    }
    for (const c of s.conditions ?? []) {
      expect(c.lastProbeTime).toBeNull();
      expect(c.lastTransitionTime).toBe(k8sTime(NOW));
    }
  });

  it('messages name the containers as the kubelet does', () => {
    const pod = withInit([{ ...init, name: 'a' }, sidecar], [main, { ...main, name: 'other' }]);
    const s = derivePodStatus(pod, { initContainerStatuses: [exited(0, 'a'), { ...runningS('log'), started: false, ready: false }], containerStatuses: [waiting(), waiting('other')] }, NOW, false);
    const byType = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.message]));
    expect(byType).toMatchObject({
      Initialized: 'containers with incomplete status: [log]',
      ContainersReady: 'containers with unready status: [log main other]',
      Ready: 'containers with unready status: [log main other]',
    });
    // A regular init container that exited 0 is reported ready, as the kubelet does.
    expect(s.initContainerStatuses?.[0]?.ready).toBe(true);
  });

  it('keeps lastTransitionTime of conditions whose status did not change, and conditions the kubelet does not own', () => {
    const previous: PodCondition[] = [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: EARLIER },
      { type: 'Initialized', status: 'True', lastTransitionTime: EARLIER },
      { type: 'ContainersReady', status: 'False', lastTransitionTime: EARLIER },
      { type: 'Ready', status: 'False', lastTransitionTime: EARLIER },
      { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', lastTransitionTime: EARLIER },
    ];
    const s = derivePodStatus(newPod(previous), { containerStatuses: [runningS()] }, NOW, false);
    const times = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]));
    expect(times).toStrictEqual({ PodScheduled: EARLIER, Initialized: EARLIER, ContainersReady: k8sTime(NOW), Ready: k8sTime(NOW), PodReadyToStartContainers: k8sTime(NOW), DisruptionTarget: EARLIER });
    expect(s.conditions?.[0]).toMatchObject({ type: 'DisruptionTarget', reason: 'DeletionByTaintManager' });
  });

  it('mergePodConditions keeps what others set in the store and takes only the kubelet\'s own from the report', () => {
    const stored: PodCondition[] = [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: EARLIER }, { type: 'Ready', status: 'True', lastTransitionTime: EARLIER }];
    const reported: PodCondition[] = [{ type: 'Ready', status: 'True', lastTransitionTime: k8sTime(NOW) }, { type: 'DisruptionTarget', status: 'False', lastTransitionTime: k8sTime(NOW) }];
    expect(mergePodConditions(stored, reported)).toStrictEqual([
      { type: 'DisruptionTarget', status: 'True', lastTransitionTime: EARLIER },
      { type: 'Ready', status: 'True', lastTransitionTime: EARLIER },
    ]);
  });
});

describe('exitReason', () => {
  it.each<{ name: string; exit: ContainerExit; stoppedBy?: string; want: string }>([
    { name: 'exit 0', exit: { exitCode: 0, oomKilled: false }, want: 'Completed' },
    { name: 'exit 1', exit: { exitCode: 1, oomKilled: false }, want: 'Error' },
    { name: 'OOM kill (137)', exit: { exitCode: 137, oomKilled: true }, want: 'OOMKilled' },
    { name: 'OOM wins over a stop', exit: { exitCode: 137, oomKilled: true }, stoppedBy: 'DeadlineExceeded', want: 'OOMKilled' },
    { name: 'stopped by the controller', exit: { exitCode: 143, oomKilled: false }, stoppedBy: 'DeadlineExceeded', want: 'DeadlineExceeded' },
    { name: 'SIGKILL under a memory limit, Docker lost the OOM flag', exit: { exitCode: 137, oomKilled: false, killedUnderMemoryLimit: true }, want: 'OOMKilled' },
    { name: 'SIGKILL under a memory limit after jobfleet stopped it', exit: { exitCode: 137, oomKilled: false, killedUnderMemoryLimit: true }, stoppedBy: 'Terminated', want: 'Terminated' },
    { name: 'SIGKILL without a memory limit', exit: { exitCode: 137, oomKilled: false }, want: 'Error' },
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
      imageID: '',
      ready: false,
      started: false,
      restartCount: 2,
      state: { waiting: { reason: 'ErrImagePull', message: 'no such image' } },
      lastState: {},
    });
    expect(waitingStatus(main, 'ContainerCreating').state).toStrictEqual({ waiting: { reason: 'ContainerCreating' } });
    const last: ContainerState = { terminated: { exitCode: 1 } };
    expect(runningStatus(main, 'cid', '2024-03-10T08:59:00.5Z', 1, last, 'docker://sha256:abc')).toStrictEqual({
      name: 'main',
      image: 'busybox',
      imageID: 'docker://sha256:abc',
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

  it('keeps the addresses and QoS class, not the node monitor\'s reason; a sidecar still running was killed: its exit is unknown', () => {
    const sidecar: Container = { name: 'log', image: 'busybox', restartPolicy: 'Always' };
    const pod: Pod = {
      ...leftover({ initContainers: [sidecar] }, [runningS()]),
      status: { phase: 'Running', reason: 'NodeLost', message: 'Node n is unresponsive', hostIP: '10.0.0.1', podIP: '172.17.0.5', qosClass: 'BestEffort', initContainerStatuses: [{ ...runningS('log'), started: true, containerID: 'docker://side' }], containerStatuses: [runningS()] },
    };
    const status = recordedPodStatus(pod, records([['main', exit(0)]]), NOW);
    expect(status).toMatchObject({ phase: 'Succeeded', hostIP: '10.0.0.1', podIP: '172.17.0.5', qosClass: 'BestEffort' });
    expect(status?.reason).toBeUndefined();
    expect(status?.initContainerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown', containerID: 'docker://side' });
  });

  it('an unknown exit is the kubelet\'s ContainerStatusUnknown, exit 137', () => {
    expect(terminatedState(unknownExit(NOW), 'cid').terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' });
  });
});
