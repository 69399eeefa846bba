import { ANNOTATION_DELETED, ANNOTATION_NODE_LOST, controllerRef, isPodFinished, k8sTime, noExecuteEviction, ownerJobUid, parseTime, type Pod, type PodCondition, type Taint } from '@jobfleet/kube';
import { forgetNodePod, heartbeatTime, isUnreadableRecord, nodePodMembers, nodePodRef, nodeRecords, nodeSpecRecords, onStoreDisconnect, putLostPod, recordJobEvent, type EventRecord, type JobStore, type StoredPod } from '@jobfleet/store';
import type { JobController } from './controller.js';
import { evictPodForTaint } from './pod-updates.js';
import { clip, type Logger } from './logger.js';

export interface NodeTimings {
  /** A node whose heartbeat is older than this is NotReady (Kubernetes' node-monitor-grace-period: 40 s). */
  graceMs: number;
  /** Pods of a NotReady node end as Failed this long after it became NotReady (Kubernetes evicts after 5 min). */
  evictionMs: number;
}

/** Kubernetes' values. */
export const DEFAULT_NODE_TIMINGS: NodeTimings = { graceMs: 40_000, evictionMs: 300_000 };

/**
 * How long a worker that cannot reach Redis keeps its pods: past this, the fleet may already have
 * declared them lost and be about to replace them, so the worker stops them itself.
 */
export function selfFenceAfterMs(t: NodeTimings): number {
  return t.graceMs + t.evictionMs / 2;
}

export { ANNOTATION_NODE_LOST };

/**
 * Watches the node registry. A node silent for longer than the grace period is NotReady: its pods
 * are marked terminating (they still hold their place in the Job's parallelism, since their
 * containers may still run), and after the eviction time they end as Failed with reason NodeLost
 * and the Job controller replaces them. A worker that restarts under the same name settles its
 * pods at once (see the worker's leftover cleanup).
 */
export class NodeMonitor {
  constructor(
    private readonly store: JobStore,
    private readonly controller: JobController,
    private readonly timings: NodeTimings,
    private readonly logger?: Logger,
  ) {
    // Commands wait out an outage instead of failing, so the outage is seen on the connection.
    onStoreDisconnect(store, () => (this.connectedSince = undefined));
  }

  /** Since when (Redis clock) this monitor has seen Redis without interruption. */
  private connectedSince?: number;
  /** Nodes this monitor logged as lost (and not yet as back): one line each way per outage. */
  private readonly lostNodes = new Set<string>();

  /**
   * A node is lost when its heartbeat is older than the grace period *and* this monitor has seen
   * Redis for at least that long: after a Redis outage every worker gets a full grace period to
   * heartbeat again before any of its pods is touched.
   */
  async check(): Promise<void> {
    try {
      const now = await this.store.now();
      this.connectedSince ??= now;
      const nodes = await nodeRecords(this.store);
      // Live nodes only: nothing to wait for after an outage.
      await this.evictForNoExecute(now, nodes);
      if (now - this.connectedSince <= this.timings.graceMs) return;
      for (const [name, raw] of Object.entries(nodes)) {
        // A record that cannot be read (anyone with Redis access could write one) is skipped, not judged.
        const heartbeat = heartbeatTime(raw);
        if (heartbeat === undefined) continue;
        const lost = now - heartbeat > this.timings.graceMs;
        this.logNode(name, lost, now - heartbeat);
        if (lost) await this.handleLostNode(name, now, heartbeat);
      }
      // A node whose record went (a worker that stopped cleanly) is forgotten.
      for (const name of this.lostNodes) if (!(name in nodes)) this.lostNodes.delete(name);
    } catch (err) {
      this.connectedSince = undefined;
      throw err;
    }
  }

  /**
   * The taint eviction controller, for the live nodes with NoExecute taints (kubectl taint … :NoExecute):
   * a pod that does not tolerate one goes at once, one that tolerates them with tolerationSeconds
   * once they are up (counted from when the taint was added, or the pod was scheduled if later):
   * the DisruptionTarget condition (DeletionByTaintManager), a TaintManagerEviction event, then
   * deleted as by kubectl delete pod (its node stops it; its Job counts and replaces it).
   */
  private async evictForNoExecute(now: number, heartbeats: Record<string, string>): Promise<void> {
    for (const [nodeName, spec] of Object.entries(await nodeSpecRecords(this.store))) {
      const taints = (spec.taints ?? []).filter((t) => t.effect === 'NoExecute');
      const heartbeat = heartbeatTime(heartbeats[nodeName]);
      if (taints.length === 0 || heartbeat === undefined || now - heartbeat > this.timings.graceMs) continue;
      for (const pod of await this.podsOf(nodeName)) {
        const ns = pod.metadata.namespace ?? 'default';
        const name = pod.metadata.name ?? '';
        const member = `${ns}/${name}`;
        if (isPodFinished(pod) || pod.metadata.deletionTimestamp || pod.spec.nodeName !== nodeName) continue;
        const scheduled = parseTime(pod.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime) ?? parseTime(pod.status.startTime) ?? 0;
        const since = (t: Taint) => Math.max(scheduled, parseTime(t.timeAdded) ?? 0);
        const at = noExecuteEviction(Array.isArray(pod.spec.tolerations) ? pod.spec.tolerations : undefined, taints, since);
        if (at === undefined || (at !== 'now' && at > now)) continue;
        const evicted = await evictPodForTaint(this.store, this.controller, ns, name, { uid: pod.metadata.uid }).catch(() => undefined);
        const owner = controllerRef(pod);
        if (!evicted || owner?.kind !== 'Job') continue;
        const event = { type: 'Normal' as const, reason: 'TaintManagerEviction', message: `Marking for deletion Pod ${ns}/${name}` };
        await recordJobEvent(this.store, owner.name, { about: { ...pod, apiVersion: 'v1', kind: 'Pod' }, jobUid: owner.uid, event, at: now, source: { component: 'taint-eviction-controller' } }).catch(() => undefined);
        this.logger?.info({ pod: clip(member, 253), node: clip(nodeName, 253) }, 'pod evicted: its node has a NoExecute taint it does not tolerate (any more)');
      }
    }
  }

  /** The pods a node holds (a pod that cannot be read is left out). */
  private async podsOf(nodeName: string): Promise<Pod[]> {
    const reads = await this.readNodePods(await nodePodMembers(this.store, nodeName)).catch(() => []);
    return reads.flatMap(({ read }) => (read && read !== 'unreadable' ? [read.pod] : []));
  }

  /** The pods of a node's pod set members, a batch of them per round trip ('unreadable': a record that cannot be read as a pod). */
  private async readNodePods(members: string[]): Promise<{ member: string; read: StoredPod | undefined | 'unreadable' }[]> {
    const out: { member: string; read: StoredPod | undefined | 'unreadable' }[] = [];
    for (let i = 0; i < members.length; i += NODE_POD_READ_BATCH) {
      const batch = members.slice(i, i + NODE_POD_READ_BATCH);
      const reads = await this.store.getPodsAt(batch.map(nodePodRef));
      batch.forEach((member, j) => out.push({ member, read: reads[j] }));
    }
    return out;
  }

  private logNode(name: string, lost: boolean, silentMs: number): void {
    if (lost && !this.lostNodes.has(name)) {
      this.lostNodes.add(name);
      const evictAfter = Math.round(this.timings.evictionMs / 1000);
      this.logger?.warn({ node: clip(name, 253), silentMs }, `node is not ready: no heartbeat for ${Math.round(silentMs / 1000)} s; its pods end as NodeLost after ${evictAfter} s unless it comes back (check the worker process and its host)`);
    } else if (!lost && this.lostNodes.delete(name)) {
      this.logger?.info({ node: clip(name, 253) }, 'node is ready again: its heartbeat is back');
    }
  }

  private async handleLostNode(nodeName: string, now: number, heartbeat: number): Promise<void> {
    for (const { member, read } of await this.readNodePods(await nodePodMembers(this.store, nodeName))) {
      // One unreadable pod record must not keep the node's other pods from being handled.
      if (read === 'unreadable') continue;
      try {
        await this.handleLostPod(nodeName, member, read, now, heartbeat);
      } catch (err) {
        if (!isUnreadableRecord(err)) throw err;
      }
    }
  }

  private async handleLostPod(nodeName: string, member: string, stored: StoredPod | undefined, now: number, heartbeat: number): Promise<void> {
    const { ns } = nodePodRef(member);
    const pod = stored?.pod;
    if (!stored || !pod || isPodFinished(pod) || pod.spec.nodeName !== nodeName) {
      await forgetNodePod(this.store, nodeName, member);
      return;
    }
    const lostAt = Number(pod.metadata.annotations?.[ANNOTATION_NODE_LOST] ?? NaN);
    const next = Number.isNaN(lostAt) ? markLost(pod, now) : now - lostAt >= this.timings.evictionMs ? failLost(pod, now) : undefined;
    if (!next) return;
    // Marked lost: the node controller's Warning NodeNotReady on the pod, once (in the commit that marks it).
    const jobUid = Number.isNaN(lostAt) ? ownerJobUid(pod) : undefined;
    const events: EventRecord[] = jobUid ? [{ about: { ...pod, apiVersion: 'v1', kind: 'Pod' }, jobUid, event: notReadyEvent(nodeName, now - heartbeat, this.timings), at: now, source: { component: 'node-controller' } }] : [];
    const result = await putLostPod(this.store, stored.rv, next, nodeName, events);
    const owner = controllerRef(pod);
    if (result.ok && owner?.kind === 'Job') await this.controller.syncJob(ns, owner.name);
  }
}

/** Pods of a node read in one round trip. */
const NODE_POD_READ_BATCH = 500;

/** Kubernetes' node controller records NodeNotReady on the pods of a node that stopped reporting; this one also says what follows. */
function notReadyEvent(nodeName: string, silentMs: number, timings: NodeTimings) {
  return {
    type: 'Warning' as const,
    reason: 'NodeNotReady',
    message: `Node ${nodeName} is not ready: no heartbeat for ${Math.round(silentMs / 1000)} s; the pod ends as NodeLost after ${Math.round(timings.evictionMs / 1000)} s unless the node comes back`,
  };
}

function markLost(pod: Pod, now: number): Pod {
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: { ...(pod.metadata.annotations ?? {}), [ANNOTATION_NODE_LOST]: String(now) },
      deletionTimestamp: pod.metadata.deletionTimestamp ?? k8sTime(now),
      deletionGracePeriodSeconds: 0,
    },
    status: { ...pod.status, reason: 'NodeLost', message: `Node ${pod.spec.nodeName} which was running pod ${pod.metadata.name} is unresponsive` },
  };
}

/**
 * Kubernetes evicts the pods of a node that stays unreachable through its taint manager, which
 * first gives each the DisruptionTarget condition with this reason and message: a podFailurePolicy
 * rule on DisruptionTarget (e.g. Ignore) applies to them.
 */
export const NODE_LOST_DISRUPTION: Disruption = { reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };

/**
 * Evicted: the pod ends as Failed (reason NodeLost) with the DisruptionTarget condition. Its
 * deletion mark goes: the pod has ended and stays listed as Failed, as a pod Kubernetes evicts does.
 */
function failLost(pod: Pod, now: number): Pod {
  const ended = lostPod(pod, now, 'NodeLost', `Node ${pod.spec.nodeName} was unresponsive for too long; the pod is considered lost`, NODE_LOST_DISRUPTION);
  // A pod a client deleted meanwhile stays deleted: its object goes once its Job counted it.
  if (ended.metadata.annotations?.[ANNOTATION_DELETED] !== undefined) return ended;
  const { deletionTimestamp: _at, deletionGracePeriodSeconds: _grace, ...metadata } = ended.metadata;
  return { ...ended, metadata };
}

export interface Disruption {
  reason: string;
  message: string;
}

/**
 * A pod whose node can no longer run it, ended as Failed; containers still shown running end as
 * killed. With `disruption`, the pod gets the DisruptionTarget condition (its other conditions are kept).
 */
export function lostPod(pod: Pod, now: number, reason: string, message: string, disruption?: Disruption): Pod {
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Failed',
      reason,
      message,
      ...(disruption ? { conditions: withDisruptionTarget(pod.status.conditions, disruption, now) } : {}),
      containerStatuses: (pod.status.containerStatuses ?? []).map((s) =>
        s.state.terminated ? s : { ...s, ready: false, state: { terminated: { exitCode: 137, reason, message, finishedAt: k8sTime(now) } } },
      ),
    },
  };
}

/** The conditions with DisruptionTarget=True set (replaced if present), as Kubernetes' UpdatePodCondition. */
export function withDisruptionTarget(conditions: PodCondition[] | undefined, disruption: Disruption, now: number): PodCondition[] {
  const t = k8sTime(now);
  const condition: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: disruption.reason, message: disruption.message, lastProbeTime: null, lastTransitionTime: t };
  const list = conditions ?? [];
  return list.some((c) => c.type === 'DisruptionTarget') ? list.map((c) => (c.type === 'DisruptionTarget' ? condition : c)) : [...list, condition];
}
