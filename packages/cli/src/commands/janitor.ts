import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { redisUrlOption } from '../role-options.js';
import { checkRedis, ShutdownStack, startJanitorRole } from '../system.js';

export function registerJanitor(program: Command): void {
  program
    .command('janitor')
    .description('run only the janitor: TTL-after-finished deletion and orphan cleanup')
    .addOption(redisUrlOption())
    .action(async (options: { redisUrl: string }) => {
      await checkRedis(options.redisUrl);
      const stack = new ShutdownStack();
      await serve(stack, async () => {
        await startJanitorRole(options.redisUrl, stack);
        process.stdout.write(`jobfleet janitor started (Redis ${options.redisUrl})\n`);
      });
    });
}
