/**
 * applyWrites-4+.lua through JobStore.commit against a real redis-server: compare-and-set guards,
 * all-or-nothing batches, resourceVersions, the change stream and index upkeep.
 */
import { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { JobStore, encodeObject, putOp, type WriteOp } from './store.js';
import type { EventRecord } from './events.js';
import { scratchStore } from './test-store.js';
import { insertJob, recordJobEvent } from './transitions.js';

const scratch = scratchStore();
let store: JobStore;

beforeEach(() => {
  // A fresh prefix per test: its own rv counter, change stream and keys.
  store = scratch.newStore();
});

function pod(name: string, labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
}

function job(name: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    status: {},
  };
}

interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

async function changes(): Promise<StreamEntry[]> {
  const raw = await scratch.redis.xrange(store.keys.changes, '-', '+');
  return raw.map(([id, f]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < f.length; i += 2) fields[f[i] ?? ''] = f[i + 1] ?? '';
    return { id, fields };
  });
}

const podKey = (name: string) => store.keys.pod('default', name);
const put = (name: string, expect: string, labels: Record<string, string> = {}) => putOp(podKey(name), expect, pod(name, labels));

/** Everything under this test's prefix: key → type and content, to compare before/after. */
async function snapshot(): Promise<Record<string, string>> {
  const keys = (await scratch.redis.keys(`${store.keys.rv.slice(0, -'rv'.length)}*`)).sort(); // "<prefix>:*"
  const out: Record<string, string> = {};
  for (const key of keys) {
    const type = await scratch.redis.type(key);
    const content =
      type === 'hash'
        ? await scratch.redis.hgetall(key)
        : type === 'set'
          ? (await scratch.redis.smembers(key)).sort()
          : type === 'zset'
            ? await scratch.redis.zrange(key, 0, -1, 'WITHSCORES')
            : type === 'stream'
              ? await scratch.redis.xrange(key, '-', '+')
              : await scratch.redis.get(key);
    out[key] = `${type}:${JSON.stringify(content)}`;
  }
  return out;
}

describe('applyWrites: put', () => {
  it('creates an object with a new resourceVersion, and appends an ADDED change with id <rv>-0 and fields t/k/ns/n/o/d', async () => {
    const result = await store.commit([put('a', '', { app: 'x' })]);
    expect(result).toStrictEqual({ ok: true, rvs: ['1'] });
    const stored = await store.getPod('default', 'a');
    expect(stored?.rv).toBe('1');
    expect(stored?.pod.metadata).toStrictEqual({ resourceVersion: '1', name: 'a', namespace: 'default', labels: { app: 'x' } });
    expect(await scratch.redis.get(store.keys.rv)).toBe('1');
    const stream = await changes();
    expect(stream).toHaveLength(1);
    expect(stream[0]?.id).toBe('1-0');
    expect(Object.keys(stream[0]?.fields ?? {})).toStrictEqual(['t', 'k', 'ns', 'n', 'o', 'd']);
    expect(stream[0]?.fields).toStrictEqual({ t: 'ADDED', k: 'Pod', ns: 'default', n: 'a', o: await scratch.redis.hget(podKey('a'), 'obj'), d: '' });
  });

  it('expect "" fails when the key exists: {ok:false, index, current}', async () => {
    await store.commit([put('a', '')]);
    expect(await store.commit([put('a', '')])).toStrictEqual({ ok: false, index: 1, current: '1' });
  });

  it('expect "" failing writes nothing at all, whatever else the batch holds', async () => {
    await store.commit([put('exists', '')]);
    const before = await snapshot();
    const sub = new Redis(scratch.url);
    const messages: string[] = [];
    sub.on('message', (_ch: string, m: string) => messages.push(m));
    await sub.subscribe(`${store.keys.rv}-chan`);
    try {
      const ops: WriteOp[] = [
        put('new-1', ''),
        { op: 'sadd', key: store.keys.jobPods('u'), member: 'new-1' },
        { op: 'zadd', key: store.keys.pods('default'), member: 'new-1' },
        { op: 'publish', channel: `${store.keys.rv}-chan`, message: 'hello' },
        { op: 'delkey', key: podKey('exists') },
        put('new-2', '*'),
        { op: 'del', key: podKey('exists'), expect: '*', kind: 'Pod', ns: 'default', name: 'exists' },
        put('exists', ''), // the conflict, last
      ];
      expect(await store.commit(ops)).toStrictEqual({ ok: false, index: 8, current: '1' });
      await new Promise((r) => setTimeout(r, 100));
      expect(await snapshot()).toStrictEqual(before);
      expect(messages).toStrictEqual([]);
    } finally {
      sub.disconnect();
    }
  });

  it('expect rv: matching updates (MODIFIED), mismatching fails with the current rv and changes nothing', async () => {
    await store.commit([put('a', '', { v: '1' })]);
    expect(await store.commit([put('a', '7', { v: 'bad' })])).toStrictEqual({ ok: false, index: 1, current: '1' });
    expect((await store.getPod('default', 'a'))?.pod.metadata.labels).toStrictEqual({ v: '1' });
    expect(await store.commit([put('a', '1', { v: '2' })])).toStrictEqual({ ok: true, rvs: ['2'] });
    const stored = await store.getPod('default', 'a');
    expect(stored?.rv).toBe('2');
    expect(stored?.pod.metadata.labels).toStrictEqual({ v: '2' });
    expect(stored?.pod.metadata.resourceVersion).toBe('2');
    expect((await changes()).map((c) => [c.id, c.fields.t])).toStrictEqual([
      ['1-0', 'ADDED'],
      ['2-0', 'MODIFIED'],
    ]);
    // The stale rv is refused now.
    expect(await store.commit([put('a', '1')])).toStrictEqual({ ok: false, index: 1, current: '2' });
  });

  it('expect rv on a missing object fails with current ""', async () => {
    expect(await store.commit([put('ghost', '3')])).toStrictEqual({ ok: false, index: 1, current: '' });
    expect(await scratch.redis.exists(podKey('ghost'))).toBe(0);
  });

  it('expect "*" writes whether or not the object exists', async () => {
    expect(await store.commit([put('a', '*')])).toStrictEqual({ ok: true, rvs: ['1'] });
    expect(await store.commit([put('a', '*')])).toStrictEqual({ ok: true, rvs: ['2'] });
    expect((await changes()).map((c) => c.fields.t)).toStrictEqual(['ADDED', 'MODIFIED']);
  });

  it('the failing index counts every operation, 1-based', async () => {
    await store.commit([put('a', '')]);
    const result = await store.commit([
      { op: 'sadd', key: 'x', member: 'y' },
      put('b', ''),
      { op: 'zadd', key: 'z', member: 'w' },
      put('a', '999'),
      put('c', ''),
    ]);
    expect(result).toStrictEqual({ ok: false, index: 4, current: '1' });
  });

  it('the first "__RV__" is replaced by the new rv, a later one (a label value) stays', async () => {
    const obj = pod('a', { weird: '__RV__', other: 'x"__RV__"y' });
    obj.metadata.annotations = { note: '__RV__' };
    obj.metadata.resourceVersion = '555'; // ignored: the store owns resourceVersion
    await store.commit([putOp(podKey('a'), '', obj)]);
    await store.commit([putOp(podKey('a'), '1', obj)]);
    const raw = (await scratch.redis.hget(podKey('a'), 'obj')) ?? '';
    const stored = JSON.parse(raw) as Pod;
    expect(stored.metadata.resourceVersion).toBe('2');
    expect(stored.metadata.labels).toStrictEqual({ weird: '__RV__', other: 'x"__RV__"y' });
    expect(stored.metadata.annotations).toStrictEqual({ note: '__RV__' });
    expect(raw.split('__RV__').length - 1).toBe(3);
    expect(JSON.parse((await changes())[1]?.fields.o ?? '{}')).toStrictEqual(stored);
  });

  it('ctl is stored beside the object and read back as the control state', async () => {
    await store.commit([putOp(store.keys.job('default', 'j'), '', job('j'), { failuresInRow: 2, lastFailureAt: 1234 })]);
    const stored = await store.getJob('default', 'j');
    expect(stored?.control).toStrictEqual({ failuresInRow: 2, lastFailureAt: 1234 });
    expect(stored?.job.metadata.resourceVersion).toBe('1');
    // A put without ctl leaves it as it was.
    await store.commit([putOp(store.keys.job('default', 'j'), '1', job('j'))]);
    expect((await store.getJob('default', 'j'))?.control).toStrictEqual({ failuresInRow: 2, lastFailureAt: 1234 });
  });

  it('a Job stored without ctl reads back the empty control state', async () => {
    await store.commit([putOp(store.keys.job('default', 'j'), '', job('j'))]);
    expect((await store.getJob('default', 'j'))?.control).toStrictEqual({ failuresInRow: 0 });
  });
});

describe('applyWrites: del', () => {
  it('deletes with a new rv and keeps the last object, with that rv, in the DELETED change', async () => {
    await store.commit([put('a', '', { keep: 'me' })]);
    await store.commit([put('a', '1', { keep: 'me too' })]);
    const result = await store.commit([{ op: 'del', key: podKey('a'), expect: '2', kind: 'Pod', ns: 'default', name: 'a' }]);
    expect(result).toStrictEqual({ ok: true, rvs: ['3'] });
    expect(await scratch.redis.exists(podKey('a'))).toBe(0);
    const last = (await changes())[2];
    expect(last?.id).toBe('3-0');
    expect(last?.fields).toMatchObject({ t: 'DELETED', k: 'Pod', ns: 'default', n: 'a' });
    const obj = JSON.parse(last?.fields.o ?? '{}') as Pod;
    expect(obj.metadata).toStrictEqual({ resourceVersion: '3', name: 'a', namespace: 'default', labels: { keep: 'me too' } });
  });

  it.each<{ name: string; exists: boolean; expect: string; current: string }>([
    { name: 'stale rv', exists: true, expect: '9', current: '1' },
    { name: '"*" on a missing object', exists: false, expect: '*', current: '' },
    { name: 'an rv on a missing object', exists: false, expect: '1', current: '' },
  ])('fails: $name', async ({ exists, expect: want, current }) => {
    if (exists) await store.commit([put('a', '')]);
    const before = await snapshot();
    const result = await store.commit([
      { op: 'sadd', key: store.keys.jobPods('u'), member: 'a' },
      { op: 'del', key: podKey('a'), expect: want, kind: 'Pod', ns: 'default', name: 'a' },
    ]);
    expect(result).toStrictEqual({ ok: false, index: 2, current });
    expect(await snapshot()).toStrictEqual(before);
  });
});

describe('applyWrites: several writes in one batch', () => {
  it('each put/del takes the next global rv, in order, with one change each', async () => {
    await store.commit([put('old', '')]);
    const result = await store.commit([
      put('a', ''),
      { op: 'sadd', key: store.keys.jobPods('u'), member: 'a' },
      put('b', ''),
      { op: 'del', key: podKey('old'), expect: '1', kind: 'Pod', ns: 'default', name: 'old' },
      put('a', '*', { second: 'write' }),
    ]);
    expect(result).toStrictEqual({ ok: true, rvs: ['2', '3', '4', '5'] });
    expect(await scratch.redis.get(store.keys.rv)).toBe('5');
    expect((await changes()).map((c) => [c.id, c.fields.t, c.fields.n])).toStrictEqual([
      ['1-0', 'ADDED', 'old'],
      ['2-0', 'ADDED', 'a'],
      ['3-0', 'ADDED', 'b'],
      ['4-0', 'DELETED', 'old'],
      ['5-0', 'MODIFIED', 'a'],
    ]);
    const a = await store.getPod('default', 'a');
    expect(a?.rv).toBe('5');
    expect(a?.pod.metadata.resourceVersion).toBe('5');
    expect(a?.pod.metadata.labels).toStrictEqual({ second: 'write' });
  });

  it('a key deleted and put again in one batch: DELETED, then ADDED; put and put again: ADDED, then MODIFIED', async () => {
    await store.commit([put('x', '')]);
    expect(await store.commit([{ op: 'del', key: podKey('x'), expect: '1', kind: 'Pod', ns: 'default', name: 'x' }, put('x', '*'), put('y', ''), put('y', '*')])).toStrictEqual({ ok: true, rvs: ['2', '3', '4', '5'] });
    expect((await changes()).map((c) => [c.id, c.fields.t, c.fields.n])).toStrictEqual([
      ['1-0', 'ADDED', 'x'],
      ['2-0', 'DELETED', 'x'],
      ['3-0', 'ADDED', 'x'],
      ['4-0', 'ADDED', 'y'],
      ['5-0', 'MODIFIED', 'y'],
    ]);
  });

  it('index operations take no rv and append no change', async () => {
    const result = await store.commit([
      { op: 'sadd', key: store.keys.jobPods('u'), member: 'p1' },
      { op: 'sadd', key: store.keys.jobPods('u'), member: 'p2' },
      { op: 'srem', key: store.keys.jobPods('u'), member: 'p1' },
      { op: 'zadd', key: store.keys.jobs('default'), member: 'j1' },
      { op: 'zadd', key: store.keys.ttlSchedule, member: 'default/j1', score: 1_700_000_000_123 },
      { op: 'zadd', key: store.keys.jobs('default'), member: 'j2' },
      { op: 'zrem', key: store.keys.jobs('default'), member: 'j1' },
      { op: 'sadd', key: store.keys.jobUncounted('u'), member: 'gone' },
      { op: 'delkey', key: store.keys.jobUncounted('u') },
    ]);
    expect(result).toStrictEqual({ ok: true, rvs: [] });
    expect(await scratch.redis.exists(store.keys.rv, store.keys.changes)).toBe(0);
    expect(await scratch.redis.smembers(store.keys.jobPods('u'))).toStrictEqual(['p2']);
    expect(await scratch.redis.zrange(store.keys.jobs('default'), 0, -1, 'WITHSCORES')).toStrictEqual(['j2', '0']);
    expect(await scratch.redis.zscore(store.keys.ttlSchedule, 'default/j1')).toBe('1700000000123');
    expect(await scratch.redis.exists(store.keys.jobUncounted('u'))).toBe(0);
  });

  it('publish sends the message once the batch succeeds', async () => {
    const sub = new Redis(scratch.url);
    const messages: [string, string][] = [];
    sub.on('message', (ch: string, m: string) => messages.push([ch, m]));
    const channel = store.keys.nodeChannel('node-1');
    await sub.subscribe(channel);
    try {
      expect(await store.commit([put('a', ''), { op: 'publish', channel, message: 'default/a 5' }])).toMatchObject({ ok: true });
      const deadline = Date.now() + 5_000;
      while (messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(messages).toStrictEqual([[channel, 'default/a 5']]);
    } finally {
      sub.disconnect();
    }
  });

  it('an empty batch succeeds and writes nothing', async () => {
    expect(await store.commit([])).toStrictEqual({ ok: true, rvs: [] });
    expect(await snapshot()).toStrictEqual({});
  });
});

describe('recordJobEvent', () => {
  it("writes an event on its own only while its Job exists with the record's uid: never one that outlives its Job", async () => {
    const j = job('evented');
    expect((await insertJob(store, j)).ok).toBe(true);
    const record = (name: string, jobUid = 'uid-evented'): EventRecord => ({ about: j, jobUid, event: { type: 'Normal', reason: 'R', message: 'm' }, at: Date.now(), details: { name } });
    expect(await recordJobEvent(store, 'evented', record('e1'))).toBe(true);
    expect(await store.redis.smembers(store.keys.jobEvents('uid-evented'))).toStrictEqual(['e1']);
    // A Job of that name with another uid (deleted and created again): the event is not written.
    expect(await recordJobEvent(store, 'evented', record('e2', 'uid-of-an-older-job'))).toBe(false);
    expect(await store.redis.exists(store.keys.event('default', 'e2'), store.keys.jobEvents('uid-of-an-older-job'))).toBe(0);
    // No Job of that name at all.
    expect(await recordJobEvent(store, 'gone', record('e3'))).toBe(false);
    expect(await store.redis.exists(store.keys.event('default', 'e3'))).toBe(0);
    expect(await store.redis.zrange(store.keys.events('default'), 0, -1)).toStrictEqual(['e1']);
  });
});

describe('JobStore reads', () => {
  it('getPods returns the existing ones among the names, in order, in one round trip', async () => {
    await store.commit([put('a', ''), put('b', ''), put('c', '')]);
    const got = await store.getPods('default', ['c', 'missing', 'a']);
    expect(got.map((p) => [p.pod.metadata.name, p.rv])).toStrictEqual([
      ['c', '3'],
      ['a', '1'],
    ]);
    expect(await store.getPods('default', [])).toStrictEqual([]);
    expect(await store.getPod('default', 'missing')).toBeUndefined();
    expect(await store.getJob('default', 'missing')).toBeUndefined();
  });

  it('namesPage pages a namespace index in name order', async () => {
    await store.commit(['e', 'a', 'd', 'b', 'c'].map((member): WriteOp => ({ op: 'zadd', key: store.keys.jobs('ns'), member })));
    expect(await store.namesPage(store.keys.jobs('ns'), undefined, 2)).toStrictEqual(['a', 'b']);
    expect(await store.namesPage(store.keys.jobs('ns'), 'b', 2)).toStrictEqual(['c', 'd']);
    expect(await store.namesPage(store.keys.jobs('ns'), 'd', 2)).toStrictEqual(['e']);
    expect(await store.namesPage(store.keys.jobs('ns'), 'e', 2)).toStrictEqual([]);
  });

  it('currentResourceVersion is "0" before any write, then the last rv', async () => {
    expect(await store.currentResourceVersion()).toBe('0');
    await store.commit([put('a', ''), put('b', '')]);
    expect(await store.currentResourceVersion()).toBe('2');
  });

  it('now() is the Redis server clock in ms', async () => {
    const before = Date.now();
    const now = await store.now();
    expect(Math.abs(now - before)).toBeLessThan(2_000);
    expect(Number.isInteger(now)).toBe(true);
  });
});

describe('encodeObject', () => {
  it('puts the placeholder first in metadata and drops any resourceVersion given', () => {
    const obj = pod('a', { l: 'v' });
    obj.metadata.resourceVersion = '42';
    const text = encodeObject(obj);
    expect(text.indexOf('"__RV__"')).toBe(text.indexOf('"metadata":{"resourceVersion":"__RV__"') + '"metadata":{"resourceVersion":'.length);
    expect(JSON.parse(text)).toStrictEqual({ ...pod('a', { l: 'v' }), metadata: { resourceVersion: '__RV__', name: 'a', namespace: 'default', labels: { l: 'v' } } });
    expect(text.startsWith('{"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"__RV__"')).toBe(true);
  });

  it('putOp: namespace defaults to "default", ctl only when given', () => {
    const p = pod('a');
    delete p.metadata.namespace;
    const op = putOp('k', '', p);
    expect(op).toMatchObject({ op: 'put', key: 'k', expect: '', kind: 'Pod', ns: 'default', name: 'a' });
    expect('ctl' in op).toBe(false);
    expect(putOp('k', '3', job('j'), { failuresInRow: 1 })).toMatchObject({ kind: 'Job', ctl: '{"failuresInRow":1}' });
  });
});
