import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { stringify } from 'safe-stable-stringify';
import { podRequests, type Job, type Pod, type PodSpec } from '@jobfleet/kube';
import type { Keys } from './keys.js';
import { defineScript } from './scripts.js';
import type { StoredPod, WriteOp } from './store.js';

export const SYNC_QUEUE = 'sync';

/**
 * A pod for a worker to run; the pod record in Redis is the truth, the task only points at it (a
 * pod of that name made again meanwhile is the one to run, and is queued under the same entry).
 */
export interface PodTask {
  ns: string;
  name: string;
  /** The pod's placement class when it was queued (see placementClass). */
  placementClass?: string;
}

/**
 * A pod's placement class: a hash of what decides, whatever is in use, whether a node can ever take
 * it (fitsNode's other inputs: nodeSelector, required node affinity, tolerations and the requests;
 * not spec.nodeName, which only a claim sets: a template's nodeName is a required node affinity on
 * the pods). The pods of one Job share it. A node that finds it can never take a pod leaves the
 * entries of its class to the others, unread (takePods). Undefined for a spec whose requests cannot
 * be read (its node reads it, and admission refuses it). A pod whose tolerations a client changes
 * while queued moves to its new class's entry in the same place (putPod).
 */
export function placementClass(spec: PodSpec): string | undefined {
  let requests;
  try {
    requests = podRequests(spec);
  } catch {
    return undefined;
  }
  const { nodeSelector, tolerations } = spec;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  // Preferred node affinity decides which node scores best (a node leaves the class to better ones a moment).
  const preferred = spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  // Stable (sorted keys): the class of a pod is the same whoever computes it, from whatever JSON order.
  const canonical = stringify({ nodeSelector, required, tolerations, requests, ...(preferred ? { preferred } : {}) }) ?? '';
  return createHash('sha1').update(canonical).digest('base64url').slice(0, 11);
}

/** The pod queue's entry of a pod: "ns/name#class" (names and namespaces hold no "/" or "#"; see placementClass). */
export function podQueueEntry(pod: Pod): string {
  const entry = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
  const placement = pod.spec ? placementClass(pod.spec) : undefined;
  return placement ? `${entry}#${placement}` : entry;
}

/** The pod an entry names (with its placement class); undefined for an entry jobfleet did not write. */
export function parsePodQueueEntry(entry: string): PodTask | undefined {
  const [path = '', placement, ...rest] = entry.split('#');
  const parts = path.split('/');
  if (rest.length > 0 || placement === '' || parts.length !== 2 || parts.some((part) => part === '')) return undefined;
  const [ns = '', name = ''] = parts;
  return placement === undefined ? { ns, name } : { ns, name, placementClass: placement };
}

/** A request to run the Job controller's sync for one Job (used for backoff and deadline timers). */
export interface SyncTask {
  ns: string;
  name: string;
  uid: string;
}

const RETENTION = { removeOnComplete: true, removeOnFail: true } as const;
const TIMER_GRANULARITY_MS = 250;

/**
 * Fair-queue spacing of the entries queued together (ms): two microseconds, the first one after the
 * clock, so that a Job queued now alternates with the backlog ahead of it (which is two apart too).
 * A Job's pods are queued that many times further apart as its namespace has Jobs with pods waiting
 * (QueueFlow.flows), so that namespaces take turns as Jobs do.
 */
const QUEUE_SPACING_MS = 0.002;

/** A Job as a flow of the pod queue, as its sync reads it (loadForSync-4+.lua, keys.podQueueFlows). */
export interface QueueFlow {
  /** Jobs of its namespace with pods queued past the queue's clock, or just created (none queued yet), itself included (≥ 1). */
  flows: number;
  /** The score of its last queued entry: Infinity from its creation to its first sync; undefined when it has none. */
  tail?: number;
}

/**
 * The writes that queue `pods` (from `clock`, the queue's clock as the sync read it, spaced as
 * QUEUE_SPACING_MS says) and wake the nodes, for the commit that creates them: a pod is queued if and
 * only if it was created. With the Job's `flow`, the Job's tail in its namespace's flows is kept
 * (the highest score it has queued), or dropped when its first sync queues nothing.
 */
export function enqueueOps(keys: Keys, pods: Pod[], clock: number, flow?: QueueFlow & { ns: string; name: string }): WriteOp[] {
  const flowKey = flow && keys.podQueueFlows(flow.ns);
  if (pods.length === 0) return flow?.tail === Infinity && flowKey ? [{ op: 'zrem', key: flowKey, member: flow.name }] : [];
  const spacing = QUEUE_SPACING_MS * Math.max(1, flow?.flows ?? 1);
  const scores = pods.map((_, i) => clock + spacing / 2 + i * spacing);
  const entries = pods.map(podQueueEntry);
  const ops = entries.map((member, i): WriteOp => ({ op: 'zadd', key: keys.podQueue, member, score: (scores[i] ?? clock).toFixed(3) }));
  if (flow && flowKey) {
    const tail = Math.max(scores[scores.length - 1] ?? clock, flow.tail !== undefined && Number.isFinite(flow.tail) ? flow.tail : -Infinity);
    ops.push({ op: 'zadd', key: flowKey, member: flow.name, score: tail.toFixed(3) });
  }
  return [...ops, { op: 'publish', channel: keys.podQueueWake, message: wakeMessage(entries) }];
}

/**
 * The wake-up message for queued entries: their placement classes, space-separated, so that a node
 * that leaves all of them to the others is not woken for nothing; "" (wake every node) when one has
 * none. handBackPod-2.lua says the same of the one entry it hands back.
 */
export function wakeMessage(entries: string[]): string {
  const classes = new Set<string>();
  for (const entry of entries) {
    const placement = parsePodQueueEntry(entry)?.placementClass;
    if (placement === undefined) return '';
    classes.add(placement);
  }
  return [...classes].join(' ');
}

/** Entries per enqueuePods script call (Lua's unpack has a limit of a few thousand values). */
const ENQUEUE_BATCH = 1_000;
/** Entries one takePods call takes at most. */
const MAX_TAKE = 1_000;
/** Placement classes one takePods call may be asked to leave for other nodes. */
export const MAX_SKIP = 64;
/**
 * How long a node may hold a taken entry before claiming its pod: past it, the entry is queued
 * again for any node (its node died or hung in between). A claim takes milliseconds; one that
 * comes later finds the pod claimed by the other node, and lets go.
 */
export const TAKEN_LEASE_MS = 10_000;

interface QueueRedis extends Redis {
  enqueuePods(queue: string, channel: string, spacingMs: number, ...entries: string[]): Promise<number>;
  takePods(queue: string, taken: string, max: number, leaseMs: number, ...skip: string[]): Promise<(string | number)[]>;
  handBackPod(queue: string, taken: string, entry: string, delayMs: number, channel: string, score: string): Promise<number>;
}

/** What one takePods call got: the entries due (oldest first), and when nothing was, how long until one is. */
export interface TakenPods {
  tasks: ReceivedPodTask[];
  /** Undefined when the queue is empty; 0 when something was taken. */
  nextDueInMs?: number;
}

/**
 * The fleet's work queues. Pods wait in the pod queue, a ZSET of their entries ("ns/name"),
 * written in the same commit as the pods themselves (enqueueOps) and taken by the nodes with one
 * script call for a batch (takePods-2.lua), held under a lease until the claim: a pod costs ~4
 * commands of the queue, where a BullMQ task costs ~34. Job timers (backoff, deadlines) are BullMQ
 * delayed tasks, one per Job and due time.
 *
 * Fair between Jobs: an entry's score is when it is due (ms), on a fair-queueing clock for entries
 * ready now. Pods are queued from the queue's head (the lowest score due), two microseconds apart, so
 * a Job queued behind another's backlog of 100,000 pods takes turns with it from the head on instead
 * of waiting for its tail (start-time fair queueing, with Jobs as flows: two backlogs interleave one
 * pod each). An entry handed back for later is scored with the real time it is due (behind what is
 * ready then); one handed back at once gets back the place it was taken from.
 */
export class TaskQueues {
  readonly sync: Queue<SyncTask>;
  /** The earliest timer this process has set per Job (uid → due ms). */
  private readonly pendingTimers = new Map<string, number>();
  private readonly redis: QueueRedis;

  constructor(redis: Redis, private readonly keys: Keys) {
    const connection = redis;
    this.sync = new Queue<SyncTask>(SYNC_QUEUE, { connection, prefix: keys.queuePrefix });
    // Connection errors are retried by ioredis; callers see the failed commands themselves.
    this.sync.on('error', () => undefined);
    defineScript(redis, 'enqueuePods', 'enqueuePods-1.lua');
    defineScript(redis, 'takePods', 'takePods-2.lua');
    defineScript(redis, 'handBackPod', 'handBackPod-2.lua');
    this.redis = redis as QueueRedis;
  }

  /** Queues pods again (enqueuePods-1.lua); idempotent: an entry still queued keeps its place. */
  async enqueuePods(pods: Pod[]): Promise<void> {
    for (let i = 0; i < pods.length; i += ENQUEUE_BATCH) {
      await this.redis.enqueuePods(this.keys.podQueue, this.keys.podQueueWake, QUEUE_SPACING_MS, ...pods.slice(i, i + ENQUEUE_BATCH).map(podQueueEntry));
    }
  }

  /**
   * Takes up to `max` due entries (takePods-2.lua): each leaves the queue for the taken set, with a
   * lease of TAKEN_LEASE_MS, until the node's claim of the pod (or ackPods) removes it there. The
   * entries of the placement classes in `skip` (at most MAX_SKIP: pods this node can never take) are
   * left queued for the others.
   */
  async takePods(max: number, leaseMs = TAKEN_LEASE_MS, skip: readonly string[] = []): Promise<TakenPods> {
    const reply = await this.redis.takePods(this.keys.podQueue, this.keys.podQueueTaken, Math.max(1, Math.min(MAX_TAKE, Math.floor(max))), leaseMs, ...skip.slice(0, MAX_SKIP));
    const [next, ...flat] = reply;
    const tasks: ReceivedPodTask[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) tasks.push({ entry: String(flat[i]), data: parsePodQueueEntry(String(flat[i])), score: String(flat[i + 1]) });
    return { tasks, ...(Number(next) >= 0 ? { nextDueInMs: Number(next) } : {}) };
  }

  /** Puts a taken entry back, due in `delayMs` (handBackPod-2.lua); one due at once gets back its place (`score`, as taken), else the front, and wakes the nodes. */
  async handBackPod(entry: string, delayMs: number, score = ''): Promise<void> {
    await this.redis.handBackPod(this.keys.podQueue, this.keys.podQueueTaken, entry, Math.max(0, Math.round(delayMs)), this.keys.podQueueWake, score);
  }

  /** Lets go of taken entries that need no claim (a pod gone, or claimed by another node). */
  async ackPods(entries: string[]): Promise<void> {
    if (entries.length > 0) await this.redis.zrem(this.keys.podQueueTaken, ...entries);
  }

  /** The queued entries with their due times (ms), oldest first, at most `limit`. */
  async queuedPods(limit = 1_000): Promise<{ entry: string; dueAt: number }[]> {
    const flat = await this.redis.zrange(this.keys.podQueue, 0, limit - 1, 'WITHSCORES');
    const out: { entry: string; dueAt: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ entry: flat[i] ?? '', dueAt: Number(flat[i + 1]) });
    return out;
  }

  /** Entries due by `now` and later, and the due time of the oldest (undefined when none is queued). */
  async podQueueCounts(now: number): Promise<{ due: number; later: number; oldestDueAt?: number }> {
    const [due, later, first] = await Promise.all([
      this.redis.zcount(this.keys.podQueue, '-inf', now),
      this.redis.zcount(this.keys.podQueue, `(${now}`, '+inf'),
      this.redis.zrange(this.keys.podQueue, 0, 0, 'WITHSCORES'),
    ]);
    return { due, later, ...(first[1] !== undefined ? { oldestDueAt: Number(first[1]) } : {}) };
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

  /** Removes the pending timers of a deleted Job (its queued pods leave the queue with the pods, in deleteJob-23+.lua). */
  async removeJobTimers(jobUid: string): Promise<void> {
    const timers = await this.redis.smembers(this.timersKey(jobUid));
    await Promise.all(timers.map((id) => this.sync.remove(id).catch(() => 0)));
    await this.redis.del(this.timersKey(jobUid));
  }

  /** Removes queue entries (podQueueEntry) of pods that went before a node took them. */
  async dequeuePods(entries: string[]): Promise<void> {
    for (let i = 0; i < entries.length; i += ENQUEUE_BATCH) await this.redis.zrem(this.keys.podQueue, ...entries.slice(i, i + ENQUEUE_BATCH));
  }

  private timersKey(jobUid: string): string {
    return `${this.keys.queuePrefix}:timers:${jobUid}`;
  }

  async close(): Promise<void> {
    await this.sync.close();
  }
}

/**
 * What a pod task handler answers: nothing (done: the consumer lets go of the entry), 'claimed' (the
 * claim of the pod let go of it already), or that the task goes back to the queue for `retryInMs`.
 */
export type PodTaskOutcome = void | 'claimed' | { retryInMs: number };

/** A pod task as a worker sees it: its entry, and the pod it names. */
export interface ReceivedPodTask {
  entry: string;
  /** Undefined when the entry is not one jobfleet wrote. */
  data: PodTask | undefined;
  /** Its score when taken: handed back at once, it gets its place in the queue back. */
  score?: string;
  /**
   * The pod as read with its batch, right after the take (one round trip for the batch, not one per
   * pod): null when there was no such pod; undefined when it was not read (the read failed), and the
   * handler reads it itself. A claim still compares its resourceVersion: a pod changed since is read again.
   */
  stored?: StoredPod | null;
}

/** Reads the pods of a taken batch in one round trip (JobStore.getPodsAt). */
export type TakenPodsReader = (refs: readonly { ns: string; name: string }[]) => Promise<(StoredPod | undefined | 'unreadable')[]>;

export interface PodTaskConsumerOptions {
  /** Tasks handled at once (the node's pod capacity). */
  concurrency: number;
  /** How often to look at the queue without a wake-up (entries handed back for later, a missed message); default 1 s. */
  pollMs?: number;
  /**
   * How many more tasks the node wants now beyond the concurrency bound (its free resources: 0 while
   * a pod it took did not fit, until one of its pods ends or the poll; default: no bound). A task
   * ending looks again at once.
   */
  room?: () => number;
  /**
   * Placement classes (placementClass) of pods the node can never take as it is: left in the queue
   * for the others, and a wake-up that names only such classes is not looked at.
   */
  skip?: () => readonly string[];
}

/**
 * Takes pod tasks from the fleet's pod queue while the node has room: a batch per script call,
 * woken by the message every enqueue publishes, and looking again every pollMs. A task taken twice
 * (its lease ran out) is harmless, since the pod's claim is the fence. A handler
 * hands a task back for later by answering `{ retryInMs }`.
 */
export class PodTaskConsumer {
  private readonly running = new Set<Promise<void>>();
  private paused = false;
  private closed = false;
  private kicked = false;
  /** Whether the last look took a full batch (more may be due). */
  private moreDue = false;
  /** Whether the loop sleeps because the node is full. */
  private waitingForRoom = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly pollMs: number;

  constructor(
    private readonly queues: TaskQueues,
    private readonly subscriber: Redis,
    wakeChannel: string,
    private readonly handler: (task: ReceivedPodTask) => Promise<PodTaskOutcome>,
    private readonly opts: PodTaskConsumerOptions,
    private readonly readPods?: TakenPodsReader,
  ) {
    this.pollMs = opts.pollMs ?? 1_000;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === wakeChannel && !this.leftToOthers(message)) this.kick();
    });
    // Connection errors are retried by ioredis (which subscribes again); the poll covers the gap.
    subscriber.on('error', () => undefined);
    void subscriber.subscribe(wakeChannel).catch(() => undefined);
    this.loop = this.run();
  }

  /** Whether a wake-up names the placement classes of what was queued (wakeMessage), all of them ones the node leaves to the others. */
  private leftToOthers(message: string): boolean {
    if (message === '' || !this.opts.skip) return false;
    const skip = this.opts.skip();
    return skip.length > 0 && message.split(' ').every((placement) => skip.includes(placement));
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => (this.wake = undefined));
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const room = Math.min(this.opts.concurrency - this.running.size, this.opts.room?.() ?? Infinity);
      if (this.paused || room <= 0) {
        this.waitingForRoom = !this.paused;
        await this.sleep(this.pollMs);
        this.waitingForRoom = false;
        this.kicked = false;
        continue;
      }
      this.kicked = false;
      let taken: TakenPods;
      try {
        taken = await this.queues.takePods(room, TAKEN_LEASE_MS, this.opts.skip?.() ?? []);
      } catch {
        await this.sleep(this.pollMs); // Redis away: ioredis reconnects, the next look finds the queue
        continue;
      }
      // Taken as the node closed: back to the queue at once for the other nodes.
      if (this.closed) {
        await Promise.all(taken.tasks.map((t) => this.queues.handBackPod(t.entry, 0, t.score).catch(() => undefined)));
        break;
      }
      // A full batch may have left more behind: a task that ends then looks again at once. A batch
      // that emptied what was due leaves the next look to a wake-up message or the poll.
      this.moreDue = taken.tasks.length >= room;
      await this.readTaken(taken.tasks);
      for (const task of taken.tasks) this.dispatch(task);
      if (taken.tasks.length === 0) await this.sleep(Math.min(this.pollMs, taken.nextDueInMs ?? this.pollMs));
    }
  }

  /** Reads the batch's pods in one round trip; a failed read leaves each handler to read its own. */
  private async readTaken(tasks: ReceivedPodTask[]): Promise<void> {
    const withData = tasks.filter((t): t is ReceivedPodTask & { data: PodTask } => t.data !== undefined);
    if (!this.readPods || withData.length === 0) return;
    const pods = await this.readPods(withData.map((t) => t.data)).catch(() => undefined);
    if (!pods) return;
    for (const [i, t] of withData.entries()) {
      const read = pods[i];
      // An unreadable record is left to the handler's own read (which fails on it as before).
      if (read !== 'unreadable') t.stored = read ?? null;
    }
  }

  private dispatch(task: ReceivedPodTask): void {
    let handedBack = false;
    const done: Promise<void> = (async () => {
      try {
        const outcome = await this.handler(task);
        if (outcome === 'claimed') return;
        if (outcome) {
          await this.queues.handBackPod(task.entry, outcome.retryInMs, task.score);
          handedBack = true;
        } else await this.queues.ackPods([task.entry]);
      } catch {
        // A handler's failure ends its task: the entry's lease runs out and it is queued again.
      }
    })().finally(() => {
      this.running.delete(done);
      // More may be due, or the loop waits for room (and was full when entries came), or an entry
      // was handed back for later after the loop found nothing due (it would sleep a whole poll): look again.
      if (this.moreDue || this.waitingForRoom || handedBack) this.kick();
    });
    this.running.add(done);
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** Stops taking tasks (running ones go on). */
  pause(): Promise<void> {
    this.paused = true;
    return Promise.resolve();
  }

  resume(): void {
    this.paused = false;
    this.kick();
  }

  /** Stops taking tasks and waits for the running ones to end (force: does not wait for them). */
  async close(force = false): Promise<void> {
    this.closed = true;
    this.kick();
    await this.loop;
    await this.subscriber.unsubscribe().catch(() => undefined);
    if (!force) await Promise.all([...this.running]);
  }
}
