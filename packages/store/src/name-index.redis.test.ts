/** The name index (scripts/includes/nameIndex.lua: the pod indexes of a namespace and of a Job) against a real redis-server. */
import { expect, it } from 'vitest';
import { nameIndexBuckets } from './keys.js';
import type { Pod } from '@jobfleet/kube';
import { putOp, type WriteOp } from './store.js';
import { podNamesTaken } from './transitions.js';
import { scratchStore } from './test-store.js';

const scratch = scratchStore();

/** Byte order, as a sorted set orders names by lex (and as the index must, whatever the server's locale). */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Pod-like names: a Job's name, sometimes dotted or numbered, and a random suffix. */
function names(count: number, seed: number): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const job = ['a', 'a-b', 'a.b', 'ab', 'a0', 'job-with-a-long-name-of-sixty-characters-or-so-1234567890'];
  return Array.from({ length: count }, () => {
    const suffix = Array.from({ length: 5 }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    return `${job[Math.floor(next() * job.length)]}-${suffix}`;
  });
}

async function write(index: string, op: 'iadd' | 'irem', members: string[]): Promise<void> {
  const store = scratch.newStore();
  for (let i = 0; i < members.length; i += 200) {
    const ops: WriteOp[] = members.slice(i, i + 200).map((member) => ({ op, key: index, member }));
    expect((await store.commit(ops)).ok).toBe(true);
  }
}

/** Every name, read page by page. */
async function walk(index: string, limit: number): Promise<string[]> {
  const store = scratch.newStore();
  const out: string[] = [];
  for (;;) {
    const page = await store.indexedNames(index, out.at(-1), limit);
    out.push(...page);
    if (page.length < limit) return out;
  }
}

it('keeps names in byte order, pages them from any name, answers membership, and adds or removes each once', async () => {
  const store = scratch.newStore();
  const index = store.keys.pods('ordered');
  const added = names(3_000, 7);
  await write(index, 'iadd', added);
  await write(index, 'iadd', added.slice(0, 500)); // again: nothing changes
  const removed = added.filter((_, i) => i % 3 === 0);
  await write(index, 'irem', removed);
  await write(index, 'irem', ['never-added', ...removed.slice(0, 50)]);
  const kept = [...new Set(added)].filter((n) => !new Set(removed).has(n)).sort(byteOrder);

  expect(kept.length).toBeGreaterThan(1_500);
  for (const limit of [1, 7, 128, 500, 5_000]) expect(await walk(index, limit)).toStrictEqual(kept);
  // A page after a name that is not in the index starts at the next one that is.
  expect(await store.indexedNames(index, 'a-b-', 3)).toStrictEqual(kept.filter((n) => byteOrder(n, 'a-b-') > 0).slice(0, 3));
  expect(await store.indexedNames(index, '~', 3)).toStrictEqual([]);
  expect(await store.indexedNames(index, '0', 3)).toStrictEqual(kept.slice(0, 3)); // before every name
  const probe = [...kept.slice(0, 20), ...removed.slice(0, 20), 'a', '', 'zzz'];
  expect(await store.indexHas(index, probe)).toStrictEqual(probe.map((n) => kept.includes(n)));

  // Every bucket holds at most 1 KiB of names, in order, and is named by a bound at or before its first.
  const buckets = await scratch.redis.hgetall(nameIndexBuckets(index));
  const bounds = await scratch.redis.zrange(index, 0, -1);
  expect(Object.keys(buckets).sort(byteOrder)).toStrictEqual(bounds);
  for (const [i, bound] of bounds.entries()) {
    const packed = buckets[bound] ?? '';
    const inBucket = packed.split('\n').slice(0, -1);
    expect(packed.length).toBeLessThanOrEqual(1024);
    expect(inBucket).toStrictEqual([...inBucket].sort(byteOrder));
    expect(byteOrder(bound, inBucket[0] ?? '')).toBeLessThanOrEqual(0);
    const next = bounds[i + 1];
    if (next !== undefined) expect(byteOrder(inBucket.at(-1) ?? '', next)).toBeLessThan(0);
  }

  // Emptied, the index leaves no key behind.
  await write(index, 'irem', kept);
  expect(await scratch.redis.exists(index, nameIndexBuckets(index))).toBe(0);
  expect(await store.indexedNames(index, undefined, 10)).toStrictEqual([]);
});

it('costs a fraction of a sorted set of the same names', async () => {
  const store = scratch.newStore();
  const index = store.keys.jobPods('memory');
  const all = [...new Set(names(10_000, 11))];
  await write(index, 'iadd', all);
  const zset = `${index}:as-zset`;
  for (let i = 0; i < all.length; i += 1_000) await scratch.redis.zadd(zset, ...all.slice(i, i + 1_000).flatMap((n) => [0, n]));
  const usage = async (key: string) => Number(await scratch.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  const indexBytes = (await usage(index)) + (await usage(nameIndexBuckets(index)));
  const zsetBytes = await usage(zset);
  console.log(`name index: ${(indexBytes / all.length).toFixed(1)} B a name; sorted set: ${(zsetBytes / all.length).toFixed(1)} B`);
  expect(indexBytes * 3).toBeLessThan(zsetBytes);
});

it('is a sorted set of its names up to 128 (a listpack), and moves them into buckets at the 129th', async () => {
  const store = scratch.newStore();
  const index = store.keys.jobPods('small');
  const all = [...new Set(names(200, 17))];
  await write(index, 'iadd', all.slice(0, 128));
  expect(await scratch.redis.type(index)).toBe('zset');
  expect(await scratch.redis.exists(nameIndexBuckets(index))).toBe(0);
  expect(await scratch.redis.zcard(index)).toBe(128);
  expect(await scratch.redis.call('OBJECT', 'ENCODING', index)).toBe('listpack');
  await write(index, 'irem', [all[0] ?? '']);
  await write(index, 'iadd', [all[0] ?? '', all[1] ?? '']); // one back in, one already there: still 128
  expect(await scratch.redis.exists(nameIndexBuckets(index))).toBe(0);
  expect(await store.indexHas(index, [all[5] ?? '', 'x'])).toStrictEqual([true, false]);
  expect(await walk(index, 50)).toStrictEqual(all.slice(0, 128).sort(byteOrder));
  await write(index, 'iadd', all.slice(128));
  expect(await scratch.redis.exists(nameIndexBuckets(index))).toBe(1);
  expect(await scratch.redis.zcard(index)).toBeLessThan(20); // bounds, not names
  expect(await walk(index, 50)).toStrictEqual([...all].sort(byteOrder));
  // A one-pod Job's index is one small key, as a sorted set of one name was.
  const one = store.keys.jobPods('one');
  await write(one, 'iadd', ['one-abcde']);
  expect(await scratch.redis.exists(one, nameIndexBuckets(one))).toBe(1);
});

it('reads an index written before buckets (a sorted set of every name, however many), and moves it into buckets at its next name added', async () => {
  const store = scratch.newStore();
  const all = [...new Set(names(1_000, 13))].sort(byteOrder);
  for (const [i, touch] of ['page', 'has', 'add', 'remove'].entries()) {
    const index = store.keys.pods(`legacy-${i}`);
    await scratch.redis.zadd(index, ...all.flatMap((n) => [0, n]));
    if (touch === 'page') expect(await store.indexedNames(index, all[10], 2)).toStrictEqual(all.slice(11, 13));
    if (touch === 'has') expect(await store.indexHas(index, [all[500] ?? '', 'x'])).toStrictEqual([true, false]);
    if (touch === 'add') await write(index, 'iadd', ['b-added']);
    if (touch === 'remove') await write(index, 'irem', [all[0] ?? '']);
    const expected = touch === 'add' ? [...all, 'b-added'].sort(byteOrder) : touch === 'remove' ? all.slice(1) : all;
    expect(await walk(index, 100)).toStrictEqual(expected);
    expect(await scratch.redis.exists(nameIndexBuckets(index))).toBe(touch === 'add' ? 1 : 0);
  }
});

it('podNamesTaken answers, for each name, whether a pod of that name is in the namespace', async () => {
  const store = scratch.newStore();
  const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'taken' }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } });
  const ops = ['a', 'b'].flatMap((n): WriteOp[] => [putOp(store.keys.pod('taken', n), '', pod(n)), { op: 'iadd', key: store.keys.pods('taken'), member: n }]);
  expect((await store.commit(ops)).ok).toBe(true);
  expect(await podNamesTaken(store, 'taken', ['x', 'y'])).toStrictEqual([false, false]);
  expect(await podNamesTaken(store, 'taken', ['a', 'x', 'b'])).toStrictEqual([true, false, true]);
  expect(await podNamesTaken(store, 'other', ['a'])).toStrictEqual([false]);
  expect(await podNamesTaken(store, 'taken', [])).toStrictEqual([]);
});
