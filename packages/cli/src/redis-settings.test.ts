import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isJobfleetVersion } from './commands/run.js';
import { UsageError } from './errors.js';
import { isLoopbackHost, redactUrl, REDIS_WAIT_TIMEOUT_MS, redisSettings, redisStartHint, redisWarning } from './redis-settings.js';
import { allowPrivileged } from './role-options.js';

const dir = mkdtempSync(join(tmpdir(), 'jobfleet-redis-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pem = (name: string) => {
  const file = join(dir, name);
  writeFileSync(file, `-----BEGIN ${name}-----\n`);
  return file;
};

describe('redactUrl: no password in any message', () => {
  it.each([
    { url: 'redis://:s3cret@10.0.0.5:6379', want: 'redis://:***@10.0.0.5:6379' },
    { url: 'rediss://alice:s3cret@redis.example:6380/2', want: 'rediss://alice:***@redis.example:6380/2' },
    { url: 'redis://alice@h:1', want: 'redis://alice@h:1' },
    { url: 'redis://127.0.0.1:6379', want: 'redis://127.0.0.1:6379' },
    { url: 'not a url s3cret', want: '(an unparsable URL)' },
  ])('$url', ({ url, want }) => {
    expect(redactUrl(url)).toBe(want);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['0.0.0.0', false],
    ['redis', false],
    ['127.0.0.1.nip.io', false],
    ['[::]', false],
  ])('%s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });
});

describe('redisWarning: one line for a Redis off loopback without a password', () => {
  it.each([
    { name: 'loopback, no password', url: 'redis://127.0.0.1:6379', connection: {}, warns: false },
    { name: 'remote, no password', url: 'redis://10.0.0.5:6379', connection: {}, warns: true },
    { name: 'remote, TLS, no password', url: 'rediss://redis.internal:6380', connection: {}, warns: true },
    { name: 'remote, password in the URL', url: 'redis://:pw@10.0.0.5:6379', connection: {}, warns: false },
    { name: 'remote, password from REDIS_PASSWORD', url: 'redis://10.0.0.5:6379', connection: { password: 'pw' }, warns: false },
    { name: 'remote, ACL user and password in the URL', url: 'redis://alice:pw@10.0.0.5:6379', connection: {}, warns: false },
    { name: 'remote, a user but no password', url: 'redis://alice@10.0.0.5:6379', connection: {}, warns: true },
    { name: 'sentinels on loopback, no password', url: 'redis+sentinel://127.0.0.1:26379,localhost:26380/m', connection: {}, warns: false },
    { name: 'one sentinel off loopback, no password', url: 'redis+sentinel://127.0.0.1:26379,10.0.0.6:26379/m', connection: {}, warns: true },
    { name: 'sentinels off loopback, password in the URL', url: 'redis+sentinel://:pw@10.0.0.6:26379/m', connection: {}, warns: false },
  ])('$name', ({ url, connection, warns }) => {
    const warning = redisWarning({ url, connection });
    if (!warns) return expect(warning).toBeUndefined();
    expect(warning).toMatch(/^warning: Redis at \S+ is not on loopback and is used without a password/);
    expect(warning).not.toContain('\n');
    expect(warning?.includes('without TLS')).toBe(!url.startsWith('rediss://'));
  });
});

describe('redisStartHint: what to do, from the error', () => {
  it.each([
    { reason: 'WRONGPASS invalid username-password pair or user is disabled.', hint: 'check the password' },
    { reason: 'NOAUTH Authentication required.', hint: 'check the password' },
    { reason: 'self-signed certificate in certificate chain', hint: 'check the URL\'s scheme (rediss:// for TLS) and the CA' },
    { reason: 'unable to verify the first certificate', hint: 'and the CA' },
    { reason: 'connect ECONNREFUSED 127.0.0.1:6379', hint: 'start it or set REDIS_URL' },
    { reason: 'All sentinels are unreachable. Retrying from scratch after 10ms. Last error: Connection is closed.', hint: 'check that the sentinels the URL lists run' },
  ])('$reason', ({ reason, hint }) => {
    expect(redisStartHint(reason)).toContain(hint);
  });
});

describe('redisSettings: flags and REDIS_PASSWORD into one connection setting', () => {
  it('takes the password from REDIS_PASSWORD and the user from --redis-username', () => {
    expect(redisSettings({ redisUrl: 'redis://10.0.0.5:6379', redisUsername: 'alice' }, { REDIS_PASSWORD: 'pw' })).toEqual({
      url: 'redis://10.0.0.5:6379',
      connection: { username: 'alice', password: 'pw' },
    });
  });

  it('reads the TLS files for a rediss:// URL', () => {
    const settings = redisSettings({ redisUrl: 'rediss://h:6380', redisCaFile: pem('CA'), redisCertFile: pem('CERT'), redisKeyFile: pem('KEY') }, {});
    expect(settings?.connection.tls?.ca?.toString()).toBe('-----BEGIN CA-----\n');
    expect(settings?.connection.tls?.cert?.toString()).toBe('-----BEGIN CERT-----\n');
    expect(settings?.connection.tls?.key?.toString()).toBe('-----BEGIN KEY-----\n');
  });

  it('is undefined without a URL (up embeds a Redis)', () => {
    expect(redisSettings({}, { REDIS_PASSWORD: 'pw' })).toBeUndefined();
  });

  it.each([
    { name: 'a CA with redis://', flags: { redisUrl: 'redis://h:1', redisCaFile: 'ca.crt' }, message: 'need a rediss:// URL' },
    { name: 'a certificate without its key', flags: { redisUrl: 'rediss://h:1', redisCertFile: 'c.crt' }, message: '--redis-cert-file and --redis-key-file go together' },
    { name: 'TLS files without a URL', flags: { redisCaFile: 'ca.crt' }, message: 'need --redis-url' },
    { name: 'another scheme', flags: { redisUrl: 'http://h:1' }, message: 'must be a redis:// or rediss:// URL' },
    { name: 'not a URL', flags: { redisUrl: 'h:1 x' }, message: 'must be a redis:// or rediss:// URL' },
  ])('$name is a usage error', ({ flags, message }) => {
    expect(() => redisSettings(flags, {})).toThrow(UsageError);
    expect(() => redisSettings(flags, {})).toThrow(message);
  });

  it('takes a Sentinel set: the sentinels get REDIS_SENTINEL_PASSWORD, writes wait for --redis-wait-replicas', () => {
    const url = 'redis+sentinel://s1:26379,s2:26380/jobs';
    expect(redisSettings({ redisUrl: url, redisWaitReplicas: 1 }, { REDIS_PASSWORD: 'pw', REDIS_SENTINEL_PASSWORD: 'spw' })).toEqual({
      url,
      connection: { password: 'pw', sentinelPassword: 'spw', durability: { replicas: 1, timeoutMs: REDIS_WAIT_TIMEOUT_MS } },
    });
    expect(redisSettings({ redisUrl: url, redisWaitReplicas: 0 }, {})).toEqual({ url, connection: {} });
  });

  it('through Sentinel, writes wait for one replica unless --redis-wait-replicas says otherwise; a single Redis waits for none', () => {
    const durability = (replicas: number) => ({ durability: { replicas, timeoutMs: REDIS_WAIT_TIMEOUT_MS } });
    expect(redisSettings({ redisUrl: 'redis+sentinel://s1:26379/jobs' }, {})?.connection).toEqual(durability(1));
    expect(redisSettings({ redisUrl: 'redis+sentinel://s1:26379/jobs', redisWaitReplicas: 2 }, {})?.connection).toEqual(durability(2));
    expect(redisSettings({ redisUrl: 'redis+sentinel://s1:26379/jobs', redisWaitReplicas: 0 }, {})?.connection).toEqual({});
    expect(redisSettings({ redisUrl: 'redis://h:6379' }, {})?.connection).toEqual({});
  });

  it.each([
    { name: 'a Sentinel URL without the master name', flags: { redisUrl: 'redis+sentinel://:s3cret@s1:26379' }, message: /^--redis-url \(REDIS_URL\): a Sentinel URL must end with the master's name.*redis\+sentinel:\/\/:\*\*\*@s1:26379$/ },
    { name: 'TLS files with a Sentinel URL', flags: { redisUrl: 'redis+sentinel://s1/m', redisCaFile: 'ca.crt' }, message: /need a rediss:\/\/ URL/ },
    { name: '--redis-wait-replicas without a URL', flags: { redisWaitReplicas: 1 }, message: /need --redis-url/ },
  ])('$name is a usage error of one line', ({ flags, message }) => {
    expect(() => redisSettings(flags, {})).toThrow(UsageError);
    expect(() => redisSettings(flags, {})).toThrow(message);
  });

  it('a usage error never shows the password of the URL', () => {
    expect(() => redisSettings({ redisUrl: 'redis://:s3cret@h:1', redisCaFile: 'ca.crt' }, {})).toThrow('redis://:***@h:1');
  });
});

describe('allowPrivileged: --allow-privileged, else JOBFLEET_ALLOW_PRIVILEGED', () => {
  it.each([
    { flag: true, env: undefined, want: true },
    { flag: undefined, env: undefined, want: false },
    { flag: undefined, env: 'true', want: true },
    { flag: undefined, env: '1', want: true },
    { flag: undefined, env: 'false', want: false },
    { flag: undefined, env: ' FALSE ', want: false },
  ])('flag $flag, env $env → $want', ({ flag, env, want }) => {
    expect(allowPrivileged(flag, { JOBFLEET_ALLOW_PRIVILEGED: env })).toBe(want);
  });

  it('refuses a value it cannot read', () => {
    expect(() => allowPrivileged(undefined, { JOBFLEET_ALLOW_PRIVILEGED: 'yes please' })).toThrow(UsageError);
  });
});

describe("isJobfleetVersion: run follows only a jobfleet API's /version", () => {
  const jobfleet = JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0-jobfleet', compiler: 'jobfleet' });
  it.each([
    { name: "jobfleet's /version", status: 200, body: jobfleet, want: true },
    { name: "a Kubernetes API server's", status: 200, body: JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0', compiler: 'gc' }), want: false },
    { name: 'an HTML page', status: 200, body: '<html>hello</html>', want: false },
    { name: 'a 404', status: 404, body: jobfleet, want: false },
    { name: 'a 401 (a token-protected server of something else)', status: 401, body: '{}', want: false },
    { name: 'JSON that is not an object', status: 200, body: 'null', want: false },
  ])('$name → $want', ({ status, body, want }) => {
    expect(isJobfleetVersion(status, body)).toBe(want);
  });
});
