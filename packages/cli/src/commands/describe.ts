import type { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';
import type { Command } from 'commander';
import { clientFor } from '../context.js';
import { describeCronJob, describeJob } from '../describe.js';
import { refsOfKinds, type ResourceRef } from '../options.js';

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('show a Job (spec, pod template, conditions, pods, events) or a CronJob (schedule, job template, active Jobs, events) in detail')
    .argument('<type>', 'job or cronjob (cj), or job/NAME, cronjob/NAME')
    .argument('[names...]', 'names of the Jobs or CronJobs')
    .action(async (type: string, names: string[], _options: unknown, command: Command) => {
      const client = clientFor(command);
      const texts: string[] = [];
      for (const ref of refsOfKinds([type, ...names], ['jobs', 'cronjobs'], 'describe supports jobs and cronjobs only (try: jobfleet get pod NAME -o yaml)')) {
        texts.push(await describeOne(client, ref));
      }
      process.stdout.write(texts.join('\n\n'));
    });
}

async function describeOne(client: JobfleetClient, ref: ResourceRef): Promise<string> {
  if (ref.kind === 'cronjobs') {
    const cronJob = await client.getCronJob(ref.name);
    return describeCronJob(cronJob, await client.cronJobEvents(cronJob));
  }
  const job = await client.getJob(ref.name);
  const [pods, events] = await Promise.all([client.listPods({ jobName: ref.name }), client.jobEvents(job)]);
  return describeJob(job, pods.sort(byCreation), events);
}

function byCreation(a: Pod, b: Pod): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}
