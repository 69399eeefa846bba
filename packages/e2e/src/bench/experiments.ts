/**
 * BENCHMARK ONLY, opt-in (`--experiment=name,…`): runtime patches of this process's modules that
 * try a proposed fix of a hot spot without editing the package that owns the code, so that its
 * effect can be measured against the unpatched baseline. Nothing here is used unless asked for;
 * the numbers in BENCHMARKS.md's main table are always taken without experiments.
 *
 *   autopipeline   ioredis `enableAutoPipelining` on every connection (commands issued in the same
 *                  tick go out in one write): proposed for newRedis() in packages/store/src/cluster.ts.
 *   sync-no-wait   the worker does not wait for the Job sync it asks for after a pod's report or at
 *                  the end of a pod task. Today JobController.syncJob coalesces calls into one loop
 *                  (`do { syncNow } while (again)`) and every caller awaits the whole loop, which
 *                  keeps spinning while pods keep finishing: pods and their BullMQ slots wait in
 *                  a convoy. Proposed for WorkerNode.syncOwner (packages/worker/src/worker-node.ts)
 *                  or, better, syncJob resolving each caller after the first sync that started
 *                  after its call (packages/store/src/controller.ts).
 *   stream-node-512  CONFIG SET stream-node-max-bytes 512 on the benchmark's Redis: Redis 7.0 gives
 *                  a new stream's first node a listpack of stream-node-max-bytes (4096 by default),
 *                  so every pod's log stream costs ~4.7 KB even for one line. Proposed for the
 *                  arguments of startEmbeddedRedis (packages/store/src/embedded-redis.ts) and the
 *                  documented Redis settings.
 */
import { Redis } from 'ioredis';
import type { Pod } from '@jobfleet/kube';
import { WorkerNode } from '@jobfleet/worker';

export const EXPERIMENTS = ['autopipeline', 'sync-no-wait', 'stream-node-512'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

interface WorkerInternals {
  syncOwner(pod: Pod): Promise<void>;
}

/** Patches that act on this process; call before any connection is made. */
export function applyExperiments(list: Experiment[]): void {
  for (const e of list) {
    if (e === 'autopipeline') {
      (Redis as unknown as { defaultOptions: { enableAutoPipelining: boolean } }).defaultOptions.enableAutoPipelining = true;
    } else if (e === 'sync-no-wait') {
      const proto = WorkerNode.prototype as unknown as WorkerInternals;
      const syncOwner = proto.syncOwner;
      proto.syncOwner = function (this: WorkerInternals, pod: Pod) {
        void syncOwner.call(this, pod).catch(() => undefined); // the delayed sync timers retry a failed sync
        return Promise.resolve();
      };
    }
  }
}

/** Settings of the benchmark's Redis server. */
export async function applyRedisExperiments(list: Experiment[], admin: Redis): Promise<void> {
  if (list.includes('stream-node-512')) await admin.config('SET', 'stream-node-max-bytes', '512');
}
