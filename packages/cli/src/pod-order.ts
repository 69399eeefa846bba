/**
 * Which pod `logs job/NAME` shows: kubectl's podutils.ByLogging order, best first —
 * scheduled before unscheduled, Running/Succeeded/Failed before Unknown before Pending, ready before not,
 * ready longer before shorter, more restarts before fewer, older before newer.
 */
import type { Pod } from '@jobfleet/kube';

const PHASE_RANK: Record<string, number> = { Running: 0, Unknown: 1, Pending: 2 };

export function compareForLogging(a: Pod, b: Pod): number {
  return (
    compareScheduled(a, b) ||
    rank(a) - rank(b) ||
    Number(isReady(b)) - Number(isReady(a)) ||
    (isReady(a) && isReady(b) ? compareTimes(readySince(a), readySince(b)) : 0) ||
    maxRestarts(b) - maxRestarts(a) ||
    compareTimes(a.metadata.creationTimestamp, b.metadata.creationTimestamp)
  );
}

export function podForLogs(pods: readonly Pod[]): Pod | undefined {
  return [...pods].sort(compareForLogging)[0];
}

function compareScheduled(a: Pod, b: Pod): number {
  const aScheduled = Boolean(a.spec.nodeName);
  const bScheduled = Boolean(b.spec.nodeName);
  if (a.spec.nodeName === b.spec.nodeName || aScheduled === bScheduled) return 0;
  return aScheduled ? -1 : 1;
}

/** Phases missing from kubectl's map (Succeeded, Failed) rank like Running. */
function rank(pod: Pod): number {
  return PHASE_RANK[pod.status.phase] ?? 0;
}

function readyCondition(pod: Pod) {
  return (pod.status.conditions ?? []).find((c) => c.type === 'Ready');
}

function isReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

function readySince(pod: Pod): string | undefined {
  return readyCondition(pod)?.lastTransitionTime;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status.containerStatuses ?? []).map((s) => s.restartCount));
}

/** Earlier first; a missing time sorts last. */
function compareTimes(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (!a) return 1;
  if (!b) return -1;
  return Date.parse(a) - Date.parse(b);
}
