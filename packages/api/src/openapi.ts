/**
 * OpenAPI v3, as far as kubectl needs it: `/openapi/v3` lists the group versions, and each group
 * version's document describes the operations on its resources. kubectl's `--validate=strict`
 * (the default of `apply`, `create` and `replace`) looks for the PATCH operation tagged with the
 * object's group-version-kind and, when it takes the `fieldValidation` query parameter, leaves the
 * validation to the server (which jobfleet always does strictly) instead of downloading schemas.
 *
 * No component schemas are published: `kubectl apply` then computes its patches from its built-in
 * batch/v1 types, and `kubectl explain` is not available. /openapi/v2 is not served (404), which
 * kubectl tolerates everywhere it is optional.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { BATCH_V1, CORE_V1, KUBERNETES_VERSION, type GroupVersionDef, type ResourceDef } from './discovery.js';
import { sendJson } from './http.js';
import { PATCH_CONTENT_TYPES } from './patch.js';

type Operation = Record<string, unknown>;

const queryParam = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, schema: { type, uniqueItems: true } });
const pathParam = (name: string, description: string) => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted. The only valid value is All.'),
  queryParam('fieldManager', 'A name associated with the actor or entity that is making these changes.'),
  queryParam('fieldValidation', 'How the server handles unknown or duplicate fields: Ignore, Warn or Strict. jobfleet always rejects fields it does not know.'),
];
const LIST_PARAMS = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'watch', 'allowWatchBookmarks', 'sendInitialEvents'].map(
  (name) => queryParam(name, `See the Kubernetes API conventions for "${name}".`),
);

const JSON_BODY = { content: { 'application/json': { schema: { type: 'object' } } }, required: true };
const PATCH_BODY = {
  content: Object.fromEntries(
    PATCH_CONTENT_TYPES.map((type) => [type, { schema: { type: 'object' } }]),
  ),
  required: true,
};
const OK = { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } }, '401': { description: 'Unauthorized' } };

function operation(gv: GroupVersionDef, r: ResourceDef, action: string, id: string, extra: Operation = {}): Operation {
  return {
    operationId: id,
    tags: [gv.group ? `${gv.group}_${gv.version}` : `core_${gv.version}`],
    responses: OK,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: gv.group, version: gv.version, kind: r.kind },
    ...extra,
  };
}

function resourcePaths(gv: GroupVersionDef, r: ResourceDef): Record<string, unknown> {
  const prefix = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.name}` : `${prefix}/${r.name}`;
  const nsParams = r.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const can = (verb: string) => r.verbs.includes(verb);
  const id = (verb: string) => `${verb}${gv.group ? gv.group[0]?.toUpperCase() + gv.group.slice(1) : 'Core'}${gv.version.toUpperCase()}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  const paths: Record<string, unknown> = {};
  paths[collection] = {
    parameters: nsParams,
    ...(can('list') ? { get: operation(gv, r, 'list', id('list'), { parameters: LIST_PARAMS }) } : {}),
    ...(can('create') ? { post: operation(gv, r, 'post', id('create'), { parameters: WRITE_PARAMS, requestBody: JSON_BODY }) } : {}),
    ...(can('deletecollection') ? { delete: operation(gv, r, 'deletecollection', id('deleteCollection'), { parameters: LIST_PARAMS }) } : {}),
  };
  paths[`${collection}/{name}`] = {
    parameters: [pathParam('name', `name of the ${r.kind}`), ...nsParams],
    ...(can('get') ? { get: operation(gv, r, 'get', id('read')) } : {}),
    ...(can('update') ? { put: operation(gv, r, 'put', id('replace'), { parameters: WRITE_PARAMS, requestBody: JSON_BODY }) } : {}),
    ...(can('patch') ? { patch: operation(gv, r, 'patch', id('patch'), { parameters: WRITE_PARAMS, requestBody: PATCH_BODY }) } : {}),
    ...(can('delete') ? { delete: operation(gv, r, 'delete', id('delete'), { parameters: WRITE_PARAMS }) } : {}),
  };
  return paths;
}

/**
 * Resources that cannot be patched still get a PATCH operation with `fieldValidation`, so that
 * kubectl sends their manifests to the server (which explains what jobfleet does not support)
 * instead of failing to download schemas for client-side validation.
 */
function withValidationHint(r: ResourceDef): ResourceDef {
  return r.verbs.includes('patch') ? r : { ...r, verbs: [...r.verbs, 'patch'] };
}

export function groupVersionDocument(gv: GroupVersionDef) {
  const paths = Object.assign({}, ...gv.resources.map((r) => resourcePaths(gv, withValidationHint(r))));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (jobfleet)', version: KUBERNETES_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

const DOCUMENTS = new Map<string, unknown>([
  ['api/v1', groupVersionDocument(CORE_V1)],
  ['apis/batch/v1', groupVersionDocument(BATCH_V1)],
]);

function hashOf(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

export function registerOpenApiRoutes(app: FastifyInstance): void {
  const index = { paths: Object.fromEntries([...DOCUMENTS].map(([path, doc]) => [path, { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(doc)}` }])) };
  app.get('/openapi/v3', async (_req, reply) => sendJson(reply, 200, index));
  app.get<{ Params: { '*': string } }>('/openapi/v3/*', async (req, reply) => {
    const doc = DOCUMENTS.get(req.params['*']);
    return doc ? sendJson(reply, 200, doc) : reply.callNotFound();
  });
}
