import type { Delays } from '@jobfleet/kube';
import { Cluster, CronJobController, DEFAULT_NODE_TIMINGS, NodeMonitor, silentLogger, TtlController, type Logger, type NodeTimings, type RunningMetricsServer } from '@jobfleet/controllers';
import type { RedisConnectionOptions, StoreLimits } from '@jobfleet/store';
import { JanitorMetrics } from './metrics.js';

export interface JanitorOptions {
  redisUrl: string;
  /** Credentials and TLS for the Redis connections (beyond what the URL says). */
  redisConnection?: RedisConnectionOptions;
  prefix?: string;
  /** How often the schedule is checked (default 250 ms). */
  pollMs?: number;
  /** How often the node registry is checked for lost nodes (default 1000 ms). */
  nodeCheckMs?: number;
  /** When a silent node is NotReady and its pods lost (default: Kubernetes' 40 s and 5 min). */
  nodeTimings?: Partial<NodeTimings>;
  /** The Job controller's backoff delays (default: Kubernetes'). */
  delays?: Delays;
  /** Object size and change stream bounds; every role of a fleet must agree. */
  limits?: StoreLimits;
  /** How often the CronJob controller checks its schedule (default 1000 ms). */
  cronJobPollMs?: number;
  /** Where the janitor's lines go (default: nowhere). */
  logger?: Logger;
  /** Serve Prometheus metrics at /metrics on this port (0: a free one; unset: none; the CLI reads --metrics-port / JOBFLEET_METRICS_PORT). */
  metricsPort?: number;
  /** Address the metrics server listens on (default every interface). */
  metricsHost?: string;
}

export interface RunningJanitor {
  close(): Promise<void>;
}

/**
 * The janitor role: runs the TTL-after-finished controller (which also finishes deletions whose
 * process died half-way), the node monitor (lost workers' pods) and the CronJob controller (which
 * every API process runs too), all from @jobfleet/controllers.
 * Several janitors may run: a Job is deleted once and the others find nothing to do.
 */
export class Janitor implements RunningJanitor {
  private readonly cluster: Cluster;
  private readonly nodes: NodeMonitor;
  private readonly ttl: TtlController;
  private readonly cronJobs: CronJobController;
  private lastNodeCheck = 0;
  private timer?: NodeJS.Timeout;
  private current: Promise<void> = Promise.resolve();
  private closed = false;
  private metrics?: JanitorMetrics;
  private metricsServer?: RunningMetricsServer;

  private readonly logger: Logger;

  constructor(private readonly opts: JanitorOptions) {
    this.logger = opts.logger ?? silentLogger();
    this.cluster = new Cluster({ redisUrl: opts.redisUrl, redisConnection: opts.redisConnection, prefix: opts.prefix, delays: opts.delays, limits: opts.limits, logger: this.logger });
    this.nodes = new NodeMonitor(this.cluster.store, this.cluster.controller, { ...DEFAULT_NODE_TIMINGS, ...opts.nodeTimings }, this.logger);
    this.ttl = new TtlController(this.cluster.store, this.cluster.queues, this.logger);
    this.cronJobs = new CronJobController(this.cluster.store, this.cluster.queues, this.cluster.controller, { pollMs: opts.cronJobPollMs, logger: this.logger });
  }

  start(): void {
    const timings = { ...DEFAULT_NODE_TIMINGS, ...this.opts.nodeTimings };
    this.logger.info({ nodeGraceMs: timings.graceMs, podEvictionMs: timings.evictionMs }, 'janitor started: TTL-after-finished, node monitor, CronJob controller');
    this.cronJobs.start();
    const tick = () => {
      if (this.closed) return;
      this.current = this.collect()
        .then(() => this.checkNodes())
        .then(() => undefined, () => undefined) // Redis down: try again on the next tick
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, this.opts.pollMs ?? 250);
        });
    };
    tick();
  }

  /** Deletes every Job whose TTL deadline has passed (and finishes deletions whose process died). Returns how many it deleted. */
  collect(): Promise<number> {
    return this.ttl.collect().then((deleted) => {
      this.metrics?.jobsDeleted(deleted);
      return deleted;
    });
  }

  /** The port the janitor serves /metrics on (undefined without metricsPort). */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** Serves /metrics on `port`; the server stops with the janitor. */
  async serveMetrics(port: number, host?: string): Promise<number> {
    this.metrics ??= new JanitorMetrics(this.cluster.store, this.cluster.queues);
    this.metricsServer = await this.metrics.serve(port, host);
    return this.metricsServer.port;
  }

  private async checkNodes(): Promise<void> {
    if (Date.now() - this.lastNodeCheck < (this.opts.nodeCheckMs ?? 1_000)) return;
    this.lastNodeCheck = Date.now();
    await this.nodes.check();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.current;
    await this.metricsServer?.close();
    await this.cronJobs.close();
    await this.cluster.close();
    this.logger.info('janitor stopped');
  }
}

export async function startJanitor(opts: JanitorOptions): Promise<Janitor> {
  const janitor = new Janitor(opts);
  janitor.start();
  if (opts.metricsPort !== undefined) {
    try {
      await janitor.serveMetrics(opts.metricsPort, opts.metricsHost);
    } catch (err) {
      await janitor.close();
      throw err;
    }
  }
  return janitor;
}
