import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';

let dir: string;
const running: EmbeddedRedis[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-embedded-'));
});
afterEach(async () => {
  for (const redis of running.splice(0)) await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startEmbeddedRedis>[1] = {}): Promise<EmbeddedRedis> {
  const redis = await startEmbeddedRedis(dir, { persistence: false, ...options });
  running.push(redis);
  return redis;
}

/** A pid that no process has any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('the data folder lock', () => {
  it('a second Redis on a folder in use is refused, naming the process; stop() frees the folder', async () => {
    const first = await start();
    await expect(startEmbeddedRedis(dir, { persistence: false })).rejects.toThrow(DataDirLockedError);
    await expect(startEmbeddedRedis(dir, { persistence: false })).rejects.toThrow(`the data folder ${dir} is in use by jobfleet process ${process.pid}`);
    await first.stop();
    expect(existsSync(join(dir, 'jobfleet.lock'))).toBe(false);
    await start(); // the folder is free again
  });

  it.each([
    { name: 'of a dead process', content: () => JSON.stringify({ pid: deadPid() }) },
    { name: 'left half-written', content: () => '{"pi' },
  ])('a lock $name is taken over', async ({ content }) => {
    writeFileSync(join(dir, 'jobfleet.lock'), content());
    await start();
    expect(JSON.parse(readFileSync(join(dir, 'jobfleet.lock'), 'utf8'))).toEqual({ pid: process.pid });
  });
});

describe('requirePassword', () => {
  it('the server refuses a client without the password; the password is made once, kept 0600, never on the command line', async () => {
    const redis = await start({ requirePassword: true });
    expect(redis.password).toMatch(/^[0-9a-f]{48}$/);
    const anonymous = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    anonymous.on('error', () => undefined);
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    const client = new Redis(redis.url, { password: redis.password });
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    expect(statSync(join(dir, 'redis.conf')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const commandLines = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    expect(commandLines).not.toContain(redis.password);

    const { password } = redis;
    await redis.stop();
    expect((await start({ requirePassword: true })).password).toBe(password);
  });
});

describe('the settings', () => {
  it('never evicts, and keeps a finished pod (a hash with a ~300-byte value and its short log) as one listpack', async () => {
    const redis = await start();
    const client = new Redis(redis.url);
    try {
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      await client.hset('pod', 'rv', '1', 'obj', 'Z1:' + 'a'.repeat(300), 'p', 'Succeeded', 'l', 'JFL1\n1-0 1 c stdout 3\nok\n');
      // Redis' default (64 bytes a value) would make it a hash table, ~300 B more per pod.
      expect(await client.object('ENCODING', 'pod')).toBe('listpack');
      await client.hset('big', 'obj', 'a'.repeat(1025));
      expect(await client.object('ENCODING', 'big')).toBe('hashtable');
    } finally {
      client.disconnect();
    }
  });
});
