/**
 * From manifest text to a checked Job: parseManifests reads YAML or JSON into plain objects,
 * parseJob decodes, defaults and validates one of them.
 */
import { LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { applyJobDefaults, type JobDefaultsOptions } from './defaults.js';
import { BadRequestError, InvalidError } from './errors.js';
import { decodeJob, isPlainObject } from './schema.js';
import type { Job } from './types.js';
import { validateJob } from './validation.js';
import type { PodPolicy } from './validation-pod.js';

/**
 * The objects in a manifest: YAML (documents separated by `---`, empty ones skipped) or JSON (one
 * object). A `List` (or `…List`) object stands for its items. Throws BadRequestError, with the
 * line, for text that cannot be read or a document that is not an object.
 */
export function parseManifests(text: string): unknown[] {
  const values = /^\s*\{/.test(text) ? parseJsonOrYaml(text) : parseYaml(text);
  return values.flatMap(expandList);
}

const EXPECTED_OBJECT = 'expected an object (a mapping with apiVersion and kind)';

function parseJsonOrYaml(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch (jsonError) {
    // A YAML flow mapping, or several documents, also start with "{".
    const yaml = tryParseYaml(text);
    if (yaml) return yaml;
    throw new BadRequestError(jsonErrorMessage(text, jsonError));
  }
}

function tryParseYaml(text: string): unknown[] | undefined {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}

function parseYaml(text: string): unknown[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  return documents.flatMap((doc) => documentValue(doc, lineCounter));
}

function documentValue(doc: Document.Parsed, lineCounter: LineCounter): unknown[] {
  const [error] = doc.errors;
  if (error) throw new BadRequestError(`error parsing YAML${atLine(error.linePos?.[0])}: ${firstLine(error.message)}`);
  const value: unknown = toJs(doc);
  if (value === null || value === undefined) return [];
  if (!isPlainObject(value)) {
    const where = atLine(lineCounter.linePos(doc.contents?.range[0] ?? 0));
    throw new BadRequestError(`error parsing YAML${where}: ${EXPECTED_OBJECT}, got ${typeName(value)}`);
  }
  return [value];
}

function toJs(doc: Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new BadRequestError(`error parsing YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function expandList(value: unknown): unknown[] {
  if (!isPlainObject(value)) throw new BadRequestError(`${EXPECTED_OBJECT}, got ${typeName(value)}`);
  const isList = typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
  return isList ? (value.items as unknown[]).flatMap(expandList) : [value];
}

/** V8 gives an offset for most JSON errors; the YAML parser locates the others. */
function jsonErrorMessage(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const offset = /at position (\d+)/.exec(message)?.[1];
  const position = offset === undefined ? yamlErrorPosition(text) : linePosition(text, Number(offset));
  return `error parsing JSON${atLine(position)}: ${message}`;
}

function yamlErrorPosition(text: string): { line: number; col: number } | undefined {
  return parseDocument(text, { schema: 'json' }).errors[0]?.linePos?.[0];
}

function linePosition(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}

function atLine(position: { line: number; col: number } | undefined): string {
  return position ? ` at line ${position.line}, column ${position.col}` : '';
}

/** The yaml package appends " at line L, column C:" and a code excerpt; the position is printed separately. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string (${JSON.stringify(shorten(value, 40))})`;
  return `a ${typeof value}`;
}

export type ParseJobOptions = JobDefaultsOptions & PodPolicy;

/**
 * A manifest object as a decoded, defaulted and validated Job. Throws BadRequestError when it is
 * not a batch/v1 Job at all, and InvalidError carrying every problem found otherwise. A `status`
 * in the input is ignored. Privileged pod fields (privileged containers, added capabilities, host
 * namespaces, hostPath volumes) are Forbidden unless `options.allowPrivileged` is true.
 */
export function parseJob(input: unknown, options: ParseJobOptions = {}): Job {
  assertIsJobObject(input);
  const { job, errors } = decodeJob(input);
  const defaulted = job ? applyJobDefaults(job, options) : undefined;
  const allErrors = defaulted ? [...errors, ...validateJob(defaulted, { allowPrivileged: options.allowPrivileged === true })] : errors;
  if (!defaulted || allErrors.length > 0) throw new InvalidError({ name: nameOf(input), errors: allErrors });
  return defaulted;
}

/** Kubernetes answers 400 for these, before any field validation. */
function assertIsJobObject(input: unknown): asserts input is Record<string, unknown> {
  if (!isPlainObject(input)) throw new BadRequestError(`expected a Job object, got ${typeName(input)}`);
  if (input.kind === undefined || input.kind === '') throw new BadRequestError(`Object 'Kind' is missing in '${preview(input)}'`);
  if (input.apiVersion === undefined || input.apiVersion === '') {
    throw new BadRequestError(`Object 'apiVersion' is missing in '${preview(input)}'`);
  }
  if (input.apiVersion !== 'batch/v1') {
    const version = String(input.apiVersion);
    throw new BadRequestError(`the API version in the data (${version}) does not match the expected API version (batch/v1)`);
  }
  if (input.kind !== 'Job') {
    throw new BadRequestError(`the kind in the data (${String(input.kind)}) does not match the expected kind (Job)`);
  }
}

function preview(input: unknown): string {
  return shorten(JSON.stringify(input), 256);
}

function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function nameOf(input: Record<string, unknown>): string {
  const metadata = input.metadata;
  return isPlainObject(metadata) && typeof metadata.name === 'string' ? metadata.name : '';
}
