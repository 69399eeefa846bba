/**
 * CronJobs in Redis: the objects (plain JSON hashes like Jobs, on the change stream as kind
 * 'CronJob'), the namespace index, the index of the Jobs each one created, and the CronJob
 * controller's own state: the wake-up schedule (ZSET "ns/name" → next sync, ms on the controller's
 * clock, the Redis clock in production), the pokes (a SET of CronJobs to sync now) and a sync lease
 * per CronJob. Every write is one atomic commit or one script.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { k8sTime, type CronJob, type CronJobStatus, type Job, type JobEvent } from '@jobfleet/kube';
import { eventOps } from './events.js';
import { defineScript } from './scripts.js';
import { putOp, type CommitResult, type JobStore, type WriteOp } from './store.js';
import { insertJobOps } from './transitions.js';

export interface StoredCronJob {
  cronJob: CronJob;
  rv: string;
}

/** What the API server adds to a CronJob on create: uid, generation 1, creationTimestamp, an empty status. */
export function prepareNewCronJob(cj: CronJob, ns: string, now: number): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { ...cj.metadata, namespace: ns, uid: randomUUID(), generation: 1, creationTimestamp: k8sTime(now) },
    spec: cj.spec,
    status: {},
  };
}

const member = (ns: string, name: string) => `${ns}/${name}`;

export async function getCronJob(store: JobStore, ns: string, name: string): Promise<StoredCronJob | undefined> {
  const [rv, obj] = await store.redis.hmget(store.keys.cronJob(ns, name), 'rv', 'obj');
  if (!rv || !obj) return undefined;
  return { rv, cronJob: JSON.parse(obj) as CronJob };
}

/** The CronJobs that exist among `names`, in one round trip. */
export async function getCronJobs(store: JobStore, ns: string, names: string[]): Promise<StoredCronJob[]> {
  if (names.length === 0) return [];
  const pipeline = store.redis.pipeline();
  for (const name of names) pipeline.hmget(store.keys.cronJob(ns, name), 'rv', 'obj');
  const replies = (await pipeline.exec()) ?? [];
  const out: StoredCronJob[] = [];
  for (const [err, value] of replies) {
    const [rv, obj] = (value ?? []) as (string | null)[];
    if (!err && rv && obj) out.push({ rv, cronJob: JSON.parse(obj) as CronJob });
  }
  return out;
}

/** Names in a namespace's CronJob index, in name order, from `after` (exclusive), at most `limit`. */
export function cronJobNamesPage(store: JobStore, ns: string, after: string | undefined, limit: number): Promise<string[]> {
  return store.namesPage(store.keys.cronJobs(ns), after, limit);
}

/** Stores a new CronJob (ok: false when one of that name exists), due for its first sync at once. */
export function insertCronJob(store: JobStore, cj: CronJob): Promise<CommitResult> {
  const ns = cj.metadata.namespace ?? 'default';
  const name = cj.metadata.name ?? '';
  return store.commit([
    { ...putOp(store.keys.cronJob(ns, name), '', cj), request: true },
    { op: 'zadd', key: store.keys.cronJobs(ns), member: name },
    { op: 'sadd', key: store.keys.namespaces, member: ns },
    { op: 'sadd', key: store.keys.cronJobPokes, member: member(ns, name) },
  ], 'insertCronJob');
}

/**
 * Writes a CronJob read at resourceVersion `expect` (compare-and-set). `request`: a user's write
 * (spec or status through the API), which also asks the controller to sync it at once.
 */
export function putCronJob(store: JobStore, expect: string, cj: CronJob, opts: { request?: boolean } = {}): Promise<CommitResult> {
  const ns = cj.metadata.namespace ?? 'default';
  const name = cj.metadata.name ?? '';
  const ops: WriteOp[] = [{ ...putOp(store.keys.cronJob(ns, name), expect, cj), ...(opts.request ? { request: true } : {}) }];
  if (opts.request) ops.push({ op: 'sadd', key: store.keys.cronJobPokes, member: member(ns, name) });
  return store.commit(ops, 'putCronJob');
}

/** A CronJob deletion under way: the CronJob is gone; its Jobs are being deleted (or orphaned). */
export interface CronJobDeletion {
  uid: string;
  ns: string;
  name: string;
  /** When it started (ms, the deleter's clock): another process takes it over some time after. */
  at: number;
  orphan: boolean;
}

/**
 * Deletes a CronJob read at `expect` (its resourceVersion), with its namespace index entry, schedule
 * and events, in one commit (ok: false when it changed or went), and registers the deletion of its
 * Jobs: the index of its Jobs stays until finishCronJobDeletion, so should the deleter die before,
 * another process finishes from the registry (cronJobDeletionsInProgress).
 */
export async function removeCronJob(store: JobStore, expect: string, cj: CronJob, deletion: { at: number; orphan: boolean }): Promise<{ result: CommitResult; deletion: CronJobDeletion }> {
  const keys = store.keys;
  const ns = cj.metadata.namespace ?? 'default';
  const name = cj.metadata.name ?? '';
  const uid = cj.metadata.uid ?? '';
  const events = await store.redis.smembers(keys.jobEvents(uid));
  const last = { ...cj, metadata: { ...cj.metadata, resourceVersion: expect } };
  const registered: CronJobDeletion = { uid, ns, name, ...deletion };
  const result = await store.commit([
    { op: 'del', key: keys.cronJob(ns, name), expect, kind: 'CronJob', ns, name, final: JSON.stringify(last) },
    { op: 'zrem', key: keys.cronJobs(ns), member: name },
    { op: 'zrem', key: keys.cronJobWake, member: member(ns, name) },
    { op: 'srem', key: keys.cronJobPokes, member: member(ns, name) },
    { op: 'sadd', key: keys.deletingCronJobs, member: JSON.stringify(registered) },
    ...events.flatMap((e): WriteOp[] => [
      { op: 'delkey', key: keys.event(ns, e) },
      { op: 'zrem', key: keys.events(ns), member: e },
    ]),
    { op: 'delkey', key: keys.jobEvents(uid) },
  ], 'removeCronJob');
  return { result, deletion: registered };
}

/** Ends a CronJob deletion once its Jobs are dealt with: the index of its Jobs and the registry entry go. */
export async function finishCronJobDeletion(store: JobStore, deletion: CronJobDeletion): Promise<void> {
  await store.commit([
    { op: 'delkey', key: store.keys.cronJobJobs(deletion.uid) },
    { op: 'srem', key: store.keys.deletingCronJobs, member: JSON.stringify(deletion) },
  ], 'finishCronJobDeletion');
}

/** The CronJob deletions under way (an unreadable entry is dropped). */
export async function cronJobDeletionsInProgress(store: JobStore): Promise<CronJobDeletion[]> {
  const out: CronJobDeletion[] = [];
  for (const raw of await store.redis.smembers(store.keys.deletingCronJobs)) {
    const d = parseDeletion(raw);
    if (d && JSON.stringify(d) === raw) out.push(d);
    else await store.redis.srem(store.keys.deletingCronJobs, raw);
  }
  return out;
}

function parseDeletion(raw: string): CronJobDeletion | undefined {
  try {
    const v = JSON.parse(raw) as Partial<CronJobDeletion>;
    if (typeof v.uid !== 'string' || typeof v.ns !== 'string' || typeof v.name !== 'string' || typeof v.at !== 'number' || typeof v.orphan !== 'boolean') return undefined;
    return { uid: v.uid, ns: v.ns, name: v.name, at: v.at, orphan: v.orphan };
  } catch {
    return undefined;
  }
}

/** The names in a CronJob's index of Jobs (a hint: some may be gone or owned by another). */
export function cronJobJobNames(store: JobStore, cronJobUid: string): Promise<string[]> {
  return store.redis.zrange(store.keys.cronJobJobs(cronJobUid), 0, -1);
}

/** Drops names from a CronJob's index of Jobs (their Jobs are gone or not its own). */
export async function forgetCronJobJobs(store: JobStore, cronJobUid: string, names: string[]): Promise<void> {
  if (names.length > 0) await store.redis.zrem(store.keys.cronJobJobs(cronJobUid), ...names);
}

/**
 * The writes that go with storing a Job a CronJob controls (its controller reference): the Job
 * joins the CronJob's index and the CronJob is asked to sync (a Job created by hand with
 * `kubectl create job --from=cronjob/…`, or by the controller itself).
 */
export function cronJobOwnerOps(store: JobStore, job: Job): WriteOp[] {
  const ref = job.metadata.ownerReferences?.find((o) => o.controller === true);
  if (ref?.kind !== 'CronJob' || !ref.uid) return [];
  const ns = job.metadata.namespace ?? 'default';
  return [
    { op: 'zadd', key: store.keys.cronJobJobs(ref.uid), member: job.metadata.name ?? '' },
    { op: 'sadd', key: store.keys.cronJobPokes, member: member(ns, ref.name) },
  ];
}

/** Asks the controller to sync the CronJob controlling this Job, if one does (its Job finished or went). */
export async function pokeCronJobOf(store: JobStore, job: Job): Promise<void> {
  const ops = cronJobPokeOps(store, job);
  if (ops.length > 0) await store.commit(ops, 'pokeCronJobOf');
}

/** The write asking for a sync of the CronJob controlling this Job (none when no CronJob does). */
export function cronJobPokeOps(store: JobStore, job: Job): WriteOp[] {
  return cronJobOwnerOps(store, job).filter((op) => op.op === 'sadd');
}

/** One sync's writes: the status, events and the Job created, if any. */
export interface CronJobSyncWrite {
  /** The CronJob as the sync read it. */
  cronJob: CronJob;
  rv: string;
  /** The new status, when it changed. */
  status?: CronJobStatus;
  /** The Job to create, prepared (prepareNewJob). */
  job?: Job;
  events: JobEvent[];
  now: number;
}

/**
 * The sync's one atomic commit, guarded by the CronJob's resourceVersion as read (a Job is created
 * only against the CronJob status that says it is due): the new Job with its indexes, the status
 * (compare-and-set), the events. `conflict`: 'job' when a Job of that name exists (nothing written),
 * 'cronJob' when the CronJob changed or went since it was read. Undefined when there was nothing to write.
 */
export async function commitCronJobSync(store: JobStore, w: CronJobSyncWrite): Promise<{ ok: true; rvs: string[] } | { ok: false; conflict: 'job' | 'cronJob' } | undefined> {
  const keys = store.keys;
  const cj = w.cronJob;
  const ns = cj.metadata.namespace ?? 'default';
  const name = cj.metadata.name ?? '';
  const ops: WriteOp[] = [];
  if (w.job) ops.push(...insertJobOps(store, w.job));
  const jobOps = ops.length;
  if (w.status) ops.push(putOp(keys.cronJob(ns, name), w.rv, { ...cj, status: w.status }));
  else if (w.job) ops.push({ op: 'require', key: keys.cronJob(ns, name), field: 'rv', value: w.rv });
  ops.push(...eventOps(store, w.events.map((event) => ({ about: cj, jobUid: cj.metadata.uid ?? '', event, at: w.now, source: { component: 'cronjob-controller' as const } }))));
  if (ops.length === 0) return undefined;
  const result = await store.commit(ops, 'commitCronJobSync');
  if (result.ok) return result;
  return { ok: false, conflict: result.index <= jobOps ? 'job' : 'cronJob' };
}

/** Deletes a CronJob's oldest events past `keep` (names sort by creation time), in batches of half of `keep`. */
export async function trimCronJobEvents(store: JobStore, cj: CronJob, keep: number): Promise<void> {
  const keys = store.keys;
  const setKey = keys.jobEvents(cj.metadata.uid ?? '');
  const count = await store.redis.scard(setKey);
  if (count <= keep * 1.5) return;
  const ns = cj.metadata.namespace ?? 'default';
  const oldest = (await store.redis.smembers(setKey)).sort().slice(0, count - keep);
  await store.commit(
    oldest.flatMap((e): WriteOp[] => [
      { op: 'delkey', key: keys.event(ns, e) },
      { op: 'zrem', key: keys.events(ns), member: e },
      { op: 'srem', key: setKey, member: e },
    ]),
    'trimCronJobEvents',
  );
}

// ---- the controller's schedule ----

interface CronRedis extends Redis {
  cronJobSyncStart(lease: string, pokes: string, wake: string, token: string, leaseMs: number, member: string, backstop: number): Promise<number>;
  cronJobSynced(lease: string, wake: string, cronJob: string, token: string, member: string, next: string, uid: string): Promise<number>;
}

function cronRedis(store: JobStore): CronRedis {
  defineScript(store.redis, 'cronJobSyncStart', 'cronJobSyncStart-3.lua');
  defineScript(store.redis, 'cronJobSynced', 'cronJobSynced-3.lua');
  return store.redis as unknown as CronRedis;
}

/** CronJobs due for a sync at `now`: scheduled at or before it, or poked; at most about `limit`. */
export async function dueCronJobs(store: JobStore, now: number, limit: number): Promise<{ ns: string; name: string }[]> {
  const [[, due], [, poked]] = (await store.redis
    .multi()
    .zrangebyscore(store.keys.cronJobWake, '-inf', now, 'LIMIT', 0, limit)
    .srandmember(store.keys.cronJobPokes, limit)
    .exec()) as [[unknown, string[]], [unknown, string[]]];
  return [...new Set([...poked, ...due])].map((m) => {
    const slash = m.indexOf('/');
    return { ns: m.slice(0, slash), name: m.slice(slash + 1) };
  });
}

/** Asks for a sync of the CronJob as soon as possible. */
export async function pokeCronJob(store: JobStore, ns: string, name: string): Promise<void> {
  await store.redis.sadd(store.keys.cronJobPokes, member(ns, name));
}

/** When the CronJob is synced next (ms), undefined when it is not scheduled. */
export async function cronJobWakeTime(store: JobStore, ns: string, name: string): Promise<number | undefined> {
  const score = await store.redis.zscore(store.keys.cronJobWake, member(ns, name));
  return score === null ? undefined : Number(score);
}

/**
 * One sync of a CronJob at a time across the fleet (cronJobSyncStart-3.lua / cronJobSynced-3.lua).
 * Correctness does not rest on it (a lapsed holder's writes are compare-and-set); it keeps several
 * controllers from doing the same work and losing races to each other.
 */
export class CronJobSyncLease {
  private readonly token = randomUUID();
  private readonly key: string;
  private readonly member: string;

  constructor(private readonly store: JobStore, private readonly ns: string, private readonly name: string) {
    this.key = store.keys.cronJobLease(ns, name);
    this.member = member(ns, name);
  }

  /** Takes the lease for `ms`, consuming the pokes; the CronJob is due again at `now + ms` should this sync not finish. */
  async take(now: number, ms: number): Promise<boolean> {
    const k = this.store.keys;
    return (await cronRedis(this.store).cronJobSyncStart(this.key, k.cronJobPokes, k.cronJobWake, this.token, ms, this.member, now + ms)) === 1;
  }

  /** Schedules the next sync (undefined: none until something changes) and lets go. */
  async done(next: number | undefined, uid: string): Promise<boolean> {
    const k = this.store.keys;
    const at = next === undefined ? '+inf' : String(Math.ceil(next));
    return (await cronRedis(this.store).cronJobSynced(this.key, k.cronJobWake, k.cronJob(this.ns, this.name), this.token, this.member, at, uid)) === 1;
  }

  /** Lets go without scheduling (the backstop set when it was taken stays). */
  async release(): Promise<void> {
    await this.store.releaseLease(this.key, this.token);
  }
}
