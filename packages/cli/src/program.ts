/** The `jobfleet` command tree. */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerApi } from './commands/api.js';
import { registerApply } from './commands/apply.js';
import { registerCreate } from './commands/create.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerGet } from './commands/get.js';
import { registerJanitor } from './commands/janitor.js';
import { registerKubeconfig } from './commands/kubeconfig.js';
import { registerLogs } from './commands/logs.js';
import { registerRun } from './commands/run.js';
import { registerUp } from './commands/up.js';
import { registerVersion } from './commands/version.js';
import { registerWait } from './commands/wait.js';
import { registerWorker } from './commands/worker.js';
import { registerCompletion } from './commands/completion.js';
import { addGlobalOptions } from './context.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('jobfleet')
    .description('Kubernetes batch/v1 Jobs on a fleet of Docker hosts coordinated through Redis')
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message.replace(/\n(?!$)/g, ' ')) });
  addGlobalOptions(program);
  program.commandsGroup('Run jobfleet:');
  registerUp(program);
  registerApi(program);
  registerWorker(program);
  registerJanitor(program);
  program.commandsGroup('Work with Jobs and CronJobs:');
  registerRun(program);
  registerApply(program);
  registerCreate(program);
  registerGet(program);
  registerDescribe(program);
  registerLogs(program);
  registerWait(program);
  registerDelete(program);
  program.commandsGroup('Other:');
  registerKubeconfig(program);
  registerVersion(program);
  registerCompletion(program);
  return program;
}
