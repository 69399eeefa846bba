import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags, type RedisSettings } from '../redis-settings.js';
import { addLogOptions, allowPrivileged, allowPrivilegedOption, maxPodsOption, metricsPortOption, nodeIpOption, nodeNameOption, roleLogger, roleRedis, type LogFlags } from '../role-options.js';
import { checkRedis, ShutdownStack, startWorkerRole } from '../system.js';

interface WorkerOptions extends RedisFlags, LogFlags {
  nodeName: string;
  nodeIp?: string;
  maxPods: number;
  allowPrivileged?: boolean;
  metricsPort?: number;
}

export function registerWorker(program: Command): void {
  const command = program
    .command('worker')
    .description('run only a worker node: it runs pods as Docker containers')
    .addOption(nodeNameOption())
    .addOption(nodeIpOption())
    .addOption(maxPodsOption())
    .addOption(metricsPortOption())
    .addOption(allowPrivilegedOption('worker'));
  addRedisOptions(addLogOptions(command), DEFAULT_REDIS_URL).action(async (options: WorkerOptions) => {
    const privileged = allowPrivileged(options.allowPrivileged);
    const redis = roleRedis(options) as RedisSettings;
    const logger = await roleLogger(options);
    await checkRedis(redis);
    const stack = new ShutdownStack();
    await serve(stack, async () => {
      await startWorkerRole({ redis, nodeName: options.nodeName, nodeIP: options.nodeIp, maxPods: options.maxPods, allowPrivileged: privileged, logger, metricsPort: options.metricsPort }, stack);
      const policy = privileged ? ', privileged pods allowed' : '';
      process.stdout.write(`jobfleet worker ${options.nodeName} started (max ${options.maxPods} pods${policy}, Redis ${redactUrl(redis.url)})\n`);
    });
  });
}
