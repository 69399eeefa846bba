import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Delays, Taint } from '@jobfleet/kube';
import { ANNOTATION_DELETED, ANNOTATION_STOP_REASON, isPodFinished, type NodeHeartbeat, type NodeSpecRecord, type NodeView, type Fit, fitsNode, mayPreferOtherNodes, nodeView, podRequests, preferenceScores, toResourceList, unschedulableMessage, isPodReady, controllerRef, isSidecar, k8sTime, ownerJobUid, podQOSClass, podRestartCount, type Pod, type PodStatus, type ResourceList } from '@jobfleet/kube';
import { ANNOTATION_NODE_LOST, Cluster, DEFAULT_NODE_TIMINGS, lostPod, selfFenceAfterMs, settleDeletedPod, silentLogger, clip, type Logger, type NodeTimings, type RunningMetricsServer } from '@jobfleet/controllers';
import {
  isStoreUnavailable,
  markPodUnschedulable,
  MAX_SKIP,
  nodeSpec,
  nodePodRef,
  putNodeSpec,
  storedNodes,
  NodeLease,
  newWriteId,
  PodTaskConsumer,
  type PodLogFinish,
  type PodStatusResult,
  type PodTaskOutcome,
  type ReceivedPodTask,
  type RedisConnectionOptions,
  type StoreLimits,
  type StoredPod,
  type EventRecord,
} from '@jobfleet/store';
import { DEFAULT_DOCKER_TIMEOUT_MS, DockerEngine, LABELS } from './docker.js';
import { DEFAULT_EVENT_BURST, DEFAULT_EVENT_QPS, KubeletEventRecorder, type KubeletEvent } from './kubelet-events.js';
import { DEFAULT_JOB_LOG_MAX_BYTES, DEFAULT_POD_LOG_MAX_BYTES, PodLogWriter } from './log-writer.js';
import { nodeIP } from './node-ip.js';
import { detectGpus } from './gpu.js';
import { NodeResources, nodeCapacity, type Reservation } from './node-resources.js';
import { WorkerMetrics } from './metrics.js';
import { admitPod, refusedPodStatus } from './pod-admission.js';
import { DEFAULT_DOCKER_OUTAGE_MS, PodRunner, type StatusReporter } from './pod-runner.js';
import { mergePodConditions, recordedPodStatus, type RecordedContainer } from './pod-status.js';

export interface WorkerNodeOptions {
  redisUrl: string;
  /** Credentials and TLS for the Redis connections (beyond what the URL says). */
  redisConnection?: RedisConnectionOptions;
  /** Defaults to the host name (the CLI reads --node-name / JOBFLEET_NODE_NAME). */
  nodeName?: string;
  /** Most pods this node runs at once (default 110, like a kubelet). */
  maxPods?: number;
  /**
   * What the node advertises as status.capacity and status.allocatable, by resource name, over what is
   * detected (the Docker Engine's NCPU and MemTotal, GPUs from nvidia-smi): the CLI's --capacity
   * cpu=2,memory=4Gi,pods=20,nvidia.com/gpu=1. `pods` here wins over maxPods.
   */
  capacity?: Record<string, string>;
  /** Labels the node registers with, beyond the kubelet's own (the CLI's --node-labels). */
  nodeLabels?: Record<string, string>;
  /** Taints the node registers with (the CLI's --register-with-taints key=value:NoSchedule). */
  registerWithTaints?: Taint[];
  prefix?: string;
  /** Object size and change stream bounds (every role of a fleet must agree). */
  limits?: StoreLimits;
  /** The Job controller's backoff delays of the syncs this node runs (default: Kubernetes'). */
  delays?: Delays;
  /** When the fleet considers a silent node lost (default: Kubernetes'): the node stops its pods itself before that. */
  nodeTimings?: Partial<NodeTimings>;
  /** Image of the infra container of multi-container pods (default busybox:latest). */
  pauseImage?: string;
  /** Pull missing images with this timeout; unset: never pull (ErrImageNeverPull). */
  pullTimeoutMs?: number;
  podLogMaxBytes?: number;
  /** Log bytes all the pods of one Job keep together (default 64 MiB; 0: no budget). */
  jobLogMaxBytes?: number;
  /** How often the node refreshes its heartbeat and re-checks its pods (default 2000 ms). */
  heartbeatMs?: number;
  /** How long close() lets running pods finish before stopping them (default 30 s). */
  drainTimeoutMs?: number;
  /**
   * Run pods that ask for power over the Docker host: privileged containers, added capabilities,
   * the host's network, PID or IPC namespace, hostPath volumes (default false; the CLI reads
   * --allow-privileged / JOBFLEET_ALLOW_PRIVILEGED). The worker checks every pod itself: an API
   * server that allows them does not make a worker run them.
   */
  allowPrivileged?: boolean;
  /** Bound of each Docker call that is not a stream (default 30 s; the CLI reads JOBFLEET_DOCKER_TIMEOUT_MS). */
  dockerTimeoutMs?: number;
  /**
   * The node's address: its pods' status.hostIP and its Node's InternalIP (default
   * the address of the interface of the default route, as the kubelet's; the CLI reads --node-ip / JOBFLEET_NODE_IP).
   */
  nodeIP?: string;
  /** Events the node records a second, and at once (the kubelet's --event-qps 50, --event-burst 100; the CLI reads JOBFLEET_EVENT_QPS / _BURST); past them events are dropped. */
  eventQps?: number;
  eventBurst?: number;
  /**
   * How long a pod waits for a Docker Engine that stopped answering before it fails with
   * ContainerStatusUnknown (default 5 min; the CLI reads JOBFLEET_DOCKER_OUTAGE_MS).
   */
  dockerOutageMs?: number;
  /** Serve Prometheus metrics at /metrics on this port (0: a free one; unset: none; the CLI reads --metrics-port / JOBFLEET_METRICS_PORT). */
  metricsPort?: number;
  /** Address the metrics server listens on (default every interface). */
  metricsHost?: string;
  /** Where the node's lines go (start, stop, pods that cannot start, Docker lost; default: nowhere). */
  logger?: Logger;
  /**
   * Called when the node stopped by itself because another worker took its node name (this one was
   * frozen or cut off for longer than its lease). Default: one line on stderr and exit code 1.
   */
  onFatal?: (error: Error) => void;
  docker?: DockerEngine;
  /**
   * Replaces Docker as the way pods run. Only for measuring the control plane (the benchmarks'
   * instant runtime); never set in production.
   */
  runtime?: PodRuntime;
}

/** Runs one pod to its end, reporting its status; what the worker needs of a pod runner. */
export interface RunningPodLike {
  /** The final status; undefined when the runner was abandoned. */
  run(): Promise<PodStatus | undefined>;
  stop(reason: string, graceSeconds: number): void;
  /** Gives up at once, reporting and removing nothing more (shutdown past its bound, node name lost). */
  abandon?(): void;
  readonly stopReason: string | undefined;
}

export type PodRuntime = (pod: Pod, report: StatusReporter, logs: PodLogWriter) => RunningPodLike;

export const DEFAULT_MAX_PODS = 110;
/** Heartbeats between two sweeps for orphaned containers (30 s at the default 2 s heartbeat). */
const ORPHAN_SWEEP_BEATS = 15;
/** The longest wait before a pod no node's labels match is offered to the nodes again. */
const UNSCHEDULABLE_MAX_RETRY_MS = 10_000;
/**
 * The placement class (placementClass) of a pod this node can never take as it is (its labels,
 * taints, cordon, size) is left in the queue for the others (takePods' skip list), unread, for this
 * long or until what is set on the node changes, then looked at again...
 */
const UNFIT_REMEMBER_MS = 30_000;
/** ...at most this many classes; a pod of one past them (or of none) is handed back due this much later, so that this node does not take it again at once. */
const UNFIT_REMEMBERED = MAX_SKIP;
const UNFIT_FULL_RETRY_MS = 1_000;
/**
 * A pod that fits here but scores higher on another node that fits it now (preferred node affinity,
 * PreferNoSchedule taints: preferenceScores, as that node's last heartbeat says) is left to the
 * better nodes: its class is skipped this long, then looked at again...
 */
const PREFER_OTHERS_MS = 1_000;
/** ...for at most this long per pod from the first time this node left it (a better node that does not take it, full since its heartbeat, does not hold it for ever)... */
const PREFER_OTHERS_MAX_MS = 5_000;
/** ...remembering at most this many pods (past it, the memory starts again). */
const PREFER_OTHERS_REMEMBERED = 10_000;
/** How long after its claim a pod must have a runner on its node. */
const CLAIM_SETTLE_MS = 30_000;
/** What close() may take beyond the drain timeout: killing what is left, removing it, reporting it. */
const CLOSE_MARGIN_MS = 5_000;
/** Bound of each Redis step of close() once the pods are dealt with. */
const CLOSE_STEP_MS = 2_000;
/** A claim or a report Redis did not answer for (away, a failover) is made again after 100 ms, doubling to 2 s. */
const STORE_RETRY_BASE_MS = 100;
const STORE_RETRY_MAX_MS = 2_000;

/** The node-name lease lasts three heartbeats (6 s by default), 3 s at least: a restarted worker waits at most that long for its name. */
export function nodeLeaseMs(heartbeatMs: number): number {
  return Math.max(3 * heartbeatMs, 3_000);
}

interface WorkerSettings {
  pauseImage: string;
  pullTimeoutMs?: number;
  podLogMaxBytes: number;
  jobLogMaxBytes: number;
  heartbeatMs: number;
  drainTimeoutMs: number;
  allowPrivileged: boolean;
  dockerTimeoutMs: number;
  dockerOutageMs: number;
  nodeIP: string;
  eventQps: number;
  eventBurst: number;
}

/** The options with their defaults (the CLI reads the JOBFLEET_* variables and passes options). */
function workerSettings(opts: WorkerNodeOptions): WorkerSettings {
  return {
    pauseImage: opts.pauseImage ?? 'busybox:latest',
    pullTimeoutMs: opts.pullTimeoutMs,
    podLogMaxBytes: opts.podLogMaxBytes ?? DEFAULT_POD_LOG_MAX_BYTES,
    jobLogMaxBytes: opts.jobLogMaxBytes ?? DEFAULT_JOB_LOG_MAX_BYTES,
    heartbeatMs: opts.heartbeatMs ?? 2_000,
    drainTimeoutMs: opts.drainTimeoutMs ?? 30_000,
    allowPrivileged: opts.allowPrivileged ?? false,
    dockerTimeoutMs: opts.dockerTimeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS,
    dockerOutageMs: opts.dockerOutageMs ?? DEFAULT_DOCKER_OUTAGE_MS,
    nodeIP: nodeIP(opts.nodeIP),
    eventQps: opts.eventQps ?? DEFAULT_EVENT_QPS,
    eventBurst: opts.eventBurst ?? DEFAULT_EVENT_BURST,
  };
}

function defaultOnFatal(error: Error): void {
  process.stderr.write(`error: ${error.message}\n`);
  process.exitCode = 1;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
async function within(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.resolve(promise).catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A pod this node claimed: as written, its resourceVersion, the GPUs it was given and its reservation (NodeResources' token). */
interface Claimed extends StoredPod {
  gpus: string[];
  reservation: string;
}

/** A pod that fits here, left to a node that scores higher for it (PREFER_OTHERS_MS). */
const PREFERS_OTHERS = 'prefersOthers';

/** A pod that does not fit on this node: why, the pod as read, what it requests, and when it was created (ms). */
interface Unfit {
  unfit: Fit;
  stored: StoredPod;
  requests: ResourceList;
  created: number;
}

/** What a pod from Redis requests (podRequests), computed once per claim; undefined when it cannot be read (malformed anywhere). */
function requestsOf(pod: Pod): ResourceList | undefined {
  try {
    return podRequests(pod.spec);
  } catch {
    return undefined;
  }
}

/** Another node as placement sees it: from its last heartbeat (its requests then) and what was set on it. */
function nodeViewOf(hb: NodeHeartbeat, spec: NodeSpecRecord): NodeView {
  const running = Number(hb.running);
  const requested = typeof hb.requested === 'object' && hb.requested !== null ? hb.requested : {};
  return nodeView(hb, spec, toResourceList(hb.capacity as Record<string, string | number>), requested, Number.isFinite(running) ? running : 0);
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
  /** Made in start(), once the Docker Engine has answered. */
  private cluster!: Cluster;
  private lease?: NodeLease;
  readonly engine: DockerEngine;
  private readonly logger: Logger;
  private readonly running = new Map<string, RunningPod>();
  private taskWorker?: PodTaskConsumer;
  private syncWorker?: ReturnType<Cluster['startSyncRunner']>;
  private subscriber?: ReturnType<Cluster['connection']>;
  private heartbeat?: NodeJS.Timeout;
  private metrics?: WorkerMetrics;
  private metricsServer?: RunningMetricsServer;
  private maxPods: number;
  /** What the node has and has handed out (made in start(), from the Docker Engine and --capacity). */
  private resources!: NodeResources;
  /** The fleet's nodes as last read, for saying why a pod fits nowhere (read at most once a heartbeat). */
  private fleet?: { at: number; nodes: Promise<NodeView[]> };
  /** Placement classes of pods this node can never take as it is (see UNFIT_REMEMBER_MS). */
  private readonly unfit = new Map<string, { until: number }>();
  /** Pods this node left to nodes that score higher for them ("ns/name" → when first; see PREFER_OTHERS_MAX_MS). */
  private readonly leftToOthers = new Map<string, number>();
  /** The text of this node's spec record as last read (a change makes it look at the pods it left again). */
  private specText?: string;
  private readonly timings: NodeTimings;
  private readonly settings: WorkerSettings;
  private draining = false;
  private closing?: Promise<void>;
  /** Set once another worker took this node's name: nothing more is done for it. */
  private stopped = false;
  /** Set when close() lets go of Redis: a claim or report waiting for it gives up. */
  private storeClosing = false;
  /** Pods whose runners were abandoned: their node record is left to go stale (see shutdown). */
  private abandonedPods = 0;
  private dockerAnswers = true;
  private startedAt?: number;
  private lastBeat = Date.now();
  /** This node's labels beyond its name (the Docker host's OS and architecture), which pods' nodeSelectors are matched against. */
  private hostLabels: Record<string, string> = {};
  private beating = false;
  private beats = 0;
  /** The lease renewal in flight, shared by the heartbeat and the tick that keeps it independent of a slow heartbeat. */
  private renewing?: Promise<boolean>;
  /** The kubelet's events about this node's pods, and the scheduler's (Scheduled), each within the event rate. */
  private readonly kubeletEvents: KubeletEventRecorder;
  private readonly schedulerEvents: KubeletEventRecorder;

  constructor(private readonly opts: WorkerNodeOptions) {
    this.nodeName = opts.nodeName ?? hostname();
    this.maxPods = opts.maxPods ?? DEFAULT_MAX_PODS;
    this.timings = { ...DEFAULT_NODE_TIMINGS, ...opts.nodeTimings };
    this.settings = workerSettings(opts);
    this.logger = opts.logger ?? silentLogger();
    const rate = { qps: this.settings.eventQps, burst: this.settings.eventBurst };
    this.kubeletEvents = new KubeletEventRecorder({ ...rate, source: { component: 'kubelet', host: this.nodeName } });
    this.schedulerEvents = new KubeletEventRecorder({ ...rate, source: { component: 'default-scheduler' } });
    this.engine = opts.docker ?? new DockerEngine(undefined, { timeoutMs: this.settings.dockerTimeoutMs });
  }

  private connect(): Cluster {
    const { redisUrl, redisConnection, prefix, limits, delays } = this.opts;
    return new Cluster({ redisUrl, redisConnection, prefix, ...(limits ? { limits } : {}), ...(delays ? { delays } : {}), logger: this.logger });
  }

  /**
   * Checks the Docker Engine first (a worker without one fails at once, before it connects to
   * Redis), then takes its node name (NodeNameInUseError when a live worker has it), settles what
   * an earlier process of this name left, and starts taking tasks. A failed start leaves no
   * connection or timer behind.
   */
  async start(): Promise<void> {
    if (!(await this.engine.ping())) throw new Error('the Docker Engine does not answer: start dockerd (npm run setup does) or set DOCKER_HOST');
    const [host, hostLabels, detectedGpus] = await Promise.all([this.engine.capacity(), this.engine.platformLabels(), detectGpus()]);
    this.hostLabels = hostLabels;
    const { capacity, gpuDevices } = nodeCapacity({ maxPods: this.maxPods, host, gpuDevices: detectedGpus, overrides: this.opts.capacity });
    this.resources = new NodeResources(this.nodeName, capacity, gpuDevices);
    this.maxPods = this.resources.maxPods;
    this.cluster = this.connect();
    try {
      this.lease = new NodeLease(this.cluster.store, this.nodeName, nodeLeaseMs(this.settings.heartbeatMs));
      await this.lease.acquire(this.settings.heartbeatMs);
      await this.removeOrphans('NodeRestarted');
      await this.register();
      await this.listenForNodeMessages();
      await this.beat();
      this.heartbeat = setInterval(() => this.tick(), this.settings.heartbeatMs);
      this.syncWorker = this.cluster.startSyncRunner();
      this.taskWorker = this.cluster.podTaskConsumer((task) => this.runTask(task), { concurrency: this.maxPods, room: () => this.resources.room(), skip: () => this.unfitClasses() });
      const { nodeIP: address, allowPrivileged, pullTimeoutMs } = this.settings;
      this.logger.info({ node: this.nodeName, maxPods: this.maxPods, capacity: this.resources.capacity, labels: this.resources.labels(), nodeIP: address, allowPrivileged, pullsImages: pullTimeoutMs !== undefined }, `worker node ${this.nodeName} started`);
      if (this.opts.metricsPort !== undefined) {
        const cluster = this.cluster;
        this.metrics = new WorkerMetrics({ nodeName: this.nodeName, store: cluster.store, queues: cluster.queues, running: () => this.running.size, capacity: this.maxPods });
        this.metricsServer = await this.metrics.serve(this.opts.metricsPort, this.opts.metricsHost);
      }
    } catch (err) {
      await this.metricsServer?.close();
      clearInterval(this.heartbeat);
      await within(this.taskWorker?.close(true), CLOSE_STEP_MS);
      await within(this.syncWorker?.close(true), CLOSE_STEP_MS);
      this.subscriber?.disconnect();
      await within(this.cluster.close(), CLOSE_STEP_MS);
      throw err;
    }
  }

  /** The port the node serves /metrics on (undefined without metricsPort). */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /**
   * Stops taking tasks, lets running pods finish up to the drain timeout (heartbeating meanwhile),
   * then stops the rest and hands them back. Bounded whatever Docker does: pods whose engine does
   * not let them end within CLOSE_MARGIN_MS more are abandoned (left on this node, labelled, for
   * the next worker of this name or the node monitor).
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown(false);
    return this.closing;
  }

  private async shutdown(nameLost: boolean): Promise<void> {
    this.draining = true;
    const drainMs = nameLost ? 0 : this.settings.drainTimeoutMs;
    const drained = this.taskWorker?.close();
    if (nameLost) this.abandonAll();
    const stopAll = setTimeout(() => {
      for (const { runner } of this.running.values()) runner.stop('NodeShutdown', 0);
    }, drainMs);
    const abandonAll = setTimeout(() => this.abandonAll(), drainMs + CLOSE_MARGIN_MS);
    await within(drained, drainMs + CLOSE_MARGIN_MS + CLOSE_STEP_MS);
    clearTimeout(stopAll);
    clearTimeout(abandonAll);
    clearInterval(this.heartbeat);
    await within(this.metricsServer?.close(), CLOSE_STEP_MS);
    if (!this.cluster) return;
    await within(this.syncWorker?.close(), CLOSE_STEP_MS);
    if (!nameLost) {
      // A node that left pods behind keeps its record, which goes stale: the node monitor ends those
      // pods unless a worker of this name comes back first (it reads what their containers did).
      if (this.abandonedPods === 0) await within(this.cluster.store.removeNode(this.nodeName), CLOSE_STEP_MS);
      await within(this.lease?.release(), CLOSE_STEP_MS);
    }
    this.subscriber?.disconnect();
    this.storeClosing = true;
    await within(this.cluster.close(), CLOSE_STEP_MS);
    this.logger.info({ node: this.nodeName, abandonedPods: this.abandonedPods }, `worker node ${this.nodeName} stopped`);
  }

  private abandonAll(): void {
    for (const { runner } of this.running.values()) {
      this.abandonedPods++;
      if (runner.abandon) runner.abandon();
      else runner.stop('NodeShutdown', 0);
    }
  }

  /**
   * Another worker holds this node's name: this one was frozen or cut off for longer than its lease,
   * and the other has settled the pods it found. Fighting would destroy its containers, so this
   * node stops at once, reporting and removing nothing more.
   */
  private nameLost(): void {
    if (this.stopped) return;
    this.stopped = true;
    const error = new Error(`node name "${this.nodeName}" was taken by another worker while this one did not renew it (frozen or cut off for over ${nodeLeaseMs(this.settings.heartbeatMs)} ms); this worker stops`);
    this.logger.error({ node: this.nodeName }, error.message);
    const closing = this.closing;
    this.closing = this.shutdown(true).finally(() => (this.opts.onFatal ?? defaultOnFatal)(error));
    void closing; // a graceful close in progress ends with this one
  }

  private async runTask(task: ReceivedPodTask): Promise<PodTaskOutcome> {
    if (!task.data) return; // not a task jobfleet wrote
    const { ns, name, placementClass } = task.data;
    // Hand the task back for another node (or this one, once its engine answers again).
    if (!this.dockerAnswers) return { retryInMs: 1_000 };
    // Not for this node any more: the task goes back to the queue for another one. Whether this
    // worker still holds its name is checked by the claim itself, in the same step.
    if (this.draining || this.stopped || !this.lease) return { retryInMs: 1_000 };
    // Of a class this node left to the others a moment ago (taken in the same batch as it was remembered): back, unread.
    if (placementClass !== undefined && (this.unfit.get(placementClass)?.until ?? 0) > Date.now()) return { retryInMs: 0 };
    let claimed: Claimed | Unfit | 'nameLost' | typeof PREFERS_OTHERS | undefined;
    try {
      claimed = await this.claim(ns, name, this.lease.token, task.entry, task.stored);
    } catch (err) {
      // Redis away while the pod was read: the task goes back (a claim that may have landed was made again under its write id, see writeClaimSurely).
      if (isStoreUnavailable(err)) return { retryInMs: 1_000 };
      return; // a record that cannot even be read as a pod: nothing can be run or reported
    }
    if (!claimed) return;
    if (claimed === 'nameLost') return { retryInMs: 1_000 };
    if (claimed === PREFERS_OTHERS) {
      // Back in its place for the better nodes (woken); this node skips the class a moment.
      if (placementClass === undefined || !this.rememberUnfit(placementClass, PREFER_OTHERS_MS)) return { retryInMs: PREFER_OTHERS_MS };
      return { retryInMs: 0 };
    }
    if ('unfit' in claimed) {
      // Not knowing (Redis away): as if a node had room later.
      const elsewhere = await this.placeElsewhere(claimed).catch(() => 'later' as const);
      // Some node can take it, now or once it has room: back to the front of the queue, where it
      // keeps its turn (the nodes are woken). A node that can never take it leaves its class to the
      // others (takePods' skip list); one that is only full takes nothing for a moment.
      if (elsewhere !== 'never') {
        if (!claimed.unfit.unresolvable) return { retryInMs: 0 };
        // Past what this node can remember to leave to the others: later, so that it does not take it again at once.
        if (placementClass === undefined || !this.rememberUnfit(placementClass)) return { retryInMs: UNFIT_FULL_RETRY_MS };
        return { retryInMs: 0 };
      }
      // No node can ever take it as the fleet is (selector, affinity, taints, cordon, too big):
      // retried less often as it waits (1 s to 10 s, the scheduler's backoff bounds); a node that
      // joins or changes takes it then. It stays Pending, Unschedulable, meanwhile.
      const waited = Date.now() - claimed.created;
      return { retryInMs: Math.min(UNSCHEDULABLE_MAX_RETRY_MS, Math.max(1_000, waited / 10)) };
    }
    try {
      await this.runClaimed(ns, name, claimed);
    } catch {
      // One pod's failure never ends the worker; a pod left unreported is settled by the sweep (failPodsWithoutRunner).
    }
    return 'claimed'; // the claim let go of the queue entry
  }

  private async runClaimed(ns: string, name: string, claimed: Claimed): Promise<void> {
    try {
      await this.runPod(ns, name, claimed);
    } finally {
      this.resources.release(`${ns}/${name}`, claimed.reservation);
    }
  }

  private async runPod(ns: string, name: string, claimed: Claimed): Promise<void> {
    const pod = claimed.pod;
    const { podLogMaxBytes, jobLogMaxBytes, pauseImage, pullTimeoutMs, allowPrivileged, dockerOutageMs } = this.settings;
    // The pod may come from anywhere that can write to Redis: it is checked here, against this node's own policy.
    const refusal = admitPod(pod, { allowPrivileged, nodeName: this.nodeName });
    if (refusal) {
      this.logger.warn({ pod: `${ns}/${clip(name, 253)}`, reason: refusal.reason, message: clip(refusal.message) }, 'pod refused by this node');
      const now = await this.cluster.store.now();
      const about = { ...pod, apiVersion: 'v1', kind: 'Pod' } as Pod;
      const jobUid = ownerJobUid(about);
      const event: EventRecord[] = jobUid ? [{ about, jobUid, event: { type: 'Warning', reason: refusal.reason, message: refusal.message }, at: now, source: { component: 'kubelet', host: this.nodeName } }] : [];
      await this.reportStatus(ns, name, refusedPodStatus(pod, refusal, now), event);
      await this.syncOwner(pod);
      return;
    }
    const store = this.cluster.store;
    const target = { ns, name, podUid: pod.metadata.uid ?? '', jobUid: ownerJobUid(pod) };
    const limits = { podMaxBytes: podLogMaxBytes, jobMaxBytes: jobLogMaxBytes };
    const logs = new PodLogWriter((chunks) => store.logs.write(target, limits, chunks), podLogMaxBytes);
    const report: StatusReporter = (status, events, lastOutput) => this.reportStatus(ns, name, status, [], events, lastOutput && { target, limits, chunks: lastOutput });
    const runner = this.opts.runtime
      ? this.opts.runtime(pod, report, logs)
      : new PodRunner(pod, { engine: this.engine, nodeName: this.nodeName, delays: this.cluster.delays, pauseImage, pullTimeoutMs, dockerOutageMs, logger: this.logger, ...(this.resources.hasGpus ? { gpuDevices: claimed.gpus } : {}) }, report, logs);
    this.running.set(`${ns}/${name}`, { runner, uid: pod.metadata.uid ?? '', terminationGraceSeconds: pod.spec.terminationGracePeriodSeconds ?? 30, last: claimed });
    let final: PodStatus | undefined;
    try {
      final = await runner.run();
    } finally {
      this.running.delete(`${ns}/${name}`);
      this.kubeletEvents.forget(pod.metadata.uid ?? '');
      this.schedulerEvents.forget(pod.metadata.uid ?? '');
    }
    if (final?.phase) this.metrics?.podFinished(final.phase);
    this.logger.debug({ pod: `${ns}/${clip(name, 253)}`, phase: final?.phase, reason: final?.reason }, 'pod ended');
    if (final) await this.syncOwner(pod);
    // A deleted pod of no Job (released since) goes once it ended, as after the kubelet's final delete.
    if (final && runner.stopReason) await settleDeletedPod(this.cluster.store, ns, name).catch(() => false);
  }

  /**
   * Registers what the node starts with, as the kubelet does: its --node-labels over the labels
   * already set on it (kubectl label survives a restart; the flags win for their own keys), and its
   * --register-with-taints when the node is new (a node registered before keeps the taints users left on it).
   */
  private async register(): Promise<void> {
    const labels = this.opts.nodeLabels ?? {};
    const taints = this.opts.registerWithTaints ?? [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const read = await nodeSpec(this.cluster.store, this.nodeName);
      const isNew = read.text === '';
      if (!isNew && Object.entries(labels).every(([k, v]) => read.spec.labels?.[k] === v)) return;
      const next: NodeSpecRecord = { ...read.spec, labels: { ...read.spec.labels, ...labels }, ...(isNew ? { taints } : {}) };
      if (await putNodeSpec(this.cluster.store, this.nodeName, read, next)) return;
    }
  }

  /** Whether this worker still holds its node name (a worker that lost it must not touch its name's containers; claims check it themselves). */
  private async holdsName(): Promise<boolean> {
    if (!this.lease) return false;
    const holder = await this.cluster.store.nodeNameHolder(this.nodeName);
    return holder === undefined || holder === this.lease.token;
  }

  /**
   * Takes a Pending pod for this node; undefined when another node has it or it is gone, `unfit`
   * (why, and when the pod was created) when it does not fit here: the node's placement rules
   * (selector, affinity, taints, cordon) and what it has left. What the pod requests is reserved
   * before the claim is written, and let go if the claim does not happen. `read`: the pod as read
   * with its batch (null: there was none), else it is read here; a conflict reads it again.
   */
  private async claim(ns: string, name: string, leaseToken: string, entry: string, read?: StoredPod | null): Promise<Claimed | Unfit | 'nameLost' | typeof PREFERS_OTHERS | undefined> {
    const key = `${ns}/${name}`;
    for (let first = read; ; first = undefined) {
      const stored = first === undefined ? await this.cluster.store.getPod(ns, name) : (first ?? undefined);
      const pod = stored?.pod;
      if (!stored || !pod || pod.spec.nodeName || pod.status.phase !== 'Pending' || pod.metadata.deletionTimestamp) return undefined;
      const requests = requestsOf(pod);
      const reservation = this.reserve(key, pod, requests);
      if (reservation === 'held') return undefined; // its entry came twice: the other claim goes on
      if (reservation.reasons.length > 0 && requests) {
        const created = Date.parse(pod.metadata.creationTimestamp ?? '');
        return { unfit: reservation, stored, requests, created: Number.isFinite(created) ? created : Date.now() };
      }
      if (requests && (await this.prefersOthers(key, pod, requests).catch(() => false))) {
        this.resources.release(key, reservation.token);
        return PREFERS_OTHERS;
      }
      // Whatever happens before the claim is written (a malformed pod, Redis), the reservation goes with it.
      let claimed: Claimed | 'nameLost' | 'conflict' = 'conflict';
      try {
        claimed = await this.writeClaimSurely(stored, leaseToken, reservation, entry);
      } finally {
        if (typeof claimed === 'string') this.resources.release(key, reservation.token);
      }
      if (claimed !== 'conflict') return claimed;
    }
  }

  /**
   * Reserves what a pod from Redis asks for. A pod whose placement cannot be read (malformed
   * anywhere) is reserved as one asking for nothing, so that it is claimed and refused by the
   * admission check; a node whose own record cannot be read takes it the same way.
   */
  private reserve(key: string, pod: Pod, requests: ResourceList | undefined): Reservation {
    try {
      if (requests) return this.resources.reserve(key, pod.spec, requests);
    } catch {
      // the node's own record cannot be read: as below
    }
    return this.resources.reserve(key, { containers: [] }, {}, true);
  }

  /**
   * Writes the claim (the scheduling decision, with its Scheduled event) until Redis answers for it:
   * the claimed pod, or why not. Every attempt is the same claim under one write id: one whose answer
   * was lost (Redis away, a failover under way, NOREPLICAS: it may or may not have landed) and that
   * landed answers as it did (the pod, on this node, must run: left alone, the sweep would end it as
   * Orphaned, Failed), with nothing written twice; one that did not land is made then, or refused if
   * the pod changed meanwhile (claim()'s loop reads it again).
   */
  private async writeClaimSurely(stored: StoredPod, leaseToken: string, reservation: Fit & { gpus?: string[]; token?: string }, entry: string): Promise<Claimed | 'nameLost' | 'conflict'> {
    const pod = stored.pod;
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    const now = Date.now();
    const claimed: Pod = {
      ...pod,
      spec: { ...pod.spec, nodeName: this.nodeName },
      status: { ...pod.status, conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: k8sTime(now) }] },
    };
    const scheduled = this.schedulerEvents.plan(claimed, [{ type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${ns}/${name} to ${this.nodeName}`, at: now }]);
    const claim = { ns, name, rv: stored.rv, pod: claimed, node: this.nodeName, leaseToken, ...(scheduled.events[0] ? { event: scheduled.events[0] } : {}), entry, writeId: newWriteId() };
    const result = await this.untilStoreAnswers(`the claim of pod ${ns}/${name}`, () => this.cluster.store.claimPod(claim));
    if (result.ok) {
      scheduled.committed();
      return { pod: claimed, rv: result.rv, gpus: reservation.gpus ?? [], reservation: reservation.token ?? '' };
    }
    return result.nameLost ? 'nameLost' : 'conflict';
  }

  /**
   * Runs `step` until Redis answers it: a step that failed with Redis away or a failover under way
   * (see isStoreUnavailable) is run again, `attempt` counting from 0, after 100 ms doubling to 2 s, as
   * workers wait out an outage; each step reads again what it needs. Ends with the error when it is
   * another, or when the worker stops or closes its connections.
   */
  private async untilStoreAnswers<T>(what: string, step: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step(attempt);
      } catch (err) {
        if (!isStoreUnavailable(err) || this.stopped || this.storeClosing) throw err;
        const message = clip((err as Error).message);
        if (attempt === 0) this.logger.warn({ node: this.nodeName, err: message }, `Redis did not answer for ${clip(what, 300)} (away, or a failover under way): trying again until it does`);
      }
      await sleep(Math.min(STORE_RETRY_BASE_MS * 2 ** attempt, STORE_RETRY_MAX_MS));
    }
  }

  /**
   * Where else a pod that does not fit here can go, as the fleet's nodes' last heartbeats and what
   * was set on them say (nodes silent past the grace do not count): 'now' (another node fits it),
   * 'later' (only what is in use stands in the way somewhere) or 'never'. When no node fits it now,
   * says so as the scheduler does (markUnschedulable).
   */
  private async placeElsewhere(unfit: Unfit): Promise<'now' | 'later' | 'never'> {
    const { stored, requests } = unfit;
    const pod = stored.pod;
    const others = (await this.fleetNodes()).filter((n) => n.name !== this.nodeName).map((n) => fitsNode(pod.spec, requests, n));
    if (others.some((f) => f.reasons.length === 0)) return 'now';
    const fits = [unfit.unfit, ...others];
    // Saying so is best effort (the pod may have changed, or be too big to write): the verdict stands.
    await this.markUnschedulable(stored, unschedulableMessage(fits.length, fits.map((f) => f.reasons))).catch(() => undefined);
    return fits.some((f) => !f.unresolvable) ? 'later' : 'never';
  }

  /**
   * Whether a pod that fits here scores higher on another node that fits it now, by the
   * scheduler's NodeAffinity and TaintToleration scores (preferenceScores; a tie stays here), the
   * others as their last heartbeats say; for PREFER_OTHERS_MAX_MS at most from the first time this
   * node left the pod to them.
   */
  private async prefersOthers(key: string, pod: Pod, requests: ResourceList): Promise<boolean> {
    const self = this.resources.view();
    if (!mayPreferOtherNodes(pod.spec, self)) return false;
    const now = Date.now();
    const first = this.leftToOthers.get(key);
    if (first !== undefined && now - first > PREFER_OTHERS_MAX_MS) return false;
    const others = (await this.fleetNodes()).filter((n) => n.name !== this.nodeName && fitsNode(pod.spec, requests, n).reasons.length === 0);
    if (others.length === 0) return false;
    const [mine = 0, ...theirs] = preferenceScores(pod.spec, [self, ...others]);
    if (!theirs.some((score) => score > mine)) return false;
    if (first === undefined) {
      if (this.leftToOthers.size >= PREFER_OTHERS_REMEMBERED) this.leftToOthers.clear();
      this.leftToOthers.set(key, now);
    }
    return true;
  }

  /** Remembers a placement class to leave to the others (for `ms`, UNFIT_REMEMBER_MS unless given); false when the memory is full (of live classes). */
  private rememberUnfit(placementClass: string, ms = UNFIT_REMEMBER_MS): boolean {
    this.unfitClasses(); // drops those whose time is up
    if (this.unfit.size >= UNFIT_REMEMBERED && !this.unfit.has(placementClass)) return false;
    this.unfit.set(placementClass, { until: Date.now() + ms });
    return true;
  }

  /** The placement classes this node leaves to the others now (see UNFIT_REMEMBER_MS); those whose time is up go. */
  private unfitClasses(): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const [placementClass, { until }] of this.unfit) {
      if (until <= now) this.unfit.delete(placementClass);
      else out.push(placementClass);
    }
    return out;
  }

  /**
   * PodScheduled False, reason Unschedulable, with Kubernetes' message ("0/3 nodes are available: 2
   * Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. …") and a FailedScheduling
   * event; written only when the message changes (every node may look at the pod).
   */
  private async markUnschedulable(stored: StoredPod, message: string): Promise<void> {
    const pod = stored.pod;
    const previous = Array.isArray(pod.status.conditions) ? pod.status.conditions : [];
    const current = previous.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return;
    const now = await this.cluster.store.now();
    const condition = { type: 'PodScheduled' as const, status: 'False' as const, lastProbeTime: null, lastTransitionTime: current?.status === 'False' && current.lastTransitionTime ? current.lastTransitionTime : k8sTime(now), reason: 'Unschedulable', message };
    const conditions = [...previous.filter((c) => c.type !== 'PodScheduled'), condition];
    const next: Pod = { ...pod, status: { ...pod.status, conditions } };
    const event = this.schedulerEvents.plan(next, [{ type: 'Warning', reason: 'FailedScheduling', message, at: now }]);
    if (await markPodUnschedulable(this.cluster.store, stored, next, event.events)) event.committed();
    // The pod may run elsewhere: its events are not this node's to correlate (the next message is an event of its own).
    this.schedulerEvents.forget(pod.metadata.uid ?? '');
  }

  /** The other nodes of the fleet as placement sees them, from their heartbeats and what was set on them (read at most once a heartbeat). */
  private fleetNodes(): Promise<NodeView[]> {
    const now = Date.now();
    if (!this.fleet || now - this.fleet.at > this.settings.heartbeatMs) {
      const read = (async () => {
        const [stored, redisNow] = await Promise.all([storedNodes(this.cluster.store), this.cluster.store.now()]);
        // A node whose record cannot be read as one (a garbage quantity) is left out, not the whole fleet.
        return stored.filter(({ heartbeat }) => redisNow - heartbeat.heartbeat <= this.timings.graceMs).flatMap(({ heartbeat, spec }) => {
          try {
            return [nodeViewOf(heartbeat, spec)];
          } catch {
            return [];
          }
        });
      })();
      this.fleet = { at: now, nodes: read };
      read.catch(() => (this.fleet = undefined));
    }
    return this.fleet.nodes;
  }

  /**
   * Reports a pod's status (see reportStatusOnce) until Redis takes it (see untilStoreAnswers): a report whose write may or
   * may not have landed (NOREPLICAS) is made again, so that a failover neither
   * fails a running pod (its runner fails the pod on a report that throws) nor leaves a finished one
   * unreported (the sweep would end it as Orphaned, Failed). Every attempt writes under one write id:
   * a whole write (with events) that landed answers as it did when made again, so its events are not
   * recorded twice (unless someone else wrote the pod in between: then it is written again). A status
   * alone made twice writes the same status (an extra resourceVersion); the log's archive is written
   * once (a replayed finish finds it).
   */
  private reportStatus(ns: string, name: string, status: PodStatus, recorded: readonly EventRecord[] = [], events: readonly KubeletEvent[] = [], log?: PodLogFinish): Promise<boolean> {
    const writeId = newWriteId();
    return this.untilStoreAnswers(`the status of pod ${ns}/${name}`, () => this.reportStatusOnce(ns, name, status, recorded, events, log, writeId));
  }

  /**
   * Writes the pod's status (with the `recorded` events and the kubelet's `events` in the same commit);
   * false when the pod no longer exists or was already ended by someone else (the node monitor).
   * Stops the pod if it is being deleted. A pod stopped because this node shuts down is handed
   * back: it is marked so that the controller replaces it without counting a failure. `log` (at the
   * pod's end) is archived before the status, in the same request when the status is written alone.
   */
  private async reportStatusOnce(ns: string, name: string, status: PodStatus, recorded: readonly EventRecord[], events: readonly KubeletEvent[], log: PodLogFinish | undefined, writeId: string): Promise<boolean> {
    const running = this.running.get(`${ns}/${name}`);
    // The log's archive, on its own (before a whole write, or when no status is written): at most once.
    const archive = async () => {
      const last = log;
      log = undefined;
      if (last) await this.cluster.store.logs.write(last.target, last.limits, last.chunks, true).catch(() => undefined);
    };
    // Start from the version this node wrote last; re-read only when someone else wrote since.
    let stored = running?.last ?? (await this.cluster.store.getPod(ns, name));
    for (;; stored = await this.cluster.store.getPod(ns, name)) {
      if (!stored || isPodFinished(stored.pod)) {
        await archive();
        return false;
      }
      const before = stored.pod;
      const handedBack = this.draining && isPodFinished({ ...before, status }) && this.running.get(`${ns}/${name}`)?.runner.stopReason === 'NodeShutdown';
      const annotations = handedBack ? { ...(before.metadata.annotations ?? {}), [ANNOTATION_STOP_REASON]: 'NodeShutdown' } : before.metadata.annotations;
      const after: Pod = { ...before, metadata: { ...before.metadata, ...(annotations ? { annotations } : {}) }, status: this.withNodeFields(before, status) };
      const planned = this.kubeletEvents.plan(before, events);
      // A report of the status alone writes only the status (batched with the node's other reports).
      let result: PodStatusResult | undefined;
      if (!handedBack && recorded.length === 0 && planned.events.length === 0) {
        result = await this.cluster.store.reportPodStatus({ ns, name, rv: stored.rv, pod: after, node: this.nodeName, ...(log ? { log } : {}) });
        log = undefined; // archived with it, whatever became of the status
      }
      if (result?.ok === false && result.reason === 'conflict') continue;
      if (!result?.ok) {
        await archive();
        const committed = await this.cluster.store.putNodePod(stored.rv, after, this.nodeName, { events: [...recorded, ...planned.events], writeId });
        if (!committed.ok) continue;
        result = { ok: true, rv: committed.rvs[0] ?? '' };
      }
      planned.committed();
      if (running) running.last = { pod: after, rv: result.rv };
      if (before.metadata.deletionTimestamp && !isMarkedLost(before)) this.running.get(`${ns}/${name}`)?.runner.stop('Terminated', before.metadata.deletionGracePeriodSeconds ?? 30);
      const changed = before.status.phase !== after.status.phase || podRestartCount(before) !== podRestartCount(after) || isPodReady(before) !== isPodReady(after);
      if (changed && after.status.phase !== 'Succeeded' && after.status.phase !== 'Failed') await this.syncOwner(after);
      return true;
    }
  }

  /**
   * What the node adds to any status a runtime reports, as the kubelet does: its address (hostIP,
   * and podIP for a pod in the host's network), the pod's QoS class, and the conditions others set
   * (DisruptionTarget, …) kept as stored.
   */
  private withNodeFields(stored: Pod, status: PodStatus): PodStatus {
    const ip = this.settings.nodeIP;
    // The stored pod may come from anyone who can write to Redis (a refused pod's is reported too).
    const spec = stored.spec as Partial<Pod['spec']> | undefined;
    const hostNetwork = spec?.hostNetwork === true && !status.podIP;
    const previous = (stored.status as Partial<PodStatus> | undefined)?.conditions;
    return {
      ...status,
      hostIP: ip,
      hostIPs: [{ ip }],
      ...(hostNetwork ? { podIP: ip, podIPs: [{ ip }] } : {}),
      qosClass: status.qosClass ?? podQOSClass({ containers: spec?.containers ?? [], ...(spec?.initContainers ? { initContainers: spec.initContainers } : {}) }),
      conditions: mergePodConditions(Array.isArray(previous) ? previous : [], status.conditions ?? []),
    };
  }

  private async syncOwner(pod: Pod): Promise<void> {
    // A record read from Redis may be malformed: only a well-formed controller reference names a Job to sync.
    const owner = Array.isArray(pod.metadata?.ownerReferences) ? controllerRef(pod) : undefined;
    if (owner?.kind === 'Job' && typeof owner.name === 'string') await this.cluster.controller.syncJob(pod.metadata.namespace ?? 'default', owner.name);
  }

  private async listenForNodeMessages(): Promise<void> {
    this.subscriber = this.cluster.connection();
    await this.cluster.store.listenForNodeMessages(
      this.subscriber,
      this.nodeName,
      ({ key, graceSeconds }) => void this.checkPod(key, graceSeconds).catch(() => undefined),
      () => void this.followSpec().catch(() => undefined),
    );
  }

  /**
   * Re-reads one running pod (its node was told it is being stopped) and stops it if so.
   */
  private async checkPod(key: string, graceSeconds?: number): Promise<void> {
    const running = this.running.get(key);
    if (!running) return;
    const { ns, name } = nodePodRef(key);
    const stored = await this.cluster.store.getPod(ns, name).catch(() => 'unknown' as const);
    if (stored !== 'unknown') stopIfDeleted(running, stored?.pod, graceSeconds);
  }

  /**
   * Renews this node's entry in the registry, re-checks its pods, and follows its Docker Engine:
   * no tasks are taken while the engine does not answer. A node that could not renew for long
   * enough that the fleet may replace its pods stops them itself (self-fencing).
   */
  private tick(): void {
    if (this.stopped) return;
    if (Date.now() - this.lastBeat > selfFenceAfterMs(this.timings)) {
      for (const { runner } of this.running.values()) runner.stop('NodeLost', 0);
    }
    void this.renewLease().catch(() => undefined); // on its own: a heartbeat slowed by Docker must not let the lease lapse
    if (this.beating) return; // the last one still waits for Redis
    this.beating = true;
    void this.beat()
      .catch(() => undefined)
      .finally(() => (this.beating = false));
  }

  private async beat(): Promise<void> {
    // The name first: a worker that lost it must not heartbeat, sweep or report for it.
    if (!(await this.renewLease())) return;
    const docker = await this.engine.ping(Math.min(5_000, Math.max(1_000, this.settings.heartbeatMs)));
    await this.followDocker(docker);
    const now = await this.cluster.store.now();
    this.startedAt ??= now;
    await this.followSpec();
    const capacity = { ...this.resources.capacity, pods: this.maxPods };
    const record: NodeHeartbeat = { name: this.nodeName, capacity, requested: this.resources.requested(), running: this.running.size, heartbeat: now, docker, startedAt: this.startedAt, address: this.settings.nodeIP, labels: this.hostLabels };
    await this.cluster.store.writeNodeHeartbeat(record);
    this.lastBeat = Date.now();
    await this.checkRunningPods();
    if (++this.beats % ORPHAN_SWEEP_BEATS === 0 && docker && !this.draining) await this.removeOrphans('Orphaned');
  }

  /**
   * What users set on the node (kubectl label, taint, cordon) applies to the next pods it takes: read
   * at each heartbeat and at once when the API says it changed. Pods it left to other nodes are looked at again.
   */
  private async followSpec(): Promise<void> {
    const read = await nodeSpec(this.cluster.store, this.nodeName);
    // Its records deleted (kubectl delete node) while it runs: it registers again, as a kubelet does.
    if (read.text === '') await this.register();
    const current = read.text === '' ? await nodeSpec(this.cluster.store, this.nodeName) : read;
    this.resources.follow(current.spec, this.hostLabels);
    if (current.text !== this.specText) {
      this.specText = current.text;
      this.fleet = undefined;
      this.unfit.clear(); // what it could not take it may take now
    }
  }

  /** Renews the node-name lease; false (and the node stops) when another worker holds it. */
  private renewLease(): Promise<boolean> {
    this.renewing ??= (async () => {
      try {
        const lease = await this.lease?.take();
        if (!lease || lease.held) return true;
        this.nameLost();
        return false;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /**
   * Stops running pods that were deleted or marked for deletion meanwhile (a missed message), and
   * takes back those the node monitor marked lost while this node was silent: it is back before
   * they were evicted, so they run on (their place in the Job's parallelism was kept for them).
   * One read for all (a record that cannot be read as a pod is left alone).
   */
  private async checkRunningPods(): Promise<void> {
    const refs = [...this.running.keys()].map(nodePodRef);
    const reads = await this.cluster.store.getPodsAt(refs).catch(() => undefined);
    if (!reads) return;
    for (const [i, { ns, name }] of refs.entries()) {
      const running = this.running.get(`${ns}/${name}`);
      const stored = reads[i];
      if (!running || stored === 'unreadable') continue;
      if (stored && stored.pod.metadata.uid === running.uid && isMarkedLost(stored.pod) && !isPodFinished(stored.pod)) await this.reclaim(ns, name, stored, running);
      else stopIfDeleted(running, stored?.pod);
    }
  }

  /** Clears the node monitor's lost mark from a pod this node still runs (compare-and-set: eviction, if it came first, wins). */
  private async reclaim(ns: string, name: string, stored: StoredPod, running: RunningPod): Promise<void> {
    const pod = stored.pod;
    const { [ANNOTATION_NODE_LOST]: _lostAt, ...annotations } = pod.metadata.annotations ?? {};
    const { deletionTimestamp: _deleted, deletionGracePeriodSeconds: _grace, ...metadata } = pod.metadata;
    const { reason: _reason, message: _message, ...status } = pod.status;
    const back: Pod = { ...pod, metadata: { ...metadata, annotations }, status: pod.status.reason === 'NodeLost' ? status : pod.status };
    const result = await this.cluster.store.putNodePod(stored.rv, back, this.nodeName);
    if (!result.ok) return;
    running.last = { pod: back, rv: result.rvs[0] ?? '' };
    await this.syncOwner(back);
  }

  private async followDocker(answers: boolean): Promise<void> {
    if (answers !== this.dockerAnswers) {
      if (answers) this.logger.warn({ node: this.nodeName }, 'the Docker Engine answers again: taking pods again');
      else this.logger.warn({ node: this.nodeName }, 'the Docker Engine does not answer: no pods are taken until it does (check dockerd, DOCKER_HOST)');
    }
    this.dockerAnswers = answers;
    if (!this.taskWorker) return;
    if (!answers && !this.taskWorker.isPaused()) await this.taskWorker.pause();
    if (answers && this.taskWorker.isPaused() && !this.draining) this.taskWorker.resume();
  }

  /**
   * Containers and volumes of this node that belong to no pod this process runs: at start, what
   * an earlier process left (it crashed or was killed); later, what a race left behind (a pod
   * deleted while its container was being created) or a pod given up on (its engine was lost).
   * Their pods cannot be resumed. What Docker recorded of each container is read before it goes:
   * a pod whose containers all exited for good ends as they did (Succeeded when they all exited
   * 0); one that was still running is killed and ends as Failed, and the Job controller replaces
   * it. Runs at start and every ORPHAN_SWEEP_BEATS heartbeats.
   */
  private async removeOrphans(reason: 'NodeRestarted' | 'Orphaned'): Promise<void> {
    const isOrphan = (labels: Record<string, string> | undefined) => !this.running.has(`${labels?.[LABELS.namespace]}/${labels?.[LABELS.pod]}`);
    const orphans = (await this.engine.listManaged({ [LABELS.node]: this.nodeName })).filter((c) => isOrphan(c.Labels));
    // Containers of this name are another worker's once it has the name: check right before touching any.
    if (this.stopped || !(await this.holdsName())) return;
    const pods = new Map<string, { uid: string; exited: Map<string, RecordedContainer>; running: Set<string> }>();
    for (const c of orphans) {
      const key = `${c.Labels[LABELS.namespace]}/${c.Labels[LABELS.pod]}`;
      const entry = pods.get(key) ?? { uid: c.Labels[LABELS.podUid] ?? '', exited: new Map<string, RecordedContainer>(), running: new Set<string>() };
      pods.set(key, entry);
      const containerName = c.Labels[LABELS.container] ?? '';
      if (containerName === 'POD') continue; // the infra container runs until it is removed
      const record = await this.engine.inspect(c.Id).catch(() => undefined);
      if (record?.state === 'exited') entry.exited.set(containerName, { id: c.Id, exit: record.exit });
      else if (record?.state === 'running') entry.running.add(containerName);
    }
    await Promise.all(orphans.map((c) => this.engine.remove(c.Id).catch(() => undefined)));
    const volumes = await this.engine.listManagedVolumes({ [LABELS.node]: this.nodeName });
    await Promise.all(volumes.filter((v) => isOrphan(v.labels)).map((v) => this.engine.removeVolume(v.name).catch(() => undefined)));
    for (const [key, entry] of pods) await this.settleLeftoverPod(key, entry.uid, reason, entry.exited, entry.running).catch(() => undefined);
    await this.failPodsWithoutRunner(reason);
  }

  /**
   * Pods recorded as claimed by this node that no runner of this process holds (a crash between a
   * pod's cleanup and its last report leaves one with no container at all). A claim younger than
   * CLAIM_SETTLE_MS is left alone: its runner may be starting right now.
   */
  private async failPodsWithoutRunner(reason: 'NodeRestarted' | 'Orphaned'): Promise<void> {
    const store = this.cluster.store;
    const members = await store.nodePods(this.nodeName);
    const now = await store.now();
    for (const key of members.filter((k) => !this.running.has(k))) {
      try {
        const { ns, name } = nodePodRef(key);
        const pod = (await store.getPod(ns, name))?.pod;
        const scheduledAt = Date.parse(pod?.status.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime ?? '');
        if (pod && reason === 'Orphaned' && !(now - scheduledAt > CLAIM_SETTLE_MS)) continue;
        if (pod && pod.spec.nodeName === this.nodeName) await this.settleLeftoverPod(key, pod.metadata.uid ?? '', reason, new Map());
        else await store.forgetNodePod(this.nodeName, key);
      } catch {
        // A record that cannot be read is left to the next sweep; it must not stop this one (or the start).
      }
    }
  }

  /**
   * Ends a pod this node can no longer run: as its containers' recorded exits say when they settle
   * it, else Failed with `reason`. A container that was still running (`running`, killed with the
   * leftovers) leaves the pod unsettled, unless it was a native sidecar: the app containers decide.
   */
  private async settleLeftoverPod(key: string, uid: string, reason: 'NodeRestarted' | 'Orphaned', exited: ReadonlyMap<string, RecordedContainer>, running: ReadonlySet<string> = new Set()): Promise<void> {
    const { ns, name } = nodePodRef(key);
    const stored = await this.cluster.store.getPod(ns, name);
    const pod = stored?.pod;
    if (!stored || !pod || pod.metadata.uid !== uid || isPodFinished(pod)) {
      await this.cluster.store.forgetNodePod(this.nodeName, key);
      return;
    }
    const now = await this.cluster.store.now();
    const sidecars = new Set((pod.spec.initContainers ?? []).filter(isSidecar).map((c) => c.name));
    const settled = exited.size > 0 && [...running].every((name) => sidecars.has(name));
    const recorded = settled ? recordedPodStatus(pod, exited, now) : undefined;
    const message = reason === 'NodeRestarted' ? `The worker ${this.nodeName} restarted while the pod ran` : `The worker ${this.nodeName} lost track of the pod`;
    const ended = recorded ? { ...pod, status: recorded } : lostPod(pod, now, reason, message);
    const result = await this.cluster.store.putNodePod(stored.rv, ended, this.nodeName, { leaveNode: true });
    if (result.ok) await this.syncOwner(pod);
  }
}

/** A pod the node monitor marked as lost (its node was silent): terminating, but not deleted by anyone. */
function isMarkedLost(pod: Pod): boolean {
  // A pod deleted through the API is deleted, even if its node was silent meanwhile: it is never taken back.
  return pod.metadata.annotations?.[ANNOTATION_NODE_LOST] !== undefined && pod.metadata.annotations?.[ANNOTATION_DELETED] === undefined;
}

/**
 * Stops a pod that was deleted (or replaced by a namesake) or marked for deletion: SIGTERM, then
 * SIGKILL after the grace period (the deletion's, else the pod's terminationGracePeriodSeconds).
 * The node monitor's lost mark is not a deletion: the node takes such pods back (checkRunningPods).
 */
function stopIfDeleted(running: RunningPod, pod: Pod | undefined, graceSeconds?: number): void {
  if (!pod || pod.metadata.uid !== running.uid) running.runner.stop('Deleted', graceSeconds ?? running.terminationGraceSeconds);
  else if (pod.metadata.deletionTimestamp && !isMarkedLost(pod)) running.runner.stop('Terminated', pod.metadata.deletionGracePeriodSeconds ?? running.terminationGraceSeconds);
}

export async function startWorker(opts: WorkerNodeOptions): Promise<WorkerNode> {
  const node = new WorkerNode(opts);
  await node.start();
  return node;
}
