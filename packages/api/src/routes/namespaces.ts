/**
 * core/v1 Namespaces: "default", every namespace a Job was created in, and those created here.
 * They are always Active; clients may change their labels and annotations (PATCH, PUT), delete them
 * and watch them (poll-watch.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  BadRequestError,
  DEFAULT_NAMESPACE,
  InvalidError,
  JobfleetError,
  LABEL_NAMESPACE_NAME,
  NotFoundError,
  invalid,
  k8sTime,
  textOf,
  validateAnnotations,
  validateLabels,
  type FieldError,
  isDns1123Label,
  namespaceObject,
  required,
  type Namespace,
} from '@jobfleet/kube';
import { deleteNamespace } from '@jobfleet/controllers';
import { createNamespace, getNamespace, listNamespaces, updateNamespace } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { decodeBody, patchBody, patchContentType, queryBool, queryString } from '../http.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { METADATA_PATCH_SCHEMA, applyPatchOrFail } from '../patch.js';
import { pollWatchResponse } from '../poll-watch.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { writeOptions } from '../write-options.js';
import { checkKind } from './jobs.js';

const NAMESPACE_FIELDS = ['metadata.name', 'status.phase'] as const;
/** How often a watch of namespaces reads them again. */
const WATCH_POLL_MS = 1000;

export function registerNamespaceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/namespaces', (req, reply) => listAll(ctx, req, reply));
  app.get<{ Params: { name: string } }>('/api/v1/namespaces/:name', async (req, reply) => {
    const store = ctx.cluster.store;
    const now = await store.now();
    const record = await getNamespace(store, req.params.name, now);
    if (!record) throw new NotFoundError({ group: '', resource: 'namespaces', name: req.params.name });
    return sendObject(req, reply, 'namespaces', namespaceObject(req.params.name, record), async () => now);
  });
  app.post('/api/v1/namespaces', async (req, reply) => sendObject(req, reply, 'namespaces', await create(ctx, req), () => ctx.cluster.store.now(), 201));
  app.delete<{ Params: { name: string } }>('/api/v1/namespaces/:name', async (req, reply) =>
    sendObject(req, reply, 'namespaces', await remove(ctx, req, req.params.name), () => ctx.cluster.store.now()),
  );
  app.patch<{ Params: { name: string } }>('/api/v1/namespaces/:name', async (req, reply) =>
    sendObject(req, reply, 'namespaces', await patch(ctx, req, req.params.name), () => ctx.cluster.store.now()),
  );
  app.put<{ Params: { name: string } }>('/api/v1/namespaces/:name', async (req, reply) =>
    sendObject(req, reply, 'namespaces', await replace(ctx, req, req.params.name), () => ctx.cluster.store.now()),
  );
  // namespaces/status: read as the namespace itself (its phase is always Active; nothing to write).
  app.get<{ Params: { name: string } }>('/api/v1/namespaces/:name/status', async (req, reply) => {
    const store = ctx.cluster.store;
    const now = await store.now();
    const record = await getNamespace(store, req.params.name, now);
    if (!record) throw new NotFoundError({ group: '', resource: 'namespaces', name: req.params.name });
    return sendObject(req, reply, 'namespaces', namespaceObject(req.params.name, record), async () => now);
  });
}

type NamespaceMeta = { labels?: Record<string, string>; annotations?: Record<string, string> };

/**
 * The labels and annotations a write gives a namespace, checked as ValidateObjectMeta does: string
 * values, qualified keys, label values; anything else is a 422 and nothing is written.
 */
function namespaceMeta(name: string, metadata: Record<string, unknown>): NamespaceMeta {
  const errors: FieldError[] = [];
  const map = (field: 'labels' | 'annotations'): Record<string, string> | undefined => {
    const value = metadata[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      errors.push(invalid(`metadata.${field}`, value, 'must be an object'));
      return undefined;
    }
    for (const [key, v] of Object.entries(value)) if (typeof v !== 'string') errors.push(invalid(`metadata.${field}[${key}]`, v, 'must be a string'));
    return value as Record<string, string>;
  };
  const labels = map('labels');
  const annotations = map('annotations');
  if (errors.length === 0) errors.push(...validateLabels(labels, 'metadata.labels'), ...validateAnnotations(annotations, 'metadata.annotations'));
  if (errors.length > 0) throw new InvalidError({ name, kind: 'Namespace', group: '', errors });
  return { labels, annotations };
}

/** PUT of a namespace: its labels and annotations become the request's (the rest of a namespace is jobfleet's). */
async function replace(ctx: ApiContext, req: FastifyRequest, name: string): Promise<Namespace> {
  const { dryRun } = writeOptions(req);
  const body = decodeBody(req);
  checkKind(body, 'v1', 'Namespace');
  const metadata = (typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}) as Record<string, unknown>;
  if (metadata.name !== undefined && metadata.name !== name) {
    throw new BadRequestError(`the name of the object (${textOf(metadata.name)}) does not match the name on the URL (${name})`);
  }
  const checked = namespaceMeta(name, metadata);
  const { [LABEL_NAMESPACE_NAME]: _own, ...labels } = checked.labels ?? {};
  const meta = { labels, annotations: checked.annotations ?? {} };
  const store = ctx.cluster.store;
  const now = await store.now();
  const record = await getNamespace(store, name, now);
  if (!record) throw new NotFoundError({ group: '', resource: 'namespaces', name });
  if (dryRun) return namespaceObject(name, { ...record, ...meta });
  return namespaceObject(name, (await updateNamespace(store, name, meta, now)) ?? record);
}

/**
 * Deletes the namespace and every Job in it, at once (Kubernetes does it in the background and
 * shows the namespace Terminating meanwhile); the answer is the namespace as it was, Terminating.
 */
async function remove(ctx: ApiContext, req: FastifyRequest, name: string): Promise<Namespace> {
  const { dryRun } = writeOptions(req);
  if (name === DEFAULT_NAMESPACE) throw new JobfleetError(`namespaces "${name}" is forbidden: this namespace may not be deleted`, 403, 'Forbidden');
  const store = ctx.cluster.store;
  const now = await store.now();
  const record = dryRun ? await getNamespace(store, name, now) : await deleteNamespace(store, name, now, { queues: ctx.cluster.queues, controller: ctx.cluster.controller });
  if (!record) throw new NotFoundError({ group: '', resource: 'namespaces', name });
  const namespace = namespaceObject(name, record);
  return { ...namespace, metadata: { ...namespace.metadata, deletionTimestamp: k8sTime(now) }, status: { phase: 'Terminating' } };
}

/** Only metadata.labels and metadata.annotations of a namespace can change (e.g. `kubectl apply`, `kubectl label ns`). */
async function patch(ctx: ApiContext, req: FastifyRequest, name: string): Promise<Namespace> {
  const { dryRun } = writeOptions(req);
  const type = patchContentType(req);
  const body = patchBody(req);
  const store = ctx.cluster.store;
  const now = await store.now();
  const record = await getNamespace(store, name, now);
  if (!record) throw new NotFoundError({ group: '', resource: 'namespaces', name });
  const current = namespaceObject(name, record);
  const patched = applyPatchOrFail(type, current, body, METADATA_PATCH_SCHEMA);
  const metadata = namespaceMeta(name, ((patched as { metadata?: unknown }).metadata ?? {}) as Record<string, unknown>);
  const { [LABEL_NAMESPACE_NAME]: _own, ...labels } = metadata.labels ?? {};
  const meta = { labels, annotations: metadata.annotations ?? {} };
  if (dryRun) return namespaceObject(name, { ...record, ...meta });
  return namespaceObject(name, (await updateNamespace(store, name, meta, now)) ?? record);
}

async function create(ctx: ApiContext, req: FastifyRequest): Promise<Namespace> {
  const { dryRun } = writeOptions(req);
  const body = decodeBody(req);
  checkKind(body, 'v1', 'Namespace');
  const metadata = (typeof body.metadata === 'object' && body.metadata !== null ? body.metadata : {}) as Record<string, unknown>;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const errors = name ? isDns1123Label(name).map((problem) => invalid('metadata.name', name, problem)) : [required('metadata.name', 'name or generateName is required')];
  if (errors.length > 0) throw new InvalidError({ name, kind: 'Namespace', group: '', errors });
  const meta = namespaceMeta(name, metadata);
  const store = ctx.cluster.store;
  const now = await store.now();
  if (dryRun) return namespaceObject(name, meta);
  return namespaceObject(name, await createNamespace(store, name, meta, now));
}

/** The namespaces the request's selectors keep, and the time they were read at. */
async function selectedNamespaces(ctx: ApiContext, req: FastifyRequest): Promise<{ items: Namespace[]; now: number }> {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), NAMESPACE_FIELDS);
  const store = ctx.cluster.store;
  const now = await store.now();
  const records = await listNamespaces(store, now);
  const items = [...records]
    .map(([name, record]) => namespaceObject(name, record))
    .filter((n) => matches(labels, n.metadata.labels ?? {}) && matches(fields, { 'metadata.name': n.metadata.name, 'status.phase': n.status.phase }));
  return { items, now };
}

async function listAll(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply) {
  if (queryBool(req, 'watch')) {
    const snapshot = async () => (await selectedNamespaces(ctx, req)).items as unknown as Record<string, unknown>[];
    return pollWatchResponse(ctx, req, reply, { kind: 'Namespace', snapshot, render: watchRenderer(req, 'namespaces'), intervalMs: WATCH_POLL_MS });
  }
  const { items, now } = await selectedNamespaces(ctx, req);
  const list = { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: await ctx.cluster.store.currentResourceVersion() }, items };
  return sendList(req, reply, 'namespaces', list, async () => now);
}
