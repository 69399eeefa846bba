import {
  ConflictError,
  afterCreate,
  isControlledBy,
  parseJob,
  syncCronJob,
  type CronJob,
  type CronJobSyncDecision,
  type Job,
  type JobEvent,
  type ParseJobOptions,
} from '@jobfleet/kube';
import {
  CronJobSyncLease,
  commitCronJobSync,
  cronJobJobNames,
  deleteJob,
  dueCronJobs,
  forgetCronJobJobs,
  getCronJob,
  prepareNewJob,
  trimCronJobEvents,
  type JobStore,
  type StoredCronJob,
  type TaskQueues,
} from '@jobfleet/store';
import type { Clock, JobController } from './controller.js';
import { resumeCronJobDeletions } from './cronjobs.js';
import { clip, type Logger } from './logger.js';

export interface CronJobControllerOptions {
  /** The clock (ms). Default: the Redis server's, the one clock of the fleet. Tests inject one. */
  clock?: Clock;
  /** How often the schedule is checked (default 1000 ms). */
  pollMs?: number;
  /** Where "CronJob scheduled a Job" lines go (default: nowhere). */
  logger?: Logger;
  /** How long one process may sync a CronJob before another may take over (default 10 s). */
  leaseMs?: number;
  /** CronJobs synced per tick at most (default 200), several at once (default 8). */
  batch?: number;
  concurrency?: number;
  /** While a CronJob has active Jobs it is synced at least this often (default 60 s): a safety net for a lost poke. */
  activeResyncMs?: number;
  /** How the Job made from a jobTemplate is checked (the template passed the fleet's policy when the CronJob was stored). */
  parseOptions?: ParseJobOptions;
}

/** Events kept per CronJob: the newest ones. */
export const MAX_EVENTS_PER_CRONJOB = 100;
/** A Job the API server would refuse (FailedCreate) is tried again after this long. */
const FAILED_CREATE_RETRY_MS = 30_000;
const MAX_ATTEMPTS = 10;

/**
 * The CronJob controller: syncs each CronJob when its wake-up time (kept in Redis, on the Redis
 * clock) comes or when it is poked (it or one of its Jobs changed), with the pure syncCronJob of
 * @jobfleet/kube. Any number may run (every API process and janitor does): a per-CronJob lease keeps
 * them from doing the same work, and correctness does not rest on it. A Job is created only in one
 * atomic commit with the status saying so (lastScheduleTime, status.active), guarded by the
 * CronJob's resourceVersion as read, and under the deterministic name `<cronjob>-<minutes>`: so each
 * schedule time creates exactly one Job, however many controllers race and whichever dies when.
 */
export class CronJobController {
  private timer?: NodeJS.Timeout;
  private current: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly leaseMs: number;

  constructor(
    private readonly store: JobStore,
    private readonly queues: TaskQueues,
    private readonly controller: JobController,
    private readonly options: CronJobControllerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 10_000;
  }

  private now(): Promise<number> {
    return this.options.clock ? Promise.resolve(this.options.clock()) : this.store.now();
  }

  /** Syncs every CronJob due now. Returns how many it synced. */
  async tick(): Promise<number> {
    const now = await this.now();
    // Deletions of CronJobs whose deleter died before their Jobs went (several controllers may: idempotent).
    await resumeCronJobDeletions(this.store, this.queues, now);
    const due = await dueCronJobs(this.store, now, this.options.batch ?? 200);
    let synced = 0;
    const concurrency = this.options.concurrency ?? 8;
    for (let i = 0; i < due.length; i += concurrency) {
      const results = await Promise.allSettled(due.slice(i, i + concurrency).map(({ ns, name }) => this.sync(ns, name, now)));
      synced += results.filter((r) => r.status === 'fulfilled' && r.value).length;
    }
    return synced;
  }

  /** One sync of a CronJob, if no other process is syncing it. Returns whether it ran. */
  async sync(ns: string, name: string, now: number): Promise<boolean> {
    const lease = new CronJobSyncLease(this.store, ns, name);
    if (!(await lease.take(now, this.leaseMs))) return false;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const stored = await getCronJob(this.store, ns, name);
        if (!stored) {
          await lease.done(undefined, '');
          return true;
        }
        const next = await this.syncOnce(stored, now);
        if (next === 'conflict') continue;
        await lease.done(next, stored.cronJob.metadata.uid ?? '');
        return true;
      }
      throw new Error(`sync of cronjob ${ns}/${name} kept conflicting; it will be retried`);
    } catch (err) {
      // The wake-up moved to the lease's end when it was taken: another try comes then.
      await lease.release().catch(() => undefined);
      throw err;
    }
  }

  /** Gathers, decides, acts; returns when to sync next (ms on the clock), or 'conflict' to start over. */
  private async syncOnce(stored: StoredCronJob, now: number): Promise<number | undefined | 'conflict'> {
    const cj: CronJob = { ...stored.cronJob, metadata: { ...stored.cronJob.metadata, resourceVersion: stored.rv } };
    const ns = cj.metadata.namespace ?? 'default';
    const jobs = await this.jobsOf(cj);
    const decision = syncCronJob({ cronJob: cj, jobs, now });
    for (const d of decision.deletes) {
      // The uid precondition: a Job recreated under that name is not the one decided on (409: gone already).
      await deleteJob(this.store, ns, d.name, { uid: d.uid, queues: this.queues, returnAfterMs: 1_000 }).catch((err: unknown) => {
        if (!(err instanceof ConflictError)) throw err;
      });
    }
    const outcome = await this.write(cj, stored.rv, decision, now);
    if (outcome === 'conflict') return 'conflict';
    if (decision.events.length > 0 || outcome === 'created') await trimCronJobEvents(this.store, cj, MAX_EVENTS_PER_CRONJOB);
    // A Job whose first sync never ran (its creator died right after the commit) is started now.
    for (const job of jobs) {
      if (!job.status?.startTime && !job.status?.conditions?.length && !job.spec.suspend) await this.controller.syncJob(ns, job.metadata.name ?? '');
    }
    let nextMs = decision.requeueAfterMs;
    if (outcome === 'failed') nextMs = Math.min(nextMs ?? Infinity, FAILED_CREATE_RETRY_MS);
    const active = outcome === 'created' || jobs.some((j) => !j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'));
    if (active) nextMs = Math.min(nextMs ?? Infinity, this.options.activeResyncMs ?? 60_000);
    return nextMs === undefined || !Number.isFinite(nextMs) ? undefined : now + nextMs;
  }

  /**
   * The decision's one commit: with a Job to create, the Job and the status listing it together;
   * a Job of that name that exists already goes through Kubernetes' AlreadyExists path (adopted
   * when it is this CronJob's and not listed).
   */
  private async write(cj: CronJob, rv: string, decision: CronJobSyncDecision, now: number): Promise<'created' | 'written' | 'failed' | 'conflict' | undefined> {
    const ns = cj.metadata.namespace ?? 'default';
    const plain = async (status: typeof decision.status | undefined, events: JobEvent[]) => {
      const r = await commitCronJobSync(this.store, { cronJob: cj, rv, ...(status ? { status } : {}), events, now });
      return r && !r.ok ? ('conflict' as const) : ('written' as const);
    };
    const create = decision.create;
    if (!create) return plain(decision.updateStatus ? decision.status : undefined, decision.events);
    let job: Job;
    try {
      job = prepareNewJob(parseJob(create.job, { allowPrivileged: true, ...this.options.parseOptions }), ns, now);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await plain(decision.updateStatus ? decision.status : undefined, [...decision.events, { type: 'Warning', reason: 'FailedCreate', message: `Error creating job: ${message}` }]);
      return 'failed';
    }
    const created = afterCreate(decision, cj, { created: job });
    const r = await commitCronJobSync(this.store, { cronJob: cj, rv, status: created.status, job, events: created.events, now });
    if (r?.ok) {
      this.options.logger?.info({ cronJob: `${ns}/${clip(cj.metadata.name ?? '', 253)}`, job: `${ns}/${job.metadata.name ?? ''}`, uid: job.metadata.uid }, 'CronJob scheduled a Job');
      await this.controller.syncJob(ns, job.metadata.name ?? '');
      return 'created';
    }
    if (r?.conflict !== 'job') return 'conflict';
    const existing = await this.store.getJob(ns, job.metadata.name ?? '');
    if (!existing) return 'conflict'; // deleted since: decide again
    const adopted = afterCreate(decision, cj, { existing: { ...existing.job, metadata: { ...existing.job.metadata, resourceVersion: existing.rv } } });
    return plain(adopted.updateStatus ? adopted.status : undefined, adopted.events);
  }

  /** The Jobs the CronJob controls, from its index; names whose Job is gone or owned by another leave the index. */
  private async jobsOf(cj: CronJob): Promise<Job[]> {
    const uid = cj.metadata.uid ?? '';
    const ns = cj.metadata.namespace ?? 'default';
    const names = await cronJobJobNames(this.store, uid);
    const stored = await this.store.getJobs(ns, names);
    const jobs = stored.map((s) => ({ ...s.job, metadata: { ...s.job.metadata, resourceVersion: s.rv } })).filter((j) => isControlledBy(j, cj));
    const kept = new Set(jobs.map((j) => j.metadata.name ?? ''));
    await forgetCronJobJobs(this.store, uid, names.filter((n) => !kept.has(n)));
    return jobs;
  }

  /** Ticks every pollMs until closed. */
  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.current = this.tick()
        .catch(() => undefined) // Redis down: try again on the next tick
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, this.options.pollMs ?? 1_000);
        });
    };
    tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
