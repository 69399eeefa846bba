import type { Command } from 'commander';
import { serve } from '../lifecycle.js';
import { addListenOptions, allowPrivilegedOption, apiSecurity, redisUrlOption, type ListenOptions } from '../role-options.js';
import { checkRedis, ShutdownStack, startApiRole } from '../system.js';

interface ApiOptions extends ListenOptions {
  redisUrl: string;
  allowPrivileged?: boolean;
}

export function registerApi(program: Command): void {
  addListenOptions(program.command('api').description('run only the Kubernetes-style API server'))
    .addOption(redisUrlOption())
    .addOption(allowPrivilegedOption())
    .action(async (options: ApiOptions, command: Command) => {
      const security = apiSecurity(options, command);
      await checkRedis(options.redisUrl);
      const stack = new ShutdownStack();
      await serve(stack, async () => {
        const api = await startApiRole({ redisUrl: options.redisUrl, port: options.port, host: options.host, ...security, allowPrivileged: options.allowPrivileged }, stack);
        process.stdout.write(`jobfleet API listening on ${api.url} (Redis ${options.redisUrl})\n`);
      });
    });
}
