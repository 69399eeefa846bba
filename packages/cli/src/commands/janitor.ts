import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags, type RedisSettings } from '../redis-settings.js';
import { cronJobPollOption, roleRedis } from '../role-options.js';
import { checkRedis, ShutdownStack, startJanitorRole } from '../system.js';

export function registerJanitor(program: Command): void {
  const command = program.command('janitor').description('run only the janitor: TTL-after-finished deletion and orphan cleanup');
  addRedisOptions(command.addOption(cronJobPollOption()), DEFAULT_REDIS_URL).action(async (options: RedisFlags & { cronjobPollMs?: number }) => {
    const redis = roleRedis(options) as RedisSettings;
    await checkRedis(redis);
    const stack = new ShutdownStack();
    await serve(stack, async () => {
      await startJanitorRole(redis, stack, { cronJobPollMs: options.cronjobPollMs });
      process.stdout.write(`jobfleet janitor started (Redis ${redactUrl(redis.url)})\n`);
    });
  });
}
