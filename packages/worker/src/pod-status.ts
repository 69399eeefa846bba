/** Pure builders of a pod's status from what its containers did, as the kubelet reports it. */
import { isSidecar, k8sTime, type Container, type ContainerState, type ContainerStatus, type Pod, type PodCondition, type PodStatus } from '@jobfleet/kube';
import type { ContainerExit } from './docker.js';

export function waitingStatus(c: Container, reason: string, restartCount = 0, message?: string): ContainerStatus {
  return { name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount, state: { waiting: { reason, ...(message ? { message } : {}) } }, lastState: {} };
}

export function runningStatus(c: Container, containerID: string, startedAt: string, restartCount: number, lastState?: ContainerState, imageID = ''): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID,
    containerID: `docker://${containerID}`,
    ready: true,
    started: true,
    restartCount,
    state: { running: { startedAt: toK8sTime(startedAt) } },
    lastState: lastState ?? {},
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

/**
 * Kubernetes' reasons: Completed for exit 0, OOMKilled, Error otherwise (or what the exit itself
 * says, e.g. ContainerStatusUnknown). A SIGKILL under a memory limit that Docker did not flag is an
 * OOM kill unless jobfleet stopped the container itself (see ContainerExit.killedUnderMemoryLimit).
 */
export function exitReason(exit: ContainerExit, stoppedBy?: string): string {
  if (exit.reason) return exit.reason;
  if (exit.oomKilled) return 'OOMKilled';
  if (exit.exitCode === 0) return 'Completed';
  if (stoppedBy) return stoppedBy;
  return exit.killedUnderMemoryLimit ? 'OOMKilled' : 'Error';
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
    main.push(terminatedStatus(c, record.exit, record.id, before?.restartCount ?? 0, { ...(before?.lastState ? { lastState: before.lastState } : {}), ...(before?.imageID ? { imageID: before.imageID } : {}) }));
  }
  const init = (pod.spec.initContainers ?? []).map((c): ContainerStatus => {
    const record = records.get(c.name);
    const before = previous.get(c.name);
    if (record) return terminatedStatus(c, record.exit, record.id, before?.restartCount ?? 0, { ...(before?.lastState ? { lastState: before.lastState } : {}), ...(before?.imageID ? { imageID: before.imageID } : {}) });
    // A sidecar still running when its worker went away was killed with the leftovers: its exit is not known.
    if (before?.state.running) return { ...before, ready: false, started: false, state: terminatedState(unknownExit(now), before.containerID?.replace(/^docker:\/\//, '') ?? '') };
    return before ?? waitingStatus(c, 'PodInitializing');
  });
  // The addresses and QoS class stay; the phase, its reason (e.g. the node monitor's NodeLost mark) and the statuses are the record's.
  const { phase: _phase, reason: _reason, message: _message, conditions: _conditions, initContainerStatuses: _init, containerStatuses: _main, ...rest } = pod.status;
  const base = { ...rest, ...(init.length ? { initContainerStatuses: init } : {}), containerStatuses: main };
  return derivePodStatus(pod, base, now, true);
}

export function terminatedStatus(
  c: Container,
  exit: ContainerExit,
  containerID: string,
  restartCount: number,
  opts: { stoppedBy?: string; lastState?: ContainerState; imageID?: string } = {},
): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: opts.imageID ?? '',
    containerID: `docker://${containerID}`,
    ready: false,
    started: false,
    restartCount,
    state: terminatedState(exit, containerID, opts.stoppedBy),
    lastState: opts.lastState ?? {},
  };
}

function toK8sTime(dockerTime: string): string {
  const ms = Date.parse(dockerTime);
  return Number.isNaN(ms) || ms <= 0 ? dockerTime : k8sTime(ms);
}

/** The pod conditions the kubelet owns and sets; others (DisruptionTarget, …) belong to whoever set them. */
export const KUBELET_CONDITIONS: readonly PodCondition['type'][] = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

interface ConditionValue {
  type: PodCondition['type'];
  ok: boolean;
  reason?: string;
  message?: string;
}

/**
 * The kubelet's conditions after the others, which are kept as `stored` has them (as the kubelet
 * preserves conditions it does not own); a condition whose status did not change keeps its
 * lastTransitionTime.
 */
export function mergePodConditions(stored: readonly PodCondition[] | undefined, kubelet: readonly PodCondition[]): PodCondition[] {
  const previous = (stored ?? []).filter((c) => typeof c === 'object' && c !== null);
  const others = previous.filter((c) => !KUBELET_CONDITIONS.includes(c.type));
  const owned = kubelet.filter((c) => KUBELET_CONDITIONS.includes(c.type)).map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return before && before.status === c.status && before.lastTransitionTime ? { ...c, lastTransitionTime: before.lastTransitionTime } : c;
  });
  return [...others, ...owned];
}

/** Go's fmt of a []string: "[a b]". */
const goList = (names: readonly string[]) => `[${names.join(' ')}]`;

/** Fills the fields the Kubernetes schema requires on every container status (imageID, lastState), and the kubelet's readiness of init containers. */
function completeStatus(s: ContainerStatus, kind: 'init' | 'sidecar' | 'main'): ContainerStatus {
  const ready = kind === 'init' ? s.state.terminated?.exitCode === 0 : s.ready;
  return { ...s, imageID: s.imageID ?? '', lastState: s.lastState ?? {}, ready };
}

export interface DeriveOptions {
  /**
   * Whether the pod's "sandbox" is ready (its volumes and network namespace exist), for the
   * PodReadyToStartContainers condition. Default: some container was created and the pod runs on.
   */
  sandboxReady?: boolean;
}

/**
 * The pod-level view derived from container statuses, as the kubelet's getPhase and status
 * generators (pkg/kubelet/status/generate.go) make it: phase and the five conditions.
 * `finished` is set once no container will run again; then the phase is Succeeded or Failed,
 * decided by the app containers alone (native sidecars, killed when the app containers are done,
 * do not count). Every container status gets the fields the schema requires (imageID, lastState).
 */
export function derivePodStatus(pod: Pod, status: Omit<PodStatus, 'phase' | 'conditions'>, now: number, finished: boolean, opts: DeriveOptions = {}): PodStatus {
  const t = k8sTime(now);
  const initSpecs = pod.spec.initContainers ?? [];
  const sidecars = new Set(initSpecs.filter(isSidecar).map((c) => c.name));
  const init = status.initContainerStatuses?.map((s) => completeStatus(s, sidecars.has(s.name) ? 'sidecar' : 'init'));
  const main = (status.containerStatuses ?? []).map((s) => completeStatus(s, 'main'));
  // A container in back-off (waiting, with a last state) has run: the pod is Running, as getPhase says.
  const anyStarted = main.some((s) => s.state.running !== undefined || s.state.terminated !== undefined || s.lastState?.terminated !== undefined);
  let phase: PodStatus['phase'] = anyStarted ? 'Running' : 'Pending';
  if (finished) phase = main.length > 0 && main.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';

  const byName = new Map([...(init ?? []), ...main].map((s) => [s.name, s]));
  const conditions: ConditionValue[] = [
    { type: 'PodReadyToStartContainers', ok: opts.sandboxReady ?? (!finished && [...byName.values()].some(hasRun)) },
    initializedCondition(pod, byName, main, phase),
  ];
  const ready = containersReady(pod, byName, phase, finished);
  conditions.push({ ...ready, type: 'Ready' }, { ...ready, type: 'ContainersReady' }, { type: 'PodScheduled', ok: true });
  const kubelet = conditions.map(({ type, ok, reason, message }): PodCondition => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: t,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  }));
  return {
    ...status,
    ...(init ? { initContainerStatuses: init } : {}),
    containerStatuses: main,
    phase,
    conditions: mergePodConditions(pod.status.conditions, kubelet),
  };
}

/** A container that was created: it has an id, runs, or ran. */
const hasRun = (s: ContainerStatus) => s.containerID !== undefined || s.state.running !== undefined || s.state.terminated !== undefined || s.lastState?.terminated !== undefined;

/** GeneratePodInitializedCondition: every init container done (a sidecar: started), or an app container has run. */
function initializedCondition(pod: Pod, byName: ReadonlyMap<string, ContainerStatus>, main: readonly ContainerStatus[], phase: PodStatus['phase']): ConditionValue {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? s.started !== true : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', ok: true, reason: 'PodCompleted' };
  if (main.some((s) => s.state.running !== undefined || s.state.terminated !== undefined)) return { type: 'Initialized', ok: true };
  const message = [
    ...(unknown.length ? [`containers with unknown status: ${goList(unknown)}`] : []),
    ...(incomplete.length ? [`containers with incomplete status: ${goList(incomplete)}`] : []),
  ].join(', ');
  return message ? { type: 'Initialized', ok: false, reason: 'ContainersNotInitialized', message } : { type: 'Initialized', ok: true };
}

/** GenerateContainersReadyCondition: the app containers and the native sidecars all ready. */
function containersReady(pod: Pod, byName: ReadonlyMap<string, ContainerStatus>, phase: PodStatus['phase'], finished: boolean): Omit<ConditionValue, 'type'> {
  if (finished) return { ok: false, reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed' };
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of [...(pod.spec.initContainers ?? []).filter(isSidecar), ...pod.spec.containers]) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  const message = [
    ...(unknown.length ? [`containers with unknown status: ${goList(unknown)}`] : []),
    ...(unready.length ? [`containers with unready status: ${goList(unready)}`] : []),
  ].join(', ');
  return message ? { ok: false, reason: 'ContainersNotReady', message } : { ok: true };
}
