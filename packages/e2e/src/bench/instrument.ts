/**
 * Counters the benchmarks put around the code under test without changing it: they wrap prototype
 * methods of this process's modules (ioredis, @jobfleet/store) and a Docker client's `modem.dial`.
 * Everything here only counts; behaviour is unchanged.
 */
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { JobController } from '@jobfleet/controllers';
import { JobStore, TaskQueues } from '@jobfleet/store';

export interface Counters {
  /** Commands written to Redis outside pipelines (each one a request/response round trip). */
  redisSingleCommands: number;
  /** Pipelines (and MULTI/EXEC) sent: one round trip each, whatever their length. */
  redisPipelines: number;
  /** Commands sent inside pipelines. */
  redisPipelinedCommands: number;
  /** Single commands by name (evalsha of jobfleet's and BullMQ's scripts, hmget, time, …). */
  redisByCommand: Record<string, number>;
  /** Argument bytes sent and reply bytes received, by command name (pipelined ones included). */
  bytesSentByCommand: Record<string, number>;
  bytesReceivedByCommand: Record<string, number>;
  /** JobController.syncJob calls (before coalescing) and syncs actually run. */
  syncJobCalls: number;
  syncsRun: number;
  /** JobStore.commit calls and how many lost the resourceVersion race. */
  commits: number;
  commitConflicts: number;
  /** Uncounted pods read by syncs (the controller's gather step), summed. */
  podsReadBySyncs: number;
  /** TaskQueues.scheduleSync calls (each adds a delayed BullMQ task). */
  scheduleSyncCalls: number;
  enqueuePodsCalls: number;
}

export function zeroCounters(): Counters {
  return {
    redisSingleCommands: 0,
    redisPipelines: 0,
    redisPipelinedCommands: 0,
    redisByCommand: {},
    bytesSentByCommand: {},
    bytesReceivedByCommand: {},
    syncJobCalls: 0,
    syncsRun: 0,
    commits: 0,
    commitConflicts: 0,
    podsReadBySyncs: 0,
    scheduleSyncCalls: 0,
    enqueuePodsCalls: 0,
  };
}

const counters = zeroCounters();
let installed = false;

/** Payload bytes of a command's arguments or reply (strings as UTF-16 length, close enough for JSON). */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Buffer.isBuffer(value)) return value.length;
  if (typeof value === 'number') return 8;
  if (Array.isArray(value)) {
    let n = 0;
    for (const v of value) n += sizeOf(v);
    return n;
  }
  return 0;
}

/** Names of methods that were not found (the code under test changed); reported with the results. */
export const missingHooks: string[] = [];

/** Wraps proto[name] if it is a function; records it as missing otherwise. */
function hook<T extends object>(proto: T, name: string, label: string, wrap: (original: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown): void {
  const original = (proto as Record<string, unknown>)[name];
  if (typeof original !== 'function') {
    missingHooks.push(label);
    return;
  }
  (proto as Record<string, unknown>)[name] = wrap(original as (...a: unknown[]) => unknown);
}

/** Installs the counters once per process. */
export function installCounters(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  // The same CommonJS module BullMQ and @jobfleet/store load (ioredis has no ESM build).
  const Pipeline = require('ioredis/built/Pipeline.js').default as { prototype: { exec: (...a: unknown[]) => unknown } };

  type Cmd = { name: string; args: unknown[]; promise: Promise<unknown> };
  const redisProto = Redis.prototype as unknown as { sendCommand: (command: Cmd, stream?: unknown) => unknown };
  const sendCommand = redisProto.sendCommand;
  redisProto.sendCommand = function (this: unknown, command: Cmd, stream?: unknown) {
    if (stream) counters.redisPipelinedCommands++;
    else {
      counters.redisSingleCommands++;
      counters.redisByCommand[command.name] = (counters.redisByCommand[command.name] ?? 0) + 1;
    }
    const name = command.name;
    counters.bytesSentByCommand[name] = (counters.bytesSentByCommand[name] ?? 0) + sizeOf(command.args);
    command.promise.then(
      (reply) => (counters.bytesReceivedByCommand[name] = (counters.bytesReceivedByCommand[name] ?? 0) + sizeOf(reply)),
      () => undefined,
    );
    return sendCommand.call(this, command, stream);
  };
  hook(Pipeline.prototype, 'exec', 'ioredis Pipeline.exec', (original) =>
    function (this: unknown, ...args: unknown[]) {
      counters.redisPipelines++;
      return original.apply(this, args);
    },
  );

  hook(JobController.prototype, 'syncJob', 'JobController.syncJob', (original) =>
    function (this: unknown, ...args: unknown[]) {
      counters.syncJobCalls++;
      return original.apply(this, args);
    },
  );
  hook(JobController.prototype, 'syncNow', 'JobController.syncNow', (original) =>
    function (this: unknown, ...args: unknown[]) {
      counters.syncsRun++;
      return original.apply(this, args);
    },
  );
  hook(JobStore.prototype, 'commit', 'JobStore.commit', (original) =>
    async function (this: unknown, ...args: unknown[]) {
      counters.commits++;
      const result = (await original.apply(this, args)) as { ok: boolean };
      if (!result.ok) counters.commitConflicts++;
      return result;
    },
  );
  // The controller's gather step: one Lua call (loadForSync) in newer stores, SMEMBERS + getPods before.
  if (typeof (JobStore.prototype as unknown as Record<string, unknown>).loadForSync === 'function') {
    hook(JobStore.prototype, 'loadForSync', 'JobStore.loadForSync', (original) =>
      async function (this: unknown, ...args: unknown[]) {
        const snapshot = (await original.apply(this, args)) as { uncounted?: unknown[] } | undefined;
        counters.podsReadBySyncs += snapshot?.uncounted?.length ?? 0;
        return snapshot;
      },
    );
  } else {
    hook(JobStore.prototype, 'uncountedPodNames', 'JobStore.uncountedPodNames', (original) =>
      async function (this: unknown, ...args: unknown[]) {
        const names = (await original.apply(this, args)) as string[];
        counters.podsReadBySyncs += names.length;
        return names;
      },
    );
  }
  hook(TaskQueues.prototype, 'scheduleSync', 'TaskQueues.scheduleSync', (original) =>
    function (this: unknown, ...args: unknown[]) {
      counters.scheduleSyncCalls++;
      return original.apply(this, args);
    },
  );
  hook(TaskQueues.prototype, 'enqueuePods', 'TaskQueues.enqueuePods', (original) =>
    function (this: unknown, ...args: unknown[]) {
      if (Array.isArray(args[0]) && args[0].length > 0) counters.enqueuePodsCalls++;
      return original.apply(this, args);
    },
  );
}

/** The counts since the process started (a copy); diff two with diffCounters. */
export function snapshotCounters(): Counters {
  return structuredClone(counters);
}

export function diffCounters(before: Counters, after: Counters): Counters {
  const out = zeroCounters();
  for (const key of Object.keys(out) as (keyof Counters)[]) {
    if (key === 'redisByCommand' || key === 'bytesSentByCommand' || key === 'bytesReceivedByCommand') continue;
    (out[key] as number) = (after[key] as number) - (before[key] as number);
  }
  for (const field of ['redisByCommand', 'bytesSentByCommand', 'bytesReceivedByCommand'] as const) {
    for (const [cmd, n] of Object.entries(after[field])) {
      const d = n - (before[field][cmd] ?? 0);
      if (d > 0) out[field][cmd] = d;
    }
  }
  return out;
}

/** Docker Engine API calls made through one client: count and latency by endpoint. */
export interface DockerCallStats {
  [endpoint: string]: { calls: number; totalMs: number; maxMs: number };
}

export function instrumentDocker(docker: Docker): { stats: () => DockerCallStats; reset: () => void } {
  let stats: DockerCallStats = {};
  const modem = docker.modem as unknown as { dial: (options: { method?: string; path?: string }, cb: (...a: unknown[]) => void) => unknown };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, cb) => {
    const path = (options.path ?? '').split('?')[0] ?? '';
    const endpoint = `${options.method ?? 'GET'} ${path.replace(/\/containers\/[^/]+/, '/containers/{id}').replace(/\/images\/.+\/json$/, '/images/{name}/json')}`;
    const t0 = performance.now();
    return dial(options, (...args: unknown[]) => {
      const s = (stats[endpoint] ??= { calls: 0, totalMs: 0, maxMs: 0 });
      const ms = performance.now() - t0;
      s.calls++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      cb(...args);
    });
  };
  return { stats: () => structuredClone(stats), reset: () => (stats = {}) };
}
