/** The node-name lease (scripts/nodeLease-1.lua) against a real Redis: one live holder per name. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConnection, NodeLease, NodeNameInUseError, startScratchRedis, type EmbeddedRedis } from './index.js';

let redis: EmbeddedRedis;
let cluster: StoreConnection;
beforeAll(async () => {
  redis = await startScratchRedis();
  cluster = new StoreConnection({ redisUrl: redis.url, prefix: 'lease' });
});
afterAll(async () => {
  await cluster.close();
  await redis.stop();
});

const lease = (name: string, ms = 400) => new NodeLease(cluster.store, name, ms);

describe('NodeLease', () => {
  it('is taken by one token at a time; the holder renews it, the other is told who holds it and for how long', async () => {
    const a = lease('n1');
    const b = lease('n1');
    expect(await a.take()).toEqual({ held: true });
    const refused = await b.take();
    expect(refused).toMatchObject({ held: false, holder: a.token });
    expect(refused.held === false && refused.ttlMs > 0 && refused.ttlMs <= 400).toBe(true);
    expect(await a.take()).toEqual({ held: true }); // renewal
    expect(await lease('n2').take()).toEqual({ held: true }); // another name is another lease
  });

  it('expires when not renewed, and is then free for another token', async () => {
    const a = lease('n3', 200);
    const b = lease('n3', 200);
    await a.take();
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.take()).toEqual({ held: true });
    expect(await a.take()).toMatchObject({ held: false, holder: b.token });
  });

  it('is released only by its holder', async () => {
    const a = lease('n4');
    const b = lease('n4');
    await a.take();
    await b.release(); // not b's: nothing happens
    expect(await b.take()).toMatchObject({ held: false });
    await a.release();
    expect(await b.take()).toEqual({ held: true });
  });

  it('acquire waits for a holder that stopped renewing (at most about one lease), and refuses a live one with the heartbeat age', async () => {
    const dead = lease('n5', 500);
    await dead.take();
    const started = Date.now();
    await lease('n5', 500).acquire(200);
    const waited = Date.now() - started;
    console.log(`acquire after a dead holder waited ${waited} ms (lease 500 ms)`);
    expect(waited).toBeLessThan(500 + 200 + 500);

    const live = lease('n6', 300);
    await live.take();
    const renew = setInterval(() => void live.take(), 100);
    await cluster.redis.hset(cluster.store.keys.nodes, 'n6', JSON.stringify({ name: 'n6', heartbeat: await cluster.store.now(), docker: true, capacity: { pods: 1 } }));
    try {
      const err = await lease('n6', 300).acquire(100).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NodeNameInUseError);
      expect((err as Error).message).toMatch(/^node name "n6" is in use by a live worker \(last heartbeat \d+\.\d s ago\); choose another --node-name$/);
    } finally {
      clearInterval(renew);
    }
  });
});
