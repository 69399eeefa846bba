/**
 * core/v1 Nodes: one per worker in the node registry, built from its heartbeat record (capacity,
 * Ready condition from the heartbeat's age and Docker's answer, start time as age) and what was set
 * on it: PATCH changes labels, annotations, taints and `spec.unschedulable` (kubectl label, annotate,
 * taint, cordon, uncordon), DELETE forgets it (a live worker registers again at its next heartbeat).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, InvalidError, NotFoundError, nodeFromHeartbeat, nodeSpecFromNode, stampNoExecuteTaints, tooLong, type Node } from '@jobfleet/kube';
import { forgetNode, putNodeSpec, storedNode, storedNodes } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { patchBody, patchContentType, queryBool, queryString } from '../http.js';
import { NODE_PATCH_SCHEMA, applyPatchOrFail } from '../patch.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { nodeFingerprint, pollWatchResponse } from '../poll-watch.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { writeOptions } from '../write-options.js';

const NODE_FIELDS = ['metadata.name', 'spec.unschedulable'] as const;
/** How often a watch of nodes looks at the heartbeats again. */
const WATCH_POLL_MS = 1000;
/** Edits of one node at once that keep conflicting are given up after this many tries (409). */
const PATCH_ATTEMPTS = 10;
/** What may be set on one node (labels, annotations, taints), as JSON. */
const MAX_NODE_SPEC_BYTES = 512 * 1024;

async function readNodes(ctx: ApiContext): Promise<{ nodes: Node[]; now: number }> {
  const store = ctx.cluster.store;
  const [stored, now] = await Promise.all([storedNodes(store), store.now()]);
  const nodes = stored.map(({ heartbeat, spec }) => nodeFromHeartbeat(heartbeat, now, ctx.nodeGraceMs, spec));
  return { nodes, now };
}

async function readNode(ctx: ApiContext, name: string): Promise<{ node: Node; now: number }> {
  const store = ctx.cluster.store;
  const [{ heartbeat, spec }, now] = await Promise.all([storedNode(store, name), store.now()]);
  if (!heartbeat) throw new NotFoundError({ group: '', resource: 'nodes', name });
  return { node: nodeFromHeartbeat(heartbeat, now, ctx.nodeGraceMs, spec.spec), now };
}

export function registerNodeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/nodes', (req, reply) => listNodes(ctx, req, reply));
  const getNode = async (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
    const { node, now } = await readNode(ctx, req.params.name);
    return sendObject(req, reply, 'nodes', node, async () => now);
  };
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name', getNode);
  // nodes/status: the same object (the workers write it through their heartbeats, clients only read it).
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name/status', getNode);
  app.patch<{ Params: { name: string } }>('/api/v1/nodes/:name', async (req, reply) => {
    const node = await patchNode(ctx, req, req.params.name);
    return sendObject(req, reply, 'nodes', node, () => ctx.cluster.store.now());
  });
  app.delete<{ Params: { name: string } }>('/api/v1/nodes/:name', async (req, reply) => {
    const name = req.params.name;
    const { node } = await readNode(ctx, name);
    // The node monitor follows a node by its record: forgotten with pods bound, they would never be settled.
    const bound = (await ctx.cluster.store.nodePods(name)).length;
    if (bound > 0) {
      throw new ConflictError({ group: '', resource: 'nodes', name, detail: `${bound} pod(s) are bound to it: stop its worker (\`jobfleet worker\` hands its pods back on SIGTERM) or wait for them to end, then delete it` });
    }
    if (!writeOptions(req).dryRun) await forgetNode(ctx.cluster.store, name);
    return reply.send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: node.metadata.name, kind: 'nodes', uid: node.metadata.uid } });
  });
}

/**
 * Applies a patch to the Node and keeps what users may change (labels, annotations, taints,
 * unschedulable; see nodeSpecFromNode): a compare-and-set, tried again when another edit came
 * between. What else it changes (status, capacity: the worker's) is ignored, as Kubernetes ignores
 * status changes sent to the main resource.
 */
async function patchNode(ctx: ApiContext, req: FastifyRequest, name: string): Promise<Node> {
  const { dryRun } = writeOptions(req);
  const type = patchContentType(req);
  const body = patchBody(req);
  const store = ctx.cluster.store;
  for (let attempt = 0; attempt < PATCH_ATTEMPTS; attempt++) {
    const [{ heartbeat, spec: read }, now] = await Promise.all([storedNode(store, name), store.now()]);
    if (!heartbeat) throw new NotFoundError({ group: '', resource: 'nodes', name });
    const current = nodeFromHeartbeat(heartbeat, now, ctx.nodeGraceMs, read.spec);
    const patched = applyPatchOrFail(type, current, body, NODE_PATCH_SCHEMA);
    const asked = (patched.metadata ?? {}) as Record<string, unknown>;
    if (asked.resourceVersion !== undefined && asked.resourceVersion !== current.metadata.resourceVersion) {
      throw new ConflictError({ group: '', resource: 'nodes', name, detail: 'the object has been modified; please apply your changes to the latest version and try again' });
    }
    const { spec, errors } = nodeSpecFromNode(patched);
    // Every worker reads every node's record: it is bounded (Kubernetes bounds annotations alone to 256 KiB).
    const bytes = JSON.stringify(spec).length;
    if (bytes > MAX_NODE_SPEC_BYTES) errors.push(tooLong('metadata', `${bytes} bytes of labels, annotations and taints`, MAX_NODE_SPEC_BYTES));
    if (errors.length > 0) throw new InvalidError({ name, kind: 'Node', group: '', errors });
    const next = { ...read.spec, ...spec, ...(spec.taints ? { taints: stampNoExecuteTaints(spec.taints, read.spec.taints ?? [], now) } : {}) };
    if (dryRun) return nodeFromHeartbeat(heartbeat, now, ctx.nodeGraceMs, next);
    if (await putNodeSpec(store, name, read, next)) return (await readNode(ctx, name)).node;
  }
  throw new ConflictError({ group: '', resource: 'nodes', name, detail: 'the node kept changing while the patch was applied; please try again' });
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
