/** Reading `-f FILE|-` and keeping its batch/v1 Jobs and CronJobs (YAML documents or JSON; a `List` stands for its items). */
import { readFile } from 'node:fs/promises';
import { parseManifests, type CronJob, type Job } from '@jobfleet/kube';

/** The kinds jobfleet creates from manifests. */
export type ManifestKind = 'Job' | 'CronJob';
export type ManifestObject = Job | CronJob;
const SERVED_KINDS: readonly ManifestKind[] = ['Job', 'CronJob'];

export async function readManifestText(file: string): Promise<string> {
  if (file === '-') return readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the path "${file}" does not exist`);
    throw error;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The Jobs of a manifest text; anything else is an error naming its kind, as kubectl's "no matches for kind". */
export function jobsFromText(text: string, source: string): Job[] {
  return objectsFromText(text, source, ['Job']) as Job[];
}

/** The objects of a manifest text, each of one of `kinds`; another kind is an error naming it. */
export function objectsFromText(text: string, source: string, kinds: readonly ManifestKind[] = SERVED_KINDS): ManifestObject[] {
  return parseManifests(text).map((document) => asObject(document, source, kinds));
}

function asObject(document: unknown, source: string, kinds: readonly ManifestKind[]): ManifestObject {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error(`error validating "${source}": a document is not an object`);
  }
  const { apiVersion, kind } = document as { apiVersion?: unknown; kind?: unknown };
  const served = apiVersion === 'batch/v1' && SERVED_KINDS.includes(kind as ManifestKind);
  if (served && !kinds.includes(kind as ManifestKind)) {
    throw new Error(`"${source}" holds a batch/v1 ${String(kind)}: this command takes ${kinds.map((k) => `batch/v1 ${k}`).join(' or ')} only (try: jobfleet apply -f)`);
  }
  if (!served) {
    throw new Error(`resource mapping not found in "${source}": no matches for kind "${String(kind ?? '')}" in version "${String(apiVersion ?? '')}" (jobfleet serves batch/v1 Job and CronJob)`);
  }
  const metadata = (document as { metadata?: { name?: unknown } }).metadata;
  if (typeof metadata?.name !== 'string' || metadata.name === '') {
    throw new Error(`error validating "${source}": the ${String(kind)} has no metadata.name (generateName is not supported by this command)`);
  }
  return document as ManifestObject;
}

export async function readJobs(file: string): Promise<Job[]> {
  return (await readManifests(file, ['Job'])) as Job[];
}

/** The Jobs and CronJobs (or only `kinds`) of a file, in the file's order. */
export async function readManifests(file: string, kinds: readonly ManifestKind[] = SERVED_KINDS): Promise<ManifestObject[]> {
  const source = file === '-' ? 'STDIN' : file;
  return objectsFromText(await readManifestText(file), source, kinds);
}
