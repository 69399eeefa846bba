/** Pure builders of a pod's status from what its containers did, as the kubelet reports it. */
import { k8sTime, type Container, type ContainerState, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from '@jobfleet/spec';
import type { ContainerExit } from './docker.js';

export function waitingStatus(c: Container, reason: string, restartCount = 0, message?: string): ContainerStatus {
  return { name: c.name, image: c.image, ready: false, started: false, restartCount, state: { waiting: { reason, ...(message ? { message } : {}) } } };
}

export function runningStatus(c: Container, containerID: string, startedAt: string, restartCount: number, lastState?: ContainerState): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    containerID: `docker://${containerID}`,
    ready: true,
    started: true,
    restartCount,
    state: { running: { startedAt: toK8sTime(startedAt) } },
    ...(lastState ? { lastState } : {}),
  };
}

export function terminatedState(exit: ContainerExit, containerID: string, stoppedBy?: string): ContainerState {
  return {
    terminated: {
      exitCode: exit.exitCode,
      reason: exitReason(exit, stoppedBy),
      ...(exit.error ? { message: exit.error } : {}),
      ...(exit.startedAt ? { startedAt: toK8sTime(exit.startedAt) } : {}),
      ...(exit.finishedAt ? { finishedAt: toK8sTime(exit.finishedAt) } : {}),
      containerID: `docker://${containerID}`,
    },
  };
}

/** Kubernetes' reasons: Completed for exit 0, OOMKilled, Error otherwise (or what the exit itself says, e.g. ContainerStatusUnknown). */
export function exitReason(exit: ContainerExit, stoppedBy?: string): string {
  if (exit.reason) return exit.reason;
  if (exit.oomKilled) return 'OOMKilled';
  if (exit.exitCode === 0) return 'Completed';
  return stoppedBy ?? 'Error';
}

/** The kubelet's reason and message for a container whose state cannot be read any more (exit code 137). */
export const CONTAINER_STATUS_UNKNOWN = {
  reason: 'ContainerStatusUnknown',
  message: 'The container could not be located when the pod was terminated',
  exitCode: 137,
} as const;

/** A container that ran (or may still run) but whose end jobfleet cannot know: the kubelet's ContainerStatusUnknown. */
export function unknownExit(now: number): ContainerExit {
  const { reason, message, exitCode } = CONTAINER_STATUS_UNKNOWN;
  return { exitCode, oomKilled: false, reason, error: message, finishedAt: new Date(now).toISOString() };
}

/** A leftover container of a pod, as Docker recorded it after it exited. */
export interface RecordedContainer {
  id: string;
  exit: ContainerExit;
}

/**
 * The final status of a pod whose worker restarted, from what Docker recorded of its containers,
 * when that record settles it: every app container exited, each for good (under OnFailure a failed
 * container would have been restarted, so its exit does not end the pod). The pod then ends as its
 * containers did, as the kubelet would have reported it. Undefined when the record does not tell.
 */
export function recordedPodStatus(pod: Pod, records: ReadonlyMap<string, RecordedContainer>, now: number): PodStatus | undefined {
  const previous = new Map([...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].map((s) => [s.name, s]));
  const main: ContainerStatus[] = [];
  for (const c of pod.spec.containers) {
    const record = records.get(c.name);
    if (!record) return undefined;
    const failed = record.exit.exitCode !== 0 || record.exit.oomKilled;
    if (failed && pod.spec.restartPolicy === 'OnFailure') return undefined;
    const before = previous.get(c.name);
    main.push(terminatedStatus(c, record.exit, record.id, before?.restartCount ?? 0, before?.lastState ? { lastState: before.lastState } : {}));
  }
  const init = (pod.spec.initContainers ?? []).map((c): ContainerStatus => {
    const record = records.get(c.name);
    const before = previous.get(c.name);
    if (record) return terminatedStatus(c, record.exit, record.id, before?.restartCount ?? 0);
    return before ?? waitingStatus(c, 'PodInitializing');
  });
  const base = {
    ...(pod.status.startTime ? { startTime: pod.status.startTime } : {}),
    ...(init.length ? { initContainerStatuses: init } : {}),
    containerStatuses: main,
  };
  return derivePodStatus(pod, base, now, true);
}

export function terminatedStatus(
  c: Container,
  exit: ContainerExit,
  containerID: string,
  restartCount: number,
  opts: { stoppedBy?: string; lastState?: ContainerState } = {},
): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    containerID: `docker://${containerID}`,
    ready: false,
    started: false,
    restartCount,
    state: terminatedState(exit, containerID, opts.stoppedBy),
    ...(opts.lastState ? { lastState: opts.lastState } : {}),
  };
}

function toK8sTime(dockerTime: string): string {
  const ms = Date.parse(dockerTime);
  return Number.isNaN(ms) || ms <= 0 ? dockerTime : k8sTime(ms);
}

function condition(type: PodCondition['type'], ok: boolean, now: string, reason?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now, ...(reason && !ok ? { reason } : {}) };
}

/**
 * The pod-level view derived from container statuses: phase and the four standard conditions.
 * `finished` is set once no container will run again; then the phase is Succeeded or Failed.
 */
export function derivePodStatus(pod: Pod, status: Omit<PodStatus, 'phase' | 'conditions'>, now: number, finished: boolean): PodStatus {
  const t = k8sTime(now);
  const main = status.containerStatuses ?? [];
  const init = status.initContainerStatuses ?? [];
  const initialized = init.every((s) => s.state.terminated?.exitCode === 0);
  const allRunning = main.length > 0 && main.every((s) => s.state.running !== undefined);
  const anyStarted = main.some((s) => s.state.running !== undefined || s.state.terminated !== undefined);
  let phase: PodStatus['phase'] = anyStarted ? 'Running' : 'Pending';
  if (finished) phase = main.length > 0 && main.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  const readyReason = finished ? 'PodCompleted' : 'ContainersNotReady';
  const previous = pod.status.conditions ?? [];
  const conditions = [
    condition('PodScheduled', true, t),
    condition('Initialized', initialized, t, 'ContainersNotInitialized'),
    condition('ContainersReady', allRunning, t, readyReason),
    condition('Ready', allRunning, t, readyReason),
  ].map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return before && before.status === c.status ? { ...c, lastTransitionTime: before.lastTransitionTime } : c;
  });
  return { ...status, phase, conditions };
}
