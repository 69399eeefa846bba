/**
 * 4. Many Jobs: J Jobs of one instant pod each, submitted at once (concurrent createJob calls):
 * time until all are Complete, and the Redis connections of the worker before vs during the run.
 */
import { performance } from 'node:perf_hooks';
import type { Job } from '@jobfleet/kube';
import { trueCondition } from '@jobfleet/client';
import { jobManifest, startBenchFleet } from '../fleet.js';
import { instantRuntime } from '../instant-runtime.js';
import { diffCounters, snapshotCounters } from '../instrument.js';
import { clientList, commandStats, countByName, diffCommandStats, perUnit, redisCpuSeconds } from '../redis-stats.js';
import { size, type BenchContext, type Row } from '../context.js';
import { processMeter, progress, round } from '../util.js';

export interface ManyJobsResult {
  jobs: number;
  submitMs: number;
  allCompleteMs: number;
  jobsPerSecond: number;
  nodeCpuMs: number;
  redisCommandsPerJob: number;
  /** Redis server CPU (user + sys) over the run. */
  redisCpuMs: number;
  /** Commands per Job by name, most frequent first (scripts' own commands counted too). */
  commandsByName: { command: string; perUnit: number; usecPerUnit: number; usecPerCall: number }[];
  syncsPerJob: number;
  scheduleSyncPerJob: number;
  connections: {
    /** All connections to Redis before the worker started (API + benchmark's own). */
    beforeWorker: number;
    afterWorkerStart: number;
    workerIdle: number;
    /** Most connections seen while the Jobs ran (sampled every 200 ms). */
    peakDuringRun: number;
    afterRun: number;
    workerPeak: number;
    byNameAtPeak: Record<string, number>;
  };
}

/** Follows every Job of the namespace with one watch and resolves once `names` are all Complete. */
async function allComplete(base: string, names: Set<string>, signal: AbortSignal, onProgress: (n: number) => void): Promise<void> {
  const done = new Set<string>();
  const list = (await (await fetch(`${base}/apis/batch/v1/namespaces/default/jobs?limit=1`)).json()) as { metadata: { resourceVersion: string } };
  let rv = list.metadata.resourceVersion;
  const check = (job: Job) => {
    const name = job.metadata.name ?? '';
    if (!names.has(name) || done.has(name)) return;
    if (trueCondition(job, 'Failed')) throw new Error(`job ${name} failed`);
    if (trueCondition(job, 'Complete')) {
      done.add(name);
      if (done.size % 50 === 0) onProgress(done.size);
    }
  };
  while (done.size < names.size) {
    const res = await fetch(`${base}/apis/batch/v1/namespaces/default/jobs?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`, { signal });
    if (!res.ok || !res.body) throw new Error(`watch: ${res.status}`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        const event = JSON.parse(line) as { type: string; object: Job };
        if (event.type === 'ERROR') throw new Error(`watch error: ${line}`);
        rv = event.object.metadata?.resourceVersion ?? rv;
        if (event.type !== 'BOOKMARK') check(event.object);
      }
      if (done.size >= names.size) break;
    }
  }
}

export async function runManyJobs(ctx: BenchContext): Promise<{ result: ManyJobsResult; rows: Row[] }> {
  const jobs = size(ctx, 'many.jobs', 200, 1_000);
  const admin = ctx.redis.admin;
  await admin.flushall();
  const fleet = await startBenchFleet(ctx.redis.url, 'm');
  try {
    await new Promise((r) => setTimeout(r, 300));
    const beforeWorker = (await clientList(admin)).length;
    await fleet.startWorker({ maxPods: 200, runtime: instantRuntime });
    await new Promise((r) => setTimeout(r, 500));
    const afterWorkerStart = (await clientList(admin)).length;

    let peak = afterWorkerStart;
    let byNameAtPeak = countByName(await clientList(admin));
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const clients = await clientList(admin);
        if (clients.length > peak) {
          peak = clients.length;
          byNameAtPeak = countByName(clients);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const names = new Set(Array.from({ length: jobs }, (_, i) => `many-${String(i).padStart(5, '0')}`));
    const abort = new AbortController();
    const stats0 = await commandStats(admin);
    const redisCpu0 = await redisCpuSeconds(admin);
    const counters0 = snapshotCounters();
    const meter = processMeter();
    const watching = allComplete(fleet.api.url, names, abort.signal, (n) => progress(`many jobs: ${n}/${jobs} Complete`));
    watching.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50)); // the watch is open before the first Job exists
    const t1 = performance.now();
    await Promise.all([...names].map((name) => fleet.client.createJob(jobManifest(name, { completions: 1, parallelism: 1 }))));
    const submitMs = performance.now() - t1;
    progress(`many jobs: ${jobs} Jobs submitted in ${(submitMs / 1000).toFixed(2)} s`);
    await watching;
    const allCompleteMs = performance.now() - t1;
    const proc = meter();
    const counters = diffCounters(counters0, snapshotCounters());
    const stats = diffCommandStats(stats0, await commandStats(admin));
    const redisCpuMs = ((await redisCpuSeconds(admin)) - redisCpu0) * 1000;
    abort.abort();
    sampling = false;
    await sampler;
    const afterRun = (await clientList(admin)).length;
    progress(`many jobs: all ${jobs} Complete after ${(allCompleteMs / 1000).toFixed(2)} s; connections before worker ${beforeWorker}, with worker ${afterWorkerStart}, peak ${peak}`);

    const result: ManyJobsResult = {
      jobs,
      submitMs: round(submitMs, 0),
      allCompleteMs: round(allCompleteMs, 0),
      jobsPerSecond: round(jobs / (allCompleteMs / 1000), 1),
      nodeCpuMs: round(proc.cpuMs, 0),
      redisCommandsPerJob: round(Object.values(stats).reduce((a, b) => a + b.calls, 0) / jobs, 1),
      redisCpuMs: round(redisCpuMs, 0),
      commandsByName: perUnit(stats, jobs).map((c) => ({ ...c, perUnit: round(c.perUnit, 2), usecPerUnit: round(c.usecPerUnit, 1), usecPerCall: round(c.usecPerCall, 2) })),
      syncsPerJob: round(counters.syncsRun / jobs, 2),
      scheduleSyncPerJob: round(counters.scheduleSyncCalls / jobs, 2),
      connections: {
        beforeWorker,
        afterWorkerStart,
        workerIdle: afterWorkerStart - beforeWorker,
        peakDuringRun: peak,
        afterRun,
        workerPeak: peak - beforeWorker,
        byNameAtPeak,
      },
    };
    const rows: Row[] = [
      { id: '4a', name: `Many Jobs: ${jobs} one-pod Jobs submitted at once, until all Complete`, target: '', value: round(allCompleteMs / 1000, 2), unit: 's', detail: `${result.jobsPerSecond} Jobs/s; submit took ${(submitMs / 1000).toFixed(2)} s; Node CPU ${result.nodeCpuMs} ms, Redis CPU ${result.redisCpuMs} ms` },
      {
        id: '4b',
        name: `Redis connections of the worker: idle → peak with ${jobs} Jobs`,
        target: 'no growth',
        value: result.connections.workerPeak,
        unit: 'connections',
        pass: result.connections.workerPeak <= result.connections.workerIdle,
        detail: `${result.connections.workerIdle} → ${result.connections.workerPeak}`,
      },
    ];
    return { result, rows };
  } finally {
    await fleet.close();
  }
}
