/**
 * OpenAPI documents, as the API server publishes them: `/openapi/v2` (Swagger 2.0, JSON) and
 * `/openapi/v3` (an index of group versions, each `/openapi/v3/api/v1`, `/openapi/v3/apis/batch/v1`, …
 * a document of its operations and component schemas). They carry `x-kubernetes-group-version-kind`,
 * so `kubectl explain job.spec.podFailurePolicy` prints Kubernetes' descriptions, and kubectl's
 * `--validate=strict` (the default of `apply`, `create`, `replace`) finds the PATCH operation taking
 * `fieldValidation` and leaves validation to the server, which jobfleet always does strictly.
 *
 * The schemas are Kubernetes 1.33's own, generated at build time from the npm package
 * kubernetes-models (scripts/openapi-definitions.mjs → dist/openapi/definitions.json). jobfleet adds
 * what is its own, derived from its code rather than written here:
 * - which Job fields it implements, from the Job parser's schema (`jobSchema` of @jobfleet/kube): a field
 *   a Job may not set is marked "[jobfleet: not supported …]" at the start of its description (and
 *   `x-jobfleet-supported: false`), one it accepts and drops "[jobfleet: accepted and ignored]";
 * - the strategic-merge-patch keys (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`)
 *   its PATCH applies (JOB_PATCH_SCHEMA, CRONJOB_PATCH_SCHEMA), which `kubectl apply` computes its patches with.
 * Without the generated file (run from sources before a build) the documents have operations only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jobSchema, JobfleetError } from '@jobfleet/kube';
import { ALL_GROUP_VERSIONS, groupVersion, versionInfo, type GroupVersionDef, type ResourceDef } from './discovery.js';
import { CRONJOB_PATCH_SCHEMA, JOB_PATCH_SCHEMA, PATCH_CONTENT_TYPES, type PatchSchema } from './patch.js';
import { parseAccept } from './tables.js';

/** A schema of definitions.json: OpenAPI, with `$ref` holding a bare definition name. */
export interface Schema {
  description?: string;
  type?: string;
  format?: string;
  enum?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  [extension: `x-${string}`]: unknown;
}

export type Definitions = Record<string, Schema>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const JOB = 'io.k8s.api.batch.v1.Job';
const CRONJOB = 'io.k8s.api.batch.v1.CronJob';

/** dist/openapi/definitions.json, from dist/openapi.js or (tests) src/openapi.ts. */
export function loadDefinitions(): Definitions | undefined {
  for (const path of ['./openapi/definitions.json', '../dist/openapi/definitions.json']) {
    try {
      const file = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { definitions: Definitions };
      return file.definitions;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- jobfleet's support of Job fields

export const NOT_SUPPORTED_NOTE = '[jobfleet: not supported: a Job that sets this field is refused (Forbidden: not supported by jobfleet)]';
export const IGNORED_NOTE = '[jobfleet: accepted in a Job and ignored]';

/** What a zod schema of the Job parser is, seen through its wrappers (optional, default, transform, …). */
type ZodView = { kind: 'object'; shape: Record<string, unknown> } | { kind: 'array'; element: unknown } | { kind: 'record'; value: unknown } | { kind: 'ignored' } | { kind: 'leaf' };

interface ZodDef {
  type?: string;
  innerType?: unknown;
  in?: unknown;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
}

function zodDef(schema: unknown): ZodDef {
  return ((schema as { _zod?: { def?: ZodDef } } | undefined)?._zod?.def ?? {}) as ZodDef;
}

export function zodView(schema: unknown): ZodView {
  let def = zodDef(schema);
  for (let i = 0; i < 20; i++) {
    if (def.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable', 'nonoptional', 'readonly', 'catch'].includes(def.type ?? '')) def = zodDef(def.innerType);
    else if (def.type === 'pipe') def = zodDef(def.in);
    else break;
  }
  if (def.type === 'object' && def.shape) return { kind: 'object', shape: def.shape };
  if (def.type === 'array') return { kind: 'array', element: def.element };
  if (def.type === 'record') return { kind: 'record', value: def.valueType };
  // `ignored` in the Job parser: anything accepted, then dropped.
  if (def.type === 'unknown' || def.type === 'any') return { kind: 'ignored' };
  return { kind: 'leaf' };
}

function refOf(schema: Schema): string | undefined {
  return schema.$ref ?? schema.items?.$ref ?? schema.additionalProperties?.$ref;
}

function note(schema: Schema, text: string, supported: false | 'ignored'): void {
  if (schema['x-jobfleet-supported'] !== undefined) return;
  schema.description = schema.description ? `${text}\n\n${schema.description}` : text;
  schema['x-jobfleet-supported'] = supported;
}

/**
 * Marks, in place, the fields of a definition (and those it refers to) that the Job parser's schema
 * does not accept, or accepts and drops. Definitions are shared (a Container is a Container wherever
 * it appears), so the marks speak of "a Job".
 */
export function markSupport(definitions: Definitions, name: string, zod: unknown, only?: readonly string[], seen = new Set<string>()): void {
  const def = definitions[name];
  const view = zodView(zod);
  if (!def?.properties || view.kind !== 'object') return;
  if (seen.has(name)) return;
  seen.add(name);
  for (const [field, schema] of Object.entries(def.properties)) {
    if (only && !only.includes(field)) continue;
    const child = view.shape[field];
    if (child === undefined) {
      note(schema, NOT_SUPPORTED_NOTE, false);
      continue;
    }
    const childView = zodView(child);
    if (childView.kind === 'ignored') {
      note(schema, IGNORED_NOTE, 'ignored');
      continue;
    }
    const ref = refOf(schema);
    if (!ref) continue;
    const inner = childView.kind === 'array' ? childView.element : childView.kind === 'record' ? childView.value : child;
    markSupport(definitions, ref, inner, undefined, seen);
  }
}

/** Adds the patch strategies a PATCH applies (`schema`: a Job's, a CronJob's), walking the kind's definitions from the root. */
export function markPatchStrategies(definitions: Definitions, name: string, schema: PatchSchema, path: readonly string[] = [], depth = 0): void {
  const def = definitions[name];
  if (!def?.properties || depth > 12) return;
  for (const [field, property] of Object.entries(def.properties)) {
    const fieldPath = [...path, field];
    if (property.type === 'array') {
      const strategy = schema(fieldPath);
      if (strategy) {
        property['x-kubernetes-patch-strategy'] = 'merge';
        if (strategy.mergeKey) property['x-kubernetes-patch-merge-key'] = strategy.mergeKey;
      }
    }
    const ref = property.$ref ?? property.items?.$ref;
    if (ref) markPatchStrategies(definitions, ref, schema, fieldPath, depth + 1);
  }
}

/** The definitions with jobfleet's marks (a copy). */
export function jobfleetDefinitions(source: Definitions): Definitions {
  const definitions = structuredClone(source);
  // Only what a Job's manifest holds: its status is jobfleet's to write, not to accept.
  markSupport(definitions, JOB, jobSchema, ['metadata', 'spec']);
  markPatchStrategies(definitions, JOB, JOB_PATCH_SCHEMA);
  // A CronJob's jobTemplate holds a JobSpec (marked above, definitions being shared) and its own lists.
  markPatchStrategies(definitions, CRONJOB, CRONJOB_PATCH_SCHEMA);
  return definitions;
}

/** Every definition `names` refer to, themselves included. */
export function closure(definitions: Definitions, names: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (name: string) => {
    if (found.has(name) || !definitions[name]) return;
    found.add(name);
    const walk = (schema: Schema | undefined) => {
      if (!schema) return;
      if (schema.$ref) visit(schema.$ref);
      walk(schema.items);
      walk(schema.additionalProperties);
      Object.values(schema.properties ?? {}).forEach(walk);
    };
    walk(definitions[name]);
  };
  names.forEach(visit);
  return [...found].sort();
}

/** A schema with its references in the form of one OpenAPI version. */
function render(schema: Schema, version: 2 | 3, asProperty = false): Record<string, unknown> {
  const prefix = version === 2 ? '#/definitions/' : '#/components/schemas/';
  const { $ref, items, additionalProperties, properties, ...rest } = schema;
  const out: Record<string, unknown> = { ...rest };
  if ($ref) {
    // v3 puts a referring property's own description beside an allOf (a $ref has no siblings there).
    if (version === 3 && asProperty) out.allOf = [{ $ref: prefix + $ref }];
    else out.$ref = prefix + $ref;
  }
  if (items) out.items = render(items, version);
  if (additionalProperties) out.additionalProperties = render(additionalProperties, version);
  if (properties) out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, render(v, version, true)]));
  return out;
}

// ---------------------------------------------------------------- the operations

/** The definition name of a kind in a group version, if there is one. */
function kindName(definitions: Definitions | undefined, gv: GroupVersionDef, kind: string): string | undefined {
  if (!definitions) return undefined;
  return Object.keys(definitions).find((name) =>
    (definitions[name]?.['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined)?.some(
      (g) => g.group === gv.group && g.version === gv.version && g.kind === kind,
    ),
  );
}

type Operation = Record<string, unknown>;

const queryParam = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const pathParam = (name: string, description: string) => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted. The only valid value is All.'),
  queryParam('fieldManager', 'A name associated with the actor or entity that is making these changes.'),
  queryParam('fieldValidation', 'How the server handles unknown or duplicate fields: Ignore, Warn or Strict. jobfleet always rejects fields it does not know.'),
];
const LIST_PARAMS = [
  ...['labelSelector', 'fieldSelector', 'continue', 'resourceVersion', 'resourceVersionMatch'].map((name) => queryParam(name, `See the Kubernetes API conventions for "${name}".`)),
  ...['limit', 'timeoutSeconds'].map((name) => queryParam(name, `See the Kubernetes API conventions for "${name}".`, 'integer')),
  ...['watch', 'allowWatchBookmarks', 'sendInitialEvents'].map((name) => queryParam(name, `See the Kubernetes API conventions for "${name}".`, 'boolean')),
];

interface Refs {
  kind?: string;
  list?: string;
}

function v3Body(ref: string | undefined, types: readonly string[] = ['application/json', 'application/yaml']) {
  const schema = ref ? { $ref: `#/components/schemas/${ref}` } : { type: 'object' };
  return { content: Object.fromEntries(types.map((type) => [type, { schema }])), required: true };
}

function v3Responses(code: string, ref: string | undefined) {
  const schema = ref ? { $ref: `#/components/schemas/${ref}` } : { type: 'object' };
  return { [code]: { description: code === '201' ? 'Created' : 'OK', content: { 'application/json': { schema }, 'application/yaml': { schema } } }, '401': { description: 'Unauthorized' } };
}

function operation(gv: GroupVersionDef, r: ResourceDef, action: string, id: string, extra: Operation): Operation {
  return {
    operationId: id,
    tags: [gv.group ? `${gv.group.split('.')[0]}_${gv.version}` : `core_${gv.version}`],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: gv.group, version: gv.version, kind: r.kind },
    ...extra,
  };
}

const camel = (text: string) => text.split(/[.-]/).map((p) => (p ? p[0]?.toUpperCase() + p.slice(1) : '')).join('');

function resourcePaths(gv: GroupVersionDef, r: ResourceDef, refs: Refs): Record<string, unknown> {
  const prefix = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.name}` : `${prefix}/${r.name}`;
  const nsParams = r.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const can = (verb: string) => r.verbs.includes(verb);
  const id = (verb: string) => `${verb}${gv.group ? camel(gv.group.split('.')[0] ?? '') : 'Core'}${camel(gv.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  const status = `${META}.Status`;
  const paths: Record<string, unknown> = {};
  paths[collection] = {
    parameters: nsParams,
    ...(can('list') ? { get: operation(gv, r, 'list', id('list'), { parameters: LIST_PARAMS, responses: v3Responses('200', refs.list) }) } : {}),
    ...(can('create') ? { post: operation(gv, r, 'post', id('create'), { parameters: WRITE_PARAMS, requestBody: v3Body(refs.kind), responses: v3Responses('201', refs.kind) }) } : {}),
    ...(can('deletecollection')
      ? { delete: operation(gv, r, 'deletecollection', id('deleteCollection'), { parameters: LIST_PARAMS, requestBody: v3Body(`${META}.DeleteOptions`), responses: v3Responses('200', status) }) }
      : {}),
  };
  if (!['get', 'update', 'patch', 'delete'].some(can)) return paths;
  paths[`${collection}/{name}`] = {
    parameters: [pathParam('name', `name of the ${r.kind}`), ...nsParams],
    ...(can('get') ? { get: operation(gv, r, 'get', id('read'), { responses: v3Responses('200', refs.kind) }) } : {}),
    ...(can('update') ? { put: operation(gv, r, 'put', id('replace'), { parameters: WRITE_PARAMS, requestBody: v3Body(refs.kind), responses: v3Responses('200', refs.kind) }) } : {}),
    ...(can('patch') ? { patch: operation(gv, r, 'patch', id('patch'), { parameters: WRITE_PARAMS, requestBody: v3Body(undefined, PATCH_CONTENT_TYPES), responses: v3Responses('200', refs.kind) }) } : {}),
    ...(can('delete') ? { delete: operation(gv, r, 'delete', id('delete'), { parameters: WRITE_PARAMS, requestBody: v3Body(`${META}.DeleteOptions`), responses: v3Responses('200', status) }) } : {}),
  };
  return paths;
}

/**
 * Resources that can be read but not patched still get a PATCH operation with `fieldValidation`, so
 * that kubectl sends their manifests to the server (which explains what jobfleet does not support)
 * instead of failing to download schemas for client-side validation.
 */
function withValidationHint(r: ResourceDef): ResourceDef {
  return r.verbs.includes('patch') || !r.verbs.includes('get') ? r : { ...r, verbs: [...r.verbs, 'patch'] };
}

/** The definitions a group version's document holds: its kinds, their lists, and the meta types every document has. */
function documentSchemas(definitions: Definitions, gv: GroupVersionDef): string[] {
  const kinds = gv.resources.flatMap((r) => [kindName(definitions, gv, r.kind), kindName(definitions, gv, `${r.kind}List`)]);
  const meta = [`${META}.Status`, `${META}.DeleteOptions`, ...(gv.resources.some((r) => r.verbs.includes('watch')) ? [`${META}.WatchEvent`] : [])];
  return closure(definitions, [...kinds.filter((k): k is string => k !== undefined), ...meta]);
}

export function groupVersionDocument(gv: GroupVersionDef, definitions?: Definitions) {
  const paths = Object.assign(
    {},
    ...gv.resources.map((r) => resourcePaths(gv, withValidationHint(r), { kind: kindName(definitions, gv, r.kind), list: kindName(definitions, gv, `${r.kind}List`) })),
  );
  const schemas = definitions ? Object.fromEntries(documentSchemas(definitions, gv).map((name) => [name, render(definitions[name] ?? {}, 3)])) : {};
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: versionInfo().gitVersion },
    paths,
    components: { schemas },
  };
}

/** Swagger 2.0: every group version's operations and every definition, as /openapi/v2 serves them. */
export function swaggerDocument(definitions?: Definitions) {
  const paths: Record<string, unknown> = {};
  for (const gv of ALL_GROUP_VERSIONS) {
    for (const [path, item] of Object.entries(groupVersionDocument(gv, definitions).paths as Record<string, Record<string, unknown>>)) {
      paths[path] = Object.fromEntries(Object.entries(item).map(([method, op]) => [method, method === 'parameters' ? toV2Parameters(op) : toV2Operation(op as Operation)]));
    }
  }
  const all = definitions ? closure(definitions, Object.keys(definitions)) : [];
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: versionInfo().gitVersion },
    paths,
    definitions: Object.fromEntries(all.map((name) => [name, render(definitions?.[name] ?? {}, 2)])),
  };
}

function toV2Parameters(parameters: unknown): unknown {
  return (parameters as { name: string; in: string; description: string; required?: boolean; schema: { type: string } }[]).map((p) => ({
    name: p.name,
    in: p.in,
    description: p.description,
    type: p.schema.type,
    uniqueItems: true,
    ...(p.required ? { required: true } : {}),
  }));
}

/** A v3 operation in Swagger 2.0's form: body parameter, produces/consumes, response schemas. */
function toV2Operation(op: Operation): Operation {
  const { requestBody, responses, parameters, ...rest } = op as Operation & {
    requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
    responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
    parameters?: unknown;
  };
  const v2Ref = (schema: { $ref?: string } | undefined) => (schema?.$ref ? { $ref: schema.$ref.replace('#/components/schemas/', '#/definitions/') } : { type: 'object' });
  const body = requestBody ? [{ name: 'body', in: 'body', required: true, schema: v2Ref(Object.values(requestBody.content)[0]?.schema) }] : [];
  return {
    ...rest,
    consumes: requestBody ? Object.keys(requestBody.content) : ['*/*'],
    produces: ['application/json', 'application/yaml'],
    schemes: ['https'],
    parameters: [...(parameters ? (toV2Parameters(parameters) as unknown[]) : []), ...body],
    responses: Object.fromEntries(
      Object.entries(responses).map(([code, r]) => [code, { description: r.description, ...(r.content ? { schema: v2Ref(Object.values(r.content)[0]?.schema) } : {}) }]),
    ),
  };
}

// ---------------------------------------------------------------- routes

function hashOf(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

interface Documents {
  v2: string;
  v3Index: string;
  v3: Map<string, string>;
}

let cached: Documents | undefined;

/** The documents, built once per process (as JSON text: each is sent as is). */
export function documents(): Documents {
  if (cached) return cached;
  const source = loadDefinitions();
  const definitions = source ? jobfleetDefinitions(source) : undefined;
  const v3 = new Map<string, string>();
  const index: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of ALL_GROUP_VERSIONS) {
    const path = gv.group ? `apis/${groupVersion(gv)}` : `api/${gv.version}`;
    const doc = groupVersionDocument(gv, definitions);
    v3.set(path, JSON.stringify(doc));
    index[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(doc)}` };
  }
  cached = { v2: JSON.stringify(swaggerDocument(definitions)), v3Index: JSON.stringify({ paths: index }), v3 };
  return cached;
}

/** kubectl asks /openapi/v2 for protobuf only: jobfleet serves JSON, and says so instead of sending what it would misread. */
function acceptsJson(req: FastifyRequest): boolean {
  const offered = parseAccept(req.headers.accept);
  return offered.length === 0 || offered.some((m) => m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*');
}

function sendText(reply: FastifyReply, text: string): FastifyReply {
  return reply.code(200).header('content-type', 'application/json').send(text);
}

export function registerOpenApiRoutes(app: FastifyInstance): void {
  app.get('/openapi/v2', async (req, reply) => {
    if (!acceptsJson(req)) {
      throw new JobfleetError(`only the following media types are accepted: application/json (jobfleet serves /openapi/v2 as JSON, not protobuf)`, 406, 'NotAcceptable');
    }
    return sendText(reply, documents().v2);
  });
  app.get('/openapi/v3', async (_req, reply) => sendText(reply, documents().v3Index));
  app.get<{ Params: { '*': string } }>('/openapi/v3/*', async (req, reply) => {
    const doc = documents().v3.get(req.params['*'].replace(/\/$/, ''));
    return doc ? sendText(reply, doc) : reply.callNotFound();
  });
}
