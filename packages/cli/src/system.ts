/**
 * Starting jobfleet's roles in this process (api, worker, janitor, and an embedded Redis when no URL is
 * given) and closing them in reverse order. Used by `up`, the single-role commands and `run`'s embedded mode.
 */
import { startApi, type RunningApi } from '@jobfleet/api';
import { startJanitor } from '@jobfleet/janitor';
import { startEmbeddedRedis } from '@jobfleet/store';
import { startWorker } from '@jobfleet/worker';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Where `up` and `run` keep the embedded Redis data, relative to the working directory. */
export const EMBEDDED_DATA_DIR = '.jobfleet';
export const DEFAULT_MAX_PODS = 110;

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
    const api = await startApiRole({ redisUrl, port: options.port, host: options.host, token: options.token, allowPrivileged: options.allowPrivileged }, stack);
    await startWorkerRole({ redisUrl, nodeName: options.nodeName, maxPods: options.maxPods }, stack);
    await startJanitorRole(redisUrl, stack);
    return { apiUrl: api.url, redisUrl, embeddedRedis: options.redisUrl === undefined };
  } catch (error) {
    await stack.closeAll();
    throw new Error(`cannot start jobfleet: ${(error as Error).message}`, { cause: error });
  }
}

async function startRedis(dataDir: string, stack: ShutdownStack): Promise<string> {
  const redis = await startEmbeddedRedis(dataDir);
  stack.push('embedded Redis', () => redis.stop());
  return redis.url;
}

export async function startApiRole(
  options: { redisUrl: string; port: number; host: string; token?: string | undefined; allowPrivileged?: boolean | undefined },
  stack: ShutdownStack,
): Promise<RunningApi> {
  const api = await startApi({
    redisUrl: options.redisUrl,
    port: options.port,
    host: options.host,
    ...(options.token ? { token: options.token } : {}),
    ...(options.allowPrivileged ? { allowPrivileged: true } : {}),
  });
  stack.push('API server', () => api.close());
  return api;
}

export async function startWorkerRole(options: { redisUrl: string; nodeName: string; maxPods?: number | undefined }, stack: ShutdownStack): Promise<void> {
  const worker = await startWorker({ redisUrl: options.redisUrl, nodeName: options.nodeName, maxPods: options.maxPods ?? DEFAULT_MAX_PODS });
  stack.push('worker', () => worker.close());
}

export async function startJanitorRole(redisUrl: string, stack: ShutdownStack): Promise<void> {
  const janitor = await startJanitor({ redisUrl });
  stack.push('janitor', () => janitor.close());
}
