import type { JobfleetClient, Table } from '@jobfleet/client';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { clientFor, globalOptions, transportFor } from '../context.js';
import { listAndWatch } from '../get-watch.js';
import { UsageError } from '../errors.js';
import { isClusterScoped, kindQualifier, outputOption, qualifiedName, resourceKind, resourceRefs, type OutputFormat, type ResourceKind } from '../options.js';
import { printTable } from '../table-printer.js';

interface GetOptions {
  output?: OutputFormat;
  selector?: string;
  watch?: boolean;
  allNamespaces?: boolean;
}

interface KubeObject {
  metadata: { name?: string };
}

/** What to get: the named objects, or the list of one kind. */
type Target = { refs: { kind: ResourceKind; name: string }[] } | { kind: ResourceKind; labelSelector?: string };

export function registerGet(program: Command): void {
  program
    .command('get')
    .description("list objects or show some by name, in the server's kubectl columns (-o wide: all of them)")
    .argument('<type>', 'jobs|cronjobs|pods|events|nodes|namespaces (or job, cj, po, ev, no, ns…), or TYPE/NAME')
    .argument('[names...]', 'names of objects to show')
    .addOption(outputOption())
    .option('-l, --selector <selector>', 'label selector, e.g. app=x,tier!=db')
    .option('-w, --watch', 'after the list, print a row per change until Ctrl-C (as kubectl get -w)')
    .option('-A, --all-namespaces', 'list the objects of every namespace (a NAMESPACE column first)')
    .action(async (type: string, names: string[], options: GetOptions, command: Command) => get(type, names, options, command));
}

async function get(type: string, names: string[], options: GetOptions, command: Command): Promise<void> {
  const single = type.includes('/') || names.length > 0;
  if (single && options.selector) throw new UsageError('name cannot be provided when a selector is specified');
  const target: Target = single ? { refs: resourceRefs([type, ...names]) } : { kind: resourceKind(type), ...(options.selector ? { labelSelector: options.selector } : {}) };
  const client = clientFor(command);
  const { output } = options;
  if (options.watch || options.allNamespaces) {
    if (single && options.allNamespaces) throw new UsageError('a resource cannot be retrieved by name across all namespaces');
    if (output === 'json' || output === 'yaml' || output === 'name') throw new UsageError(`-o ${output} is not supported with -w or -A: use the table (or -o wide)`);
    // One named object is watched as kubectl does: the list of that name (metadata.name field selector).
    const refs = single ? resourceRefs([type, ...names]) : [];
    const [ref] = refs;
    if (refs.length > 1) throw new UsageError('watch is only supported on individual resources and resource collections, but 2 resources were found');
    const kind = ref ? ref.kind : resourceKind(type);
    return listAndWatch({ transport: transportFor(command), kind, namespace: globalOptions(command).namespace, ...options, ...(ref ? { fieldSelector: `metadata.name=${ref.name}` } : {}) });
  }
  if (output === 'json' || output === 'yaml' || output === 'name') return printObjects(client, target, output);
  const tables = await fetchTables(client, target);
  if (tables.every(({ table }) => table.rows.length === 0)) return noResources(target, command);
  const withKind = tables.length > 1;
  const texts = tables.map(({ kind, table }) => printTable(table, { wide: output === 'wide', ...(withKind ? { kindPrefix: kindQualifier(kind) } : {}) }));
  process.stdout.write(texts.join('\n'));
}

/** The server's Tables: one per kind, in the order the kinds were named (rows of one kind share a header). */
async function fetchTables(client: JobfleetClient, target: Target): Promise<{ kind: ResourceKind; table: Table }[]> {
  if (!('refs' in target)) return [{ kind: target.kind, table: await client.getTable(target.kind, target.labelSelector ? { labelSelector: target.labelSelector } : {}) }];
  const byKind = new Map<ResourceKind, Table>();
  for (const { kind, name } of target.refs) {
    const table = await client.getTable(kind, { name });
    const seen = byKind.get(kind);
    byKind.set(kind, seen ? { ...seen, rows: [...seen.rows, ...table.rows] } : table);
  }
  return [...byKind].map(([kind, table]) => ({ kind, table }));
}

/** -o json|yaml|name print the objects themselves: one as it is, several as a v1 List. */
async function printObjects(client: JobfleetClient, target: Target, output: 'json' | 'yaml' | 'name'): Promise<void> {
  const fetched: { kind: ResourceKind; object: KubeObject }[] = [];
  if ('refs' in target) {
    for (const { kind, name } of target.refs) fetched.push({ kind, object: await client.getObject<KubeObject>(kind, name) });
  } else {
    const objects = await client.listObjects<KubeObject>(target.kind, target.labelSelector ? { labelSelector: target.labelSelector } : {});
    fetched.push(...objects.map((object) => ({ kind: target.kind, object })));
  }
  if (output === 'name') {
    for (const { kind, object } of fetched) process.stdout.write(`${qualifiedName({ kind, name: object.metadata.name ?? '' })}\n`);
    return;
  }
  const [only] = fetched;
  const value = 'refs' in target && fetched.length === 1 && only ? only.object : { apiVersion: 'v1', items: fetched.map((f) => f.object), kind: 'List', metadata: { resourceVersion: '' } };
  // kubectl prints JSON with 4-space indentation.
  process.stdout.write(output === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value));
}

function noResources(target: Target, command: Command): void {
  const clusterScoped = !('refs' in target) && isClusterScoped(target.kind);
  process.stderr.write(clusterScoped ? 'No resources found\n' : `No resources found in ${globalOptions(command).namespace} namespace.\n`);
}
