/**
 * Starting jobfleet's roles in this process (api, worker, janitor, and an embedded Redis when no URL is
 * given) and closing them in reverse order. Used by `up`, the single-role commands and `run`'s embedded mode.
 * The role packages (fastify, dockerode, BullMQ…) are imported only when a role starts, so client commands
 * such as `get` load fast.
 */
import type { RunningApi } from '@jobfleet/api';
import type { Logger } from '@jobfleet/controllers';
import type { Taint } from '@jobfleet/kube';
import { redactUrl, redisStartHint, type RedisSettings } from './redis-settings.js';
import { roleOptionsFromEnv } from './settings.js';
import { allowPrivileged } from './role-options.js';

export { DEFAULT_REDIS_URL } from './redis-settings.js';
/** Where `up` and `run` keep the embedded Redis data, relative to the working directory. */
export const EMBEDDED_DATA_DIR = '.jobfleet';
export const DEFAULT_MAX_PODS = 110;
/** How long a role's start waits for Redis to answer PING before it gives up. */
const REDIS_CHECK_TIMEOUT_MS = 5_000;
/** How long one shutdown step may take before the shutdown goes on without it. */
export const SHUTDOWN_STEP_TIMEOUT_MS = 10_000;
/** A worker's shutdown step: its drain timeout plus this, to stop and remove what still runs. */
const WORKER_STOP_MARGIN_MS = 10_000;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** PEM certificate and key the API serves https with. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

interface Closeable {
  name: string;
  close(): Promise<void>;
  timeoutMs: number;
}

/**
 * Things started so far, closed last-started-first. Every step is bounded: a failed or stuck close
 * (a Redis or Docker that no longer answers) is reported and the shutdown goes on, so it always ends.
 */
export class ShutdownStack {
  private readonly items: Closeable[] = [];
  private onFailure: (error: Error) => void = () => undefined;
  /** Rejects when a running role fails for good (`fail`): the process then shuts down like on a signal. */
  readonly failed = new Promise<never>((_, reject) => (this.onFailure = reject));

  constructor() {
    this.failed.catch(() => undefined); // observed by serve(); never an unhandled rejection
  }

  /** A role that cannot go on (a worker whose node name another worker took): stop everything. */
  fail(error: Error): void {
    this.onFailure(error);
  }

  push(name: string, close: () => Promise<void>, timeoutMs = SHUTDOWN_STEP_TIMEOUT_MS): void {
    this.items.push({ name, close, timeoutMs });
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  async closeAll(): Promise<Error[]> {
    const errors: Error[] = [];
    for (const item of this.items.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`it did not stop within ${item.timeoutMs / 1000} s; going on without it`)), item.timeoutMs);
      });
      try {
        await Promise.race([item.close(), timeout]);
      } catch (error) {
        errors.push(new Error(`closing the ${item.name}: ${(error as Error).message}`));
      } finally {
        clearTimeout(timer);
      }
    }
    return errors;
  }
}

export interface SystemOptions {
  /** Use this Redis; without it an embedded redis-server (with a password) keeps its data under dataDir. */
  redis?: RedisSettings;
  dataDir: string;
  port: number;
  host: string;
  nodeName: string;
  /** The worker's address (hostIP of its pods); default: detected. */
  nodeIP?: string;
  maxPods?: number;
  /** --capacity, --node-labels, --register-with-taints of the worker (role-options NodeFlags). */
  capacity?: Record<string, string>;
  nodeLabels?: Record<string, string>;
  registerWithTaints?: Taint[];
  token?: string;
  tls?: TlsFiles;
  /** Let the API accept, and the worker run, privileged pods. */
  allowPrivileged?: boolean;
  /** The worker's drain timeout on shutdown (default: JOBFLEET_DRAIN_TIMEOUT_MS, else 30 s). */
  drainTimeoutMs?: number;
  /** The worker's node exists for this process only (`run`): its leftover containers go with it. */
  ephemeralNode?: boolean;
  /** --cronjob-poll-ms (default: JOBFLEET_CRONJOB_POLL_MS, else 1 s). */
  cronJobPollMs?: number;
  /** Where the roles' lines go, each with its `role` (default: nowhere, as for `run`). */
  logger?: Logger;
  /** --metrics-port: the worker's metrics server (default: JOBFLEET_METRICS_PORT, else none); the API serves /metrics itself. */
  metricsPort?: number;
}

export interface RunningSystem {
  apiUrl: string;
  redis: RedisSettings;
  embeddedRedis: boolean;
}

/**
 * api + worker + janitor (+ embedded Redis), each pushed on `stack` to be closed in reverse order: the
 * embedded Redis first, so that it stops last. If one fails to start, the ones already started are
 * closed before the error propagates.
 */
export async function startSystem(options: SystemOptions, stack: ShutdownStack): Promise<RunningSystem> {
  try {
    const redis = options.redis ?? (await startRedis(options.dataDir, stack));
    const api = await startApiRole({ redis, port: options.port, host: options.host, token: options.token, tls: options.tls, allowPrivileged: options.allowPrivileged, cronJobPollMs: options.cronJobPollMs, logger: options.logger }, stack);
    await startWorkerRole({ redis, nodeName: options.nodeName, nodeIP: options.nodeIP, maxPods: options.maxPods, capacity: options.capacity, nodeLabels: options.nodeLabels, registerWithTaints: options.registerWithTaints, allowPrivileged: options.allowPrivileged, drainTimeoutMs: options.drainTimeoutMs, ephemeral: options.ephemeralNode, logger: options.logger, metricsPort: options.metricsPort }, stack);
    // One metrics port per process: in one process with a worker, the janitor serves none.
    await startJanitorRole(redis, stack, { cronJobPollMs: options.cronJobPollMs, logger: options.logger });
    return { apiUrl: api.url, redis, embeddedRedis: options.redis === undefined };
  } catch (error) {
    await stack.closeAll();
    throw new Error(`cannot start jobfleet: ${(error as Error).message}`, { cause: error });
  }
}

async function startRedis(dataDir: string, stack: ShutdownStack): Promise<RedisSettings> {
  const { startEmbeddedRedis } = await import('@jobfleet/store');
  const stopTimeoutMs = SHUTDOWN_STEP_TIMEOUT_MS;
  const redis = await startEmbeddedRedis(dataDir, { requirePassword: true, stopTimeoutMs });
  // Its own bound covers SIGTERM then SIGKILL; this one is a last guard.
  stack.push('embedded Redis', () => redis.stop(), stopTimeoutMs + 5_000);
  return { url: redis.url, connection: redis.password ? { password: redis.password } : {} };
}

export async function startApiRole(
  options: { redis: RedisSettings; port: number; host: string; token?: string | undefined; tls?: TlsFiles | undefined; allowPrivileged?: boolean | undefined; cronJobPollMs?: number | undefined; logger?: Logger | undefined },
  stack: ShutdownStack,
): Promise<RunningApi> {
  const { startApi } = await import('@jobfleet/api');
  const api = await startApi({
    ...roleOptionsFromEnv('api'),
    redisUrl: options.redis.url,
    redisConnection: options.redis.connection,
    port: options.port,
    host: options.host,
    ...(options.token ? { token: options.token } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.allowPrivileged === undefined ? {} : { allowPrivileged: options.allowPrivileged }),
    ...(options.cronJobPollMs === undefined ? {} : { cronJobPollMs: options.cronJobPollMs }),
    ...(options.logger ? { logger: options.logger.child({ role: 'api' }) } : {}),
  });
  stack.push('API server', () => api.close());
  return api;
}

export interface WorkerRoleOptions {
  redis: RedisSettings;
  nodeName: string;
  nodeIP?: string | undefined;
  maxPods?: number | undefined;
  capacity?: Record<string, string> | undefined;
  nodeLabels?: Record<string, string> | undefined;
  registerWithTaints?: Taint[] | undefined;
  allowPrivileged?: boolean | undefined;
  drainTimeoutMs?: number | undefined;
  /** A node of this process alone (`run`'s embedded worker): its leftover containers go with it. */
  ephemeral?: boolean | undefined;
  logger?: Logger | undefined;
  /** --metrics-port or JOBFLEET_METRICS_PORT of the worker/up command (unset: none). */
  metricsPort?: number | undefined;
}

export async function startWorkerRole(options: WorkerRoleOptions, stack: ShutdownStack): Promise<void> {
  const { startWorker, LABELS } = await import('@jobfleet/worker');
  const worker = await startWorker({
    ...roleOptionsFromEnv('worker'),
    redisUrl: options.redis.url,
    redisConnection: options.redis.connection,
    nodeName: options.nodeName,
    ...(options.nodeIP ? { nodeIP: options.nodeIP } : {}),
    maxPods: options.maxPods ?? DEFAULT_MAX_PODS,
    ...(options.capacity ? { capacity: options.capacity } : {}),
    ...(options.nodeLabels ? { nodeLabels: options.nodeLabels } : {}),
    ...(options.registerWithTaints ? { registerWithTaints: options.registerWithTaints } : {}),
    allowPrivileged: options.allowPrivileged ?? allowPrivileged(undefined),
    ...(options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: options.drainTimeoutMs }),
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    ...(options.logger ? { logger: options.logger.child({ role: 'worker' }) } : {}),
    onFatal: (error) => stack.fail(error),
  });
  if (options.ephemeral) {
    // Closed after the worker: whatever its close left (it timed out, or Docker failed it) does not
    // outlive a node that exists for this process only. A lasting node keeps them instead: its next
    // start reads the exits Docker recorded and reports them.
    const node = { [LABELS.node]: options.nodeName };
    stack.push(`containers of node ${options.nodeName}`, async () => {
      for (const c of await worker.engine.listManaged(node)) await worker.engine.remove(c.Id);
      for (const v of await worker.engine.listManagedVolumes(node)) await worker.engine.removeVolume(v.name);
    });
  }
  const drainMs = options.drainTimeoutMs ?? drainTimeoutFromEnv();
  stack.push('worker', () => worker.close(), drainMs + WORKER_STOP_MARGIN_MS);
}

/** JOBFLEET_DRAIN_TIMEOUT_MS as the worker reads it: only to bound the worker's shutdown step here. */
function drainTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.JOBFLEET_DRAIN_TIMEOUT_MS);
  return env.JOBFLEET_DRAIN_TIMEOUT_MS && Number.isFinite(n) && n >= 0 ? n : DEFAULT_DRAIN_TIMEOUT_MS;
}

/** `metricsPort`: --metrics-port or JOBFLEET_METRICS_PORT of the janitor command (unset: none). */
export async function startJanitorRole(
  redis: RedisSettings,
  stack: ShutdownStack,
  options: { cronJobPollMs?: number | undefined; logger?: Logger | undefined; metricsPort?: number | undefined } = {},
): Promise<void> {
  const { startJanitor } = await import('@jobfleet/janitor');
  const poll = options.cronJobPollMs === undefined ? {} : { cronJobPollMs: options.cronJobPollMs };
  const { metricsPort } = options;
  const janitor = await startJanitor({ ...roleOptionsFromEnv('janitor'), ...poll, ...(metricsPort === undefined ? {} : { metricsPort }), ...(options.logger ? { logger: options.logger.child({ role: 'janitor' }) } : {}), redisUrl: redis.url, redisConnection: redis.connection });
  stack.push('janitor', () => janitor.close());
}

/**
 * Fails fast, with one line, when Redis does not answer PING within `timeoutMs` or refuses us (a wrong
 * password, an untrusted certificate): the roles themselves keep reconnecting forever (right for an
 * outage, not for a wrong setting at start).
 */
export async function checkRedis(redis: RedisSettings, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<void> {
  const { pingRedis } = await import('@jobfleet/store');
  try {
    await pingRedis(redis.url, redis.connection, timeoutMs);
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, ' ').trim();
    throw new Error(`cannot reach Redis at ${redactUrl(redis.url)}: ${reason}; ${redisStartHint(reason)}`);
  }
}
