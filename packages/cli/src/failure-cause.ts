/**
 * Why a failed Job's pods failed, in one phrase for `run`'s error line: the Job's condition says only
 * `BackoffLimitExceeded`; the cause a user can act on (a missing image, a command that exits 1) is in
 * its last failed pod's container statuses, as the worker recorded them. Pure.
 */
import type { ContainerStatus, Pod } from '@jobfleet/kube';

/** Waiting reasons that are a pod's normal way to start, not a cause. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/** `last pod NAME: REASON: MESSAGE`, or undefined when no failed pod says more than its phase. */
export function lastPodCause(pods: readonly Pod[]): string | undefined {
  const failed = pods.filter((pod) => pod.status.phase === 'Failed').sort((a, b) => finishedAt(b) - finishedAt(a));
  for (const pod of failed) {
    const cause = podCause(pod);
    if (cause) return `last pod ${pod.metadata.name ?? ''}: ${cause}`;
  }
  return undefined;
}

/** The first container (init containers first, as they run) that did not start or ended badly; else the pod's own reason. */
export function podCause(pod: Pod): string | undefined {
  const statuses = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
  for (const status of statuses) {
    const cause = containerCause(status);
    if (cause) return cause;
  }
  const { reason, message } = pod.status;
  if (reason) return message ? `${reason}: ${message}` : reason;
  return undefined;
}

function containerCause(status: ContainerStatus): string | undefined {
  const { waiting, terminated } = status.state;
  if (waiting?.reason && !STARTING.has(waiting.reason)) return waiting.message ? `${waiting.reason}: ${oneLine(waiting.message)}` : waiting.reason;
  if (terminated && terminated.exitCode !== 0) {
    const reason = terminated.reason || 'Error';
    const exit = `container "${status.name}" exited with code ${terminated.exitCode}`;
    return terminated.message ? `${reason}: ${exit}: ${oneLine(terminated.message)}` : `${reason}: ${exit}`;
  }
  return undefined;
}

/** The latest time the pod's containers ended (or its creation), to pick the last failed pod. */
function finishedAt(pod: Pod): number {
  const statuses = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
  const times = statuses.map((s) => Date.parse(s.state.terminated?.finishedAt ?? '')).filter((t) => !Number.isNaN(t));
  const created = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Math.max(Number.isNaN(created) ? 0 : created, ...times);
}

/** A container's message (its termination log) may span lines and be long; the error line must stay one short line. */
function oneLine(text: string, max = 1000): string {
  const flat = text.trim().replace(/\s*\n\s*/g, '; ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
