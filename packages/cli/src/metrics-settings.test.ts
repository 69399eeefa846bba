import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { roleOptionsFromEnv } from './settings.js';
import { metricsPortOption } from './role-options.js';

/** A command with --metrics-port, parsed with `args` and JOBFLEET_METRICS_PORT set to `env`. */
function parsed(args: string[], env?: string): { metricsPort?: number } {
  if (env === undefined) delete process.env.JOBFLEET_METRICS_PORT;
  else process.env.JOBFLEET_METRICS_PORT = env;
  const command = new Command().addOption(metricsPortOption()).exitOverride().configureOutput({ writeErr: () => undefined });
  return command.parse(args, { from: 'user' }).opts();
}

describe('--metrics-port and JOBFLEET_METRICS_PORT', () => {
  afterEach(() => delete process.env.JOBFLEET_METRICS_PORT);

  it('are read by the commands that take the flag (worker, janitor, up), the flag first', () => {
    expect(parsed([]).metricsPort).toBeUndefined();
    expect(parsed([], '9100').metricsPort).toBe(9100);
    expect(parsed(['--metrics-port', '9200'], '9100').metricsPort).toBe(9200);
  });

  it('are not part of the environment settings every role reads: `run` and up\'s janitor serve no metrics whatever the environment says', () => {
    const env = { JOBFLEET_METRICS_PORT: '9100' };
    for (const role of ['api', 'worker', 'janitor'] as const) expect(roleOptionsFromEnv(role, env)).not.toHaveProperty('metricsPort');
  });

  it('refuse what is no port', () => {
    expect(() => parsed([], '70000')).toThrow(/must be a port number \(0-65535\)/);
    expect(() => parsed(['--metrics-port', 'nine'])).toThrow(/argument 'nine' is invalid/);
    expect(metricsPortOption().parseArg?.('9100', undefined)).toBe(9100);
  });
});
