/** Parsers for option values and positional resource arguments shared by the commands. */
import { InvalidArgumentError, Option } from 'commander';
import { parseDuration } from './duration.js';
import { UsageError } from './errors.js';

/** commander argParser for kubectl-style durations ("30s", "2m", "1h30m"); returns milliseconds. */
export function durationArgument(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

export function portNumber(value: string): number {
  const port = nonNegativeInteger(value);
  if (port > 65535) throw new InvalidArgumentError('must be a port number (0-65535).');
  return port;
}

export const OUTPUT_FORMATS = ['wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS);
}

export type ResourceKind = 'jobs' | 'pods';

const RESOURCE_ALIASES: Record<string, ResourceKind> = {
  job: 'jobs',
  jobs: 'jobs',
  'job.batch': 'jobs',
  'jobs.batch': 'jobs',
  pod: 'pods',
  pods: 'pods',
  po: 'pods',
};

export function resourceKind(type: string): ResourceKind {
  const kind = RESOURCE_ALIASES[type.toLowerCase()];
  if (!kind) throw new UsageError(`the server doesn't have a resource type "${type}" (jobfleet serves jobs and pods)`);
  return kind;
}

export interface ResourceRef {
  kind: ResourceKind;
  name: string;
}

/**
 * kubectl's two ways to name objects: `TYPE/NAME ...` or `TYPE NAME ...`.
 * `defaultKind` accepts bare names (logs: a bare NAME is a pod).
 */
export function resourceRefs(args: readonly string[], defaultKind?: ResourceKind): ResourceRef[] {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError('you must specify the type of resource and a name');
  if (args.every((arg) => arg.includes('/'))) return args.map(slashRef);
  if (args.some((arg) => arg.includes('/'))) throw new UsageError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form');
  if (rest.length === 0) {
    if (defaultKind) return [{ kind: defaultKind, name: first }];
    throw new UsageError(`you must specify the name of the ${first} (TYPE NAME or TYPE/NAME)`);
  }
  const kind = resourceKind(first);
  return rest.map((name) => ({ kind, name }));
}

function slashRef(arg: string): ResourceRef {
  const [type = '', name = ''] = arg.split('/', 2);
  if (name === '') throw new UsageError(`arguments in resource/name form must have a single resource and name: "${arg}"`);
  return { kind: resourceKind(type), name };
}

/** How `get -o name` and status lines name an object. */
export function qualifiedName(ref: ResourceRef): string {
  return ref.kind === 'jobs' ? `job.batch/${ref.name}` : `pod/${ref.name}`;
}
