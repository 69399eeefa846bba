/**
 * The bounds of the one write path (applyWrites-4+.lua through JobStore.commit) against a real
 * redis-server: the change stream is bounded in bytes as well as in entries, and no object over
 * maxObjectBytes is ever stored, whoever writes it.
 */
import { describe, expect, it } from 'vitest';
import { JobfleetError, type Pod } from '@jobfleet/kube';
import { JobStore, putOp, type WriteOp } from './store.js';
import { scratchStore } from './test-store.js';

const scratch = scratchStore();

const newStore = (limits: { maxObjectBytes?: number; changesMaxBytes?: number } = {}) => scratch.newStore(limits);

/** A pod whose stored JSON is about `bytes` long (padded with an annotation). */
function pod(name: string, bytes = 0, label = 'x'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { l: label }, annotations: { pad: 'p'.repeat(bytes) } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
}

/** Bytes of the values of every entry of the stream, and its resourceVersions. */
async function streamContent(store: JobStore): Promise<{ bytes: number; rvs: number[] }> {
  const entries = await scratch.redis.xrange(store.keys.changes, '-', '+');
  let bytes = 0;
  for (const [, fields] of entries) for (const f of fields) bytes += Buffer.byteLength(f);
  return { bytes, rvs: entries.map(([id]) => Number(id.split('-')[0])) };
}

describe('change stream bounds', () => {
  it('keeps at most changesMaxBytes of changes: the oldest go first, the trim point is recorded, the index follows', async () => {
    const store = newStore({ changesMaxBytes: 200_000 });
    const rvs: number[] = [];
    for (let i = 0; i < 60; i++) {
      const result = await store.commit([putOp(store.keys.pod('default', 'big'), '*', pod('big', 20_000, `v${i}`))]);
      if (!result.ok) throw new Error('write failed');
      rvs.push(Number(result.rvs[0]));
    }
    const { bytes, rvs: kept } = await streamContent(store);
    // 60 × 20 kB written; at most 200 kB kept, and nearly that much (the newest changes, in order).
    expect(bytes).toBeLessThanOrEqual(200_000);
    expect(bytes).toBeGreaterThan(200_000 - 2 * 20_200);
    expect(kept).toStrictEqual(rvs.slice(rvs.length - kept.length));
    expect(kept.length).toBeGreaterThan(5);
    expect(await scratch.redis.hget(store.keys.changesInfo, 'trimmed')).toBe(String((kept[0] ?? 0) - 1));
    expect((await scratch.redis.zrange(store.keys.changesIndex, 0, -1)).map(Number)).toStrictEqual(kept);
    // Redis's own accounting agrees: the stream takes about the bytes it keeps, not the 1.2 MB written.
    expect(Number(await scratch.redis.memory('USAGE', store.keys.changes))).toBeLessThan(400_000);
  });

  it('one change larger than the whole bound replaces everything before it and stays', async () => {
    const store = newStore({ changesMaxBytes: 10_000 });
    await store.commit([putOp(store.keys.pod('default', 'a'), '', pod('a'))]);
    await store.commit([putOp(store.keys.pod('default', 'b'), '', pod('b'))]);
    const big = await store.commit([putOp(store.keys.pod('default', 'c'), '', pod('c', 30_000))]);
    expect((await streamContent(store)).rvs).toStrictEqual([Number(big.ok && big.rvs[0])]);
    const next = await store.commit([putOp(store.keys.pod('default', 'd'), '', pod('d'))]);
    expect((await streamContent(store)).rvs).toStrictEqual([Number(next.ok && next.rvs[0])]);
  });

  it('DELETED changes count too: deleting many large objects in one batch leaves at most the bound', async () => {
    const store = newStore({ changesMaxBytes: 100_000 });
    for (let i = 0; i < 20; i++) await store.commit([putOp(store.keys.pod('default', `p${i}`), '', pod(`p${i}`, 9_000))]);
    const ops: WriteOp[] = Array.from({ length: 20 }, (_, i) => ({ op: 'del', key: store.keys.pod('default', `p${i}`), expect: '*', kind: 'Pod', ns: 'default', name: `p${i}` }));
    expect((await store.commit(ops)).ok).toBe(true);
    const { bytes, rvs } = await streamContent(store);
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(rvs[rvs.length - 1]).toBe(40);
  });

  it('keeps at most 10,000 changes, however small: past them, trims down to 9,375 in one go', async () => {
    const store = newStore();
    const put = (from: number, n: number) => store.commit(Array.from({ length: n }, (_, i) => putOp(store.keys.pod('default', `p${from + i}`), '', pod(`p${from + i}`))));
    expect((await put(0, 10_000)).ok).toBe(true);
    expect((await streamContent(store)).rvs.length).toBe(10_000);
    // The 10,001st change crosses the bound: the stream keeps the newest 15/16 of it.
    expect((await put(10_000, 1)).ok).toBe(true);
    let { rvs } = await streamContent(store);
    expect(rvs.length).toBe(9_375);
    expect(rvs[0]).toBe(627);
    expect(await scratch.redis.hget(store.keys.changesInfo, 'trimmed')).toBe('626');
    // Then it grows again up to the bound, trimming nothing meanwhile (in one call or many).
    expect((await put(10_001, 600)).ok).toBe(true);
    for (let i = 0; i < 25; i++) expect((await put(10_601 + i, 1)).ok).toBe(true);
    ({ rvs } = await streamContent(store));
    expect(rvs.length).toBe(10_000);
    expect(rvs[0]).toBe(627);
    // Checkpoints, not an index entry per change: the first, one per 1 MiB (1/64 of the byte bound) appended, where the trim cut.
    expect(await scratch.redis.zcard(store.keys.changesIndex)).toBeLessThan(10);
    expect(await scratch.redis.hget(store.keys.changesInfo, 'trimmed')).toBe('626');
  });

  it('a trim by count, then trims by bytes: both bounds hold after every write, the trim point exact', async () => {
    const maxBytes = 4_000_000;
    const store = newStore({ changesMaxBytes: maxBytes });
    const put = (from: number, n: number, bytes = 0) => store.commit(Array.from({ length: n }, (_, i) => putOp(store.keys.pod('default', `p${from + i}`), '', pod(`p${from + i}`, bytes))));
    expect((await put(0, 10_001)).ok).toBe(true); // ~3 MB: past 10,000 changes, not past the bytes
    let { rvs, bytes } = await streamContent(store);
    expect(rvs.length).toBe(9_375);
    for (let i = 0; i < 40; i++) {
      expect((await put(20_000 + i, 1, 100_000)).ok).toBe(true);
      ({ rvs, bytes } = await streamContent(store));
      expect(bytes).toBeLessThanOrEqual(maxBytes);
      expect(rvs.length).toBeLessThanOrEqual(10_000);
      expect(await scratch.redis.hget(store.keys.changesInfo, 'trimmed')).toBe(String((rvs[0] ?? 0) - 1));
    }
    // Trimmed to near the byte bound (the newest 100 kB changes, a checkpoint apart at most), not emptied.
    expect(bytes).toBeGreaterThan(maxBytes * 0.75);
    expect(rvs[rvs.length - 1]).toBe(10_041);
  });
});

describe('object size bound', () => {
  const sizeOf = (p: Pod) => putOp('k', '', p).obj.length;

  it('an object over maxObjectBytes is refused with 413 RequestEntityTooLarge and nothing of the batch is written', async () => {
    const store = newStore({ maxObjectBytes: 50_000 });
    const over = pod('over', 50_000);
    const ops: WriteOp[] = [putOp(store.keys.pod('default', 'small'), '', pod('small')), { op: 'sadd', key: store.keys.jobPods('u'), member: 'x' }, putOp(store.keys.pod('default', 'over'), '', over)];
    const error = await store.commit(ops).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobfleetError);
    expect(error).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    expect((error as Error).message).toBe(`etcdserver: request is too large: pods "over" takes ${sizeOf(over)} bytes as stored; the limit is 50000 bytes (JOBFLEET_MAX_OBJECT_BYTES)`);
    expect(await scratch.redis.exists(store.keys.pod('default', 'small'), store.keys.jobPods('u'), store.keys.rv, store.keys.changes)).toBe(0);
  });

  it('exactly maxObjectBytes is stored; one byte more is not (updates alike)', async () => {
    const base = sizeOf(pod('p'));
    const store = newStore({ maxObjectBytes: base + 1000 });
    expect((await store.commit([putOp(store.keys.pod('default', 'p'), '', pod('p', 1000))])).ok).toBe(true);
    await expect(store.commit([putOp(store.keys.pod('default', 'p'), '*', pod('p', 1001))])).rejects.toMatchObject({ code: 413 });
    expect((await store.getPod('default', 'p'))?.pod.metadata.annotations?.pad).toHaveLength(1000);
  });

  it("a user's write must leave the status headroom free; the controller's own writes may use it", async () => {
    const store = newStore({ maxObjectBytes: 24_000 });
    expect(store.statusHeadroom).toBe(1000);
    const base = sizeOf(pod('p'));
    const fits = pod('p', 23_000 - base);
    expect(sizeOf(fits)).toBe(23_000);
    expect((await store.commit([{ ...putOp(store.keys.pod('default', 'p'), '', fits), request: true }])).ok).toBe(true);
    const error = await store.commit([{ ...putOp(store.keys.pod('default', 'q'), '', pod('q', 23_001 - base)), request: true }]).catch((e: unknown) => e);
    expect((error as Error).message).toContain('of which 1000 are kept free for the status the Job controller writes');
    expect((await store.commit([putOp(store.keys.pod('default', 'p'), '*', pod('p', 24_000 - base))])).ok).toBe(true);
  });
  // The limits' environment variables are read by the CLI (cli/src/settings.test.ts), which passes StoreLimits.
});
