import type { JobfleetClient } from '@jobfleet/client';
import { NotFoundError, type Job } from '@jobfleet/kube';
import type { Command } from 'commander';
import { applyPatch, LAST_APPLIED_ANNOTATION, lastAppliedOf, type JsonObject } from '../apply-patch.js';
import { clientFor, globalOptions, namespaceChosen } from '../context.js';
import { AlreadyReportedError, errorMessage } from '../errors.js';
import { readJobs } from '../manifests.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create the Jobs of manifest files (YAML documents or JSON), or patch the ones that exist: created, configured or unchanged')
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

/**
 * Creates the Job, or patches the existing one with what the manifest changes (a JSON merge patch,
 * see apply-patch.ts), recording the manifest in the last-applied annotation as kubectl does.
 * The server refuses changes of immutable fields (InvalidError).
 */
export async function applyJob(client: JobfleetClient, manifest: Job, namespace: string): Promise<string> {
  const name = manifest.metadata.name ?? '';
  const desired = withLastApplied(manifest, namespace);
  const live = await getIfExists(client, name, namespace);
  if (!live) {
    await client.createJob(desired, { namespace });
    return `job.batch/${name} created`;
  }
  const lastApplied = lastAppliedOf(live);
  const patch = applyPatch(desired as unknown as JsonObject, live, lastApplied);
  if (Object.keys(patch).length === 0) return `job.batch/${name} unchanged`;
  if (!lastApplied) {
    process.stderr.write(
      `Warning: resource jobs/${name} is missing the ${LAST_APPLIED_ANNOTATION} annotation which is required by jobfleet apply. jobfleet apply should only be used on resources created declaratively by either jobfleet apply or kubectl apply. The missing annotation will be patched automatically.\n`,
    );
  }
  await client.patchJob(name, patch, { namespace });
  return `job.batch/${name} configured`;
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
