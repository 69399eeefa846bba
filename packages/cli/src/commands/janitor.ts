import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags, type RedisSettings } from '../redis-settings.js';
import { addLogOptions, cronJobPollOption, metricsPortOption, roleLogger, roleRedis, type LogFlags } from '../role-options.js';
import { checkRedis, ShutdownStack, startJanitorRole } from '../system.js';

export function registerJanitor(program: Command): void {
  const command = program.command('janitor').description('run only the janitor: TTL-after-finished deletion and orphan cleanup');
  addRedisOptions(addLogOptions(command.addOption(cronJobPollOption()).addOption(metricsPortOption())), DEFAULT_REDIS_URL).action(async (options: RedisFlags & LogFlags & { cronjobPollMs?: number; metricsPort?: number }) => {
    const redis = roleRedis(options) as RedisSettings;
    const logger = await roleLogger(options);
    await checkRedis(redis);
    const stack = new ShutdownStack();
    await serve(stack, async () => {
      await startJanitorRole(redis, stack, { cronJobPollMs: options.cronjobPollMs, logger, metricsPort: options.metricsPort });
      process.stdout.write(`jobfleet janitor started (Redis ${redactUrl(redis.url)})\n`);
    });
  });
}
