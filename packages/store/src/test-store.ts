/**
 * The store's Redis tests' shared set-up (not exported from the index): one scratch redis-server
 * per test file, one connection to it, and JobStores on it each under a key prefix of its own.
 * It registers its own vitest hooks, so a test file only calls it once at the top level.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startScratchRedis, type EmbeddedRedis } from './embedded-redis.js';
import { JobStore, type StoreLimits } from './store.js';

export interface ScratchStore {
  /** The scratch redis-server's URL. */
  readonly url: string;
  /** The connection the stores share, also to look at keys as Redis stores them. */
  readonly redis: Redis;
  /** MONITOR's feed of every command the server runs (only with `{ monitor: true }`). */
  readonly monitored: Redis;
  /** A JobStore under a prefix of its own: its own rv counter, change stream and keys. */
  newStore(limits?: StoreLimits): JobStore;
}

export function scratchStore(opts: { monitor?: boolean } = {}): ScratchStore {
  let server: EmbeddedRedis | undefined;
  let redis: Redis | undefined;
  let monitoring: Redis | undefined;
  let monitored: Redis | undefined;
  const filePrefix = `t${randomUUID().slice(0, 8)}`;
  let seq = 0;

  beforeAll(async () => {
    server = await startScratchRedis();
    redis = new Redis(server.url);
    if (opts.monitor) {
      monitoring = new Redis(server.url);
      monitored = await monitoring.monitor();
    }
  });
  afterAll(async () => {
    monitored?.disconnect();
    monitoring?.disconnect();
    redis?.disconnect();
    await server?.stop();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`scratchStore: ${what} used before its beforeAll ran${what === 'monitored' ? ' (or without { monitor: true })' : ''}`);
    return value;
  };
  return {
    get url() {
      return started(server, 'url').url;
    },
    get redis() {
      return started(redis, 'redis');
    },
    get monitored() {
      return started(monitored, 'monitored');
    },
    newStore(limits = {}) {
      return new JobStore(started(redis, 'redis'), `${filePrefix}-${++seq}`, limits);
    },
  };
}
