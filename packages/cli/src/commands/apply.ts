import type { JobfleetClient } from '@jobfleet/client';
import { NotFoundError, type CronJob, type Job } from '@jobfleet/kube';
import type { Command } from 'commander';
import { applyPatch, LAST_APPLIED_ANNOTATION, lastAppliedOf, type JsonObject } from '../apply-patch.js';
import { clientFor, globalOptions, namespaceChosen } from '../context.js';
import { AlreadyReportedError, errorMessage } from '../errors.js';
import { readManifests, type ManifestKind, type ManifestObject } from '../manifests.js';
import { validateOption, type ValidationMode } from '../strict-fields.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create the Jobs and CronJobs of manifest files (YAML documents or JSON), or patch the ones that exist: created, configured or unchanged')
    .requiredOption('-f, --filename <file>', 'manifest file, or - for stdin (repeatable)', collect)
    .addOption(validateOption())
    .action(async (options: { filename: string[]; validate: ValidationMode }, command: Command) => apply(options.filename, options.validate, command));
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function apply(files: string[], validate: ValidationMode, command: Command): Promise<void> {
  const client = clientFor(command);
  const objects: ManifestObject[] = [];
  for (const file of files) objects.push(...(await readManifests(file, undefined, validate)));
  let failures = 0;
  for (const object of objects) {
    try {
      process.stdout.write(`${await applyObject(client, object, targetNamespace(object, command))}\n`);
    } catch (error) {
      failures++;
      process.stderr.write(`error: ${errorMessage(error)}\n`);
    }
  }
  if (failures > 0) throw new AlreadyReportedError(`${failures} of ${objects.length} objects could not be applied`);
}

/** The manifest's namespace, unless -n names another (kubectl refuses that mismatch). */
function targetNamespace(object: ManifestObject, command: Command): string {
  const { namespace } = globalOptions(command);
  const own = object.metadata.namespace;
  if (own && own !== namespace && namespaceChosen(command)) {
    throw new Error(`the namespace from the provided object "${own}" does not match the namespace "${namespace}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own ?? namespace;
}

/** How apply reads, creates and patches each kind it takes. */
interface KindCalls {
  resource: string;
  qualifier: string;
  get(client: JobfleetClient, name: string, namespace: string): Promise<ManifestObject>;
  create(client: JobfleetClient, object: ManifestObject, namespace: string): Promise<unknown>;
  patch(client: JobfleetClient, name: string, patch: JsonObject, namespace: string): Promise<unknown>;
}

const KINDS: Record<ManifestKind, KindCalls> = {
  Job: {
    resource: 'jobs',
    qualifier: 'job.batch',
    get: (client, name, namespace) => client.getJob(name, { namespace }),
    create: (client, object, namespace) => client.createJob(object as Job, { namespace }),
    patch: (client, name, patch, namespace) => client.patchJob(name, patch, { namespace }),
  },
  CronJob: {
    resource: 'cronjobs',
    qualifier: 'cronjob.batch',
    get: (client, name, namespace) => client.getCronJob(name, { namespace }),
    create: (client, object, namespace) => client.createCronJob(object as CronJob, { namespace }),
    patch: (client, name, patch, namespace) => client.patchCronJob(name, patch, { namespace }),
  },
};

/**
 * Creates the Job or CronJob, or patches the existing one with what the manifest changes (a JSON
 * merge patch, see apply-patch.ts), recording the manifest in the last-applied annotation as kubectl
 * does. The server refuses changes it does not allow (InvalidError).
 */
export async function applyObject(client: JobfleetClient, manifest: ManifestObject, namespace: string): Promise<string> {
  const calls = KINDS[manifest.kind];
  const name = manifest.metadata.name ?? '';
  const desired = withLastApplied(manifest, namespace);
  const live = await getIfExists(() => calls.get(client, name, namespace));
  if (!live) {
    await calls.create(client, desired, namespace);
    return `${calls.qualifier}/${name} created`;
  }
  const lastApplied = lastAppliedOf(live);
  const patch = applyPatch(desired as unknown as JsonObject, live, lastApplied);
  if (Object.keys(patch).length === 0) return `${calls.qualifier}/${name} unchanged`;
  if (!lastApplied) {
    process.stderr.write(
      `Warning: resource ${calls.resource}/${name} is missing the ${LAST_APPLIED_ANNOTATION} annotation which is required by jobfleet apply. jobfleet apply should only be used on resources created declaratively by either jobfleet apply or kubectl apply. The missing annotation will be patched automatically.\n`,
    );
  }
  await calls.patch(client, name, patch, namespace);
  return `${calls.qualifier}/${name} configured`;
}

async function getIfExists(get: () => Promise<ManifestObject>): Promise<ManifestObject | undefined> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Like kubectl, record the applied manifest so a later `kubectl apply` can compute its three-way patch. */
function withLastApplied(manifest: ManifestObject, namespace: string): ManifestObject {
  const recorded = { ...manifest, metadata: { ...manifest.metadata, namespace } };
  const annotations = { ...manifest.metadata.annotations, [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(recorded)}\n` };
  return { ...recorded, metadata: { ...recorded.metadata, annotations } } as ManifestObject;
}
