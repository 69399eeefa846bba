/**
 * newRedis with a `redis+sentinel://` URL against a real Sentinel set (a primary, two replicas, three
 * sentinels: after a failover the new primary still has a replica to confirm writes): connections follow a failover without being made again, a demoted primary's READONLY sends
 * the write to the new primary once, and JobStore's durability (WAIT) holds acknowledged writes on a replica.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRedis } from './cluster.js';
import { startSentinelSet, type SentinelSet } from './sentinel-set.js';
import { JobStore } from './store.js';

let set: SentinelSet;
let redis: Redis;
let store: JobStore;
const prefix = `s${randomUUID().slice(0, 8)}`;
const members = (port: number, key: string) => direct(port, (c) => c.smembers(key));

/** A plain connection to one node, to read what it holds (not through the sentinels). */
async function direct<T>(port: number, command: (c: Redis) => Promise<T>): Promise<T> {
  const c = newRedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, retryStrategy: () => null, reconnectOnError: () => false });
  try {
    return await command(c);
  } finally {
    c.disconnect();
  }
}

const portOf = (c: Redis) => c.stream?.remotePort;
const nodeOn = (port: number) => set.nodes.find((n) => n.port === port);

beforeAll(async () => {
  set = await startSentinelSet({ replicas: 2, downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
  redis = newRedis(set.url);
  store = new JobStore(redis, prefix, { durability: { replicas: 1, timeoutMs: 1_000 } });
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await set?.stop();
});

describe('a Sentinel set', () => {
  it('follows a SIGKILL of the primary on the same connection (and its duplicates, as BullMQ makes them); acknowledged writes survive', async () => {
    const key = store.keys.namespaces;
    await store.commit([{ op: 'sadd', key, member: 'before' }]);
    const first = await set.primaryPort();
    expect(portOf(redis)).toBe(first);
    // Acknowledged means on a replica (WAIT 1), read there at once.
    const onReplicas = await Promise.all(set.nodes.filter((n) => n.port !== first).map((n) => members(n.port, key)));
    expect(onReplicas.map((m) => m.join())).toContain('before');
    const duplicate = redis.duplicate(); // what BullMQ's Worker does for its blocking connection
    duplicate.on('error', () => undefined); // BullMQ listens too
    await duplicate.ping();

    await nodeOn(first)?.kill('SIGKILL');
    try {
      // A write made while there is no primary waits (a worker's connection queues), then goes to the new one
      // and waits there for the other replica, which the sentinels make follow the new primary.
      const during = store.commit([{ op: 'sadd', key, member: 'during' }]);
      const second = await set.failedOver(first);
      expect((await during).ok).toBe(true);
      // The sentinels' word of the failover (+switch-master) may come after the write went to the new
      // primary: the connection then reconnects once more, to the same one.
      await expectEventually(async () => portOf(redis) === second);
      expect((await members(second, key)).sort()).toEqual(['before', 'during']);
      expect(await duplicate.ping()).toBe('PONG');
      await expectEventually(async () => portOf(duplicate) === second);
    } finally {
      duplicate.disconnect();
      await nodeOn(first)?.restart(); // back as a replica of the new primary, for the tests below
    }
  }, 60_000);

  it('a write refused as READONLY by a demoted primary reconnects to the new one and is applied there once', async () => {
    // A connection that missed the sentinels' word of the failover (its detector off here): READONLY is what tells it.
    const unaware = newRedis(set.url, { failoverDetector: false });
    try {
      const from = await set.primaryPort();
      const counter = `${prefix}:counter`;
      expect(await unaware.incr(counter)).toBe(1);
      expect(portOf(unaware)).toBe(from);
      await unaware.wait(1, 1_000);
      // A manual failover: the old primary stays up and becomes a replica; our connection is still on it.
      // The test before's failover may still be finishing (the sentinel answers INPROG until its replicas follow): asked again until it starts.
      await expectEventually(async () => (await direct(set.sentinels[0]?.port ?? 0, (c) => c.call('SENTINEL', 'failover', set.name))) === 'OK');
      const to = await set.failedOver(from);
      await expectEventually(async () => ((await direct(from, (c) => c.call('ROLE'))) as string[])[0] === 'slave');
      expect(portOf(unaware)).toBe(from);
      expect(await unaware.incr(counter)).toBe(2);
      expect(portOf(unaware)).toBe(to);
      expect(await direct(to, (c) => c.get(counter))).toBe('2');
    } finally {
      unaware.disconnect();
    }
  }, 60_000);

  it('a connection moves to the new primary when the sentinels announce it, while the old one hangs (SIGSTOP: it answers nothing, closes nothing)', async () => {
    const from = await set.primaryPort();
    expect(await redis.ping()).toBe('PONG');
    expect(portOf(redis)).toBe(from);
    // Blocked on the primary, as the change feed's XREAD BLOCK and BullMQ's waits are.
    const blocked = redis.duplicate();
    blocked.on('error', () => undefined);
    const read = blocked.xread('BLOCK', 0, 'STREAMS', `${prefix}:hung`, '$');
    await expectEventually(async () => portOf(blocked) === from);
    nodeOn(from)?.pause();
    try {
      const pending = redis.incr(`${prefix}:hung-counter`); // sent to the hung primary: sent again to the new one
      const to = await set.failedOver(from);
      await expectEventually(async () => portOf(redis) === to && portOf(blocked) === to);
      expect(await pending).toBe(1);
      expect(await redis.ping()).toBe('PONG');
      await redis.xadd(`${prefix}:hung`, '*', 'f', 'v');
      expect(await read).not.toBeNull(); // the blocked read, sent again to the new primary, answered there
    } finally {
      nodeOn(from)?.resume();
      blocked.disconnect();
    }
    // The old primary back as a replica of the new one, for the tests below.
    await expectEventually(async () => ((await direct(from, (c) => c.call('ROLE'))) as string[])[0] === 'slave');
  }, 60_000);

  it('an API connection (fail fast) answers NOREPLICAS when no replica confirms the write; the write itself is kept', async () => {
    const api = newRedis(set.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const apiStore = new JobStore(api, prefix, { durability: { replicas: 1, timeoutMs: 200 } });
    await new Promise((resolve) => api.once('ready', resolve));
    const primary = await set.primaryPort();
    const replicas = set.nodes.filter((n) => n.port !== primary);
    for (const replica of replicas) await replica.kill('SIGKILL');
    try {
      await expect(apiStore.commit([{ op: 'sadd', key: apiStore.keys.namespaces, member: 'unconfirmed' }])).rejects.toThrow(/^NOREPLICAS the write reached 0 of 1 Redis replica/);
      expect(await members(primary, apiStore.keys.namespaces)).toContain('unconfirmed');
    } finally {
      for (const replica of replicas) await replica.restart();
      api.disconnect();
    }
  }, 60_000);

  it('with writes confirmed on a replica, a connection does not take a primary restarted alone (empty) until a replica follows it', async () => {
    // A set of its own: a primary and one replica. The replica dies, the primary restarts without its data.
    const own = await startSentinelSet({ replicas: 1, downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
    const durable = newRedis(own.url, {}, { durability: { replicas: 1, timeoutMs: 200 } });
    const plain = newRedis(own.url);
    try {
      const [primary, replica] = own.nodes;
      await replica?.kill('SIGKILL');
      await primary?.kill('SIGKILL');
      await primary?.restart();
      expect(await plain.dbsize()).toBe(0); // without durability, the lone empty primary is taken
      await new Promise((r) => setTimeout(r, 1_500));
      expect(durable.status).not.toBe('ready');
      await replica?.restart(); // a replica of that primary again
      await expectEventually(async () => durable.status === 'ready', 30_000);
      expect(portOf(durable)).toBe(primary?.port);
    } finally {
      durable.disconnect();
      plain.disconnect();
      await own.stop();
    }
  }, 90_000);

  it('with writes confirmed on a replica, a connection takes a primary promoted by a failover even before a replica follows it (reads go on)', async () => {
    const own = await startSentinelSet({ replicas: 1, downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
    const durable = newRedis(own.url, {}, { durability: { replicas: 1, timeoutMs: 200 } });
    try {
      const [primary, replica] = own.nodes;
      await durable.set('kept', 'yes');
      await durable.wait(1, 1_000);
      await primary?.kill('SIGKILL'); // stays dead: the promoted replica has no replica of its own
      expect(await own.failedOver(primary?.port ?? 0)).toBe(replica?.port);
      expect(await durable.get('kept')).toBe('yes');
      expect(portOf(durable)).toBe(replica?.port);
    } finally {
      durable.disconnect();
      await own.stop();
    }
  }, 90_000);
});

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
