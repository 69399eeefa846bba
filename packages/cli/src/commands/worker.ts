import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags, type RedisSettings } from '../redis-settings.js';
import { allowPrivileged, allowPrivilegedOption, maxPodsOption, nodeIpOption, nodeNameOption, roleRedis } from '../role-options.js';
import { checkRedis, ShutdownStack, startWorkerRole } from '../system.js';

interface WorkerOptions extends RedisFlags {
  nodeName: string;
  nodeIp?: string;
  maxPods: number;
  allowPrivileged?: boolean;
}

export function registerWorker(program: Command): void {
  const command = program
    .command('worker')
    .description('run only a worker node: it runs pods as Docker containers')
    .addOption(nodeNameOption())
    .addOption(nodeIpOption())
    .addOption(maxPodsOption())
    .addOption(allowPrivilegedOption('worker'));
  addRedisOptions(command, DEFAULT_REDIS_URL).action(async (options: WorkerOptions) => {
    const privileged = allowPrivileged(options.allowPrivileged);
    const redis = roleRedis(options) as RedisSettings;
    await checkRedis(redis);
    const stack = new ShutdownStack();
    await serve(stack, async () => {
      await startWorkerRole({ redis, nodeName: options.nodeName, nodeIP: options.nodeIp, maxPods: options.maxPods, allowPrivileged: privileged }, stack);
      const policy = privileged ? ', privileged pods allowed' : '';
      process.stdout.write(`jobfleet worker ${options.nodeName} started (max ${options.maxPods} pods${policy}, Redis ${redactUrl(redis.url)})\n`);
    });
  });
}
