import type { Command } from 'commander';
import { runRole } from '../lifecycle.js';
import { redactUrl, addRedisOptions, DEFAULT_REDIS_URL, type RedisFlags } from '../redis-settings.js';
import { addListenOptions, addLogOptions, allowPrivileged, allowPrivilegedOption, apiSecurity, cronJobPollOption, type ListenOptions, type LogFlags } from '../role-options.js';
import { startApiRole } from '../system.js';

interface ApiOptions extends ListenOptions, RedisFlags, LogFlags {
  allowPrivileged?: boolean;
  cronjobPollMs?: number;
}

export function registerApi(program: Command): void {
  addLogOptions(
    addRedisOptions(addListenOptions(program.command('api').description('run only the Kubernetes-style API server')), DEFAULT_REDIS_URL)
      .addOption(allowPrivilegedOption('api'))
      .addOption(cronJobPollOption()),
  ).action(async (options: ApiOptions, command: Command) => {
    const security = apiSecurity(options, command);
    const privileged = allowPrivileged(options.allowPrivileged);
    await runRole(options, async (redis, logger, stack) => {
      const api = await startApiRole({ redis, port: options.port, host: options.host, ...security, allowPrivileged: privileged, cronJobPollMs: options.cronjobPollMs, logger }, stack);
      return `jobfleet API listening on ${api.url} (Redis ${redactUrl(redis.url)})`;
    });
  });
}
