/**
 * From manifest text to a checked Job: parseManifests reads YAML or JSON into plain objects,
 * parseJob decodes, defaults and validates one of them.
 */
import { CST, Lexer, LineCounter, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { applyJobDefaults, type JobDefaultsOptions } from './defaults.js';
import { BadRequestError, InvalidError, RequestEntityTooLargeError } from './errors.js';
import { textOf } from './field-errors.js';
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
  // JSON (what kubectl and the clients send) within the limits by a scan of its characters: parsed
  // at once. The YAML lexer's measure took ~50 µs of a 1 KiB Job's create; it still decides anything
  // else (YAML, a flow mapping that is not JSON, JSON past a limit).
  if (/^\s*\{/.test(text) && jsonWithinLimits(text, MAX_NESTING_DEPTH, MAX_TOKENS)) {
    try {
      return expandList(JSON.parse(text));
    } catch {
      // Not JSON: read below as YAML (whose error, or JSON's, it answers with).
    }
  }
  assertManifestShape(text);
  const values = /^\s*\{/.test(text) ? parseJsonOrYaml(text) : parseYaml(text);
  return values.flatMap(expandList);
}

/**
 * How deep a manifest may nest. A Job needs about a dozen levels; the YAML parser (and the code
 * after it) recurses once per level, and a few thousand levels exhaust the stack: a RangeError, or
 * a V8 abort of the whole process when the regexp compiler is the one that hits the limit.
 */
export const MAX_NESTING_DEPTH = 100;
/**
 * How many YAML/JSON tokens a manifest may have (a big Job has tens of thousands). Within the 3 MiB
 * body limit a flat list can have millions, which take the YAML parser and validation many
 * seconds, during which the API answers nobody.
 */
export const MAX_TOKENS = 200_000;

/**
 * Checks YAML or JSON text before anything recursive or slow reads it: BadRequestError when it may
 * nest deeper than MAX_NESTING_DEPTH, RequestEntityTooLargeError when it has more than MAX_TOKENS
 * tokens. For every text that is then parsed (request bodies, patches).
 */
export function assertManifestShape(text: string): void {
  const { depth, tokens } = measure(text, MAX_NESTING_DEPTH, MAX_TOKENS);
  if (depth > MAX_NESTING_DEPTH) throw new BadRequestError(`the document nests more than ${MAX_NESTING_DEPTH} levels deep`);
  if (tokens > MAX_TOKENS) {
    throw new RequestEntityTooLargeError(`the document has more than ${MAX_TOKENS} YAML/JSON tokens: split it, or shorten its lists`);
  }
}

/**
 * Whether `text`, read as JSON, nests at most `depthLimit` deep and has at most `tokenLimit`
 * tokens (opening brackets, commas and colons outside strings, a lower bound of its values).
 * Exact for valid JSON, which is all it is trusted for: JSON.parse must then accept the text.
 * Stops at the first limit passed. Hand-written: a pass over the characters, no tokens built.
 */
function jsonWithinLimits(text: string, depthLimit: number, tokenLimit: number): boolean {
  let depth = 0;
  let tokens = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > depthLimit || ++tokens > tokenLimit) return false;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if ((c === 0x2c || c === 0x3a) && ++tokens > tokenLimit) return false;
  }
  return true;
}

const OPENS: ReadonlySet<string | undefined> = new Set(['flow-seq-start', 'flow-map-start']);
const CLOSES: ReadonlySet<string | undefined> = new Set(['flow-seq-end', 'flow-map-end']);
const BLOCK_INDICATORS: ReadonlySet<string | undefined> = new Set(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);
const NOT_CONTENT: ReadonlySet<string | undefined> = new Set(['space', 'comment', 'newline', 'doc-mode', 'byte-order-mark', 'flow-error-end']);

/**
 * The number of tokens, and an upper bound of how deep the text nests, from its tokens alone (the
 * lexer does not recurse): the open flow collections (`[`, `{`), plus, outside them, the block
 * levels a line may be at (the indentation steps open above it and the `-`, `?` and `:`
 * indicators on it). Counting stops once past a limit.
 */
function measure(text: string, depthLimit: number, tokenLimit: number): { depth: number; tokens: number } {
  let max = 0;
  let tokens = 0;
  let flow = 0;
  const indents: number[] = [];
  let indicators = 0;
  let indent = 0;
  let lineStart = true;
  let scalarValue = false;
  for (const source of new Lexer().lex(text)) {
    if (++tokens > tokenLimit) break;
    if (scalarValue) {
      scalarValue = false; // the text of a plain or block scalar: content, whatever it looks like
      continue;
    }
    const type = CST.tokenType(source) ?? undefined;
    if (type === 'newline') {
      [lineStart, indent, indicators] = [true, 0, 0];
      continue;
    }
    if (lineStart && type === 'space') indent = source.length;
    if (NOT_CONTENT.has(type)) continue;
    if (lineStart && flow === 0) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    lineStart = false;
    if (OPENS.has(type)) flow++;
    else if (CLOSES.has(type)) flow = Math.max(0, flow - 1);
    else if (flow === 0 && BLOCK_INDICATORS.has(type)) indicators++;
    else if (type === 'scalar') scalarValue = true;
    max = Math.max(max, flow + indents.length + indicators);
    if (max > depthLimit) break;
  }
  return { depth: max, tokens };
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
  // yaml's own duplicate-key check takes quadratic time (seconds for a mapping of 20000 keys).
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  return documents.flatMap((doc) => documentValue(doc, lineCounter));
}

/** The duplicate-key check yaml would make, in linear time: the first repeated scalar key of any mapping. */
function assertUniqueKeys(doc: Document.Parsed, lineCounter: LineCounter): void {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isSeq(node)) stack.push(...node.items);
    if (!isMap(node)) continue;
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key: unknown = pair.key;
      if (isScalar(key)) {
        if (seen.has(key.value)) {
          throw new BadRequestError(`error parsing YAML${atLine(lineCounter.linePos(key.range?.[0] ?? 0))}: Map keys must be unique`);
        }
        seen.add(key.value);
      } else stack.push(key);
      stack.push(pair.value);
    }
  }
}

function documentValue(doc: Document.Parsed, lineCounter: LineCounter): unknown[] {
  const [error] = doc.errors;
  if (error) throw new BadRequestError(`error parsing YAML${atLine(error.linePos?.[0])}: ${firstLine(error.message)}`);
  assertUniqueKeys(doc, lineCounter);
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
  return parseDocument(text, { schema: 'json', uniqueKeys: false }).errors[0]?.linePos?.[0];
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
    const version = textOf(input.apiVersion);
    throw new BadRequestError(`the API version in the data (${version}) does not match the expected API version (batch/v1)`);
  }
  if (input.kind !== 'Job') {
    throw new BadRequestError(`the kind in the data (${textOf(input.kind)}) does not match the expected kind (Job)`);
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
