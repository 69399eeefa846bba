import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, LABEL_CONTROLLER_UID, LEGACY_LABEL_CONTROLLER_UID, NotFoundError, type Pod } from '@jobfleet/spec';
import type { LogChunk } from '@jobfleet/store';
import { listResponse, type ApiContext } from '../context.js';
import { queryBool, queryInt, queryString } from '../http.js';
import { equalityValue, matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendList, sendObject, watchRenderer } from '../tables.js';
import { watchResponse } from '../watch.js';
import { methodNotAllowed } from '../write-options.js';

const POD_FIELDS = ['metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName', 'spec.restartPolicy'] as const;
const FOLLOW_POLL_MS = 200;

interface NsParams {
  ns: string;
}
interface NameParams extends NsParams {
  name: string;
}

function podNotFound(name: string): NotFoundError {
  return new NotFoundError({ group: '', resource: 'pods', name });
}

function podFieldValues(pod: Pod): Record<string, string | undefined> {
  return {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'status.phase': pod.status.phase,
    'spec.nodeName': pod.spec.nodeName ?? '',
    'spec.restartPolicy': pod.spec.restartPolicy,
  };
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
  app.get<{ Params: NameParams }>('/api/v1/namespaces/:ns/pods/:name/log', (req, reply) => podLog(ctx, req, reply, req.params.ns, req.params.name));
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
      indexKey: (n) => (jobUid ? store.keys.jobPods(jobUid) : store.keys.pods(n)),
      fetch: async (n, names) => (await store.getPods(n, names)).map((s) => s.pod),
      keep,
      nameOf: (pod: Pod) => pod.metadata.name ?? '',
    });
  if (queryBool(req, 'watch')) return watchResponse(ctx, req, reply, { kind: 'Pod', ns, keep: (obj) => keep(obj as unknown as Pod), list, render: watchRenderer(req, 'pods') });
  return sendList(req, reply, 'pods', await list(), () => store.now());
}

function chooseContainer(pod: Pod, requested: string | undefined): string {
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  if (requested) {
    if (!names.includes(requested)) throw new BadRequestError(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }
  const main = pod.spec.containers.map((c) => c.name);
  if (main.length === 1) return main[0] ?? '';
  throw new BadRequestError(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${main.join(' ')}]`);
}

/** Splits chunks into lines (keeping the newline), each with its chunk's time, for tailLines/timestamps. */
function toLines(chunks: LogChunk[]): { time: number; text: string }[] {
  const lines: { time: number; text: string }[] = [];
  let partial: { time: number; text: string } | undefined;
  for (const e of chunks) {
    const parts = e.data.split(/(?<=\n)/);
    for (const part of parts) {
      if (partial) {
        partial.text += part;
      } else partial = { time: e.time, text: part };
      if (part.endsWith('\n')) {
        lines.push(partial);
        partial = undefined;
      }
    }
  }
  if (partial) lines.push(partial);
  return lines;
}

function formatLines(lines: { time: number; text: string }[], timestamps: boolean): string {
  return lines.map((l) => (timestamps ? `${new Date(l.time).toISOString().replace('Z', '000000Z')} ${l.text}` : l.text)).join('');
}

async function podLog(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, ns: string, name: string) {
  const store = ctx.cluster.store;
  const pod = await getPod(ctx, ns, name);
  const container = chooseContainer(pod, queryString(req, 'container'));
  const timestamps = queryBool(req, 'timestamps');
  const tailLines = queryInt(req, 'tailLines');
  let cursor: string | undefined;
  const read = async (after?: string) => {
    const chunks = await store.logs.read(ns, name, after);
    if (chunks.length > 0) cursor = chunks[chunks.length - 1]?.id;
    return chunks.filter((c) => c.container === container);
  };
  let lines = toLines(await read());
  if (tailLines !== undefined) lines = tailLines === 0 ? [] : lines.slice(-tailLines);
  const text = formatLines(lines, timestamps);
  if (!queryBool(req, 'follow')) return reply.code(200).header('content-type', 'text/plain').send(text);

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  let closed = false;
  req.raw.on('close', () => (closed = true));
  raw.on('close', () => (closed = true));
  // A reader slower than the pod writes is not buffered for: the next read waits until it took the last one.
  const write = async (chunk: string) => {
    if (raw.write(chunk) || closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
  };
  await write(text);
  while (!closed) {
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    const fresh = await read(cursor).catch(() => []);
    if (fresh.length > 0) await write(formatLines(toLines(fresh), timestamps));
    const current = await store.getPod(ns, name).catch(() => ({ pod }));
    if (!current || containerDone(current.pod, container)) {
      const rest = await read(cursor).catch(() => []);
      if (rest.length > 0) await write(formatLines(toLines(rest), timestamps));
      break;
    }
  }
  raw.end();
  return reply;
}

/** The container will write no more: the pod ended, or the container terminated and won't restart. */
function containerDone(pod: Pod, container: string): boolean {
  if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return true;
  const s = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find((c) => c.name === container);
  return s?.state.terminated !== undefined && pod.spec.restartPolicy === 'Never';
}
