import type { Command } from 'commander';
import { serveUntilShutdown, shutdownSignal } from '../lifecycle.js';
import { ShutdownStack, startWorkerRole } from '../system.js';
import { maxPodsOption, nodeNameOption, redisUrlOption } from '../role-options.js';

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
      const stopRequested = shutdownSignal();
      const stack = new ShutdownStack();
      await startWorkerRole(options, stack);
      process.stdout.write(`jobfleet worker ${options.nodeName} started (max ${options.maxPods} pods, Redis ${options.redisUrl})\n`);
      await serveUntilShutdown(stack, stopRequested);
    });
}
