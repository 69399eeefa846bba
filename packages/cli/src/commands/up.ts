import { resolve } from 'node:path';
import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addRedisOptions, redactUrl, type RedisFlags } from '../redis-settings.js';
import { addListenOptions, allowPrivileged, allowPrivilegedOption, apiSecurity, cronJobPollOption, maxPodsOption, nodeIpOption, nodeNameOption, roleRedis, type ListenOptions } from '../role-options.js';
import { checkRedis, EMBEDDED_DATA_DIR, ShutdownStack, startSystem, type RunningSystem } from '../system.js';

interface UpOptions extends ListenOptions, RedisFlags {
  nodeName: string;
  nodeIp?: string;
  maxPods: number;
  allowPrivileged?: boolean;
  cronjobPollMs?: number;
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
    .addOption(allowPrivilegedOption('up'))
    .addOption(cronJobPollOption());
  addRedisOptions(command).action(async (options: UpOptions, cmd: Command) => up(options, cmd));
}

async function up(options: UpOptions, command: Command): Promise<void> {
  const security = apiSecurity(options, command);
  const privileged = allowPrivileged(options.allowPrivileged);
  const redis = roleRedis(options);
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
        ...security,
        allowPrivileged: privileged,
        ...(options.cronjobPollMs === undefined ? {} : { cronJobPollMs: options.cronjobPollMs }),
      },
      stack,
    );
    process.stdout.write(upBanner(system, options, privileged));
  });
}

function upBanner(system: RunningSystem, options: UpOptions, privileged: boolean): string {
  const url = redactUrl(system.redis.url);
  const redis = system.embeddedRedis ? `${url} (embedded, data in ${EMBEDDED_DATA_DIR}/, password in ${EMBEDDED_DATA_DIR}/redis.conf)` : url;
  // A self-signed certificate is its own CA.
  const trust = options.tlsCertFile ? ` --certificate-authority ${options.tlsCertFile}` : '';
  const policy = privileged ? ', privileged pods allowed' : '';
  return (
    `jobfleet is up: API ${system.apiUrl}, Redis ${redis}, worker node ${options.nodeName} (max ${options.maxPods} pods${policy}), janitor\n` +
    `  try: jobfleet run -f job.yaml --server ${system.apiUrl}${trust}   or   KUBECONFIG=<(jobfleet kubeconfig --server ${system.apiUrl}${trust}) kubectl get jobs\n`
  );
}
