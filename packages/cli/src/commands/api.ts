import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { serveUntilShutdown, shutdownSignal } from '../lifecycle.js';
import { portNumber } from '../options.js';
import { ShutdownStack, startApiRole } from '../system.js';
import { redisUrlOption } from '../role-options.js';

interface ApiOptions {
  port: number;
  host: string;
  redisUrl: string;
  allowPrivileged?: boolean;
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('run only the Kubernetes-style API server')
    .option('--port <port>', 'listen port', portNumber, 8080)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .addOption(redisUrlOption())
    .option('--allow-privileged', 'accept Jobs with privileged pods: privileged containers, added capabilities, hostNetwork/hostPID/hostIPC, hostPath volumes (also JOBFLEET_ALLOW_PRIVILEGED=true)')
    .action(async (options: ApiOptions, command: Command) => {
      const { token } = globalOptions(command);
      const stopRequested = shutdownSignal();
      const stack = new ShutdownStack();
      const api = await startApiRole({ redisUrl: options.redisUrl, port: options.port, host: options.host, token, ...(options.allowPrivileged ? { allowPrivileged: true } : {}) }, stack);
      process.stdout.write(`jobfleet API listening on ${api.url} (Redis ${options.redisUrl})\n`);
      await serveUntilShutdown(stack, stopRequested);
    });
}

