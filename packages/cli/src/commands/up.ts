import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addListenOptions, allowPrivilegedOption, apiSecurity, maxPodsOption, nodeNameOption, type ListenOptions } from '../role-options.js';
import { checkRedis, EMBEDDED_DATA_DIR, ShutdownStack, startSystem, type RunningSystem } from '../system.js';

interface UpOptions extends ListenOptions {
  redisUrl?: string;
  nodeName: string;
  maxPods: number;
  allowPrivileged?: boolean;
}

export function registerUp(program: Command): void {
  addListenOptions(
    program.command('up').description('run the API server, a worker and the janitor in one process (with an embedded Redis unless --redis-url/REDIS_URL is set)'),
  )
    .addOption(new Option('--redis-url <url>', 'Redis to use instead of the embedded one').env('REDIS_URL'))
    .addOption(nodeNameOption())
    .addOption(maxPodsOption())
    .addOption(allowPrivilegedOption())
    .action(async (options: UpOptions, command: Command) => up(options, command));
}

async function up(options: UpOptions, command: Command): Promise<void> {
  const security = apiSecurity(options, command);
  if (options.redisUrl) await checkRedis(options.redisUrl);
  const stack = new ShutdownStack();
  await serve(stack, async () => {
    const system = await startSystem(
      {
        ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
        dataDir: resolve(EMBEDDED_DATA_DIR),
        port: options.port,
        host: options.host,
        nodeName: options.nodeName,
        maxPods: options.maxPods,
        ...security,
        allowPrivileged: options.allowPrivileged,
      },
      stack,
    );
    process.stdout.write(upBanner(system, options));
  });
}

function upBanner(system: RunningSystem, options: UpOptions): string {
  const redis = system.embeddedRedis ? `${system.redisUrl} (embedded, data in ${EMBEDDED_DATA_DIR}/)` : system.redisUrl;
  // A self-signed certificate is its own CA.
  const trust = options.tlsCertFile ? ` --certificate-authority ${options.tlsCertFile}` : '';
  return (
    `jobfleet is up: API ${system.apiUrl}, Redis ${redis}, worker node ${options.nodeName} (max ${options.maxPods} pods), janitor\n` +
    `  try: jobfleet run -f job.yaml --server ${system.apiUrl}${trust}   or   KUBECONFIG=<(jobfleet kubeconfig --server ${system.apiUrl}${trust}) kubectl get jobs\n`
  );
}
