/** Parsers for option values and positional resource arguments shared by the commands. */
import type { ResourceType } from '@jobfleet/client';
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

/** A resource the server serves: jobs, cronjobs, pods, events, nodes, namespaces. */
export type ResourceKind = ResourceType;

/** kubectl's names for each resource (plural, singular, short name, with the group), and how `-o name` prints it. */
const RESOURCES: Record<ResourceKind, { aliases: readonly string[]; qualifier: string }> = {
  jobs: { aliases: ['job', 'job.batch', 'jobs.batch'], qualifier: 'job.batch' },
  cronjobs: { aliases: ['cronjob', 'cj', 'cronjob.batch', 'cronjobs.batch'], qualifier: 'cronjob.batch' },
  pods: { aliases: ['pod', 'po'], qualifier: 'pod' },
  events: { aliases: ['event', 'ev'], qualifier: 'event' },
  nodes: { aliases: ['node', 'no'], qualifier: 'node' },
  namespaces: { aliases: ['namespace', 'ns'], qualifier: 'namespace' },
};

const RESOURCE_ALIASES = new Map<string, ResourceKind>(
  Object.entries(RESOURCES).flatMap(([kind, { aliases }]) => [kind, ...aliases].map((alias) => [alias, kind as ResourceKind] as const)),
);

export function resourceKind(type: string): ResourceKind {
  const kind = RESOURCE_ALIASES.get(type.toLowerCase());
  if (!kind) throw new UsageError(`the server doesn't have a resource type "${type}" (jobfleet serves jobs, cronjobs, pods, events, nodes and namespaces)`);
  return kind;
}

/** Nodes and namespaces belong to no namespace. */
export function isClusterScoped(kind: ResourceKind): boolean {
  return kind === 'nodes' || kind === 'namespaces';
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

/** How `get -o name` and status lines name an object: job.batch/NAME, pod/NAME, … */
export function qualifiedName(ref: ResourceRef): string {
  return `${kindQualifier(ref.kind)}/${ref.name}`;
}

/** kubectl's name of a kind: "job.batch", "cronjob.batch", "pod", "event", "node", "namespace". */
export function kindQualifier(kind: ResourceKind): string {
  return RESOURCES[kind].qualifier;
}

/** The commands that work on Jobs only (wait) refuse other kinds with `message`. */
export function jobRefs(args: readonly string[], message: string): ResourceRef[] {
  return refsOfKinds(args, ['jobs'], message);
}

/** The commands that work on some kinds only (describe, delete) refuse the others with `message`. */
export function refsOfKinds(args: readonly string[], kinds: readonly ResourceKind[], message: string): ResourceRef[] {
  const refs = resourceRefs(args);
  if (refs.some((ref) => !kinds.includes(ref.kind))) throw new UsageError(message);
  return refs;
}
