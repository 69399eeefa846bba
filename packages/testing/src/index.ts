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

/** What podLogMemory needs of a Redis client (this package does not import ioredis: any client with `call` will do). */
export interface RedisCaller {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * Bytes of Redis a pod's log holds, as MEMORY USAGE counts them: its stream while the pod runs, and
 * once it ended its archive, field l of the pod's hash — measured as what the hash takes beyond a
 * copy of itself without that field (the copy is removed again).
 */
export async function podLogMemory(redis: RedisCaller, keys: { pod: string; stream: string }): Promise<number> {
  const usage = async (key: string) => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const copy = `${keys.pod}:without-log`;
  await redis.call('COPY', keys.pod, copy, 'REPLACE');
  await redis.call('HDEL', copy, 'l');
  const withoutLog = await usage(copy);
  await redis.call('DEL', copy);
  const withLog = await usage(keys.pod);
  return (await usage(keys.stream)) + (withLog > 0 ? withLog - withoutLog : 0);
}
