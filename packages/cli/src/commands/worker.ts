import type { Command } from 'commander';
import { runRole } from '../lifecycle.js';
import { addRedisOptions, DEFAULT_REDIS_URL, redactUrl, type RedisFlags } from '../redis-settings.js';
import { addLogOptions, allowPrivileged, allowPrivilegedOption, capacityOption, maxPodsOption, metricsPortOption, nodeIpOption, nodeLabelsOption, nodeNameOption, nodeRegistration, registerWithTaintsOption, type LogFlags, type NodeFlags } from '../role-options.js';
import { startWorkerRole } from '../system.js';

interface WorkerOptions extends RedisFlags, LogFlags, NodeFlags {
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
    .addOption(capacityOption())
    .addOption(nodeLabelsOption())
    .addOption(registerWithTaintsOption())
    .addOption(metricsPortOption())
    .addOption(allowPrivilegedOption('worker'));
  addRedisOptions(addLogOptions(command), DEFAULT_REDIS_URL).action(async (options: WorkerOptions) => {
    const privileged = allowPrivileged(options.allowPrivileged);
    await runRole(options, async (redis, logger, stack) => {
      await startWorkerRole({ redis, nodeName: options.nodeName, nodeIP: options.nodeIp, maxPods: options.maxPods, ...nodeRegistration(options), allowPrivileged: privileged, logger, metricsPort: options.metricsPort }, stack);
      const policy = privileged ? ', privileged pods allowed' : '';
      return `jobfleet worker ${options.nodeName} started (max ${options.capacity?.pods ?? options.maxPods} pods${policy}, Redis ${redactUrl(redis.url)})`;
    });
  });
}
