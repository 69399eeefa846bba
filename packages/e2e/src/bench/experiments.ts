/**
 * BENCHMARK ONLY, opt-in (`--experiment=name,…`): runtime patches of this process's modules that
 * try a proposed fix of a hot spot without editing the package that owns the code, so that its
 * effect can be measured against the unpatched baseline. Nothing here is used unless asked for;
 * the numbers in BENCHMARKS.md's main table are always taken without experiments.
 *
 *   autopipeline   ioredis `enableAutoPipelining` on every connection (commands issued in the same
 *                  tick go out in one write): proposed for newRedis() in packages/store/src/cluster.ts.
 *   report-cache   the worker writes a pod's status against the pod and resourceVersion it wrote
 *                  last (from the claim or its previous report) instead of re-reading the pod before
 *                  every report; on a conflict it falls back to the original read-modify-write.
 *                  Proposed for WorkerNode.claim/reportStatus in packages/worker/src/worker-node.ts.
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
import { isPodFinished, isPodReady, podRestartCount, type Pod, type PodStatus } from '@jobfleet/spec';
import { putOp, type Cluster, type StoredPod, type WriteOp } from '@jobfleet/store';
import { WorkerNode } from '@jobfleet/worker';

export const EXPERIMENTS = ['autopipeline', 'report-cache', 'sync-no-wait', 'stream-node-512'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

interface WorkerInternals {
  cluster: Cluster;
  nodeName: string;
  draining: boolean;
  claim(ns: string, name: string, uid: string): Promise<StoredPod | undefined>;
  reportStatus(ns: string, name: string, status: PodStatus): Promise<boolean>;
  syncOwner(pod: Pod): Promise<void>;
}

/** Patches that act on this process; call before any connection is made. */
export function applyExperiments(list: Experiment[]): void {
  for (const e of list) {
    if (e === 'autopipeline') {
      (Redis as unknown as { defaultOptions: { enableAutoPipelining: boolean } }).defaultOptions.enableAutoPipelining = true;
    } else if (e === 'report-cache') {
      patchReportCache();
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

function patchReportCache(): void {
  const proto = WorkerNode.prototype as unknown as WorkerInternals;
  const lastWritten = new WeakMap<object, Map<string, StoredPod>>();
  const cacheOf = (node: object) => {
    let m = lastWritten.get(node);
    if (!m) lastWritten.set(node, (m = new Map()));
    return m;
  };
  const claim = proto.claim;
  proto.claim = async function (this: WorkerInternals, ns, name, uid) {
    const claimed = await claim.call(this, ns, name, uid);
    if (claimed) cacheOf(this).set(`${ns}/${name}`, claimed);
    return claimed;
  };
  const reportStatus = proto.reportStatus;
  proto.reportStatus = async function (this: WorkerInternals, ns, name, status) {
    const key = `${ns}/${name}`;
    const cache = cacheOf(this);
    const cached = cache.get(key);
    // Only the plain case goes the fast way; draining (hand-back annotations) keeps the original path.
    if (cached && !this.draining && !cached.pod.metadata.deletionTimestamp) {
      const before = cached.pod;
      const after: Pod = { ...before, status };
      const keys = this.cluster.store.keys;
      // Newer stores write pods through JobStore.podPutOp (compressed); older ones through putOp.
      const store = this.cluster.store as unknown as { podPutOp?: (key: string, expect: string, pod: Pod) => Promise<WriteOp> };
      const put = store.podPutOp ? await store.podPutOp(keys.pod(ns, name), cached.rv, after) : putOp(keys.pod(ns, name), cached.rv, after as never);
      const ops: WriteOp[] = [put];
      if (isPodFinished(after)) ops.push({ op: 'srem', key: keys.nodePods(this.nodeName), member: key });
      const result = await this.cluster.store.commit(ops);
      if (result.ok) {
        if (isPodFinished(after)) cache.delete(key);
        else cache.set(key, { pod: after, rv: result.rvs[0] ?? '' });
        const changed = before.status.phase !== after.status.phase || podRestartCount(before) !== podRestartCount(after) || isPodReady(before) !== isPodReady(after);
        if (changed && after.status.phase !== 'Succeeded' && after.status.phase !== 'Failed') await this.syncOwner(after);
        return true;
      }
    }
    cache.delete(key);
    return reportStatus.call(this, ns, name, status);
  };
}
