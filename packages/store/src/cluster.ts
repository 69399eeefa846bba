import { Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { delaysFromEnv, type Delays } from '@jobfleet/kube';
import { JobController, type Clock } from './controller.js';
import { SYNC_QUEUE, TaskQueues, type SyncTask } from './queues.js';
import { JobStore, type StoreLimits } from './store.js';

/**
 * How to connect to Redis beyond its URL, for every connection a role makes (BullMQ's included):
 * credentials kept out of the URL (so that they need not appear in `ps` or in messages) and TLS.
 * Credentials written in the URL win over these.
 */
export interface RedisConnectionOptions {
  /** An ACL user (Redis 6+); unset: the `default` user. */
  username?: string;
  password?: string;
  /**
   * TLS settings; TLS is also on, with the system's CAs, for a `rediss://` URL. `ca`: the CA (PEM) that
   * signed the server's certificate; `cert`/`key`: a client certificate for a Redis that asks for one.
   */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
}

export interface ClusterOptions {
  redisUrl: string;
  /** Credentials and TLS for every connection. */
  redisConnection?: RedisConnectionOptions;
  prefix?: string;
  delays?: Delays;
  clock?: Clock;
  /**
   * Fail commands at once while Redis is unreachable (the API answers 503) instead of queueing
   * them until it is back (workers and janitors, whose reports must not be lost).
   */
  failFast?: boolean;
  /** Object size and change stream bounds (default: JOBFLEET_MAX_OBJECT_BYTES, JOBFLEET_CHANGES_MAX_BYTES); every role of a fleet must agree. */
  limits?: StoreLimits;
}

/** Reconnect forever with a capped backoff: a Redis outage must never end a process. */
const retryStrategy = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000);

/** ioredis options of a RedisConnectionOptions (ioredis lets the URL's own credentials win). */
export function redisConnectionSettings(connection: RedisConnectionOptions = {}): RedisOptions {
  const { username, password, tls } = connection;
  return { ...(username ? { username } : {}), ...(password ? { password } : {}), ...(tls ? { tls: { ...tls } } : {}) };
}

/**
 * Every Redis connection of jobfleet is made here (BullMQ's blocking connections are duplicates of
 * these, with the same credentials and TLS).
 */
export function newRedis(url: string, extra: RedisOptions = {}, connection: RedisConnectionOptions = {}): Redis {
  const redis = new Redis(url, { retryStrategy, maxRetriesPerRequest: null, enableReadyCheck: true, ...redisConnectionSettings(connection), ...extra });
  redis.on('error', () => undefined); // reconnection is automatic; callers see failed commands
  return redis;
}

/** The shared state every role works on: the store, the task queues and the Job controller. */
export class Cluster {
  readonly redis: Redis;
  readonly store: JobStore;
  readonly queues: TaskQueues;
  readonly controller: JobController;
  readonly delays: Delays;
  private readonly extraConnections: Redis[] = [];

  constructor(readonly options: ClusterOptions) {
    const prefix = options.prefix ?? process.env.JOBFLEET_REDIS_PREFIX ?? 'jf';
    this.redis = newRedis(options.redisUrl, options.failFast ? { maxRetriesPerRequest: 1, enableOfflineQueue: false } : {}, options.redisConnection);
    this.store = new JobStore(this.redis, prefix, options.limits);
    this.queues = new TaskQueues(this.redis, this.store.keys.queuePrefix);
    this.delays = options.delays ?? delaysFromEnv();
    this.controller = new JobController(this.store, this.queues, this.delays, options.clock);
  }

  /** A further connection (for blocking reads or pub/sub), closed with the cluster. */
  connection(): Redis {
    const c = newRedis(this.options.redisUrl, {}, this.options.redisConnection);
    this.extraConnections.push(c);
    return c;
  }

  /** Consumes delayed sync tasks (backoff and deadline timers). Every api and worker runs one. */
  startSyncRunner(concurrency = 4): Worker<SyncTask> {
    const run = async (task: { data: SyncTask; id?: string }) => {
      await this.controller.syncJob(task.data.ns, task.data.name);
      await this.queues.syncDone(task.data, task.id ?? '');
    };
    const worker = new Worker<SyncTask>(SYNC_QUEUE, run, {
      connection: this.connection(),
      prefix: this.store.keys.queuePrefix,
      concurrency,
    });
    worker.on('error', () => undefined); // connection errors are retried by ioredis; nothing to do here
    return worker;
  }

  async close(): Promise<void> {
    await this.queues.close();
    for (const c of this.extraConnections) c.disconnect();
    this.redis.disconnect();
  }
}
