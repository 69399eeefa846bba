/**
 * The API's `/metrics` (Prometheus' text format 0.0.4): the API server's request metrics, the Job
 * controller's (Kubernetes' names), kube-state-metrics' families from the informer-style cache
 * (kube-state.ts), jobfleet's own (`jobfleet_`: queue, nodes, Redis, logs) and the process's.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Counter, Registry } from 'prom-client';
import type { NodeHeartbeat } from '@jobfleet/kube';
import { jobControllerRegistry, METRICS_CONTENT_TYPE, StoreGauges, type Cluster } from '@jobfleet/controllers';
import { logBytesStored, storedNodes } from '@jobfleet/store';
import type { ChangeFeed } from './change-feed.js';
import { KubeStateCache, renderKubeState, type KubeStateCacheOptions } from './kube-state.js';

export interface ApiMetricsOptions extends KubeStateCacheOptions {
  /** A node whose heartbeat is older than this is NotReady. */
  nodeGraceMs: number;
}

/** The labels of apiserver_request_total for one request. */
export interface RequestLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
}

/**
 * The API server's labels of a request from its route pattern (fastify's, e.g.
 * `/apis/batch/v1/namespaces/:ns/jobs/:name/status`), as its instrumentation names them: verb
 * LIST/WATCH/GET/POST/PUT/PATCH/DELETE/DELETECOLLECTION, scope cluster/namespace/resource.
 * A path that is no resource (probes, discovery, /metrics) or that no route serves has empty labels
 * but the verb: the label values come from the routes, never from what a client sent.
 */
export function requestLabels(method: string, route: string | undefined, watch: boolean): RequestLabels {
  const none: RequestLabels = { verb: method, group: '', version: '', resource: '', subresource: '', scope: '' };
  if (!route) return none;
  const parts = route.split('/').filter((p) => p !== '');
  let group = '';
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else return none;
  const version = parts[0] === 'api' ? (parts[1] ?? '') : (parts[2] ?? '');
  let scope = 'cluster';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    scope = 'namespace';
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource = ''] = rest;
  if (!resource || resource.startsWith(':')) return { ...none, group, version };
  const named = name !== undefined;
  if (named) scope = 'resource';
  let verb = method;
  if (method === 'GET') verb = watch ? 'WATCH' : named ? 'GET' : 'LIST';
  else if (method === 'DELETE' && !named) verb = 'DELETECOLLECTION';
  return { verb, group, version, resource, subresource, scope };
}

/** The API server's buckets of apiserver_request_duration_seconds. */
const REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

const LOG_BYTES_EVERY_MS = 10_000;

/** How long the first scrape waits for the kube-state cache's first list. */
const FIRST_LIST_WAIT_MS = 5_000;

export class ApiMetrics {
  private cacheStarted = false;
  readonly registry = new Registry();
  readonly cache: KubeStateCache;
  private readonly storeGauges: StoreGauges;
  private readonly requests: Counter<'verb' | 'dry_run' | 'group' | 'version' | 'resource' | 'subresource' | 'scope' | 'component' | 'code'>;
  private readonly durations: Histogram<'verb' | 'dry_run' | 'group' | 'version' | 'resource' | 'subresource' | 'scope' | 'component'>;
  private readonly nodePods: Gauge<'node'>;
  private readonly nodeCapacity: Gauge<'node'>;
  private readonly heartbeatAge: Gauge<'node'>;
  private readonly logBytes: Gauge;
  private readonly cachedObjects: Gauge<'kind'>;
  private readonly cacheFull: Gauge;
  private logBytesAt = 0;
  private logBytesValue?: number;

  constructor(
    private readonly cluster: Cluster,
    feed: ChangeFeed,
    private readonly options: ApiMetricsOptions,
  ) {
    this.cache = new KubeStateCache(cluster.store, feed, options);
    this.storeGauges = new StoreGauges(this.registry, cluster.store, cluster.queues);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
      registers,
    });
    this.durations = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.nodePods = new Gauge({ name: 'jobfleet_node_pods', help: 'Pods bound to the node and not finished (what --max-pods bounds)', labelNames: ['node'], registers });
    this.nodeCapacity = new Gauge({ name: 'jobfleet_node_pods_capacity', help: "The node's pod capacity (its worker's --max-pods)", labelNames: ['node'], registers });
    this.heartbeatAge = new Gauge({ name: 'jobfleet_node_heartbeat_age_seconds', help: "Seconds since the node's last heartbeat, on the Redis clock", labelNames: ['node'], registers });
    this.logBytes = new Gauge({ name: 'jobfleet_log_bytes_stored', help: "Bytes of pod logs Redis holds for the Jobs (their log budgets' counters)", registers });
    this.cachedObjects = new Gauge({ name: 'jobfleet_metrics_cache_objects', help: 'Objects in the kube-state metrics cache, by kind', labelNames: ['kind'], registers });
    this.cacheFull = new Gauge({ name: 'jobfleet_metrics_cache_full', help: 'Whether pods were left out of the kube-state metrics for the cache bound', registers });
  }

  /**
   * The kube-state cache holds a summary of every pod: it starts with the first scrape, not with the
   * API, so that an API nobody scrapes spends nothing on it. That scrape waits for the first list
   * (at most FIRST_LIST_WAIT_MS; then it shows what is listed so far, as kube-state-metrics does
   * while it starts).
   */
  private async cacheReady(): Promise<void> {
    if (!this.cacheStarted) {
      this.cacheStarted = true;
      this.cache.start();
    }
    for (let waited = 0; !this.cache.synced && waited < FIRST_LIST_WAIT_MS; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  stop(): void {
    this.cache.stop();
  }

  /** The request metrics hook and the /metrics route (behind the API's token, as every path but the probes). */
  register(app: FastifyInstance): void {
    app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      const query = req.query as Record<string, unknown> | undefined;
      const watch = query?.watch === 'true' || query?.watch === '1';
      const labels = { ...requestLabels(req.method, req.routeOptions.url, watch), dry_run: query?.dryRun ? 'All' : '', component: 'apiserver' };
      this.requests.inc({ ...labels, code: String(reply.statusCode) });
      this.durations.observe(labels, reply.elapsedTime / 1000);
    });
    app.get('/metrics', async (_req, reply) => reply.type(METRICS_CONTENT_TYPE).send(Readable.from(this.render(), { objectMode: false })));
  }

  /** The whole exposition, in chunks. */
  async *render(): AsyncGenerator<string> {
    await this.cacheReady();
    const store = this.cluster.store;
    const [stored, now] = await Promise.all([storedNodes(store).catch(() => []), store.now().catch(() => Date.now())]);
    const nodes = stored.map((n) => n.heartbeat);
    const nodeSpecs = Object.fromEntries(stored.map((n) => [n.heartbeat.name, n.spec]));
    await this.updateGauges(nodes, now);
    yield await this.registry.metrics();
    yield await jobControllerRegistry.metrics();
    // Each family goes over the objects again: iterables, not one-shot iterators.
    const { jobs, cronJobs, pods } = this.cache;
    yield* renderKubeState({
      jobs: { [Symbol.iterator]: () => jobs.values() },
      cronJobs: { [Symbol.iterator]: () => cronJobs.values() },
      pods: { [Symbol.iterator]: () => pods.values() },
      nodes,
      nodeSpecs,
      now,
      nodeGraceMs: this.options.nodeGraceMs,
    });
  }

  private async updateGauges(nodes: NodeHeartbeat[], now: number): Promise<void> {
    await this.storeGauges.update();
    this.nodePods.reset();
    this.nodeCapacity.reset();
    this.heartbeatAge.reset();
    for (const hb of nodes) {
      // The node's own count, sent with each heartbeat (right even when the cache is past its bound).
      const running = Number(hb.running);
      this.nodePods.set({ node: hb.name }, Number.isFinite(running) ? running : 0);
      const capacity = Number(hb.capacity?.pods);
      if (Number.isFinite(capacity)) this.nodeCapacity.set({ node: hb.name }, capacity);
      if (Number.isFinite(hb.heartbeat)) this.heartbeatAge.set({ node: hb.name }, Math.max(0, (now - hb.heartbeat) / 1000));
    }
    // The log counters are one MGET per 1,000 Jobs: read at most every 10 s, not at every scrape.
    if (Date.now() - this.logBytesAt >= LOG_BYTES_EVERY_MS) {
      this.logBytesAt = Date.now();
      const uids = [...this.cache.jobs.values()].map((j) => j.uid).filter((uid) => uid !== '');
      this.logBytesValue = await logBytesStored(this.cluster.store, uids).catch(() => this.logBytesValue);
    }
    if (this.logBytesValue !== undefined) this.logBytes.set(this.logBytesValue);
    this.cachedObjects.set({ kind: 'Job' }, this.cache.jobs.size);
    this.cachedObjects.set({ kind: 'CronJob' }, this.cache.cronJobs.size);
    this.cachedObjects.set({ kind: 'Pod' }, this.cache.pods.size);
    this.cacheFull.set(this.cache.full ? 1 : 0);
  }
}
