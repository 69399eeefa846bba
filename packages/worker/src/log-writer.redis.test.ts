/**
 * PodLogWriter: with the real store against a real redis-server (entries, archive, nothing
 * written for a deleted pod), and with sinks standing in for a slow or failing Redis (the
 * boundary these tests are not about) to check its own bounds: one write at a time, a bounded
 * buffer, never throwing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJob, type Job } from '@jobfleet/kube';
import { Cluster, createJob } from '@jobfleet/controllers';
import { deleteJob, startScratchRedis, type EmbeddedRedis, type LogWriteResult, type NewLogChunk, type PodLogTarget } from '@jobfleet/store';
import { PodLogWriter, type PodLogSink } from './log-writer.js';

let server: EmbeddedRedis;
let cluster: Cluster;
const NS = 'default';
const LIMITS = { podMaxBytes: 1024 * 1024, jobMaxBytes: 0 };

beforeAll(async () => {
  server = await startScratchRedis();
  cluster = new Cluster({ redisUrl: server.url, prefix: `t${randomUUID().slice(0, 8)}` });
});
afterAll(async () => {
  await cluster?.close();
  await server?.stop();
});

const manifest = (name: string): Job =>
  parseJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });

async function newPod(): Promise<{ job: Job; target: PodLogTarget; writer: PodLogWriter }> {
  const job = await createJob(cluster.store, cluster.controller, manifest(`j-${randomUUID().slice(0, 6)}`), NS);
  const [name = ''] = await cluster.store.podNamesOfJob(job.metadata.uid ?? '');
  const pod = (await cluster.store.getPod(NS, name))?.pod;
  const target = { ns: NS, name, podUid: pod?.metadata.uid ?? '', jobUid: job.metadata.uid ?? '' };
  return { job, target, writer: new PodLogWriter((chunks) => cluster.store.logs.write(target, LIMITS, chunks)) };
}

const read = (t: PodLogTarget) => cluster.store.logs.read(t.ns, t.name);
/** The pod's end as the worker writes it: its last output archived (with its final status, in the worker). */
async function finish(t: PodLogTarget, writer: PodLogWriter): Promise<void> {
  const last = await writer.takeLast();
  if (last) await cluster.store.logs.write(t, LIMITS, last, true);
}
const ok: LogWriteResult = { status: 'ok', stored: 0, droppedBytes: 0 };

describe('PodLogWriter with the store', () => {
  it('stores chunks in order with container, stream and time; consecutive output of one stream shares an entry', async () => {
    const { target, writer } = await newPod();
    const before = Date.now();
    writer.write('main', 'stdout', Buffer.from('hello\n'));
    writer.write('main', 'stdout', Buffer.from('again\n'));
    writer.write('main', 'stderr', Buffer.from('oops\n'));
    writer.write('side', 'stdout', Buffer.from('bytes \u00e9\n'));
    await writer.flush();
    const got = await read(target);
    expect(got.map(({ container, stream, data }) => ({ container, stream, data }))).toStrictEqual([
      { container: 'main', stream: 'stdout', data: 'hello\nagain\n' },
      { container: 'main', stream: 'stderr', data: 'oops\n' },
      { container: 'side', stream: 'stdout', data: 'bytes \u00e9\n' },
    ]);
    for (const c of got) expect(c.time).toBeGreaterThanOrEqual(before);
  });

  it('splits a write over 64 KiB into several entries', async () => {
    const { target, writer } = await newPod();
    writer.write('main', 'stdout', Buffer.alloc(64 * 1024 * 2 + 10, 'x'));
    await writer.flush();
    expect((await read(target)).map((c) => c.data.length)).toStrictEqual([65536, 65536, 10]);
  });

  it('flushes by itself shortly after a write, and archives its last output at the end', async () => {
    const { target, writer } = await newPod();
    writer.write('main', 'stdout', Buffer.from('later\n'));
    const deadline = Date.now() + 3_000;
    while ((await read(target)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await read(target)).map((c) => c.data)).toStrictEqual(['later\n']);
    writer.write('main', 'stdout', Buffer.from('last\n'));
    await finish(target, writer);
    expect(await cluster.redis.exists(cluster.store.keys.podLog(NS, target.name))).toBe(0);
    expect((await read(target)).map((c) => c.data)).toStrictEqual(['later\n', 'last\n']);
  });

  it('writes nothing once its pod is deleted: no log key comes back', async () => {
    const { job, target, writer } = await newPod();
    writer.write('main', 'stdout', Buffer.from('before\n'));
    await writer.flush();
    await deleteJob(cluster.store, NS, job.metadata.name ?? '');
    writer.write('main', 'stdout', Buffer.from('after\n'));
    await writer.flush();
    writer.write('main', 'stdout', Buffer.from('at the end\n'));
    await finish(target, writer);
    expect(await cluster.redis.exists(cluster.store.keys.podLog(NS, target.name), cluster.store.keys.podLogArchive(NS, target.name))).toBe(0);
  });
});

describe('PodLogWriter bounds (the sink stands in for Redis)', () => {
  it('one write at a time; while it waits, the buffer keeps at most its bound, the newest output', async () => {
    const batches: NewLogChunk[][] = [];
    let release: () => void = () => undefined;
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const slow: PodLogSink = async (chunks) => {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push(chunks);
      if (calls === 1) await new Promise<void>((r) => (release = r));
      inFlight--;
      return ok;
    };
    const bound = 256 * 1024;
    const writer = new PodLogWriter(slow, bound);
    writer.write('c', 'stdout', Buffer.from('first\n'));
    const first = writer.flush();
    // 10 MiB while Redis does not answer.
    for (let i = 0; i < 160; i++) writer.write('c', 'stdout', Buffer.alloc(64 * 1024, String(i % 10)));
    writer.write('c', 'stdout', Buffer.from('newest\n'));
    const joined = writer.flush(); // joins the write in flight: nothing new starts
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(1);
    release();
    await Promise.all([first, joined]);
    await writer.flush();
    expect(maxInFlight).toBe(1);
    const later = batches.slice(1).flat();
    const bytes = later.reduce((n, c) => n + c.data.length, 0);
    expect(bytes).toBeLessThanOrEqual(bound + 64 * 1024);
    expect(Buffer.concat(later.map((c) => c.data)).toString().endsWith('newest\n')).toBe(true);
    expect(writer.droppedBytes).toBeGreaterThan(9 * 1024 * 1024);
  });

  it('never throws when the sink fails, and keeps writing afterwards', async () => {
    const seen: string[] = [];
    let fail = true;
    const flaky: PodLogSink = async (chunks) => {
      if (fail) throw new Error('connection lost');
      seen.push(...chunks.map((c) => c.data.toString()));
      return ok;
    };
    const writer = new PodLogWriter(flaky);
    writer.write('c', 'stdout', Buffer.from('lost\n'));
    await expect(writer.flush()).resolves.toBeUndefined();
    fail = false;
    writer.write('c', 'stdout', Buffer.from('kept\n'));
    await expect(writer.flush()).resolves.toBeUndefined();
    expect((await writer.takeLast())?.length).toBe(0);
    expect(seen).toStrictEqual(['kept\n']);
  });

  it('takeLast hands over what is buffered for the final report, and closes: nothing is written after', async () => {
    const sent: string[] = [];
    const sink: PodLogSink = async (chunks) => {
      sent.push(...chunks.map((c) => c.data.toString()));
      return ok;
    };
    const writer = new PodLogWriter(sink);
    expect(await new PodLogWriter(sink).takeLast()).toBeUndefined(); // printed nothing: no archive
    writer.write('c', 'stdout', Buffer.from('early\n'));
    await writer.flush();
    writer.write('c', 'stderr', Buffer.from('last\n'));
    const last = await writer.takeLast();
    expect(sent).toStrictEqual(['early\n']);
    expect(last?.map((c) => [c.stream, c.data.toString()])).toStrictEqual([['stderr', 'last\n']]);
    writer.write('c', 'stdout', Buffer.from('late\n'));
    await writer.flush();
    expect(sent).toStrictEqual(['early\n']);
    expect(await writer.takeLast()).toBeUndefined();
    // Output that waited behind a write in flight is written by it (in order); the archive then has nothing new.
    const behind = new PodLogWriter(sink);
    behind.write('c', 'stdout', Buffer.from('one\n'));
    void behind.flush();
    behind.write('c', 'stdout', Buffer.from('two\n'));
    expect(await behind.takeLast()).toStrictEqual([]);
    expect(sent.slice(1)).toStrictEqual(['one\n', 'two\n']);
  });

  it('stops writing once the sink says the pod is gone', async () => {
    let calls = 0;
    const writer = new PodLogWriter(async () => {
      calls++;
      return { status: 'gone', stored: 0, droppedBytes: 0 };
    });
    writer.write('c', 'stdout', Buffer.from('x'));
    await writer.flush();
    writer.write('c', 'stdout', Buffer.from('y'));
    await writer.flush();
    expect(await writer.takeLast()).toBeUndefined(); // no archive either
    expect(calls).toBe(1);
  });
});
