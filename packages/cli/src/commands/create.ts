/** `jobfleet create job NAME --from=cronjob/CJ` (or `--image IMAGE -- COMMAND`), as kubectl create job. */
import type { Job } from '@jobfleet/kube';
import type { Command } from 'commander';
import { clientFor, globalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { resourceRefs } from '../options.js';

interface CreateJobOptions {
  from?: string;
  image?: string;
}

export function registerCreate(program: Command): void {
  const create = program.command('create').description('create an object from the command line: jobfleet create job NAME --from=cronjob/CRONJOB');
  create
    .command('job')
    .description("create a Job now from a CronJob's jobTemplate (--from=cronjob/NAME), or of one container (--image IMAGE -- COMMAND)")
    .argument('<name>', 'name of the Job')
    .argument('[command...]', 'with --image: the command (after --)')
    .option('--from <resource>', 'the CronJob to create the Job from: cronjob/NAME')
    .option('--image <image>', 'image of the one container')
    .action(async (name: string, commandArgs: string[], options: CreateJobOptions, command: Command) => {
      if (!options.image === !options.from) throw new UsageError('either --image or --from must be specified');
      if (options.from && commandArgs.length > 0) throw new UsageError('cannot specify --from and command');
      const client = clientFor(command);
      if (options.from) {
        await client.triggerCronJob(cronJobName(options.from), { jobName: name });
      } else {
        await client.createJob(imageJob(name, options.image ?? '', commandArgs), { namespace: globalOptions(command).namespace });
      }
      process.stdout.write(`job.batch/${name} created\n`);
    });
}

/** --from takes kubectl's TYPE/NAME, and only CronJobs, as kubectl create job does. */
export function cronJobName(from: string): string {
  if (!from.includes('/')) throw new UsageError(`--from must be cronjob/NAME, not "${from}"`);
  const [ref] = resourceRefs([from]);
  if (ref?.kind !== 'cronjobs') throw new UsageError(`--from must name a cronjob (cronjob/NAME): a Job can be created from a CronJob only, not from "${from}"`);
  return ref.name;
}

/** kubectl's createJob: one container named as the Job, restartPolicy Never. */
function imageJob(name: string, image: string, command: string[]): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name, image, ...(command.length > 0 ? { command } : {}) }] } } },
  };
}
