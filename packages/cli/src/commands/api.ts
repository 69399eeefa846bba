import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { serve } from '../lifecycle.js';
import { portNumber } from '../options.js';
import { redisUrlOption } from '../role-options.js';
import { ShutdownStack, startApiRole } from '../system.js';

interface ApiOptions {
  port: number;
  host: string;
  redisUrl: string;
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('run only the Kubernetes-style API server')
    .option('--port <port>', 'listen port', portNumber, 8080)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .addOption(redisUrlOption())
    .action(async (options: ApiOptions, command: Command) => {
      const { token } = globalOptions(command);
      const stack = new ShutdownStack();
      await serve(stack, async () => {
        const api = await startApiRole({ redisUrl: options.redisUrl, port: options.port, host: options.host, token }, stack);
        process.stdout.write(`jobfleet API listening on ${api.url} (Redis ${options.redisUrl})\n`);
      });
    });
}
