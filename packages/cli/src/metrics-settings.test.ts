import { describe, expect, it } from 'vitest';
import { roleOptionsFromEnv } from './settings.js';
import { metricsPortOption } from './role-options.js';

describe('JOBFLEET_METRICS_PORT and --metrics-port', () => {
  it('reach the worker and the janitor, not the API (which serves /metrics on its own port)', () => {
    const env = { JOBFLEET_METRICS_PORT: '9100' };
    expect(roleOptionsFromEnv('worker', env).metricsPort).toBe(9100);
    expect(roleOptionsFromEnv('janitor', env).metricsPort).toBe(9100);
    expect(roleOptionsFromEnv('api', env)).not.toHaveProperty('metricsPort');
    expect(roleOptionsFromEnv('worker', {})).not.toHaveProperty('metricsPort');
  });

  it('refuse what is no port', () => {
    expect(() => roleOptionsFromEnv('worker', { JOBFLEET_METRICS_PORT: '70000' })).toThrow('JOBFLEET_METRICS_PORT must be a port number (0-65535), got "70000"');
    expect(() => roleOptionsFromEnv('janitor', { JOBFLEET_METRICS_PORT: 'nine' })).toThrow('JOBFLEET_METRICS_PORT must be a port number');
    const option = metricsPortOption();
    expect(option.parseArg?.('9100', undefined)).toBe(9100);
    expect(() => option.parseArg?.('65536', undefined)).toThrow('must be a port number (0-65535).');
  });
});
