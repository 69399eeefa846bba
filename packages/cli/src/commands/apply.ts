import type { JobfleetClient } from '@jobfleet/client';
import { NotFoundError, type Job } from '@jobfleet/spec';
import type { Command } from 'commander';
import { clientFor, globalOptions, namespaceChosen } from '../context.js';
import { AlreadyReportedError, errorMessage } from '../errors.js';
import { readJobs } from '../manifests.js';
import { isSubset } from '../spec-match.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create the Jobs of manifest files (YAML documents or JSON; "unchanged" if they already exist as written)')
    .requiredOption('-f, --filename <file>', 'manifest file, or - for stdin (repeatable)', collect)
    .action(async (options: { filename: string[] }, command: Command) => apply(options.filename, command));
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function apply(files: string[], command: Command): Promise<void> {
  const client = clientFor(command);
  const jobs: Job[] = [];
  for (const file of files) jobs.push(...(await readJobs(file)));
  let failures = 0;
  for (const job of jobs) {
    try {
      process.stdout.write(`${await applyJob(client, job, targetNamespace(job, command))}\n`);
    } catch (error) {
      failures++;
      process.stderr.write(`error: ${errorMessage(error)}\n`);
    }
  }
  if (failures > 0) throw new AlreadyReportedError(`${failures} of ${jobs.length} Jobs could not be applied`);
}

/** The manifest's namespace, unless -n names another (kubectl refuses that mismatch). */
function targetNamespace(job: Job, command: Command): string {
  const { namespace } = globalOptions(command);
  const own = job.metadata.namespace;
  if (own && own !== namespace && namespaceChosen(command)) {
    throw new Error(`the namespace from the provided object "${own}" does not match the namespace "${namespace}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own ?? namespace;
}

/** Creates the Job, or reports it unchanged; updating an existing Job is not supported yet (it needs PATCH). */
export async function applyJob(client: JobfleetClient, manifest: Job, namespace: string): Promise<string> {
  const name = manifest.metadata.name ?? '';
  const live = await getIfExists(client, name, namespace);
  if (!live) {
    await client.createJob(withLastApplied(manifest, namespace), { namespace });
    return `job.batch/${name} created`;
  }
  if (isSubset(manifest.spec, live.spec)) return `job.batch/${name} unchanged`;
  throw new Error(
    `job.batch/${name} already exists with a different spec, and jobfleet apply cannot update Jobs yet: use kubectl apply, or \`jobfleet delete job ${name}\` and apply again`,
  );
}

async function getIfExists(client: JobfleetClient, name: string, namespace: string): Promise<Job | undefined> {
  try {
    return await client.getJob(name, { namespace });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Like kubectl, record the applied manifest so a later `kubectl apply` can compute its three-way patch. */
function withLastApplied(manifest: Job, namespace: string): Job {
  const recorded = { ...manifest, metadata: { ...manifest.metadata, namespace } };
  const annotations = { ...manifest.metadata.annotations, [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(recorded)}\n` };
  return { ...recorded, metadata: { ...recorded.metadata, annotations } };
}
