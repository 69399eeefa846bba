/**
 * @jobfleet/testing (private): what the packages' tests share instead of each keeping a copy. The
 * store's own tests cannot use it (it depends on the store): they take startScratchRedis from the store.
 */
import type { Delays, Job, JobSpec } from '@jobfleet/kube';

/** A redis-server of the test's own, without persistence, in a temporary directory. */
export { startScratchRedis, startEmbeddedRedis, type EmbeddedRedis } from '@jobfleet/store';

/** Re-creation and restarts without waiting, so that replacements are visible at once. */
export const NO_DELAYS: Delays = { podFailureBackoffBaseMs: 0, podFailureBackoffMaxMs: 0, containerRestartBackoffBaseMs: 0, containerRestartBackoffMaxMs: 0 };

/**
 * A Job as the API server stores it after defaulting: one pod at a time, one completion, six
 * retries, a busybox container that is never started (the controller tests run no worker).
 */
export function defaultedJob(name: string, spec: Partial<JobSpec> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
  };
}
