import type { Job, Pod } from '@jobfleet/spec';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { clientFor, globalOptions } from '../context.js';
import { UsageError } from '../errors.js';
import { outputOption, qualifiedName, resourceKind, resourceRefs, type OutputFormat, type ResourceKind } from '../options.js';
import { JOB_COLUMNS, JOB_WIDE_COLUMNS, jobRow, POD_COLUMNS, POD_WIDE_COLUMNS, podRow } from '../printers.js';
import { formatTable } from '../tabwriter.js';

interface GetOptions {
  output?: OutputFormat;
  selector?: string;
}

type KubeObject = Job | Pod;

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('list jobs or pods (kubectl columns), or show one by name')
    .argument('<type>', 'jobs|job|pods|pod, or TYPE/NAME')
    .argument('[names...]', 'names of objects to show')
    .addOption(outputOption())
    .option('-l, --selector <selector>', 'label selector, e.g. app=x,tier!=db')
    .action(async (type: string, names: string[], options: GetOptions, command: Command) => get(type, names, options, command));
}

async function get(type: string, names: string[], options: GetOptions, command: Command): Promise<void> {
  const single = type.includes('/') || names.length > 0;
  if (single && options.selector) throw new UsageError('name cannot be provided when a selector is specified');
  const kind = single ? (resourceRefs([type, ...names])[0]?.kind ?? 'jobs') : resourceKind(type);
  const objects = single ? await fetchNamed(command, [type, ...names]) : await fetchList(command, kind, options.selector);
  if (single && objects.length === 1 && (options.output === 'json' || options.output === 'yaml')) {
    return printStructured(objects[0], options.output);
  }
  print(kind, objects, options.output, globalOptions(command).namespace);
}

async function fetchNamed(command: Command, args: string[]): Promise<KubeObject[]> {
  const client = clientFor(command);
  const objects: KubeObject[] = [];
  for (const ref of resourceRefs(args)) objects.push(ref.kind === 'jobs' ? await client.getJob(ref.name) : await client.getPod(ref.name));
  return objects;
}

async function fetchList(command: Command, kind: ResourceKind, labelSelector: string | undefined): Promise<KubeObject[]> {
  const client = clientFor(command);
  const options = labelSelector ? { labelSelector } : {};
  return kind === 'jobs' ? client.listJobs(options) : client.listPods(options);
}

function print(kind: ResourceKind, objects: KubeObject[], output: OutputFormat | undefined, namespace: string): void {
  if (output === 'json' || output === 'yaml') return printStructured({ apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }, output);
  if (output === 'name') {
    for (const object of objects) process.stdout.write(`${qualifiedName({ kind: kindOf(object), name: object.metadata.name ?? '' })}\n`);
    return;
  }
  if (objects.length === 0) {
    process.stderr.write(`No resources found in ${namespace} namespace.\n`);
    return;
  }
  process.stdout.write(table(kind, objects, output === 'wide', new Date()));
}

function kindOf(object: KubeObject): ResourceKind {
  return object.kind === 'Pod' ? 'pods' : 'jobs';
}

function table(kind: ResourceKind, objects: KubeObject[], wide: boolean, now: Date): string {
  if (kind === 'jobs') return formatTable(wide ? JOB_WIDE_COLUMNS : JOB_COLUMNS, (objects as Job[]).map((job) => jobRow(job, now, wide)));
  return formatTable(wide ? POD_WIDE_COLUMNS : POD_COLUMNS, (objects as Pod[]).map((pod) => podRow(pod, now, wide)));
}

/** kubectl prints JSON with 4-space indentation. */
function printStructured(value: unknown, format: 'json' | 'yaml'): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value));
}
