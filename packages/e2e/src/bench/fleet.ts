/**
 * An in-process jobfleet for the benchmarks: one embedded redis-server (persistence off, temp dir),
 * the API, one worker node, and a client; a fresh key prefix per scenario.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { startApi, type RunningApi } from '@jobfleet/api';
import { JobfleetClient, trueCondition } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { startEmbeddedRedis, type EmbeddedRedis } from '@jobfleet/store';
import { DockerEngine, startWorker, type PodRuntime, type WorkerNode, type WorkerNodeOptions } from '@jobfleet/worker';
import { instrumentDocker, type DockerCallStats } from './instrument.js';
import { benchConnection } from './replicas.js';
import { progress, sleep } from './util.js';
import { failedPodsOf } from '../diagnostics.js';

export const BENCH_IMAGE = 'busybox:latest';

export interface BenchRedis {
  embedded: EmbeddedRedis;
  url: string;
  /** A connection of the benchmark itself (INFO, CLIENT LIST, MEMORY USAGE). */
  admin: Redis;
  /** Rejects when the redis-server stops answering (it died or was killed): the run cannot go on. */
  gone: Promise<never>;
  isGone(): boolean;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-bench-redis-'));
  const embedded = await startEmbeddedRedis(dir, { persistence: false });
  const admin = new Redis(embedded.url, { maxRetriesPerRequest: null });
  admin.on('error', () => undefined); // the watchdog below reports a Redis that went away
  // Watchdog: a separate connection that fails fast, pinged every second.
  const probe = new Redis(embedded.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 500 });
  probe.on('error', () => undefined);
  let failures = 0;
  let isGone = false;
  let watchdog: NodeJS.Timeout | undefined;
  const gone = new Promise<never>((_, reject) => {
    watchdog = setInterval(() => {
      probe.ping().then(
        () => (failures = 0),
        () => {
          if (++failures >= 5) {
            clearInterval(watchdog);
            isGone = true;
            reject(new Error(`the benchmark's redis-server (${embedded.url}) stopped answering: was it killed?`));
          }
        },
      );
    }, 1_000);
    watchdog.unref();
  });
  gone.catch(() => undefined);
  return {
    embedded,
    url: embedded.url,
    admin,
    gone,
    isGone: () => isGone,
    stop: async () => {
      clearInterval(watchdog);
      probe.disconnect();
      admin.disconnect();
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BenchFleet {
  prefix: string;
  api: RunningApi;
  worker?: WorkerNode;
  /** Every worker started (the first is `worker`). */
  workers: WorkerNode[];
  client: JobfleetClient;
  /** Docker calls of the worker (only for the Docker runtime). */
  docker: { stats: () => DockerCallStats; reset: () => void };
  /** Starts a worker (`${prefix}-node` unless named; `extra`: its placement settings: capacity, labels, taints). */
  startWorker(opts: { maxPods: number; runtime?: PodRuntime; nodeName?: string; extra?: Partial<WorkerNodeOptions> }): Promise<WorkerNode>;
  close(): Promise<void>;
}

export async function startBenchFleet(redisUrl: string, label: string): Promise<BenchFleet> {
  const prefix = `b${label}${randomUUID().slice(0, 6)}`;
  const redisConnection = benchConnection(redisUrl); // --redis-wait-replicas
  const api = await startApi({ redisUrl, port: 0, prefix, allowPrivileged: false, ...(redisConnection ? { redisConnection } : {}) });
  const client = new JobfleetClient({ server: api.url });
  const docker = new Docker();
  const dockerStats = instrumentDocker(docker);
  const fleet: BenchFleet = {
    prefix,
    api,
    client,
    docker: dockerStats,
    workers: [],
    async startWorker({ maxPods, runtime, nodeName, extra }) {
      const worker = await startWorker({
        redisUrl,
        ...(redisConnection ? { redisConnection } : {}),
        prefix,
        nodeName: nodeName ?? `${prefix}-node`,
        maxPods,
        docker: new DockerEngine(docker),
        ...(runtime ? { runtime } : {}),
        ...extra,
      });
      fleet.worker ??= worker;
      fleet.workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(fleet.workers.map((w) => w.close()));
      await api.close();
    },
  };
  return fleet;
}

/** A Job of `completions` pods running `command` in busybox, at most `parallelism` at once. */
export function jobManifest(name: string, opts: { completions: number; parallelism: number; command?: string[] }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completions: opts.completions,
      parallelism: opts.parallelism,
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: BENCH_IMAGE, command: opts.command ?? ['true'] }],
        },
      },
    },
  } as unknown as Job;
}

export function uniqueName(base: string): string {
  return `${base}-${randomUUID().slice(0, 6)}`;
}

/**
 * Waits for Complete (rejects on Failed) by watching the Job, logging progress every `everyMs`.
 * Used for the long runs; the timed short runs use client.waitForCompletion directly.
 */
export async function waitWithProgress(
  client: JobfleetClient,
  name: string,
  label: string,
  opts: { everyMs?: number; timeoutMs?: number; onProgress?: (job: Job) => string } = {},
): Promise<Job> {
  const everyMs = opts.everyMs ?? 5_000;
  const timeoutMs = opts.timeoutMs ?? 3_600_000;
  let last = 0;
  for await (const job of client.watchJob(name, { signal: AbortSignal.timeout(timeoutMs) })) {
    if (trueCondition(job, 'Failed')) {
      const failedPods = await failedPodsOf(client, job).catch((err: unknown) => `(could not list them: ${String(err)})`);
      throw new Error(`${label}: Job ${name} failed: ${JSON.stringify(job.status?.conditions)}; failed pods: ${failedPods}`);
    }
    if (trueCondition(job, 'Complete')) return job;
    if (Date.now() - last > everyMs) {
      last = Date.now();
      const extra = opts.onProgress?.(job);
      progress(`${label}: succeeded ${job.status?.succeeded ?? 0}, active ${job.status?.active ?? 0}${extra ? `; ${extra}` : ''}`);
    }
  }
  throw new Error(`${label}: Job ${name} was deleted while waiting`);
}

/**
 * Deletes a Job and waits until it is gone with its pods (a Job goes at once, its pods in batches
 * after: a run measured while the last Job's pods are still being deleted, ours or the baseline's,
 * would share the machine with that deletion).
 */
export async function deleteAndWait(client: JobfleetClient, name: string): Promise<void> {
  await client.deleteJob(name);
  for (let i = 0; i < 600; i++) {
    const jobGone = await client.getJob(name).then(
      () => false,
      () => true,
    );
    if (jobGone && (await client.listPods({ labelSelector: `job-name=${name}` })).length === 0) return;
    await sleep(jobGone ? 100 : 50);
  }
}

/** Removes the raw-baseline containers a crashed run may have left. */
export async function removeBenchContainers(docker: Docker): Promise<void> {
  const left = await docker.listContainers({ all: true, filters: { label: ['io.jobfleet.bench=raw'] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
}
