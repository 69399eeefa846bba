/**
 * Test fleet: a private redis-server, the API, worker nodes and the janitor, all real, sharing one
 * key prefix so that tests running at the same time never see each other's data.
 */
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type RunningApi } from '@jobfleet/api';
import { roleOptionsFromEnv } from '@jobfleet/cli';
import { JobfleetClient } from '@jobfleet/client';
import { startJanitor, type RunningJanitor } from '@jobfleet/janitor';
import { startEmbeddedRedis, type EmbeddedRedis } from '@jobfleet/store';
import { startWorker, type WorkerNode, type WorkerNodeOptions } from '@jobfleet/worker';

/** Kubernetes' delays shortened so that restart and re-creation backoff take milliseconds. */
export const FAST_DELAYS = {
  JOBFLEET_POD_BACKOFF_BASE_MS: '200',
  JOBFLEET_POD_BACKOFF_MAX_MS: '1000',
  JOBFLEET_RESTART_BACKOFF_BASE_MS: '200',
  JOBFLEET_RESTART_BACKOFF_MAX_MS: '1000',
};
Object.assign(process.env, FAST_DELAYS);

let sharedRedis: Promise<EmbeddedRedis> | undefined;

// The file's redis-server goes with the file's tests (a forked test worker does not kill its children).
afterAll(async () => {
  if (sharedRedis) await (await sharedRedis).stop();
});

/** One redis-server per test file; tests isolate themselves by key prefix. */
export function testRedis(): Promise<EmbeddedRedis> {
  if (!sharedRedis) {
    const dir = mkdtempSync(join(tmpdir(), 'jobfleet-redis-'));
    sharedRedis = startEmbeddedRedis(dir, { persistence: false });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return sharedRedis;
}

export interface Fleet {
  prefix: string;
  redisUrl: string;
  api: RunningApi;
  workers: WorkerNode[];
  janitor?: RunningJanitor;
  client: JobfleetClient;
  addWorker(opts?: Partial<WorkerNodeOptions>): Promise<WorkerNode>;
  close(): Promise<void>;
}

export interface FleetOptions {
  workers?: number;
  maxPods?: number;
  janitor?: boolean;
  token?: string;
  /** Start the API and the workers with allowPrivileged (privileged containers, host namespaces, hostPath): each enforces its own. */
  allowPrivileged?: boolean;
}

export async function startFleet(opts: FleetOptions = {}): Promise<Fleet> {
  const redis = await testRedis();
  const prefix = `t${randomUUID().slice(0, 8)}`;
  // The roles' settings from the environment, as the CLI reads them (tests set JOBFLEET_* variables).
  const api = await startApi({ ...roleOptionsFromEnv('api'), redisUrl: redis.url, port: 0, prefix, token: opts.token, allowPrivileged: opts.allowPrivileged === true });
  const workers: WorkerNode[] = [];
  const addWorker = async (extra: Partial<WorkerNodeOptions> = {}) => {
    const w = await startWorker({
      ...roleOptionsFromEnv('worker'),
      redisUrl: redis.url,
      prefix,
      nodeName: `${prefix}-node-${workers.length}`,
      maxPods: opts.maxPods,
      heartbeatMs: 500,
      drainTimeoutMs: 2_000,
      allowPrivileged: opts.allowPrivileged === true,
      ...extra,
    });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();
  const janitor = opts.janitor === false ? undefined : await startJanitor({ ...roleOptionsFromEnv('janitor'), redisUrl: redis.url, prefix, pollMs: 100 });
  const client = new JobfleetClient({ server: api.url, token: opts.token });
  return {
    prefix,
    redisUrl: redis.url,
    api,
    workers,
    janitor,
    client,
    addWorker,
    close: async () => {
      await janitor?.close();
      await Promise.all(workers.map((w) => w.close()));
      await api.close();
    },
  };
}

/**
 * One fleet for a file's tests: started before them and handed to `started` (which may return its own
 * clean-up, run first), closed after them.
 */
export function useFleet(opts: FleetOptions, started: (fleet: Fleet) => void | (() => void | Promise<void>)): void {
  let fleet: Fleet | undefined;
  let cleanUp: void | (() => void | Promise<void>);
  beforeAll(async () => {
    fleet = await startFleet(opts);
    cleanUp = started(fleet);
  });
  afterAll(async () => {
    await cleanUp?.();
    await fleet?.close();
  });
}

/** The official JavaScript client's configuration for a fleet's API (namespace default). */
export function kubeConfig(fleet: Fleet): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS verification is off (there is no TLS to verify).
    clusters: [{ name: 'jobfleet', server: fleet.api.url, skipTLSVerify: true }],
    users: [{ name: 'jobfleet' }],
    contexts: [{ name: 'jobfleet', cluster: 'jobfleet', user: 'jobfleet', namespace: 'default' }],
    currentContext: 'jobfleet',
  });
  return kc;
}

export function uniqueName(base: string): string {
  return `${base}-${randomUUID().slice(0, 6)}`;
}

/**
 * The keys of a fleet's data (pattern `<prefix>*`), leaving out the leases that expire and come back
 * by themselves: the per-Job sync leases (whenever a background sync runs) and the workers' node-name
 * leases (one renewed late on a loaded machine lapses and is taken again).
 */
export async function dataKeys(redis: { keys(pattern: string): Promise<string[]> }, prefix: string, pattern = `${prefix}:*`): Promise<string[]> {
  const lease = new RegExp(`^${prefix}:(sync(lease|again)|nodelease):`);
  return (await redis.keys(pattern)).filter((k) => !lease.test(k));
}
