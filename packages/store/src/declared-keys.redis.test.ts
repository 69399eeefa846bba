/**
 * Redis requires a script to touch only the keys it is given in KEYS (no Redis Cluster or proxy
 * runs one that does not). This watches, with MONITOR on a real redis-server, every command
 * applyWrites and loadForSync run inside Lua and checks that each key they touch was among the KEYS
 * of the call.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { JobStore, putOp, type WriteOp } from './store.js';
import { insertJob } from './transitions.js';
import { deleteJob } from './jobs.js';
import { nameIndexBuckets, podDictionaryId } from './keys.js';
import { scratchStore } from './test-store.js';

/** Commands scripts run whose first argument is a key (PUBLISH's is a channel, not a key). */
const FIRST_ARG_IS_KEY = new Set(['HGET', 'HEXISTS', 'SCARD', 'HSET', 'HDEL', 'HMGET', 'HINCRBY', 'INCR', 'INCRBY', 'EXISTS', 'SMEMBERS', 'ZCOUNT', 'HLEN', 'HGETALL', 'DEL', 'SET', 'GET', 'SADD', 'SREM', 'ZADD', 'ZREM', 'ZCARD', 'ZRANGE', 'ZRANGEBYSCORE', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZREMRANGEBYSCORE', 'ZSCORE', 'XADD', 'XTRIM']);

const scratch = scratchStore({ monitor: true });

/** The commands the next `run` sends and runs inside Lua, as MONITOR reports them. */
async function watch(run: () => Promise<unknown>): Promise<{ calls: string[][]; scripts: string[][] }> {
  const calls: string[][] = [];
  const scripts: string[][] = [];
  // Earlier commands' reports may still be on their way: let them arrive before listening.
  await scratch.redis.ping();
  await new Promise((r) => setTimeout(r, 50));
  const listener = (_time: string, args: string[], source: string) => (source === 'lua' ? scripts : calls).push(args);
  scratch.monitored.on('monitor', listener);
  try {
    await run();
    await scratch.redis.ping(); // MONITOR reports in order: once the PING's reply is in, so are the script's commands
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    scratch.monitored.off('monitor', listener);
  }
  return { calls, scripts };
}

/** A pod of namespace "ns", Running on `node` when given, else Pending. */
function pod(name: string, node?: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...(node ? { nodeName: node } : {}) }, status: { phase: node ? 'Running' : 'Pending' } };
}

function job(ns: string, name: string): Job {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: ns, uid: randomUUID() }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } }, status: {} } as Job;
}

/** A store of its own holding a new Job of namespace "ns" named `name`: the store, its keys, the Job's uid. */
async function storeWithJob(name: string): Promise<{ store: JobStore; k: JobStore['keys']; uid: string }> {
  const store = scratch.newStore();
  const j = job('ns', name);
  expect((await insertJob(store, j)).ok).toBe(true);
  return { store, k: store.keys, uid: j.metadata.uid ?? '' };
}

/** Runs `run`, checks that every key each script call touched was among that call's KEYS; how many commands were checked, in how many script calls. */
async function scriptKeysDeclared(run: () => Promise<unknown>): Promise<{ checked: number; scriptCalls: number }> {
  const { calls, scripts } = await watch(run);
  const evals = calls.filter((args) => /^EVAL(SHA)?$/i.test(args[0] ?? ''));
  expect(evals.length, 'a script ran').toBeGreaterThan(0);
  // MONITOR lists a script's call before the commands it runs.
  const declared = new Set(evals.flatMap((call) => call.slice(3, 3 + Number(call[2]))));
  expect(scripts.length).toBeGreaterThan(0);
  let checked = 0;
  for (const args of scripts) {
    const command = (args[0] ?? '').toUpperCase();
    if (!FIRST_ARG_IS_KEY.has(command)) continue;
    expect(declared, `${command} ${args[1]} is not among the script's KEYS`).toContain(args[1]);
    if (command === 'EXISTS' || command === 'DEL') for (const key of args.slice(2)) expect(declared).toContain(key);
    checked++;
  }
  return { checked, scriptCalls: evals.length };
}

it('every key applyWrites touches is declared in KEYS: puts, deletes, index upkeep, guards, the change stream', async () => {
  const store = scratch.newStore({ changesMaxBytes: 2_000 });
  const k = store.keys;
  const writes: WriteOp[][] = [
    [putOp(k.job('ns', 'j'), '', job('ns', 'j')), { op: 'zadd', key: k.jobs('ns'), member: 'j' }, { op: 'sadd', key: k.namespaces, member: 'ns' }, { op: 'set', key: k.podDictionary('u'), value: 'x' }],
    [{ op: 'require', key: k.job('ns', 'j'), field: 'obj', value: 'no' }], // a failed guard: reads, writes nothing
    [putOp(k.pod('ns', 'p'), '*', pod('p')), { op: 'publish', channel: k.nodeChannel('n'), message: 'ns/p' }, { op: 'irem', key: k.pods('ns'), member: 'q' }, { op: 'iadd', key: k.pods('ns'), member: 'p' }],
    [{ op: 'del', key: k.pod('ns', 'p'), expect: '*', kind: 'Pod', ns: 'ns', name: 'p' }, { op: 'srem', key: k.namespaces, member: 'x' }, { op: 'delkey', key: k.podLog('ns', 'p') }],
    // Enough changes to trim the stream (its bound is 2,000 bytes): the trim's keys too.
    ...Array.from({ length: 10 }, (_, i) => [putOp(k.job('ns', `j${i}`), '', job('ns', `j${i}`))]),
  ];
  // A pod index past 128 names, in buckets: its adds, removals and reads touch its two keys only.
  const many = Array.from({ length: 140 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
  writes.push(many.map((member): WriteOp => ({ op: 'iadd', key: k.pods('big'), member })), many.slice(0, 20).map((member): WriteOp => ({ op: 'irem', key: k.pods('big'), member })));
  let checkedScripts = 0;
  for (const ops of writes) checkedScripts += (await scriptKeysDeclared(() => store.commit(ops))).checked;
  expect(await scratch.redis.exists(nameIndexBuckets(k.pods('big')))).toBe(1);
  let page: string[] = [];
  checkedScripts += (await scriptKeysDeclared(async () => (page = await store.indexedNames(k.pods('big'), 'p-050', 3)))).checked;
  expect(page).toStrictEqual(['p-051', 'p-052', 'p-053']);
  // The test saw the work it is about: writes, index upkeep and trims of the stream.
  expect(checkedScripts).toBeGreaterThan(40);
  expect(Number(await scratch.redis.hget(k.changesInfo, 'trimmed'))).toBeGreaterThan(0);
});

it('loadForSync reads only the pods it is given: a cold process asks again naming the uid, then the pods; a warm one reads in one call', async () => {
  const { store: writer, k, uid } = await storeWithJob('sync');
  // Pods another process created: the writer's hint does not know them.
  const created: WriteOp[] = ['a', 'b', 'c'].flatMap((n): WriteOp[] => [putOp(k.pod('ns', n), '', pod(n)), { op: 'sadd', key: k.jobUncounted(uid), member: n }]);
  expect((await writer.commit(created)).ok).toBe(true);
  const names = (s: Awaited<ReturnType<JobStore['loadForSync']>>) => s?.uncounted.map((p) => p.pod.metadata.name).sort();
  let snapshot: Awaited<ReturnType<JobStore['loadForSync']>>;
  // The writer knows the uid: it asks again once, naming the pods.
  expect(await scriptKeysDeclared(async () => (snapshot = await writer.loadForSync('ns', 'sync')))).toMatchObject({ scriptCalls: 2 });
  expect(names(snapshot)).toStrictEqual(['a', 'b', 'c']);
  // A process that never saw the Job: uid, then pods, then the read.
  const cold = new JobStore(scratch.redis, k.rv.slice(0, -':rv'.length));
  expect(await scriptKeysDeclared(async () => (snapshot = await cold.loadForSync('ns', 'sync')))).toMatchObject({ scriptCalls: 3 });
  expect(names(snapshot)).toStrictEqual(['a', 'b', 'c']);
  // A pod listed but gone is remembered as listed: the next read takes one call.
  await scratch.redis.del(k.pod('ns', 'b'));
  expect(await scriptKeysDeclared(async () => (snapshot = await cold.loadForSync('ns', 'sync')))).toMatchObject({ scriptCalls: 1 });
  expect(names(snapshot)).toStrictEqual(['a', 'c']);
  expect(await scriptKeysDeclared(async () => (snapshot = await cold.loadForSync('ns', 'sync')))).toMatchObject({ scriptCalls: 1 });
  // The Job deleted and created again under its name (another uid): its pods are not the old one's.
  await scratch.redis.del(k.job('ns', 'sync'));
  expect((await insertJob(writer, job('ns', 'sync'))).ok).toBe(true);
  expect(await scriptKeysDeclared(async () => (snapshot = await cold.loadForSync('ns', 'sync')))).toMatchObject({ scriptCalls: 2 });
  expect(snapshot?.uncounted).toStrictEqual([]);
  expect(await cold.loadForSync('ns', 'gone')).toBeUndefined();
});

it("a process that claimed a pod of a Job it did not create reads that Job in one call (the claim tells it the uid and the pod)", async () => {
  const { store: writer, k, uid } = await storeWithJob('claimed');
  const owned: Pod = { ...pod('w1'), metadata: { name: 'w1', namespace: 'ns', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'claimed', uid, controller: true }] } };
  const created = await writer.commit([putOp(k.pod('ns', 'w1'), '', owned), { op: 'sadd', key: k.jobUncounted(uid), member: 'w1' }]);
  if (!created.ok) throw new Error('create failed');
  // Another process (a worker) claims it, then syncs its Job.
  const worker = new JobStore(scratch.redis, k.rv.slice(0, -':rv'.length));
  const claim = await worker.claimPod({ ns: 'ns', name: 'w1', rv: created.rvs[0] ?? '', pod: { ...owned, spec: { ...owned.spec, nodeName: 'n1' } }, node: 'n1', leaseToken: 't' });
  expect(claim.ok).toBe(true);
  let snapshot: Awaited<ReturnType<JobStore['loadForSync']>>;
  expect(await scriptKeysDeclared(async () => (snapshot = await worker.loadForSync('ns', 'claimed')))).toMatchObject({ scriptCalls: 1 });
  expect(snapshot?.uncounted.map((p) => p.pod.metadata.name)).toStrictEqual(['w1']);
});

it('every key deleteJob touches is declared: the Job, its pods with their logs and node sets, its events, and what is left last', async () => {
  const { store, k, uid } = await storeWithJob('del');
  const pods: WriteOp[] = [pod('a', 'n1'), pod('b')].flatMap((p): WriteOp[] => {
    const n = p.metadata.name ?? '';
    return [putOp(k.pod('ns', n), '', p), { op: 'iadd', key: k.jobPods(uid), member: n }, { op: 'iadd', key: k.pods('ns'), member: n }, { op: 'sadd', key: k.jobUncounted(uid), member: n }];
  });
  expect((await store.commit([...pods, { op: 'sadd', key: k.nodePods('n1'), member: 'ns/a' }])).ok).toBe(true);
  await scratch.redis.xadd(k.podLog('ns', 'a'), '*', 'l', 'hello');
  for (const e of ['e1', 'e2']) {
    await scratch.redis.hset(k.event('ns', e), 'rv', '1', 'obj', '{}');
    await scratch.redis.zadd(k.events('ns'), 0, e);
    await scratch.redis.sadd(k.jobEvents(uid), e);
  }
  // The dictionary as a Job written before the ids were short has it (named by the whole uid): deleted too.
  await scratch.redis.set(k.podDictionaryOf(uid), 'legacy');
  await scratch.redis.set(k.podStatusSample(podDictionaryId(uid)), '{}');
  expect(k.podDictionaryOf(uid)).not.toBe(k.podDictionary(uid));
  const { checked, scriptCalls } = await scriptKeysDeclared(() => deleteJob(store, 'ns', 'del'));
  expect(scriptCalls).toBeGreaterThanOrEqual(2); // the Job with its pods, then its events and the rest
  expect(checked).toBeGreaterThan(20);
  const left = await scratch.redis.exists(k.job('ns', 'del'), k.pod('ns', 'a'), k.pod('ns', 'b'), k.podLog('ns', 'a'), k.event('ns', 'e1'), k.event('ns', 'e2'), k.jobEvents(uid), k.jobPods(uid), nameIndexBuckets(k.jobPods(uid)), k.pods('ns'), nameIndexBuckets(k.pods('ns')), k.jobUncounted(uid), k.podDictionary(uid), k.podDictionaryOf(uid), k.podStatusSample(podDictionaryId(uid)));
  expect(left).toBe(0);
  expect(await scratch.redis.smembers(k.nodePods('n1'))).toStrictEqual([]);
  expect(await scratch.redis.zrange(k.events('ns'), 0, -1)).toStrictEqual([]);
});
