import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { kubeconfigYaml } from '../kubeconfig.js';

export function registerKubeconfig(program: Command): void {
  program
    .command('kubeconfig')
    .description('print a kubeconfig for kubectl: KUBECONFIG=<(jobfleet kubeconfig) kubectl get jobs')
    .action((_options: unknown, command: Command) => {
      process.stdout.write(kubeconfigYaml(globalOptions(command)));
    });
}
