/**
 * BENCHMARK: the cost of a `/metrics` scrape and of the API's kube-state cache, at N pods.
 *
 *   node --expose-gc packages/e2e/dist/bench/metrics-scrape.js 100 20000 100000
 *
 * For each N: a Job of N instant pods (the benchmarks' instant runtime, parallelism 500) runs to
 * completion on a scratch Redis; then a fresh API process (a child, so that nothing else is in its
 * heap) lists them into its cache, and the scrape is timed 10 times. Its heap is compared with an
 * API on an empty prefix of the same Redis.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { startScratchRedis } from '@jobfleet/store';
import { startWorker } from '@jobfleet/worker';
import { instantRuntime } from './instant-runtime.js';

interface ChildReport {
  pods: number;
  syncMs: number;
  heapUsedBytes: number;
  rssBytes: number;
  scrapeMsMedian: number;
  scrapeMsMax: number;
  scrapeBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function child(redisUrl: string, prefix: string, expected: number): Promise<void> {
  const started = Date.now();
  const api = await startApi({ redisUrl, prefix, port: 0 });
  const cachedPods = async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    return Number(/^jobfleet_metrics_cache_objects\{kind="Pod"\} (\d+)$/m.exec(text)?.[1] ?? -1);
  };
  while ((await cachedPods()) < expected) await new Promise((r) => setTimeout(r, 200));
  const syncMs = Date.now() - started;
  for (let i = 0; i < 3; i++) gc?.();
  const mem = process.memoryUsage();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const text = await (await fetch(`${api.url}/metrics`)).text();
    times.push(performance.now() - t0);
    bytes = Buffer.byteLength(text);
  }
  times.sort((a, b) => a - b);
  const report: ChildReport = {
    pods: expected,
    syncMs,
    heapUsedBytes: mem.heapUsed,
    rssBytes: mem.rss,
    scrapeMsMedian: Math.round((times[4] ?? 0) * 10) / 10,
    scrapeMsMax: Math.round((times[9] ?? 0) * 10) / 10,
    scrapeBytes: bytes,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await api.close();
  process.exit(0);
}

function measure(redisUrl: string, prefix: string, expected: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), 'child', redisUrl, prefix, String(expected)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildReport) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

async function runJob(redisUrl: string, prefix: string, pods: number): Promise<number> {
  const api = await startApi({ redisUrl, prefix, port: 0 });
  const worker = await startWorker({ redisUrl, prefix, nodeName: `${prefix}-n`, maxPods: 500, runtime: instantRuntime, podLogMaxBytes: 4096 });
  const client = new JobfleetClient({ server: api.url });
  const started = Date.now();
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'scrape' },
    spec: { completions: pods, parallelism: Math.min(500, pods), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  } as Job;
  await client.createJob(job);
  await client.waitForCompletion('scrape', { timeoutMs: 30 * 60_000 });
  const ms = Date.now() - started;
  await worker.close();
  await api.close();
  return ms;
}

async function main(sizes: number[]): Promise<void> {
  const redis = await startScratchRedis();
  try {
    const base = await measure(redis.url, 'empty', 0);
    process.stdout.write(`empty API: heap ${(base.heapUsedBytes / 1e6).toFixed(1)} MB, rss ${(base.rssBytes / 1e6).toFixed(1)} MB, scrape ${base.scrapeMsMedian} ms (${base.scrapeBytes} B)\n`);
    for (const n of sizes) {
      const prefix = `scrape${n}`;
      const jobMs = await runJob(redis.url, prefix, n);
      const r = await measure(redis.url, prefix, n);
      const perPod = n > 0 ? Math.round((r.heapUsedBytes - base.heapUsedBytes) / n) : 0;
      process.stdout.write(
        `${n} pods (Job ran in ${(jobMs / 1000).toFixed(1)} s): cache listed in ${r.syncMs} ms; scrape median ${r.scrapeMsMedian} ms, max ${r.scrapeMsMax} ms, ` +
          `${(r.scrapeBytes / 1e6).toFixed(2)} MB; API heap ${(r.heapUsedBytes / 1e6).toFixed(1)} MB (+${perPod} B/pod over the empty API), rss ${(r.rssBytes / 1e6).toFixed(1)} MB\n`,
      );
    }
  } finally {
    await redis.stop();
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'child') await child(rest[0] ?? '', rest[1] ?? '', Number(rest[2]));
else await main([mode, ...rest].filter((x): x is string => x !== undefined).map(Number));
