import type { Pod } from '@jobfleet/spec';
import type { Command } from 'commander';
import { clientFor } from '../context.js';
import { describeJob } from '../describe.js';
import { UsageError } from '../errors.js';
import { resourceRefs } from '../options.js';

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('show a Job in detail: spec, pod template, conditions and pods')
    .argument('<type>', 'job, or job/NAME')
    .argument('[names...]', 'names of the Jobs')
    .action(async (type: string, names: string[], _options: unknown, command: Command) => {
      const client = clientFor(command);
      const texts: string[] = [];
      for (const ref of resourceRefs([type, ...names])) {
        if (ref.kind !== 'jobs') throw new UsageError('describe supports jobs only (try: jobfleet get pod NAME -o yaml)');
        const job = await client.getJob(ref.name);
        const pods = await client.listPods({ jobName: ref.name });
        texts.push(describeJob(job, pods.sort(byCreation)));
      }
      process.stdout.write(texts.join('\n\n'));
    });
}

function byCreation(a: Pod, b: Pod): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}
