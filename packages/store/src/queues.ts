import { DelayedError, Queue, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Job, Pod } from '@jobfleet/kube';

export const POD_QUEUE = 'pods';
export const SYNC_QUEUE = 'sync';

/** A pod for a worker to run; the pod record in Redis is the truth, the task only points at it. */
export interface PodTask {
  ns: string;
  name: string;
  uid: string;
}

/** A request to run the Job controller's sync for one Job (used for backoff and deadline timers). */
export interface SyncTask {
  ns: string;
  name: string;
  uid: string;
}

const RETENTION = { removeOnComplete: true, removeOnFail: true } as const;
const TIMER_GRANULARITY_MS = 250;

/** The two BullMQ queues every Job uses; one pair for the whole fleet, whatever the number of Jobs. */
export class TaskQueues {
  readonly pods: Queue<PodTask>;
  readonly sync: Queue<SyncTask>;
  /** The earliest timer this process has set per Job (uid → due ms). */
  private readonly pendingTimers = new Map<string, number>();

  constructor(private readonly redis: Redis, readonly prefix: string) {
    const connection = redis;
    this.pods = new Queue<PodTask>(POD_QUEUE, { connection, prefix });
    this.sync = new Queue<SyncTask>(SYNC_QUEUE, { connection, prefix });
    // Connection errors are retried by ioredis; callers see the failed commands themselves.
    this.pods.on('error', () => undefined);
    this.sync.on('error', () => undefined);
  }

  /** Idempotent: the task id is the pod uid, so adding the same pod twice is a no-op while it waits. */
  async enqueuePods(pods: Pod[]): Promise<void> {
    if (pods.length === 0) return;
    await this.pods.addBulk(
      pods.map((pod) => {
        const data: PodTask = { ns: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
        return { name: 'run-pod', data, opts: { jobId: `pod-${data.uid}`, ...RETENTION } };
      }),
    );
  }

  /**
   * Schedules a sync of the Job. Task ids are recorded per Job so that deleting the Job removes
   * its pending timers at once instead of leaving them to fire on nothing.
   */
  async scheduleSync(job: Job, delayMs: number, now = Date.now()): Promise<void> {
    const data: SyncTask = { ns: job.metadata.namespace ?? 'default', name: job.metadata.name ?? '', uid: job.metadata.uid ?? '' };
    // Due times are rounded up to TIMER_GRANULARITY_MS: a burst of syncs asking for about the same
    // moment adds one task, not one each.
    const dueAt = Math.ceil((now + delayMs) / TIMER_GRANULARITY_MS) * TIMER_GRANULARITY_MS;
    // A timer this process already set that fires no later does the job: the sync it runs
    // schedules the next one itself.
    const pending = this.pendingTimers.get(data.uid);
    if (pending !== undefined && pending > now && pending <= dueAt) return;
    if (this.pendingTimers.size >= 10_000) this.pendingTimers.delete(this.pendingTimers.keys().next().value as string);
    this.pendingTimers.set(data.uid, dueAt);
    const jobId = `sync-${data.uid}-${dueAt}`;
    await this.redis.sadd(this.timersKey(data.uid), jobId);
    await this.sync.add('sync-job', data, { jobId, delay: Math.max(0, dueAt - now), ...RETENTION });
  }

  /** Called once a sync task ran. */
  async syncDone(task: SyncTask, taskId: string): Promise<void> {
    await this.redis.srem(this.timersKey(task.uid), taskId);
  }

  /** Removes the pending timers and pod tasks of a deleted Job. */
  async removeJobTasks(jobUid: string, podUids: string[]): Promise<void> {
    const timers = await this.redis.smembers(this.timersKey(jobUid));
    await Promise.all([
      ...timers.map((id) => this.sync.remove(id).catch(() => 0)),
      ...podUids.map((uid) => this.pods.remove(`pod-${uid}`).catch(() => 0)),
    ]);
    await this.redis.del(this.timersKey(jobUid));
  }

  private timersKey(jobUid: string): string {
    return `${this.prefix}:timers:${jobUid}`;
  }

  async close(): Promise<void> {
    await Promise.all([this.pods.close(), this.sync.close()]);
  }
}

/** What a pod task handler answers: nothing (done), or that the task goes back to the queue for `retryInMs`. */
export type PodTaskOutcome = void | { retryInMs: number };

/** A pod task as a worker sees it: what to run, and when it was queued (ms). */
export interface ReceivedPodTask {
  /** Undefined when the task is not one jobfleet wrote. */
  data: PodTask | undefined;
  queuedAt: number;
}

export interface PodTaskConsumerOptions {
  /** Tasks handled at once (the node's pod capacity). */
  concurrency: number;
}

/**
 * Takes pod tasks from the fleet's queue (BullMQ's Worker, with the store's prefix and the
 * settings every worker uses): a redelivered task is harmless, since the pod's claim is the fence.
 * A handler hands a task back for later by answering `{ retryInMs }`.
 */
export class PodTaskConsumer {
  private readonly worker: Worker<PodTask>;

  constructor(connection: Redis, prefix: string, handler: (task: ReceivedPodTask) => Promise<PodTaskOutcome>, opts: PodTaskConsumerOptions) {
    this.worker = new Worker<PodTask>(POD_QUEUE, (task, token) => this.run(task, token, handler), {
      connection,
      prefix,
      concurrency: opts.concurrency,
      lockDuration: 60_000,
      maxStalledCount: 1_000_000,
    });
    // Connection errors are retried by ioredis; a task whose handler failed is simply done.
    this.worker.on('error', () => undefined);
  }

  private async run(task: BullJob<PodTask>, token: string | undefined, handler: (task: ReceivedPodTask) => Promise<PodTaskOutcome>): Promise<void> {
    const raw: Partial<PodTask> = typeof task.data === 'object' && task.data !== null ? task.data : {};
    const { ns, name, uid } = raw;
    const data = typeof ns === 'string' && typeof name === 'string' && typeof uid === 'string' ? { ns, name, uid } : undefined;
    const outcome = await handler({ data, queuedAt: Number.isFinite(task.timestamp) ? task.timestamp : Date.now() });
    if (outcome) {
      await task.moveToDelayed(Date.now() + outcome.retryInMs, token);
      throw new DelayedError();
    }
  }

  isPaused(): boolean {
    return this.worker.isPaused();
  }

  /** Stops taking tasks (running ones go on). */
  async pause(): Promise<void> {
    await this.worker.pause(true);
  }

  resume(): void {
    this.worker.resume();
  }

  /** Waits for running tasks to end (force: does not wait). */
  close(force = false): Promise<void> {
    return this.worker.close(force);
  }
}
