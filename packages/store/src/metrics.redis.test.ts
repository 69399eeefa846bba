/** The Redis-side figures of the metrics (metrics.ts) against a real Redis and BullMQ's pods queue. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { logBytesStored, parseInfo, redisSettingsAdvice, podQueueStats, redisMemory, redisRoundTripSeconds, StoreConnection, startScratchRedis, type EmbeddedRedis } from './index.js';

let redis: EmbeddedRedis;
let cluster: StoreConnection;
beforeAll(async () => {
  redis = await startScratchRedis();
  cluster = new StoreConnection({ redisUrl: redis.url, prefix: 'metrics' });
});
afterAll(async () => {
  await cluster.close();
  await redis.stop();
});

const pod = (uid: string) => ({ metadata: { namespace: 'default', name: `p-${uid}`, uid } }) as unknown as Pod;

describe('podQueueStats', () => {
  it('counts the due and handed-back pods and ages the oldest due one, not the newest', async () => {
    expect(await podQueueStats(cluster.store, cluster.queues)).toStrictEqual({ waiting: 0, delayed: 0, oldestWaitingSeconds: 0 });
    await cluster.queues.enqueuePods([pod('a')]);
    await new Promise((r) => setTimeout(r, 600));
    await cluster.queues.enqueuePods([pod('b'), pod('c'), pod('d')]);
    const [taken] = (await cluster.queues.takePods(4)).tasks.slice(-1);
    await cluster.queues.handBackPod(taken?.entry ?? '', 60_000);
    const stats = await podQueueStats(cluster.store, cluster.queues);
    expect(stats).toMatchObject({ waiting: 0, delayed: 1 });
    await cluster.queues.enqueuePods([pod('a'), pod('b'), pod('c')]);
    await new Promise((r) => setTimeout(r, 600));
    await cluster.queues.enqueuePods([pod('e')]);
    const again = await podQueueStats(cluster.store, cluster.queues);
    expect(again).toMatchObject({ waiting: 4, delayed: 1 });
    // The first entry waited at least the 600 ms before the last was added.
    expect(again.oldestWaitingSeconds).toBeGreaterThanOrEqual(0.5);
    await cluster.queues.dequeuePods((await cluster.queues.queuedPods()).map((q) => q.entry));
  });
});

describe('Redis figures', () => {
  it('measures a round trip and reads INFO memory', async () => {
    expect(await redisRoundTripSeconds(cluster.store)).toBeGreaterThan(0);
    const memory = await redisMemory(cluster.store);
    expect(memory.usedBytes).toBeGreaterThan(0);
    expect(memory.maxBytes).toBeGreaterThanOrEqual(0);
    expect(parseInfo('# Memory\r\nused_memory:123\r\nmaxmemory_policy:noeviction\r\nbad\r\n')).toStrictEqual({ used_memory: 123 });
  });

  it("sums the Jobs' log counters, ignoring missing and malformed ones", async () => {
    const k = cluster.store.keys;
    await cluster.store.redis.set(k.jobLogBytes('j1'), '100');
    await cluster.store.redis.set(k.jobLogBytes('j2'), '23');
    await cluster.store.redis.set(k.jobLogBytes('j3'), 'garbage');
    const uids = ['j1', 'j2', 'j3', 'missing', ...Array.from({ length: 1500 }, (_, i) => `none-${i}`)];
    expect(await logBytesStored(cluster.store, uids)).toBe(123);
  });
});

describe('redisSettingsAdvice', () => {
  it('says nothing of a Redis set as jobfleet wants, and names each setting that differs, with its fix', async () => {
    const admin = cluster.store.redis;
    expect(await redisSettingsAdvice(cluster.store)).toStrictEqual([]);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.config('SET', 'hash-max-listpack-value', '64');
    try {
      const advice = await redisSettingsAdvice(cluster.store);
      expect(advice).toHaveLength(2);
      expect(advice[0]).toMatch(/^Redis runs with maxmemory-policy allkeys-lru: jobfleet requires noeviction .*CONFIG SET maxmemory-policy noeviction/);
      expect(advice[1]).toMatch(/^Redis keeps hashes with a value over 64 bytes as hash tables: .*set hash-max-listpack-value 1024/);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'hash-max-listpack-value', '1024');
    }
  });
});
