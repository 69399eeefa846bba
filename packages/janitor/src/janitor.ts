import { ConflictError, ttlDeadline } from '@jobfleet/kube';
import { Cluster, deleteJob, NodeMonitor, resumeDeletion, nodeTimingsFromEnv, type RedisConnectionOptions } from '@jobfleet/store';

export interface JanitorOptions {
  redisUrl: string;
  /** Credentials and TLS for the Redis connections (beyond what the URL says). */
  redisConnection?: RedisConnectionOptions;
  prefix?: string;
  /** How often the schedule is checked (default 250 ms). */
  pollMs?: number;
  /** How often the node registry is checked for lost nodes (default 1000 ms). */
  nodeCheckMs?: number;
}

/** A deletion still in the registry this long after it started is taken over (its process died). */
const RESUME_AFTER_MS = 10_000;

function parseDeletion(raw: string): { ns: string; name: string; at: number } | undefined {
  try {
    const v = JSON.parse(raw) as { ns?: unknown; name?: unknown; at?: unknown };
    return typeof v.ns === 'string' && typeof v.name === 'string' && typeof v.at === 'number' ? { ns: v.ns, name: v.name, at: v.at } : undefined;
  } catch {
    return undefined;
  }
}

export interface RunningJanitor {
  close(): Promise<void>;
}

/**
 * The TTL-after-finished controller: deletes each finished Job `ttlSecondsAfterFinished` after it
 * finished. It also runs the node monitor (lost workers' pods). The schedule is a sorted set in Redis scored by deadline on the Redis clock, so a
 * restart loses nothing and a check costs O(log n), not a scan. Several janitors may run: a Job
 * is deleted once (the first step of a deletion is atomic) and the others find nothing to do. It
 * also finishes deletions whose process died half-way.
 */
export class Janitor implements RunningJanitor {
  private readonly cluster: Cluster;
  private readonly nodes: NodeMonitor;
  private lastNodeCheck = 0;
  private timer?: NodeJS.Timeout;
  private current: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: JanitorOptions) {
    this.cluster = new Cluster({ redisUrl: opts.redisUrl, redisConnection: opts.redisConnection, prefix: opts.prefix });
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
      // The uid precondition: a Job recreated under the same name meanwhile is not this one (409, skipped).
      // A Job of many pods is gone at once; its pods follow in the background (resumed from the registry if this process stops).
      const gone = await deleteJob(store, ns, name, { uid: stored.job.metadata.uid, queues: this.cluster.queues, returnAfterMs: 1_000 }).catch((err: unknown) => {
        if (err instanceof ConflictError) return undefined;
        throw err;
      });
      if (gone) deleted++;
    }
    await this.resumeDeletions(now);
    return deleted;
  }

  /**
   * Finishes deletions whose process stopped half-way (a Job's pods go in batches after the Job):
   * any entry of the registry older than RESUME_AFTER_MS. Several janitors may do it at once: the
   * deletion is idempotent.
   */
  private async resumeDeletions(now: number): Promise<void> {
    const store = this.cluster.store;
    const entries = await store.redis.hgetall(store.keys.deletingJobs);
    for (const [uid, raw] of Object.entries(entries)) {
      const entry = parseDeletion(raw);
      if (entry && now - entry.at < RESUME_AFTER_MS) continue;
      if (!entry) {
        await store.redis.hdel(store.keys.deletingJobs, uid); // not ours to read: nothing to resume
        continue;
      }
      await resumeDeletion(store, entry.ns, entry.name, uid, this.cluster.queues);
    }
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
