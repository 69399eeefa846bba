import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { maxPodsOption, nodeNameOption, redisUrlOption } from '../role-options.js';
import { checkRedis, ShutdownStack, startWorkerRole } from '../system.js';

interface WorkerOptions {
  nodeName: string;
  maxPods: number;
  redisUrl: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run only a worker node: it runs pods as Docker containers')
    .addOption(nodeNameOption())
    .addOption(maxPodsOption())
    .addOption(redisUrlOption())
    .action(async (options: WorkerOptions) => {
      await checkRedis(options.redisUrl);
      const stack = new ShutdownStack();
      await serve(stack, async () => {
        await startWorkerRole(options, stack);
        process.stdout.write(`jobfleet worker ${options.nodeName} started (max ${options.maxPods} pods, Redis ${options.redisUrl})\n`);
      });
    });
}
