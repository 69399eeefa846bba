/** PodLogWriter against a real redis-server: entries, the byte bound (XTRIM MINID), flush never throwing. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScratchRedis, type EmbeddedRedis } from '@jobfleet/store';
import { PodLogWriter } from './log-writer.js';

let server: EmbeddedRedis;
let redis: Redis;
const prefix = `t${randomUUID().slice(0, 8)}`;
let seq = 0;
const newKey = () => `${prefix}:log:default:pod-${++seq}`;

beforeAll(async () => {
  server = await startScratchRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

interface Entry {
  id: string;
  c: string;
  s: string;
  t: number;
  d: string;
}

async function entries(key: string): Promise<Entry[]> {
  const raw = await redis.xrangeBuffer(key, '-', '+');
  return raw.map(([id, fields]) => {
    const f: Record<string, Buffer> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[String(fields[i])] = fields[i + 1] as Buffer;
    return { id: String(id), c: String(f.c), s: String(f.s), t: Number(String(f.t)), d: String(f.d) };
  });
}

const chunk = (ch: string, n: number) => Buffer.from(ch.repeat(n));

describe('PodLogWriter', () => {
  it('stores one stream entry per chunk with container, stream, time and data, in order', async () => {
    const key = newKey();
    const writer = new PodLogWriter(redis, key);
    const before = Date.now();
    writer.write('main', 'stdout', Buffer.from('hello\n'));
    writer.write('main', 'stderr', Buffer.from('oops\n'));
    writer.write('side', 'stdout', Buffer.from('bytes \u00e9\n'));
    await writer.flush();
    const got = await entries(key);
    expect(got.map(({ c, s, d }) => ({ c, s, d }))).toStrictEqual([
      { c: 'main', s: 'stdout', d: 'hello\n' },
      { c: 'main', s: 'stderr', d: 'oops\n' },
      { c: 'side', s: 'stdout', d: 'bytes \u00e9\n' },
    ]);
    for (const e of got) {
      expect(e.t).toBeGreaterThanOrEqual(before);
      expect(e.t).toBeLessThanOrEqual(Date.now());
    }
  });

  it('splits a chunk over 64 KiB into several entries', async () => {
    const key = newKey();
    const writer = new PodLogWriter(redis, key);
    writer.write('main', 'stdout', chunk('x', 64 * 1024 * 2 + 10));
    await writer.flush();
    const got = await entries(key);
    expect(got.map((e) => e.d.length)).toStrictEqual([65536, 65536, 10]);
  });

  it('flushes by itself shortly after a write', async () => {
    const key = newKey();
    const writer = new PodLogWriter(redis, key);
    writer.write('main', 'stdout', Buffer.from('later\n'));
    const deadline = Date.now() + 3_000;
    while ((await redis.xlen(key)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await entries(key)).map((e) => e.d)).toStrictEqual(['later\n']);
  });

  it('flush with nothing buffered writes nothing', async () => {
    const key = newKey();
    await new PodLogWriter(redis, key).flush();
    expect(await redis.exists(key)).toBe(0);
  });

  it.each<{ name: string; maxBytes: number; batches: number[][]; want: number[] }>([
    { name: 'under the bound: everything kept', maxBytes: 100, batches: [[30, 30], [30]], want: [30, 30, 30] },
    { name: 'exactly the bound: everything kept', maxBytes: 90, batches: [[30, 30, 30]], want: [30, 30, 30] },
    { name: 'over the bound across flushes: the oldest go', maxBytes: 100, batches: [[40], [40], [40]], want: [40, 40] },
    { name: 'over the bound in one flush: the oldest go', maxBytes: 100, batches: [[30, 30, 30, 30, 30]], want: [30, 30, 30] },
    { name: 'one chunk over the bound is kept alone', maxBytes: 10, batches: [[5], [50]], want: [50] },
    { name: 'big then small: the big one goes', maxBytes: 60, batches: [[50], [20], [20]], want: [20, 20] },
  ])('byte bound: $name', async ({ maxBytes, batches, want }) => {
    const key = newKey();
    const writer = new PodLogWriter(redis, key, maxBytes);
    let n = 0;
    const written: string[] = [];
    for (const batch of batches) {
      for (const size of batch) {
        const ch = String.fromCharCode(97 + (n++ % 26));
        written.push(ch.repeat(size));
        writer.write('main', 'stdout', chunk(ch, size));
      }
      await writer.flush();
    }
    const got = await entries(key);
    expect(got.map((e) => e.d.length)).toStrictEqual(want);
    // The newest chunks are the ones kept, in order.
    expect(got.map((e) => e.d)).toStrictEqual(written.slice(written.length - want.length));
  });

  it('never throws from flush, and keeps working after a failed write', async () => {
    const key = newKey();
    let fail = true;
    const flaky = new Proxy(redis, {
      get(target, prop, receiver) {
        if (prop === 'pipeline' && fail) return () => ({ xadd: () => undefined, exec: () => Promise.reject(new Error('connection lost')) });
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const writer = new PodLogWriter(flaky, key);
    writer.write('main', 'stdout', Buffer.from('lost\n'));
    await expect(writer.flush()).resolves.toBeUndefined();
    fail = false;
    writer.write('main', 'stdout', Buffer.from('kept\n'));
    await expect(writer.flush()).resolves.toBeUndefined();
    expect((await entries(key)).map((e) => e.d)).toStrictEqual(['kept\n']);
  });

  it('never throws when Redis cannot be reached at all', async () => {
    const down = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const writer = new PodLogWriter(down, newKey());
      writer.write('main', 'stdout', Buffer.from('x'));
      await expect(writer.flush()).resolves.toBeUndefined();
    } finally {
      down.disconnect();
    }
  });

  it('never throws when the client throws synchronously', async () => {
    const broken = { pipeline: () => { throw new Error('closed'); } } as unknown as Redis;
    const writer = new PodLogWriter(broken, newKey());
    writer.write('main', 'stdout', Buffer.from('x'));
    await expect(writer.flush()).resolves.toBeUndefined();
  });
});
