/**
 * Redis requires a script to touch only the keys it is given in KEYS (no Redis Cluster or proxy
 * runs one that does not). This watches, with MONITOR on a real redis-server, every command
 * applyWrites runs inside Lua and checks that each key it touches was among the KEYS of the call.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { putOp, type WriteOp } from './store.js';
import { scratchStore } from './test-store.js';

/** Commands scripts run whose first argument is a key (PUBLISH's is a channel, not a key). */
const FIRST_ARG_IS_KEY = new Set(['HGET', 'HSET', 'HDEL', 'HMGET', 'HINCRBY', 'INCR', 'EXISTS', 'DEL', 'SET', 'GET', 'SADD', 'SREM', 'ZADD', 'ZREM', 'ZCARD', 'ZRANGE', 'ZRANGEBYSCORE', 'ZREMRANGEBYSCORE', 'ZSCORE', 'XADD', 'XTRIM']);

const scratch = scratchStore({ monitor: true });

/** The commands the next `run` sends and runs inside Lua, as MONITOR reports them. */
async function watch(run: () => Promise<unknown>): Promise<{ calls: string[][]; scripts: string[][] }> {
  const calls: string[][] = [];
  const scripts: string[][] = [];
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

function job(ns: string, name: string): Job {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: ns, uid: randomUUID() }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } }, status: {} } as Job;
}

it('every key applyWrites touches is declared in KEYS: puts, deletes, index upkeep, guards, the change stream', async () => {
  const store = scratch.newStore({ changesMaxBytes: 2_000 });
  const k = store.keys;
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } };
  const writes: WriteOp[][] = [
    [putOp(k.job('ns', 'j'), '', job('ns', 'j')), { op: 'zadd', key: k.jobs('ns'), member: 'j' }, { op: 'sadd', key: k.namespaces, member: 'ns' }, { op: 'set', key: k.podDictionary('u'), value: 'x' }],
    [{ op: 'require', key: k.job('ns', 'j'), field: 'obj', value: 'no' }], // a failed guard: reads, writes nothing
    [putOp(k.pod('ns', 'p'), '*', pod), { op: 'publish', channel: k.nodeChannel('n'), message: 'ns/p' }, { op: 'zrem', key: k.pods('ns'), member: 'q' }],
    [{ op: 'del', key: k.pod('ns', 'p'), expect: '*', kind: 'Pod', ns: 'ns', name: 'p' }, { op: 'srem', key: k.namespaces, member: 'x' }, { op: 'delkey', key: k.podLog('ns', 'p') }],
    // Enough changes to trim the stream (its bound is 2,000 bytes): the trim's keys too.
    ...Array.from({ length: 10 }, (_, i) => [putOp(k.job('ns', `j${i}`), '', job('ns', `j${i}`))]),
  ];
  let checkedScripts = 0;
  for (const ops of writes) {
    const { calls, scripts } = await watch(() => store.commit(ops));
    const call = calls.find((args) => /^EVAL(SHA)?$/i.test(args[0] ?? ''));
    expect(call, 'the commit runs one script').toBeDefined();
    const numKeys = Number(call?.[2]);
    const declared = new Set(call?.slice(3, 3 + numKeys));
    expect(scripts.length).toBeGreaterThan(0);
    for (const args of scripts) {
      const command = (args[0] ?? '').toUpperCase();
      if (!FIRST_ARG_IS_KEY.has(command)) continue;
      expect(declared, `${command} ${args[1]} is not among the script's KEYS`).toContain(args[1]);
      if (command === 'EXISTS' || command === 'DEL') for (const key of args.slice(2)) expect(declared).toContain(key);
      checkedScripts++;
    }
  }
  // The test saw the work it is about: writes, index upkeep and trims of the stream.
  expect(checkedScripts).toBeGreaterThan(40);
  expect(Number(await scratch.redis.hget(k.changesInfo, 'trimmed'))).toBeGreaterThan(0);
});
