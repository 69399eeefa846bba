import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';

export interface EmbeddedRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** Port to listen on; a free one when unset. */
  port?: number;
  /** Append-only file on (default): a restart loses no Job and no count. */
  persistence?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined); // not listening yet: the loop tries again
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server did not answer within ${timeoutMs} ms`);
}

/**
 * Starts a private redis-server on loopback with its data under `dir`, with the settings jobfleet
 * requires (maxmemory-policy noeviction, appendonly yes). Needs the `redis-server` binary
 * (Debian package redis-server; `npm run setup` installs it).
 */
export async function startEmbeddedRedis(dir: string, options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const dataDir = resolve(dir);
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--maxmemory-policy', 'noeviction', '--save', ''];
  args.push('--appendonly', options.persistence === false ? 'no' : 'yes', '--protected-mode', 'yes', '--loglevel', 'warning');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`cannot start redis-server (${err.message}); install it with "npm run setup" or set REDIS_URL`))),
  );
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([waitForPing(url, child, 10_000), failed]);
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** An embedded redis-server with throwaway data (a temporary folder, no AOF), gone with `stop()`: for tests. */
export async function startScratchRedis(): Promise<EmbeddedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-redis-'));
  const redis = await startEmbeddedRedis(dir, { persistence: false });
  return {
    ...redis,
    stop: async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
