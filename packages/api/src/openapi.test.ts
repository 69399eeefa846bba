/**
 * The OpenAPI documents built from the generated Kubernetes 1.33 definitions (dist/openapi/definitions.json,
 * written by `npm run build`) and jobfleet's marks derived from its Job parser and its patch strategies.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { closure, IGNORED_NOTE, jobfleetDefinitions, loadDefinitions, NOT_SUPPORTED_NOTE, type Definitions } from './openapi.js';
import { buildServer } from './server.js';

const source = loadDefinitions();
if (!source) throw new Error('dist/openapi/definitions.json is missing: run `npm run build` in packages/api first');
const marked = jobfleetDefinitions(source);

/** No store: the documents never touch it (a boundary these tests are not about). */
function server(): FastifyInstance {
  return buildServer({} as ApiContext);
}

async function getJson(app: FastifyInstance, url: string, accept = 'application/json') {
  const res = await app.inject({ method: 'GET', url, headers: { accept } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

const prop = (defs: Definitions, name: string, field: string) => defs[name]?.properties?.[field];

describe('the generated Kubernetes definitions', () => {
  it('hold Kubernetes 1.33 schemas with descriptions, required fields, enums and formats', () => {
    const spec = source['io.k8s.api.batch.v1.JobSpec'];
    expect(spec?.required).toEqual(['template']);
    expect(spec?.properties?.backoffLimit).toMatchObject({ type: 'integer', format: 'int32' });
    expect(spec?.properties?.activeDeadlineSeconds).toMatchObject({ type: 'integer', format: 'int64' });
    expect(spec?.properties?.completionMode).toMatchObject({ type: 'string', enum: ['Indexed', 'NonIndexed'] });
    expect(spec?.properties?.podFailurePolicy?.description).toMatch(/^Specifies the policy of handling failed pods/);
    expect(spec?.properties?.podFailurePolicy?.$ref).toBe('io.k8s.api.batch.v1.PodFailurePolicy');
    expect(source['io.k8s.api.core.v1.ContainerStatus']?.required).toEqual(['image', 'imageID', 'name', 'ready', 'restartCount']);
    expect(prop(source, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels')).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(source['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({ type: 'string', format: 'date-time' });
    expect(source['io.k8s.api.batch.v1.Job']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'batch', kind: 'Job', version: 'v1' }]);
    expect(prop(source, 'io.k8s.api.batch.v1.Job', 'kind')?.description).toMatch(/^Kind is a string value representing the REST resource/);
  });

  it('are closed: every reference resolves', () => {
    const names = closure(source, Object.keys(source));
    expect(names.length).toBe(Object.keys(source).length);
    for (const name of names) {
      const refs = JSON.stringify(source[name]).match(/"\$ref":"([^"]+)"/g) ?? [];
      for (const ref of refs) expect(source[ref.slice(8, -1)], `${name} → ${ref}`).toBeDefined();
    }
  });
});

describe('jobfleet marks, derived from its Job parser and its PATCH', () => {
  it('marks Job fields jobfleet refuses as not supported, and those it drops as ignored; leaves supported ones as Kubernetes wrote them', () => {
    const podSpec = 'io.k8s.api.core.v1.PodSpec';
    const container = 'io.k8s.api.core.v1.Container';
    expect(prop(marked, podSpec, 'topologySpreadConstraints')?.description).toMatch(new RegExp(`^${escape(NOT_SUPPORTED_NOTE)}\n\nTopologySpreadConstraints describes`));
    expect(prop(marked, podSpec, 'topologySpreadConstraints')?.['x-jobfleet-supported']).toBe(false);
    expect(prop(marked, podSpec, 'affinity')?.['x-jobfleet-supported']).toBeUndefined();
    expect(prop(marked, podSpec, 'tolerations')?.['x-jobfleet-supported']).toBeUndefined();
    expect(prop(marked, podSpec, 'nodeSelector')?.['x-jobfleet-supported']).toBeUndefined();
    expect(prop(marked, container, 'ports')?.description?.startsWith(IGNORED_NOTE)).toBe(true);
    expect(prop(marked, container, 'ports')?.['x-jobfleet-supported']).toBe('ignored');
    expect(prop(marked, 'io.k8s.api.core.v1.SecurityContext', 'seLinuxOptions')?.['x-jobfleet-supported']).toBe(false);
    for (const supported of [
      [podSpec, 'containers'],
      [podSpec, 'restartPolicy'],
      [container, 'image'],
      [container, 'env'],
      ['io.k8s.api.batch.v1.JobSpec', 'parallelism'],
      ['io.k8s.api.batch.v1.JobSpec', 'template'],
      ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels'],
    ] as const) {
      const [name, field] = supported;
      expect(prop(marked, name, field)?.description, supported.join('.')).toBe(prop(source, name, field)?.description);
      expect(prop(marked, name, field)?.['x-jobfleet-supported'], supported.join('.')).toBeUndefined();
    }
    // The status is jobfleet's to write: nothing in it is marked.
    expect(JSON.stringify(marked['io.k8s.api.batch.v1.JobStatus'])).not.toContain('jobfleet');
    // Marks go on copies: the loaded definitions stay Kubernetes' own.
    expect(JSON.stringify(source)).not.toContain('[jobfleet');
  });

  it('carries the strategic merge keys that jobfleet PATCH merges lists by', () => {
    expect(prop(marked, 'io.k8s.api.core.v1.PodSpec', 'containers')).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' });
    expect(prop(marked, 'io.k8s.api.core.v1.Container', 'env')).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' });
    expect(prop(marked, 'io.k8s.api.core.v1.Container', 'volumeMounts')).toMatchObject({ 'x-kubernetes-patch-merge-key': 'mountPath' });
    expect(prop(marked, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')).toMatchObject({ 'x-kubernetes-patch-strategy': 'merge' });
    expect(prop(marked, 'io.k8s.api.core.v1.Container', 'command')?.['x-kubernetes-patch-strategy']).toBeUndefined();
  });
});

describe('CronJob in the documents', () => {
  it('holds the CronJob kinds with Kubernetes\' descriptions; its job template reaches the Job\'s marked definitions', () => {
    expect(source['io.k8s.api.batch.v1.CronJob']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'batch', kind: 'CronJob', version: 'v1' }]);
    expect(source['io.k8s.api.batch.v1.CronJobSpec']?.required).toEqual(['jobTemplate', 'schedule']);
    expect(prop(source, 'io.k8s.api.batch.v1.CronJobSpec', 'schedule')?.description).toMatch(/^The schedule in Cron format/);
    expect(prop(source, 'io.k8s.api.batch.v1.CronJobSpec', 'concurrencyPolicy')).toMatchObject({ type: 'string', enum: ['Allow', 'Forbid', 'Replace'] });
    expect(prop(source, 'io.k8s.api.batch.v1.CronJobSpec', 'startingDeadlineSeconds')).toMatchObject({ type: 'integer', format: 'int64' });
    expect(prop(source, 'io.k8s.api.batch.v1.CronJobStatus', 'lastScheduleTime')?.$ref).toBe('io.k8s.apimachinery.pkg.apis.meta.v1.Time');
    expect(prop(source, 'io.k8s.api.batch.v1.JobTemplateSpec', 'spec')?.$ref).toBe('io.k8s.api.batch.v1.JobSpec');
    expect(closure(marked, ['io.k8s.api.batch.v1.CronJob'])).toEqual(expect.arrayContaining(['io.k8s.api.batch.v1.JobSpec', 'io.k8s.api.core.v1.PodSpec', 'io.k8s.api.core.v1.ObjectReference']));
    // CronJob's own lists: status.active is atomic, so no strategy was added to it.
    expect(prop(marked, 'io.k8s.api.batch.v1.CronJobStatus', 'active')?.['x-kubernetes-patch-strategy']).toBeUndefined();
  });

  it('serves the cronjobs operations in batch/v1 (v3) and in Swagger 2.0, with PATCH taking fieldValidation', async () => {
    const app = server();
    const batch = await getJson(app, '/openapi/v3/apis/batch/v1');
    const paths = batch.body.paths as Record<string, Record<string, Record<string, unknown>>>;
    const collection = paths['/apis/batch/v1/namespaces/{namespace}/cronjobs'];
    expect(Object.keys(collection ?? {}).sort()).toEqual(['delete', 'get', 'parameters', 'post']);
    expect(collection?.post?.operationId).toBe('createBatchV1NamespacedCronJob');
    const item = paths['/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}'];
    expect(item?.patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'batch', version: 'v1', kind: 'CronJob' });
    expect(JSON.stringify(item?.patch?.parameters)).toContain('fieldValidation');
    expect(JSON.stringify(item?.get?.responses)).toContain('#/components/schemas/io.k8s.api.batch.v1.CronJob"');
    expect(JSON.stringify(collection?.get?.responses)).toContain('#/components/schemas/io.k8s.api.batch.v1.CronJobList"');
    const schemas = (batch.body.components as { schemas: Record<string, unknown> }).schemas;
    for (const name of ['CronJob', 'CronJobList', 'CronJobSpec', 'CronJobStatus', 'JobTemplateSpec']) expect(schemas[`io.k8s.api.batch.v1.${name}`], name).toBeDefined();
    const v2 = await getJson(app, '/openapi/v2');
    const create = (v2.body.paths as Record<string, Record<string, { parameters: { in: string; schema?: unknown }[] }>>)['/apis/batch/v1/namespaces/{namespace}/cronjobs']?.post;
    expect(create?.parameters.find((p) => p.in === 'body')?.schema).toEqual({ $ref: '#/definitions/io.k8s.api.batch.v1.CronJob' });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('GET /openapi/v3 and /openapi/v2', () => {
  it('indexes a document per group version, each with operations and the schemas of its kinds by group-version-kind', async () => {
    const app = server();
    const index = await getJson(app, '/openapi/v3');
    const paths = index.body.paths as Record<string, { serverRelativeURL: string }>;
    expect(Object.keys(paths).sort()).toEqual(['api/v1', 'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1', 'apis/batch/v1']);
    const batch = await getJson(app, paths['apis/batch/v1']?.serverRelativeURL ?? '');
    const schemas = (batch.body.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    const job = schemas['io.k8s.api.batch.v1.Job'];
    expect(job?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'batch', kind: 'Job', version: 'v1' }]);
    // v3: a property's description sits beside an allOf of its reference.
    expect((job?.properties as Record<string, unknown>).spec).toMatchObject({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.batch.v1.JobSpec' }], description: expect.stringMatching(/^Specification of the desired behavior of a job/) });
    expect(schemas['io.k8s.api.core.v1.PodSpec']).toBeDefined();
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Status']).toBeDefined();
    const patch = (batch.body.paths as Record<string, Record<string, Record<string, unknown>>>)['/apis/batch/v1/namespaces/{namespace}/jobs/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'batch', version: 'v1', kind: 'Job' });
    expect(JSON.stringify(patch?.parameters)).toContain('fieldValidation');
    expect(Object.keys((patch?.requestBody as { content: object }).content)).toContain('application/strategic-merge-patch+json');
    const core = await getJson(app, paths['api/v1']?.serverRelativeURL ?? '');
    const coreSchemas = (core.body.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    for (const kind of ['Pod', 'PodList', 'Namespace', 'Node', 'Event']) expect(coreSchemas[`io.k8s.api.core.v1.${kind}`], kind).toBeDefined();
    expect(coreSchemas['io.k8s.api.batch.v1.Job']).toBeUndefined();
    const authz = await getJson(app, paths['apis/authorization.k8s.io/v1']?.serverRelativeURL ?? '');
    expect(Object.keys(authz.body.paths as object)).toEqual(['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews']);
    expect((await getJson(app, '/openapi/v3/apis/nosuch/v1')).status).toBe(404);
  });

  it('serves Swagger 2.0 as JSON with every definition, and a protobuf-only Accept a 406 (kubectl then falls back)', async () => {
    const app = server();
    const v2 = await getJson(app, '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(v2.body.swagger).toBe('2.0');
    const definitions = v2.body.definitions as Record<string, { properties?: Record<string, Record<string, unknown>> }>;
    expect(definitions['io.k8s.api.batch.v1.Job']?.properties?.spec).toMatchObject({ $ref: '#/definitions/io.k8s.api.batch.v1.JobSpec' });
    const create = (v2.body.paths as Record<string, Record<string, { parameters: { in: string; schema?: unknown }[] }>>)['/apis/batch/v1/namespaces/{namespace}/jobs']?.post;
    expect(create?.parameters.find((p) => p.in === 'body')?.schema).toEqual({ $ref: '#/definitions/io.k8s.api.batch.v1.Job' });
    const pb = await getJson(app, '/openapi/v2', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    expect(pb.status).toBe(406);
    expect(pb.body).toMatchObject({ kind: 'Status', code: 406, reason: 'NotAcceptable' });
  });
});
