/**
 * Starting jobfleet's roles in this process (api, worker, janitor, and an embedded Redis when no URL is
 * given) and closing them in reverse order. Used by `up`, the single-role commands and `run`'s embedded mode.
 * The role packages (fastify, dockerode, BullMQ…) are imported only when a role starts, so client commands
 * such as `get` load fast.
 */
import type { RunningApi } from '@jobfleet/api';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Where `up` and `run` keep the embedded Redis data, relative to the working directory. */
export const EMBEDDED_DATA_DIR = '.jobfleet';
export const DEFAULT_MAX_PODS = 110;
/** How long a role's start waits for Redis to answer PING before it gives up. */
const REDIS_CHECK_TIMEOUT_MS = 5_000;

/** PEM certificate and key the API serves https with. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

interface Closeable {
  name: string;
  close(): Promise<void>;
}

/** Things started so far, closed last-started-first; a failed close does not stop the others. */
export class ShutdownStack {
  private readonly items: Closeable[] = [];

  push(name: string, close: () => Promise<void>): void {
    this.items.push({ name, close });
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  async closeAll(): Promise<Error[]> {
    const errors: Error[] = [];
    for (const item of this.items.splice(0).reverse()) {
      try {
        await item.close();
      } catch (error) {
        errors.push(new Error(`closing the ${item.name}: ${(error as Error).message}`));
      }
    }
    return errors;
  }
}

export interface SystemOptions {
  /** Use this Redis; without it an embedded redis-server keeps its data under dataDir. */
  redisUrl?: string;
  dataDir: string;
  port: number;
  host: string;
  nodeName: string;
  maxPods?: number;
  token?: string;
  tls?: TlsFiles;
  /** Let the API accept privileged pods (else JOBFLEET_ALLOW_PRIVILEGED decides). */
  allowPrivileged?: boolean;
}

export interface RunningSystem {
  apiUrl: string;
  redisUrl: string;
  embeddedRedis: boolean;
}

/**
 * api + worker + janitor (+ embedded Redis), each pushed on `stack` to be closed in reverse order.
 * If one fails to start, the ones already started are closed before the error propagates.
 */
export async function startSystem(options: SystemOptions, stack: ShutdownStack): Promise<RunningSystem> {
  try {
    const redisUrl = options.redisUrl ?? (await startRedis(options.dataDir, stack));
    const api = await startApiRole({ redisUrl, port: options.port, host: options.host, token: options.token, tls: options.tls, allowPrivileged: options.allowPrivileged }, stack);
    await startWorkerRole({ redisUrl, nodeName: options.nodeName, maxPods: options.maxPods }, stack);
    await startJanitorRole(redisUrl, stack);
    return { apiUrl: api.url, redisUrl, embeddedRedis: options.redisUrl === undefined };
  } catch (error) {
    await stack.closeAll();
    throw new Error(`cannot start jobfleet: ${(error as Error).message}`, { cause: error });
  }
}

async function startRedis(dataDir: string, stack: ShutdownStack): Promise<string> {
  const { startEmbeddedRedis } = await import('@jobfleet/store');
  const redis = await startEmbeddedRedis(dataDir);
  stack.push('embedded Redis', () => redis.stop());
  return redis.url;
}

export async function startApiRole(
  options: { redisUrl: string; port: number; host: string; token?: string | undefined; tls?: TlsFiles | undefined; allowPrivileged?: boolean | undefined },
  stack: ShutdownStack,
): Promise<RunningApi> {
  const { startApi } = await import('@jobfleet/api');
  const api = await startApi({
    redisUrl: options.redisUrl,
    port: options.port,
    host: options.host,
    ...(options.token ? { token: options.token } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.allowPrivileged ? { allowPrivileged: true } : {}),
  });
  stack.push('API server', () => api.close());
  return api;
}

export async function startWorkerRole(options: { redisUrl: string; nodeName: string; maxPods?: number | undefined }, stack: ShutdownStack): Promise<void> {
  const { startWorker } = await import('@jobfleet/worker');
  const worker = await startWorker({ redisUrl: options.redisUrl, nodeName: options.nodeName, maxPods: options.maxPods ?? DEFAULT_MAX_PODS });
  stack.push('worker', () => worker.close());
}

export async function startJanitorRole(redisUrl: string, stack: ShutdownStack): Promise<void> {
  const { startJanitor } = await import('@jobfleet/janitor');
  const janitor = await startJanitor({ redisUrl });
  stack.push('janitor', () => janitor.close());
}

/**
 * Fails fast, with one line, when Redis does not answer PING within `timeoutMs`: the roles themselves
 * keep reconnecting forever (right for an outage, not for a wrong URL at start).
 */
export async function checkRedis(url: string, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<void> {
  const { newRedis } = await import('@jobfleet/store');
  const redis = newRedis(url, { lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, enableReadyCheck: false });
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => (connectionError ??= error));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
  } catch (error) {
    const reason = (connectionError ?? (error as Error)).message;
    throw new Error(`cannot reach Redis at ${redactedUrl(url)}: ${reason}; start it or set REDIS_URL`);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

/** The URL without its password. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
