/**
 * newRedis' connections (CoalescingRedis, cluster.ts) against a real redis-server: commands issued
 * by many callbacks of one event-loop turn leave in three socket writes (the first two alone); replies stay each its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newRedis } from './cluster.js';
import { startScratchRedis, type EmbeddedRedis } from './embedded-redis.js';

let server: EmbeddedRedis;
beforeAll(async () => {
  server = await startScratchRedis();
});
afterAll(async () => {
  await server.stop();
});

/** Counts the socket's writes: Node's Writable calls _write for one buffered chunk, _writev for several. */
function countWrites(socket: object): { count: number } {
  const counter = { count: 0 };
  const s = socket as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  for (const method of ['_write', '_writev'] as const) {
    const original = s[method];
    s[method] = function (this: unknown, ...a: unknown[]) {
      counter.count++;
      return original.apply(this, a);
    };
  }
  return counter;
}

it('of the commands of 50 callbacks of one turn, the first two leave at once and the others in one write; each gets its own reply', async () => {
  const redis = newRedis(server.url);
  try {
    await redis.ping();
    const writes = countWrites(redis.stream);
    const replies = await new Promise<number[]>((resolve, reject) => {
      const pending: Promise<number>[] = [];
      // Immediates queued together run in one check phase (one queued meanwhile, the next turn).
      for (let i = 0; i < 50; i++) {
        setImmediate(() => {
          pending.push(redis.incr('coalesced'));
          if (pending.length === 50) Promise.all(pending).then(resolve, reject);
        });
      }
    });
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(writes.count).toBe(3);
    // The socket was uncorked: a command alone goes out, in a write of its own.
    expect(await redis.get('coalesced')).toBe('50');
    expect(writes.count).toBe(4);
  } finally {
    redis.disconnect();
  }
});
