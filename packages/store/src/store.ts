import { Redis } from 'ioredis';
import { EMPTY_CONTROL_STATE, RequestEntityTooLargeError, type Job, type JobControlState, type Pod } from '@jobfleet/kube';
import { redisKeys, type Keys } from './keys.js';
import { PodCodec } from './pod-codec.js';
import { PodLogs } from './pod-logs.js';
import { defineScript } from './scripts.js';

const RV_PLACEHOLDER = '__RV__';
/** Changes kept for watches; older resourceVersions get 410 Gone, as after an etcd compaction. */
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

export type ObjectKind = 'Job' | 'Pod' | 'Event';

/** One write of applyWrites-4.lua; see the script's header for the semantics. */
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
  | { op: 'zadd'; key: string; member: string; score?: number }
  | { op: 'delkey'; key: string }
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

export interface StoredPod {
  pod: Pod;
  rv: string;
}

interface ScriptedRedis extends Redis {
  applyWrites(rvKey: string, changesKey: string, indexKey: string, infoKey: string, maxLen: number, maxBytes: number, maxObject: number, ops: string): Promise<(number | string)[]>;
  loadForSync(jobKey: string, podKeyPrefix: string, uncountedKeyPrefix: string, maxFinished: number): Promise<string[]>;
}


/** What one sync of the Job controller reads. */
export interface SyncSnapshot {
  /** The Redis clock, ms. */
  now: number;
  job: StoredJob;
  uncounted: StoredPod[];
  /** Finished pods not read this time (past MAX_FINISHED_PER_SYNC): the next sync counts them. */
  finishedLeftOut: number;
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
  /** Largest object stored (its JSON as stored, plus controller bookkeeping). Default: JOBFLEET_MAX_OBJECT_BYTES, else 1.5 MiB. */
  maxObjectBytes?: number;
  /** Bytes the change stream keeps at most. Default: JOBFLEET_CHANGES_MAX_BYTES, else 64 MiB. */
  changesMaxBytes?: number;
}

/** A positive integer from the environment, or the default when unset; anything else stops the role. */
export function positiveIntFromEnv(name: string, fallback: number, env: Record<string, string | undefined> = process.env): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${env[name]}"`);
  return n;
}

const RESOURCES: Record<ObjectKind, string> = { Job: 'jobs.batch', Pod: 'pods', Event: 'events' };

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
  private readonly decoded = new Map<string, StoredPod>();

  constructor(redis: Redis, prefix = 'jf', limits: StoreLimits = {}) {
    this.keys = redisKeys(prefix);
    this.codec = new PodCodec(redis, this.keys);
    this.logs = new PodLogs(redis, this.keys);
    this.maxObjectBytes = limits.maxObjectBytes ?? positiveIntFromEnv('JOBFLEET_MAX_OBJECT_BYTES', DEFAULT_MAX_OBJECT_BYTES);
    this.changesMaxBytes = limits.changesMaxBytes ?? positiveIntFromEnv('JOBFLEET_CHANGES_MAX_BYTES', DEFAULT_CHANGES_MAX_BYTES);
    this.statusHeadroom = Math.floor(this.maxObjectBytes / 24);
    defineScript(redis, 'applyWrites', 'applyWrites-4.lua');
    defineScript(redis, 'loadForSync', 'loadForSync-1.lua');
    this.redis = redis as ScriptedRedis;
  }

  /**
   * Applies the writes atomically. Resolves with ok:false when a resourceVersion did not match;
   * rejects with RequestEntityTooLargeError (413) when an object is over maxObjectBytes.
   */
  async commit(ops: WriteOp[]): Promise<CommitResult> {
    const sent = ops.map((op) => (op.op === 'put' && op.request ? { ...op, request: undefined, headroom: this.statusHeadroom } : op));
    const { keys } = this;
    const reply = await this.redis.applyWrites(keys.rv, keys.changes, keys.changesIndex, keys.changesInfo, CHANGES_MAX_LEN, this.changesMaxBytes, this.maxObjectBytes, JSON.stringify(sent));
    if (reply[0] === 1) return { ok: true, rvs: reply.slice(1).map(String) };
    if (reply[0] === -2) throw this.tooLarge(ops[Number(reply[1]) - 1], Number(reply[2]));
    return { ok: false, index: Number(reply[1]), current: String(reply[2] ?? '') };
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

  /** Deletes a lease if `token` still holds it. */
  async releaseLease(key: string, token: string): Promise<void> {
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, token);
  }

  async currentResourceVersion(): Promise<string> {
    return (await this.redis.get(this.keys.rv)) ?? '0';
  }

  async getJob(ns: string, name: string): Promise<StoredJob | undefined> {
    const [rv, obj, ctl] = await this.redis.hmget(this.keys.job(ns, name), 'rv', 'obj', 'ctl');
    if (!rv || !obj) return undefined;
    return { rv, job: JSON.parse(obj) as Job, control: ctl ? (JSON.parse(ctl) as JobControlState) : { ...EMPTY_CONTROL_STATE } };
  }

  /** The Job and its uncounted pods with the Redis clock, in one round trip; undefined when the Job is gone. */
  async loadForSync(ns: string, name: string): Promise<SyncSnapshot | undefined> {
    const reply = await this.redis.loadForSync(this.keys.job(ns, name), this.keys.pod(ns, ''), this.keys.jobUncounted(''), MAX_FINISHED_PER_SYNC);
    const now = Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
    const [rv, obj, ctl] = [reply[2], reply[3], reply[4]];
    if (!rv || !obj) return undefined;
    const job: StoredJob = { rv, job: JSON.parse(obj) as Job, control: ctl ? (JSON.parse(ctl) as JobControlState) : { ...EMPTY_CONTROL_STATE } };
    const uncounted: StoredPod[] = [];
    for (let i = 6; i + 3 < reply.length; i += 4) {
      const podRv = reply[i + 1] ?? '';
      const stored = await this.decodePod(`${ns}/${reply[i]}`, reply[i + 2] ?? '', reply[i + 3], podRv);
      if (stored) uncounted.push(stored);
    }
    return { now, job, uncounted, finishedLeftOut: Number(reply[5] ?? 0) };
  }

  async getPod(ns: string, name: string): Promise<StoredPod | undefined> {
    const [rv, obj, dict] = await this.redis.hmget(this.keys.pod(ns, name), 'rv', 'obj', 'd');
    return rv && obj ? this.decodePod(`${ns}/${name}`, obj, dict, rv) : undefined;
  }

  /** The pods that exist among `names`, in one round trip. */
  async getPods(ns: string, names: string[]): Promise<StoredPod[]> {
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hmget(this.keys.pod(ns, name), 'rv', 'obj', 'd');
    const replies = (await pipeline.exec()) ?? [];
    const out: StoredPod[] = [];
    for (const [i, [err, value]] of replies.entries()) {
      const [rv, obj, dict] = (value ?? []) as (string | null)[];
      const stored = !err && rv && obj ? await this.decodePod(`${ns}/${names[i]}`, obj, dict, rv) : undefined;
      if (stored) out.push(stored);
    }
    return out;
  }

  /**
   * A stored pod, decoded once per resourceVersion: a sync reads every active pod of its Job, and
   * most of them have not changed since the last sync. Returned objects are shared: never mutate.
   */
  private async decodePod(key: string, obj: string, dict: string | null | undefined, rv: string): Promise<StoredPod | undefined> {
    const cached = this.decoded.get(key);
    if (cached?.rv === rv) return cached;
    const json = await this.codec.decode(obj, dict, rv);
    if (!json) return undefined;
    const stored = { rv, pod: JSON.parse(json) as Pod };
    if (this.decoded.size >= DECODED_CACHE_SIZE) this.decoded.delete(this.decoded.keys().next().value as string);
    this.decoded.set(key, stored);
    return stored;
  }

  /** The write of a pod, compressed with its Job's dictionary. */
  async podPutOp(key: string, expect: string, pod: Pod): Promise<WriteOp> {
    const { obj, dict } = await this.codec.encode(encodeObject(pod), pod);
    const ns = pod.metadata.namespace ?? 'default';
    return { op: 'put', key, expect, obj, kind: 'Pod', ns, name: pod.metadata.name ?? '', phase: pod.status.phase, ...(dict ? { dict } : {}) };
  }

  async uncountedPodNames(jobUid: string): Promise<string[]> {
    return this.redis.smembers(this.keys.jobUncounted(jobUid));
  }

  async podNamesOfJob(jobUid: string): Promise<string[]> {
    return this.redis.zrange(this.keys.jobPods(jobUid), 0, -1);
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
export function putOp(key: string, expect: string, obj: Job | Pod, ctl?: JobControlState): PutOp {
  return {
    op: 'put',
    key,
    expect,
    obj: encodeObject(obj),
    kind: obj.kind,
    ns: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name ?? '',
    ...(ctl ? { ctl: JSON.stringify(ctl) } : {}),
    ...(obj.kind === 'Job' && obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}
