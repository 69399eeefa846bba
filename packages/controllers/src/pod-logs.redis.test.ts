/**
 * Pod logs against a real redis-server (writePodLog-4.lua): written only while their pod exists,
 * bounded per pod and per Job in bytes as Redis stores them (MEMORY USAGE), binary-safe, and read
 * back in order by followers across the archive.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseJob, type Job, type Pod } from '@jobfleet/kube';
import { budgetMarker, deleteJob, PodLogs, type LogLimits, type NewLogChunk, type PodLogTarget } from '@jobfleet/store';
import { createJob } from './index.js';
import { scratchCluster } from './test-cluster.js';
import { podLogMemory } from '@jobfleet/testing';

const scratch = scratchCluster();
const NS = 'default';
const KIB = 1024;

const manifest = (name: string, parallelism = 1): Job =>
  parseJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { parallelism, completions: parallelism, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });

/** A Job with `n` pods, as the controller creates them; the log targets of its pods. */
async function jobWithPods(n = 1): Promise<{ job: Job; targets: PodLogTarget[] }> {
  const job = await createJob(scratch.store, scratch.cluster.controller, manifest(`j-${randomUUID().slice(0, 6)}`, n), NS);
  const names = await scratch.store.podNamesOfJob(job.metadata.uid ?? '');
  const pods = (await scratch.store.getPods(NS, names)).map((p) => p.pod);
  return { job, targets: pods.map((p: Pod) => ({ ns: NS, name: p.metadata.name ?? '', podUid: p.metadata.uid ?? '', jobUid: job.metadata.uid ?? '' })) };
}

const chunk = (data: Buffer | string, container = 'c', stream: 'stdout' | 'stderr' = 'stdout'): NewLogChunk => ({ container, stream, time: Date.now(), data: Buffer.from(data) });
const limits = (podMaxBytes: number, jobMaxBytes = 0): LogLimits => ({ podMaxBytes, jobMaxBytes });

/** What a pod's log takes in Redis: its stream and its archive (in the pod's hash), as MEMORY USAGE counts them. */
const memoryOf = (t: PodLogTarget) => podLogMemory(scratch.redis, { pod: scratch.store.keys.pod(t.ns, t.name), stream: scratch.store.keys.podLog(t.ns, t.name) });

const text = async (t: PodLogTarget, after?: string) => (await scratch.store.logs.read(t.ns, t.name, after)).map((c) => c.data).join('');

describe('PodLogs', () => {
  it('appends in order, archives binary-safe, and a follower resumes after the last id it read, across the archive', async () => {
    const { targets } = await jobWithPods();
    const t = targets[0]!;
    const logs = scratch.store.logs;
    expect((await logs.write(t, limits(KIB * KIB), [chunk('one\n'), chunk('two\n', 'c', 'stderr')])).status).toBe('ok');
    const first = await logs.read(NS, t.name);
    expect(first.map((c) => [c.data, c.stream])).toStrictEqual([['one\n', 'stdout'], ['two\n', 'stderr']]);
    const binary = Buffer.from([0, 1, 2, 0xff, 0x0a, 0x20, 0x0a]);
    await logs.write(t, limits(KIB * KIB), [chunk(binary), chunk('last\n')], true);
    expect(await scratch.redis.exists(scratch.store.keys.podLog(NS, t.name))).toBe(0);
    const archived = await scratch.redis.hgetBuffer(scratch.store.keys.pod(NS, t.name), 'l');
    expect(archived?.includes(binary)).toBe(true);
    const all = await logs.read(NS, t.name);
    expect(all.map((c) => c.id)).toStrictEqual([...first.map((c) => c.id), all[2]?.id, all[3]?.id]);
    expect(await text(t, first[1]?.id)).toBe(binary.toString('utf8') + 'last\n');
    // Once archived, nothing more is appended.
    expect((await logs.write(t, limits(KIB * KIB), [chunk('late\n')])).status).toBe('finished');
    expect(await text(t)).toBe('one\ntwo\n' + binary.toString('utf8') + 'last\n');
  });

  it('writes nothing for a pod that is gone, nor for another pod of the same name', async () => {
    const { job, targets } = await jobWithPods();
    const t = targets[0]!;
    const logs = scratch.store.logs;
    expect((await logs.write({ ...t, podUid: 'other', jobUid: 'other-job' }, limits(KIB * KIB), [chunk('x')])).status).toBe('gone');
    await deleteJob(scratch.store, NS, job.metadata.name ?? '');
    for (const finish of [false, true]) expect((await logs.write(t, limits(KIB * KIB, KIB * KIB), [chunk('late\n')], finish)).status).toBe('gone');
    const keys = await scratch.redis.keys(`${scratch.store.keys.rv.slice(0, -2)}*${t.name}*`);
    expect(keys).toStrictEqual([]);
    expect(await scratch.redis.exists(scratch.store.keys.jobLogBytes(t.jobUid))).toBe(0);
  });

  it.each<{ what: string; data: () => Buffer }>([
    { what: 'NUL bytes', data: () => Buffer.alloc(16 * KIB, 0) },
    { what: 'binary garbage', data: () => Buffer.from(Array.from({ length: 16 * KIB }, (_, i) => (i * 7919) % 256)) },
    { what: 'one very long line', data: () => Buffer.alloc(64 * KIB, 'x') },
    { what: 'tiny chunks', data: () => Buffer.from('.') },
  ])('a pod printing $what keeps at most its bound in Redis, stream and archive', async ({ data }) => {
    const { targets } = await jobWithPods();
    const t = targets[0]!;
    const bound = 200 * KIB;
    const logs = new PodLogs(scratch.redis, scratch.store.keys); // another process writing, as a second worker would
    let printed = 0;
    for (let i = 0; i < 40; i++) {
      const batch = Array.from({ length: data().length === 1 ? 500 : 2 }, () => chunk(data()));
      printed += batch.reduce((n, c) => n + c.data.length, 0);
      await logs.write(t, limits(bound), batch);
    }
    const streamed = await memoryOf(t);
    await logs.write(t, limits(bound), [], true);
    const archived = await memoryOf(t);
    console.log(`printed ${printed} bytes; stored: stream ${streamed} B, archive ${archived} B (bound ${bound})`);
    // MEMORY USAGE also counts the key and the stream's index nodes: a small allowance for them.
    expect(streamed).toBeLessThanOrEqual(bound + 2 * KIB);
    expect(archived).toBeLessThanOrEqual(bound + 2 * KIB);
    // The newest output is what stays.
    const kept = await scratch.store.logs.read(NS, t.name);
    expect(Buffer.from(kept.map((c) => c.data).join('')).length).toBeGreaterThan(0);
  });

  it('shares one budget between the pods of a Job, across writers: past it output is dropped with one marker line per pod', async () => {
    const { targets } = await jobWithPods(4);
    const writers = [scratch.store.logs, new PodLogs(scratch.redis, scratch.store.keys)];
    const budget = 200 * KIB;
    const l = limits(128 * KIB, budget);
    let dropped = 0;
    for (let round = 0; round < 30; round++) {
      await Promise.all(
        targets.map(async (t, i) => {
          const r = await writers[i % 2]!.write(t, l, [chunk(Buffer.alloc(4 * KIB, 'a'.charCodeAt(0) + i))]);
          dropped += r.droppedBytes;
        }),
      );
    }
    await Promise.all(targets.map((t, i) => writers[i % 2]!.write(t, l, [], true)));
    let total = 0;
    for (const t of targets) total += await memoryOf(t);
    const counted = Number(await scratch.redis.get(scratch.store.keys.jobLogBytes(targets[0]!.jobUid)));
    console.log(`4 pods printed ${30 * 4 * 4 * KIB} bytes; Job budget ${budget}: counted ${counted}, MEMORY USAGE ${total}, dropped ${dropped}`);
    expect(dropped).toBeGreaterThan(0);
    // Markers are the only bytes past the budget: one per pod here.
    const marker = budgetMarker(l);
    expect(counted).toBeLessThanOrEqual(budget + targets.length * 2 * (marker.length + 64));
    expect(total).toBeLessThanOrEqual(budget + targets.length * (marker.length + 2 * KIB));
    const texts = await Promise.all(targets.map((t) => text(t)));
    for (const log of texts) expect(log.split(marker).length - 1).toBeLessThanOrEqual(1);
    expect(texts.filter((log) => log.endsWith(marker)).length).toBeGreaterThan(0);
  });

  it('reads archives written by earlier versions (JSON lines)', async () => {
    const { targets } = await jobWithPods();
    const t = targets[0]!;
    await scratch.redis.set(scratch.store.keys.podLogArchive(NS, t.name), [JSON.stringify(['1-0', 5, 'c', 'stdout', 'old\n']), JSON.stringify(['1-1', 6, 'c', 'stderr', 'er\n'])].join('\n'));
    expect(await scratch.store.logs.read(NS, t.name)).toStrictEqual([
      { id: '1-0', time: 5, container: 'c', stream: 'stdout', data: 'old\n', instance: 0 },
      { id: '1-1', time: 6, container: 'c', stream: 'stderr', data: 'er\n', instance: 0 },
    ]);
    expect(await scratch.store.logs.read(NS, t.name, '1-0')).toHaveLength(1);
  });

  const run = (data: string, instance: number, container = 'c'): NewLogChunk => ({ ...chunk(data, container), instance });
  const runs = async (t: PodLogTarget) => (await scratch.store.logs.read(t.ns, t.name)).map((c) => `${c.container}#${c.instance}:${c.data}`);

  it('keeps which run of a container wrote each chunk, in the stream and in the archive (logs --previous)', async () => {
    const { targets } = await jobWithPods();
    const t = targets[0]!;
    const logs = scratch.store.logs;
    await logs.write(t, limits(KIB * KIB), [run('first\n', 0), run('side\n', 0, 's'), run('second\n', 1)]);
    expect(await runs(t)).toStrictEqual(['c#0:first\n', 's#0:side\n', 'c#1:second\n']);
    await logs.write(t, limits(KIB * KIB), [run('third\n', 2)], true);
    // The archive keeps the last two runs of each container, as the kubelet keeps one previous log.
    expect(await runs(t)).toStrictEqual(['s#0:side\n', 'c#1:second\n', 'c#2:third\n']);
  });

  it('a run number that is not a small non-negative integer counts as the first run', async () => {
    const { targets } = await jobWithPods();
    const t = targets[0]!;
    await scratch.store.logs.write(t, limits(KIB * KIB), [run('a\n', -3), run('b\n', Number.NaN), { ...chunk('c\n'), instance: 2.5 }], true);
    expect(await runs(t)).toStrictEqual(['c#0:a\n', 'c#0:b\n', 'c#0:c\n']);
  });

  it('the runs of a crash-looping container stay within the per-pod bound', async () => {
    const { targets } = await jobWithPods();
    const t = targets[0]!;
    const bound = 64 * KIB;
    for (let r = 0; r < 40; r++) await scratch.store.logs.write(t, limits(bound), [run('x'.repeat(4 * KIB), r)]);
    const streamed = await memoryOf(t);
    await scratch.store.logs.write(t, limits(bound), [], true);
    const archived = await memoryOf(t);
    expect(streamed).toBeLessThanOrEqual(bound + 2 * KIB);
    // Two runs of 4 KiB, whatever the 40 runs before them printed.
    expect(archived).toBeLessThanOrEqual(8 * KIB + 4 * KIB);
    expect((await scratch.store.logs.read(NS, t.name)).map((c) => c.instance)).toStrictEqual([38, 39]);
  });
});
