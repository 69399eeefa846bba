import { randomUUID } from 'node:crypto';
import {
  ANNOTATION_COUNTED,
  ANNOTATION_STOP_REASON,
  REASON,
  correlateEvents,
  isJobFinished,
  isManagedExternally,
  k8sTime,
  newPodForJob,
  podGenerateName,
  randomSuffix,
  syncJob,
  type Delays,
  type Job,
  type JobControlState,
  type JobEvent,
  type Pod,
  type PodToStop,
  type SyncDecision,
} from '@jobfleet/kube';
import {
  commitSync,
  JobSyncLease,
  podNamesTaken,
  podQueueEntry,
  scheduleTtl,
  storedJobUid,
  trimJobEvents,
  type JobStore,
  type StoredJob,
  type StoredPod,
  type SyncSnapshot,
  type TaskQueues,
} from '@jobfleet/store';
import { clip, silentLogger, type Logger } from './logger.js';
import { recordCommitted, recordSync, syncAction } from './metrics.js';

const MAX_ATTEMPTS = 50;

/** What a sync attempt got to, for its metrics. */
interface SyncSeen {
  job?: Job;
  action: string;
}
/** How long one process may sync a Job before another may take over (a sync takes milliseconds). */
const SYNC_LEASE_MS = 10_000;
/** A Pending pod with no worker after this long is queued again by a sync (see act). */
const UNCLAIMED_RETRY_MS = 10_000;
/** Failed syncs are retried after 100 ms, doubling to 60 s; at most this many Jobs wait for a retry at once. */
const SYNC_RETRY_BASE_MS = 100;
const SYNC_RETRY_MAX_MS = 60_000;
const MAX_RETRIED_JOBS = 10_000;

export type Clock = () => number;

/**
 * Runs the Job controller's sync for one Job: gather (Job + uncounted pods), decide (pure syncJob),
 * commit (one atomic compare-and-set), then act outside Redis (queue pod tasks, wake nodes,
 * schedule the next sync). Any process may call it at any time: a lost race simply retries.
 */
export class JobController {
  constructor(
    private readonly store: JobStore,
    private readonly queues: TaskQueues,
    private readonly delays: Delays,
    /** Defaults to the Redis server's clock, the one clock of the whole fleet. */
    private readonly clock?: Clock,
    /** Where the Job lifecycle lines go (Job created, pods created, Job complete/failed). */
    readonly logger: Logger = silentLogger(),
  ) {}

  private readonly inFlight = new Map<string, { running: Promise<void>; again: boolean }>();
  private readonly leaseRetries = new Map<string, NodeJS.Timeout>();

  /**
   * Syncs the Job. Calls for a Job whose sync is already running in this process are coalesced:
   * they share one more sync after the current one (which sees everything that happened meanwhile),
   * so a burst of pod events costs two syncs, not one per event.
   */
  syncJob(ns: string, name: string): Promise<void> {
    const key = `${ns}/${name}`;
    const current = this.inFlight.get(key);
    if (current) {
      current.again = true;
      return current.running;
    }
    const entry = { running: Promise.resolve(), again: false };
    entry.running = (async () => {
      try {
        do {
          entry.again = false;
          await this.syncNow(ns, name);
        } while (entry.again);
        this.failures.delete(key);
      } catch (err) {
        this.retryFailed(ns, name, err);
        throw err;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, entry);
    return entry.running;
  }

  private readonly failures = new Map<string, { count: number; timer: NodeJS.Timeout }>();
  private closed = false;

  /**
   * A sync that failed (Redis away, commits that kept conflicting) is tried again after a back-off
   * doubling from 100 ms to 60 s, as Kubernetes' workqueue requeues a key with AddRateLimited: the
   * event that asked for it (a pod's end) comes only once, and without the retry the Job would wait
   * for an event that may never come.
   */
  private retryFailed(ns: string, name: string, err: unknown): void {
    const key = `${ns}/${name}`;
    if (this.closed) return;
    const previous = this.failures.get(key);
    if (previous) clearTimeout(previous.timer);
    else if (this.failures.size >= MAX_RETRIED_JOBS) return; // bounded: the oldest failures keep their timers
    const count = (previous?.count ?? 0) + 1;
    const delayMs = Math.min(SYNC_RETRY_BASE_MS * 2 ** (count - 1), SYNC_RETRY_MAX_MS);
    this.logger.warn({ job: clip(key, 317), attempt: count, retryInMs: delayMs, err: clip((err as Error)?.message ?? String(err)) }, 'Job sync failed; retrying');
    const timer = setTimeout(() => void this.syncJob(ns, name).catch(() => undefined), delayMs);
    timer.unref();
    this.failures.set(key, { count, timer });
  }

  /** Stops the retries this controller has pending (the role is closing). */
  close(): void {
    this.closed = true;
    for (const { timer } of this.failures.values()) clearTimeout(timer);
    this.failures.clear();
    for (const timer of this.leaseRetries.values()) clearTimeout(timer);
    this.leaseRetries.clear();
  }

  /**
   * One sync at a time per Job across the fleet: the process holding the Job's lease syncs, the
   * others only ask it to sync once more. Without it, syncs of a busy Job in several processes
   * keep losing their compare-and-set to each other, and every lost one re-reads a growing set of
   * uncounted pods. A holder that dies is replaced when its lease expires: the process it turned
   * away retries then.
   */
  private async syncNow(ns: string, name: string): Promise<void> {
    const lease = new JobSyncLease(this.store, ns, name);
    const token = randomUUID();
    for (let turn = 0; turn < MAX_ATTEMPTS; turn++) {
      if (!(await lease.take(token, SYNC_LEASE_MS))) {
        await lease.askAgain(2 * SYNC_LEASE_MS);
        const heldForMs = await lease.heldForMs();
        if (heldForMs > 0) return this.retryAfterLease(ns, name, heldForMs);
        continue; // the holder let go meanwhile: our turn
      }
      let again = false;
      try {
        await this.syncWithRetries(ns, name);
      } finally {
        again = await lease.release(token);
      }
      if (!again) return;
    }
  }

  /**
   * In case the holder of the lease dies before it syncs again: try once more when the lease has
   * expired (`heldForMs` from now, as Redis counts it, not a whole lease term: a holder killed
   * mid-sync holds up its Job only for what was left of its lease).
   */
  private retryAfterLease(ns: string, name: string, heldForMs: number): void {
    const key = `${ns}/${name}`;
    if (this.closed || this.leaseRetries.has(key)) return;
    const timer = setTimeout(() => {
      this.leaseRetries.delete(key);
      void this.syncJob(ns, name).catch(() => undefined);
    }, heldForMs + 100);
    timer.unref();
    this.leaseRetries.set(key, timer);
  }

  private async syncWithRetries(ns: string, name: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await this.syncOnce(ns, name);
      if (outcome === 'done') return;
      if (outcome === 'conflict') await sleep(Math.random() * Math.min(5 * 2 ** attempt, 200));
    }
    throw new Error(`sync of job ${ns}/${name} kept conflicting; it will be retried`);
  }

  /** 'again' when the commit finished pods itself and the Job must be synced once more to count them. */
  private async syncOnce(ns: string, name: string): Promise<'done' | 'conflict' | 'again'> {
    const started = process.hrtime.bigint();
    const seen: SyncSeen = { action: 'reconciling' };
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const outcome = await this.syncAttempt(ns, name, seen);
      if (seen.job) recordSync(seen.job, outcome === 'conflict' ? 'error' : 'success', seen.action, seconds());
      return outcome;
    } catch (err) {
      recordSync(seen.job, 'error', seen.action, seconds());
      throw err;
    }
  }

  private async syncAttempt(ns: string, name: string, seen: SyncSeen): Promise<'done' | 'conflict' | 'again'> {
    const snapshot = await this.store.loadForSync(ns, name);
    if (!snapshot) return 'done';
    const { job: stored, uncounted: pods } = snapshot;
    // Another controller owns the Job (spec.managedBy): jobfleet writes nothing of it, as Kubernetes
    // skips the sync. Kubernetes' TTL-after-finished controller still deletes it once that controller
    // has finished it, so its deletion is scheduled.
    if (isManagedExternally(stored.job)) {
      await scheduleTtl(this.store, stored.job);
      return 'done';
    }
    const now = this.clock ? this.clock() : snapshot.now;
    const { finishedLeftOut } = snapshot;
    const decision = syncJob({ job: stored.job, control: stored.control, pods: pods.map((p) => p.pod), now, delays: this.delays, finishedLeftOut });
    const plan = await this.plan(stored, pods, decision, now, snapshot);
    seen.job = stored.job;
    seen.action = syncAction(plan.created.length, plan.deleted, decision.counted.length);
    const result = await commitSync(this.store, plan.write);
    if (result && !result.ok) return 'conflict';
    this.logSteps(stored.job, decision, plan.created.length);
    recordCommitted(stored.job, decision, pods.map((p) => p.pod));
    const outcome = await this.act(stored.job, plan, decision, pods, now);
    return finishedLeftOut > 0 ? 'again' : outcome;
  }

  /** A line for each lifecycle step this commit made (only the process whose commit won logs it). */
  private logSteps(job: Job, decision: SyncDecision, created: number): void {
    const fields = { job: `${job.metadata.namespace ?? 'default'}/${clip(job.metadata.name ?? '', 253)}`, uid: job.metadata.uid };
    if (created > 0) this.logger.info({ ...fields, count: created }, 'pods created');
    const finished = (decision.status.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (!finished || isJobFinished(job)) return;
    const { succeeded = 0, failed = 0 } = decision.status;
    if (finished.type === 'Complete') this.logger.info({ ...fields, succeeded, failed }, 'Job complete');
    else this.logger.info({ ...fields, succeeded, failed, reason: finished.reason, message: clip(finished.message ?? '') }, 'Job failed');
  }

  private async plan(stored: StoredJob, pods: StoredPod[], decision: SyncDecision, now: number, { queueClock, queueFlow }: Pick<SyncSnapshot, 'queueClock' | 'queueFlow'>) {
    const { job } = stored;
    const created = await this.newPods(job, decision, now);
    let finishedHere = 0;
    const byName = new Map(pods.map((p) => [p.pod.metadata.name ?? '', p]));
    const deleted: string[] = [];
    const stopped: { pod: Pod; rv: string }[] = [];
    for (const stop of decision.stop) {
      const current = byName.get(stop.name);
      if (!current) continue;
      const pod = stopPod(current.pod, stop, now);
      if (pod.status.phase === 'Failed') finishedHere++;
      deleted.push(stop.name);
      stopped.push({ pod, rv: current.rv });
    }
    const rewritten: { pod: Pod; rv: string }[] = [];
    for (const name of decision.countedEarly) {
      const current = byName.get(name);
      if (!current) continue;
      const annotations = { ...(current.pod.metadata.annotations ?? {}), [ANNOTATION_COUNTED]: 'failed' };
      rewritten.push({ pod: { ...current.pod, metadata: { ...current.pod.metadata, annotations } }, rv: current.rv });
    }
    const removed = decision.remove.flatMap((name) => byName.get(name) ?? []);
    // Similar events are combined as Kubernetes' event aggregator does: a Job of 2,000 pods records 9
    // SuccessfulCreate events and one "(combined from similar events)" event counting the rest.
    const correlated = correlateEvents(
      [
        ...created.map((p): JobEvent => ({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${p.metadata.name}` })),
        ...deleted.map((name): JobEvent => ({ type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${name}` })),
        ...decision.events,
      ],
      stored.control.events,
      now,
      () => ({ name: `${job.metadata.name}.${now.toString(16).padStart(12, '0')}${randomSuffix(Math.random, 6)}`, uid: randomUUID(), firstTimestamp: k8sTime(now) }),
    );
    const events = correlated.events;
    const control: JobControlState = Object.keys(correlated.state).length > 0 ? { ...decision.control, events: correlated.state } : decision.control;
    const jobChanged = JSON.stringify(decision.status) !== JSON.stringify(job.status ?? {}) || JSON.stringify(control) !== JSON.stringify(stored.control);
    const write = {
      stored,
      status: decision.status,
      control,
      jobChanged,
      created,
      stopped,
      rewritten,
      counted: decision.counted,
      removed,
      events,
      now,
      queueClock,
      queueFlow,
      scheduleTtl: !isJobFinished(job),
    };
    return { write, created, finishedHere, deleted: deleted.length };
  }

  /**
   * The pods to create, named `<job>-<5 random characters>` as the API server's generateName does.
   * Five characters give 14 million names: a Job of 100,000 pods would collide often, and one taken
   * name fails the whole commit, so names already used in the namespace are drawn again first.
   */
  private async newPods(job: Job, decision: SyncDecision, now: number): Promise<Pod[]> {
    const indexes = decision.create.indexes;
    const count = indexes ? indexes.length : decision.create.count;
    if (count === 0) return [];
    const names = Array.from({ length: count }, (_, i) => podGenerateName(job, indexes?.[i]) + randomSuffix());
    const ns = job.metadata.namespace ?? 'default';
    for (let round = 0; round < 5; round++) {
      const taken = await podNamesTaken(this.store, ns, names);
      const unique = new Set<string>();
      let redrawn = 0;
      names.forEach((name, i) => {
        if (!taken[i] && !unique.has(name)) unique.add(name);
        else {
          names[i] = podGenerateName(job, indexes?.[i]) + randomSuffix();
          redrawn++;
        }
      });
      if (redrawn === 0) break;
    }
    const annotations = decision.create.annotations;
    return names.map((name, i) => newPodForJob(job, { name, uid: randomUUID(), index: indexes?.[i], now, annotations: annotations?.[i] }));
  }

  private async stillExists(job: Job): Promise<boolean> {
    const uid = await storedJobUid(this.store, job.metadata.namespace ?? 'default', job.metadata.name ?? '');
    return uid === job.metadata.uid;
  }

  private async act(
    job: Job,
    plan: { created: Pod[]; finishedHere: number; deleted: number },
    decision: SyncDecision,
    pods: StoredPod[],
    now: number,
  ): Promise<'done' | 'again'> {
    const unclaimed = pods
      .map((p) => p.pod)
      .filter((p) => p.status.phase === 'Pending' && !p.spec.nodeName && !p.metadata.deletionTimestamp)
      .filter((p) => now - Date.parse(p.metadata.creationTimestamp ?? '') > UNCLAIMED_RETRY_MS);
    // The created pods were queued by the commit, and an entry a node took but never claimed is
    // queued again when its lease ends (takePods-2.lua). A pod still waiting for a node after
    // UNCLAIMED_RETRY_MS is queued again too (a no-op while its entry waits), as belt and braces
    // for entries lost otherwise (a pod whose creation predates the queue, a Redis restored from an old file).
    await this.queues.enqueuePods(unclaimed);
    // A Job of a few pods cannot reach the events bound (a pod makes at most ~15 distinct events,
    // repeats being counted on one): the count is not even read (one round trip of every new Job).
    const { active = 0, succeeded = 0, failed = 0 } = decision.status;
    const fewPods = active + succeeded + failed <= MAX_PODS_WITHOUT_TRIM;
    if ((plan.created.length > 0 || plan.deleted > 0) && !fewPods) await trimJobEvents(this.store, job, MAX_EVENTS_PER_JOB);
    const requeue = decision.requeueAfterMs;
    if (requeue !== undefined && Number.isFinite(requeue)) await this.queues.scheduleSync(job, requeue, now);
    if ((unclaimed.length > 0 || requeue !== undefined) && !(await this.stillExists(job))) {
      // Deleted since this sync committed: the deletion removed the timers and queued pods it could
      // see, these came after it (or the deletion comes after this check, and removes them itself).
      await this.queues.removeJobTimers(job.metadata.uid ?? '');
      await this.queues.dequeuePods(unclaimed.map(podQueueEntry));
    }
    return plan.finishedHere > 0 ? 'again' : 'done';
  }
}

/** Events kept per Job: the newest ones, as Kubernetes keeps events for a limited time only. */
export const MAX_EVENTS_PER_JOB = 100;
/** Jobs of at most this many pods (active + succeeded + failed) skip the events trim: 6 × ~15 < 1.5 × MAX_EVENTS_PER_JOB. */
const MAX_PODS_WITHOUT_TRIM = 6;

/**
 * Stopping a pod is deleting it, as Kubernetes' Job controller does: it gets a deletionTimestamp,
 * and once it has ended and been counted the next sync removes it (a stopped pod does not stay
 * listed). One no worker holds yet ends as Failed at once; one on a node is killed by its node.
 * Pods stopped for suspend, surplus or the Job's success carry an annotation so that the controller
 * does not count them as failures (Kubernetes removes their tracking finalizer first).
 */
function stopPod(pod: Pod, stop: PodToStop, now: number): Pod {
  const annotations = stop.uncounted ? { ...(pod.metadata.annotations ?? {}), [ANNOTATION_STOP_REASON]: stop.reason } : pod.metadata.annotations;
  const metadata = {
    ...pod.metadata,
    ...(annotations ? { annotations } : {}),
    deletionTimestamp: pod.metadata.deletionTimestamp ?? k8sTime(now),
    deletionGracePeriodSeconds: pod.spec.nodeName ? stopGraceSeconds(pod, stop) : 0,
  };
  if (!pod.spec.nodeName) {
    return { ...pod, metadata, status: { ...pod.status, phase: 'Failed', reason: stop.reason, message: `Pod stopped before it started: ${stop.reason}` } };
  }
  return { ...pod, metadata };
}

/**
 * The pod's grace period, except past the Job's deadline: there the containers are killed at once,
 * since a grace period would let the Job run longer than activeDeadlineSeconds allows.
 */
function stopGraceSeconds(pod: Pod, stop: PodToStop): number {
  if (stop.reason === REASON.deadlineExceeded) return 0;
  return pod.spec.terminationGracePeriodSeconds ?? 30;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
