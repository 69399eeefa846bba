/** Reading `-f FILE|-` and keeping its batch/v1 Jobs and CronJobs (YAML documents or JSON; a `List` stands for its items). */
import { readFile } from 'node:fs/promises';
import { BadRequestError, parseManifests, type CronJob, type Job } from '@jobfleet/kube';
import { KIND_DEFINITIONS, kubernetesDefinitions, strictDecodingMessage, unknownFields, withoutFields, type ValidationMode } from './strict-fields.js';

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
export function objectsFromText(text: string, source: string, kinds: readonly ManifestKind[] = SERVED_KINDS, validate: ValidationMode = 'ignore'): ManifestObject[] {
  return parseDocuments(text, source).map((document) => checkFields(asObject(document, source, kinds), source, validate));
}

/** parseManifests, its errors naming the file: `examples/x.yaml: line 3: … (column 5)`. */
function parseDocuments(text: string, source: string): unknown[] {
  try {
    return parseManifests(text);
  } catch (error) {
    if (!(error instanceof BadRequestError)) throw error;
    const located = /^error parsing (?:YAML|JSON) at line (\d+), column (\d+): (.*)$/s.exec(error.message);
    const [, line, column, message] = located ?? [];
    throw new Error(located ? `${source}: line ${line}: ${message} (column ${column})` : `${source}: ${error.message}`);
  }
}

/** Kubernetes' strict decoding of the fields (see strict-fields.ts), as kubectl's --validate asks. */
function checkFields(object: ManifestObject, source: string, validate: ValidationMode): ManifestObject {
  const definitions = kubernetesDefinitions();
  const root = KIND_DEFINITIONS[object.kind];
  if (!definitions || !root) return object;
  const unknown = unknownFields(object, root, definitions);
  if (unknown.length === 0) return object;
  const subject = `${object.kind === 'Job' ? 'job.batch' : 'cronjob.batch'}/${object.metadata.name ?? ''}`;
  if (validate === 'strict') throw new Error(`${source}: ${subject}: ${strictDecodingMessage(unknown)}; fix the manifest, or --validate=warn to send it without them`);
  if (validate === 'warn') process.stderr.write(`Warning: ${source}: ${subject}: ${strictDecodingMessage(unknown).replace('strict decoding error: ', '')}: dropped\n`);
  return withoutFields(object, unknown);
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

export async function readJobs(file: string, validate: ValidationMode = 'ignore'): Promise<Job[]> {
  return (await readManifests(file, ['Job'], validate)) as Job[];
}

/** The Jobs and CronJobs (or only `kinds`) of a file, in the file's order. */
export async function readManifests(file: string, kinds: readonly ManifestKind[] = SERVED_KINDS, validate: ValidationMode = 'ignore'): Promise<ManifestObject[]> {
  const source = file === '-' ? 'STDIN' : file;
  return objectsFromText(await readManifestText(file), source, kinds, validate);
}
