/**
 * Redis AUTH and TLS for every role (finding 2), with the real CLI against real redis-servers: one with
 * a password for the default user and an ACL user, one that speaks only TLS and asks for a client
 * certificate (certificates made with openssl here). Every role starts, a Job completes, no password
 * is ever printed; a wrong setting stops a role at start with one line naming the problem, exit 1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobfleet, killGroup, quickJob, removeContainersOfJob, startJobfleet, type JobfleetProcess } from './jobfleet-process.js';
import { freePort } from '@jobfleet/store';

const PASSWORD = `pw-${randomUUID()}`;
const ALICE_PASSWORD = `alice-${randomUUID()}`;
const TLS_PASSWORD = `tls-${randomUUID()}`;
/** The key prefix of the fleet that the ACL user alice is confined to (keys `P:*`, BullMQ's `Pq:*`, channels `P:*`). */
const ACL_PREFIX = `tacl${randomUUID().slice(0, 6)}`;

let dir: string;
let plainPort: number;
let tlsPort: number;
const servers: ChildProcess[] = [];
const jobs: string[] = [];
const roles: JobfleetProcess[] = [];


function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=jobfleet-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'jobfleet-worker'}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  }
}

async function startRedisServer(args: string[], probe: () => Redis): Promise<void> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dir, ...args], { stdio: 'ignore' });
  servers.push(child);
  for (let i = 0; i < 100; i++) {
    const client = probe();
    client.on('error', () => undefined);
    const ok = await client.ping().then(() => true, () => false);
    client.disconnect();
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server ${args.join(' ')} did not start`);
}

const file = (name: string) => join(dir, name);
const noRetry = { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false } as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-hostile-redis-auth-'));
  makeCertificates();
  plainPort = await freePort();
  await startRedisServer(['--port', String(plainPort), '--requirepass', PASSWORD, '--user', 'alice', 'on', `>${ALICE_PASSWORD}`, `~${ACL_PREFIX}:*`, `~${ACL_PREFIX}q:*`, `&${ACL_PREFIX}:*`, '+@all'], () => new Redis(plainPort, '127.0.0.1', { ...noRetry, password: PASSWORD }));
  tlsPort = await freePort();
  const tls = ['--tls-cert-file', file('server.crt'), '--tls-key-file', file('server.key'), '--tls-ca-cert-file', file('ca.crt'), '--tls-auth-clients', 'yes'];
  await startRedisServer(['--port', '0', '--tls-port', String(tlsPort), ...tls, '--requirepass', TLS_PASSWORD], () =>
    new Redis(`rediss://127.0.0.1:${tlsPort}`, { ...noRetry, password: TLS_PASSWORD, tls: { ca: readFileSync(file('ca.crt')), cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) } }),
  );
});

afterAll(async () => {
  for (const role of roles) killGroup(role.child, 'SIGKILL');
  for (const name of jobs) await removeContainersOfJob(name);
  for (const server of servers) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a role and waits for its start line. */
async function role(args: string[], env: Record<string, string>, started: RegExp): Promise<JobfleetProcess> {
  const p = startJobfleet(args, { env: { JOBFLEET_REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`, ...env } });
  roles.push(p);
  await p.waitFor(started, 30_000);
  return p;
}

/** Runs a quick Job through the API at `server`; expects it to complete. */
async function jobCompletes(server: string): Promise<void> {
  const name = `hostile-auth-${randomUUID().slice(0, 8)}`;
  jobs.push(name);
  const run = await jobfleet(['--server', server, 'run', '-f', '-'], { input: quickJob(name) });
  expect({ code: run.code, stdout: run.stdout, stderr: run.stderr.split('\n').filter((l) => l.startsWith('error')) }).toEqual({ code: 0, stdout: 'done\n', stderr: [] });
}

/** Stops the roles gracefully (SIGTERM): each exits 0; what they printed never holds a password. */
async function stopAll(started: JobfleetProcess[]): Promise<void> {
  for (const p of started) killGroup(p.child, 'SIGTERM');
  for (const p of started) {
    expect(await p.exited).toEqual({ code: 0, signal: null });
    for (const secret of [PASSWORD, ALICE_PASSWORD, TLS_PASSWORD]) expect(p.stdout() + p.stderr()).not.toContain(secret);
  }
}

const node = () => `hostile-auth-${randomUUID().slice(0, 8)}`;

describe('every role on a Redis that requires a password', () => {
  it('api, worker and janitor as separate processes, the password from REDIS_PASSWORD: a Job completes', async () => {
    const url = `redis://127.0.0.1:${plainPort}`;
    const env = { REDIS_PASSWORD: PASSWORD, JOBFLEET_REDIS_PREFIX: `t${randomUUID().slice(0, 8)}` };
    const api = await role(['api', '--port', '0', '--redis-url', url], env, /listening on (http:\/\/\S+)/);
    const worker = await role(['worker', '--node-name', node(), '--redis-url', url], env, /^jobfleet worker \S+ started/m);
    const janitor = await role(['janitor', '--redis-url', url], env, /^jobfleet janitor started/m);
    await jobCompletes((await api.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '');
    await stopAll([api, worker, janitor]);
  });

  it('up with an ACL user confined to its prefix (--redis-username, REDIS_PASSWORD): a Job completes and every connection is that user', async () => {
    const args = ['up', '--port', '0', '--node-name', node(), '--redis-url', `redis://127.0.0.1:${plainPort}`, '--redis-username', 'alice'];
    const up = await role(args, { REDIS_PASSWORD: ALICE_PASSWORD, JOBFLEET_REDIS_PREFIX: ACL_PREFIX }, /jobfleet is up: API (\S+),/);
    await jobCompletes((await up.waitFor(/jobfleet is up: API (\S+),/))[1] ?? '');
    const admin = new Redis(plainPort, '127.0.0.1', { ...noRetry, password: PASSWORD });
    const clients = (await admin.client('LIST')) as string;
    admin.disconnect();
    const users = clients
      .trim()
      .split('\n')
      .map((line) => /\buser=(\S+)/.exec(line)?.[1])
      .filter((user) => user !== 'default'); // this check's own connection (and a role of another test, if any)
    expect(users.length).toBeGreaterThanOrEqual(4); // store, change feed, BullMQ's and their blocking duplicates
    expect(new Set(users)).toEqual(new Set(['alice']));
    await stopAll([up]);
  });
});

describe('every role on a Redis that speaks only TLS and asks for a client certificate', () => {
  it('rediss:// with the password in the URL, --redis-ca-file, --redis-cert-file, --redis-key-file: a Job completes; the URL is printed redacted', async () => {
    const url = `rediss://:${TLS_PASSWORD}@127.0.0.1:${tlsPort}`;
    const tls = ['--redis-url', url, '--redis-ca-file', file('ca.crt'), '--redis-cert-file', file('client.crt'), '--redis-key-file', file('client.key')];
    const env = { JOBFLEET_REDIS_PREFIX: `t${randomUUID().slice(0, 8)}` };
    const api = await role(['api', '--port', '0', ...tls], env, /listening on (http:\/\/\S+)/);
    const worker = await role(['worker', '--node-name', node(), ...tls], env, /^jobfleet worker \S+ started/m);
    const janitor = await role(['janitor', ...tls], env, /^jobfleet janitor started/m);
    expect(janitor.stdout()).toBe(`jobfleet janitor started (Redis rediss://:***@127.0.0.1:${tlsPort})\n`);
    await jobCompletes((await api.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '');
    await stopAll([api, worker, janitor]);
  });
});

describe('a wrong Redis setting stops a role at start: one line naming the problem, exit 1', () => {
  const hint = 'check the password (REDIS_PASSWORD or the URL) and the user (--redis-username, REDIS_USERNAME)';
  it.each([
    {
      name: 'worker, a wrong REDIS_PASSWORD',
      args: () => ['worker', '--node-name', node(), '--redis-url', `redis://127.0.0.1:${plainPort}`],
      env: { REDIS_PASSWORD: 'not-the-password-1' },
      line: () => `error: cannot reach Redis at redis://127.0.0.1:${plainPort}: WRONGPASS invalid username-password pair or user is disabled.; ${hint}`,
    },
    {
      name: 'api, no password at all',
      args: () => ['api', '--port', '0', '--redis-url', `redis://127.0.0.1:${plainPort}`],
      env: {},
      line: () => `error: cannot reach Redis at redis://127.0.0.1:${plainPort}: NOAUTH Authentication required.; ${hint}`,
    },
    {
      name: 'janitor, an ACL user with a wrong password in the URL (printed redacted)',
      args: () => ['janitor', '--redis-url', `redis://alice:not-the-password-2@127.0.0.1:${plainPort}`],
      env: {},
      line: () => `error: cannot reach Redis at redis://alice:***@127.0.0.1:${plainPort}: WRONGPASS invalid username-password pair or user is disabled.; ${hint}`,
    },
    {
      name: 'up, TLS without the CA that signed the server',
      args: () => ['up', '--port', '0', '--node-name', node(), '--redis-url', `rediss://:${TLS_PASSWORD}@127.0.0.1:${tlsPort}`],
      env: {},
      line: () => `error: cannot reach Redis at rediss://:***@127.0.0.1:${tlsPort}: self-signed certificate in certificate chain; check the URL's scheme (rediss:// for TLS) and the CA (--redis-ca-file, REDIS_CA_FILE)`,
    },
  ])('$name', async ({ args, env, line }) => {
    const result = await jobfleet(args(), { env, timeoutMs: 30_000 });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${line()}\n` });
  });
});
