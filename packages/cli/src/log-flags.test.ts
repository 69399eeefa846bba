/**
 * --log-level and --log-format of the roles, on the built binary (dist/bin.js, so build first) against a
 * real redis-server: the lines go to stderr, stdout keeps only the command's own line.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedRedis, type EmbeddedRedis } from '@jobfleet/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const TOKEN = 's3cret-token-value';

let redis: EmbeddedRedis;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-logs-'));
  redis = await startEmbeddedRedis(dir, { requirePassword: true, persistence: false });
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The password in the URL itself: what a start line must not show. */
const redisUrl = () => `redis://:${redis.password}@127.0.0.1:${redis.port}`;

interface Role {
  child: ChildProcessWithoutNullStreams;
  url: Promise<string>;
  stderr: () => string;
  stdout: () => string;
}

function startApi(args: string[], env: Record<string, string | undefined> = {}): Role {
  const child = spawn(process.execPath, [BIN, 'api', '--redis-url', redisUrl(), '--port', '0', '--token', TOKEN, ...args], {
    env: { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined, JOBFLEET_LOG_LEVEL: undefined, JOBFLEET_LOG_FORMAT: undefined, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const found = /listening on (http:\/\/\S+)/.exec(stdout);
      if (found?.[1]) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`jobfleet api exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, stdout: () => stdout };
}

async function stop(role: Role): Promise<void> {
  const exited = new Promise((resolve) => role.child.once('exit', resolve));
  role.child.kill('SIGTERM');
  await exited;
}

describe('jobfleet api --log-format json --log-level debug', () => {
  it('writes JSON lines to stderr: a line per request with level, msg and req; secrets never', async () => {
    const role = startApi(['--log-format', 'json', '--log-level', 'debug']);
    try {
      const url = await role.url;
      const headers = { authorization: `Bearer ${TOKEN}` };
      expect((await fetch(`${url}/apis/batch/v1/namespaces/default/jobs/absent`, { headers })).status).toBe(404);
      expect((await fetch(`${url}/apis/batch/v1/namespaces/default/jobs`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      await expect.poll(() => role.stderr().split('\n').filter((l) => l.includes('"msg":"request"')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    } finally {
      await stop(role);
    }
    const lines = role.stderr().split('\n').filter((l) => l.startsWith('{'));
    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; req?: { method: string; url: string }; res?: { statusCode: number }; url?: string; redis?: string });
    // Every JSON-looking line is a whole record with a numeric level and a message.
    for (const r of records) {
      expect(typeof r.level).toBe('number');
      expect(typeof r.msg).toBe('string');
    }
    const requests = records.filter((r) => r.msg === 'request');
    expect(requests.every((r) => r.level === 20)).toBe(true); // debug
    expect(requests.find((r) => r.res?.statusCode === 404)?.req).toMatchObject({ method: 'GET', url: '/apis/batch/v1/namespaces/default/jobs/absent' });
    expect(requests.some((r) => r.res?.statusCode === 401)).toBe(true);
    const started = records.find((r) => r.msg.startsWith('API server started'));
    expect(started?.level).toBe(30);
    expect(started?.redis).toBe(`redis://:***@127.0.0.1:${redis.port}`);
    expect(records.some((r) => r.msg === 'API server stopped')).toBe(true);
    expect(role.stderr()).not.toContain(TOKEN);
    expect(role.stderr()).not.toContain(redis.password);
    // stdout is the command's own line, no log lines.
    expect(role.stdout()).not.toContain('{');
  });
});

describe('JOBFLEET_LOG_FORMAT and JOBFLEET_LOG_LEVEL', () => {
  it('text lines at info from the environment: no JSON, no request lines', async () => {
    const role = startApi([], { JOBFLEET_LOG_FORMAT: 'text', JOBFLEET_LOG_LEVEL: 'info' });
    try {
      const url = await role.url;
      await fetch(`${url}/version`);
    } finally {
      await stop(role);
    }
    const out = role.stderr();
    expect(out).toMatch(/INFO.*API server started on http:\/\/127\.0\.0\.1:\d+/);
    expect(out).not.toMatch(/^\{/m);
    expect(out).not.toContain('"msg":"request"');
    expect(out).not.toMatch(/DEBUG/);
  });

  it('a flag wins over the environment; a level not listed is refused', async () => {
    const role = startApi(['--log-level', 'warn'], { JOBFLEET_LOG_LEVEL: 'debug', JOBFLEET_LOG_FORMAT: 'json' });
    try {
      await role.url;
    } finally {
      await stop(role);
    }
    expect(role.stderr()).not.toContain('API server started'); // info, below warn
    const refused = spawn(process.execPath, [BIN, 'api', '--redis-url', redisUrl(), '--log-level', 'verbose']);
    let stderr = '';
    refused.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => refused.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain('verbose');
    expect(stderr).toContain('trace, debug, info, warn, error, silent');
  });
});
