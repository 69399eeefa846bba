/**
 * Kubernetes' strict decoding (`kubectl --validate=strict`, the API server's `fieldValidation=Strict`),
 * done by the CLI before it sends a manifest: a field Kubernetes 1.33's schema does not have at its
 * path is `unknown field "spec.completion"`, with the schema's nearest field there as a did-you-mean.
 * The schemas are the OpenAPI definitions the API serves (@jobfleet/api's definitions.json). Fields
 * Kubernetes has but jobfleet does not implement are the server's to refuse (Forbidden: not supported
 * by jobfleet). Pure, but for loading the definitions once.
 */
// The definitions alone (@jobfleet/api/openapi), not the API server: every CLI command loads this module.
import { loadDefinitions, type Definitions, type Schema as OpenApiSchema } from '@jobfleet/api/openapi';
import { InvalidArgumentError, Option } from 'commander';

export interface UnknownField {
  /** Where it is, as Kubernetes prints it: `spec.template.spec.containers[0].imagePullPolcy`. */
  path: string;
  /** The same path with the nearest field the schema has there, when one is near enough to be a typo. */
  suggestion?: string;
  /** The segments to remove it with (withoutFields). */
  segments: (string | number)[];
}

/** The definition each kind is decoded with. */
export const KIND_DEFINITIONS: Readonly<Record<string, string>> = {
  Job: 'io.k8s.api.batch.v1.Job',
  CronJob: 'io.k8s.api.batch.v1.CronJob',
};

/** More than this many are not listed one by one: the error line must stay readable. */
const MAX_LISTED = 5;
/** A manifest nests a dozen levels; parseManifests refuses deeper ones already. This only guards the walk. */
const MAX_DEPTH = 64;

/** The fields of `object` that the definition `root` (and those it refers to) does not have. */
export function unknownFields(object: unknown, root: string, definitions: Definitions): UnknownField[] {
  const found: UnknownField[] = [];
  const visit = (value: unknown, name: string | undefined, segments: (string | number)[]): void => {
    const properties = name === undefined ? undefined : definitions[name]?.properties;
    if (!properties || !isObject(value) || segments.length > MAX_DEPTH) return;
    for (const [key, child] of Object.entries(value)) {
      const property = properties[key];
      if (property === undefined) {
        const nearest = nearestName(key, Object.keys(properties));
        const path = formatPath([...segments, key]);
        found.push({ path, segments: [...segments, key], ...(nearest ? { suggestion: formatPath([...segments, nearest]) } : {}) });
        continue;
      }
      visitProperty(child, property, [...segments, key]);
    }
  };
  const visitProperty = (value: unknown, property: OpenApiSchema, segments: (string | number)[]): void => {
    if (property.$ref) return visit(value, property.$ref, segments);
    if (property.items?.$ref && Array.isArray(value)) {
      const ref = property.items.$ref;
      value.forEach((item, index) => visit(item, ref, [...segments, index]));
    }
    if (property.additionalProperties?.$ref && isObject(value)) {
      const ref = property.additionalProperties.$ref;
      for (const [key, item] of Object.entries(value)) visit(item, ref, [...segments, key]);
    }
  };
  visit(object, root, []);
  return found;
}

/** A copy of `object` without the fields (kubectl --validate=warn|ignore: the server drops them). */
export function withoutFields<T>(object: T, fields: readonly UnknownField[]): T {
  const copy = structuredClone(object);
  for (const { segments } of fields) {
    const parent = segments.slice(0, -1).reduce<unknown>((node, segment) => (isObject(node) || Array.isArray(node) ? Reflect.get(node, segment) : undefined), copy);
    const key = segments.at(-1);
    if (isObject(parent) && typeof key === 'string') Reflect.deleteProperty(parent, key);
  }
  return copy;
}

/** `strict decoding error: unknown field "spec.completion" (did you mean "spec.completions"?), …` */
export function strictDecodingMessage(fields: readonly UnknownField[]): string {
  const listed = fields.slice(0, MAX_LISTED).map(({ path, suggestion }) => `unknown field ${JSON.stringify(path)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`);
  const more = fields.length > MAX_LISTED ? ` and ${fields.length - MAX_LISTED} more` : '';
  return `strict decoding error: ${listed.join(', ')}${more}`;
}

/**
 * The candidate nearest to `name` by edit distance (case-insensitive, a case difference costing
 * nothing), if it is near enough to be a typo of it: at most a third of the name's length, and 1 for
 * short names.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase(), limit);
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance, given up (limit + 1) once past `limit`: field names are short, but a key in a manifest may not be. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Kubernetes' field paths: `a.b[0].c`. */
function formatPath(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let cached: Definitions | null | undefined;

/** The OpenAPI definitions, read once; undefined when the API package was not built (no check then). */
export function kubernetesDefinitions(): Definitions | undefined {
  if (cached === undefined) cached = loadDefinitions() ?? null;
  return cached ?? undefined;
}

/** kubectl's --validate: strict (an unknown field is an error), warn (a warning; the field is dropped), ignore (dropped). */
export type ValidationMode = 'strict' | 'warn' | 'ignore';

const VALIDATION_MODES = new Map<string, ValidationMode>([
  ['strict', 'strict'],
  ['true', 'strict'],
  ['warn', 'warn'],
  ['ignore', 'ignore'],
  ['false', 'ignore'],
]);

/** commander argParser for --validate; kubectl's `true`/`false` mean strict/ignore. */
export function validationMode(value: string): ValidationMode {
  const mode = VALIDATION_MODES.get(value.toLowerCase());
  if (mode === undefined) throw new InvalidArgumentError('must be strict, warn or ignore (true: strict, false: ignore).');
  return mode;
}

/** `--validate strict|warn|ignore`, default strict, as kubectl's. */
export function validateOption(): Option {
  return new Option('--validate <mode>', "unknown fields (not in Kubernetes' schema): strict (refuse), warn (drop, with a warning) or ignore (drop)").default('strict').argParser(validationMode);
}
