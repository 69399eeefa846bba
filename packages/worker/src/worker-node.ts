import { hostname } from 'node:os';
import { DelayedError, Worker, type Job as Task } from 'bullmq';
import type { Redis } from 'ioredis';
import { ANNOTATION_STOP_REASON, type NodeHeartbeat, isPodFinished as isFinished, isPodReady, k8sTime, podRestartCount, type Pod, type PodStatus } from '@jobfleet/spec';
import {
  Cluster,
  lostPod,
  nodeTimingsFromEnv,
  parseStopMessage,
  POD_QUEUE,
  selfFenceAfterMs,
  type NodeTimings,
  type PodTask,
  type StoredPod,
  type WriteOp,
} from '@jobfleet/store';
import { DockerEngine, LABELS } from './docker.js';
import { DEFAULT_POD_LOG_MAX_BYTES, PodLogWriter } from './log-writer.js';
import { PodRunner, type StatusReporter } from './pod-runner.js';

export interface WorkerNodeOptions {
  redisUrl: string;
  /** Defaults to JOBFLEET_NODE_NAME or the host name. */
  nodeName?: string;
  /** Most pods this node runs at once (default 110, like a kubelet). */
  maxPods?: number;
  prefix?: string;
  /** Image of the infra container of multi-container pods (default busybox:latest). */
  pauseImage?: string;
  /** Pull missing images with this timeout; unset: never pull (ErrImageNeverPull). */
  pullTimeoutMs?: number;
  podLogMaxBytes?: number;
  /** How often the node refreshes its heartbeat and re-checks its pods (default 2000 ms). */
  heartbeatMs?: number;
  /** How long close() lets running pods finish before stopping them (default 30 s). */
  drainTimeoutMs?: number;
  docker?: DockerEngine;
  /**
   * Replaces Docker as the way pods run. Only for measuring the control plane (the benchmarks'
   * instant runtime); never set in production.
   */
  runtime?: PodRuntime;
}

/** Runs one pod to its end, reporting its status; what the worker needs of a pod runner. */
export interface RunningPodLike {
  run(): Promise<PodStatus>;
  stop(reason: string, graceSeconds: number): void;
  readonly stopReason: string | undefined;
}

export type PodRuntime = (pod: Pod, report: StatusReporter, logs: PodLogWriter) => RunningPodLike;

export const DEFAULT_MAX_PODS = 110;
/** Heartbeats between two sweeps for orphaned containers (30 s at the default 2 s heartbeat). */
const ORPHAN_SWEEP_BEATS = 15;
/** How long after its claim a pod must have a runner on its node. */
const CLAIM_SETTLE_MS = 30_000;

interface WorkerSettings {
  pauseImage: string;
  pullTimeoutMs?: number;
  podLogMaxBytes: number;
  heartbeatMs: number;
  drainTimeoutMs: number;
}

/** Options, else JOBFLEET_* environment variables, else the defaults. */
function workerSettingsFromEnv(opts: WorkerNodeOptions, env: Record<string, string | undefined> = process.env): WorkerSettings {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, got "${raw}"`);
    return n;
  };
  return {
    pauseImage: opts.pauseImage ?? env.JOBFLEET_PAUSE_IMAGE ?? 'busybox:latest',
    pullTimeoutMs: opts.pullTimeoutMs ?? num('JOBFLEET_PULL_TIMEOUT_MS'),
    podLogMaxBytes: opts.podLogMaxBytes ?? num('JOBFLEET_POD_LOG_MAX_BYTES') ?? DEFAULT_POD_LOG_MAX_BYTES,
    heartbeatMs: opts.heartbeatMs ?? num('JOBFLEET_HEARTBEAT_MS') ?? 2_000,
    drainTimeoutMs: opts.drainTimeoutMs ?? num('JOBFLEET_DRAIN_TIMEOUT_MS') ?? 30_000,
  };
}

interface RunningPod {
  runner: RunningPodLike;
  uid: string;
  terminationGraceSeconds: number;
  /** The pod as this node last wrote it. */
  last?: StoredPod;
}

/** A worker node: takes pod tasks up to its capacity and runs each pod in Docker. */
export class WorkerNode {
  readonly nodeName: string;
  private readonly cluster: Cluster;
  readonly engine: DockerEngine;
  private readonly running = new Map<string, RunningPod>();
  private taskWorker?: Worker<PodTask>;
  private syncWorker?: Worker;
  private subscriber?: Redis;
  private heartbeat?: NodeJS.Timeout;
  private readonly maxPods: number;
  private readonly timings: NodeTimings;
  private readonly settings: WorkerSettings;
  private draining = false;
  private dockerAnswers = true;
  private startedAt?: number;
  private lastBeat = Date.now();
  private hostCapacity: { cpu?: number; memory?: number } = {};
  private beating = false;
  private beats = 0;

  constructor(private readonly opts: WorkerNodeOptions) {
    this.nodeName = opts.nodeName ?? process.env.JOBFLEET_NODE_NAME ?? hostname();
    this.maxPods = opts.maxPods ?? DEFAULT_MAX_PODS;
    this.cluster = new Cluster({ redisUrl: opts.redisUrl, prefix: opts.prefix });
    this.engine = opts.docker ?? new DockerEngine();
    this.timings = nodeTimingsFromEnv();
    this.settings = workerSettingsFromEnv(opts);
  }

  async start(): Promise<void> {
    if (!(await this.engine.ping())) throw new Error('the Docker Engine does not answer: start dockerd (npm run setup does) or set DOCKER_HOST');
    this.hostCapacity = await this.engine.capacity();
    await this.removeOrphans('NodeRestarted');
    await this.listenForStops();
    await this.beat();
    this.heartbeat = setInterval(() => this.tick(), this.settings.heartbeatMs);
    this.syncWorker = this.cluster.startSyncRunner();
    this.taskWorker = new Worker<PodTask>(POD_QUEUE, (task, token) => this.runTask(task, token), {
      connection: this.cluster.connection(),
      prefix: this.cluster.store.keys.queuePrefix,
      concurrency: this.maxPods,
      lockDuration: 60_000,
      maxStalledCount: 1_000_000, // a redelivered task is harmless: the pod claim is the fence
    });
    this.taskWorker.on('error', () => undefined);
  }

  /** Stops taking tasks, lets running pods finish up to the drain timeout (heartbeating meanwhile), then hands the rest back. */
  async close(): Promise<void> {
    this.draining = true;
    const drained = this.taskWorker?.close();
    const drainTimeout = setTimeout(() => {
      for (const { runner } of this.running.values()) runner.stop('NodeShutdown', 0);
    }, this.settings.drainTimeoutMs);
    await drained;
    clearTimeout(drainTimeout);
    clearInterval(this.heartbeat);
    await this.syncWorker?.close();
    await this.cluster.redis.hdel(this.cluster.store.keys.nodes, this.nodeName).catch(() => undefined);
    this.subscriber?.disconnect();
    await this.cluster.close();
  }

  private async runTask(task: Task<PodTask>, token?: string): Promise<void> {
    const { ns, name } = task.data;
    if (!this.dockerAnswers) {
      // Hand the task back for another node (or this one, once its engine answers again).
      await task.moveToDelayed(Date.now() + 1_000, token);
      throw new DelayedError();
    }
    const claimed = await this.claim(ns, name, task.data.uid);
    if (!claimed) return;
    const pod = claimed.pod;
    const { podLogMaxBytes, pauseImage, pullTimeoutMs } = this.settings;
    const store = this.cluster.store;
    const logs = new PodLogWriter(store.redis, store.keys.podLog(ns, name), podLogMaxBytes, (unstreamed, streamed) => store.logs.archive(ns, name, unstreamed, streamed));
    const report: StatusReporter = (status) => this.reportStatus(ns, name, status);
    const runner = this.opts.runtime
      ? this.opts.runtime(pod, report, logs)
      : new PodRunner(pod, { engine: this.engine, nodeName: this.nodeName, delays: this.cluster.delays, pauseImage, pullTimeoutMs }, report, logs);
    this.running.set(`${ns}/${name}`, { runner, uid: pod.metadata.uid ?? '', terminationGraceSeconds: pod.spec.terminationGracePeriodSeconds ?? 30, last: claimed });
    try {
      await runner.run();
    } finally {
      this.running.delete(`${ns}/${name}`);
    }
    await this.syncOwner(pod);
  }

  /** Takes a Pending pod for this node; undefined when another node has it or it is gone. */
  private async claim(ns: string, name: string, uid: string): Promise<StoredPod | undefined> {
    for (;;) {
      const stored = await this.cluster.store.getPod(ns, name);
      const pod = stored?.pod;
      if (!stored || !pod || pod.metadata.uid !== uid || pod.spec.nodeName || pod.status.phase !== 'Pending' || pod.metadata.deletionTimestamp) return undefined;
      const claimed: Pod = {
        ...pod,
        spec: { ...pod.spec, nodeName: this.nodeName },
        status: { ...pod.status, conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: k8sTime(Date.now()) }] },
      };
      const keys = this.cluster.store.keys;
      const result = await this.cluster.store.commit([
        await this.cluster.store.podPutOp(keys.pod(ns, name), stored.rv, claimed),
        { op: 'sadd', key: keys.nodePods(this.nodeName), member: `${ns}/${name}` },
      ]);
      if (result.ok) return { pod: claimed, rv: result.rvs[0] ?? '' };
    }
  }

  /**
   * Writes the pod's status; false when the pod no longer exists or was already ended by someone
   * else (the node monitor). Stops the pod if it is being deleted. A pod stopped because this node
   * shuts down is handed back: it is marked so that the controller replaces it without counting a
   * failure.
   */
  private async reportStatus(ns: string, name: string, status: PodStatus): Promise<boolean> {
    const keys = this.cluster.store.keys;
    const running = this.running.get(`${ns}/${name}`);
    // Start from the version this node wrote last; re-read only when someone else wrote since.
    let stored = running?.last ?? (await this.cluster.store.getPod(ns, name));
    for (;; stored = await this.cluster.store.getPod(ns, name)) {
      if (!stored || isFinished(stored.pod)) return false;
      const before = stored.pod;
      const handedBack = this.draining && isFinished({ ...before, status }) && this.running.get(`${ns}/${name}`)?.runner.stopReason === 'NodeShutdown';
      const annotations = handedBack ? { ...(before.metadata.annotations ?? {}), [ANNOTATION_STOP_REASON]: 'NodeShutdown' } : before.metadata.annotations;
      const after: Pod = { ...before, metadata: { ...before.metadata, ...(annotations ? { annotations } : {}) }, status };
      const ops: WriteOp[] = [await this.cluster.store.podPutOp(keys.pod(ns, name), stored.rv, after)];
      if (isFinished(after)) ops.push({ op: 'srem', key: keys.nodePods(this.nodeName), member: `${ns}/${name}` });
      const result = await this.cluster.store.commit(ops);
      if (!result.ok) continue;
      if (running) running.last = { pod: after, rv: result.rvs[0] ?? '' };
      if (before.metadata.deletionTimestamp) this.running.get(`${ns}/${name}`)?.runner.stop('Terminated', before.metadata.deletionGracePeriodSeconds ?? 30);
      const changed = before.status.phase !== after.status.phase || podRestartCount(before) !== podRestartCount(after) || isPodReady(before) !== isPodReady(after);
      if (changed && after.status.phase !== 'Succeeded' && after.status.phase !== 'Failed') await this.syncOwner(after);
      return true;
    }
  }

  private async syncOwner(pod: Pod): Promise<void> {
    const owner = pod.metadata.ownerReferences?.[0];
    if (owner) await this.cluster.controller.syncJob(pod.metadata.namespace ?? 'default', owner.name);
  }

  private async listenForStops(): Promise<void> {
    this.subscriber = this.cluster.connection();
    this.subscriber.on('message', (_channel: string, message: string) => {
      const { key, graceSeconds } = parseStopMessage(message);
      void this.checkPod(key, graceSeconds);
    });
    await this.subscriber.subscribe(this.cluster.store.keys.nodeChannel(this.nodeName));
  }

  /**
   * Re-reads one running pod (its node was told it is being stopped) and stops it if so.
   */
  private async checkPod(key: string, graceSeconds?: number): Promise<void> {
    const running = this.running.get(key);
    if (!running) return;
    const [ns = '', name = ''] = key.split('/');
    const stored = await this.cluster.store.getPod(ns, name).catch(() => 'unknown' as const);
    if (stored !== 'unknown') stopIfDeleted(running, stored?.pod, graceSeconds);
  }

  /**
   * Renews this node's entry in the registry, re-checks its pods, and follows its Docker Engine:
   * no tasks are taken while the engine does not answer. A node that could not renew for long
   * enough that the fleet may replace its pods stops them itself (self-fencing).
   */
  private tick(): void {
    if (Date.now() - this.lastBeat > selfFenceAfterMs(this.timings)) {
      for (const { runner } of this.running.values()) runner.stop('NodeLost', 0);
    }
    if (this.beating) return; // the last one still waits for Redis
    this.beating = true;
    void this.beat()
      .catch(() => undefined)
      .finally(() => (this.beating = false));
  }

  private async beat(): Promise<void> {
    const docker = await this.engine.ping();
    await this.followDocker(docker);
    const now = await this.cluster.store.now();
    this.startedAt ??= now;
    const record: NodeHeartbeat = { name: this.nodeName, capacity: { pods: this.maxPods, ...this.hostCapacity }, running: this.running.size, heartbeat: now, docker, startedAt: this.startedAt };
    await this.cluster.redis.hset(this.cluster.store.keys.nodes, this.nodeName, JSON.stringify(record));
    this.lastBeat = Date.now();
    await this.checkRunningPods();
    if (++this.beats % ORPHAN_SWEEP_BEATS === 0 && docker) await this.removeOrphans('Orphaned');
  }

  /** Stops running pods that were deleted or marked for deletion meanwhile (a missed message). One read per namespace. */
  private async checkRunningPods(): Promise<void> {
    const byNs = new Map<string, string[]>();
    for (const key of this.running.keys()) {
      const [ns = '', name = ''] = key.split('/');
      byNs.set(ns, [...(byNs.get(ns) ?? []), name]);
    }
    for (const [ns, names] of byNs) {
      const found = new Map((await this.cluster.store.getPods(ns, names)).map((p) => [p.pod.metadata.name, p.pod]));
      for (const name of names) {
        const running = this.running.get(`${ns}/${name}`);
        if (running) stopIfDeleted(running, found.get(name));
      }
    }
  }

  private async followDocker(answers: boolean): Promise<void> {
    this.dockerAnswers = answers;
    if (!this.taskWorker) return;
    if (!answers && !this.taskWorker.isPaused()) await this.taskWorker.pause(true);
    if (answers && this.taskWorker.isPaused() && !this.draining) this.taskWorker.resume();
  }

  /**
   * Containers and volumes of this node that belong to no pod this process runs: at start, what
   * an earlier process left (it crashed or was killed); later, what a race left behind (a pod
   * deleted while its container was being created). Their pods cannot be resumed: the containers
   * go first, then a pod still marked as running here ends as Failed and the Job controller
   * replaces it. Runs at start and every ORPHAN_SWEEP_BEATS heartbeats.
   */
  private async removeOrphans(reason: 'NodeRestarted' | 'Orphaned'): Promise<void> {
    const isOrphan = (labels: Record<string, string> | undefined) => !this.running.has(`${labels?.[LABELS.namespace]}/${labels?.[LABELS.pod]}`);
    const orphans = (await this.engine.listManaged({ [LABELS.node]: this.nodeName })).filter((c) => isOrphan(c.Labels));
    const pods = new Map<string, string>();
    for (const c of orphans) pods.set(`${c.Labels[LABELS.namespace]}/${c.Labels[LABELS.pod]}`, c.Labels[LABELS.podUid] ?? '');
    await Promise.all(orphans.map((c) => this.engine.remove(c.Id)));
    const volumes = await this.engine.listManagedVolumes({ [LABELS.node]: this.nodeName });
    await Promise.all(volumes.filter((v) => isOrphan(v.labels)).map((v) => this.engine.removeVolume(v.name)));
    for (const [key, uid] of pods) await this.failLostPod(key, uid, reason);
    await this.failPodsWithoutRunner(reason);
  }

  /**
   * Pods recorded as claimed by this node that no runner of this process holds (a crash between a
   * pod's cleanup and its last report leaves one with no container at all). A claim younger than
   * CLAIM_SETTLE_MS is left alone: its runner may be starting right now.
   */
  private async failPodsWithoutRunner(reason: 'NodeRestarted' | 'Orphaned'): Promise<void> {
    const store = this.cluster.store;
    const members = await store.redis.smembers(store.keys.nodePods(this.nodeName));
    const now = await store.now();
    for (const key of members.filter((k) => !this.running.has(k))) {
      const [ns = '', name = ''] = key.split('/');
      const pod = (await store.getPod(ns, name))?.pod;
      const scheduledAt = Date.parse(pod?.status.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime ?? '');
      if (pod && reason === 'Orphaned' && !(now - scheduledAt > CLAIM_SETTLE_MS)) continue;
      if (pod && pod.spec.nodeName === this.nodeName) await this.failLostPod(key, pod.metadata.uid ?? '', reason);
      else await store.redis.srem(store.keys.nodePods(this.nodeName), key);
    }
  }

  private async failLostPod(key: string, uid: string, reason: 'NodeRestarted' | 'Orphaned'): Promise<void> {
    const [ns = '', name = ''] = key.split('/');
    const keys = this.cluster.store.keys;
    const stored = await this.cluster.store.getPod(ns, name);
    const pod = stored?.pod;
    if (!stored || !pod || pod.metadata.uid !== uid || isFinished(pod)) {
      await this.cluster.redis.srem(keys.nodePods(this.nodeName), key);
      return;
    }
    const message = reason === 'NodeRestarted' ? `The worker ${this.nodeName} restarted while the pod ran` : `The worker ${this.nodeName} lost track of the pod`;
    const failed = lostPod(pod, await this.cluster.store.now(), reason, message);
    const result = await this.cluster.store.commit([
      await this.cluster.store.podPutOp(keys.pod(ns, name), stored.rv, failed),
      { op: 'srem', key: keys.nodePods(this.nodeName), member: key },
    ]);
    if (result.ok) await this.syncOwner(pod);
  }
}

/**
 * Stops a pod that was deleted (or replaced by a namesake) or marked for deletion: SIGTERM, then
 * SIGKILL after the grace period (the deletion's, else the pod's terminationGracePeriodSeconds).
 */
function stopIfDeleted(running: RunningPod, pod: Pod | undefined, graceSeconds?: number): void {
  if (!pod || pod.metadata.uid !== running.uid) running.runner.stop('Deleted', graceSeconds ?? running.terminationGraceSeconds);
  else if (pod.metadata.deletionTimestamp) running.runner.stop('Terminated', pod.metadata.deletionGracePeriodSeconds ?? running.terminationGraceSeconds);
}

export async function startWorker(opts: WorkerNodeOptions): Promise<WorkerNode> {
  const node = new WorkerNode(opts);
  await node.start();
  return node;
}
