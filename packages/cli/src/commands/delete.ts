import type { PropagationPolicy } from '@jobfleet/client';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { clientFor } from '../context.js';
import { jobRefs } from '../options.js';

const CASCADE: Record<string, PropagationPolicy> = {
  background: 'Background',
  foreground: 'Foreground',
  orphan: 'Orphan',
  true: 'Background', // kubectl's deprecated boolean forms
  false: 'Orphan',
};

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete Jobs (their pods follow, unless --cascade orphan)')
    .argument('<type>', 'job, or job/NAME')
    .argument('[names...]', 'names of the Jobs')
    .addOption(new Option('--cascade <policy>', 'background|foreground|orphan').default('Background', 'background').argParser(cascadePolicy))
    .action(async (type: string, names: string[], options: { cascade: PropagationPolicy }, command: Command) => {
      const client = clientFor(command);
      for (const ref of jobRefs([type, ...names], 'delete supports jobs only; pods are deleted with their Job')) {
        await client.deleteJob(ref.name, { propagationPolicy: options.cascade });
        process.stdout.write(`job.batch "${ref.name}" deleted\n`);
      }
    });
}

function cascadePolicy(value: string): PropagationPolicy {
  const policy = CASCADE[value.toLowerCase()];
  if (!policy) throw new InvalidArgumentError('must be one of background, foreground, orphan.');
  return policy;
}
