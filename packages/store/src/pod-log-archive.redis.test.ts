/**
 * writePodLog-4.lua's direct archive: a pod whose whole output comes with its finish gets, without
 * ever creating a stream, the same archive and the same count against its Job's budget as a pod
 * whose output went through a stream first; past a bound it takes the general path.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScratchRedis, type EmbeddedRedis } from './embedded-redis.js';
import type { NewLogChunk } from './pod-logs.js';
import { JobStore } from './store.js';
import { podDictionaryId } from './keys.js';

let server: EmbeddedRedis;
let redis: Redis;
let store: JobStore;
const JOB = randomUUID();

beforeAll(async () => {
  server = await startScratchRedis();
  redis = new Redis(server.url);
  store = new JobStore(redis, `l${randomUUID().slice(0, 8)}`);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

async function pod(name: string): Promise<{ ns: string; name: string; podUid: string; jobUid: string }> {
  await redis.hset(store.keys.pod('default', name), 'rv', '1', 'obj', 'Z1:x', 'd', podDictionaryId(JOB));
  return { ns: 'default', name, podUid: randomUUID(), jobUid: JOB };
}

async function xadds(): Promise<number> {
  return Number(/cmdstat_xadd:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
}

const chunks = (): NewLogChunk[] => [
  { container: 'main', stream: 'stdout', time: 1000, data: Buffer.from('hello\n') },
  { container: 'main', stream: 'stderr', time: 1001, data: Buffer.from('oops\n') },
  { container: 'side', stream: 'stdout', time: 1002, data: Buffer.from('restarted\n'), instance: 2 },
];
const limits = { podMaxBytes: 64 * 1024, jobMaxBytes: 1024 * 1024 };
const jobBytes = async () => Number(await redis.get(store.keys.jobLogBytes(JOB)));

describe('a log written whole at its finish', () => {
  it('is archived directly, never as a stream, byte for byte as through a stream, and counted the same', async () => {
    const streamed = await pod('streamed');
    const before = await jobBytes();
    expect((await store.logs.write(streamed, limits, chunks())).status).toBe('ok');
    expect(await redis.exists(store.keys.podLog('default', 'streamed'))).toBe(1);
    expect((await store.logs.write(streamed, limits, [], true)).status).toBe('ok');
    const streamedCost = (await jobBytes()) - before;

    const direct = await pod('direct');
    const xaddsBefore = await xadds();
    expect(await store.logs.write(direct, limits, chunks(), true)).toEqual({ status: 'ok', stored: 3, droppedBytes: 0 });
    expect(await xadds()).toBe(xaddsBefore);
    expect(await redis.exists(store.keys.podLog('default', 'direct'))).toBe(0);
    expect((await jobBytes()) - before - streamedCost).toBe(streamedCost);

    // The archive is field l of the pod's hash, no key of its own.
    const archive = await redis.hgetBuffer(store.keys.pod('default', 'direct'), 'l');
    expect(archive?.toString('utf8')).toContain('hello\n');
    expect(archive).toEqual(await redis.hgetBuffer(store.keys.pod('default', 'streamed'), 'l'));
    expect(await redis.exists(store.keys.podLogArchive('default', 'direct'), store.keys.podLogArchive('default', 'streamed'))).toBe(0);
    expect(await store.logs.read('default', 'direct')).toEqual(await store.logs.read('default', 'streamed'));
    expect((await store.logs.write(direct, limits, chunks(), true)).status).toBe('finished');
  });

  it('goes through the stream when it is over the pod bound, keeping the newest output', async () => {
    const big = await pod('big');
    const small = { podMaxBytes: 4096, jobMaxBytes: 0 };
    const many: NewLogChunk[] = Array.from({ length: 40 }, (_, i) => ({ container: 'main', stream: 'stdout', time: 2000 + i, data: Buffer.from(`line ${i} ${'x'.repeat(100)}\n`) }));
    const xaddsBefore = await xadds();
    expect((await store.logs.write(big, small, many, true)).status).toBe('ok');
    expect(await xadds()).toBeGreaterThan(xaddsBefore);
    const read = await store.logs.read('default', 'big');
    expect(read.at(-1)?.data).toContain('line 39 ');
    expect(read.some((c) => c.data.startsWith('line 0 '))).toBe(false);
    expect(await redis.exists(store.keys.podLog('default', 'big'))).toBe(0);
  });
});
