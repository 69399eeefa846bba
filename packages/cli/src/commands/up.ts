import { resolve } from 'node:path';
import type { Command } from 'commander';
import { cliInvocation, localExample, tryCommands } from '../banner.js';
import { serve } from '../lifecycle.js';
import { addRedisOptions, redactUrl, type RedisFlags } from '../redis-settings.js';
import { addListenOptions, addLogOptions, allowPrivileged, allowPrivilegedOption, apiSecurity, capacityOption, cronJobPollOption, maxPodsOption, metricsPortOption, nodeIpOption, nodeLabelsOption, nodeNameOption, nodeRegistration, registerWithTaintsOption, roleLogger, roleRedis, type ListenOptions, type LogFlags, type NodeFlags } from '../role-options.js';
import { checkRedis, EMBEDDED_DATA_DIR, ShutdownStack, startSystem, type RunningSystem } from '../system.js';

interface UpOptions extends ListenOptions, RedisFlags, LogFlags, NodeFlags {
  nodeName: string;
  nodeIp?: string;
  maxPods: number;
  allowPrivileged?: boolean;
  cronjobPollMs?: number;
  metricsPort?: number;
}

export function registerUp(program: Command): void {
  const command = addListenOptions(
    program
      .command('up')
      .description('run the API server, a worker and the janitor in one process (with an embedded Redis unless --redis-url/REDIS_URL is set)')
      .addHelpText(
        'after',
        `\nThe embedded Redis keeps its data in ${EMBEDDED_DATA_DIR}/ (locked: one jobfleet per folder), requires a password (in ${EMBEDDED_DATA_DIR}/redis.conf),\nruns in its own process group (Ctrl-C stops jobfleet, which stops Redis last) and never outlives this process.`,
      ),
  )
    .addOption(nodeNameOption())
    .addOption(nodeIpOption())
    .addOption(maxPodsOption())
    .addOption(capacityOption())
    .addOption(nodeLabelsOption())
    .addOption(registerWithTaintsOption())
    .addOption(metricsPortOption())
    .addOption(allowPrivilegedOption('up'))
    .addOption(cronJobPollOption());
  addRedisOptions(addLogOptions(command)).action(async (options: UpOptions, cmd: Command) => up(options, cmd));
}

async function up(options: UpOptions, command: Command): Promise<void> {
  const security = apiSecurity(options, command);
  const privileged = allowPrivileged(options.allowPrivileged);
  const redis = roleRedis(options);
  const logger = await roleLogger(options);
  if (redis) await checkRedis(redis);
  const stack = new ShutdownStack();
  await serve(stack, async () => {
    const system = await startSystem(
      {
        ...(redis ? { redis } : {}),
        dataDir: resolve(EMBEDDED_DATA_DIR),
        port: options.port,
        host: options.host,
        nodeName: options.nodeName,
        ...(options.nodeIp ? { nodeIP: options.nodeIp } : {}),
        maxPods: options.maxPods,
        ...nodeRegistration(options),
        ...security,
        allowPrivileged: privileged,
        logger,
        ...(options.cronjobPollMs === undefined ? {} : { cronJobPollMs: options.cronjobPollMs }),
        ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
      },
      stack,
    );
    process.stdout.write(upBanner(system, options, privileged, security.token !== undefined));
  });
}

function upBanner(system: RunningSystem, options: UpOptions, privileged: boolean, token: boolean): string {
  const url = redactUrl(system.redis.url);
  const redis = system.embeddedRedis ? `${url} (embedded, data in ${EMBEDDED_DATA_DIR}/, password in ${EMBEDDED_DATA_DIR}/redis.conf)` : url;
  const policy = privileged ? ', privileged pods allowed' : '';
  const example = localExample();
  const commands = tryCommands({ apiUrl: system.apiUrl, cli: cliInvocation(), ...(options.tlsCertFile ? { caFile: options.tlsCertFile } : {}), ...(token ? { token } : {}), ...(example ? { example } : {}) });
  return `jobfleet is up: API ${system.apiUrl}, Redis ${redis}, worker node ${options.nodeName} (max ${options.capacity?.pods ?? options.maxPods} pods${policy}), janitor\n  try, in another terminal:\n${commands.map((c) => `    ${c}\n`).join('')}`;
}
