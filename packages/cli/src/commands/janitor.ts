import type { Command } from 'commander';
import { runRole } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags } from '../redis-settings.js';
import { addLogOptions, cronJobPollOption, metricsPortOption, type LogFlags } from '../role-options.js';
import { startJanitorRole } from '../system.js';

export function registerJanitor(program: Command): void {
  const command = program.command('janitor').description('run only the janitor: TTL-after-finished deletion and orphan cleanup');
  addRedisOptions(addLogOptions(command.addOption(cronJobPollOption()).addOption(metricsPortOption())), DEFAULT_REDIS_URL).action(async (options: RedisFlags & LogFlags & { cronjobPollMs?: number; metricsPort?: number }) => {
    await runRole(options, async (redis, logger, stack) => {
      await startJanitorRole(redis, stack, { cronJobPollMs: options.cronjobPollMs, logger, metricsPort: options.metricsPort });
      return `jobfleet janitor started (Redis ${redactUrl(redis.url)})`;
    });
  });
}
