/**
 * The Redis-side figures of the roles' Prometheus metrics: each a few commands whatever the number
 * of Jobs and pods (the pod queue's counts, one PING, one INFO, one MGET per 1,000 Jobs).
 */
import type { JobStore } from './store.js';
import type { TaskQueues } from './queues.js';

export interface PodQueueStats {
  /** Pods queued and due: waiting for a node to take them. */
  waiting: number;
  /** Pods handed back for later (their node was full, draining, or did not match their nodeSelector). */
  delayed: number;
  /** Seconds the oldest due pod has waited (0 when none waits), on the Redis clock. */
  oldestWaitingSeconds: number;
}

/** The pod queue's counts, and the age of its oldest due entry (three commands). */
export async function podQueueStats(store: JobStore, queues: TaskQueues): Promise<PodQueueStats> {
  const now = await store.now();
  const { due, later, oldestDueAt } = await queues.podQueueCounts(now);
  return { waiting: due, delayed: later, oldestWaitingSeconds: oldestDueAt !== undefined && oldestDueAt <= now ? (now - oldestDueAt) / 1000 : 0 };
}

/** Seconds one PING takes to come back. */
export async function redisRoundTripSeconds(store: JobStore): Promise<number> {
  const start = process.hrtime.bigint();
  await store.redis.ping();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export interface RedisMemory {
  /** INFO memory's used_memory, bytes. */
  usedBytes: number;
  /** Its maxmemory (0: no limit). */
  maxBytes: number;
}

/** The memory figures of `INFO memory`; fields Redis leaves out count as 0. */
export async function redisMemory(store: JobStore): Promise<RedisMemory> {
  const info = parseInfo(await store.redis.info('memory'));
  return { usedBytes: info.used_memory ?? 0, maxBytes: info.maxmemory ?? 0 };
}

/** The numeric fields of an INFO reply. */
export function parseInfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    const value = Number(line.slice(colon + 1));
    if (Number.isFinite(value)) out[line.slice(0, colon)] = value;
  }
  return out;
}

const LOG_BYTES_BATCH = 1000;

/** Bytes of pod log the given Jobs hold in Redis (their log-budget counters), summed. */
export async function logBytesStored(store: JobStore, jobUids: Iterable<string>): Promise<number> {
  const uids = [...jobUids];
  let total = 0;
  for (let i = 0; i < uids.length; i += LOG_BYTES_BATCH) {
    const keys = uids.slice(i, i + LOG_BYTES_BATCH).map((uid) => store.keys.jobLogBytes(uid));
    for (const value of await store.redis.mget(...keys)) {
      const n = Number(value ?? 0);
      if (Number.isFinite(n) && n > 0) total += n;
    }
  }
  return total;
}

