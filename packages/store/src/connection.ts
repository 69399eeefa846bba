import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ChangeStream } from './change-stream.js';
import { newRedis, type RedisConnectionOptions } from './cluster.js';
import { PodTaskConsumer, SYNC_QUEUE, TaskQueues, type PodTaskConsumerOptions, type PodTaskOutcome, type ReceivedPodTask, type SyncTask } from './queues.js';
import { JobStore, type StoreLimits } from './store.js';

export interface StoreConnectionOptions {
  redisUrl: string;
  /** Credentials and TLS for every connection. */
  redisConnection?: RedisConnectionOptions;
  /** Prefix of every key (default "jf"); every role of a fleet must agree. */
  prefix?: string;
  /**
   * Fail commands at once while Redis is unreachable (the API answers 503) instead of queueing
   * them until it is back (workers and janitors, whose reports must not be lost).
   */
  failFast?: boolean;
  /** Object size and change stream bounds; every role of a fleet must agree. */
  limits?: StoreLimits;
}

/**
 * A role's connection to the fleet's Redis: the store, the task queues and the further connections
 * (blocking reads, pub/sub, BullMQ consumers) made with the same settings and closed together.
 */
export class StoreConnection {
  readonly redis: Redis;
  readonly store: JobStore;
  readonly queues: TaskQueues;
  private readonly extraConnections: Redis[] = [];

  constructor(readonly options: StoreConnectionOptions) {
    this.redis = newRedis(options.redisUrl, options.failFast ? { maxRetriesPerRequest: 1, enableOfflineQueue: false } : {}, options.redisConnection);
    const durability = options.redisConnection?.durability;
    this.store = new JobStore(this.redis, options.prefix ?? 'jf', durability ? { ...options.limits, durability } : options.limits);
    this.queues = new TaskQueues(this.redis, this.store.keys);
  }

  /** A further connection (for blocking reads or pub/sub), closed with this one. */
  connection(): Redis {
    const c = newRedis(this.options.redisUrl, {}, this.options.redisConnection);
    this.extraConnections.push(c);
    return c;
  }

  /** The change stream, read through a connection of its own for the blocking reads; pods decoded. */
  changeStream(): ChangeStream {
    return new ChangeStream(this.connection(), this.redis, this.store.keys, (obj, dict, rv) => this.store.codec.decode(obj, dict, rv));
  }

  /** Takes the fleet's pod tasks for `handler` (with a connection of its own for the wake-up messages). */
  podTaskConsumer(handler: (task: ReceivedPodTask) => Promise<PodTaskOutcome>, opts: PodTaskConsumerOptions): PodTaskConsumer {
    return new PodTaskConsumer(this.queues, this.connection(), this.store.keys.podQueueWake, handler, opts, (refs) => this.store.getPodsAt(refs));
  }

  /** Consumes the delayed sync tasks (backoff and deadline timers) with `sync`; each task is marked done after it. */
  consumeSyncTasks(sync: (task: SyncTask) => Promise<void>, concurrency = 4): Worker<SyncTask> {
    const run = async (task: { data: SyncTask; id?: string }) => {
      await sync(task.data);
      await this.queues.syncDone(task.data, task.id ?? '');
    };
    const worker = new Worker<SyncTask>(SYNC_QUEUE, run, { connection: this.connection(), prefix: this.store.keys.queuePrefix, concurrency });
    worker.on('error', () => undefined); // connection errors are retried by ioredis; nothing to do here
    return worker;
  }

  /**
   * Calls `listener(false)` when the connection to Redis is lost and `listener(true)` when it is back,
   * once each per outage (ioredis reports every failed reconnection attempt as a close); not for close().
   */
  onConnectionChange(listener: (connected: boolean) => void): void {
    let lost = false;
    this.redis.on('close', () => {
      if (lost || this.closing) return;
      lost = true;
      listener(false);
    });
    this.redis.on('ready', () => {
      if (!lost) return;
      lost = false;
      listener(true);
    });
  }

  private closing = false;

  /** Ready when Redis answers PING (the API's readiness probe). */
  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }

  /**
   * Waits (at most timeoutMs) for the connection to be ready: without it the first requests after a
   * start would fail. A Redis that is down does not make this fail; it only returns after timeoutMs.
   */
  async untilReady(timeoutMs: number): Promise<void> {
    const redis = this.redis;
    if (redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      redis.once('ready', done);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.queues.close();
    for (const c of this.extraConnections) c.disconnect();
    this.redis.disconnect();
  }
}

/**
 * Connects once and sends PING, without retrying: rejects with the connection's own error (a wrong
 * password, an untrusted certificate, a refused connection) or after `timeoutMs`. For checking a
 * setting at a role's start; the roles themselves reconnect forever.
 */
export async function pingRedis(url: string, connection: RedisConnectionOptions = {}, timeoutMs = 5_000): Promise<void> {
  const client = newRedis(url, { lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, enableReadyCheck: false, failoverDetector: false }, connection);
  let connectionError: Error | undefined;
  client.on('error', (error: Error) => (connectionError ??= error));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (error) {
    throw connectionError ?? error;
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
