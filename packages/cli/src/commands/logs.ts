import type { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';
import type { Command } from 'commander';
import { clientFor } from '../context.js';
import { UsageError } from '../errors.js';
import { nonNegativeInteger, resourceRefs } from '../options.js';
import { podForLogs } from '../pod-order.js';

interface LogsOptions {
  follow?: boolean;
  container?: string;
  tail?: number;
  timestamps?: boolean;
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("print a pod's logs; job/NAME picks one of the Job's pods")
    .argument('<target>', 'pod/NAME, NAME (a pod) or job/NAME')
    .option('-f, --follow', 'stream the log while the container runs')
    .option('-c, --container <name>', 'container (default: the first)')
    .option('--tail <lines>', 'only the last N lines', nonNegativeInteger)
    .option('--timestamps', 'prefix each line with its RFC3339 timestamp')
    .action(async (target: string, options: LogsOptions, command: Command) => logs(target, options, command));
}

async function logs(target: string, options: LogsOptions, command: Command): Promise<void> {
  const client = clientFor(command);
  const [ref] = resourceRefs([target], 'pods');
  if (!ref) return;
  if (ref.kind !== 'pods' && ref.kind !== 'jobs') throw new UsageError('logs takes a pod or a job: pod/NAME, NAME or job/NAME');
  const pod = ref.kind === 'jobs' ? await pickJobPod(client, ref.name) : await client.getPod(ref.name);
  const podName = pod.metadata.name ?? '';
  const container = options.container ?? defaultContainer(pod);
  const logOptions = {
    ...(container ? { container } : {}),
    ...(options.tail === undefined ? {} : { tailLines: options.tail }),
    ...(options.timestamps ? { timestamps: true } : {}),
  };
  if (!options.follow) {
    process.stdout.write(await client.logs(podName, logOptions));
    return;
  }
  for await (const line of client.streamLogs(podName, { ...logOptions, follow: true })) process.stdout.write(`${line}\n`);
}

async function pickJobPod(client: JobfleetClient, jobName: string): Promise<Pod> {
  const pods = await client.listPods({ jobName });
  const pod = podForLogs(pods);
  if (!pod) throw new Error(`job.batch/${jobName} has no pods yet`);
  if (pods.length > 1) process.stderr.write(`Found ${pods.length} pods, using pod/${pod.metadata.name ?? ''}\n`);
  return pod;
}

/** kubectl logs takes the first container and says so when there are several. */
function defaultContainer(pod: Pod): string | undefined {
  const names = pod.spec.containers.map((c) => c.name);
  if (names.length > 1) process.stderr.write(`Defaulted container "${names[0]}" out of: ${names.join(', ')}\n`);
  return names[0];
}
