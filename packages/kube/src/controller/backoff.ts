/**
 * Delays of the Job controller (pod re-creation after a failure, restartPolicy Never) and of the
 * kubelet (container restart in place, restartPolicy OnFailure). Kubernetes' values are the
 * defaults; every process may shorten them (tests do).
 */
export interface Delays {
  /** First delay before re-creating a failed pod (Kubernetes: 10 s). */
  podFailureBackoffBaseMs: number;
  /** Cap of that delay (Kubernetes documents 6 min; jobfleet uses the documented value). */
  podFailureBackoffMaxMs: number;
  /** First delay before restarting a failed container in place (kubelet: 10 s). */
  containerRestartBackoffBaseMs: number;
  /** Cap of that delay (kubelet: 300 s). */
  containerRestartBackoffMaxMs: number;
}

export const KUBERNETES_DELAYS: Delays = {
  podFailureBackoffBaseMs: 10_000,
  podFailureBackoffMaxMs: 360_000,
  containerRestartBackoffBaseMs: 10_000,
  containerRestartBackoffMaxMs: 300_000,
};

/** Doubling delay for the n-th consecutive failure (n ≥ 1), capped. 0 for n ≤ 0. */
export function exponentialBackoff(failuresInRow: number, baseMs: number, maxMs: number): number {
  if (failuresInRow <= 0) return 0;
  const exponent = Math.min(failuresInRow - 1, 30);
  return Math.min(baseMs * 2 ** exponent, maxMs);
}

/** Failed pods since the last success, and when the last of them finished: what the re-creation backoff waits on. */
export interface BackoffRecord {
  failuresInRow: number;
  /** ms; set whenever failuresInRow > 0 (records written before it was always set may lack it). */
  lastFailureAt?: number;
}

/**
 * The record after counting newly finished pods, given their finish times (Kubernetes'
 * newBackoffRecord, pkg/controller/job/backoff_utils.go): a success resets it, and only the
 * failures that finished after the last new success count; with no new success every new failure
 * adds one, and the latest of them is the last failure.
 */
export function nextBackoffRecord(record: BackoffRecord, succeededAt: readonly number[], failedAt: readonly number[]): BackoffRecord {
  if (succeededAt.length === 0 && failedAt.length === 0) return record;
  const failures = [...failedAt].sort((a, b) => a - b);
  if (succeededAt.length === 0) {
    return { failuresInRow: record.failuresInRow + failures.length, lastFailureAt: failures[failures.length - 1] };
  }
  const lastSuccess = Math.max(...succeededAt);
  const after = failures.filter((t) => t > lastSuccess);
  return after.length === 0 ? { failuresInRow: 0 } : { failuresInRow: after.length, lastFailureAt: after[after.length - 1] };
}

/** How long to wait before creating pods again (Kubernetes' getRemainingTime); 0 when no wait. */
export function backoffRemaining(record: BackoffRecord, now: number, baseMs: number, maxMs: number): number {
  if (record.failuresInRow <= 0 || record.lastFailureAt === undefined) return 0;
  const delay = exponentialBackoff(record.failuresInRow, baseMs, maxMs);
  return Math.max(0, record.lastFailureAt + delay - now);
}
