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

const ENV_NAMES: Record<keyof Delays, string> = {
  podFailureBackoffBaseMs: 'JOBFLEET_POD_BACKOFF_BASE_MS',
  podFailureBackoffMaxMs: 'JOBFLEET_POD_BACKOFF_MAX_MS',
  containerRestartBackoffBaseMs: 'JOBFLEET_RESTART_BACKOFF_BASE_MS',
  containerRestartBackoffMaxMs: 'JOBFLEET_RESTART_BACKOFF_MAX_MS',
};

/** Kubernetes' delays, overridden by JOBFLEET_*_MS environment variables where set. */
export function delaysFromEnv(env: Record<string, string | undefined> = process.env): Delays {
  const out = { ...KUBERNETES_DELAYS };
  for (const key of Object.keys(ENV_NAMES) as (keyof Delays)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${ENV_NAMES[key]} must be a number of milliseconds ≥ 0, got "${raw}"`);
    out[key] = value;
  }
  return out;
}
