/**
 * Slow watchers cannot exhaust memory: a real API in its own process and a Redis of its own, a Job
 * of about 1 MB patched many times, and watch clients (raw TCP) from resourceVersion=1, from the
 * oldest change kept and from now, that never read. The API's peak RSS and Redis's peak memory stay
 * within bounds derived from the configured limits (change stream bytes, watch buffer), and a
 * client that reads keeps getting every change. Likewise pod log followers that never read a pod
 * printing far more than its kept log. The measured peaks are printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { freePort, redisKeys } from '@jobfleet/store';
import { startScratchRedis, type EmbeddedRedis } from '@jobfleet/store';
import { startWorker, type WorkerNode } from '@jobfleet/worker';
import { startRoleProcess, type RoleProcess } from '../processes.js';
import { roleOptionsFromEnv } from '@jobfleet/cli';

const MiB = 1024 * 1024;
const CHANGES_MAX_BYTES = 8 * MiB;
const WATCH_BUFFER_BYTES = 1 * MiB;
/** The Job's size as stored: under the default 1.5 MiB object limit, minus the status headroom. */
const JOB_BYTES = 1_000_000;
const PATCHES_BEFORE = 20;
const PATCHES_DURING = 25;
const SLOW_WATCHERS = 8;
const prefix = 'wm';
const ns = 'default';

let redisServer: EmbeddedRedis | undefined;
let api: RoleProcess | undefined;
let worker: WorkerNode | undefined;
let apiPort = 0;
const sockets: Socket[] = [];

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await worker?.close();
  await api?.kill('SIGKILL');
  await redisServer?.stop();
});


/** VmHWM (peak) and VmRSS of a process, bytes. */
function processMemory(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

async function redisMemory(redis: Redis): Promise<{ used: number; peak: number }> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

function bigJob(name: string) {
  const chunk = 'x'.repeat(10_000);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      suspend: true, // no pod runs: the test is about the API and Redis alone
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:latest', command: ['true'], args: Array.from({ length: JOB_BYTES / chunk.length }, () => chunk) }] } },
    },
  };
}

/** A GET on a raw connection that is never read from (its kernel buffers fill, then the server's). */
function slowReader(port: number, path: string): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  sockets.push(socket);
  return socket;
}

const slowWatcher = (port: number, resourceVersion: string) => slowReader(port, `/apis/batch/v1/namespaces/${ns}/jobs?watch=1&resourceVersion=${resourceVersion}`);

it('slow watchers keep the API and Redis memory bounded; a reading watcher gets every change', async () => {
  redisServer = await startScratchRedis();
  const redis = new Redis(redisServer.url);
  const keys = redisKeys(prefix);
  const port = await freePort();
  const saved = { ...process.env };
  Object.assign(process.env, { JOBFLEET_CHANGES_MAX_BYTES: String(CHANGES_MAX_BYTES), JOBFLEET_WATCH_BUFFER_BYTES: String(WATCH_BUFFER_BYTES) });
  try {
    api = await startRoleProcess('api', { redisUrl: redisServer.url, port, prefix, runSyncs: false });
  } finally {
    process.env = saved;
  }
  const pid = api.child.pid ?? 0;
  apiPort = port;
  const base = `http://127.0.0.1:${port}`;
  const jobs = `${base}/apis/batch/v1/namespaces/${ns}/jobs`;
  const redisBefore = await redisMemory(redis);

  const created = await fetch(jobs, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bigJob('big')) });
  expect(created.status).toBe(201);
  const patch = async (i: number) => {
    const res = await fetch(`${jobs}/big`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { n: String(i) } } }) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  };
  for (let i = 0; i < PATCHES_BEFORE; i++) await patch(i);

  // The peak from here on: the watch phase alone.
  const apiBefore = processMemory(pid);
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const oldest = ((await redis.xrange(keys.changes, '-', '+', 'COUNT', 1)) as [string, string[]][])[0]?.[0].split('-')[0] ?? '1';
  const current = (await redis.get(keys.rv)) ?? '1';
  const from = ['1', '1', '1', String(Number(oldest) - 1), String(Number(oldest) - 1), String(Number(oldest) - 1), current, current];
  const slow = from.map((rv) => slowWatcher(port, rv));

  // A client that reads, from now on: it must get every change, and stay open.
  const reading = new AbortController();
  const seen: number[] = [];
  const watch = await fetch(`${jobs}?watch=1&resourceVersion=${current}`, { signal: reading.signal });
  const consumed = (async () => {
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of watch.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as { type: string; object: { metadata: { labels?: Record<string, string> } } };
        if (event.type === 'MODIFIED') seen.push(Number(event.object.metadata.labels?.n));
      }
    }
  })().catch(() => undefined);

  for (let i = 0; i < PATCHES_DURING; i++) await patch(PATCHES_BEFORE + i);
  const deadline = Date.now() + 20_000;
  while (seen.length < PATCHES_DURING && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));

  const apiAfter = processMemory(pid);
  const redisAfter = await redisMemory(redis);
  const apiGrowth = apiAfter.peak - apiBefore.rss;
  const redisGrowth = redisAfter.peak - redisBefore.used;
  const mb = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
  console.log(
    `watch-memory: ${SLOW_WATCHERS} slow watchers, Job of ${mb(JOB_BYTES)} patched ${PATCHES_BEFORE}+${PATCHES_DURING} times; ` +
      `API RSS ${mb(apiBefore.rss)} before, peak ${mb(apiAfter.peak)} (+${mb(apiGrowth)}), now ${mb(apiAfter.rss)}; ` +
      `Redis used ${mb(redisBefore.used)} before, peak ${mb(redisAfter.peak)} (+${mb(redisGrowth)}), now ${mb(redisAfter.used)}`,
  );

  expect(seen).toStrictEqual(Array.from({ length: PATCHES_DURING }, (_, i) => PATCHES_BEFORE + i));
  // Per slow watcher: its unsent bytes plus one history page (each at most the watch buffer, or one
  // change when a change is larger) and the change being encoded; plus the garbage of parsing and
  // encoding ~1 MB objects that the heap keeps until it collects (generous, not a precise figure).
  const perWatcher = 2 * Math.max(WATCH_BUFFER_BYTES, JOB_BYTES) + 2 * JOB_BYTES;
  expect(apiGrowth).toBeLessThan(SLOW_WATCHERS * perWatcher + 120 * MiB);
  // The change stream (its bytes, plus the encoding overhead of a Redis stream and its index), the
  // Job itself in its hash, the write script's copies of a write in flight, and the replies on their
  // way to the API (each read is bounded in bytes too).
  expect(redisGrowth).toBeLessThan(2 * CHANGES_MAX_BYTES + 4 * JOB_BYTES + 8 * MiB);
  // The server closed the slow watches from now (their buffers passed the bound): reading them now
  // finds the connection ended, and fewer events than were written.
  const closeCheck = Date.now();
  const live = slow.slice(from.indexOf(current));
  const outcomes = await Promise.all(
    live.map(
      (socket) =>
        new Promise<{ closed: boolean; events: number }>((resolve) => {
          let text = '';
          const done = (closed: boolean) => resolve({ closed, events: (text.match(/"type":"MODIFIED"/g) ?? []).length });
          const timer = setTimeout(() => done(false), 10_000);
          socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
          socket.once('close', () => (clearTimeout(timer), done(true)));
          socket.resume();
        }),
    ),
  );
  console.log(`watch-memory: slow live watchers found closed in ${Date.now() - closeCheck} ms`);
  for (const outcome of outcomes) {
    expect(outcome.closed).toBe(true);
    expect(outcome.events).toBeLessThan(PATCHES_DURING);
  }
  reading.abort();
  await consumed;
  redis.disconnect();
});

it('slow followers of a pod log keep the API memory bounded', async () => {
  if (!redisServer || !api) throw new Error('runs after the watch test, on its API');
  const port = apiPort;
  const pid = api.child.pid ?? 0;
  // The store's bounds as the CLI reads them (JOBFLEET_CHANGES_MAX_BYTES above): every role of a fleet must agree.
  worker = await startWorker({ ...roleOptionsFromEnv('worker'), redisUrl: redisServer.url, prefix, nodeName: `${prefix}-node-${process.pid}`, heartbeatMs: 500, drainTimeoutMs: 1_000 });
  const jobs = `http://127.0.0.1:${port}/apis/batch/v1/namespaces/${ns}/jobs`;
  // 40 MB of output over some 10 s: more than the 1 MiB the pod's log keeps, read by every follower.
  const script = 'for i in $(seq 40); do head -c 1000000 /dev/zero | tr "\\0" x | fold -w 1000; sleep 0.2; done; sleep 1';
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'chatty' }, spec: { template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:latest', command: ['sh', '-c', script] }] } } } };
  expect((await fetch(jobs, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) })).status).toBe(201);
  const podsUrl = `http://127.0.0.1:${port}/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3Dchatty`;
  let pod = '';
  const deadline = Date.now() + 60_000;
  while (!pod && Date.now() < deadline) {
    const list = (await (await fetch(podsUrl)).json()) as { items: { metadata: { name: string }; status: { phase: string } }[] };
    pod = list.items.find((p) => p.status.phase === 'Running')?.metadata.name ?? '';
    if (!pod) await new Promise((r) => setTimeout(r, 100));
  }
  expect(pod).not.toBe('');
  const before = processMemory(pid);
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  for (let i = 0; i < SLOW_WATCHERS; i++) slowReader(port, `/api/v1/namespaces/${ns}/pods/${pod}/log?follow=true`);
  // Until the pod has finished, and its followers with it.
  while (Date.now() < deadline) {
    const list = (await (await fetch(podsUrl)).json()) as { items: { status: { phase: string } }[] };
    if (list.items.every((p) => p.status.phase === 'Succeeded' || p.status.phase === 'Failed')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1_000));
  const after = processMemory(pid);
  const growth = after.peak - before.rss;
  console.log(`log-follow: ${SLOW_WATCHERS} followers that never read a pod printing 40 MB in 10 s; API RSS ${(before.rss / MiB).toFixed(0)} MiB before, peak ${(after.peak / MiB).toFixed(0)} MiB (+${(growth / MiB).toFixed(0)} MiB)`);
  // Each follower holds at most one read of the log (the pod's kept log, 1 MiB) besides what the kernel buffers.
  expect(growth).toBeLessThan(SLOW_WATCHERS * 2 * MiB + 100 * MiB);
});
