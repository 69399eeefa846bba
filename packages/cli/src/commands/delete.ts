import type { PropagationPolicy } from '@jobfleet/client';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { clientFor } from '../context.js';
import { kindQualifier, refsOfKinds } from '../options.js';

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
    .description('delete Jobs (their pods follow, unless --cascade orphan), CronJobs (their Jobs follow) or pods (stopped gracefully; their Job replaces them)')
    .argument('<type>', 'job, cronjob (cj) or pod, or job/NAME, cronjob/NAME, pod/NAME')
    .argument('[names...]', 'names of the Jobs, CronJobs or pods')
    .addOption(new Option('--cascade <policy>', 'background|foreground|orphan').default('Background', 'background').argParser(cascadePolicy))
    .addOption(new Option('--grace-period <seconds>', "pods: seconds to let the containers stop (default: the pod's terminationGracePeriodSeconds)").argParser(gracePeriod))
    .action(async (type: string, names: string[], options: { cascade: PropagationPolicy; gracePeriod?: number }, command: Command) => {
      const client = clientFor(command);
      const grace = options.gracePeriod === undefined ? {} : { gracePeriodSeconds: options.gracePeriod };
      for (const ref of refsOfKinds([type, ...names], ['jobs', 'cronjobs', 'pods'], 'delete supports jobs, cronjobs and pods only')) {
        if (ref.kind === 'pods') {
          await client.deletePod(ref.name, grace);
          process.stdout.write(`pod "${ref.name}" deleted\n`);
        } else {
          const deleteOptions = { propagationPolicy: options.cascade, ...grace };
          await (ref.kind === 'cronjobs' ? client.deleteCronJob(ref.name, deleteOptions) : client.deleteJob(ref.name, deleteOptions));
          process.stdout.write(`${kindQualifier(ref.kind)} "${ref.name}" deleted\n`);
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
