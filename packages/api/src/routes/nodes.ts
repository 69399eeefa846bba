/**
 * core/v1 Nodes, read-only: one per worker in the node registry, built from its heartbeat record
 * (capacity, Ready condition from the heartbeat's age and Docker's answer, start time as age).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError, nodeFromHeartbeat, type Node, type NodeHeartbeat } from '@jobfleet/spec';
import { nodeTimingsFromEnv } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { queryBool, queryString } from '../http.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendList, sendObject } from '../tables.js';

const NODE_FIELDS = ['metadata.name', 'spec.unschedulable'] as const;

async function readNodes(ctx: ApiContext): Promise<{ nodes: Node[]; now: number }> {
  const store = ctx.cluster.store;
  const [raw, now] = await Promise.all([store.redis.hgetall(store.keys.nodes), store.now()]);
  const grace = nodeTimingsFromEnv().graceMs;
  const nodes = Object.values(raw)
    .map((text) => nodeFromHeartbeat(JSON.parse(text) as NodeHeartbeat, now, grace))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return { nodes, now };
}

export function registerNodeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/nodes', (req, reply) => listNodes(ctx, req, reply));
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name', async (req, reply) => {
    const { nodes, now } = await readNodes(ctx);
    const node = nodes.find((n) => n.metadata.name === req.params.name);
    if (!node) throw new NotFoundError({ group: '', resource: 'nodes', name: req.params.name });
    return sendObject(req, reply, 'nodes', node, async () => now);
  });
}

async function listNodes(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply) {
  if (queryBool(req, 'watch')) throw new BadRequestError('watching nodes is not supported by jobfleet; list them instead');
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), NODE_FIELDS);
  const { nodes, now } = await readNodes(ctx);
  const items = nodes.filter(
    (n) => matches(labels, n.metadata.labels ?? {}) && matches(fields, { 'metadata.name': n.metadata.name, 'spec.unschedulable': String(n.spec.unschedulable ?? false) }),
  );
  const list = { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: await ctx.cluster.store.currentResourceVersion() }, items };
  return sendList(req, reply, 'nodes', list, async () => now);
}
