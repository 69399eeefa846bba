/**
 * kube-state-metrics for jobfleet's objects: an informer-style cache of a few fields per Job,
 * CronJob and pod (listed once, then kept current by the change feed in resourceVersion order) and
 * the renderer of kube-state-metrics' families from it, with its names, labels and types
 * (docs/metrics/workload/{job,pod,cronjob}-metrics.md, node-metrics.md), so that dashboards and
 * alerts made for Kubernetes Jobs work unchanged. A scrape reads no pod from Redis.
 */
import { nodeFromHeartbeat, parseTime, type CronJob, type Job, type NodeHeartbeat, type NodeSpecRecord, type OwnerReference, type Pod } from '@jobfleet/kube';
import { cronJobNamesPage, getCronJobs, jobNamesPage, podNamesPage, type JobStore } from '@jobfleet/store';
import type { Change, ChangeFeed } from './change-feed.js';

type Condition = 'true' | 'false' | 'unknown';

/** The kinds the cache keeps: the feed decodes no other change (events, nodes) for it. */
const CACHED_KINDS = new Set(['Job', 'CronJob', 'Pod']);

/** What the Job families need of a Job. */
export interface JobSummary {
  ns: string;
  name: string;
  uid: string;
  rv: number;
  completions?: number;
  parallelism?: number;
  activeDeadlineSeconds?: number;
  active: number;
  succeeded: number;
  failed: number;
  /** Unix seconds. */
  created?: number;
  startTime?: number;
  completionTime?: number;
  /** The status of its Complete / Failed / Suspended condition, when it has one. */
  complete?: Condition;
  failedCondition?: Condition;
  failedReason?: string;
  suspended?: Condition;
  owner?: Owner;
}

interface Owner {
  kind: string;
  name: string;
  controller: boolean;
}

/**
 * What the pod families need of a pod, with its labels escaped and joined once, when it changes, not
 * at every scrape. The labels all the pods of a Job on one node share are one string for all of them
 * (interned), so a pod costs its own labels (namespace, name, uid) and little more.
 */
export interface PodSummary {
  rv: number;
  /** `namespace="…",pod="…",uid="…"`: the labels every pod family starts with. */
  id: string;
  phase: string;
  node: string;
  /** The rest of kube_pod_info's labels (host_ip … host_network). */
  info: string;
  /** kube_pod_owner's own labels (owner_kind, owner_name, owner_is_controller). */
  owner: string;
}

export interface CronJobSummary {
  ns: string;
  name: string;
  rv: number;
  schedule: string;
  concurrencyPolicy: string;
  suspend: boolean;
  active: number;
  lastScheduleTime?: number;
  lastSuccessfulTime?: number;
  created?: number;
}

const seconds = (time: string | undefined): number | undefined => {
  const ms = parseTime(time);
  return ms === undefined ? undefined : ms / 1000;
};

const conditionOf = (status: string | undefined): Condition | undefined =>
  status === undefined ? undefined : status === 'True' ? 'true' : status === 'False' ? 'false' : 'unknown';

function ownerOf(refs: OwnerReference[] | undefined): Owner | undefined {
  const ref = refs?.find((r) => r.controller) ?? refs?.[0];
  return ref ? { kind: String(ref.kind ?? ''), name: String(ref.name ?? ''), controller: ref.controller === true } : undefined;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const optNum = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export function summarizeJob(job: Job, rv: number): JobSummary {
  const status = job.status ?? {};
  const conditions = status.conditions ?? [];
  const find = (type: string) => conditions.find((c) => c.type === type);
  const failedCond = find('Failed');
  return {
    ns: job.metadata?.namespace ?? 'default',
    name: job.metadata?.name ?? '',
    uid: job.metadata?.uid ?? '',
    rv,
    completions: optNum(job.spec?.completions),
    parallelism: optNum(job.spec?.parallelism),
    activeDeadlineSeconds: optNum(job.spec?.activeDeadlineSeconds),
    active: num(status.active),
    succeeded: num(status.succeeded),
    failed: num(status.failed),
    created: seconds(job.metadata?.creationTimestamp),
    startTime: seconds(status.startTime),
    completionTime: seconds(status.completionTime),
    complete: conditionOf(find('Complete')?.status),
    failedCondition: conditionOf(failedCond?.status),
    failedReason: failedCond?.reason,
    suspended: conditionOf(find('Suspended')?.status),
    owner: ownerOf(job.metadata?.ownerReferences),
  };
}

export function summarizePod(pod: Pod, rv: number): PodSummary {
  const owner = ownerOf(pod.metadata?.ownerReferences);
  const node = pod.spec?.nodeName ?? '';
  const priorityClass = String((pod.spec as { priorityClassName?: unknown } | undefined)?.priorityClassName ?? '');
  return {
    rv,
    id: labelText([['namespace', pod.metadata?.namespace ?? 'default'], ['pod', pod.metadata?.name ?? ''], ['uid', pod.metadata?.uid ?? '']]),
    phase: pod.status?.phase ?? 'Pending',
    node,
    info: intern(
      labelText([
        ['host_ip', pod.status?.hostIP ?? ''],
        ['pod_ip', pod.status?.podIP ?? ''],
        ['node', node],
        ['created_by_kind', owner?.kind ?? ''],
        ['created_by_name', owner?.name ?? ''],
        ['priority_class', priorityClass],
        ['host_network', String(pod.spec?.hostNetwork === true)],
      ]),
    ),
    owner: intern(labelText([['owner_kind', owner?.kind ?? ''], ['owner_name', owner?.name ?? ''], ['owner_is_controller', owner ? String(owner.controller) : '']])),
  };
}

/** Label strings many pods share, kept once (bounded: past the bound a string is simply not shared). */
const interned = new Map<string, string>();
const MAX_INTERNED = 10_000;

function intern(text: string): string {
  const known = interned.get(text);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.delete(interned.keys().next().value as string);
  interned.set(text, text);
  return text;
}

export function summarizeCronJob(cj: CronJob, rv: number): CronJobSummary {
  return {
    ns: cj.metadata?.namespace ?? 'default',
    name: cj.metadata?.name ?? '',
    rv,
    schedule: String(cj.spec?.schedule ?? ''),
    concurrencyPolicy: String(cj.spec?.concurrencyPolicy ?? 'Allow'),
    suspend: cj.spec?.suspend === true,
    active: cj.status?.active?.length ?? 0,
    lastScheduleTime: seconds(cj.status?.lastScheduleTime),
    lastSuccessfulTime: seconds(cj.status?.lastSuccessfulTime),
    created: seconds(cj.metadata?.creationTimestamp),
  };
}

export interface KubeStateCacheOptions {
  /** Pods kept at most (default 250,000, about 50 MB); past it new pods are left out and `full` says so. */
  maxPods?: number;
  /** Jobs and CronJobs kept at most, each (default 100,000). */
  maxJobs?: number;
  /** Wait before listing again after the feed ended the subscription (default 1000 ms). */
  relistDelayMs?: number;
}

const LIST_PAGE = 500;

/**
 * Jobs, CronJobs and pods as the metrics need them: listed once from the store, then kept current
 * by the change feed from the resourceVersion the list started at (a change older than what is
 * cached is skipped, so the list and the replay may overlap). When the feed ends the subscription
 * (410: changes lost, the store reset), everything is listed again.
 */
export class KubeStateCache {
  readonly jobs = new Map<string, JobSummary>();
  readonly cronJobs = new Map<string, CronJobSummary>();
  readonly pods = new Map<string, PodSummary>();
  /** Pods bound to each node and not finished. */
  /** Pods were left out since the last list for the bound. */
  full = false;
  /** Whether the first list is done. */
  synced = false;
  private readonly maxPods: number;
  private readonly maxJobs: number;
  private unsubscribe: () => void = () => undefined;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private generation = 0;

  constructor(
    private readonly store: JobStore,
    private readonly feed: ChangeFeed,
    private readonly options: KubeStateCacheOptions = {},
  ) {
    this.maxPods = options.maxPods ?? 250_000;
    this.maxJobs = options.maxJobs ?? 100_000;
  }

  start(): void {
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.relist(), this.options.relistDelayMs ?? 1000);
    this.timer.unref();
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.unsubscribe();
    try {
      const fromRv = Number(await this.store.currentResourceVersion());
      const jobs = new Map<string, JobSummary>();
      const cronJobs = new Map<string, CronJobSummary>();
      const pods = new Map<string, PodSummary>();
      let full = false;
      for (const ns of await this.store.namespaces()) {
        for await (const names of pages((after) => jobNamesPage(this.store, ns, after, LIST_PAGE))) {
          for (const s of await this.store.getJobs(ns, names)) if (jobs.size < this.maxJobs) jobs.set(`${ns}/${s.job.metadata.name}`, summarizeJob(s.job, Number(s.rv)));
        }
        for await (const names of pages((after) => cronJobNamesPage(this.store, ns, after, LIST_PAGE))) {
          for (const s of await getCronJobs(this.store, ns, names)) if (cronJobs.size < this.maxJobs) cronJobs.set(`${ns}/${s.cronJob.metadata.name}`, summarizeCronJob(s.cronJob, Number(s.rv)));
        }
        // Past the bound the cache says it is full: the pods left are not read at all.
        for await (const names of full ? [] : pages((after) => podNamesPage(this.store, ns, after, LIST_PAGE))) {
          for (const s of await this.store.getPods(ns, names, { remember: false })) {
            if (pods.size >= this.maxPods) full = true;
            else pods.set(`${ns}/${s.pod.metadata.name}`, summarizePod(s.pod, Number(s.rv)));
          }
          if (full) break;
        }
        if (this.stopped || generation !== this.generation) return;
      }
      this.replaceAll(jobs, cronJobs, pods, full);
      this.unsubscribe = await this.feed.subscribe(fromRv, {
        change: (c) => this.apply(c),
        wants: (kind) => CACHED_KINDS.has(kind),
        end: () => this.scheduleRelist(),
      });
      this.synced = true;
    } catch {
      this.scheduleRelist();
    }
  }

  private replaceAll(jobs: Map<string, JobSummary>, cronJobs: Map<string, CronJobSummary>, pods: Map<string, PodSummary>, full: boolean): void {
    this.jobs.clear();
    this.cronJobs.clear();
    this.pods.clear();
    for (const [k, v] of jobs) this.jobs.set(k, v);
    for (const [k, v] of cronJobs) this.cronJobs.set(k, v);
    for (const [k, v] of pods) this.pods.set(k, v);
    this.full = full;
  }

  /** Applies one change of the feed; one older than the cached object (the list saw it already) is skipped. */
  apply(c: Change): void {
    try {
      this.applyChange(c);
    } catch {
      // An object of an unexpected shape is left out of the metrics, never ends the cache.
    }
  }

  private applyChange(c: Change): void {
    const key = `${c.ns}/${c.name}`;
    if (c.kind === 'Job') applyTo(this.jobs, key, c, this.maxJobs, (obj) => summarizeJob(obj as unknown as Job, c.rv));
    else if (c.kind === 'CronJob') applyTo(this.cronJobs, key, c, this.maxJobs, (obj) => summarizeCronJob(obj as unknown as CronJob, c.rv));
    else if (c.kind === 'Pod' && applyTo(this.pods, key, c, this.maxPods, (obj) => summarizePod(obj as unknown as Pod, c.rv)) === 'left out') this.full = true;
  }

}

/** Applies a change to one of the maps; 'left out' when a new object did not fit under `max`. */
function applyTo<T extends { rv: number }>(map: Map<string, T>, key: string, c: Change, max: number, summarize: (obj: Record<string, unknown>) => T): 'left out' | undefined {
  const current = map.get(key);
  if (current && current.rv >= c.rv) return undefined;
  if (c.type === 'DELETED') {
    map.delete(key);
    return undefined;
  }
  const obj = parse(c.obj);
  if (!obj) return undefined;
  if (!current && map.size >= max) return 'left out';
  map.set(key, summarize(obj));
  return undefined;
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const obj: unknown = JSON.parse(text);
    return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function* pages(page: (after: string | undefined) => Promise<string[]>): AsyncGenerator<string[]> {
  let after: string | undefined;
  for (;;) {
    const names = await page(after);
    if (names.length === 0) return;
    yield names;
    if (names.length < LIST_PAGE) return;
    after = names[names.length - 1];
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering: Prometheus' text format, version 0.0.4.

/** A label value escaped as the text format wants it (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function labelText(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
}

function labels(pairs: [string, string][]): string {
  return `{${labelText(pairs)}}`;
}

function header(name: string, type: 'gauge', help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

const CONDITIONS: Condition[] = ['true', 'false', 'unknown'];
const POD_PHASES = ['Pending', 'Succeeded', 'Failed', 'Unknown', 'Running'];
/** The reasons kube-state-metrics gives kube_job_status_failed a series of its own for. */
const JOB_FAILURE_REASONS = ['BackoffLimitExceeded', 'DeadlineExceeded', 'Evicted'];

/** A batch of lines is handed out once it reaches this size: a scrape of 100,000 pods is streamed, not built whole. */
const CHUNK_CHARS = 64 * 1024;

export interface KubeStateSnapshot {
  /** Iterated once per family: collections, not one-shot iterators. */
  jobs: Iterable<JobSummary>;
  cronJobs: Iterable<CronJobSummary>;
  pods: Iterable<PodSummary>;
  /** The nodes' heartbeat records, with the time they are judged at and the grace before NotReady. */
  nodes: NodeHeartbeat[];
  /** What was set on the nodes (labels, taints, cordon), by name. */
  nodeSpecs?: Record<string, NodeSpecRecord>;
  now: number;
  nodeGraceMs: number;
}

/** kube-state-metrics' families for the snapshot, as text chunks of about CHUNK_CHARS. */
export function* renderKubeState(s: KubeStateSnapshot): Generator<string> {
  let out = '';
  const flush = function* () {
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  };
  const jobFamily = function* (name: string, help: string, lines: (j: JobSummary, id: [string, string][]) => string) {
    out += header(name, 'gauge', help);
    for (const j of s.jobs) {
      out += lines(j, [['namespace', j.ns], ['job_name', j.name]]);
      yield* flush();
    }
  };
  const sample = (name: string, pairs: [string, string][], value: number) => `${name}${labels(pairs)} ${value}\n`;
  const optional = (name: string, pairs: [string, string][], value: number | undefined) => (value === undefined ? '' : sample(name, pairs, value));
  const conditionLines = (name: string, id: [string, string][], status: Condition | undefined) =>
    status === undefined ? '' : CONDITIONS.map((c) => sample(name, [...id, ['condition', c]], c === status ? 1 : 0)).join('');

  yield* jobFamily('kube_job_info', 'Information about job.', (_j, id) => sample('kube_job_info', id, 1));
  yield* jobFamily('kube_job_owner', "Information about the Job's owner.", (j, id) =>
    sample('kube_job_owner', [...id, ['owner_kind', j.owner?.kind ?? ''], ['owner_name', j.owner?.name ?? ''], ['owner_is_controller', j.owner ? String(j.owner.controller) : '']], 1),
  );
  yield* jobFamily('kube_job_spec_parallelism', 'The maximum desired number of pods the job should run at any given time.', (j, id) =>
    optional('kube_job_spec_parallelism', id, j.parallelism),
  );
  yield* jobFamily('kube_job_spec_completions', 'The desired number of successfully finished pods the job should be run with.', (j, id) =>
    optional('kube_job_spec_completions', id, j.completions),
  );
  yield* jobFamily('kube_job_spec_active_deadline_seconds', 'The duration in seconds relative to the startTime that the job may be active before the system tries to terminate it.', (j, id) =>
    optional('kube_job_spec_active_deadline_seconds', id, j.activeDeadlineSeconds),
  );
  yield* jobFamily('kube_job_status_active', 'The number of actively running pods.', (j, id) => sample('kube_job_status_active', id, j.active));
  yield* jobFamily('kube_job_status_succeeded', 'The number of pods which reached Phase Succeeded.', (j, id) => sample('kube_job_status_succeeded', id, j.succeeded));
  yield* jobFamily('kube_job_status_failed', 'The number of pods which reached Phase Failed and the reason for failure.', (j, id) => {
    // As kube-state-metrics: a Job failed for a known reason has one series per known reason (1 for
    // its own); otherwise one series with the count of failed pods and no reason.
    if (j.failedCondition === 'true' && j.failed > 0 && JOB_FAILURE_REASONS.includes(j.failedReason ?? '')) {
      return JOB_FAILURE_REASONS.map((r) => sample('kube_job_status_failed', [...id, ['reason', r]], r === j.failedReason ? 1 : 0)).join('');
    }
    return sample('kube_job_status_failed', [...id, ['reason', '']], j.failed);
  });
  yield* jobFamily('kube_job_status_start_time', 'StartTime represents time when the job was acknowledged by the Job Manager.', (j, id) =>
    optional('kube_job_status_start_time', id, j.startTime),
  );
  yield* jobFamily('kube_job_status_completion_time', 'CompletionTime represents time when the job was completed.', (j, id) =>
    optional('kube_job_status_completion_time', id, j.completionTime),
  );
  yield* jobFamily('kube_job_complete', 'The job has completed its execution.', (j, id) => conditionLines('kube_job_complete', id, j.complete));
  yield* jobFamily('kube_job_failed', 'The job has failed its execution.', (j, id) => conditionLines('kube_job_failed', id, j.failedCondition));
  yield* jobFamily('kube_job_status_suspended', 'The job is suspended.', (j, id) => conditionLines('kube_job_status_suspended', id, j.suspended));
  yield* jobFamily('kube_job_created', 'Unix creation timestamp', (j, id) => optional('kube_job_created', id, j.created));

  const cronFamily = function* (name: string, help: string, line: (c: CronJobSummary, id: [string, string][]) => string) {
    out += header(name, 'gauge', help);
    for (const c of s.cronJobs) {
      out += line(c, [['namespace', c.ns], ['cronjob', c.name]]);
      yield* flush();
    }
  };
  yield* cronFamily('kube_cronjob_info', 'Info about cronjob.', (c, id) => sample('kube_cronjob_info', [...id, ['schedule', c.schedule], ['concurrency_policy', c.concurrencyPolicy]], 1));
  yield* cronFamily('kube_cronjob_created', 'Unix creation timestamp', (c, id) => optional('kube_cronjob_created', id, c.created));
  yield* cronFamily('kube_cronjob_status_active', 'Active holds pointers to currently running jobs.', (c, id) => sample('kube_cronjob_status_active', id, c.active));
  yield* cronFamily('kube_cronjob_status_last_schedule_time', 'LastScheduleTime keeps information of when was the last time the job was successfully scheduled.', (c, id) =>
    optional('kube_cronjob_status_last_schedule_time', id, c.lastScheduleTime),
  );
  yield* cronFamily('kube_cronjob_status_last_successful_time', 'LastSuccessfulTime keeps information of when was the last time the job was completed successfully.', (c, id) =>
    optional('kube_cronjob_status_last_successful_time', id, c.lastSuccessfulTime),
  );
  yield* cronFamily('kube_cronjob_spec_suspend', 'Suspend flag tells the controller to suspend subsequent executions.', (c, id) => sample('kube_cronjob_spec_suspend', id, c.suspend ? 1 : 0));

  const podFamily = function* (name: string, help: string, line: (p: PodSummary) => string) {
    out += header(name, 'gauge', help);
    for (const p of s.pods) {
      out += line(p);
      yield* flush();
    }
  };
  yield* podFamily('kube_pod_info', 'Information about pod.', (p) => `kube_pod_info{${p.id},${p.info}} 1\n`);
  yield* podFamily('kube_pod_owner', "Information about the Pod's owner.", (p) => `kube_pod_owner{${p.id},${p.owner}} 1\n`);
  yield* podFamily('kube_pod_status_phase', 'The pods current phase.', (p) => {
    let lines = '';
    for (const phase of POD_PHASES) lines += `kube_pod_status_phase{${p.id},phase="${phase}"} ${phase === p.phase ? 1 : 0}\n`;
    return lines;
  });

  // A heartbeat record of an unexpected shape is no node, never a failed scrape.
  const nodes = s.nodes.flatMap((hb) => {
    try {
      return [{ hb, node: nodeFromHeartbeat(hb, s.now, s.nodeGraceMs, s.nodeSpecs?.[hb.name]) }];
    } catch {
      return [];
    }
  });
  out += header('kube_node_info', 'gauge', 'Information about a cluster node.');
  for (const { hb, node } of nodes) {
    const info = node.status?.nodeInfo;
    out += sample(
      'kube_node_info',
      [
        ['node', hb.name],
        ['kernel_version', info?.kernelVersion ?? ''],
        ['os_image', info?.osImage ?? ''],
        ['container_runtime_version', info?.containerRuntimeVersion ?? ''],
        ['kubelet_version', info?.kubeletVersion ?? ''],
        ['kubeproxy_version', info?.kubeProxyVersion ?? ''],
        ['provider_id', ''],
        ['pod_cidr', ''],
        ['system_uuid', info?.systemUUID ?? ''],
        ['internal_ip', typeof hb.address === 'string' ? hb.address : ''],
      ],
      1,
    );
  }
  out += header('kube_node_status_condition', 'gauge', 'The condition of a cluster node.');
  for (const { hb, node } of nodes) {
    for (const cond of node.status?.conditions ?? []) {
      const status = conditionOf(cond.status) ?? 'unknown';
      for (const c of CONDITIONS) out += sample('kube_node_status_condition', [['node', hb.name], ['condition', cond.type], ['status', c]], c === status ? 1 : 0);
    }
  }
  for (const [family, help] of [
    ['kube_node_status_capacity', 'The capacity for different resources of a node.'],
    ['kube_node_status_allocatable', 'The allocatable for different resources of a node that are available for scheduling.'],
  ] as const) {
    out += header(family, 'gauge', help);
    for (const { hb } of nodes) out += sample(family, [['node', hb.name], ['resource', 'pods'], ['unit', 'integer']], num(hb.capacity?.pods));
  }
  if (out) yield out;
}

/** The whole text of renderKubeState (for tests and small fleets). */
export function renderKubeStateText(s: KubeStateSnapshot): string {
  return [...renderKubeState(s)].join('');
}
