/**
 * ChangeFeed against a real redis-server: history then live changes, in order, exactly once; 410
 * for a trimmed history; the history at the subscriber's pace; a reset store ends every subscriber with 410.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { redisKeys } from '@jobfleet/store';
import { ChangeStream, JobStore, putOp, startEmbeddedRedis, type EmbeddedRedis } from '@jobfleet/store';
import { ChangeFeed, ResourceVersionTooOldError, type Change } from './change-feed.js';

let server: EmbeddedRedis;
let dir: string;
let reader: Redis;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-api-test-'));
  server = await startEmbeddedRedis(dir, { persistence: false });
  reader = new Redis(server.url);
});

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

afterAll(async () => {
  reader?.disconnect();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function pod(name: string, label = 'x'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { l: label } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
}

/** A fresh key prefix, store and started feed per test; `decoded` counts the objects the feed decoded. */
async function setup(limits: { changesMaxBytes?: number } = {}) {
  const counter = { decoded: 0 };
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const storeRedis = new Redis(server.url);
  const blocking = new Redis(server.url);
  blocking.on('error', () => undefined);
  const store = new JobStore(storeRedis, prefix, limits);
  const countingDecoder = async (obj: string) => {
    counter.decoded++;
    return obj;
  };
  const feed = new ChangeFeed(new ChangeStream(blocking, reader, store.keys, countingDecoder), { checkIntervalMs: 100 });
  feed.start();
  cleanup.push(async () => {
    await feed.stop();
    storeRedis.disconnect();
  });
  /** Writes pod `name` (created, or modified when it exists) and returns its resourceVersion. */
  const write = async (name: string, label = 'x'): Promise<number> => {
    const result = await store.commit([putOp(store.keys.pod('default', name), '*', pod(name, label))]);
    if (!result.ok) throw new Error('write failed');
    return Number(result.rvs[0]);
  };
  const remove = async (name: string): Promise<number> => {
    const result = await store.commit([{ op: 'del', key: store.keys.pod('default', name), expect: '*', kind: 'Pod', ns: 'default', name }]);
    if (!result.ok) throw new Error('delete failed');
    return Number(result.rvs[0]);
  };
  // The feed's reader picks its starting point asynchronously: wait until it delivers live changes.
  const probe: Change[] = [];
  const stopProbe = await feed.subscribe(Number(await store.currentResourceVersion()), (c) => probe.push(c));
  const probeRv = await write('probe');
  await until(() => probe.some((c) => c.rv === probeRv), 'the feed to start');
  stopProbe();
  return { store, feed, write, remove, probeRv, counter };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ChangeFeed', () => {
  it('subscribing from an old resourceVersion gives the history, then live changes, in order, each once', async () => {
    const { feed, write } = await setup();
    const before: number[] = [];
    for (let i = 0; i < 5; i++) before.push(await write(`old-${i}`));
    const from = before[1] ?? 0;

    const got: Change[] = [];
    // Writes racing with the history read: they must neither be lost nor delivered twice.
    const subscribing = feed.subscribe(from, (c) => got.push(c));
    const racing = Promise.all([write('race-0'), write('race-1'), write('race-2')]);
    const unsubscribe = await subscribing;
    const raced = await racing;
    const live: number[] = [];
    for (let i = 0; i < 4; i++) live.push(await write(`live-${i}`));

    const want = [...before.slice(2), ...raced.sort((a, b) => a - b), ...live];
    await until(() => got.length >= want.length, 'every change');
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come
    expect(got.map((c) => c.rv)).toStrictEqual(want);
    unsubscribe();
  });

  it('decodes only the changes a subscriber wants; the others reach it as passed, in their place in the order, history and live', async () => {
    const { feed, write, counter, probeRv } = await setup();
    const history = [await write('h-0'), await write('h-1')];
    const events: string[] = [];
    const decodedBefore = counter.decoded;
    // Wants nothing that is written (pods of another namespace): every change only passes by.
    const stopNone = await feed.subscribe(probeRv, { change: (c) => void events.push(`change ${c.rv}`), wants: (kind, ns) => kind === 'Pod' && ns === 'other', passed: (rv) => void events.push(`passed ${rv}`) });
    await until(() => events.length >= history.length, 'the history to pass by');
    const live = [await write('l-0'), await write('l-1')];
    await until(() => events.length >= history.length + live.length, 'the live changes to pass by');
    expect(events).toStrictEqual([...history, ...live].map((rv) => `passed ${rv}`));
    expect(counter.decoded - decodedBefore).toBe(0);

    // A subscriber that wants the pods of default gets them whole: each live change decoded once for all.
    const got: number[] = [];
    const stopAll = await feed.subscribe(live[1] ?? 0, { change: (c) => void got.push(c.rv), wants: (kind, ns) => kind === 'Pod' && ns === 'default' });
    const more = [await write('m-0'), await write('m-1'), await write('m-2')];
    await until(() => got.length >= more.length && events.length >= history.length + live.length + more.length, 'the later changes');
    expect(got).toStrictEqual(more);
    expect(events.slice(-more.length)).toStrictEqual(more.map((rv) => `passed ${rv}`));
    expect(counter.decoded - decodedBefore).toBe(more.length);
    stopNone();
    stopAll();
  });

  it('each change carries type, kind, namespace, name and the stored object with its resourceVersion', async () => {
    const { feed, write, remove, probeRv } = await setup();
    const got: Change[] = [];
    const unsubscribe = await feed.subscribe(probeRv, (c) => got.push(c));
    const added = await write('p1', 'one');
    const modified = await write('p1', 'two');
    const deleted = await remove('p1');
    await until(() => got.length >= 3, 'three changes');
    expect(got.map((c) => [c.rv, c.type, c.kind, c.ns, c.name])).toStrictEqual([
      [added, 'ADDED', 'Pod', 'default', 'p1'],
      [modified, 'MODIFIED', 'Pod', 'default', 'p1'],
      [deleted, 'DELETED', 'Pod', 'default', 'p1'],
    ]);
    const objs = got.map((c) => JSON.parse(c.obj) as Pod);
    expect(objs.map((o) => [o.metadata.resourceVersion, o.metadata.labels?.l])).toStrictEqual([
      [String(added), 'one'],
      [String(modified), 'two'],
      [String(deleted), 'two'],
    ]);
    unsubscribe();
  });

  it('several subscribers each get their own range, and unsubscribing stops delivery', async () => {
    const { feed, write } = await setup();
    const r1 = await write('a');
    const r2 = await write('b');
    const first: number[] = [];
    const second: number[] = [];
    const stopFirst = await feed.subscribe(r1 - 1, (c) => first.push(c.rv));
    const stopSecond = await feed.subscribe(r2, (c) => second.push(c.rv));
    const r3 = await write('c');
    await until(() => first.includes(r3) && second.includes(r3), 'both subscribers');
    stopFirst();
    const r4 = await write('d');
    await until(() => second.includes(r4), 'the second subscriber');
    await new Promise((r) => setTimeout(r, 100));
    expect(first).toStrictEqual([r1, r2, r3]);
    expect(second).toStrictEqual([r3, r4]);
    stopSecond();
  });

  it('subscribing from the current resourceVersion gives only later changes', async () => {
    const { store, feed, write } = await setup();
    await write('a');
    const current = Number(await store.currentResourceVersion());
    const got: number[] = [];
    const unsubscribe = await feed.subscribe(current, (c) => got.push(c.rv));
    const next = await write('b');
    await until(() => got.length > 0, 'a change');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toStrictEqual([next]);
    unsubscribe();
  });

  it('a resourceVersion older than the stream keeps: ResourceVersionTooOldError, and no delivery', async () => {
    const { store, feed, write } = await setup();
    const rvs: number[] = [];
    for (let i = 0; i < 6; i++) rvs.push(await write(`p${i}`));
    const oldestKept = rvs[3] ?? 0;
    await store.redis.xtrim(store.keys.changes, 'MINID', `${oldestKept}-0`);

    const got: Change[] = [];
    await expect(feed.subscribe(oldestKept - 2, (c) => got.push(c))).rejects.toBeInstanceOf(ResourceVersionTooOldError);
    await expect(feed.subscribe(rvs[0] ?? 0, (c) => got.push(c))).rejects.toThrow(`too old resource version: ${rvs[0]} (${oldestKept - 1})`);

    // The newest one that is too old is oldestKept - 2; from oldestKept - 1 the whole history is there.
    const ok: number[] = [];
    const unsubscribe = await feed.subscribe(oldestKept - 1, (c) => ok.push(c.rv));
    await write('after');
    await until(() => ok.length >= 4, 'the kept history and the new change');
    expect(ok.slice(0, 3)).toStrictEqual(rvs.slice(3));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toStrictEqual([]); // failed subscriptions got nothing, not even live changes
    unsubscribe();
  });

  it('an empty stream: any resourceVersion the store issued is fine; a later one is from before a reset (410)', async () => {
    const keys = redisKeys(`t${randomUUID().slice(0, 8)}`);
    const blocking = new Redis(server.url);
    const feed = new ChangeFeed(new ChangeStream(blocking, reader, keys));
    feed.start();
    cleanup.push(() => feed.stop());
    const unsubscribe = await feed.subscribe(0, () => undefined);
    unsubscribe();
    await reader.set(keys.rv, '12345');
    const unsubscribe2 = await feed.subscribe(12345, () => undefined);
    unsubscribe2();
    await expect(feed.subscribe(12346, () => undefined)).rejects.toThrow('too old resource version: 12346 (the store was reset: its resourceVersion is now 12345)');
  });

  it('replays the history at the pace of the subscriber: the next change waits for its promise; live changes follow in order', async () => {
    const { feed, write, probeRv } = await setup();
    const history: number[] = [];
    for (let i = 0; i < 30; i++) history.push(await write(`h${i}`));
    const got: number[] = [];
    let release: () => void = () => undefined;
    let blocked = true;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const unsubscribe = await feed.subscribe(probeRv, {
      change: (c) => {
        got.push(c.rv);
        return blocked ? gate : undefined;
      },
    });
    const live = [await write('live-0'), await write('live-1')];
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toStrictEqual([history[0]]); // held by the first promise: nothing read ahead or buffered
    blocked = false;
    release();
    await until(() => got.length >= history.length + live.length, 'the history and the live changes');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toStrictEqual([...history, ...live]);
    unsubscribe();
  });

  it('a subscriber whose history is trimmed while it is replayed ends with 410, and gets nothing more', async () => {
    const { store, feed, write, probeRv } = await setup({ changesMaxBytes: 20_000 });
    for (let i = 0; i < 5; i++) await write(`h${i}`);
    const got: number[] = [];
    const ended: Error[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await feed.subscribe(probeRv, { change: (c) => (got.push(c.rv), gate), end: (e) => ended.push(e) });
    // Enough new writes to trim everything the subscriber has not read yet.
    for (let i = 0; i < 60; i++) await write(`n${i % 3}`, 'x'.repeat(1000));
    expect(Number(await store.redis.hget(store.keys.changesInfo, 'trimmed'))).toBeGreaterThan(probeRv + 5);
    release();
    await until(() => ended.length > 0, 'the end of the subscription');
    expect(ended[0]).toBeInstanceOf(ResourceVersionTooOldError);
    expect(ended[0]?.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    const count = got.length;
    await write('after');
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(count);
  });
});

describe('ChangeFeed after a reset of the store', () => {
  /** What a FLUSHALL or an empty restart does to this prefix. */
  const wipe = async (keys: ReturnType<typeof redisKeys>) => {
    await reader.del(keys.rv, keys.changes, keys.changesIndex, keys.changesInfo, keys.epoch);
  };

  it('ends every subscriber, live or replaying, with 410 within the check interval, then follows the new stream', async () => {
    const { store, feed, write, probeRv } = await setup();
    const liveEnds: Error[] = [];
    const replayEnds: Error[] = [];
    await feed.subscribe(probeRv, { change: () => undefined, end: (e) => liveEnds.push(e) });
    await write('a');
    await feed.subscribe(0, { change: () => new Promise<void>(() => undefined), end: (e) => replayEnds.push(e) });
    const wiped = Date.now();
    await wipe(store.keys);
    await until(() => liveEnds.length > 0 && replayEnds.length > 0, 'both subscribers to end', 5_000);
    const took = Date.now() - wiped;
    console.log(`reset seen by the feed after ${took} ms (check interval 100 ms)`);
    expect(liveEnds[0]).toBeInstanceOf(ResourceVersionTooOldError);
    expect(liveEnds[0]?.message).toContain('the store was reset');
    expect(replayEnds[0]).toBeInstanceOf(ResourceVersionTooOldError);
    expect(feed.size).toBe(0);

    // A client that lists again and watches from the new resourceVersion gets the new store's changes.
    const first = await write('new-a');
    const got: number[] = [];
    await feed.subscribe(first, (c) => got.push(c.rv));
    const second = await write('new-b');
    await until(() => got.includes(second), 'a change of the new store');
    expect(got).toStrictEqual([second]);
  });

  it('a counter gone backwards (an older snapshot of the same store) is a reset too', async () => {
    const { store, feed, write, probeRv } = await setup();
    const ends: Error[] = [];
    await feed.subscribe(probeRv, { change: () => undefined, end: (e) => ends.push(e) });
    const last = await write('a');
    await until(() => feed.size === 1, 'the subscription');
    await store.redis.del(store.keys.changes, store.keys.changesIndex, store.keys.changesInfo);
    await store.redis.set(store.keys.rv, String(last - 2));
    await until(() => ends.length > 0, 'the subscriber to end', 5_000);
    expect(ends[0]?.message).toContain(`the store was reset: its resourceVersion is now ${last - 2}`);
  });
});
