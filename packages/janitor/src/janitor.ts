import { ttlDeadline } from '@jobfleet/spec';
import { Cluster, deleteJob, NodeMonitor, nodeTimingsFromEnv } from '@jobfleet/store';

export interface JanitorOptions {
  redisUrl: string;
  prefix?: string;
  /** How often the schedule is checked (default 250 ms). */
  pollMs?: number;
  /** How often the node registry is checked for lost nodes (default 1000 ms). */
  nodeCheckMs?: number;
}

export interface RunningJanitor {
  close(): Promise<void>;
}

/**
 * The TTL-after-finished controller: deletes each finished Job `ttlSecondsAfterFinished` after it
 * finished. It also runs the node monitor (lost workers' pods). The schedule is a sorted set in Redis scored by deadline on the Redis clock, so a
 * restart loses nothing and a check costs O(log n), not a scan. Several janitors may run: the
 * deletion is one atomic write, so a Job is deleted once and the others find nothing to do.
 */
export class Janitor implements RunningJanitor {
  private readonly cluster: Cluster;
  private readonly nodes: NodeMonitor;
  private lastNodeCheck = 0;
  private timer?: NodeJS.Timeout;
  private current: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: JanitorOptions) {
    this.cluster = new Cluster({ redisUrl: opts.redisUrl, prefix: opts.prefix });
    this.nodes = new NodeMonitor(this.cluster.store, this.cluster.controller, nodeTimingsFromEnv());
  }

  start(): void {
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

  /** Deletes every Job whose deadline has passed. Returns how many it deleted. */
  async collect(): Promise<number> {
    const store = this.cluster.store;
    const now = await store.now();
    const due = await store.redis.zrangebyscore(store.keys.ttlSchedule, '-inf', now, 'LIMIT', 0, 100);
    let deleted = 0;
    for (const member of due) {
      const [ns = '', name = ''] = member.split('/');
      const stored = await store.getJob(ns, name);
      const deadline = stored ? ttlDeadline(stored.job) : undefined;
      if (!stored || deadline === undefined) {
        await store.redis.zrem(store.keys.ttlSchedule, member); // gone, or its TTL was removed
        continue;
      }
      if (deadline > now) {
        await store.redis.zadd(store.keys.ttlSchedule, deadline, member); // its TTL was raised
        continue;
      }
      if (await deleteJob(store, ns, name, { uid: stored.job.metadata.uid, queues: this.cluster.queues })) deleted++;
    }
    return deleted;
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
    await this.cluster.close();
  }
}

export async function startJanitor(opts: JanitorOptions): Promise<Janitor> {
  const janitor = new Janitor(opts);
  janitor.start();
  return janitor;
}
