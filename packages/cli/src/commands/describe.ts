import type { Pod } from '@jobfleet/kube';
import type { Command } from 'commander';
import { clientFor } from '../context.js';
import { describeJob } from '../describe.js';
import { jobRefs } from '../options.js';

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('show a Job in detail: spec, pod template, conditions, pods and events')
    .argument('<type>', 'job, or job/NAME')
    .argument('[names...]', 'names of the Jobs')
    .action(async (type: string, names: string[], _options: unknown, command: Command) => {
      const client = clientFor(command);
      const texts: string[] = [];
      for (const ref of jobRefs([type, ...names], 'describe supports jobs only (try: jobfleet get pod NAME -o yaml)')) {
        const job = await client.getJob(ref.name);
        const [pods, events] = await Promise.all([client.listPods({ jobName: ref.name }), client.jobEvents(job)]);
        texts.push(describeJob(job, pods.sort(byCreation), events));
      }
      process.stdout.write(texts.join('\n\n'));
    });
}

function byCreation(a: Pod, b: Pod): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}
