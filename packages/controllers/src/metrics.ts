/**
 * The Job controller's Prometheus metrics, with the names, labels and buckets of Kubernetes' Job
 * controller (pkg/controller/job/metrics, subsystem `job_controller`), and the small HTTP server
 * the worker and janitor roles serve their metrics on (`--metrics-port`).
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';
import { findCondition, isJobFinished, matchPodFailurePolicy, type Job, type Pod, type SyncDecision } from '@jobfleet/kube';
import { podQueueStats, redisMemory, redisRoundTripSeconds, type JobStore, type TaskQueues } from '@jobfleet/store';

/** One per process: every JobController of the process counts into it (an `up` process runs several roles). */
export const jobControllerRegistry = new Registry();

const registers = [jobControllerRegistry];

const syncDuration = new Histogram({
  name: 'job_controller_job_sync_duration_seconds',
  help: 'The time it took to sync a job',
  labelNames: ['completion_mode', 'result', 'action'] as const,
  // Kubernetes' buckets: 4 ms to about 65 s.
  buckets: exponentialBuckets(0.004, 2, 15),
  registers,
});

const syncs = new Counter({
  name: 'job_controller_job_syncs_total',
  help: 'The number of job syncs',
  labelNames: ['completion_mode', 'result', 'action'] as const,
  registers,
});

const jobsFinished = new Counter({
  name: 'job_controller_jobs_finished_total',
  help: 'The number of finished jobs',
  labelNames: ['completion_mode', 'result', 'reason'] as const,
  registers,
});

const podsFinished = new Counter({
  name: 'job_controller_job_pods_finished_total',
  help: 'The number of finished Pods that are fully tracked',
  labelNames: ['completion_mode', 'result'] as const,
  registers,
});

const failurePolicy = new Counter({
  name: 'job_controller_pod_failures_handled_by_failure_policy_total',
  help: 'The number of failed Pods handled by failure policy with respect to the failure policy action applied based on the matched rule',
  labelNames: ['action'] as const,
  registers,
});

export function completionModeOf(job: Job): string {
  return job.spec.completionMode === 'Indexed' ? 'Indexed' : 'NonIndexed';
}

/** What a sync did, as Kubernetes' `action` label: pods created, pods deleted, finished pods tracked, or nothing but reconciling. */
export function syncAction(created: number, deleted: number, tracked: number): 'pods_created' | 'pods_deleted' | 'tracking' | 'reconciling' {
  if (created > 0) return 'pods_created';
  if (deleted > 0) return 'pods_deleted';
  if (tracked > 0) return 'tracking';
  return 'reconciling';
}

/** One sync attempt: its duration and result ('success', or 'error' for a failure or a lost compare-and-set). */
export function recordSync(job: Job | undefined, result: 'success' | 'error', action: string, seconds: number): void {
  const labels = { completion_mode: job ? completionModeOf(job) : 'NonIndexed', result, action };
  syncDuration.observe(labels, seconds);
  syncs.inc(labels);
}

/**
 * What a committed sync finished: the Job (when it has a terminal condition now and had none), the
 * pods it counted, and the failed ones a podFailurePolicy rule matched.
 */
export function recordCommitted(job: Job, decision: SyncDecision, uncounted: Pod[]): void {
  const mode = completionModeOf(job);
  if (!isJobFinished(job)) {
    const complete = findCondition(decision.status, 'Complete');
    const failed = findCondition(decision.status, 'Failed');
    if (complete) jobsFinished.inc({ completion_mode: mode, result: 'succeeded', reason: complete.reason ?? '' });
    else if (failed) jobsFinished.inc({ completion_mode: mode, result: 'failed', reason: failed.reason ?? '' });
  }
  if (decision.counted.length === 0) return;
  const byName = new Map(uncounted.map((p) => [p.metadata.name ?? '', p]));
  for (const name of decision.counted) {
    const pod = byName.get(name);
    const phase = pod?.status.phase;
    if (!pod || (phase !== 'Succeeded' && phase !== 'Failed')) continue;
    podsFinished.inc({ completion_mode: mode, result: phase === 'Succeeded' ? 'succeeded' : 'failed' });
    if (phase === 'Failed' && job.spec.podFailurePolicy) {
      const action = matchPodFailurePolicy(job.spec.podFailurePolicy, pod).action;
      if (action) failurePolicy.inc({ action });
    }
  }
}

/**
 * jobfleet's own figures of the shared Redis, the same from every role: the pods queue (BullMQ's
 * counts, the oldest waiting task's age), Redis' round trip and memory. Each scrape asks Redis a
 * few commands; what fails to answer is left out of that scrape rather than failing it.
 */
export class StoreGauges {
  private readonly queueTasks: Gauge<'state'>;
  private readonly oldestWaiting: Gauge;
  private readonly roundTrip: Gauge;
  private readonly memoryUsed: Gauge;
  private readonly memoryMax: Gauge;
  private readonly up: Gauge;

  constructor(
    registry: Registry,
    private readonly store: JobStore,
    private readonly queues: TaskQueues,
  ) {
    const registers = [registry];
    this.queueTasks = new Gauge({ name: 'jobfleet_pods_queue_tasks', help: 'Pods in the pod queue, by state: due and waiting for a worker, handed back for later (delayed)', labelNames: ['state'], registers });
    this.oldestWaiting = new Gauge({ name: 'jobfleet_pods_queue_oldest_waiting_seconds', help: 'Age of the oldest pod task waiting for a worker (0 when none waits)', registers });
    this.roundTrip = new Gauge({ name: 'jobfleet_redis_round_trip_seconds', help: 'Time of one PING to Redis, measured at the scrape', registers });
    this.memoryUsed = new Gauge({ name: 'jobfleet_redis_memory_used_bytes', help: "Redis' used_memory (INFO memory)", registers });
    this.memoryMax = new Gauge({ name: 'jobfleet_redis_memory_max_bytes', help: "Redis' maxmemory (0: no limit)", registers });
    this.up = new Gauge({ name: 'jobfleet_redis_up', help: 'Whether Redis answered at the scrape', registers });
  }

  async update(): Promise<void> {
    const [queue, rtt, memory] = await Promise.allSettled([podQueueStats(this.store, this.queues), redisRoundTripSeconds(this.store), redisMemory(this.store)]);
    this.queueTasks.reset();
    this.oldestWaiting.reset();
    this.roundTrip.reset();
    this.memoryUsed.reset();
    this.memoryMax.reset();
    this.up.set(rtt.status === 'fulfilled' ? 1 : 0);
    if (queue.status === 'fulfilled') {
      this.queueTasks.set({ state: 'waiting' }, queue.value.waiting);
      this.queueTasks.set({ state: 'delayed' }, queue.value.delayed);
      this.oldestWaiting.set(queue.value.oldestWaitingSeconds);
    }
    if (rtt.status === 'fulfilled') this.roundTrip.set(rtt.value);
    if (memory.status === 'fulfilled') {
      this.memoryUsed.set(memory.value.usedBytes);
      this.memoryMax.set(memory.value.maxBytes);
    }
  }
}

/** Prometheus' text exposition format, version 0.0.4. */
/**
 * The `/metrics` of a role that serves its own (worker, janitor): the process's default metrics, the
 * store's gauges, what the role adds to `registry`, and the Job controller's metrics of the syncs it ran.
 */
export class RoleMetrics {
  readonly registry = new Registry();
  private readonly storeGauges: StoreGauges;

  constructor(store: JobStore, queues: TaskQueues, defaultLabels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(defaultLabels);
    collectDefaultMetrics({ register: this.registry });
    this.storeGauges = new StoreGauges(this.registry, store, queues);
  }

  async render(): Promise<string> {
    await this.storeGauges.update();
    return (await this.registry.metrics()) + (await jobControllerRegistry.metrics());
  }

  serve(port: number, host?: string): Promise<RunningMetricsServer> {
    return startMetricsServer({ port, host, render: () => this.render() });
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsServerOptions {
  port: number;
  /** Default: every interface, as Prometheus scrapes from elsewhere. */
  host?: string;
  /** Renders the exposition text; its errors answer 500. */
  render: () => Promise<string>;
}

export interface RunningMetricsServer {
  port: number;
  close(): Promise<void>;
}

/** A minimal HTTP server answering GET /metrics (and 404 otherwise), for the roles that serve no API. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    opts.render().then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`error collecting metrics: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // A scraper that stops mid-request must not keep a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
