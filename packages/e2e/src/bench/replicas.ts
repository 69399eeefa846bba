/**
 * `npm run bench -- --redis-wait-replicas=N`: the benchmark's Redis gets N replicas (redis-server
 * --replicaof, on loopback), and the fleets it starts write as `jobfleet … --redis-wait-replicas N` does
 * (every commit waits for N replicas: WAIT N). Measures what the durability a Sentinel set wants costs.
 * `--redis-replicas=N`: the replicas alone, nothing waits for them (the A side of that comparison: on a
 * small machine the replica's own CPU is part of what changes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { RedisConnectionOptions } from '@jobfleet/store';
import { progress, sleep } from './util.js';
import { freePort } from '@jobfleet/store';

/** The connection options of the fleets on each benchmark Redis URL (none: a plain single Redis). */
const connections = new Map<string, RedisConnectionOptions>();

export function benchConnection(redisUrl: string): RedisConnectionOptions | undefined {
  return connections.get(redisUrl);
}


/** Starts `count` replicas of the Redis at `url` and waits until they are in sync; resolves with their stop. */
export async function attachReplicas(url: string, admin: Redis, count: number, wait = true): Promise<() => Promise<void>> {
  const primary = new URL(url);
  const password = decodeURIComponent(primary.password);
  const children: ChildProcess[] = [];
  // A replica writes the snapshot it syncs from to its folder: a temp one, not the working directory.
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-bench-replicas-'));
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const auth = password ? ['--masterauth', password] : [];
    children.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `replica-${port}.rdb`, '--save', '', '--appendonly', 'no', '--replicaof', primary.hostname, primary.port, ...auth], { stdio: 'ignore' }));
  }
  for (let i = 0; (await admin.wait(count, 100)) < count; i++) {
    if (i > 300) throw new Error(`the benchmark's ${count} Redis replica(s) did not sync within 30 s`);
    await sleep(100);
  }
  if (wait) connections.set(url, { durability: { replicas: count, timeoutMs: 1_000 } });
  progress(`Redis with ${count} replica(s); ${wait ? `every write waits for them (WAIT ${count})` : 'no write waits for them'}`);
  return async () => {
    connections.delete(url);
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
}
