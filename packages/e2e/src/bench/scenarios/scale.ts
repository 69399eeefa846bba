/**
 * 3. Scale: one Job with many instant pods at parallelism 500: wall time, Redis memory per finished
 * pod, and the latency of GET Job and of one page of the Job's pods at 100 pods vs at the full count.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { jobManifest, startBenchFleet, uniqueName, waitWithProgress } from '../fleet.js';
import { instantRuntime } from '../instant-runtime.js';
import { JobStore } from '@jobfleet/store';
import { diffCounters, snapshotCounters } from '../instrument.js';
import { commandStats, diffCommandStats, memoryBreakdown, redisCpuSeconds, usedMemory, type MemoryClass } from '../redis-stats.js';
import { size, type BenchContext, type Row } from '../context.js';
import { median, percentile, processMeter, progress, round, sleep } from '../util.js';

export interface LatencySample {
  requests: number;
  medianMs: number;
  p90Ms: number;
  items?: number;
  bytes: number;
}

export interface ScaleResult {
  pods: number;
  parallelism: number;
  wallMs: number;
  podsPerSecond: number;
  nodeCpuMs: number;
  redisCpuMs: number;
  syncs: number;
  commitConflicts: number;
  podsReadBySyncs: number;
  /** Progress every ~5 s: rate and the controller's work in that interval. */
  timeline: { atS: number; succeeded: number; podsPerSecond: number; syncs: number; syncJobCalls: number; commitConflicts: number; podsReadPerSync: number }[];
  redisCommandsPerPod: number;
  memory: {
    beforeBytes: number;
    afterBytes: number;
    perPodBytes: number;
    /** By key class after the run (estimated from MEMORY USAGE of samples). */
    breakdown: (MemoryClass & { perPodBytes: number })[];
    /** One finished pod's hash: MEMORY USAGE and each field's length in bytes. */
    samplePod: { key: string; bytes: number; fields: Record<string, number> };
    /** The change stream after the run: its MEMORY USAGE, and its entries by event, kind and form (JSON or compressed) with their average object length. */
    changeStream: { bytes: number; entries: number; byForm: Record<string, { entries: number; avgObjBytes: number }> };
  };
  latency: {
    at100: { getJob: LatencySample; listPods: LatencySample };
    atFull: { getJob: LatencySample; listPods: LatencySample; listPodsLimit100?: LatencySample };
    /**
     * What one page would cost in Redis + parsing if only the page's pods were fetched (the fix
     * proposed for listPage): all of the Job's pod names (podNamesOfJob) + sort + getPods of the first 500.
     */
    pageFixEstimate: { allNamesMs: number; sortMs: number; fetch500Ms: number; totalMs: number };
  };
}

/** One pod's hash of the run (the last of a SCAN's first page): its MEMORY USAGE and its fields' lengths. */
async function podHashSample(redis: Redis, prefix: string): Promise<ScaleResult['memory']['samplePod']> {
  const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:pod:*`, 'COUNT', 1000);
  const key = keys.at(-1) ?? '';
  const fields: Record<string, number> = {};
  const hash = await redis.hgetallBuffer(key);
  for (const [field, value] of Object.entries(hash)) fields[field] = value.length;
  return { key, bytes: Number(await redis.memory('USAGE', key, 'SAMPLES', 0)), fields };
}

/** The change stream's entries grouped by event type, kind and the form of their object. */
async function changeStreamSample(redis: Redis, prefix: string): Promise<ScaleResult['memory']['changeStream']> {
  const key = `${prefix}:changes`;
  const sums = new Map<string, { entries: number; bytes: number }>();
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  for (const [, fields] of entries) {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
    const obj = f.get('o') ?? '';
    const form = `${f.get('t')} ${f.get('k')} ${obj.startsWith('Z1:') ? (obj.includes('\n{') ? 'compressed body, JSON status' : 'compressed') : 'JSON'}`;
    const sum = sums.get(form) ?? { entries: 0, bytes: 0 };
    sums.set(form, { entries: sum.entries + 1, bytes: sum.bytes + Buffer.byteLength(obj) });
  }
  const byForm = Object.fromEntries([...sums].map(([form, sum]) => [form, { entries: sum.entries, avgObjBytes: round(sum.bytes / sum.entries, 0) }]));
  return { bytes: Number(await redis.memory('USAGE', key, 'SAMPLES', 0)), entries: entries.length, byForm };
}

/** Median of up to `count` sequential requests, stopping early (at ≥ 3) once `budgetMs` is spent. */
async function latency(url: string, count: number, budgetMs: number, countItems: boolean): Promise<LatencySample> {
  const times: number[] = [];
  let items: number | undefined;
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    times.push(performance.now() - s);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 300)}`);
    bytes = body.length;
    if (countItems && items === undefined) items = (JSON.parse(body) as { items?: unknown[] }).items?.length ?? 0;
    if (i >= 2 && performance.now() - t0 > budgetMs) break;
  }
  return { requests: times.length, medianMs: round(median(times), 2), p90Ms: round(percentile(times, 90), 2), ...(items !== undefined ? { items } : {}), bytes };
}

async function estimatePageFix(ctx: BenchContext, prefix: string, uid: string): Promise<{ allNamesMs: number; sortMs: number; fetch500Ms: number; totalMs: number }> {
  const store = new JobStore(ctx.redis.admin, prefix);
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const names = await store.podNamesOfJob(uid);
    const t1 = performance.now();
    names.sort();
    const t2 = performance.now();
    await store.getPods('default', names.slice(0, 500));
    const t3 = performance.now();
    a.push(t1 - t0);
    b.push(t2 - t1);
    c.push(t3 - t2);
  }
  const allNamesMs = round(median(a), 2);
  const sortMs = round(median(b), 2);
  const fetch500Ms = round(median(c), 2);
  return { allNamesMs, sortMs, fetch500Ms, totalMs: round(allNamesMs + sortMs + fetch500Ms, 2) };
}

export async function runScale(ctx: BenchContext): Promise<{ result: ScaleResult; rows: Row[] }> {
  const pods = size(ctx, 'scale.pods', 5_000, 100_000);
  const parallelism = size(ctx, 'scale.parallelism', 500, 500);
  const requests = size(ctx, 'scale.requests', 20, 20);
  const budgetMs = size(ctx, 'scale.latencyBudgetMs', 15_000, 60_000);
  const admin = ctx.redis.admin;
  await admin.flushall();
  const fleet = await startBenchFleet(ctx.redis.url, 's');
  await fleet.startWorker({ maxPods: parallelism, runtime: instantRuntime });
  const base = fleet.api.url;
  const jobUrl = (name: string) => `${base}/apis/batch/v1/namespaces/default/jobs/${name}`;
  const podsUrl = (uid: string, limit = 500) => `${base}/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`batch.kubernetes.io/controller-uid=${uid}`)}&limit=${limit}`;
  try {
    // The Job of 100 pods: latency at 100.
    const small = uniqueName('scale100');
    const smallJob = await fleet.client.createJob(jobManifest(small, { completions: 100, parallelism: 100 }));
    await waitWithProgress(fleet.client, small, 'scale (100 pods)');
    const smallUid = smallJob.metadata.uid ?? '';
    const at100 = {
      getJob: await latency(jobUrl(small), requests, budgetMs, false),
      listPods: await latency(podsUrl(smallUid), requests, budgetMs, true),
    };
    progress(`scale: at 100 pods GET job ${at100.getJob.medianMs} ms, pod page ${at100.listPods.medianMs} ms`);

    await sleep(500);
    const memBefore = await usedMemory(admin);
    const stats0 = await commandStats(admin);
    const cpu0 = await redisCpuSeconds(admin);
    const counters0 = snapshotCounters();
    const meter = processMeter();
    const name = uniqueName('scale');
    const timeline: ScaleResult['timeline'] = [];
    const t0 = performance.now();
    const job = await fleet.client.createJob(jobManifest(name, { completions: pods, parallelism }));
    let mark = { t: performance.now(), succeeded: 0, counters: snapshotCounters() };
    await waitWithProgress(fleet.client, name, `scale (${pods} pods)`, {
      onProgress: (j) => {
        const now = { t: performance.now(), succeeded: j.status?.succeeded ?? 0, counters: snapshotCounters() };
        const d = diffCounters(mark.counters, now.counters);
        const sample = {
          atS: round((now.t - t0) / 1000, 1),
          succeeded: now.succeeded,
          podsPerSecond: round((now.succeeded - mark.succeeded) / ((now.t - mark.t) / 1000), 0),
          syncs: d.syncsRun,
          syncJobCalls: d.syncJobCalls,
          commitConflicts: d.commitConflicts,
          podsReadPerSync: round(d.podsReadBySyncs / Math.max(1, d.syncsRun), 0),
        };
        timeline.push(sample);
        mark = now;
        return `${sample.podsPerSecond} pods/s, ${sample.syncs} syncs (${sample.syncJobCalls} requested), ${sample.commitConflicts} commit conflicts, ${sample.podsReadPerSync} pods read per sync`;
      },
    });
    const wallMs = performance.now() - t0;
    const proc = meter();
    const counters = diffCounters(counters0, snapshotCounters());
    const redisCpuMs = ((await redisCpuSeconds(admin)) - cpu0) * 1000;
    const stats = diffCommandStats(stats0, await commandStats(admin));
    progress(`scale: ${pods} pods in ${(wallMs / 1000).toFixed(1)} s (${round(pods / (wallMs / 1000), 1)} pods/s)`);
    await sleep(1_000);
    const memAfter = await usedMemory(admin);
    progress('scale: memory breakdown by key class');
    const breakdown = (await memoryBreakdown(admin, fleet.prefix)).map((c) => ({ ...c, perPodBytes: round(c.bytes / (pods + 100), 1) }));

    const samplePod = await podHashSample(admin, fleet.prefix);
    progress(`scale: a finished pod's hash ${samplePod.bytes} B: ${Object.entries(samplePod.fields).map(([f, n]) => `${f} ${n}`).join(', ')}`);

    const changeStream = await changeStreamSample(admin, fleet.prefix);
    progress(`scale: the change stream ${changeStream.bytes} B, ${changeStream.entries} entries: ${Object.entries(changeStream.byForm).map(([f, c]) => `${f} ${c.entries} × ${c.avgObjBytes} B`).join(', ')}`);

    const uid = job.metadata.uid ?? '';
    const getJobFull = await latency(jobUrl(name), requests, budgetMs, false);
    progress(`scale: at ${pods} pods GET job ${getJobFull.medianMs} ms`);
    const listFull = await latency(podsUrl(uid), requests, budgetMs, true);
    progress(`scale: at ${pods} pods pod page (limit 500) ${listFull.medianMs} ms over ${listFull.requests} requests`);
    const list100 = await latency(podsUrl(uid, 100), requests, budgetMs / 2, true);
    progress(`scale: at ${pods} pods pod page (limit 100) ${list100.medianMs} ms over ${list100.requests} requests`);

    const pageFixEstimate = await estimatePageFix(ctx, fleet.prefix, uid);
    progress(`scale: estimated page cost when fetching only the page: ${pageFixEstimate.totalMs} ms`);

    const result: ScaleResult = {
      pods,
      parallelism,
      wallMs: round(wallMs, 0),
      podsPerSecond: round(pods / (wallMs / 1000), 1),
      nodeCpuMs: round(proc.cpuMs, 0),
      redisCpuMs: round(redisCpuMs, 0),
      syncs: counters.syncsRun,
      commitConflicts: counters.commitConflicts,
      timeline,
      podsReadBySyncs: counters.podsReadBySyncs,
      redisCommandsPerPod: round(Object.values(stats).reduce((a, b) => a + b.calls, 0) / pods, 1),
      memory: { beforeBytes: memBefore, afterBytes: memAfter, perPodBytes: round((memAfter - memBefore) / pods, 0), breakdown, samplePod, changeStream },
      latency: { at100, atFull: { getJob: getJobFull, listPods: listFull, listPodsLimit100: list100 }, pageFixEstimate },
    };
    const rows: Row[] = [
      { id: '3a', name: `Scale: one Job of ${pods} instant pods, parallelism ${parallelism}: wall time`, target: '', value: round(wallMs / 1000, 1), unit: 's', detail: `${result.podsPerSecond} pods/s` },
      { id: '3b', name: 'Redis memory per finished pod (used_memory delta ÷ pods, incl. its log)', target: '≤ 512 B', value: result.memory.perPodBytes, unit: 'B', pass: result.memory.perPodBytes <= 512 },
      {
        id: '3c',
        name: `GET the Job: median at 100 pods → at ${pods} pods`,
        target: '',
        value: getJobFull.medianMs,
        unit: 'ms',
        detail: `${at100.getJob.medianMs} ms → ${getJobFull.medianMs} ms`,
      },
      {
        id: '3d',
        name: `Pod page (labelSelector controller-uid, limit=500): median at 100 pods → at ${pods} pods`,
        target: '',
        value: listFull.medianMs,
        unit: 'ms',
        detail: `${at100.listPods.medianMs} ms → ${listFull.medianMs} ms (${listFull.requests} requests; limit=100: ${list100.medianMs} ms)`,
      },
    ];
    return { result, rows };
  } finally {
    await fleet.close();
  }
}
