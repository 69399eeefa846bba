import type { Command } from 'commander';
import { runRole } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags } from '../redis-settings.js';
import { addLogOptions, allowPrivileged, allowPrivilegedOption, maxPodsOption, metricsPortOption, nodeIpOption, nodeNameOption, type LogFlags } from '../role-options.js';
import { startWorkerRole } from '../system.js';

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
    await runRole(options, async (redis, logger, stack) => {
      await startWorkerRole({ redis, nodeName: options.nodeName, nodeIP: options.nodeIp, maxPods: options.maxPods, allowPrivileged: privileged, logger, metricsPort: options.metricsPort }, stack);
      const policy = privileged ? ', privileged pods allowed' : '';
      return `jobfleet worker ${options.nodeName} started (max ${options.maxPods} pods${policy}, Redis ${redactUrl(redis.url)})`;
    });
  });
}
