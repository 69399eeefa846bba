/**
 * core/v1 Nodes, read-only: one per worker in the node registry, built from its heartbeat record
 * (capacity, Ready condition from the heartbeat's age and Docker's answer, start time as age).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, nodeFromHeartbeat, type Node, type NodeHeartbeat } from '@jobfleet/kube';
import { nodeRecords } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { queryBool, queryString } from '../http.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { nodeFingerprint, pollWatchResponse } from '../poll-watch.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';

const NODE_FIELDS = ['metadata.name', 'spec.unschedulable'] as const;
/** How often a watch of nodes looks at the heartbeats again. */
const WATCH_POLL_MS = 1000;

async function readNodes(ctx: ApiContext): Promise<{ nodes: Node[]; now: number }> {
  const store = ctx.cluster.store;
  const [raw, now] = await Promise.all([nodeRecords(store), store.now()]);
  const grace = ctx.nodeGraceMs;
  const nodes = Object.values(raw)
    .map((text) => nodeFromHeartbeat(JSON.parse(text) as NodeHeartbeat, now, grace))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return { nodes, now };
}

export function registerNodeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/nodes', (req, reply) => listNodes(ctx, req, reply));
  const getNode = async (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
    const { nodes, now } = await readNodes(ctx);
    const node = nodes.find((n) => n.metadata.name === req.params.name);
    if (!node) throw new NotFoundError({ group: '', resource: 'nodes', name: req.params.name });
    return sendObject(req, reply, 'nodes', node, async () => now);
  };
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name', getNode);
  // nodes/status: the same object (the workers write it through their heartbeats, clients only read it).
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name/status', getNode);
}

/** The nodes the request's selectors keep, and the time they were built at. */
async function selectedNodes(ctx: ApiContext, req: FastifyRequest): Promise<{ items: Node[]; now: number }> {
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), NODE_FIELDS);
  const { nodes, now } = await readNodes(ctx);
  const items = nodes.filter(
    (n) => matches(labels, n.metadata.labels ?? {}) && matches(fields, { 'metadata.name': n.metadata.name, 'spec.unschedulable': String(n.spec.unschedulable ?? false) }),
  );
  return { items, now };
}

async function listNodes(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply) {
  if (queryBool(req, 'watch')) {
    const snapshot = async () => (await selectedNodes(ctx, req)).items as unknown as Record<string, unknown>[];
    return pollWatchResponse(ctx, req, reply, { kind: 'Node', snapshot, fingerprint: nodeFingerprint, render: watchRenderer(req, 'nodes'), intervalMs: WATCH_POLL_MS });
  }
  const { items, now } = await selectedNodes(ctx, req);
  const list = { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: await ctx.cluster.store.currentResourceVersion() }, items };
  return sendList(req, reply, 'nodes', list, async () => now);
}
