import { Redis, type ChainableCommander } from 'ioredis';
import { controllerRef, EMPTY_CONTROL_STATE, isPodFinished, RequestEntityTooLargeError, type CronJob, type Job, type JobControlState, type NodeHeartbeat, type Pod } from '@jobfleet/kube';
import { eventOps, type EventRecord } from './events.js';
import { NODE_SPEC_MESSAGE, parseStopMessage } from './jobs.js';
import { nameIndexBuckets, redisKeys, type Keys } from './keys.js';
import { PodCodec } from './pod-codec.js';
import { PodLogs } from './pod-logs.js';
import { StatusReportBatcher, type PodStatusReport, type PodStatusResult } from './pod-status-reports.js';
import { SyncHints } from './sync-hints.js';
import { TurnPipeline } from './turn-pipeline.js';
import { newWriteId } from './write-id.js';
import type { QueueFlow } from './queues.js';
import { declaredKeys, defineScript, scriptJson } from './scripts.js';

const RV_PLACEHOLDER = '__RV__';
/**
 * Changes kept for watches; older resourceVersions get 410 Gone, as after an etcd compaction. The
 * stream never holds more; crossing either bound trims it to 15/16 of both in one go
 * (appendChange.lua): bounded by count, it holds between 9,375 and 10,000 changes once full.
 */
export const CHANGES_MAX_LEN = 10_000;
/**
 * Bytes the change stream keeps at most (each entry holds a whole object): 10,000 changes of
 * objects of a few kilobytes fit, so the count bounds ordinary fleets, and at least 40 changes of
 * objects of the largest size.
 */
export const DEFAULT_CHANGES_MAX_BYTES = 64 * 1024 * 1024;
/** Largest stored object, as etcd's default request limit (--max-request-bytes, 1.5 MiB). */
export const DEFAULT_MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
const DECODED_CACHE_SIZE = 20_000;
/** Finished pods one sync counts at most (Kubernetes' Job controller: 500). */
const MAX_FINISHED_PER_SYNC = 500;
/** Reads of one sync's snapshot at most, each naming the uncounted pods the one before found (see loadForSync). */
const MAX_SYNC_LOAD_ATTEMPTS = 5;

export type ObjectKind = 'Job' | 'Pod' | 'Event' | 'CronJob';

/** Most names one call of readNameIndex-2.lua reads (see JobStore.indexedNames). */
const NAME_INDEX_READ = 1_000;

/**
 * The named state changes written through the operations of includes/applyOps.lua, each a script of
 * its own (`<name>-4+.lua`, the same interpreter), so that SLOWLOG, MONITOR and latency reports
 * name the change: every write of a role goes through one (transitions.ts, cronjobs.ts, …).
 * 'applyWrites' is the unnamed form that tests and tools write arbitrary states with.
 */
export const WRITE_TRANSITIONS = [
  'applyWrites',
  'insertJob',
  'putJob',
  'scheduleTtl',
  'trimJobEvents',
  'commitSync',
  'removePod',
  'putPod',
  'putNodePod',
  'putLostPod',
  'markPodUnschedulable',
  'commitOwnerChange',
  'recordJobEvent',
  'createNamespace',
  'forgetNamespace',
  'insertCronJob',
  'putCronJob',
  'removeCronJob',
  'finishCronJobDeletion',
  'pokeCronJobOf',
  'commitCronJobSync',
  'trimCronJobEvents',
] as const;
export type WriteTransition = (typeof WRITE_TRANSITIONS)[number];
type WriteScript = (numKeys: number, ...args: (string | number)[]) => Promise<(number | string)[]>;

/** The arguments of includes/applyOps.lua before the objects' texts (see its header). */
const APPLY_WRITES_FIXED_ARGS = 5;

/** One write of includes/applyOps.lua (every WRITE_TRANSITIONS script); see its header for the semantics. */
export type WriteOp =
  | {
      op: 'put';
      key: string;
      expect: string;
      obj: string;
      kind: ObjectKind;
      ns: string;
      name: string;
      ctl?: string;
      dict?: string;
      uid?: string;
      phase?: string;
      /** A user's write (create, update, patch): it must leave JobStore.statusHeadroom bytes free for the controller's status. */
      request?: boolean;
    }
  | { op: 'del'; key: string; expect: string; kind: ObjectKind; ns: string; name: string; final?: string }
  | { op: 'set'; key: string; value: string }
  | { op: 'sadd' | 'srem' | 'zrem'; key: string; member: string }
  /** A name index's upkeep (includes/nameIndex.lua): key is the index's (keys.pods, keys.jobPods). */
  | { op: 'iadd' | 'irem'; key: string; member: string }
  /** score: a string keeps its digits (a number goes through Lua's 14-digit printing). */
  | { op: 'zadd'; key: string; member: string; score?: number | string }
  | { op: 'delkey'; key: string }
  | { op: 'hdel'; key: string; field: string }
  | { op: 'publish'; channel: string; message: string }
  /** A guard: the hash's field must hold `value`, else nothing is written (the commit answers ok: false). */
  | { op: 'require'; key: string; field: string; value: string };

export type PutOp = Extract<WriteOp, { op: 'put' }>;

export type CommitResult = { ok: true; rvs: string[] } | { ok: false; index: number; current: string };

export interface StoredJob {
  job: Job;
  rv: string;
  control: JobControlState;
}

/** A worker's claim of a Pending pod (JobStore.claimPod). */
export interface PodClaim {
  ns: string;
  name: string;
  /** The resourceVersion the pod was read at: refused when it changed since. */
  rv: string;
  /** The pod as claimed (spec.nodeName, PodScheduled). */
  pod: Pod;
  node: string;
  /** The token of the node's name lease the worker holds. */
  leaseToken: string;
  /** The scheduler's Scheduled event (none when past the event rate). */
  event?: EventRecord;
  /** The pod's queue entry as the node took it (default "ns/name"): the claim lets go of it. */
  entry?: string;
  /**
   * The claim's write id (newWriteId; default a new one): a claim made again under the id of one that
   * landed, its answer lost, answers as that one did (claimed), writing nothing.
   */
  writeId?: string;
}

export interface StoredPod {
  pod: Pod;
  rv: string;
}

interface ScriptedRedis extends Redis {
  /** loadForSync-4+.lua: the number of keys first (4 + the pods named). */
  loadForSync(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  /** reportPodStatus-5+.lua: the number of keys first. */
  reportPodStatus(numKeys: number, ...args: (string | number)[]): Promise<(number | string)[]>;
  claimPod(...args: (string | number)[]): Promise<(number | string)[]>;
  takeSyncLease(lease: string, again: string, token: string, ms: number): Promise<number>;
  releaseSyncLease(lease: string, again: string, token: string): Promise<number>;
  releaseLease(lease: string, token: string): Promise<number>;
  putNodeSpec(specs: string, node: string, read: string, next: string, channel: string, message: string): Promise<number>;
  /** readNameIndex-2.lua: a page of names ('page', after, limit) or their presence ('has', names…). */
  readNameIndex(bounds: string, buckets: string, mode: 'page' | 'has', ...args: (string | number)[]): Promise<(string | number)[]>;
}


/** What one sync of the Job controller reads. */
export interface SyncSnapshot {
  /** The Redis clock, ms. */
  now: number;
  /** The pod queue's fair-queueing clock (ms; see queues.ts): pods this sync creates are queued from it. */
  queueClock: number;
  /** The Job as a flow of the pod queue (see QueueFlow): how far apart the pods this sync creates are queued. */
  queueFlow: QueueFlow;
  job: StoredJob;
  uncounted: StoredPod[];
  /** Finished pods not read this time (past MAX_FINISHED_PER_SYNC): the next sync counts them. */
  finishedLeftOut: number;
}

/** A record that cannot be read as its kind (hostile or torn data), as JSON.parse and the decoding fail on it; a Redis error is not one. */
export function isUnreadableRecord(err: unknown): boolean {
  return err instanceof SyntaxError || err instanceof TypeError;
}

/**
 * A pod's phase as its hash keeps it beside the object (field p), for scripts that must tell an ended
 * pod without decoding it (loadForSync): "S" and "F" for Succeeded and Failed (of every pod, its
 * longest-kept field after the object: 8 bytes less takes a finished pod's hash under a jemalloc size
 * class), any other phase as it is. Hashes written before hold "Succeeded" and "Failed": still read.
 */
export function storedPhase(phase: string | undefined): string | undefined {
  return phase === 'Succeeded' ? 'S' : phase === 'Failed' ? 'F' : phase;
}

/**
 * Redis away, or a Sentinel failover under way: the connection was refused or cut (ioredis), the
 * server is loading or has no primary (LOADING, MASTERDOWN, no sentinel answers), a demoted primary
 * refused a write (READONLY) or ended a blocked read (UNBLOCKED), or a write was not confirmed on a
 * replica (NOREPLICAS, see JobStore.durable: it may or may not have been applied). Each passes once a
 * primary answers again: the API answers 503 with Retry-After, the other roles read again and retry.
 */
export function isStoreUnavailable(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /ECONNREFUSED|ECONNRESET|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|MaxRetriesPerRequest|max retries per request|^LOADING|^READONLY|^UNBLOCKED|^NOREPLICAS|All sentinels are unreachable|^MASTERDOWN/i.test(message);
}

/**
 * Serialises a Kubernetes object with the resourceVersion placeholder as the first metadata field,
 * so the Lua script can put the new resourceVersion in without decoding the JSON.
 */
export function encodeObject(obj: { apiVersion: string; kind: string; metadata: object }): string {
  const { apiVersion, kind, metadata, ...rest } = obj as { apiVersion: string; kind: string; metadata: Record<string, unknown> };
  const { resourceVersion: _ignored, ...meta } = metadata;
  return JSON.stringify({ apiVersion, kind, metadata: { resourceVersion: RV_PLACEHOLDER, ...meta }, ...rest });
}

export interface StoreLimits {
  /** Largest object stored (its JSON as stored, plus controller bookkeeping). Default 1.5 MiB (the CLI: JOBFLEET_MAX_OBJECT_BYTES). */
  maxObjectBytes?: number;
  /** Bytes the change stream keeps at most. Default 64 MiB (the CLI: JOBFLEET_CHANGES_MAX_BYTES). */
  changesMaxBytes?: number;
  /** Wait for replicas after each write (a Sentinel set: 1), so that a failover loses no acknowledged write. Default: none. */
  durability?: Durability;
}

/** `WAIT replicas timeoutMs` after every committed write; fewer replicas in time: the write is reported as failed (it may still be kept). */
export interface Durability {
  replicas: number;
  timeoutMs: number;
}

const RESOURCES: Record<ObjectKind, string> = { Job: 'jobs.batch', Pod: 'pods', Event: 'events', CronJob: 'cronjobs.batch' };

/** Reads and writes Jobs, pods, logs and indexes in Redis. The only place that runs the write script. */
export class JobStore {
  readonly keys: Keys;
  readonly redis: ScriptedRedis;
  readonly codec: PodCodec;
  readonly logs: PodLogs;
  readonly maxObjectBytes: number;
  readonly changesMaxBytes: number;
  /**
   * Room a user's write of a Job leaves below maxObjectBytes (64 KiB of the default 1.5 MiB) for the
   * status the Job controller adds: a Job accepted near the limit must still be able to run.
   */
  readonly statusHeadroom: number;
  /** Each Job's uid and uncounted pods as this process last saw them: the keys loadForSync reads. */
  readonly syncHints = new SyncHints();
  private readonly decoded = new Map<string, StoredPod>();
  private readonly statusReports = new StatusReportBatcher((node, reports) => this.writeStatuses(node, reports));
  /** The script calls of one turn (a batch's claims, a node's status reports with their logs' archives) in one request. */
  private readonly turn: TurnPipeline;
  private readonly durability: Durability | undefined;
  /** Connections made so far (durable(): a write's reply and its WAIT must come from the same primary). */
  private connections = 0;

  constructor(redis: Redis, prefix = 'jf', limits: StoreLimits = {}) {
    this.keys = redisKeys(prefix);
    this.codec = new PodCodec(redis, this.keys);
    this.logs = new PodLogs(redis, this.keys);
    this.turn = new TurnPipeline(redis);
    this.maxObjectBytes = limits.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
    this.changesMaxBytes = limits.changesMaxBytes ?? DEFAULT_CHANGES_MAX_BYTES;
    this.statusHeadroom = Math.floor(this.maxObjectBytes / 24);
    this.durability = limits.durability?.replicas ? limits.durability : undefined;
    if (this.durability) redis.on('ready', () => this.connections++);
    for (const transition of WRITE_TRANSITIONS) defineScript(redis, transition, `${transition}-4+.lua`);
    defineScript(redis, 'readNameIndex', 'readNameIndex-2.lua');
    defineScript(redis, 'loadForSync', 'loadForSync-4+.lua');
    defineScript(redis, 'reportPodStatus', 'reportPodStatus-5+.lua');
    defineScript(redis, 'claimPod', 'claimPod-11.lua');
    defineScript(redis, 'takeSyncLease', 'takeSyncLease-2.lua');
    defineScript(redis, 'releaseSyncLease', 'releaseSyncLease-2.lua');
    defineScript(redis, 'releaseLease', 'releaseLease-1.lua');
    defineScript(redis, 'putNodeSpec', 'putNodeSpec-1.lua');
    this.redis = redis as ScriptedRedis;
  }

  /**
   * Applies the writes atomically, as the state change `transition` (its script; see
   * WRITE_TRANSITIONS). Resolves with ok:false when a resourceVersion did not match; rejects with
   * RequestEntityTooLargeError (413) when an object is over maxObjectBytes. `writeId` (see
   * newWriteId) is stored on the objects put: a commit made again under the id of one that landed
   * (its answer lost) answers as that one did, writing nothing.
   */
  async commit(ops: WriteOp[], transition: WriteTransition = 'applyWrites', writeId = newWriteId()): Promise<CommitResult> {
    // Every key an operation touches goes in KEYS (Redis requires it); the operation names it by its index.
    const { keys } = this;
    const declared = declaredKeys([keys.rv, keys.changes, keys.changesIndex, keys.changesInfo]);
    // Objects, their bookkeeping and values travel as arguments of their own, named by their index in
    // ARGV: inside the operations' JSON each would be escaped again (a stringify and a cjson.decode
    // of every quote of every object).
    const texts: string[] = [];
    const argv = (text: string) => APPLY_WRITES_FIXED_ARGS + texts.push(text);
    const sent = ops.map((op) => {
      if (!('key' in op)) return op;
      switch (op.op) {
        case 'put': {
          const { key, obj, ctl, request, ...rest } = op;
          return { ...rest, k: declared.at(key), o: argv(obj), ...(ctl === undefined ? {} : { c: argv(ctl) }), ...(request ? { headroom: this.statusHeadroom } : {}) };
        }
        case 'set': {
          const { key, value, ...rest } = op;
          return { ...rest, k: declared.at(key), v: argv(value) };
        }
        case 'del': {
          const { key, final, ...rest } = op;
          return { ...rest, k: declared.at(key), ...(final === undefined ? {} : { f: argv(final) }) };
        }
        case 'iadd':
        case 'irem': {
          const { key, ...rest } = op;
          return { ...rest, k: declared.at(key), b: declared.at(nameIndexBuckets(key)) };
        }
        default: {
          const { key, ...rest } = op;
          return { ...rest, k: declared.at(key) };
        }
      }
    });
    const reply = await (this.redis as unknown as Record<WriteTransition, WriteScript>)[transition](declared.keys.length, ...declared.keys, CHANGES_MAX_LEN, this.changesMaxBytes, this.maxObjectBytes, scriptJson(sent), writeId, ...texts);
    if (reply[0] === 1) {
      await this.durable();
      return { ok: true, rvs: reply.slice(1).map(String) };
    }
    if (reply[0] === -2) throw this.tooLarge(ops[Number(reply[1]) - 1], Number(reply[2]));
    return { ok: false, index: Number(reply[1]), current: String(reply[2] ?? '') };
  }

  /**
   * Called once a write's reply came: waits until `durability.replicas` replicas hold every write this
   * connection made (WAIT), so that a failover cannot take back what was acknowledged. A WAIT answered on
   * a new connection (a failover between the reply and the WAIT) says nothing of the write: NOREPLICAS.
   * A connection that fails fast (the API) throws NOREPLICAS (answered 503) when the replicas are short;
   * the others (workers, janitors) wait on for a replica, as they wait for Redis.
   */
  private async durable(): Promise<void> {
    if (!this.durability) return;
    const { replicas, timeoutMs } = this.durability;
    const connection = this.connections;
    for (;;) {
      const acked = await this.redis.wait(replicas, timeoutMs);
      if (this.connections !== connection) throw new Error('NOREPLICAS the connection to Redis was re-established (a failover?) before the write was confirmed on a replica: it may be lost');
      if (acked >= replicas) return;
      if (this.redis.options.maxRetriesPerRequest !== null) throw new Error(`NOREPLICAS the write reached ${acked} of ${replicas} Redis replica(s) within ${timeoutMs} ms: it may be lost in a failover`);
    }
  }

  /** etcd's answer to a request over its limit, as the Kubernetes API server passes it on (413), with the numbers. */
  private tooLarge(op: WriteOp | undefined, size: number): RequestEntityTooLargeError {
    const what = op?.op === 'put' ? `${RESOURCES[op.kind]} "${op.name}"` : 'the object';
    const headroom = op?.op === 'put' && op.request ? `, of which ${this.statusHeadroom} are kept free for the status the Job controller writes` : '';
    return new RequestEntityTooLargeError(
      `etcdserver: request is too large: ${what} takes ${size} bytes as stored; the limit is ${this.maxObjectBytes} bytes (JOBFLEET_MAX_OBJECT_BYTES)${headroom}`,
    );
  }

  /** The Redis server's clock in ms: the one clock every process of the fleet agrees on. */
  async now(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** putNodeSpec-1.lua: 1 when written (its worker is told), 0 when the record is no longer `read`. */
  putNodeSpec(node: string, read: string, next: string): Promise<number> {
    return this.redis.putNodeSpec(this.keys.nodeSpecs, node, read, next, this.keys.nodeChannel(node), NODE_SPEC_MESSAGE);
  }

  /** Deletes a lease if `token` still holds it. */
  async releaseLease(key: string, token: string): Promise<void> {
    await this.redis.releaseLease(key, token);
  }

  async currentResourceVersion(): Promise<string> {
    return (await this.redis.get(this.keys.rv)) ?? '0';
  }

  async getJob(ns: string, name: string): Promise<StoredJob | undefined> {
    const [rv, obj, ctl] = await this.redis.hmget(this.keys.job(ns, name), 'rv', 'obj', 'ctl');
    if (!rv || !obj) return undefined;
    return { rv, job: JSON.parse(obj) as Job, control: ctl ? (JSON.parse(ctl) as JobControlState) : { ...EMPTY_CONTROL_STATE } };
  }

  /**
   * The Job and its uncounted pods with the Redis clock, in one round trip when this process's hint
   * of the Job's uid and uncounted pods covers them (the script reads only keys it is given), else
   * in two or three (a Job's first sync here, or pods another process added); undefined when the Job is gone.
   */
  async loadForSync(ns: string, name: string): Promise<SyncSnapshot | undefined> {
    for (let attempt = 1; ; attempt++) {
      const hint = this.syncHints.get(ns, name);
      const names = hint ? [...hint.names] : [];
      const reply = await this.redis.loadForSync(
        4 + names.length,
        this.keys.job(ns, name),
        this.keys.podQueue,
        this.keys.podQueueFlows(ns),
        this.keys.jobUncounted(hint?.uid ?? ''),
        ...names.map((n) => this.keys.pod(ns, n)),
        MAX_FINISHED_PER_SYNC,
        name,
        hint?.uid ?? '',
        ...names,
      );
      if (reply[2] === '!') {
        // Another uid or pods not named: ask again naming them (they change only between calls).
        if (attempt >= MAX_SYNC_LOAD_ATTEMPTS) throw new Error(`the uncounted pods of Job ${ns}/${name} changed during each of ${attempt} reads; the sync is retried`);
        this.syncHints.set(ns, name, reply[3] ?? '', reply.slice(4));
        continue;
      }
      return this.syncSnapshot(ns, name, hint?.uid ?? '', reply);
    }
  }

  private async syncSnapshot(ns: string, name: string, uid: string, reply: string[]): Promise<SyncSnapshot | undefined> {
    const now = Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
    const [rv, obj, ctl] = [reply[2], reply[3], reply[4]];
    if (!rv || !obj) {
      this.syncHints.forget(ns, name);
      return undefined;
    }
    const job: StoredJob = { rv, job: JSON.parse(obj) as Job, control: ctl ? (JSON.parse(ctl) as JobControlState) : { ...EMPTY_CONTROL_STATE } };
    const unread = Number(reply[9] ?? 0);
    const members = reply.slice(10, 10 + unread);
    const uncounted: StoredPod[] = [];
    for (let i = 10 + unread; i + 3 < reply.length; i += 4) {
      const podName = reply[i] ?? '';
      members.push(podName);
      const podRv = reply[i + 1] ?? '';
      const stored = await this.decodePod(`${ns}/${podName}`, reply[i + 2] ?? '', reply[i + 3], podRv);
      if (stored) uncounted.push(stored);
    }
    this.syncHints.set(ns, name, uid, members);
    const clock = Number(reply[6] || NaN);
    const queueFlow = { flows: Math.max(1, Number(reply[7]) || 1), ...(reply[8] ? { tail: reply[8].includes('inf') ? Infinity : Number(reply[8]) } : {}) };
    return { now, queueClock: Number.isFinite(clock) ? clock : now, queueFlow, job, uncounted, finishedLeftOut: Number(reply[5] ?? 0) };
  }

  async getPod(ns: string, name: string): Promise<StoredPod | undefined> {
    const [rv, obj, dict] = await this.redis.hmget(this.keys.pod(ns, name), 'rv', 'obj', 'd');
    return rv && obj ? this.decodePod(`${ns}/${name}`, obj, dict, rv) : undefined;
  }

  /**
   * The pods that exist among `names`, in one round trip. `remember: false` (a listing of every pod,
   * as the metrics cache makes) leaves the decoded-pod cache to the syncs, and skips a pod that
   * cannot be decoded instead of failing.
   */
  async getPods(ns: string, names: string[], opts: { remember?: boolean } = {}): Promise<StoredPod[]> {
    const pods = await Promise.all(await this.readPods(
      names.map((name) => ({ ns, name })),
      opts.remember !== false,
    ));
    return pods.filter((p): p is StoredPod => p !== undefined);
  }

  /**
   * The pods at `refs`, of any namespaces, in one round trip: one answer per ref, in order,
   * undefined where there is no such pod, 'unreadable' where the record cannot be read as a pod
   * (hostile or torn data; a Redis error still rejects). A worker reads the pods of a batch it took
   * so, and the node monitor a node's pods.
   */
  async getPodsAt(refs: readonly { ns: string; name: string }[]): Promise<(StoredPod | undefined | 'unreadable')[]> {
    const reads = await this.readPods(refs, true);
    return Promise.all(reads.map((read) => read.catch((err: unknown) => (isUnreadableRecord(err) ? ('unreadable' as const) : Promise.reject(err)))));
  }

  /** One decoding per ref; `remember: false` skips a pod that cannot be decoded (undefined) and leaves the decoded-pod cache alone. */
  private async readPods(refs: readonly { ns: string; name: string }[], remember: boolean): Promise<Promise<StoredPod | undefined>[]> {
    if (refs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { ns, name } of refs) pipeline.hmget(this.keys.pod(ns, name), 'rv', 'obj', 'd');
    const replies = (await pipeline.exec()) ?? [];
    return refs.map(async ({ ns, name }, i) => {
      const [err, value] = replies[i] ?? [];
      const [rv, obj, dict] = (value ?? []) as (string | null)[];
      if (err || !rv || !obj) return undefined;
      return remember ? this.decodePod(`${ns}/${name}`, obj, dict, rv) : this.decodeOnce(obj, dict, rv).catch(() => undefined);
    });
  }

  /**
   * A stored pod, decoded once per resourceVersion: a sync reads every active pod of its Job, and
   * most of them have not changed since the last sync. Returned objects are shared: never mutate.
   */
  private async decodePod(key: string, obj: string, dict: string | null | undefined, rv: string): Promise<StoredPod | undefined> {
    const cached = this.decoded.get(key);
    if (cached?.rv === rv) return cached;
    const stored = await this.decodeOnce(obj, dict, rv);
    if (!stored) return undefined;
    if (this.decoded.size >= DECODED_CACHE_SIZE) this.decoded.delete(this.decoded.keys().next().value as string);
    this.decoded.set(key, stored);
    return stored;
  }

  private async decodeOnce(obj: string, dict: string | null | undefined, rv: string): Promise<StoredPod | undefined> {
    const json = await this.codec.decode(obj, dict, rv);
    return json ? { rv, pod: JSON.parse(json) as Pod } : undefined;
  }

  /** The write of a pod, compressed with its Job's dictionary. */
  async podPutOp(key: string, expect: string, pod: Pod): Promise<WriteOp> {
    const { obj, dict } = await this.codec.encode(encodeObject(pod), pod);
    const ns = pod.metadata.namespace ?? 'default';
    return { op: 'put', key, expect, obj, kind: 'Pod', ns, name: pod.metadata.name ?? '', phase: storedPhase(pod.status.phase), ...(dict ? { dict } : {}) };
  }

  /**
   * A worker's report of a pod's status: writes the status alone (see reportPodStatus-5+.lua),
   * guarded by the resourceVersion the report is based on, in one script call with the other
   * reports of this process that are ready at the same moment. The pod's metadata and spec must be
   * the stored ones (anything else: write the whole pod with podPutOp).
   */
  reportPodStatus(report: PodStatusReport): Promise<PodStatusResult> {
    return this.statusReports.report(report);
  }

  /**
   * A worker takes a Pending pod for its node (claimPod-11.lua) while `leaseToken` holds the node's
   * name: the pod as claimed, if it still has resourceVersion `rv`, joins the node's pod set, with
   * the scheduler's event (`event`, none when past the event rate) in the
   * same step. ok:false when the pod changed or went since `rv`; nameLost when another worker holds
   * the node's name (nothing written).
   */
  async claimPod(claim: PodClaim): Promise<{ ok: true; rv: string } | { ok: false; nameLost?: true }> {
    const { keys } = this;
    const { ns, name, rv, pod, node, leaseToken, entry = `${ns}/${name}`, writeId = newWriteId() } = claim;
    // The scheduler's event as eventOps writes it: a new one (put, its namespace index, its Job's set) or a repeat (put).
    const event = eventOps(this, claim.event ? [claim.event] : []);
    const put = event.find((op): op is PutOp => op.op === 'put' && op.kind === 'Event');
    const index = event.find((op): op is Extract<WriteOp, { op: 'zadd' }> => op.op === 'zadd');
    const owned = event.find((op): op is Extract<WriteOp, { op: 'sadd' | 'srem' | 'zrem' }> => op.op === 'sadd');
    const repeat = put !== undefined && put.expect === '*';
    const { obj, dict } = await this.codec.encode(encodeObject(pod), pod);
    const args = [
      ...[keys.rv, keys.changes, keys.changesIndex, keys.changesInfo, keys.pod(ns, name), keys.nodePods(node)],
      ...[put?.key ?? keys.event(ns, ''), index?.key ?? keys.events(ns), owned?.key ?? keys.jobEvents(''), keys.nodeLease(node), keys.podQueueTaken],
      ...[CHANGES_MAX_LEN, this.changesMaxBytes, this.maxObjectBytes, rv, obj, dict, storedPhase(pod.status.phase) ?? '', ns, name],
      ...[put?.obj ?? '', put?.name ?? '', leaseToken, repeat ? '1' : '0', writeId, entry],
    ];
    // The claims of a batch a worker took are made in one turn: they go in one request.
    const reply = await this.turn.call<(number | string)[]>((pipeline) => (pipeline as ChainableCommander & Pick<ScriptedRedis, 'claimPod'>).claimPod(...args));
    if (reply[0] === -2) throw this.tooLarge({ op: 'put', key: keys.pod(ns, name), expect: rv, obj, kind: 'Pod', ns, name }, Number(reply[1]));
    if (reply[0] === -3) return { ok: false, nameLost: true };
    if (reply[0] !== 1) return { ok: false };
    // A claimed pod has not ended: it is in its Job's uncounted set. The sync this node's report of
    // it will ask for then reads the Job in one call (without the hint, a process that did not create
    // the Job takes three: its uid, then its pods, then the read).
    // (The pod may come from anyone who can write to Redis: only a well-formed reference is taken.)
    const owner = Array.isArray(pod.metadata?.ownerReferences) ? controllerRef(pod) : undefined;
    if (owner?.kind === 'Job' && typeof owner.name === 'string' && typeof owner.uid === 'string' && owner.uid) this.syncHints.update(ns, owner.name, owner.uid, [name], []);
    await this.durable();
    return { ok: true, rv: String(reply[1]) };
  }

  private async writeStatuses(node: string, reports: PodStatusReport[]): Promise<PodStatusResult[]> {
    const { keys } = this;
    const encoded = await Promise.all(reports.map((r) => this.codec.encodeStatus(r.pod)));
    const results: PodStatusResult[] = reports.map(() => ({ ok: false, reason: 'whole' }));
    const sent = reports.flatMap((r, i) => (encoded[i] === undefined ? [] : [i]));
    // Logs to archive go first in the same request (the turn's pipeline): Redis runs them before the
    // statuses. Their answers are not needed: a log never fails its pod.
    const archived = reports.flatMap(({ log }) => (log ? [this.turn.call((p) => this.logs.finishIn(p, log)).catch(() => undefined)] : []));
    if (sent.length === 0) {
      await Promise.all(archived);
      return results;
    }
    const podKeys: string[] = [];
    const args: string[] = [];
    for (const i of sent) {
      const r = reports[i] as PodStatusReport;
      const phase = storedPhase(r.pod.status.phase) ?? '';
      podKeys.push(keys.pod(r.ns, r.name));
      args.push(r.rv, encoded[i] as string, phase, r.ns, r.name, isPodFinished(r.pod) ? '1' : '0');
    }
    const call = [5 + podKeys.length, keys.rv, keys.changes, keys.changesIndex, keys.changesInfo, keys.nodePods(node), ...podKeys, CHANGES_MAX_LEN, this.changesMaxBytes, this.maxObjectBytes, newWriteId(), ...args] as const;
    const reply = await this.turn.call<(number | string)[]>((p) => (p as ChainableCommander & Pick<ScriptedRedis, 'reportPodStatus'>).reportPodStatus(...call));
    let written = false;
    sent.forEach((i, j) => {
      const value = reply[j];
      if (typeof value === 'string') {
        written = true;
        results[i] = { ok: true, rv: value };
      } else results[i] = { ok: false, reason: value === -1 ? 'conflict' : 'whole' };
    });
    if (written) await this.durable();
    return results;
  }

  // ---- what a worker node writes about itself ----

  /** Writes the node's heartbeat record (its entry in the node registry). */
  async writeNodeHeartbeat(record: NodeHeartbeat): Promise<void> {
    await this.redis.hset(this.keys.nodes, record.name, JSON.stringify(record));
  }

  /** Removes the node's entry from the registry (a worker that left no pod behind). */
  async removeNode(node: string): Promise<void> {
    await this.redis.hdel(this.keys.nodes, node);
  }

  /** The token of the worker holding the node's name; undefined when none does. */
  async nodeNameHolder(node: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.nodeLease(node))) ?? undefined;
  }

  /** The pods ("ns/name") claimed by the node and not finished. */
  nodePods(node: string): Promise<string[]> {
    return this.redis.smembers(this.keys.nodePods(node));
  }

  /** Drops a pod ("ns/name") from the node's set. */
  async forgetNodePod(node: string, member: string): Promise<void> {
    await this.redis.srem(this.keys.nodePods(node), member);
  }

  /**
   * A whole write of a pod its node runs, read at resourceVersion `expect`, with `events` recorded
   * in the same commit; once it has ended (or with leaveNode) it leaves the node's pod set. A write
   * made again after its answer was lost passes the first one's `writeId` (newWriteId): if that one
   * landed, it answers as that one did, and its events are not recorded twice.
   */
  async putNodePod(expect: string, pod: Pod, node: string, opts: { events?: readonly EventRecord[]; leaveNode?: boolean; writeId?: string } = {}): Promise<CommitResult> {
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    const ops: WriteOp[] = [await this.podPutOp(this.keys.pod(ns, name), expect, pod), ...eventOps(this, opts.events)];
    if (opts.leaveNode || isPodFinished(pod)) ops.push({ op: 'srem', key: this.keys.nodePods(node), member: `${ns}/${name}` });
    return this.commit(ops, 'putNodePod', opts.writeId);
  }

  /**
   * Follows the node's channel on `connection`, which becomes a subscriber (give it a connection of
   * its own): `onStop` for every stop message (a pod of it is being deleted), `onSpec` when what was
   * set on the node changed (kubectl label, taint, cordon).
   */
  async listenForNodeMessages(connection: Redis, node: string, onStop: (message: ReturnType<typeof parseStopMessage>) => void, onSpec?: () => void): Promise<void> {
    connection.on('message', (_channel: string, message: string) => (message === NODE_SPEC_MESSAGE ? onSpec?.() : onStop(parseStopMessage(message))));
    await connection.subscribe(this.keys.nodeChannel(node));
  }

  async uncountedPodNames(jobUid: string): Promise<string[]> {
    return this.redis.smembers(this.keys.jobUncounted(jobUid));
  }

  async podNamesOfJob(jobUid: string): Promise<string[]> {
    return this.indexedNames(this.keys.jobPods(jobUid), undefined, Number.MAX_SAFE_INTEGER);
  }

  /**
   * Names in a name index (keys.pods, keys.jobPods: see nameIndexBuckets), in name order, from
   * `after` (exclusive), at most `limit`: read NAME_INDEX_READ names a call, so that a large read
   * never holds Redis for long (~1.5 ms a call).
   */
  async indexedNames(indexKey: string, after: string | undefined, limit: number): Promise<string[]> {
    const names: string[] = [];
    let from = after ?? '';
    while (names.length < limit) {
      const want = Math.min(NAME_INDEX_READ, limit - names.length);
      const page = (await this.redis.readNameIndex(indexKey, nameIndexBuckets(indexKey), 'page', from, want)).map(String);
      names.push(...page);
      if (page.length < want) break;
      from = page[page.length - 1] ?? '';
    }
    return names;
  }

  /** For each name, whether it is in the name index (one round trip). */
  async indexHas(indexKey: string, names: string[]): Promise<boolean[]> {
    if (names.length === 0) return [];
    return (await this.redis.readNameIndex(indexKey, nameIndexBuckets(indexKey), 'has', ...names)).map((found) => Number(found) === 1);
  }

  async namespaces(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.namespaces)).sort();
  }

  /** Names in a namespace index, in name order, from `after` (exclusive), at most `limit`. */
  async namesPage(indexKey: string, after: string | undefined, limit: number): Promise<string[]> {
    const min = after ? `(${after}` : '-';
    return this.redis.zrangebylex(indexKey, min, '+', 'LIMIT', 0, limit);
  }

  async getJobs(ns: string, names: string[]): Promise<StoredJob[]> {
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hmget(this.keys.job(ns, name), 'rv', 'obj');
    const replies = (await pipeline.exec()) ?? [];
    const out: StoredJob[] = [];
    for (const [err, value] of replies) {
      const [rv, obj] = (value ?? []) as (string | null)[];
      if (!err && rv && obj) out.push({ rv, job: JSON.parse(obj) as Job, control: { ...EMPTY_CONTROL_STATE } });
    }
    return out;
  }
}

/** The write of an object as plain JSON (pods are written with `JobStore.podPutOp`, which compresses them). */
export function putOp(key: string, expect: string, obj: Job | Pod | CronJob, ctl?: JobControlState): PutOp {
  return {
    op: 'put',
    key,
    expect,
    obj: encodeObject(obj),
    kind: obj.kind,
    ns: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name ?? '',
    ...(ctl ? { ctl: JSON.stringify(ctl) } : {}),
    ...((obj.kind === 'Job' || obj.kind === 'CronJob') && obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}
