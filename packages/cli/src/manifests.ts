/** Reading `-f FILE|-` and keeping its batch/v1 Jobs (YAML documents or JSON; a `List` stands for its items). */
import { readFile } from 'node:fs/promises';
import { parseManifests, type Job } from '@jobfleet/kube';

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
  return parseManifests(text).map((document) => asJob(document, source));
}

function asJob(document: unknown, source: string): Job {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error(`error validating "${source}": a document is not an object`);
  }
  const { apiVersion, kind } = document as { apiVersion?: unknown; kind?: unknown };
  if (apiVersion !== 'batch/v1' || kind !== 'Job') {
    throw new Error(`resource mapping not found in "${source}": no matches for kind "${String(kind ?? '')}" in version "${String(apiVersion ?? '')}" (jobfleet serves batch/v1 Job)`);
  }
  const metadata = (document as { metadata?: { name?: unknown } }).metadata;
  if (typeof metadata?.name !== 'string' || metadata.name === '') {
    throw new Error(`error validating "${source}": the Job has no metadata.name (generateName is not supported by this command)`);
  }
  return document as Job;
}

export async function readJobs(file: string): Promise<Job[]> {
  const source = file === '-' ? 'STDIN' : file;
  return jobsFromText(await readManifestText(file), source);
}
