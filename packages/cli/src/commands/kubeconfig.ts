import type { Command } from 'commander';
import { globalOptions, readPem } from '../context.js';
import { kubeconfigYaml } from '../kubeconfig.js';

export function registerKubeconfig(program: Command): void {
  program
    .command('kubeconfig')
    .description('print a kubeconfig for kubectl: jobfleet kubeconfig > ~/.kube/jobfleet && kubectl --kubeconfig ~/.kube/jobfleet get jobs')
    .addHelpText(
      'after',
      '\nThe global --server, --token, -n, --certificate-authority (embedded as certificate-authority-data) and\n--insecure-skip-tls-verify go into it. kubectl sends a token only to an https:// server.',
    )
    .action((_options: unknown, command: Command) => {
      const { certificateAuthority, ...options } = globalOptions(command);
      if (options.token && !options.server.startsWith('https://')) {
        process.stderr.write(`warning: kubectl will not send the token to ${options.server}: it sends bearer tokens only over https\n`);
      }
      const ca = certificateAuthority ? { certificateAuthority: readPem(certificateAuthority, '--certificate-authority') } : {};
      process.stdout.write(kubeconfigYaml({ ...options, ...ca }));
    });
}
