/**
 * What keeping the change stream bounded costs (appendChange.lua, included by every write script),
 * counted with MONITOR on a real redis-server: the commands scripts run on the stream's three keys.
 * An append must cost a few commands, and trimming must come in batches, not on every append once
 * the stream is full, while the bounds still hold after every write.
 */
import { expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { JobStore, putOp } from './store.js';
import { scratchStore } from './test-store.js';

const scratch = scratchStore({ monitor: true });

function pod(name: string, label: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { l: label }, annotations: { pad: 'p'.repeat(50) } }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } };
}

/** The commands that scripts ran on the store's change stream keys during `run` (MONITOR), by name. */
function streamCommands(store: JobStore, run: () => Promise<void>): Promise<string[]> {
  const streamKeys = new Set([store.keys.changes, store.keys.changesIndex, store.keys.changesInfo]);
  return scriptCommands((key) => streamKeys.has(key), run);
}

/** The commands that scripts ran on the keys `of` accepts during `run` (MONITOR), by name. */
async function scriptCommands(of: (key: string) => boolean, run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  // Earlier commands' reports may still be on their way: let them arrive before listening.
  await scratch.redis.ping();
  await new Promise((r) => setTimeout(r, 50));
  const listener = (_time: string, args: string[], source: string) => {
    if (source === 'lua' && of(args[1] ?? '')) seen.push((args[0] ?? '').toUpperCase());
  };
  scratch.monitored.on('monitor', listener);
  try {
    await run();
    await scratch.redis.ping(); // MONITOR reports in order: once the PING's reply is in, so are the scripts' commands
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    scratch.monitored.off('monitor', listener);
  }
  return seen;
}

/** Bytes of the values of every entry of the stream (what the bound is about) and its length. */
async function streamSize(store: JobStore): Promise<{ bytes: number; entries: number }> {
  const entries = await scratch.redis.xrange(store.keys.changes, '-', '+');
  let bytes = 0;
  for (const [, fields] of entries) for (const f of fields) bytes += Buffer.byteLength(f);
  return { bytes, entries: entries.length };
}

const count = (commands: string[], name: string) => commands.filter((c) => c === name).length;

it('an append below the bounds costs XADD and HINCRBY, one HMGET per script call, and a ZADD per 1/64 of the byte bound', async () => {
  const store = scratch.newStore();
  const key = store.keys.pod('default', 'p');
  await store.commit([putOp(key, '', pod('p', 'v0'))]);
  const one = await streamCommands(store, async () => {
    await store.commit([putOp(key, '*', pod('p', 'v1'))]);
  });
  expect(one.sort()).toStrictEqual(['HINCRBY', 'HMGET', 'XADD']);
  // 50 changes in one call: the counters are read once.
  const batch = await streamCommands(store, async () => {
    await store.commit(Array.from({ length: 50 }, (_, i) => putOp(store.keys.pod('default', `b${i}`), '', pod(`b${i}`, 'x'))));
  });
  expect(batch.length).toBe(2 * 50 + 1);
  // A checkpoint (ZADD) where the appended bytes cross a multiple of 1/64 of the bound: 64 KiB here.
  const small = scratch.newStore({ changesMaxBytes: 64 * 64 * 1024 });
  const many = await streamCommands(small, async () => {
    for (let i = 0; i < 10; i++) await small.commit(Array.from({ length: 50 }, (_, j) => putOp(small.keys.pod('default', `c${i}-${j}`), '', pod(`c${i}-${j}`, 'x'))));
  });
  const written = Number(await scratch.redis.hget(small.keys.changesInfo, 'bytes'));
  expect(count(many, 'ZADD')).toBe(1 + Math.floor(written / (64 * 1024)));
});

it("a batch's resourceVersions take one INCRBY, and each put one HSET of its fields (its existence known from its check)", async () => {
  const store = scratch.newStore();
  const pods = Array.from({ length: 20 }, (_, i) => pod(`w${i}`, 'x'));
  await store.commit([putOp(store.keys.pod('default', 'w0'), '', pods[0] as Pod)]);
  const prefix = store.keys.rv.slice(0, -'rv'.length);
  const objects = await scriptCommands(
    (key) => key.startsWith(prefix) && key !== store.keys.changes && key !== store.keys.changesIndex && key !== store.keys.changesInfo,
    async () => {
      const ops = pods.map((p, i) => ({ ...putOp(store.keys.pod('default', `w${i}`), i === 0 ? '*' : '', p), dict: 'd', phase: 'Pending', uid: `u${i}` }));
      expect(await store.commit(ops)).toMatchObject({ ok: true });
    },
  );
  expect(objects.sort()).toStrictEqual(['INCRBY', ...Array<string>(20).fill('HMGET'), ...Array<string>(20).fill('HSET')].sort());
  expect(await scratch.redis.get(store.keys.rv)).toBe('21');
  expect(await scratch.redis.hgetall(store.keys.pod('default', 'w3'))).toMatchObject({ rv: '5', p: 'Pending', uid: 'u3', d: 'd' });
});

it('a full stream is trimmed in batches: ~4 commands an append, the byte bound holding after every write', async () => {
  const maxBytes = 50_000;
  const store = scratch.newStore({ changesMaxBytes: maxBytes });
  const appends = 500;
  let largest = 0;
  const commands = await streamCommands(store, async () => {
    for (let i = 0; i < appends; i++) {
      const result = await store.commit([putOp(store.keys.pod('default', `p${i % 7}`), i < 7 ? '' : '*', pod(`p${i % 7}`, `v${i}`))]);
      if (!result.ok) throw new Error('write failed');
      largest = Math.max(largest, (await streamSize(store)).bytes);
    }
  });
  const { bytes } = await streamSize(store);
  // Entries of ~230 B against a 50 kB bound: the stream fills after ~200 appends, then the old
  // upkeep trimmed on every append (11 commands each); a trim to 15/16 of the bound frees ~3 kB.
  expect(largest).toBeLessThanOrEqual(maxBytes);
  expect(bytes).toBeGreaterThan(maxBytes * 0.75); // trimmed to near the bound, not emptied
  const trims = count(commands, 'XTRIM');
  expect(trims).toBeGreaterThan(0);
  expect(trims).toBeLessThan(appends / 8); // ~1 per 10 appends once full (it was 1 per append)
  expect(commands.length / appends).toBeLessThan(4.5);
  // The checkpoints left are kept entries, the first kept one among them (where the trim cut); the trim point recorded.
  const kept = (await scratch.redis.xrange(store.keys.changes, '-', '+')).map(([id]) => Number(id.split('-')[0]));
  const checkpoints = (await scratch.redis.zrange(store.keys.changesIndex, 0, -1)).map(Number);
  expect(checkpoints[0]).toBe(kept[0]);
  expect(checkpoints.every((rv) => kept.includes(rv))).toBe(true);
  expect(await scratch.redis.hget(store.keys.changesInfo, 'trimmed')).toBe(String((kept[0] ?? 0) - 1));
});

it('a stream written before its first kept offset was recorded is still bounded, from its oldest entry', async () => {
  const maxBytes = 20_000;
  const store = scratch.newStore({ changesMaxBytes: maxBytes });
  const put = (i: number) => store.commit([putOp(store.keys.pod('default', `p${i}`), '', pod(`p${i}`, 'x'))]);
  for (let i = 0; i < 40; i++) await put(i);
  await scratch.redis.hdel(store.keys.changesInfo, 'start'); // as the upkeep before this field left it
  for (let i = 40; i < 200; i++) await put(i);
  const { bytes } = await streamSize(store);
  expect(bytes).toBeLessThanOrEqual(maxBytes);
  expect(bytes).toBeGreaterThan(maxBytes * 0.75);
  const kept = (await scratch.redis.xrange(store.keys.changes, '-', '+')).map(([id]) => Number(id.split('-')[0]));
  expect((await scratch.redis.zrange(store.keys.changesIndex, 0, 0)).map(Number)).toStrictEqual([kept[0]]);
  expect(kept[kept.length - 1]).toBe(200);
});
