/**
 * The controllers' Redis tests' shared set-up (not exported from the index): one scratch
 * redis-server per test file and deployments (Clusters) on it, each under a key prefix of its own.
 * It registers its own vitest hooks, so a test file only calls it once at the top level.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startScratchRedis, type EmbeddedRedis, type JobStore } from '@jobfleet/store';
import { NO_DELAYS } from '@jobfleet/testing';
import { Cluster, type ClusterOptions } from './cluster.js';

export interface ScratchCluster {
  /** The scratch redis-server's URL. */
  readonly url: string;
  /** A connection to it (the file's deployment's), to look at keys as Redis stores them. */
  readonly redis: JobStore['redis'];
  /** The file's deployment (zero delays), made on first use and closed after the file's last test. */
  readonly cluster: Cluster;
  /** The file's deployment's store. */
  readonly store: JobStore;
  /**
   * Another deployment on the same server (zero delays and a prefix of its own unless given),
   * closed after the test: a prefix shared with another one plays a second process.
   */
  newCluster(opts?: Omit<ClusterOptions, 'redisUrl'>): Cluster;
}

export function scratchCluster(): ScratchCluster {
  let server: EmbeddedRedis | undefined;
  let main: Cluster | undefined;
  const filePrefix = `t${randomUUID().slice(0, 8)}`;
  let seq = 0;
  const perTest: Cluster[] = [];

  const started = (): EmbeddedRedis => {
    if (!server) throw new Error('scratchCluster: used before its beforeAll ran');
    return server;
  };
  const make = (opts: Omit<ClusterOptions, 'redisUrl'> = {}): Cluster =>
    new Cluster({ ...opts, redisUrl: started().url, prefix: opts.prefix ?? `${filePrefix}-${++seq}`, delays: opts.delays ?? NO_DELAYS });

  beforeAll(async () => {
    server = await startScratchRedis();
  });
  afterEach(async () => {
    while (perTest.length > 0) await perTest.pop()?.close();
  });
  afterAll(async () => {
    await main?.close();
    await server?.stop();
  });

  return {
    get url() {
      return started().url;
    },
    get redis() {
      return this.cluster.store.redis;
    },
    get cluster() {
      main ??= make();
      return main;
    },
    get store() {
      return this.cluster.store;
    },
    newCluster(opts = {}) {
      const cluster = make(opts);
      perTest.push(cluster);
      return cluster;
    },
  };
}
