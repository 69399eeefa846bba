import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LABEL_CONTROLLER_UID, LEGACY_LABEL_CONTROLLER_UID, type Pod } from '@jobfleet/kube';
import { jobPodNamesPage, podNamesPage } from '@jobfleet/store';
import { listResponse, type ApiContext } from '../context.js';
import { queryBool, queryString } from '../http.js';
import { equalityValue, matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { watchResponse } from '../watch.js';
import { methodNotAllowed } from '../write-options.js';
import { registerEvictionRoutes } from './eviction.js';
import { POD_FIELDS, podFieldValues, podNotFound } from './pod-fields.js';
import { registerPodLogRoute } from './pod-log.js';
import { registerPodWriteRoutes } from './pod-writes.js';

interface NsParams {
  ns: string;
}
interface NameParams extends NsParams {
  name: string;
}

export function registerPodRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/pods', (req, reply) => listPods(ctx, req, reply, undefined));
  app.get<{ Params: NsParams }>('/api/v1/namespaces/:ns/pods', (req, reply) => listPods(ctx, req, reply, req.params.ns));
  app.get<{ Params: NameParams }>('/api/v1/namespaces/:ns/pods/:name', async (req, reply) =>
    sendObject(req, reply, 'pods', await getPod(ctx, req.params.ns, req.params.name), () => ctx.cluster.store.now()),
  );
  app.post('/api/v1/namespaces/:ns/pods', async () => {
    throw methodNotAllowed('jobfleet creates pods only for Jobs: create a Job (batch/v1) instead of a bare Pod');
  });
  app.get<{ Params: NameParams }>('/api/v1/namespaces/:ns/pods/:name/status', async (req, reply) =>
    sendObject(req, reply, 'pods', await getPod(ctx, req.params.ns, req.params.name), () => ctx.cluster.store.now()),
  );
  registerPodWriteRoutes(app, ctx);
  registerEvictionRoutes(app, ctx);
  registerPodLogRoute(app, ctx);
}

async function getPod(ctx: ApiContext, ns: string, name: string): Promise<Pod> {
  const stored = await ctx.cluster.store.getPod(ns, name);
  if (!stored) throw podNotFound(name);
  return stored.pod;
}

async function listPods(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string | undefined) {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), POD_FIELDS);
  const keep = (pod: Pod) => matches(labels, pod.metadata.labels ?? {}) && matches(fields, podFieldValues(pod));
  const store = ctx.cluster.store;
  const jobUid = equalityValue(labels, LABEL_CONTROLLER_UID) ?? equalityValue(labels, LEGACY_LABEL_CONTROLLER_UID);
  const list = () =>
    listResponse(ctx, req, {
      kind: 'PodList',
      apiVersion: 'v1',
      ns,
      // The pods of one Job have their own index: a page costs the same at 100 pods as at 100,000.
      names: (n, after, limit) => (jobUid ? jobPodNamesPage(store, jobUid, after, limit) : podNamesPage(store, n, after, limit)),
      fetch: async (n, names) => (await store.getPods(n, names)).map((s) => s.pod),
      keep,
      nameOf: (pod: Pod) => pod.metadata.name ?? '',
    });
  if (queryBool(req, 'watch')) return watchResponse(ctx, req, reply, { kind: 'Pod', ns, keep: (obj) => keep(obj as unknown as Pod), list, render: watchRenderer(req, 'pods') });
  return sendList(req, reply, 'pods', await list(), () => store.now());
}
