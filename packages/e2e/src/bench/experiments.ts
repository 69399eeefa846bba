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
 */
import { Redis } from 'ioredis';
import { isPodFinished, isPodReady, podRestartCount, type Pod, type PodStatus } from '@jobfleet/spec';
import { putOp, type Cluster, type StoredPod, type WriteOp } from '@jobfleet/store';
import { WorkerNode } from '@jobfleet/worker';

export const EXPERIMENTS = ['autopipeline', 'report-cache'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

interface WorkerInternals {
  cluster: Cluster;
  nodeName: string;
  draining: boolean;
  claim(ns: string, name: string, uid: string): Promise<StoredPod | undefined>;
  reportStatus(ns: string, name: string, status: PodStatus): Promise<boolean>;
  syncOwner(pod: Pod): Promise<void>;
}

export function applyExperiments(list: Experiment[]): void {
  for (const e of list) {
    if (e === 'autopipeline') {
      (Redis as unknown as { defaultOptions: { enableAutoPipelining: boolean } }).defaultOptions.enableAutoPipelining = true;
    } else if (e === 'report-cache') {
      patchReportCache();
    }
  }
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
      const ops: WriteOp[] = [putOp(keys.pod(ns, name), cached.rv, after)];
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
