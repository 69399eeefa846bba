import { describe, expect, it } from 'vitest';
import { KUBERNETES_DELAYS } from '@jobfleet/kube';
import { delaysFromEnv, roleOptionsFromEnv, roleSettings } from './settings.js';

describe('roleSettings: the roles settings from the environment, passed down as options', () => {
  it('leaves every unset variable out, so that the library default applies', () => {
    expect(roleSettings({})).toStrictEqual({ limits: {}, delays: KUBERNETES_DELAYS, nodeTimings: {} });
  });

  it('reads each variable under its documented name', () => {
    const env = {
      JOBFLEET_REDIS_PREFIX: 'fleet2',
      JOBFLEET_MAX_OBJECT_BYTES: '2048',
      JOBFLEET_CHANGES_MAX_BYTES: '4096',
      JOBFLEET_POD_BACKOFF_BASE_MS: '5',
      JOBFLEET_RESTART_BACKOFF_MAX_MS: '7',
      JOBFLEET_NODE_GRACE_MS: '3000',
      JOBFLEET_POD_EVICTION_MS: '0',
      JOBFLEET_WATCH_BUFFER_BYTES: '1024',
    };
    expect(roleSettings(env)).toStrictEqual({
      prefix: 'fleet2',
      limits: { maxObjectBytes: 2048, changesMaxBytes: 4096 },
      delays: { ...KUBERNETES_DELAYS, podFailureBackoffBaseMs: 5, containerRestartBackoffMaxMs: 7 },
      nodeTimings: { graceMs: 3000, evictionMs: 0 },
      watchBufferBytes: 1024,
    });
  });

  it.each([
    { env: { JOBFLEET_MAX_OBJECT_BYTES: '0' }, message: 'JOBFLEET_MAX_OBJECT_BYTES must be a positive integer, got "0"' },
    { env: { JOBFLEET_WATCH_BUFFER_BYTES: '1.5' }, message: 'JOBFLEET_WATCH_BUFFER_BYTES must be a positive integer, got "1.5"' },
    { env: { JOBFLEET_NODE_GRACE_MS: '-1' }, message: 'JOBFLEET_NODE_GRACE_MS must be a number of milliseconds ≥ 0, got "-1"' },
    { env: { JOBFLEET_POD_BACKOFF_MAX_MS: 'ten' }, message: 'JOBFLEET_POD_BACKOFF_MAX_MS must be a number of milliseconds ≥ 0, got "ten"' },
  ])('a bad value stops the role, naming the variable: $message', ({ env, message }) => {
    expect(() => roleSettings(env)).toThrow(message);
  });

  // Moved from the store's change-bounds test: the CLI reads the limits and passes them as StoreLimits.
  it('the limits come from JOBFLEET_MAX_OBJECT_BYTES and JOBFLEET_CHANGES_MAX_BYTES; a bad value stops at once', () => {
    const { limits } = roleSettings({ JOBFLEET_MAX_OBJECT_BYTES: '12345', JOBFLEET_CHANGES_MAX_BYTES: '67890' });
    expect([limits.maxObjectBytes, limits.changesMaxBytes]).toStrictEqual([12345, 67890]);
    expect(() => roleSettings({ JOBFLEET_MAX_OBJECT_BYTES: '12345', JOBFLEET_CHANGES_MAX_BYTES: '64MB' })).toThrow('JOBFLEET_CHANGES_MAX_BYTES must be a positive integer, got "64MB"');
  });

  it('reads process.env by default', () => {
    const saved = process.env.JOBFLEET_REDIS_PREFIX;
    process.env.JOBFLEET_REDIS_PREFIX = 'from-env';
    try {
      expect(roleSettings().prefix).toBe('from-env');
    } finally {
      if (saved === undefined) delete process.env.JOBFLEET_REDIS_PREFIX;
      else process.env.JOBFLEET_REDIS_PREFIX = saved;
    }
  });
});

// Moved from @jobfleet/kube (controller/backoff.test.ts) with delaysFromEnv: the CLI reads the environment.
describe('delaysFromEnv', () => {
  it('Kubernetes values without any variable', () => {
    expect(delaysFromEnv({})).toStrictEqual(KUBERNETES_DELAYS);
    expect(KUBERNETES_DELAYS).toStrictEqual({
      podFailureBackoffBaseMs: 10_000,
      podFailureBackoffMaxMs: 360_000,
      containerRestartBackoffBaseMs: 10_000,
      containerRestartBackoffMaxMs: 300_000,
    });
  });

  it.each<{ name: string; env: Record<string, string | undefined>; want: Partial<typeof KUBERNETES_DELAYS> }>([
    {
      name: 'every variable',
      env: {
        JOBFLEET_POD_BACKOFF_BASE_MS: '200',
        JOBFLEET_POD_BACKOFF_MAX_MS: '1000',
        JOBFLEET_RESTART_BACKOFF_BASE_MS: '300',
        JOBFLEET_RESTART_BACKOFF_MAX_MS: '4000',
      },
      want: { podFailureBackoffBaseMs: 200, podFailureBackoffMaxMs: 1_000, containerRestartBackoffBaseMs: 300, containerRestartBackoffMaxMs: 4_000 },
    },
    { name: 'one variable, the rest default', env: { JOBFLEET_POD_BACKOFF_BASE_MS: '5' }, want: { podFailureBackoffBaseMs: 5, podFailureBackoffMaxMs: 360_000 } },
    { name: 'empty means unset', env: { JOBFLEET_POD_BACKOFF_MAX_MS: '' }, want: { podFailureBackoffMaxMs: 360_000 } },
    { name: 'zero is allowed', env: { JOBFLEET_RESTART_BACKOFF_BASE_MS: '0' }, want: { containerRestartBackoffBaseMs: 0 } },
    { name: 'fractional ms are kept', env: { JOBFLEET_RESTART_BACKOFF_MAX_MS: '2.5' }, want: { containerRestartBackoffMaxMs: 2.5 } },
    { name: 'unrelated variables are ignored', env: { POD_BACKOFF_BASE_MS: '1' }, want: KUBERNETES_DELAYS },
  ])('$name', ({ env, want }) => {
    expect(delaysFromEnv(env)).toMatchObject(want);
  });

  it.each<{ name: string; env: Record<string, string>; message: string }>([
    { name: 'not a number', env: { JOBFLEET_POD_BACKOFF_BASE_MS: 'ten' }, message: 'JOBFLEET_POD_BACKOFF_BASE_MS must be a number of milliseconds ≥ 0, got "ten"' },
    { name: 'negative', env: { JOBFLEET_RESTART_BACKOFF_MAX_MS: '-1' }, message: 'JOBFLEET_RESTART_BACKOFF_MAX_MS must be a number of milliseconds ≥ 0, got "-1"' },
    { name: 'infinite', env: { JOBFLEET_POD_BACKOFF_MAX_MS: 'Infinity' }, message: 'JOBFLEET_POD_BACKOFF_MAX_MS must be a number of milliseconds ≥ 0, got "Infinity"' },
    { name: 'a unit', env: { JOBFLEET_RESTART_BACKOFF_BASE_MS: '10s' }, message: 'JOBFLEET_RESTART_BACKOFF_BASE_MS must be a number of milliseconds ≥ 0, got "10s"' },
  ])('rejects a bad value: $name', ({ env, message }) => {
    expect(() => delaysFromEnv(env)).toThrow(message);
  });

  it('reads process.env by default', () => {
    const saved = process.env.JOBFLEET_POD_BACKOFF_BASE_MS;
    process.env.JOBFLEET_POD_BACKOFF_BASE_MS = '123';
    try {
      expect(delaysFromEnv().podFailureBackoffBaseMs).toBe(123);
    } finally {
      if (saved === undefined) delete process.env.JOBFLEET_POD_BACKOFF_BASE_MS;
      else process.env.JOBFLEET_POD_BACKOFF_BASE_MS = saved;
    }
  });
});

describe('roleOptionsFromEnv: each role gets what it uses, in its start function\'s names', () => {
  const env = {
    JOBFLEET_REDIS_PREFIX: 'fleet2',
    JOBFLEET_CHANGES_MAX_BYTES: '4096',
    JOBFLEET_NODE_GRACE_MS: '3000',
    JOBFLEET_WATCH_BUFFER_BYTES: '1024',
    JOBFLEET_POD_LOG_MAX_BYTES: '512',
  };
  const delays = KUBERNETES_DELAYS;

  it.each([
    { role: 'api' as const, want: { prefix: 'fleet2', limits: { changesMaxBytes: 4096 }, delays, nodeGraceMs: 3000, watchBufferBytes: 1024 } },
    { role: 'worker' as const, want: { prefix: 'fleet2', limits: { changesMaxBytes: 4096 }, delays, nodeTimings: { graceMs: 3000 }, podLogMaxBytes: 512 } },
    { role: 'janitor' as const, want: { prefix: 'fleet2', limits: { changesMaxBytes: 4096 }, delays, nodeTimings: { graceMs: 3000 } } },
  ])('$role', ({ role, want }) => {
    expect(roleOptionsFromEnv(role, env)).toStrictEqual(want);
  });

  it('leaves the prefix out when unset, so that the library default applies', () => {
    expect(roleOptionsFromEnv('api', {})).toStrictEqual({ limits: {}, delays });
  });

  it('JOBFLEET_CRONJOB_POLL_MS reaches the CronJob controllers of the API and the janitor, not the worker', () => {
    const poll = { JOBFLEET_CRONJOB_POLL_MS: '250' };
    expect(roleOptionsFromEnv('api', poll)).toMatchObject({ cronJobPollMs: 250 });
    expect(roleOptionsFromEnv('janitor', poll)).toMatchObject({ cronJobPollMs: 250 });
    expect(roleOptionsFromEnv('worker', poll)).not.toHaveProperty('cronJobPollMs');
    expect(() => roleOptionsFromEnv('janitor', { JOBFLEET_CRONJOB_POLL_MS: '1s' })).toThrow('JOBFLEET_CRONJOB_POLL_MS must be a positive integer, got "1s"');
  });
});
