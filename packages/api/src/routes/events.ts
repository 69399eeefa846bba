import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '@jobfleet/kube';
import { eventNamesPage, getEventJson, getEventsJson } from '@jobfleet/store';
import { listResponse, type ApiContext } from '../context.js';
import { queryBool, queryString } from '../http.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { watchResponse } from '../watch.js';

const EVENT_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
] as const;

interface KubeEvent {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  involvedObject: Record<string, string | undefined>;
  reason?: string;
  type?: string;
  reportingComponent?: string;
  source?: { component?: string };
}

function eventFieldValues(e: KubeEvent): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    'metadata.name': e.metadata.name,
    'metadata.namespace': e.metadata.namespace,
    reason: e.reason,
    type: e.type,
    reportingComponent: e.reportingComponent,
    source: e.source?.component,
  };
  for (const k of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) out[`involvedObject.${k}`] = e.involvedObject[k] ?? '';
  return out;
}

export function registerEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/events', (req, reply) => listEvents(ctx, req, reply, undefined));
  app.get<{ Params: { ns: string } }>('/api/v1/namespaces/:ns/events', (req, reply) => listEvents(ctx, req, reply, req.params.ns));
  app.get<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/events/:name', async (req, reply) => {
    const store = ctx.cluster.store;
    const raw = await getEventJson(store, req.params.ns, req.params.name);
    if (!raw) throw new NotFoundError({ group: '', resource: 'events', name: req.params.name });
    return sendObject(req, reply, 'events', JSON.parse(raw) as KubeEvent, () => store.now());
  });
}

async function listEvents(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string | undefined) {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), EVENT_FIELDS);
  const keep = (e: KubeEvent) => matches(labels, e.metadata.labels ?? {}) && matches(fields, eventFieldValues(e));
  const store = ctx.cluster.store;
  const list = () =>
    listResponse(ctx, req, {
      kind: 'EventList',
      apiVersion: 'v1',
      ns,
      names: (n, after, limit) => eventNamesPage(store, n, after, limit),
      fetch: async (n, names) => (await getEventsJson(store, n, names)).map((json) => JSON.parse(json) as KubeEvent),
      keep,
      nameOf: (e: KubeEvent) => e.metadata.name ?? '',
    });
  if (queryBool(req, 'watch')) return watchResponse(ctx, req, reply, { kind: 'Event', ns, keep: (o) => keep(o as unknown as KubeEvent), list, render: watchRenderer(req, 'events') });
  return sendList(req, reply, 'events', await list(), () => store.now());
}
