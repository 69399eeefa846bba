import type { PropagationPolicy } from '@jobfleet/client';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { clientFor } from '../context.js';
import { resourceRefs } from '../options.js';
import { UsageError } from '../errors.js';

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
    .description('delete Jobs (their pods follow, unless --cascade orphan) or pods (stopped gracefully; their Job replaces them)')
    .argument('<type>', 'job or pod, or job/NAME, pod/NAME')
    .argument('[names...]', 'names of the Jobs or pods')
    .addOption(new Option('--cascade <policy>', 'background|foreground|orphan').default('Background', 'background').argParser(cascadePolicy))
    .addOption(new Option('--grace-period <seconds>', "pods: seconds to let the containers stop (default: the pod's terminationGracePeriodSeconds)").argParser(gracePeriod))
    .action(async (type: string, names: string[], options: { cascade: PropagationPolicy; gracePeriod?: number }, command: Command) => {
      const client = clientFor(command);
      const refs = resourceRefs([type, ...names]);
      if (refs.some((ref) => ref.kind !== 'jobs' && ref.kind !== 'pods')) throw new UsageError('delete supports jobs and pods only');
      for (const ref of refs) {
        if (ref.kind === 'pods') {
          await client.deletePod(ref.name, options.gracePeriod === undefined ? {} : { gracePeriodSeconds: options.gracePeriod });
          process.stdout.write(`pod "${ref.name}" deleted\n`);
        } else {
          await client.deleteJob(ref.name, { propagationPolicy: options.cascade, ...(options.gracePeriod === undefined ? {} : { gracePeriodSeconds: options.gracePeriod }) });
          process.stdout.write(`job.batch "${ref.name}" deleted\n`);
        }
      }
    });
}

/** kubectl's --grace-period: seconds; a negative value means the default. */
function gracePeriod(value: string): number | undefined {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('must be an integer number of seconds.');
  const seconds = Number(value);
  return seconds < 0 ? undefined : seconds;
}

function cascadePolicy(value: string): PropagationPolicy {
  const policy = CASCADE[value.toLowerCase()];
  if (!policy) throw new InvalidArgumentError('must be one of background, foreground, orphan.');
  return policy;
}
